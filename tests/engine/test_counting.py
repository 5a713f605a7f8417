"""The in-memory engine gives exactly what SQL gives: every facet's counts and every sort's pages,
over the eleven real fixture studies and searches drawn from the values they hold."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trials.engine import counting, engine, joint
from trials.engine.snapshot import SORTS
from trials.facet_labels import FacetLabels
from trials.facets import DIMENSIONS, _counts
from trials.filters import TrialFilterSet
from trials.models import Trial
from trials.search_index import catalogue_version
from trials.search_results import ordered
from trials.selectors import trial_list

pytestmark = pytest.mark.django_db
EVERY_VALUE = {"expand": [d.name for d in DIMENSIONS]}  # no facet cut at its limit: ties cannot differ


@pytest.fixture
def search_catalogue(search_catalogue_once, db):
    return search_catalogue_once


@pytest.fixture(autouse=True, params=["combinations", "value-by-value", "row-by-row"])
def counted_through(request, monkeypatch):
    """Each test every way the engine counts a facet: the dimensions with few values through the
    rows' combinations of them (``trials.engine.joint``, as served), and each dimension alone,
    through each value's entries (a broad search) and through the matching rows' own entries (a
    narrow one)."""
    if request.param != "combinations":
        monkeypatch.setattr(joint.Combinations, "of", classmethod(lambda *args: None))
        monkeypatch.setattr(counting, "FEW_ROWS", 1.01)
        monkeypatch.setattr(counting, "by_rows", lambda *args: request.param == "row-by-row")


def _values(column):
    rows = Trial.objects.values_list(column, flat=True)
    return sorted(
        {
            str(v).lower() if isinstance(v, bool) else str(v)
            for row in rows
            for v in ([row] if not isinstance(row, list) else row)
            if v not in (None, "")
        }
    )


def both(data):
    filterset = TrialFilterSet({**EVERY_VALUE, **data})
    labels = FacetLabels(filterset)
    search = engine(filterset, catalogue_version())
    assert search is not None
    return _sorted(_counts(filterset, labels, search)), _sorted(_counts(filterset, labels, None)), filterset, search


def _sorted(counts):
    total, rows = counts
    return total, {name: sorted(found) for name, found in rows.items()}


def test_the_empty_search_counts_alike(search_catalogue):
    memory, sql, *_ = both({})
    assert memory == sql
    assert memory[0] == 11 and memory[1]["phase"]


@pytest.mark.parametrize(
    "data",
    [
        {"phase": ["PHASE1"]},
        {"phase": ["PHASE1", "PHASE2"], "country": ["US", "CN"]},
        {"condition": ["D009369"], "status": ["RECRUITING"]},
        {"drug_class": ["pd1_inhibitor"]},
        {"sex": ["FEMALE"], "age": ["OLDER_ADULT"]},
        {"healthy_volunteers": ["false"], "has_results": ["true"]},
        {"q": "lymphoma"},
        {"q": "cancer", "phase": ["PHASE2"]},
        {"q": '"small cell" -pediatric'},
        {"q": '-"small cell" lung OR glioma'},
        {"q": "-cancer", "status": ["COMPLETED"]},
        {"q": "the of and"},  # stop words only: nothing
        {"q": "NCT04728893"},
        {"near": "Madrid", "radius_km": "2000"},
        {"near": "Boston", "radius_km": "300", "status": ["RECRUITING", "COMPLETED"]},
        {"country": ["FR"], "phase": ["PHASE1"]},  # matches nothing
        {"drug": ["no such drug"]},  # an unknown value is left out of the search
    ],
)
def test_chosen_searches_count_alike(search_catalogue, data):
    memory, sql, *_ = both(data)
    assert memory == sql


def test_an_age_in_years_stays_on_postgresql(search_catalogue):
    assert engine(TrialFilterSet({"age": ["45"]}), catalogue_version()) is None
    assert engine(TrialFilterSet({"age": ["ADULT"]}), catalogue_version()) is not None


@pytest.mark.parametrize("sort", [*sorted(SORTS), "relevance"])
@pytest.mark.parametrize(
    "data",
    [{}, {"phase": ["PHASE1", "PHASE2"]}, {"q": "cancer"}, {"status": ["RECRUITING"]}, {"q": "study -placebo"}],
)
def test_pages_come_in_the_order_sql_gives(search_catalogue, sort, data):
    filterset = TrialFilterSet({**data, "sort": sort})
    search = engine(filterset, catalogue_version())
    expected = list(ordered(filterset, filterset.filter_queryset(trial_list())).values_list("pk", flat=True))
    assert search.page(sort, 0, 100) == expected
    assert search.page(sort, 2, 3) == expected[2:5]


@pytest.fixture(scope="module")
def held_values(search_catalogue_once, django_db_blocker):
    with django_db_blocker.unblock():
        return {
            "phase": _values("phases"),
            "status": _values("overall_status"),
            "condition": _values("facet_conditions")[:30],
            "drug": _values("facet_drugs")[:30],
            "drug_class": _values("facet_drug_classes")[:30],
            "intervention_type": _values("facet_intervention_types"),
            "study_type": _values("study_type"),
            "sponsor_class": _values("facet_sponsor_class"),
            "country": _values("facet_countries"),
            "age": _values("std_ages"),
            "sex": ["FEMALE", "MALE"],
            "healthy_volunteers": ["true", "false"],
            "has_results": ["true", "false"],
        }


@settings(max_examples=80, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_drawn_searches_count_alike(search_catalogue, held_values, data):
    chosen = {}
    for name in data.draw(st.sets(st.sampled_from(sorted(held_values)), max_size=4)):
        chosen[name] = data.draw(st.lists(st.sampled_from(held_values[name]), min_size=1, max_size=3, unique=True))
    if data.draw(st.booleans()):
        chosen["q"] = data.draw(
            st.sampled_from(["cancer", "lymphoma OR glioma", '"small cell"', "trial -placebo", "patients treatment"])
        )
    if data.draw(st.booleans()):
        chosen["near"] = data.draw(st.sampled_from(["Madrid", "Boston", "Beijing", "48.85,2.35", "-33.9,151.2"]))
        chosen["radius_km"] = data.draw(st.sampled_from(["50", "500", "3000", "20000"]))
        chosen["sort"] = data.draw(st.sampled_from(["distance", "last_update", "enrollment"]))
    memory, sql, filterset, search = both(chosen)
    assert memory == sql, chosen
    expected = list(ordered(filterset, filterset.filter_queryset(trial_list())).values_list("pk", flat=True))
    assert search.page(filterset.sort_order, 0, 100) == expected, chosen


@pytest.mark.parametrize("density", [0.0, 0.001, 0.3, 1.0])
@pytest.mark.parametrize("count", [0, 1, 20, 5_000, 50_000])
def test_the_first_matching_rows_are_found_chunk_by_chunk(density, count):
    """A page's rows in a column order are read a growing chunk at a time: the same rows as
    filtering the whole order, whatever the density and the depth of the page."""
    rng = np.random.default_rng(7)
    order = rng.permutation(40_000).astype(np.int32)
    mask = rng.random(40_000) < density
    assert (counting._first_matching(order, mask, count) == order[mask[order]][:count]).all()
