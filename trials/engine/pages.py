"""A search's result list for the paginator, its page's ids from the in-memory ``Search``."""

from __future__ import annotations

from django.db.models import QuerySet

from trials.engine.counting import Search
from trials.engine.snapshot import SORTS


class EngineResults:
    """Sliced by the paginator: one page's trial ids in order, then those trials in one query
    (with what ``queryset`` prefetches)."""

    def __init__(self, search: Search, sort: str, queryset: QuerySet):
        self.search, self.sort, self.queryset = search, sort, queryset

    def __getitem__(self, window: slice) -> list:
        ids = self.search.page(self.sort, window.start or 0, (window.stop or 0) - (window.start or 0))
        by_id = {trial.pk: trial for trial in self.queryset.filter(pk__in=ids)}
        return [by_id[pk] for pk in ids if pk in by_id]


def engine_results(search: Search | None, sort: str, queryset: QuerySet) -> EngineResults | None:
    """The list when the in-memory search can order it (not by relevance or distance)."""
    return EngineResults(search, sort, queryset) if search is not None and sort in SORTS else None
