"""The numbers the search shows equal numbers counted straight from the source files.

The 300 demo studies (data/demo/, real CT.gov API v2 records) are imported through the whole
pipeline; then for several combinations of filters, the result count and every listed value of
every enum-like facet are compared with ``tests/source_counts.py``, which reads the same JSON
with plain dict access. One test, so the import (about 40 s) runs once.
"""

from pathlib import Path

from django.http import QueryDict
from django.urls import reverse

from tests import source_counts
from trials.search_results import search

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo" / "ctgov_demo_studies.jsonl.gz"
BOSTON = (42.3601, -71.0589)
COMBINATIONS = [
    {},
    {"phase": ["PHASE2"]},
    {"phase": ["PHASE2", "PHASE3"]},  # OR within a parameter
    {"status": ["RECRUITING"], "study_type": ["INTERVENTIONAL"]},  # AND across parameters
    {"country": ["US"], "phase": ["PHASE1"]},
    {"country": ["CN", "JP"], "status": ["NOT_YET_RECRUITING"]},
    {"sex": ["FEMALE"], "age": ["CHILD"]},
    {"age": ["70"], "healthy_volunteers": ["false"]},  # a person's age
    {"intervention_type": ["DRUG", "BIOLOGICAL"], "sponsor_class": ["INDUSTRY"], "has_results": ["false"]},
    {"near": [BOSTON, 100.0], "status": ["RECRUITING"]},
]
# Facets whose values the source states directly (conditions, drugs and classes go through the
# vocabulary, which this yardstick deliberately does not reimplement).
CHECKED_FACETS = {
    "phase", "status", "study_type", "sponsor_class", "intervention_type", "country", "sex", "age",
    "healthy_volunteers", "has_results",
}  # fmt: skip


def _query(filters: dict) -> QueryDict:
    query = QueryDict(mutable=True)
    for name, values in filters.items():
        if name == "near":
            (latitude, longitude), radius = values
            query["near"] = f"{latitude},{longitude}"
            query["radius_km"] = str(radius)
        else:
            query.setlist(name, values)
    return query


def test_counts_equal_counts_from_the_source_files(import_paths, client):
    run = import_paths(DEMO)
    assert (run.created, run.failed) == (300, 0)
    studies = [source_counts.study_facts(study) for study in source_counts.read_studies(DEMO)]

    mismatches = []
    for filters in COMBINATIONS:
        results = search(_query(filters))
        assert not results.notices, results.notices
        expected_total = source_counts.count(studies, filters)
        if results.total != expected_total:
            mismatches.append((filters, "total", results.total, expected_total))
        for facet in results.facets:
            if facet.name not in CHECKED_FACETS:
                continue
            for value in facet.values:
                expected = source_counts.facet_count(studies, filters, facet.name, value.value)
                if value.count != expected:
                    mismatches.append((filters, f"{facet.name}={value.value}", value.count, expected))
    assert mismatches == []

    # The page shows the same numbers as the composition it renders.
    html = client.get(reverse("trials:list"), {"phase": "PHASE2", "country": "US"}).content.decode()
    expected = source_counts.count(studies, {"phase": ["PHASE2"], "country": ["US"]})
    assert f"<strong>{expected}</strong> trial" in html
