"""The two ways the in-memory engine counts a facet, timed on a real snapshot: what
``trials.engine.counting.by_rows``'s cost model is fitted to.

For searches of a few words (from a rare drug's 60 trials to about 135,000 at 600k), every
multi-valued column is counted through the matching rows' own entries (``codes_of`` and a
``bincount``) and through its values' entries (``np.take`` of the mask, all values and the first
22, as a tree facet lists), then prints each timing beside what the model predicts and which way
it picks.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scale600k .venv/bin/python benchmarks/counting_costs.py

It reads (or maps, when stored) the catalogue's search snapshot as a web worker does.
"""

from __future__ import annotations

import os
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
WORDS = ["nemtabrutinib", "pediatric", "breast", "lung", "cancer"]


def fastest(work, runs: int = 15) -> float:
    """Microseconds, the best of ``runs``."""
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best * 1e6


def main() -> None:
    import django

    django.setup()
    from django.conf import settings

    from trials.engine import _holder, engine
    from trials.engine.counting import by_rows
    from trials.filters import TrialFilterSet
    from trials.search_index import catalogue_version

    settings.SEARCH_ENGINE, settings.SEARCH_ENGINE_BACKGROUND = "memory", False
    engine(TrialFilterSet({}), catalogue_version())
    snapshot = _holder.snapshot
    print(f"{snapshot.size:,} trials")
    print("word           column             rows  row entries  value entries  values  rows us  values us  picks  best")
    for word in WORDS:
        mask = snapshot.text.word_mask(word)
        rows = np.flatnonzero(mask)
        for name, column in snapshot.multi.items():
            row_entries = int((column.row_starts[rows + 1] - column.row_starts[rows]).sum())
            for codes in (None, list(range(min(22, len(column.values))))):
                counted = range(len(column.values)) if codes is None else codes
                entries = sum(int(column.starts[c + 1] - column.starts[c]) for c in counted)
                through_rows = fastest(partial(_through_rows, column, rows))
                through_values = fastest(partial(_through_values, column, mask, counted))
                picks = "rows" if by_rows(column, len(rows), codes) else "values"
                best = "rows" if through_rows < through_values else "values"
                print(
                    f"{word:14} {name:17} {len(rows):7,} {row_entries:12,} {entries:14,} {len(counted):7} "
                    f"{through_rows:8.0f} {through_values:10.0f}  {picks:6} {best}"
                )


def _through_rows(column, rows):
    return np.bincount(column.codes_of(rows), minlength=len(column.values))


def _through_values(column, mask, codes):
    return [np.count_nonzero(np.take(mask, column.rows_with(c))) for c in codes]


if __name__ == "__main__":
    main()
