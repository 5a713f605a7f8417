"""Whole answers of the public search, kept in the cache under the catalogue's version.

The search page's HTML and the API's JSON depend on nothing but the query string, the host (the
API's links are absolute), the day (dates are told relative to today) and the catalogue, whose
version moves on with every change (``trials.search_index``). So an answer is kept under all
of them, and the same search asked again, by anyone, is one query (the version) and one cache
read. A request with a session cookie (a curator signed in) is never served from it or stored.
Rate limits still count every request: they run before the view.
"""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from trials.search_index import catalogue_version


def answer_key(request, kind: str) -> str | None:
    """The cache key of this request's answer, or None when it must be answered afresh."""
    if settings.PAGE_CACHE_SECONDS <= 0 or settings.SESSION_COOKIE_NAME in request.COOKIES:
        return None
    query = sorted((name, value) for name in request.GET for value in request.GET.getlist(name))
    about = [kind, request.get_host(), request.path, query, timezone.localdate().isoformat()]
    digest = hashlib.sha256(json.dumps(about).encode()).hexdigest()
    return f"answer:{catalogue_version()}:{digest}"


def kept(key: str | None):
    return cache.get(key) if key else None


def keep(key: str | None, answer) -> None:
    if key:
        cache.set(key, answer, settings.PAGE_CACHE_SECONDS)
