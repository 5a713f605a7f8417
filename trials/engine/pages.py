"""A search's result list for the paginator: one page's trial ids, then those trials in one query
(``trials.result_rows``).

The in-memory ``Search`` gives the page's ids in any order the page offers: a column (newest
update, start date, enrollment), distance, or relevance (``trials.search_query``'s score).
"""

from __future__ import annotations

from trials.engine.counting import Search
from trials.result_rows import result_trials_by_id


class EngineResults:
    """Sliced by the paginator: one page's trial ids in order, then those trials in one query
    on the database ``using``."""

    def __init__(self, search: Search, sort: str, using: str):
        self.search, self.sort, self.using = search, sort, using

    def __getitem__(self, window: slice) -> list:
        start = window.start or 0
        ids = self.search.page(self.sort, start, (window.stop or 0) - start)
        by_id = {trial.pk: trial for trial in result_trials_by_id(ids, self.using)}
        return [by_id[pk] for pk in ids if pk in by_id]


def engine_results(search: Search | None, sort: str, using: str) -> EngineResults | None:
    """The result list of a search the in-memory engine holds, or None (the SQL path)."""
    return EngineResults(search, sort, using) if search is not None else None
