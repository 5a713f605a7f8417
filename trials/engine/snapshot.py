"""The catalogue's facet columns and sort orders as numpy arrays, read in one consistent snapshot.

Row ``i`` of every array is the trial ``ids[i]`` (ids ascending). A multi-valued column (phases,
conditions, drugs ...) is kept as its entries: ``codes[k]`` is the value of entry ``k`` and
``rows[k]`` its trial's row, so counting a facet over a set of trials is one ``bincount``; the
entries are grouped by value (``starts``), so the trials having a value are one slice. A
single-valued column is one small integer code per row (-1: none). Sort orders are row
permutations in the page's order (``last_update`` newest first, missing dates last, then id).

At 600,000 trials (4.3 million sites with coordinates) this is 191 MB, read in about 42 s (``benchmarks/README.md``).
"""

from __future__ import annotations

import contextlib
import ctypes
import shutil
import tempfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
from django.db import connections, transaction

from trials.engine.joint import Combinations
from trials.engine.text import TextIndex, load_text
from trials.search_index import VERSION_SEQUENCE

# Facet dimension -> Trial column, as trials.facets counts them.
MULTI = {
    "phase": "phases",
    "condition": "facet_conditions",
    "drug": "facet_drugs",
    "drug_class": "facet_drug_classes",
    "intervention_type": "facet_intervention_types",
    "country": "facet_countries",
    "age": "std_ages",
}
SINGLE = {
    "status": "overall_status",
    "study_type": "study_type",
    "sponsor_class": "facet_sponsor_class",
    "sex": "sex",
    "healthy_volunteers": "healthy_volunteers",
    "has_results": "has_results",
}
# Sort -> its key: ascending key then id is the page's order (the column descending, NULLs last).
SORTS = {
    "last_update": "-(t.last_update_date - DATE '1970-01-01')",
    "start_date": "-(t.start_date - DATE '1970-01-01')",
    "enrollment": "-t.enrollment_count",
}


@dataclass
class MultiColumn:
    values: list[str]  # code -> value
    codes: np.ndarray  # per entry (uint16 when there are few values), grouped by value
    rows: np.ndarray  # int32 per entry
    starts: np.ndarray  # int64, len(values) + 1: entries of value c are [starts[c], starts[c + 1])
    size: int  # rows of the snapshot
    # The same entries by row, for counting over a few rows: row r's values are
    # row_codes[row_starts[r]:row_starts[r + 1]] (made from the above when not given).
    row_codes: np.ndarray | None = None
    row_starts: np.ndarray | None = None

    def code(self, value: str) -> int | None:
        return self._index.get(value)

    def __post_init__(self):
        self._index = {value: code for code, value in enumerate(self.values)}
        if self.row_codes is None:
            self.row_codes = self.codes[np.argsort(self.rows, kind="stable")]
            self.row_starts = np.zeros(self.size + 1, dtype=np.int64 if len(self.codes) >= 2**31 else np.int32)
            np.cumsum(np.bincount(self.rows, minlength=self.size), out=self.row_starts[1:])

    def rows_with(self, code: int) -> np.ndarray:
        return self.rows[self.starts[code] : self.starts[code + 1]]

    def codes_of(self, rows: np.ndarray) -> np.ndarray:
        """The codes of every entry of ``rows``, row after row."""
        first, after = self.row_starts[rows], self.row_starts[rows + 1]
        lengths = after - first
        # entry i of the result is row_codes[first of its row + its place in its row]
        offsets = np.repeat(first - (np.cumsum(lengths) - lengths), lengths)
        return self.row_codes[offsets + np.arange(int(lengths.sum()))]

    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.codes, self.rows, self.starts, self.row_codes, self.row_starts))


@dataclass
class SingleColumn:
    values: list[str]  # code -> value as text ("true"/"false" for booleans)
    codes: np.ndarray  # int16 per row, -1 for NULL or ""

    def code(self, value: str) -> int | None:
        return self._index.get(value)

    def __post_init__(self):
        self._index = {value: code for code, value in enumerate(self.values)}
        # Rows grouped by value (those of code c are by_value[starts[c]:starts[c + 1]]), for
        # counting a broad search value by value.
        self.by_value = np.argsort(self.codes, kind="stable").astype(np.int32)[np.count_nonzero(self.codes < 0) :]
        self.starts = np.concatenate(
            [[0], np.cumsum(np.bincount(self.codes[self.codes >= 0], minlength=len(self.values)))]
        )


@dataclass
class Sites:
    """Every site with coordinates, ordered by latitude: its trial's row and its position."""

    rows: np.ndarray  # int32
    latitude: np.ndarray  # float64, ascending
    longitude: np.ndarray  # float64


