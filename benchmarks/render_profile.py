"""Where a warm search request spends its time: SQL, template rendering, facets (counts from the
cache, labels, links), per-result work (drugs, nearest sites, highlights) and serialization, for
each query of ``search_pages.py``.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/render_10k \
        .venv/bin/python benchmarks/render_profile.py [--runs 10] [--dump NAME]

Each request is made once to warm up, then ``--runs`` times with the queries captured and the
parts timed (wall clock, outermost call); the table gives per-request medians in milliseconds
(SQL is the sum of the captured queries' times, so it overlaps the parts that run them).
``--dump NAME`` also profiles the named query's page and API requests once with cProfile and
prints the top functions and the queries.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
SPENT: dict[str, float] = {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--dump", default="")
    args = parser.parse_args()
    for name, value in (("DEBUG", "0"), ("SECRET_KEY", "benchmark-only-not-secret-" + "x" * 40),
                        ("ALLOWED_HOSTS", "localhost"), ("SECURE_SSL_REDIRECT", "0"), ("RATE_LIMITS", "off"),
                        ("SEARCH_ENGINE_BACKGROUND", "0"), ("DJANGO_SETTINGS_MODULE", "portal.settings")):  # fmt: skip
        os.environ.setdefault(name, value)
    import warnings

    import django

    warnings.filterwarnings("ignore", message="No directory at")
    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from search_pages import QUERIES

    from trials.models import Trial

    _time_parts()
    settings.STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    client = Client(HTTP_HOST="localhost")
    deep = max(1, Trial.objects.count() // settings.TRIALS_PAGE_SIZE - 1)
    columns = ["total", "sql", "queries", *SPENT]
    print(f"{'request':<28}" + "".join(f"{c:>10}" for c in columns))
    for path, label in (("/", "page"), ("/api/trials/", "API")):
        for name, query in QUERIES:
            url = f"{path}?{query.format(deep=deep)}" if query else path
            assert client.get(url).status_code == 200, url
            rows = []
            for _ in range(args.runs):
                SPENT.update(dict.fromkeys(SPENT, 0.0))
                with CaptureQueriesContext(connection) as queries:
                    start = time.perf_counter()
                    client.get(url)
                    total = (time.perf_counter() - start) * 1000
                sql = sum(float(q["time"]) for q in queries.captured_queries) * 1000
                rows.append([total, sql, len(queries.captured_queries), *SPENT.values()])
            medians = [statistics.median(column) for column in zip(*rows, strict=True)]
            print(f"{label + ': ' + name:<28}" + "".join(f"{m:>10.1f}" for m in medians))
            if args.dump == name:
                _dump(client, url, connection)


def _time_parts() -> None:
    """Wrap the parts so each call adds its wall-clock time to ``SPENT`` (outermost calls only)."""
    from django.template.backends.django import Template
    from rest_framework.serializers import Serializer

    from trials import search_results
    from trials.api import serializers

    def timed(name, function):
        SPENT[name] = 0.0
        active = []

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            if active:
                return function(*args, **kwargs)
            active.append(1)
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                SPENT[name] += (time.perf_counter() - start) * 1000
                active.pop()

        return wrapper

    Template.render = timed("template", Template.render)
    search_results.count_facets = timed("facets", search_results.count_facets)
    search_results.decorate = timed("decorate", search_results.decorate)
    serializers.TrialSearchSerializer.data = property(timed("serialize", Serializer.data.fget))


def _dump(client, url: str, connection) -> None:
    from django.test.utils import CaptureQueriesContext

    profile = cProfile.Profile()
    with CaptureQueriesContext(connection) as queries:
        profile.enable()
        client.get(url)
        profile.disable()
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(50)
    print(out.getvalue())
    for query in queries.captured_queries:
        print(f"  {float(query['time']) * 1000:7.1f} ms  {query['sql'][:200]}")


if __name__ == "__main__":
    main()
