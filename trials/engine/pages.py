"""A search's result list for the paginator: one page's trial ids, then those trials in one query.

Sorted by a column (newest update, start date, enrollment) or by distance the in-memory
``Search`` gives the ids. Sorted by relevance, PostgreSQL ranks them (``ts_rank``) and
the page's ids are kept in the cache under the catalogue's version, so the same page asked again
(the next visitor, the back button) costs one query for its trials instead of ranking again.
"""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet

from trials.engine.counting import Search
from trials.engine.snapshot import SORTS


class EngineResults:
    """Sliced by the paginator: one page's trial ids in order, then those trials in one query
    (with what ``queryset`` prefetches)."""

    def __init__(self, search: Search, sort: str, queryset: QuerySet):
        self.search, self.sort, self.queryset = search, sort, queryset

    def __getitem__(self, window: slice) -> list:
        start = window.start or 0
        return self._trials(self._ids(start, (window.stop or 0) - start))

    def _ids(self, offset: int, limit: int) -> list[int]:
        return self.search.page(self.sort, offset, limit)

    def _trials(self, ids: list[int]) -> list:
        by_id = {trial.pk: trial for trial in self.queryset.filter(pk__in=ids)}
        return [by_id[pk] for pk in ids if pk in by_id]


class RankedResults(EngineResults):
    """Ordered by PostgreSQL (relevance); the page's ids cached under the version."""

    def _ids(self, offset: int, limit: int) -> list[int]:
        from trials.search_results import ordered  # the ordering the SQL path uses, exactly

        filterset = self.search.filterset
        search = {name: values for name, values in filterset.params().items() if name != "expand"}
        digest = hashlib.sha256(json.dumps([search, offset, limit], sort_keys=True).encode()).hexdigest()
        key = f"page:{self.search.snapshot.version}:{digest}"
        ids = cache.get(key)
        if ids is None:
            trials = ordered(filterset, filterset.filter_queryset(self.queryset))
            ids = list(trials.values_list("pk", flat=True)[offset : offset + limit])
            cache.set(key, ids, settings.FACET_CACHE_SECONDS)
        return ids


def engine_results(search: Search | None, sort: str, queryset: QuerySet) -> EngineResults | None:
    """The result list of a search the in-memory engine holds, or None (the SQL path)."""
    if search is None:
        return None
    return (EngineResults if sort in SORTS or sort == "distance" else RankedResults)(search, sort, queryset)
