"""The search engine behind facet counts and result pages: one small interface, two engines.

``engine(filterset)`` gives a ``Search`` over the in-memory snapshot of the catalogue (facet
columns, sort orders, site coordinates, the search vectors' postings)
(``trials.engine.counting``) when it can answer this search, or None; callers then run the
PostgreSQL queries, which are always correct (the fallback, and the reference the tests compare
with). It answers when settings.SEARCH_ENGINE is "memory", the snapshot is of the catalogue's
current version (``trials.search_index.catalogue_version``), and the search is one it holds
(all of them, but one with an age in years).

The snapshot is per process. When the catalogue's version moves on (an import, a curator's
edit), the next search starts a reload in a background thread and is answered by PostgreSQL
until the new snapshot is in place, so a change is searchable at once, just not yet fast. Once
loaded, the thread counts the empty search into the facet cache (the page most visitors open).
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.db import connections, router

from trials.engine.counting import Search
from trials.engine.snapshot import Snapshot, load
from trials.filters import TrialFilterSet
from trials.models import Trial
from trials.search_query import UnreadableQuery, websearch

log = logging.getLogger(__name__)


class _Holder:
    """The process's snapshot, swapped whole when a newer one has loaded."""

    def __init__(self):
        self.snapshot: Snapshot | None = None
        self._loading = False
        self._lock = threading.Lock()

    def current(self, version: int, alias: str) -> Snapshot | None:
        snapshot = self.snapshot
        if snapshot is not None and snapshot.version == version and snapshot.alias == alias:
            return snapshot
        if not settings.SEARCH_ENGINE_BACKGROUND:
            self.snapshot = load(alias)
            return self.snapshot if self.snapshot.version == version else None
        with self._lock:
            if self._loading:
                return None
            self._loading = True
        threading.Thread(target=self._load, args=(alias,), name="search-snapshot", daemon=True).start()
        return None

    def _load(self, alias: str) -> None:
        try:
            started = time.monotonic()
            self.snapshot = load(alias)
            log.info(
                "search snapshot v%s: %s trials, %.0f MB of arrays, loaded in %.1f s",
                self.snapshot.version,
                self.snapshot.size,
                self.snapshot.nbytes() / 1e6,
                time.monotonic() - started,
            )
            _count_the_empty_search(self.snapshot)
        except Exception:
            log.exception("search snapshot failed to load; searches stay on PostgreSQL")
        finally:
            connections[alias].close()  # this thread's own connection
            self._loading = False

    def forget(self) -> None:
        self.snapshot = None


_holder = _Holder()


def _count_the_empty_search(snapshot: Snapshot) -> None:
    """Counts of the search with nothing chosen, put in the facet cache at once: it is the first
    page most visitors see, and the broadest count there is."""
    from trials.facets import count_facets
    from trials.search_index import catalogue_version

    if catalogue_version() == snapshot.version:
        count_facets(TrialFilterSet({}))


def engine(filterset: TrialFilterSet, version: int) -> Search | None:
    """The in-memory search for ``filterset`` at catalogue ``version``, or None (use PostgreSQL)."""
    if settings.SEARCH_ENGINE != "memory" or not _supported(filterset):
        return None
    snapshot = _holder.current(version, router.db_for_read(Trial))
    return Search(snapshot, filterset) if snapshot is not None else None


def forget() -> None:
    """Drop the process's snapshot (tests: a rolled-back transaction never moves the version on)."""
    _holder.forget()


def _supported(filterset: TrialFilterSet) -> bool:
    # An age in years is asked of PostgreSQL, yet the age facet must count without its own
    # selection: such a search stays on PostgreSQL whole. So does a query whose tsquery
    # ``trials.search_query`` cannot read (websearch_to_tsquery makes none such).
    if any(isinstance(value, float) for value in filterset.selected("age")):
        return False
    if filterset.text:
        try:
            websearch(filterset.text)
        except UnreadableQuery:
            return False
    return True
