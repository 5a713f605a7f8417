"""A day's changes, applied and searched in memory at once: the in-memory snapshot catching up.

Reads the search snapshot of the catalogue in DATABASE_URL (as a web worker does), applies a day
file with ``manage.py import_trials`` (the per-record path: merges, curators' edits kept), then
asks the engine for the new version: it reads only the changed trials again
(``trials.engine.catching_up``). Prints the import's time, the catch-up's, and searches of the
query mix answered by the caught-up engine, each checked against SQL (count and first page).

    .venv/bin/python benchmarks/make_corpus.py --changes 1000 --day 1 --seed 1 \
        --from var/corpus/ctgov-10k.jsonl.gz --out var/corpus/day1-10k.jsonl
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scale600k .venv/bin/python benchmarks/catch_up.py \
        var/corpus/day1-10k.jsonl

It changes the catalogue (the day's studies are imported).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")


def main() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.http import QueryDict
    from search_pages import QUERIES

    from trials.engine import _holder, engine
    from trials.engine.catching_up import CatchingUp
    from trials.facets import count_facets
    from trials.filters import TrialFilterSet
    from trials.search_index import catalogue_version
    from trials.search_results import ordered
    from trials.selectors import trial_list

    settings.SEARCH_ENGINE, settings.SEARCH_ENGINE_BACKGROUND = "memory", False
    settings.FACET_CACHE_SECONDS = 0
    started = time.perf_counter()
    engine(TrialFilterSet({}), catalogue_version())
    older = _holder.snapshot
    print(f"snapshot v{older.version}: {older.size:,} trials, read in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    call_command("import_trials", *sys.argv[1:])
    print(f"import: {time.perf_counter() - started:.1f} s")

    version = catalogue_version()
    started = time.perf_counter()
    engine(TrialFilterSet({}), version)
    caught_up = _holder.caught_up
    assert _holder.snapshot is older and caught_up is not None and caught_up.version == version
    print(
        f"caught up from v{older.version} to v{version}: {len(caught_up.changed):,} changed trials "
        f"read again in {time.perf_counter() - started:.2f} s ({caught_up.recent.size:,} of them exist)\n"
    )
    print("| request | results | counted and paged in memory, ms | SQL count and first page the same |")
    print("|---|---:|---:|---|")
    for name, query in QUERIES:
        filterset = TrialFilterSet(QueryDict(query.format(deep=10)))
        started = time.perf_counter()
        counts = count_facets(filterset)
        assert isinstance(counts.search, CatchingUp)
        page = counts.search.page(filterset.sort_order, 0, 20)
        elapsed = (time.perf_counter() - started) * 1000
        sql = ordered(filterset, filterset.filter_queryset(trial_list()))
        same = counts.total == sql.count() and page == list(sql.values_list("pk", flat=True)[:20])
        print(f"| {name} | {counts.total:,} | {elapsed:.1f} | {'yes' if same else '**no**'} |")


if __name__ == "__main__":
    main()
