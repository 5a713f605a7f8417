"""A web process's warm-up (portal.warm_up): what its first requests would build, built as it
starts; a failure there is logged and never stops the process."""

import logging

from django.db import OperationalError

import trials.engine
from portal.warm_up import warm_up
from trials.near import place_index


def test_the_place_index_is_built_and_the_search_warmed_up(monkeypatch):
    warmed = []
    monkeypatch.setattr(trials.engine, "warm_up", lambda: warmed.append(True))
    place_index.cache_clear()
    warm_up()
    assert place_index.cache_info().currsize == 1 and warmed == [True]
    assert place_index().find("Boston") is not None


def test_a_failing_search_warm_up_is_logged_and_the_process_starts(monkeypatch, caplog):
    def database_down():
        raise OperationalError("connection refused")

    monkeypatch.setattr(trials.engine, "warm_up", database_down)
    with caplog.at_level(logging.ERROR, logger="portal.warm_up"):
        warm_up()  # does not raise
    assert "not warmed up" in caplog.text and "connection refused" in caplog.text
