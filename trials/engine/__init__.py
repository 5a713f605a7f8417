"""The search engine behind facet counts and result pages: one small interface, two engines.

``engine(filterset)`` gives a ``Search`` over the in-memory snapshot of the catalogue (facet
columns, sort orders, site coordinates, the search vectors' postings)
(``trials.engine.counting``) when it can answer this search, or None; callers then run the
PostgreSQL queries, which are always correct (the fallback, and the reference the tests compare
with). It answers when settings.SEARCH_ENGINE is "memory", the snapshot is of the catalogue's
current version (``trials.search_index.catalogue_version``), and the search is one it holds
(all of them, but one with an age in years).

The snapshot is per process. When the catalogue's version moves on (an import, a curator's
edit), the trials changed since are read again and searched beside the older snapshot
(``trials.engine.catching_up``), so a change is searchable in memory at once. When the changes
are not known (a vocabulary edit, a bulk load) or grow large, the whole snapshot is read again in
a background thread; PostgreSQL answers until it is in place when nothing can catch up. Once
loaded, the thread counts the empty search into the facet cache (the page most visitors open).
A web process gets its snapshot as it starts (``warm_up``, from ``portal.warm_up``): mapped from
the node's stored copy when one is usable, else read in the background from then on. A bulk load
stores the new one as it ends (``store_snapshot``), so the processes map it rather than read it.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from functools import partial

import numpy as np
from django.conf import settings
from django.db import connections, router

from trials.engine.catching_up import CatchingUp, changed_since
from trials.engine.counting import Search
from trials.engine.snapshot import Snapshot, load
from trials.engine.stored import stored_if_ready, stored_or_read
from trials.filters import TrialFilterSet
from trials.models import Trial
from trials.search_index import catalogue_version
from trials.search_query import UnreadableQuery, websearch

log = logging.getLogger(__name__)


@dataclass
class _CaughtUp:
    """An older snapshot, the trials changed since, and those trials read again at ``version``."""

    version: int
    older: Snapshot
    changed: np.ndarray
    recent: Snapshot


class _Holder:
    """The process's snapshot, swapped whole when a newer one has loaded, and what caught it up."""

    def __init__(self):
        self.snapshot: Snapshot | None = None
        self.caught_up: _CaughtUp | None = None
        self._loading = False
        self._lock = threading.Lock()
        self._catching_up = threading.Lock()

    def current(self, version: int, alias: str) -> Snapshot | _CaughtUp | None:
        snapshot = self.snapshot
        if snapshot is not None and snapshot.version == version and snapshot.alias == alias:
            return snapshot
        if snapshot is not None and snapshot.alias == alias and snapshot.version < version:
            caught_up = self._catch_up(snapshot, version)
            if caught_up is not None:
                if len(caught_up.changed) > _reread_from(snapshot) and settings.SEARCH_ENGINE_BACKGROUND:
                    self._start_loading(alias)
                return caught_up
        if not settings.SEARCH_ENGINE_BACKGROUND:
            self.snapshot = stored_or_read(alias, partial(_usable, alias))
            if self.snapshot.version == version:
                return self.snapshot
            return self._catch_up(self.snapshot, version) if self.snapshot.version < version else None
        self._start_loading(alias)
        return None

    def warm_up(self, alias: str) -> None:
        """A stored snapshot mapped now if one is usable, else (in production) its read begun."""
        if self.snapshot is not None:
            return
        started = time.monotonic()
        snapshot = stored_if_ready(alias, partial(_usable, alias))
        if snapshot is not None:
            self.snapshot = snapshot
            _log_loaded(snapshot, started)
            _count_the_empty_search(snapshot)
        elif settings.SEARCH_ENGINE_BACKGROUND:
            self._start_loading(alias)

    def _catch_up(self, snapshot: Snapshot, version: int) -> _CaughtUp | None:
        """The trials changed since ``snapshot`` read again (once per version, under a lock: the
        other requests wait the fraction of a second rather than go to PostgreSQL), or None
        when they are not known or too many."""
        with self._catching_up:
            caught_up = self.caught_up
            if caught_up is not None and caught_up.older is snapshot and caught_up.version == version:
                return caught_up
            changed = changed_since(snapshot.alias, snapshot.version, version)
            if changed is None or len(changed) > _catch_up_at_most(snapshot):
                return None
            started = time.monotonic()
            self.caught_up = _CaughtUp(
                version, snapshot, np.array(changed, dtype=np.int64), load(snapshot.alias, changed)
            )
            log.info(
                "search snapshot v%s caught up to v%s: %s changed trials read in %.2f s",
                snapshot.version,
                version,
                len(changed),
                time.monotonic() - started,
            )
            return self.caught_up

    def _start_loading(self, alias: str) -> None:
        with self._lock:
            if self._loading:
                return
            self._loading = True
        threading.Thread(target=self._load, args=(alias,), name="search-snapshot", daemon=True).start()

    def _load(self, alias: str) -> None:
        try:
            started = time.monotonic()
            self.snapshot = stored_or_read(alias, partial(_usable, alias))
            _log_loaded(self.snapshot, started)
            _count_the_empty_search(self.snapshot)
        except Exception:
            log.exception("search snapshot failed to load; searches stay on PostgreSQL")
        finally:
            connections[alias].close()  # this thread's own connection
            self._loading = False

    def forget(self) -> None:
        self.snapshot = None
        self.caught_up = None


