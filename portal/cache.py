"""The caches: facet counts and suggestions (``default``) and the rate limits' counters (``ratelimit``).

With ``REDIS_URL`` both live in Redis, shared by every web worker and machine: a rate limit then
counts a client's requests wherever they land, and a count computed by one worker serves all.
Without it each worker keeps its own in memory (LocMemCache), and a limit counts per worker.

Nothing in the cache is the only copy of anything: counts and suggestions are recomputed from
PostgreSQL, and the rate limits fail open. So a Redis that is down or slow must not fail a request:
``ResilientRedisCache`` answers as if the key were missing (and counts nothing), with short socket
timeouts, and logs one warning a minute while Redis is unreachable.
"""

from __future__ import annotations

import logging
import time
from functools import wraps
from urllib.parse import urlsplit

from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured

log = logging.getLogger(__name__)
LOCMEM = "django.core.cache.backends.locmem.LocMemCache"
REDIS = "portal.cache.ResilientRedisCache"
_WARN_EVERY_SECONDS = 60


def cache_settings(redis_url: str, *, max_entries: int) -> dict:
    """``CACHES`` for ``redis_url`` (empty: per-process memory)."""
    if not redis_url:
        return {
            "default": {"BACKEND": LOCMEM, "LOCATION": "portal", "OPTIONS": {"MAX_ENTRIES": max_entries}},
            # Apart from the counts, so a full cache evicting counts never resets a client's limit.
            "ratelimit": {"BACKEND": LOCMEM, "LOCATION": "ratelimit"},
        }
    if urlsplit(redis_url).scheme not in ("redis", "rediss", "unix"):
        raise ImproperlyConfigured(f"REDIS_URL={redis_url!r} is not a redis://, rediss:// or unix:// URL")
    # Timeouts in seconds: a request waits at most this long for Redis before going without it.
    options = {"socket_connect_timeout": 0.25, "socket_timeout": 0.25}
    return {
        "default": {"BACKEND": REDIS, "LOCATION": redis_url, "KEY_PREFIX": "portal", "OPTIONS": options},
        "ratelimit": {"BACKEND": REDIS, "LOCATION": redis_url, "KEY_PREFIX": "ratelimit", "OPTIONS": options},
    }


_last_warning = 0.0


def _unavailable(exc: Exception) -> None:
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= _WARN_EVERY_SECONDS:
        _last_warning = now
        log.warning("Redis unavailable (%s: %s); serving without the shared cache", type(exc).__name__, exc)


def _or(fallback):
    """The cache method, or ``fallback(*args, **kwargs)`` when Redis cannot be reached."""

    def decorate(method):
        @wraps(method)
        def guarded(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except (OSError, _redis_errors()) as exc:
                _unavailable(exc)
                return fallback(*args, **kwargs)

        return guarded

    return decorate


def _redis_errors():
    import redis

    return redis.exceptions.RedisError


def _missing_key(key, *args, **kwargs):
    # django-ratelimit and Django read a ValueError from incr() as "no such key": nothing counted.
    raise ValueError(f"{key!r} is not in the cache (Redis unavailable)")


class ResilientRedisCache(RedisCache):
    """Django's RedisCache that degrades to a cache miss when Redis is unreachable."""

    get = _or(lambda key, default=None, version=None: default)(RedisCache.get)
    get_many = _or(lambda keys, version=None: {})(RedisCache.get_many)
    has_key = _or(lambda key, version=None: False)(RedisCache.has_key)
    add = _or(lambda *args, **kwargs: False)(RedisCache.add)
    set = _or(lambda *args, **kwargs: None)(RedisCache.set)
    set_many = _or(lambda data, *args, **kwargs: list(data))(RedisCache.set_many)
    touch = _or(lambda *args, **kwargs: False)(RedisCache.touch)
    delete = _or(lambda *args, **kwargs: False)(RedisCache.delete)
    delete_many = _or(lambda *args, **kwargs: None)(RedisCache.delete_many)
    incr = _or(_missing_key)(RedisCache.incr)
    clear = _or(lambda *args, **kwargs: False)(RedisCache.clear)
