"""Page timings of the search page, the JSON API and trial pages on whatever catalogue
``DATABASE_URL`` holds, over a fixed query mix. Requests go through Django's full stack in this
process (middleware, view, queries, template), without a network or a WSGI server.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_import .venv/bin/python benchmarks/search_pages.py [--runs 20]

Each query is requested once to warm up (vocabularies and the place index load on first use),
then ``--runs`` times; the median and 95th percentile are printed in milliseconds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
QUERIES = [
    ("empty query", ""),
    ("common condition", "q=breast+cancer"),
    ("rare drug", "q=nemtabrutinib"),
    ("drug class", "drug_class=pd1_inhibitor"),
    ("broad status", "status=COMPLETED"),
    ("three filters", "phase=PHASE2&status=RECRUITING&country=US"),
    ("condition tree", "condition=D009369&condition=D008175"),
    ("near me", "near=Boston&radius_km=100&sort=distance"),
    ("deep page", "page={deep}"),  # the second-to-last page of the whole catalogue
    ("phrase", 'q="small+cell"+-pediatric'),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "benchmark-only-not-secret-" + "x" * 40)
    os.environ.setdefault("ALLOWED_HOSTS", "localhost")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import warnings

    import django

    warnings.filterwarnings("ignore", message="No directory at")
    django.setup()
    from django.conf import settings
    from django.test import Client

    from trials.models import Trial

    settings.STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    client = Client(HTTP_HOST="localhost")
    trial_ids = list(Trial.objects.order_by("?").values_list("pk", flat=True)[:20])
    total = Trial.objects.count()
    deep = max(1, total // settings.TRIALS_PAGE_SIZE - 1)
    print(f"catalogue: {total:,} trials; {args.runs} runs per request\n")
    print(f"{'request':<42} {'results':>8} {'p50 ms':>8} {'p95 ms':>8}")
    for path, label in (("/", "page"), ("/api/trials/", "API")):
        for name, query in QUERIES:
            query = query.format(deep=deep)
            url = f"{path}?{query}" if query else path
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            count = client.get(f"/api/trials/?{query}").json()["count"]
            times = _time(client, url, args.runs)
            print(f"{label + ': ' + name:<42} {count:>8} {_p(times, 50):>8.1f} {_p(times, 95):>8.1f}")
    times = []
    for pk in trial_ids:
        client.get(f"/trials/{pk}/")
        times += _time(client, f"/trials/{pk}/", max(1, args.runs // 5))
    print(f"{'trial page (20 random trials)':<42} {'':>8} {_p(times, 50):>8.1f} {_p(times, 95):>8.1f}")


def _time(client, url: str, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    return times


def _p(values: list[float], percentile: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[percentile - 1] if len(values) > 1 else values[0]


if __name__ == "__main__":
    main()
