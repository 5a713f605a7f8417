"""The numbers the search shows equal numbers counted straight from the source files.

The 300 demo studies (data/demo/, real CT.gov API v2 records) are imported through the whole
pipeline; then for several combinations of filters, the result count and every listed value of
every enum-like facet are compared with ``tests/source_counts.py``, which reads the same JSON
with plain dict access. One test, so the import (about 40 s) runs once.
"""

from pathlib import Path

import pytest
from django.http import QueryDict
from django.urls import reverse

from tests import source_counts
from tests.conftest import SEARCH_STUDIES
from trials.models import Trial
from trials.search_results import search

pytestmark = pytest.mark.django_db

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo" / "ctgov_demo_studies.jsonl.gz"
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


# Sorting, paging and what each listed trial shows, on the eleven fixture studies.


def _ids(results) -> list[str]:
    return [trial.primary_registry_id().value for trial in results.page.object_list]


@pytest.mark.parametrize(
    ("sort", "first"),
    [
        ("last_update", ["NCT06482905", "NCT05417321"]),  # 2026-01-06, 2025-01-03
        ("start_date", ["NCT06482905", "NCT06532149"]),  # 2024-09-04, 2024-08-05
        ("enrollment", ["NCT00444327", "NCT04728893"]),  # 900, 450
    ],
)
def test_sort_orders(search_catalogue, sort, first):
    results = search(QueryDict(f"sort={sort}"))
    assert _ids(results)[:2] == first
    assert results.total == len(SEARCH_STUDIES)


def test_relevance_is_the_default_with_words_and_last_update_without(search_catalogue):
    assert search(QueryDict("q=cancer")).filterset.sort_order == "relevance"
    assert search(QueryDict("")).filterset.sort_order == "last_update"
    # "Nearest site" needs a place.
    assert search(QueryDict("sort=distance")).filterset.sort_order == "last_update"


def test_near_me_lists_the_nearest_matching_site_with_its_distance_and_status(search_catalogue):
    results = search(QueryDict("near=Marseille&radius_km=250&sort=distance"))
    assert _ids(results) == ["NCT04728893", "NCT02782533"]  # Marseille itself, then Grenoble
    marseille, grenoble = (trial.nearest_site for trial in results.page.object_list)
    assert (marseille.city, round(marseille.distance)) == ("Marseille", 1)
    assert marseille.status == "RECRUITING"
    assert (grenoble.city, round(grenoble.distance)) == ("Grenoble", 211)


def test_listed_trials_show_their_drugs_with_classes(search_catalogue):
    results = search(QueryDict("drug=etigilimab"))
    (trial,) = results.page.object_list
    drugs = {drug.name: sorted(c.key for c in drug.classes) for drug in trial.listed_drugs}
    assert drugs == {"etigilimab": ["tigit_inhibitor"], "nivolumab": ["pd1_inhibitor"]}


def test_matched_words_are_marked_and_source_text_stays_text(search_catalogue):
    Trial.objects.filter(registry_ids__value="NCT06482905").update(
        brief_title="Glioma <script>alert(1)</script> & B7-H3 CAR-T"
    )
    results = search(QueryDict("q=glioma"))
    (trial,) = results.page.object_list
    assert trial.title_html == "<mark>Glioma</mark> &lt;script&gt;alert(1)&lt;/script&gt; &amp; B7-H3 CAR-T"
    (trial,) = search(QueryDict("q=nemtabrutinib")).page.object_list
    assert "<mark>nemtabrutinib</mark>" in trial.summary_html.lower()


def test_a_misspelt_drug_gets_did_you_mean(search_catalogue):
    assert search(QueryDict("q=nivolumb")).suggestion == "nivolumab"
    assert search(QueryDict("q=nivolumab")).suggestion == ""  # found: nothing to suggest
    assert search(QueryDict("q=qqqqqqqqq")).suggestion == ""  # nothing close


def test_a_page_past_the_end_is_the_last_page(search_catalogue):
    results = search(QueryDict(""), page_number="99999999999999999999", per_page=5)
    assert results.page.number == 3 and len(results.page.object_list) == 1