@dataclass
class Snapshot:
    alias: str  # the database it was read from
    version: int
    ids: np.ndarray  # int64, ascending
    multi: dict[str, MultiColumn]
    single: dict[str, SingleColumn]
    keys: dict[str, np.ndarray]  # sort name -> float64 key per row
    sites: Sites
    text: TextIndex  # the search vectors' postings
    counted: dict = field(default_factory=dict, repr=False)  # dimension -> counts over every row

    def __post_init__(self):
        self.every_row = np.ones(len(self.ids), dtype=bool)
        self.every_row.flags.writeable = False  # shared by every search that selects nothing
        # Sort name -> int32 row permutation: the page's order.
        self.orders = {name: np.argsort(key, kind="stable").astype(np.int32) for name, key in self.keys.items()}
        # Row -> its place in the newest-update order: relevance's tie-break.
        self.update_rank = np.empty(len(self.ids), dtype=np.int32)
        self.update_rank[self.orders["last_update"]] = np.arange(len(self.ids), dtype=np.int32)

    @property
    def size(self) -> int:
        return len(self.ids)

    @cached_property
    def combinations(self) -> Combinations | None:
        """The rows' combinations of the dimensions with few values (``trials.engine.joint``)."""
        return Combinations.of(self.size, self.single, self.multi)

    def rows_of(self, trial_ids) -> np.ndarray:
        """Rows of the given trial ids; ids the snapshot does not hold are dropped."""
        wanted = np.asarray(trial_ids, dtype=np.int64)
        rows = np.searchsorted(self.ids, wanted)
        inside = rows < len(self.ids)
        rows, wanted = rows[inside], wanted[inside]
        return rows[self.ids[rows] == wanted]

    def nbytes(self) -> int:
        arrays = [self.ids, *self.orders.values(), *self.keys.values(), *(c.codes for c in self.single.values())]
        arrays += [self.sites.rows, self.sites.latitude, self.sites.longitude]
        multi = sum(column.nbytes() for column in self.multi.values())
        return sum(a.nbytes for a in arrays) + multi + self.update_rank.nbytes + self.text.nbytes()


def bound_malloc_arenas() -> None:
    """glibc's malloc in a process holding a snapshot: 2 arenas, so that the threads of a worker
    share what they keep of freed scratch arrays (masks, gathers: megabytes each at 600,000
    trials) rather than each keep its own. The mmap threshold is left to adapt as glibc does: a
    fixed small one (128 kB, until 2026-12-03) mapped every scratch array afresh, and its page
    faults made searches 1.3-1.8 times slower (the phrase's positions 20 -> 33 ms at 600k) in
    every process that had read a snapshot or caught one up (one that mapped a stored snapshot
    never set it). Called where a snapshot arrives (``load``, ``stored.read``); idempotent."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").mallopt(-8, 2)  # M_ARENA_MAX


def load(alias: str, trial_ids: list[int] | None = None, scratch: Path | None = None) -> Snapshot:
    """Read the catalogue on ``alias`` in one REPEATABLE READ transaction, with its version (inside
    a transaction already open, as in tests, in that one); only ``trial_ids`` when given (those
    that still exist: the part of a catalogue that changed since an older snapshot). The words'
    positions go to files in ``scratch`` (``trials.engine.stored``) and are mapped from there; a
    whole catalogue's without it go to a temporary directory, removed once they are mapped."""
    if scratch is None and trial_ids is None:
        temporary = Path(tempfile.mkdtemp(prefix="search-snapshot-"))
        try:
            return load(alias, trial_ids, temporary)
        finally:
            shutil.rmtree(temporary, ignore_errors=True)  # the mapped files live on until unmapped
    bound_malloc_arenas()
    only = _Only(trial_ids)
    fresh = not connections[alias].in_atomic_block
    with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
        if fresh:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cursor.execute(f"SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {VERSION_SEQUENCE}")
        version = cursor.fetchone()[0]
        ids = _int_column(cursor, f"SELECT id FROM trials_trial t {only.where} ORDER BY id", only.params)
        multi = {name: _multi(cursor, column, ids, only) for name, column in MULTI.items()}
        single = {name: _single(cursor, column, len(ids), only) for name, column in SINGLE.items()}
        keys = {name: _keys(cursor, expression, only) for name, expression in SORTS.items()}
        sites = _sites(cursor, ids, only)
        cursor.execute("SET LOCAL work_mem = '256MB'")  # grouping every posting by its word
        with connections[alias].chunked_cursor() as postings:
            text = load_text(postings, ids, only.where, only.params, scratch)
    if trial_ids is None:
        give_back_freed_memory()
    return Snapshot(alias, version, ids, multi, single, keys, sites, text)


