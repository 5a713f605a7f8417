"""The facet dimensions with few values, counted together through the combinations rows have.

Six dimensions hold one value a trial (status, study type, sponsor type, sex, healthy volunteers,
results) and three a set of a few values (phases, intervention types, age groups). Counting each
over a broad search read its own 600,000 entries or more: about 0.7 ms a dimension, 6 ms for the
nine. Yet trials share their combination of those nine (1,384 in the 600,000-trial benchmark
catalogue, which recombines 2,610 real studies; 1,419 in 600,000 studies generated from them by
``make_corpus.py`` and imported; the real registry's count is not measured here): each
row's combination is numbered once per snapshot, a search counts its rows' combinations in one
``bincount``, and each dimension's counts are sums over the combinations. The numbers are the same
as counting each column. When combinations are too many to gain from (over an eighth of the rows),
each dimension is counted alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SMALL_SETS_UP_TO = 16  # a multi-valued dimension with at most this many values joins, as a bit set
_KEY_BITS = 62  # the combination's number as the digits of every dimension's code, in an int64


@dataclass
class Combinations:
    """Each row's combination (``of_row``) and, per dimension, the combinations' values: for a
    single-valued one its code + 1 (0: none) per combination; for a set, (combination, code) pairs."""

    of_row: np.ndarray  # int32 per row
    count: int  # how many distinct combinations
    single: dict[str, np.ndarray]  # name -> code + 1 per combination
    sets: dict[str, tuple[np.ndarray, np.ndarray]]  # name -> (combinations, codes) of each member
    sizes: dict[str, int]  # name -> how many values the dimension has

    @classmethod
    def of(cls, size: int, single: dict, multi: dict) -> Combinations | None:
        """The combinations of a snapshot's columns (``SingleColumn``, ``MultiColumn`` by name), or
        None when they are too many to be worth it (more than one an eighth of the rows)."""
        key, digits = np.zeros(size, dtype=np.int64), []
        used = 0
        for name, column in single.items():
            key, used = _append(key, used, digits, name, column.codes.astype(np.int64) + 1, len(column.values) + 1)
        for name, column in multi.items():
            if len(column.values) > SMALL_SETS_UP_TO:
                continue
            bits = np.zeros(size, dtype=np.int64)
            np.bitwise_or.at(bits, column.rows, np.left_shift(1, column.codes.astype(np.int64)))
            key, used = _append(key, used, digits, name, bits, 1 << len(column.values))
        if not digits:
            return None
        keys, of_row = np.unique(key, return_inverse=True)
        if len(keys) > max(size // 8, 64):
            return None
        combinations = cls(of_row.astype(np.int32).reshape(-1), len(keys), {}, {}, {})
        for name, base in reversed(digits):
            codes, keys = keys % base, keys // base
            if name in single:
                combinations.single[name] = codes
                combinations.sizes[name] = len(single[name].values)
            else:
                width = len(multi[name].values)
                which, code = np.nonzero((codes[:, None] >> np.arange(width)[None, :]) & 1)
                combinations.sets[name] = (which, code)
                combinations.sizes[name] = width
        return combinations

    def __contains__(self, name: str) -> bool:
        return name in self.sizes

    def histogram(self, mask: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
        """How many of the matching rows (``rows`` when known, else ``mask``'s) have each combination."""
        return np.bincount(self.of_row[rows] if rows is not None else self.of_row[mask], minlength=self.count)

    def counts(self, name: str, histogram: np.ndarray) -> np.ndarray:
        """Per value code of ``name``, how many rows of the histogram have it."""
        if name in self.single:  # by code + 1: 0 is none
            counts = np.bincount(self.single[name], weights=histogram, minlength=self.sizes[name] + 1)[1:]
        else:
            which, code = self.sets[name]
            counts = np.bincount(code, weights=histogram[which], minlength=self.sizes[name])
        return counts.astype(np.int64)  # exact: float64 holds every count of rows


def _append(key: np.ndarray, used: int, digits: list, name: str, codes: np.ndarray, base: int):
    """``key`` with ``codes`` as its next digit (of ``base``), or unchanged when an int64 would not
    hold it (the dimension is then counted alone)."""
    bits = max(int(base - 1).bit_length(), 1)
    if used + bits > _KEY_BITS:
        return key, used
    digits.append((name, base))
    return key * base + codes, used + bits