def _log_loaded(snapshot: Snapshot, started: float) -> None:
    log.info(
        "search snapshot v%s: %s trials, %.0f MB of arrays, loaded in %.1f s",
        snapshot.version,
        snapshot.size,
        snapshot.nbytes() / 1e6,
        time.monotonic() - started,
    )


def _catch_up_at_most(snapshot: Snapshot) -> int:
    """Changed trials beyond which a snapshot is read again whole, PostgreSQL answering meanwhile."""
    return max(2_000, snapshot.size // 20)


def _reread_from(snapshot: Snapshot | int) -> int:
    """Changed trials from which the whole snapshot is read again in the background (meanwhile
    the catching up answers): at 600,000 trials, about three days of the registry's changes."""
    size = snapshot if isinstance(snapshot, int) else snapshot.size
    return max(1_000, size // 200)


def _usable(alias: str, version: int, size: int) -> bool:
    """Whether a stored snapshot of ``version`` (``trials.engine.stored``) will do: the catalogue's
    version, or an older one with few enough known changes to catch up."""
    current = catalogue_version()
    if version >= current:
        return version == current
    changed = changed_since(alias, version, current)
    return changed is not None and len(changed) <= _reread_from(size)


_holder = _Holder()


def _count_the_empty_search(snapshot: Snapshot) -> None:
    """Counts of the search with nothing chosen, put in the facet cache at once: it is the first
    page most visitors see, and the broadest count there is."""
    from trials.facets import count_facets

    if catalogue_version() == snapshot.version:
        count_facets(TrialFilterSet({}))


def engine(filterset: TrialFilterSet, version: int) -> Search | CatchingUp | None:
    """The in-memory search for ``filterset`` at catalogue ``version``, or None (use PostgreSQL)."""
    if settings.SEARCH_ENGINE != "memory" or not _supported(filterset):
        return None
    current = _holder.current(version, router.db_for_read(Trial))
    if isinstance(current, _CaughtUp):
        return CatchingUp(current.older, current.changed, current.recent, filterset)
    return Search(current, filterset) if current is not None else None


def warm_up() -> None:
    """At a web process's start: its snapshot mapped from the stored one (0.3-0.4 s at 600,000
    trials) when there is one to use, else its read from PostgreSQL begun in the background.
    Without it the process's first searches are PostgreSQL's, and its first empty search counts
    the whole catalogue in SQL (6.4 s at 600,000 trials)."""
    if settings.SEARCH_ENGINE == "memory":
        _holder.warm_up(router.db_for_read(Trial))


def store_snapshot() -> Snapshot | None:
    """After a load too large for the web processes to catch up with (``import_trials --bulk``):
    the catalogue's snapshot read and stored for them (``stored.stored_or_read``; one a web process
    stored meanwhile is used as it is), so they map it in a second. Else each would find no
    usable stored one and PostgreSQL would answer its searches while it reads one (about six
    minutes at 600,000 trials). None where nothing maps stored snapshots (the postgresql engine,
    no ``SEARCH_SNAPSHOT_DIR``)."""
    if settings.SEARCH_ENGINE != "memory" or not settings.SEARCH_SNAPSHOT_DIR:
        return None
    alias = router.db_for_read(Trial)
    return stored_or_read(alias, partial(_usable, alias))


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
