"""portal/cache.py: the caches with and without REDIS_URL, and a Redis that cannot be reached."""

import logging
import os
import socket

import pytest
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from portal import cache as portal_cache
from portal.cache import LOCMEM, REDIS, ResilientRedisCache, cache_settings

UNREACHABLE = "redis://127.0.0.1:9/0"  # the discard port: nothing listens there
LOCAL_REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_listening() -> bool:
    host, port = LOCAL_REDIS.split("//")[1].split("/")[0].split(":")
    with socket.socket() as sock:
        sock.settimeout(0.25)
        return sock.connect_ex((host, int(port))) == 0


def backend(url: str, prefix: str = "test") -> ResilientRedisCache:
    config = cache_settings(url, max_entries=10)["default"]
    return ResilientRedisCache(config["LOCATION"], {**config, "KEY_PREFIX": prefix})


def test_without_redis_each_worker_keeps_its_own_caches():
    config = cache_settings("", max_entries=10)
    assert {alias: c["BACKEND"] for alias, c in config.items()} == {"default": LOCMEM, "ratelimit": LOCMEM}
    assert config["default"]["LOCATION"] != config["ratelimit"]["LOCATION"]  # counters apart from counts


def test_with_redis_both_caches_are_shared_under_their_own_prefixes():
    config = cache_settings("redis://cache:6379/0", max_entries=10)
    assert {c["BACKEND"] for c in config.values()} == {REDIS}
    assert config["default"]["KEY_PREFIX"] != config["ratelimit"]["KEY_PREFIX"]


@pytest.mark.parametrize("url", ["http://cache:6379", "cache:6379", "postgres://x/y"])
def test_a_redis_url_that_is_not_one_is_refused(url):
    with pytest.raises(ImproperlyConfigured, match="REDIS_URL"):
        cache_settings(url, max_entries=10)


def test_an_unreachable_redis_is_a_cache_miss_and_one_warning(caplog, monkeypatch):
    monkeypatch.setattr(portal_cache, "_last_warning", -1e9)
    cache = backend(UNREACHABLE)
    with caplog.at_level(logging.WARNING, logger="portal.cache"):
        cache.set("k", 1)
        assert cache.get("k", "missing") == "missing"
        assert cache.add("k", 1) is False
        assert cache.get_or_set("k", lambda: 42) == 42
        assert cache.get_many(["k"]) == {}
        with pytest.raises(ValueError):
            cache.incr("k")
        cache.delete("k")
    assert [r.getMessage().split(" (")[0] for r in caplog.records] == ["Redis unavailable"]


@pytest.mark.django_db
def test_pages_and_the_api_work_while_redis_is_down(client, settings, import_studies):
    import_studies("NCT06482905")
    settings.CACHES = cache_settings(UNREACHABLE, max_entries=10)
    settings.RATE_LIMITS_ENABLED = True
    settings.SEARCH_RATE_LIMIT = settings.API_RATE_LIMIT = "1/h"
    caches.close_all()
    try:
        for _ in range(3):  # limits fail open: nothing can be counted
            assert client.get(reverse("trials:list"), {"phase": "PHASE1"}).status_code == 200
        assert client.get("/api/trials/").status_code == 200
    finally:
        caches.close_all()


@pytest.mark.skipif(not redis_listening(), reason=f"no Redis at {LOCAL_REDIS}")
def test_two_workers_share_counts_and_counters_through_redis():
    first, second = backend(LOCAL_REDIS), backend(LOCAL_REDIS)  # as two processes would
    first.clear()
    first.set("counts", {"PHASE1": 3})
    assert second.get("counts") == {"PHASE1": 3}
    assert first.add("hits", 1) is True and second.incr("hits") == 2 and first.incr("hits") == 3
    first.clear()
