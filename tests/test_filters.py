"""The search's URL parameters (trials.filters): meanings, combinations, and unknown values."""

import pytest
from django.http import QueryDict

from tests.conftest import SEARCH_STUDIES
from trials.filters import TrialFilterSet

pytestmark = pytest.mark.django_db


@pytest.fixture
def search_catalogue(search_catalogue_once, db):
    """Every test here reads the same eleven studies: imported once for the module."""
    return search_catalogue_once


STUDIES = SEARCH_STUDIES


def found(query: str) -> list[str]:
    filterset = TrialFilterSet(QueryDict(query))
    ids = filterset.qs.filter(registry_ids__scheme="NCT").values_list("registry_ids__value", flat=True)
    return sorted(ids)


def notices(query: str) -> list[tuple[str, str]]:
    return [(n.parameter, n.message) for n in TrialFilterSet(QueryDict(query)).notices]


def test_no_parameters_is_every_trial(search_catalogue):
    assert found("") == STUDIES


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # Phase 1/2 counts as phase 1 and as phase 2.
        ("phase=PHASE2", ["NCT00242138", "NCT04728893", "NCT05417321"]),
        ("phase=phase2", ["NCT00242138", "NCT04728893", "NCT05417321"]),  # enum values in any case
        # Values of one parameter: OR.
        ("phase=PHASE1&phase=PHASE2", ["NCT00242138", "NCT03119428", "NCT04728893", "NCT04842201",
                                       "NCT05417321", "NCT06482905"]),
        ("phase=NA", ["NCT02782533", "NCT05034276"]),
        # Parameters: AND.
        ("phase=PHASE1&status=RECRUITING", ["NCT05417321", "NCT06482905"]),
        ("status=UNKNOWN&study_type=OBSERVATIONAL", ["NCT00444327", "NCT02440776"]),
        ("sponsor_class=INDUSTRY&country=CN", ["NCT04728893", "NCT04842201", "NCT05417321", "NCT06482905"]),
        ("country=FR", ["NCT02782533", "NCT04728893"]),
        ("intervention_type=BEHAVIORAL&intervention_type=DEVICE", ["NCT00242138", "NCT02782533"]),
        ("drug=nivolumab", ["NCT03119428", "NCT06532149"]),
        # A class finds trials of every drug under it: TIGIT via etigilimab and the bispecific HB0036.
        ("drug_class=tigit_inhibitor", ["NCT03119428", "NCT05417321"]),
        ("drug_class=immune_checkpoint_inhibitor&phase=PHASE1", ["NCT03119428", "NCT05417321"]),
        ("has_results=true", ["NCT05034276"]),
        ("healthy_volunteers=true", ["NCT00444327", "NCT04842201"]),
        ("healthy_volunteers=yes&sex=MALE", ["NCT00444327", "NCT04842201"]),  # NCT00444327 takes all sexes
    ],
)  # fmt: skip
def test_parameters(search_catalogue, query, expected):
    assert found(query) == expected
    assert notices(query) == []


def test_sex_means_the_trial_accepts_that_sex(search_catalogue):
    # Trials for men only and trials for all: never those for women only (none here).
    assert found("sex=MALE") == STUDIES
    assert found("sex=FEMALE") == sorted(set(STUDIES) - {"NCT00242138", "NCT04842201", "NCT06532149"})


@pytest.mark.parametrize(
    ("age", "excluded"),
    [
        ("70", {"NCT02782533", "NCT04842201", "NCT00444327"}),  # upper limits 65, 65, and newborns
        ("10", set(STUDIES)),  # every other study starts at 18; the newborn one ends at 1 minute
        ("CHILD", set(STUDIES) - {"NCT00444327"}),
        ("OLDER_ADULT", {"NCT00444327"}),
    ],
)
def test_age_is_a_persons_age_or_an_age_group(search_catalogue, age, excluded):
    assert found(f"age={age}") == sorted(set(STUDIES) - excluded)


def test_unknown_values_are_dropped_and_reported_while_the_rest_applies(search_catalogue):
    query = "phase=PHASE2&phase=PHASE9&drug=nivolumab&drug=no-such-drug&country=XX&has_results=maybe"

    assert found(query) == []  # phase 2 AND nivolumab: none, but not because of the bad values
    assert found("phase=PHASE9&drug=nivolumab") == ["NCT03119428", "NCT06532149"]
    assert notices(query) == [
        ("phase", "'PHASE9' is not a phase"),
        ("drug", "no drug 'no-such-drug' in the catalogue"),
        ("country", "no country (ISO 3166 code) 'XX' in the catalogue"),
        ("has_results", "'maybe' is not true or false"),
    ]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("age=-3", "age"),
        ("age=1e400", "age"),
        ("age=nan", "age"),
        ("radius_km=-5&near=Paris", "radius_km"),
        ("radius_km=nan&near=Paris", "radius_km"),
        ("near=Atlantis%20Under%20The%20Sea", "near"),
        ("near=91,200", "near"),
        ("sort=DROP%20TABLE%20trials_trial", "sort"),
        ("sex=ALL", "sex"),
        ("condition=D999999999", "condition"),
        ("drug_class='%3B%20DELETE%20FROM%20trials_drug%3B--", "drug_class"),
    ],
)
def test_hostile_or_impossible_values_are_reported_not_errors(search_catalogue, query, parameter):
    assert [name for name, _ in notices(query)] == [parameter]
    assert len(found(query)) <= len(STUDIES)


def test_a_parameter_that_takes_one_value_reports_the_others(search_catalogue):
    assert notices("sort=enrollment&sort=start_date") == [("sort", "only one value is used; 'start_date' was left out")]


def test_near_finds_trials_with_a_site_within_the_radius(search_catalogue):
    # NCT04728893 has a site in Marseille; NCT02782533's only site is in Grenoble, 230 km away.
    assert found("near=Marseille%2C%20France&radius_km=50") == ["NCT04728893"]
    assert found("near=Marseille&radius_km=200") == ["NCT04728893"]
    assert found("near=Marseille&radius_km=250") == ["NCT02782533", "NCT04728893"]
    assert found("near=45.1787,5.7148&radius_km=1") == ["NCT02782533"]  # Grenoble's own point
    assert found("near=Toronto&radius_km=10&status=COMPLETED") == ["NCT00242138"]


def test_params_give_the_search_back_without_unknown_values(search_catalogue):
    filterset = TrialFilterSet(QueryDict("q=lung&phase=PHASE2&phase=bogus&age=70&near=48.85,2.35&radius_km=25"))
    assert filterset.params() == {
        "q": ["lung"],
        "phase": ["PHASE2"],
        "age": ["70"],
        "near": ["48.8500, 2.3500"],
        "radius_km": ["25"],
    }
