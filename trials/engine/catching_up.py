"""A snapshot that is behind the catalogue, caught up by reading only the trials that changed.

Each move of the catalogue's version notes which trials it was about (``CatalogueChange``). When
the version has moved on since a process read its snapshot, the trials of those moves (updated,
created or deleted) are read again into a small snapshot of their own (``load(alias, ids)``: well
under a second for a thousand trials), and a search is answered by both: the old snapshot with
those trials left out, and the small one. Counts add up by value; a page is the first rows of
each, merged by their sort keys. So a change is searchable in memory at once, while the whole
snapshot is read again in the background only when the changes have grown large.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from django.db import connections

from trials.engine.counting import Search, top_of
from trials.engine.snapshot import Snapshot
from trials.filters import TrialFilterSet


def changed_since(alias: str, version: int, current: int) -> list[int] | None:
    """The trials the moves of the version after ``version`` up to ``current`` were about; None
    when not known (a move about no known set of trials, or moves no longer noted)."""
    with connections[alias].cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE trial_ids IS NULL), "
            "ARRAY(SELECT DISTINCT unnest(trial_ids) FROM trials_cataloguechange WHERE version > %s AND version <= %s "
            "ORDER BY 1) FROM trials_cataloguechange WHERE version > %s AND version <= %s",
            [version, current, version, current],
        )
        moves, unknown, trial_ids = cursor.fetchone()
    return trial_ids if moves == current - version and not unknown else None


class CatchingUp:
    """``Search``'s interface over an older snapshot and the changed trials read again."""

    def __init__(self, older: Snapshot, changed: np.ndarray, recent: Snapshot, filterset: TrialFilterSet):
        self.filterset = filterset
        self.older = Search(older, filterset, changed=older.rows_of(changed))
        self.recent = Search(recent, filterset)

    def matching(self, excluded: str = "") -> tuple[np.ndarray, np.ndarray]:
        return self.older.matching(excluded), self.recent.matching(excluded)

    def count(self, masks: tuple[np.ndarray, np.ndarray]) -> int:
        return self.older.count(masks[0]) + self.recent.count(masks[1])

    def top(self, name: str, masks, selected: Iterable[str], limit: int, candidates=None):
        parts = zip((self.older, self.recent), masks, strict=True)
        older, recent = (part.counts(name, mask, candidates) for part, mask in parts)
        values, counts = _added(older, recent)
        return top_of(values, counts, selected, limit, candidates)

    def page(self, sort: str, offset: int, limit: int) -> list[int]:
        """The page of both parts merged. The recent part's rows (up to the page's end) are few, so
        the older part's rows before ``offset`` less their number come before the page whatever
        their place among them: only the older rows from there on are merged (a deep page sorts
        ``limit`` plus the recent rows, not the whole catalogue)."""
        recent_rows, recent_keys = self.recent.ranked(sort, offset + limit)
        skipped = max(0, offset - len(recent_rows))
        older_rows, older_keys = self.older.ranked(sort, offset + limit, start=skipped)
        ids = np.concatenate([self.older.snapshot.ids[older_rows], self.recent.snapshot.ids[recent_rows]])
        levels = [np.concatenate(keys) for keys in zip(older_keys, recent_keys, strict=True)]
        order = np.lexsort((ids, *reversed(levels)))  # the last key given is the most significant
        start = offset - skipped
        return ids[order][start : start + limit].tolist()


def _added(older: tuple[list[str], np.ndarray], recent: tuple[list[str], np.ndarray]):
    """Counts by value of both parts. A value only the recent part has is put in its place in the
    values' order (their text's code points; the snapshot's own order is the database's)."""
    values, counts = older
    index = {value: code for code, value in enumerate(values)}
    new = sorted(value for value in recent[0] if value not in index)
    if new:
        values = sorted([*values, *new])
        counts = np.zeros(len(values), dtype=np.int64)
        places = {value: code for code, value in enumerate(values)}
        counts[[places[value] for value in older[0]]] = older[1]
        index = places
    else:
        counts = counts.astype(np.int64, copy=True)
    if len(recent[0]):
        counts[[index[value] for value in recent[0]]] += recent[1]
    return values, counts
