"""portal/database.py: the database settings chosen from DATABASE_URL."""

from pathlib import Path

from portal.database import CONNECT_TIMEOUT_SECONDS, database_config


def test_a_server_that_does_not_answer_is_given_up_on_after_a_few_seconds(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://portal@db.example:5432/portal")
    config = database_config(Path("."), conn_max_age=60)
    assert config["OPTIONS"]["connect_timeout"] == CONNECT_TIMEOUT_SECONDS == 5
    assert (config["HOST"], config["CONN_MAX_AGE"], config["CONN_HEALTH_CHECKS"]) == ("db.example", 60, True)


def test_the_url_can_set_its_own_connect_timeout(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://portal@db.example:5432/portal?connect_timeout=30")
    assert database_config(Path("."), conn_max_age=0)["OPTIONS"]["connect_timeout"] == 30