@dataclass
class _Only:
    """The trials a load reads: all, or those of a list of ids."""

    trial_ids: list[int] | None

    @property
    def where(self) -> str:
        return "WHERE t.id = ANY(%s)" if self.trial_ids is not None else ""

    @property
    def params(self) -> list:
        return [self.trial_ids] if self.trial_ids is not None else []


def _keys(cursor, expression: str, only: _Only) -> np.ndarray:
    """A sort's key per row (rows in id order); NULL is +inf, last."""
    cursor.execute(
        f"SELECT string_agg(coalesce(({expression})::float8, 'Infinity')::text, ' ' ORDER BY t.id) "
        f"FROM trials_trial t {only.where}",
        only.params,
    )
    return _numbers(cursor.fetchone()[0], np.float64)


def give_back_freed_memory() -> None:
    """Return the load's freed scratch (the long texts read, the lists' growth) to the system:
    glibc keeps freed heap for reuse, so a worker would stay about 180 MB larger at 600,000 trials."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: the memory is reused, only not returned
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _sites(cursor, ids: np.ndarray, only: _Only) -> Sites:
    """One column at a time (each a long text), so that only one is in memory at once. A double is
    written in the shortest form that reads back exactly (extra_float_digits 1, the default)."""
    mine = "AND trial_id = ANY(%s)" if only.trial_ids is not None else ""

    def column(expression: str, dtype) -> np.ndarray:
        cursor.execute(
            f"SELECT string_agg({expression}::text, ' ' ORDER BY latitude, id) FROM trials_site "
            f"WHERE latitude IS NOT NULL AND longitude IS NOT NULL {mine}",
            only.params,
        )
        return _numbers(cursor.fetchone()[0], dtype)

    rows = np.searchsorted(ids, column("trial_id", np.int64)).astype(np.int32)
    return Sites(rows, column("latitude", np.float64), column("longitude", np.float64))


def _int_column(cursor, sql: str, params: list) -> np.ndarray:
    """One integer per row of ``sql``, in its order: one text value on the wire, not a row each."""
    cursor.execute(f"SELECT string_agg(id::text, ' ') FROM ({sql}) AS q", params)
    return _ints(cursor.fetchone()[0])


def _ints(text: str | None) -> np.ndarray:
    return _numbers(text, np.int64)


def _numbers(text: str | None, dtype, window: int = 4_000_000) -> np.ndarray:
    """Space-separated numbers, parsed a few MB at a time: splitting millions of them at once
    would hold a Python object for each (about 1 GB at 600,000 trials) for a moment."""
    if not text:
        return np.zeros(0, dtype=dtype)
    parts, start = [], 0
    while start < len(text):
        stop = len(text) if start + window >= len(text) else text.rfind(" ", start, start + window) + 1
        if stop <= start:  # one number longer than the window: up to the next space
            stop = text.find(" ", start + window) + 1 or len(text)
        parts.append(np.array(text[start:stop].split(), dtype=dtype))
        start = stop
    return np.concatenate(parts)


def _multi(cursor, column: str, ids: np.ndarray, only: _Only) -> MultiColumn:
    """Entries grouped by value: one row per value with its trials' ids (repeats kept, as unnest does)."""
    cursor.execute(
        f"SELECT v::text, string_agg(t.id::text, ' ') FROM trials_trial t, unnest(t.{column}) v "
        f"{only.where} GROUP BY v ORDER BY v::text",
        only.params,
    )
    values, parts = [], []
    for value, trial_ids in cursor.fetchall():
        values.append(value)
        parts.append(np.searchsorted(ids, _ints(trial_ids)).astype(np.int32))
    lengths = np.array([len(p) for p in parts], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    rows = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)
    codes = np.repeat(np.arange(len(values), dtype=np.uint16 if len(values) <= 2**16 else np.int32), lengths)
    return MultiColumn(values, codes, rows, starts, len(ids))


def _single(cursor, column: str, size: int, only: _Only) -> SingleColumn:
    cursor.execute(
        f"SELECT v, string_agg(row_number::text, ' ') FROM (SELECT {column}::text AS v, (row_number() OVER "
        f"(ORDER BY id)) - 1 AS row_number FROM trials_trial t {only.where}) r "
        "WHERE v IS NOT NULL AND v <> '' GROUP BY v ORDER BY v",
        only.params,
    )
    codes = np.full(size, -1, dtype=np.int16)
    values = []
    for code, (value, rows) in enumerate(cursor.fetchall()):
        values.append(value)
        codes[_ints(rows)] = code
    return SingleColumn(values, codes)
