"""Facet counts and result pages over a ``Snapshot``, the same numbers ``trials.facets`` counts in SQL.

A search's selections on facet dimensions become boolean row masks (a value's trials are one
slice of its column's entries); what the arrays do not hold (the search words, ``near``, an age
in years) is asked of PostgreSQL once as the set of matching trial ids. A dimension's counts then
apply every selection but its own, as in SQL, with one ``bincount`` over its entries.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property

import numpy as np

from trials.engine.snapshot import MULTI, SINGLE, Snapshot
from trials.filters import ACCEPTED_SEXES, TrialFilterSet, url_value
from trials.models import Trial

IN_MEMORY = frozenset(MULTI) | frozenset(SINGLE)
TREE_LIMIT = 1000  # as trials.facets asks SQL for a tree's candidates
_NO_FILTER = frozenset({"sort", "expand", "radius_km"})


class Search:
    """One search over one snapshot: its masks, built on first use and shared by every count and page."""

    def __init__(self, snapshot: Snapshot, filterset: TrialFilterSet):
        self.snapshot = snapshot
        self.filterset = filterset

    @cached_property
    def _masks(self) -> dict[str, np.ndarray]:
        return {name: self._mask(name, values) for name, values in self._in_memory().items()}

    @cached_property
    def _residual(self) -> np.ndarray | None:
        return self._residual_mask()

    def matching(self, excluded: str = "") -> np.ndarray:
        """Row mask of the trials matching every selection except ``excluded``'s."""
        mask = self._residual.copy() if self._residual is not None else np.ones(self.snapshot.size, dtype=bool)
        for name, own in self._masks.items():
            if name != excluded:
                mask &= own
        return mask

    def counts(self, name: str, mask: np.ndarray) -> tuple[list[str], np.ndarray]:
        """One dimension's values (in SQL's order of their text) and how many matching trials
        have each."""
        if name in MULTI:
            column = self.snapshot.multi[name]
            return column.values, np.bincount(column.codes[mask[column.rows]], minlength=len(column.values))
        column = self.snapshot.single[name]
        per_code = np.bincount(column.codes[mask] + 1, minlength=len(column.values) + 1)[1:]
        if name != "sex":
            return column.values, per_code
        # "Accepts women" counts trials for women and trials for all: FEMALE, MALE in that order.
        by_value = dict(zip(column.values, per_code.tolist(), strict=True))
        sexes = sorted(ACCEPTED_SEXES)
        return sexes, np.array([sum(by_value.get(v, 0) for v in ACCEPTED_SEXES[sex]) for sex in sexes])

    def top(self, name: str, mask: np.ndarray, selected: Iterable[str], limit: int, candidates=None):
        """(value, count, pinned) as SQL lists them: selected values first, then the largest
        counts, ties in the order of the values' text; only values with a count; a tree's only
        among ``candidates``; at most ``limit``."""
        values, counts = self.counts(name, mask)
        index = {value: code for code, value in enumerate(values)}
        chosen = {index[value] for value in selected if value in index}
        if candidates is not None:
            codes = np.array(sorted(index[v] for v in candidates if v in index), dtype=np.int64)
            codes = codes[counts[codes] > 0] if len(codes) else codes
        else:
            codes = np.flatnonzero(counts)
        pinned = [code for code in codes.tolist() if code in chosen]
        rest = codes[~np.isin(codes, pinned)] if pinned else codes
        room = max(limit - len(pinned), 0)
        if len(rest) > room:
            # Only values at or above the room-th largest count can be listed.
            kth = np.partition(counts[rest], len(rest) - room)[len(rest) - room] if room else np.inf
            rest = rest[counts[rest] >= kth]
        rest = rest[np.lexsort((rest, -counts[rest]))][:room]
        pinned.sort(key=lambda code: (-counts[code], code))
        return [(values[code], int(counts[code]), code in chosen) for code in [*pinned, *rest.tolist()]]

    def page(self, sort: str, offset: int, limit: int) -> list[int]:
        """Trial ids of one page in ``sort`` order (a sort of ``SORTS``)."""
        order = self.snapshot.orders[sort]
        mask = self.matching()
        rows = order[mask[order]][offset : offset + limit]
        return self.snapshot.ids[rows].tolist()

    def _in_memory(self) -> dict[str, list[str]]:
        values = {}
        for name, selected in self.filterset.values.items():
            if name in IN_MEMORY and not (name == "age" and any(isinstance(v, float) for v in selected)):
                values[name] = [url_value(v) for v in selected]
        return values

    def _mask(self, name: str, values: list[str]) -> np.ndarray:
        mask = np.zeros(self.snapshot.size, dtype=bool)
        if name in MULTI:
            column = self.snapshot.multi[name]
            for value in values:
                code = column.code(value)
                if code is not None:
                    mask[column.rows_with(code)] = True
            return mask
        column = self.snapshot.single[name]
        if name == "sex":
            values = [accepted for value in values for accepted in ACCEPTED_SEXES.get(value, ())]
        wanted = np.zeros(len(column.values) + 1, dtype=bool)  # by code + 1: -1 (none) is never wanted
        wanted[[code + 1 for code in map(column.code, values) if code is not None]] = True
        return wanted[column.codes + 1]

    def _residual_mask(self) -> np.ndarray | None:
        """The selections the arrays do not hold, asked of PostgreSQL as one set of trial ids."""
        handled = set(self._masks) | _NO_FILTER
        if all(name in handled for name in self.filterset.values) and self.filterset.origin is None:
            return None
        trials = self.filterset.filter_queryset(Trial.objects.all(), exclude=handled)
        ids = list(trials.order_by().values_list("id", flat=True))
        mask = np.zeros(self.snapshot.size, dtype=bool)
        mask[self.snapshot.rows_of(ids)] = True
        return mask
