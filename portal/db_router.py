"""Reads of the public pages and the API on streaming replicas; everything else on the primary.

Enabled by ``DATABASE_REPLICA_URLS`` (aliases ``replica1``..``replicaN``, ``portal/database.py``);
without it settings install neither the router nor the middleware. See docs/scaling.md.

Replica reads are opted into by a request, never by default: ``ReplicaReadsMiddleware`` lets a GET,
HEAD or OPTIONS request outside the admin read the catalogue (the ``trials`` app) from one replica,
chosen at random for the whole request, so its queries see one server's state (the catalogue's
version and the facet counts keyed by it come from the same place). Everything else reads the primary:

- commands, the background worker, the shell and migrations (no request: nothing opted in);
- the admin and every POST, PUT, PATCH, DELETE (curation, imports, logins);
- users, sessions, login throttling and tasks, whichever the request (only ``trials`` is replicated
  reading; a session written at login must be found at once);
- reads inside ``transaction.atomic`` (they belong to the primary's transaction);
- the rest of a request once it has written, and, for ``REPLICA_PIN_SECONDS`` after it, every request
  from the same browser (a cookie): a curator who saves a trial then opens its public page reads
  the primary, not a replica that has not replayed the save yet (read-your-writes).

Lag seen by anyone else is the replica's replay delay (milliseconds on a LAN): a visitor may see a
trial as it was that long ago, never a mix, and facet counts cached under the catalogue's version are
never older than the results beside them (trials.search_index).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, transaction
from django.http import FileResponse
from django.urls import reverse

# Apps whose reads may go to a replica: the public catalogue, nothing with per-user state.
REPLICA_APPS = frozenset({"trials"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PIN_COOKIE = "read_primary"


@dataclass
class RequestReads:
    """Where the current request reads the catalogue, and whether it has written."""

    alias: str
    wrote: bool = False


_request_reads: ContextVar[RequestReads | None] = ContextVar("request_reads", default=None)


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias != DEFAULT_DB_ALIAS]


class ReplicaRouter:
    def db_for_read(self, model, **hints) -> str:
        reads = _request_reads.get()
        if reads is None or model._meta.app_label not in REPLICA_APPS:
            return DEFAULT_DB_ALIAS
        if transaction.get_connection(DEFAULT_DB_ALIAS).in_atomic_block:
            return DEFAULT_DB_ALIAS
        return reads.alias

    def db_for_write(self, model, **hints) -> str:
        # Django asks before writing (and before select_for_update, get_or_create): from here on the
        # request reads what it wrote, and so does the browser's next request (the pin cookie).
        reads = _request_reads.get()
        if reads is not None:
            reads.alias = DEFAULT_DB_ALIAS
            reads.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # every alias holds the same rows

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS  # replicas replay the primary's schema; they cannot be written


class ReplicaReadsMiddleware:
    """Chooses where each request reads (see the module's docstring); first in ``MIDDLEWARE``, so that
    a session saved on the way out counts as a write."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.replicas = replica_aliases()
        self._admin_prefix: str | None = None

    def __call__(self, request):
        reads = RequestReads(self._read_alias(request))
        token = _request_reads.set(reads)
        try:
            response = self.get_response(request)
        finally:
            _request_reads.reset(token)
        # Exports stream after the view has returned: their queries read where the view did. (Files,
        # static ones included, read no database and keep their server's sendfile.)
        if response.streaming and not isinstance(response, FileResponse) and reads.alias != DEFAULT_DB_ALIAS:
            response.streaming_content = _reading(reads, response.streaming_content)
        if reads.wrote:
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=settings.REPLICA_PIN_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response

    def _read_alias(self, request) -> str:
        if self._admin_prefix is None:
            self._admin_prefix = reverse("admin:index")
        if (
            request.method not in SAFE_METHODS
            or request.path.startswith(self._admin_prefix)
            or PIN_COOKIE in request.COOKIES
        ):
            return DEFAULT_DB_ALIAS
        return random.choice(self.replicas)


_END = object()


def _reading(reads: RequestReads, chunks: Iterable) -> Iterator:
    """``chunks``, each produced while ``reads`` is the request's (a generator cannot keep a context
    variable set across its yields without leaking it to the server's code between chunks)."""
    iterator = iter(chunks)
    while True:
        token = _request_reads.set(reads)
        try:
            chunk = next(iterator, _END)
        finally:
            _request_reads.reset(token)
        if chunk is _END:
            return
        yield chunk
