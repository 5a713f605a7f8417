"""Facet counts (trials.facets, trials.facet_labels) on real studies."""

from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from tests.conftest import SEARCH_STUDIES as STUDIES
from trials import catalogue_names
from trials.facets import count_facets, search_url
from trials.filters import TrialFilterSet
from trials.models import Trial
from trials.search_index import refresh_search_index
from trials.search_query import _websearch, websearch

pytestmark = pytest.mark.django_db


@pytest.fixture
def search_catalogue(search_catalogue_once, db):
    """Every test here reads the same eleven studies: imported once for the module."""
    return search_catalogue_once


def facets(query: str, url=None) -> dict:
    counts = count_facets(TrialFilterSet(QueryDict(query)), url=url)
    return {facet.name: facet for facet in counts.facets} | {"": counts.total}


def listed(facet) -> list[tuple]:
    return [(v.value, v.count, v.selected) for v in facet.values]


def test_counts_of_the_whole_catalogue(search_catalogue):
    found = facets("")
    assert found[""] == len(STUDIES)
    assert listed(found["status"]) == [
        ("RECRUITING", 4, False),  # open statuses first
        ("COMPLETED", 4, False),
        ("UNKNOWN", 2, False),
        ("TERMINATED", 1, False),
    ]
    assert [v.group for v in found["status"].values] == ["Open", "Closed", "Closed", "Closed"]
    assert listed(found["phase"])[:3] == [("PHASE1", 4, False), ("PHASE2", 3, False), ("NA", 2, False)]
    assert listed(found["sex"]) == [("MALE", 11, False), ("FEMALE", 8, False)]
    assert listed(found["has_results"]) == [("false", 10, False), ("true", 1, False)]
    assert found["drug"].truncated  # more than ten drugs: the ten largest are listed
    assert len(found["drug"].values) == 10
    assert found["drug"].values[0].value == "nivolumab" and found["drug"].values[0].count == 2


def test_a_dimensions_counts_ignore_its_own_selection_and_apply_the_others(search_catalogue):
    found = facets("phase=PHASE1&country=CN")
    assert found[""] == 3  # NCT04842201, NCT05417321, NCT06482905
    # Phase counts: every trial in China, whatever its phase (the phase selection is not applied).
    assert listed(found["phase"]) == [("PHASE1", 3, True), ("PHASE2", 2, False)]
    # Country counts: every phase 1 trial, wherever it runs.
    assert ("US", 3, False) in listed(found["country"]) and ("CN", 3, True) in listed(found["country"])
    # Other dimensions: both selections applied.
    assert listed(found["study_type"]) == [("INTERVENTIONAL", 3, False)]


def test_every_count_is_what_ticking_that_value_gives(search_catalogue):
    """Follow each value's link (on a search where its dimension has nothing ticked): the number of
    results is the number the facet showed."""
    for query in ("", "status=RECRUITING", "q=cancer&sex=MALE"):
        found = facets(query, url=lambda params: search_url("/", params))
        for name, facet in found.items():
            if not name or TrialFilterSet(QueryDict(query)).selected(name):
                continue
            for value in facet.values:
                clicked = facets(urlsplit(value.toggle_url).query)
                assert clicked[""] == value.count, (query, name, value.value)


def test_drug_class_tree_drills_down_and_ticking_a_child_narrows(search_catalogue):
    found = facets("drug_class=immunotherapy", url=lambda params: search_url("/", params))
    values = [(v.value, v.count, v.selected, v.depth) for v in found["drug_class"].values]
    assert ("immunotherapy", 3, True, 0) in values
    assert ("immune_checkpoint_inhibitor", 3, False, 1) in values
    assert ("cell_therapy", 1, False, 0) in values  # other top-level classes stay listed
    child = next(v for v in found["drug_class"].values if v.value == "immune_checkpoint_inhibitor")
    assert child.toggle_url == "/?drug_class=immune_checkpoint_inhibitor"  # replaces its parent

    deeper = facets("drug_class=immune_checkpoint_inhibitor")
    values = [(v.value, v.depth, v.selected) for v in deeper["drug_class"].values]
    # The way down from the top, the selection, and the classes under it.
    assert values[:2] == [("immunotherapy", 0, False), ("immune_checkpoint_inhibitor", 1, True)]
    assert {("pd1_inhibitor", 2, False), ("tigit_inhibitor", 2, False)} <= set(values)


