"""portal/database.py: the database settings chosen from DATABASE_URL."""

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.database import CONNECT_TIMEOUT_SECONDS, database_config, replica_configs


def test_a_server_that_does_not_answer_is_given_up_on_after_a_few_seconds(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://portal@db.example:5432/portal")
    config = database_config(Path("."), conn_max_age=60)
    assert config["OPTIONS"]["connect_timeout"] == CONNECT_TIMEOUT_SECONDS == 5
    assert (config["HOST"], config["CONN_MAX_AGE"], config["CONN_HEALTH_CHECKS"]) == ("db.example", 60, True)


def test_the_url_can_set_its_own_connect_timeout(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://portal@db.example:5432/portal?connect_timeout=30")
    assert database_config(Path("."), conn_max_age=0)["OPTIONS"]["connect_timeout"] == 30


def test_replica_urls_become_aliases_replica1_to_n_configured_like_the_primary(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://portal@primary:5432/portal")
    monkeypatch.setenv(
        "DATABASE_REPLICA_URLS", " postgres://portal@replica-a/portal , postgres://portal@replica-b/portal"
    )
    replicas = replica_configs(conn_max_age=60)
    assert list(replicas) == ["replica1", "replica2"]
    assert [config["HOST"] for config in replicas.values()] == ["replica-a", "replica-b"]
    assert replicas["replica2"]["OPTIONS"]["connect_timeout"] == 5 and replicas["replica2"]["CONN_MAX_AGE"] == 60


def test_no_replica_urls_no_replicas(monkeypatch):
    monkeypatch.delenv("DATABASE_REPLICA_URLS", raising=False)
    assert replica_configs(conn_max_age=60) == {}


@pytest.mark.parametrize(
    "primary, replicas",
    [
        ("", "postgres://portal@replica-a/portal"),  # replicas of the embedded server: there is none
        ("postgres://portal@primary/portal", "mysql://portal@replica-a/portal"),
        ("postgres://portal@primary/portal", "replica-a:5432"),
    ],
)
def test_replicas_without_a_primary_or_not_postgres_are_refused(monkeypatch, primary, replicas):
    monkeypatch.setenv("DATABASE_URL", primary)
    monkeypatch.setenv("DATABASE_REPLICA_URLS", replicas)
    with pytest.raises(ImproperlyConfigured, match=r"DATABASE|not a"):
        replica_configs(conn_max_age=60)
