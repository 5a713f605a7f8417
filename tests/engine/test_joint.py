"""The dimensions with few values counted through the rows' combinations of them give each
column's own counts, for any set of rows; too many combinations, or too wide a key, and a
dimension is counted alone."""

import numpy as np
import pytest

from trials.engine.joint import Combinations
from trials.engine.snapshot import MultiColumn, SingleColumn


def single(codes, values):
    return SingleColumn(values, np.asarray(codes, dtype=np.int16))


def multi(sets, values):
    """A multi-valued column from each row's set of value codes."""
    pairs = sorted((code, row) for row, codes in enumerate(sets) for code in codes)
    codes = np.array([code for code, _ in pairs], dtype=np.uint16)
    rows = np.array([row for _, row in pairs], dtype=np.int32)
    starts = np.searchsorted(codes, np.arange(len(values) + 1)).astype(np.int64)
    return MultiColumn(values, codes, rows, starts, len(sets))


def columns(size: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    status = single(rng.integers(-1, 4, size), ["A", "B", "C", "D"])  # -1: none
    kind = single(rng.integers(0, 2, size), ["x", "y"])
    phases = multi([set(rng.choice(5, rng.integers(0, 3), replace=False).tolist()) for _ in range(size)], list("01234"))
    many = multi([{int(rng.integers(0, 30))} for _ in range(size)], [f"v{i:02}" for i in range(30)])
    return {"status": status, "kind": kind}, {"phase": phases, "drug": many}


@pytest.mark.parametrize("by", ["mask", "rows"])
def test_counts_equal_each_columns_own(by):
    size = 2_000
    singles, multis = columns(size)
    combinations = Combinations.of(size, singles, multis)
    assert combinations is not None and combinations.count <= 5 * 2 * 16
    assert "drug" not in combinations  # 30 values: counted alone
    rng = np.random.default_rng(2)
    for share in (0.0, 0.01, 0.5, 1.0):
        mask = rng.random(size) < share
        rows = np.flatnonzero(mask) if by == "rows" else None
        histogram = combinations.histogram(mask, rows)
        assert histogram.sum() == mask.sum()
        for name, column in singles.items():
            own = np.bincount(column.codes[mask] + 1, minlength=len(column.values) + 1)[1:]
            assert combinations.counts(name, histogram).tolist() == own.tolist(), name
        column = multis["phase"]
        own = np.bincount(column.codes[mask[column.rows]], minlength=len(column.values))
        assert combinations.counts("phase", histogram).tolist() == own.tolist()


def test_too_many_combinations_count_each_column_alone():
    size = 1_000
    unique = single(np.arange(size) % 500, [f"s{i:03}" for i in range(500)])  # 500 combinations
    assert Combinations.of(size, {"unique": unique}, {}) is None
    assert Combinations.of(size, {}, {}) is None  # nothing to combine


def test_a_dimension_the_key_cannot_hold_is_counted_alone():
    size = 100
    rng = np.random.default_rng(3)
    wide = {f"set{i}": multi([{int(rng.integers(0, 2))} for _ in range(size)], [f"{n:02}" for n in range(16)])
            for i in range(4)}  # fmt: skip
    combinations = Combinations.of(size, {}, wide)
    # 16 values, 16 bits a set: three fit the key's 62 bits, the fourth does not.
    assert [name for name in wide if name in combinations] == ["set0", "set1", "set2"]
