"""benchmarks/datasette_urls.py: a search of the portal asked of Datasette over the export finds the
same trials (Datasette's own app, in process, over the exported fixture studies)."""

import asyncio

import pytest

pytest.importorskip("datasette")  # benchmark-only dependencies (requirements-scripts.txt)
pytest.importorskip("sqlite_utils")

from benchmarks.datasette_export import export
from benchmarks.datasette_urls import fts5_query, translate
from trials.filters import TrialFilterSet
from trials.near import place_index


def find_place(text):
    point = place_index().find(text)
    return point and (point.latitude, point.longitude)


@pytest.fixture
def datasette(search_catalogue, tmp_path):
    from datasette.app import Datasette

    path = tmp_path / "catalogue.db"
    export(path)
    app = Datasette([str(path)], immutables=[], settings={"suggest_facets": False})

    def get(query: str) -> dict:
        url = translate(query, path, find_place).path(fmt=".json")
        response = asyncio.run(app.client.get(url + "&_shape=objects"))
        assert response.status_code == 200, (url, response.text)
        return response.json()

    return get


def portal_ids(query: str) -> list[int]:
    from django.http import QueryDict

    return sorted(TrialFilterSet(QueryDict(query)).qs.values_list("pk", flat=True))


@pytest.mark.parametrize(
    "query",
    [
        "status=COMPLETED",
        "status=COMPLETED&status=RECRUITING",
        "phase=PHASE2",
        "phase=PHASE1&phase=PHASE3&study_type=INTERVENTIONAL",
        "country=US",
        "condition=D009369&condition=D008175",
        "sex=FEMALE&has_results=true",
        "near=Phoenix&radius_km=100&sort=distance",
        "near=Toronto&radius_km=2000",
        "near=48.85,2.35&radius_km=1000",
    ],
)
def test_filters_find_the_portals_trials(datasette, query):
    found = datasette(query)
    expected = portal_ids(query)
    assert expected  # the fixture studies answer each query, so an empty answer is no match
    assert (found["filtered_table_rows_count"], sorted(row["id"] for row in found["rows"])) == (len(expected), expected)


def test_every_facet_of_the_search_page_is_asked_for(datasette):
    facets = datasette("")["facet_results"]
    assert set(facets) == {
        "overall_status", "phases", "facet_conditions", "facet_drugs", "facet_drug_classes",
        "facet_intervention_types", "study_type", "facet_sponsor_class", "facet_countries", "std_ages",
        "sex", "healthy_volunteers", "has_results",
    }  # fmt: skip
    phases = {item["value"]: item["count"] for item in facets["phases"]["results"]}
    assert phases == {
        value: len(portal_ids(f"phase={value}")) for value in phases
    }  # an array facet counts each trial once per value


def test_a_page_is_the_portals_page_by_keyset(datasette, monkeypatch):
    from django.db.models import F

    from trials.models import Trial

    monkeypatch.setattr("benchmarks.datasette_urls.PAGE_SIZE", 4)
    order = Trial.objects.order_by(F("last_update_date").desc(nulls_last=True), "id")  # the search page's
    assert [row["id"] for row in datasette("page=2")["rows"]] == list(order.values_list("pk", flat=True)[4:8])


def test_web_search_syntax_becomes_fts5():
    assert fts5_query('"small cell" -pediatric') == '"small cell" NOT "pediatric"'
    assert fts5_query("covid-19 vaccine") == '"covid-19" "vaccine"'
    assert fts5_query("breast cancer") == '"breast" "cancer"'