def test_condition_tree_starts_at_mesh_categories(search_catalogue):
    found = facets("")
    labels = [v.label for v in found["condition"].values]
    assert "Neoplasms" in labels and all(v.depth == 0 for v in found["condition"].values)


def test_a_selected_value_that_matches_nothing_stays_listed_to_untick(search_catalogue):
    found = facets("country=FR&phase=PHASE1")
    assert found[""] == 0
    assert ("FR", 0, True) in listed(found["country"])


def test_queries_one_count_plus_one_per_ticked_dimension(search_catalogue):
    for query, expected in [("", 4), ("phase=PHASE1", 5), ("phase=PHASE1&country=CN&country=US", 6)]:
        # the catalogue's version + counting queries + the labels' names of that version, read
        # once per version: the drug class tree, the listed drugs' names
        catalogue_names.forget()
        with CaptureQueriesContext(connection) as queries:
            facets(query)
        assert len(queries) == expected, query


def test_in_memory_counts_need_no_counting_query(search_catalogue, settings):
    settings.SEARCH_ENGINE = "memory"
    facets("")  # loads the snapshot of this version
    for query in ["", "phase=PHASE1", "phase=PHASE1&country=CN&country=US", "q=cancer&phase=PHASE1"]:
        websearch("cancer")  # what PostgreSQL makes of the words: asked once per process and text
        with CaptureQueriesContext(connection) as queries:
            facets(query)
        counting = [q["sql"] for q in queries if "unnest" in q["sql"] or "UNION ALL" in q["sql"]]
        assert counting == [], query
    # The words are matched in memory too, phrases included: PostgreSQL is asked only what it
    # makes of them (once per process and text).
    assert [q["sql"] for q in queries if "@@" in q["sql"] or "tsquery" in q["sql"]] == []
    _websearch.cache_clear()
    with CaptureQueriesContext(connection) as queries:
        facets('q="small cell"')
    words = [q["sql"] for q in queries if "@@" in q["sql"] or "tsquery" in q["sql"]]
    assert len(words) == 1 and "websearch_to_tsquery" in words[0]


def test_counts_are_cached_until_the_catalogue_changes(search_catalogue, django_capture_on_commit_callbacks):
    first = facets("phase=PHASE1")
    with CaptureQueriesContext(connection) as queries:
        again = facets("phase=PHASE1")
    assert len(queries) == 1  # the version, for the counts and the names: no counting
    assert listed(again["phase"]) == listed(first["phase"])
    # An import commits, the version moves on: the next search counts afresh.
    Trial.objects.filter(registry_ids__value="NCT04842201").delete()
    with django_capture_on_commit_callbacks(execute=True):
        refresh_search_index(list(Trial.objects.values_list("pk", flat=True)))
    assert facets("phase=PHASE1")[""] == first[""] - 1


def test_a_facet_can_list_more_values(search_catalogue):
    found = facets("", url=lambda params: search_url("/", params))
    assert found["drug"].truncated and not found["drug"].expanded
    assert found["drug"].more_url == "/?expand=drug"
    more = facets("expand=drug", url=lambda params: search_url("/", params))
    assert len(more["drug"].values) > 10 and not more["drug"].truncated and more["drug"].expanded
    assert more["drug"].more_url == "/"  # show fewer
    assert more[""] == found[""]  # the same trials
    assert len(more["country"].values) == len(found["country"].values)  # only the expanded facet
