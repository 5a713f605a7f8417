"""Facet counts and result pages over a ``Snapshot``, the same numbers ``trials.facets`` counts in SQL.

A search's selections on facet dimensions become boolean row masks (a value's trials are one
slice of its column's entries), and so do ``near`` (the sites within the radius, by the same
bounding box and haversine formula as ``trials.near``) and the search words (the query PostgreSQL
makes of them, evaluated over the snapshot's postings, ``trials.engine.text``; a phrase's
positions are asked of PostgreSQL for the trials holding all its words). A dimension's counts
then apply every selection but its own, as in SQL, with one ``bincount`` over its entries.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from functools import cached_property

import numpy as np
from django.db import connections

from trials.engine.snapshot import MULTI, SINGLE, SingleColumn, Snapshot
from trials.filters import ACCEPTED_SEXES, TrialFilterSet, url_value
from trials.near import EARTH_RADIUS_KM, bounding_box
from trials.search_query import Node, to_text, websearch

IN_MEMORY = frozenset(MULTI) | frozenset(SINGLE)
FEW_ROWS = 0.3  # a mask matching fewer than this share of the rows may be counted through its rows


def by_rows(column, rows: int, codes: list[int] | None) -> bool:
    """Whether counting a column through the matching rows' own entries is cheaper than through
    the entries of every value counted (``codes``, or all). Costs in nanoseconds, measured at
    600,000 trials (``benchmarks/README.md``): through the rows, 6 a row and 5 an entry of theirs,
    12 once their entries pass 150,000 (the gathered arrays leave the caches: a search of 32,000
    trials reads 310,000 condition entries); through the values, 1.5 an entry and 1 microsecond a
    value (one sequential ``np.take`` over the mask)."""
    single = isinstance(column, SingleColumn)  # one entry a row with a value
    total, size = (len(column.by_value), len(column.codes)) if single else (len(column.codes), column.size)
    row_entries = rows * total / max(size, 1)
    if codes is None:
        entries, values = total, len(column.values)
    else:
        entries, values = sum(int(column.starts[c + 1] - column.starts[c]) for c in codes), len(codes)
    per_entry = 5 if row_entries < 150_000 else 12
    return 6 * rows + per_entry * row_entries < 1.5 * entries + 1000 * values


class Search:
    """One search over one snapshot: its masks, built on first use and shared by every count and page."""

    def __init__(self, snapshot: Snapshot, filterset: TrialFilterSet, changed: np.ndarray | None = None):
        """``changed``: rows of trials that changed since the snapshot (``trials.engine.catching_up``
        reads them again); they match nothing here."""
        self.snapshot = snapshot
        self.filterset = filterset
        self._mask_rows: dict[int, tuple[np.ndarray, np.ndarray | None]] = {}  # id(mask) -> (mask, rows)
        self._histograms: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # id(mask) -> (mask, its combinations')
        self._changed = changed
        if changed is not None:
            self.alive = np.ones(snapshot.size, dtype=bool)
            self.alive[changed] = False
            # The changed rows as a mask of their own, its rows known: every row's counts less theirs.
            self._gone = ~self.alive
            self._mask_rows[id(self._gone)] = (self._gone, np.unique(changed))
        else:
            self.alive = snapshot.every_row

    @cached_property
    def _masks(self) -> dict[str, np.ndarray]:
        return {name: self._mask(name, values) for name, values in self._in_memory().items()}

    @cached_property
    def _residual(self) -> np.ndarray | None:
        return self._residual_mask()

    def matching(self, excluded: str = "") -> np.ndarray:
        """Row mask of the trials matching every selection except ``excluded``'s (the snapshot's
        shared, read-only ``every_row`` when nothing else is selected)."""
        others = [own for name, own in self._masks.items() if name != excluded]
        if self._residual is None and not others:
            return self.alive
        mask = self._residual.copy() if self._residual is not None else self.alive.copy()
        for own in others:
            mask &= own
        if self._residual is not None and self._changed is not None:
            mask[self._changed] = False
        return mask

    def count(self, mask: np.ndarray) -> int:
        return int(np.count_nonzero(mask))

    def counts(self, name: str, mask: np.ndarray, only: Iterable[str] | None = None) -> tuple[list[str], np.ndarray]:
        """One dimension's values (in SQL's order of their text) and how many matching trials
        have each (when ``only`` is given, at least those values'; a tree lists no others);
        over every row, counted once per snapshot (the empty search, a deep page)."""
        if mask is self.alive:
            if name not in self.snapshot.counted:
                self.snapshot.counted[name] = self._count(name, self.snapshot.every_row)
            values, counts = self.snapshot.counted[name]
            if self._changed is None:
                return values, counts
            return values, counts - self._count(name, self._gone)[1]
        return self._count(name, mask, only)

    def _count(self, name: str, mask: np.ndarray, only: Iterable[str] | None = None) -> tuple[list[str], np.ndarray]:
        combinations = self.snapshot.combinations
        if combinations is not None and name in combinations:
            column = self.snapshot.multi[name] if name in MULTI else self.snapshot.single[name]
            return self._values_counted(name, column.values, combinations.counts(name, self._histogram(mask)))
        if name in MULTI:
            column = self.snapshot.multi[name]
            codes = None if only is None else [c for c in map(column.code, only) if c is not None]
            rows = self._rows(mask)
            if rows is not None and by_rows(column, len(rows), codes):  # the matching rows' own entries
                return column.values, np.bincount(column.codes_of(rows), minlength=len(column.values))
            # Each value's entries, kept or not by their rows (np.take: the fastest gather).
            counts = np.zeros(len(column.values), dtype=np.int64)
            if codes is not None:
                for code in codes:
                    counts[code] = np.count_nonzero(np.take(mask, column.rows_with(code)))
            else:
                kept, starts = np.take(mask, column.rows), column.starts.tolist()
                for code in range(len(column.values)):
                    counts[code] = np.count_nonzero(kept[starts[code] : starts[code + 1]])
            return column.values, counts
        column = self.snapshot.single[name]
        rows = self._rows(mask)
        if rows is not None and by_rows(column, len(rows), None):
            per_code = np.bincount(column.codes[rows] + 1, minlength=len(column.values) + 1)[1:]
        else:
            kept, starts = np.take(mask, column.by_value), column.starts.tolist()
            per_code = np.array([np.count_nonzero(kept[starts[c] : starts[c + 1]]) for c in range(len(column.values))])
        return self._values_counted(name, column.values, per_code)

    @staticmethod
    def _values_counted(name: str, values: list[str], per_code: np.ndarray) -> tuple[list[str], np.ndarray]:
        if name != "sex":
            return values, per_code
        # "Accepts women" counts trials for women and trials for all: FEMALE, MALE in that order.
        by_value = dict(zip(values, per_code.tolist(), strict=True))
        sexes = sorted(ACCEPTED_SEXES)
        return sexes, np.array([sum(by_value.get(v, 0) for v in ACCEPTED_SEXES[sex]) for sex in sexes])

    def _histogram(self, mask: np.ndarray) -> np.ndarray:
        """How many matching rows have each combination (``trials.engine.joint``), once a mask."""
        key = id(mask)
        if key not in self._histograms:
            self._histograms[key] = (mask, self.snapshot.combinations.histogram(mask, self._rows(mask)))
        return self._histograms[key][1]

    def _rows(self, mask: np.ndarray) -> np.ndarray | None:
        """The rows of ``mask`` when they are fewer than ``FEW_ROWS`` of all (counting through
        them can then be the cheaper way), else None; found once a mask."""
        key = id(mask)
        if key not in self._mask_rows:
            matched = int(np.count_nonzero(mask))
            self._mask_rows[key] = (mask, np.flatnonzero(mask) if matched < self.snapshot.size * FEW_ROWS else None)
        return self._mask_rows[key][1]

    def top(self, name: str, mask: np.ndarray, selected: Iterable[str], limit: int, candidates=None):
        return top_of(*self.counts(name, mask, candidates), selected, limit, candidates)

    def page(self, sort: str, offset: int, limit: int) -> list[int]:
        """Trial ids of one page in ``sort`` order."""
        rows, _ = self.ranked(sort, offset + limit, start=offset)
        return self.snapshot.ids[rows].tolist()

    def ranked(self, sort: str, count: int, start: int = 0) -> tuple[np.ndarray, list[np.ndarray]]:
        """The matching rows from the ``start``-th to the ``count``-th in ``sort`` order, and their
        keys, most significant first (the id breaks the last ties): a sort of ``SORTS`` (its key);
        ``distance`` (the nearest site, as ``trials.search_results.ordered``); ``relevance`` (minus
        the score of ``trials.search_query``, then the newest update's key, as ``trials.search``)."""
        mask = self.matching()
        if sort == "relevance":
            rows = np.flatnonzero(mask)
            scores = self.snapshot.text.scores(self._query.words, rows).astype(np.int64)
            key = (scores.max(initial=0) - scores) * self.snapshot.size + self.snapshot.update_rank[rows]
            end = min(count, len(rows))
            first = np.argpartition(key, end - 1)[:end] if 0 < end < len(rows) else np.arange(end)
            first = first[np.argsort(key[first])][start:]
            return rows[first], [-scores[first], self.snapshot.keys["last_update"][rows[first]]]
        if sort == "distance":
            rows, nearest = self._nearest
            rows, nearest = rows[mask[rows]], nearest[mask[rows]]
            order = np.lexsort((self.snapshot.ids[rows], nearest))[start:count]
            return rows[order], [nearest[order]]
        if mask is self.snapshot.every_row:  # every trial: the page is a slice of the order
            rows = self.snapshot.orders[sort][start:count]
        else:
            rows = _first_matching(self.snapshot.orders[sort], mask, count)[start:]
        return rows, [self.snapshot.keys[sort][rows]]

    @cached_property
    def _nearest(self) -> tuple[np.ndarray, np.ndarray]:
        """Rows with a site within the radius, and each one's nearest site's distance."""
        sites, distances = self._sites_within()
        rows = self.snapshot.sites.rows[sites]
        order = np.lexsort((distances, rows))
        rows, distances = rows[order], distances[order]
        first = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]]) if len(rows) else np.zeros(0, dtype=np.int64)
        return rows[first], distances[first]

    def _sites_within(self) -> tuple[np.ndarray, np.ndarray]:
        """Indexes of the sites within the radius and their distances: ``trials.near.sites_within``."""
        origin, radius = self.filterset.origin, self.filterset.radius
        sites = self.snapshot.sites
        south, north, west, east = bounding_box(origin, radius)
        start = np.searchsorted(sites.latitude, south, side="left")  # latitude >= south
        stop = np.searchsorted(sites.latitude, north, side="right")  # latitude <= north
        candidates = np.arange(start, stop)
        latitude, longitude = sites.latitude[candidates], sites.longitude[candidates]
        if west is not None:
            inside = (longitude >= west) & (longitude <= east)
            candidates, latitude, longitude = candidates[inside], latitude[inside], longitude[inside]
        half_dlat = np.radians(latitude - origin.latitude) / 2
        half_dlon = np.radians(longitude - origin.longitude) / 2
        chord = np.sin(half_dlat) ** 2 + math.cos(math.radians(origin.latitude)) * np.cos(np.radians(latitude)) * (
            np.sin(half_dlon) ** 2
        )
        distances = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(chord, 1.0)))
        within = distances <= radius
        return candidates[within], distances[within]

    def _in_memory(self) -> dict[str, list[str]]:
        values = {}
        for name, selected in self.filterset.values.items():
            if name in IN_MEMORY:  # an age in years never gets here (trials.engine declines the search)
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
        """``near`` and the search words: the trials with a site within the radius (from the
        snapshot's sites), and those matching the words (asked of PostgreSQL as one set of ids)."""
        mask = None
        if self.filterset.origin is not None:
            mask = np.zeros(self.snapshot.size, dtype=bool)
            mask[self._nearest[0]] = True
        if self.filterset.text:
            words = self.snapshot.text.matching(self._query.tree, self._phrase_rows)
            mask = words if mask is None else mask & words
        return mask

    @cached_property
    def _query(self):
        return websearch(self.filterset.text)

    def _phrase_rows(self, phrase: Node, candidates: np.ndarray) -> np.ndarray:
        """Those of the candidate rows whose vector holds ``phrase`` (positions: PostgreSQL)."""
        with connections[self.snapshot.alias].cursor() as cursor:
            cursor.execute(
                "SELECT id FROM trials_trial WHERE id = ANY(%s) AND search_vector @@ %s::tsquery",
                [self.snapshot.ids[candidates].tolist(), to_text(phrase)],
            )
            return self.snapshot.rows_of([row[0] for row in cursor.fetchall()])


def _first_matching(order: np.ndarray, mask: np.ndarray, count: int) -> np.ndarray:
    """The first ``count`` rows of ``order`` that ``mask`` holds, read in growing chunks: a broad
    search's first page is found in the first few thousand rows, not all 600,000."""
    found, start, step = [], 0, max(4096, 4 * count)
    while count > 0 and start < len(order):
        chunk = order[start : start + step]
        matched = chunk[mask[chunk]][:count]
        found.append(matched)
        count -= len(matched)
        start, step = start + step, step * 2
    return np.concatenate(found) if found else order[:0]


def top_of(values: list[str], counts: np.ndarray, selected: Iterable[str], limit: int, candidates=None):
    """(value, count, pinned) as SQL lists them: selected values first, then the largest counts,
    ties in the order of the values (their text's order); only values with a count; a tree's only
    among ``candidates``; at most ``limit``."""
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
