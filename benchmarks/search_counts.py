"""Search counts against counts read straight from the source files, on a whole shared data set.

Imports the 2,610 CT.gov API v2 studies of ``../shared/data/ctgov`` into an empty database (unless
``--no-import``), then for a mix of filter combinations compares the number of results and every
listed value of every enum-like facet, as the page and the JSON API give them, with
``tests/source_counts.py`` (plain dict reads of the same JSON, no parser, no loader).

    createdb -h 127.0.0.1 -U postgres bench_counts
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_counts .venv/bin/python benchmarks/search_counts.py
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("SHARED_DATA") or ROOT.parent / "shared" / "data") / "ctgov"
STUDIES = SHARED / "ctgov_api_v2_studies.jsonl.gz"
COMBINATIONS = [
    {},
    {"status": ["RECRUITING", "NOT_YET_RECRUITING", "ENROLLING_BY_INVITATION"]},
    {"phase": ["PHASE3"], "study_type": ["INTERVENTIONAL"]},
    {"phase": ["PHASE1", "PHASE2"], "sponsor_class": ["INDUSTRY"], "country": ["US"]},
    {"country": ["CN", "JP", "KR"], "status": ["COMPLETED"]},
    {"sex": ["FEMALE"], "age": ["OLDER_ADULT"], "healthy_volunteers": ["false"]},
    {"age": ["8"], "intervention_type": ["DRUG"]},
    {"has_results": ["true"], "phase": ["PHASE4"]},
    {"intervention_type": ["DEVICE", "PROCEDURE"], "sponsor_class": ["OTHER"], "age": ["CHILD"]},
    {"near": [(48.8566, 2.3522), 300.0], "status": ["RECRUITING"]},
    {"near": [(35.6762, 139.6503), 50.0]},
    {"status": ["TERMINATED", "WITHDRAWN", "SUSPENDED"], "country": ["DE", "FR", "GB"]},
]
CHECKED_FACETS = {"phase", "status", "study_type", "sponsor_class", "intervention_type", "country", "sex", "age",
                  "healthy_volunteers", "has_results"}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-import", action="store_true", help="the database already holds the studies")
    args = parser.parse_args()
    if "DATABASE_URL" not in os.environ:
        sys.exit("set DATABASE_URL to an empty database")
    os.environ.setdefault("DEBUG", "1")
    if not args.no_import:
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, check=True)
        start = time.perf_counter()
        subprocess.run([sys.executable, "manage.py", "import_trials", str(STUDIES)], cwd=ROOT, check=True)
        print(f"imported in {time.perf_counter() - start:.0f} s")

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()  # so that a response carries the context the page rendered

    from tests import source_counts
    from tests.test_search_results import _query

    facts = [source_counts.study_facts(study) for study in source_counts.read_studies(STUDIES)]
    client = Client(HTTP_HOST="localhost")
    checked, mismatches = 0, []
    print(f"{'filters':<90} {'source':>7} {'API':>7} {'page':>7}")
    for filters in COMBINATIONS:
        query = _query(filters)
        api = client.get("/api/trials/", query).json()
        page = client.get("/", query)
        expected = source_counts.count(facts, filters)
        shown = page.context["results"].total
        print(f"{_describe(filters):<90} {expected:>7} {api['count']:>7} {shown:>7}")
        if "near" in filters:
            # The source gives no point for some sites; the catalogue places those at their city
            # (gazetteer). With the source's own points only, the count must be the source's.
            from_source = _near_with_source_points(filters)
            label = "  the same, only sites with coordinates from the source"
            print(f"{label:<90} {expected:>7} {from_source:>7}")
            if from_source != expected:
                mismatches.append((filters, "total, source points", expected, from_source))
            continue  # facet counts under near differ by the same gazetteer-placed sites
        if not (expected == api["count"] == shown) or api["notices"]:
            mismatches.append((filters, "total", expected, api["count"], shown, api["notices"]))
        for name, values in api["facets"].items():
            if name not in CHECKED_FACETS:
                continue
            for value in values:
                want = source_counts.facet_count(facts, filters, name, value["value"])
                checked += 1
                if value["count"] != want:
                    mismatches.append((filters, f"{name}={value['value']}", want, value["count"]))
    print(f"\n{len(COMBINATIONS)} combinations, {checked} facet counts checked, {len(mismatches)} mismatches")
    for mismatch in mismatches:
        print("  MISMATCH", mismatch)
    sys.exit(1 if mismatches else 0)


def _near_with_source_points(filters: dict) -> int:
    from django.db.models import Exists, OuterRef

    from tests.test_search_results import _query
    from trials.filters import TrialFilterSet
    from trials.models import Site, Trial
    from trials.near import Point, sites_within

    (latitude, longitude), radius = filters["near"]
    others = TrialFilterSet(_query({k: v for k, v in filters.items() if k != "near"}))
    sites = Site.objects.filter(trial=OuterRef("pk"), coordinates_from=Site.CoordinatesFrom.SOURCE)
    near = Exists(sites_within(sites, Point(latitude, longitude, ""), radius))
    return others.filter_queryset(Trial.objects.all()).filter(near).count()


def _describe(filters: dict) -> str:
    if not filters:
        return "(no filter)"
    return " & ".join(f"{k}={'|'.join(map(str, v))}" for k, v in filters.items())[:90]


if __name__ == "__main__":
    main()
