"""GET /api/trials/: the search page's search as JSON, on real CT.gov records."""

import json

import pytest
from django.urls import reverse

from tests.conftest import trial_of

SEARCH_URL = reverse("api:trial-list")
PAGE_URL = reverse("trials:list")

# Real CT.gov API v2 studies, newest update first (the default order), with what the filters read.
NEWEST_FIRST = [
    "NCT06482905",  # PHASE1, RECRUITING, industry, CN US, CAR-T (BIOLOGICAL)
    "NCT05417321",  # PHASE1+PHASE2, RECRUITING, industry, CN US, HB0036 (PD-L1/TIGIT bispecific)
    "NCT04728893",  # PHASE2, RECRUITING, industry, 22 countries, nemtabrutinib (BTK inhibitor)
    "NCT05034276",  # NA, COMPLETED, other sponsor, US, results posted
    "NCT02782533",  # NA, COMPLETED, other sponsor, FR, device
    "NCT02440776",  # no phase, UNKNOWN, observational, industry
    "NCT00242138",  # PHASE2, COMPLETED, other sponsor, CA, men only
    "NCT00444327",  # no phase, UNKNOWN, observational, TW, children, healthy volunteers
]


@pytest.fixture
def catalogue(import_studies):
    run = import_studies(*NEWEST_FIRST)
    assert (run.created, run.failed) == (len(NEWEST_FIRST), 0)
    return run


def nct_ids(data: dict) -> list[str]:
    return [trial["nct_id"] for trial in data["results"]]


def test_lists_every_trial_newest_first_with_a_summary_of_each(client, catalogue):
    response = client.get(SEARCH_URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert set(data) == {"count", "next", "previous", "results", "facets", "notices", "suggestion"}
    assert (data["count"], data["next"], data["previous"], data["notices"], data["suggestion"]) == (
        8,
        None,
        None,
        [],
        None,
    )
    assert nct_ids(data) == NEWEST_FIRST
    trial = trial_of("NCT05417321")
    assert data["results"][1] == {
        "id": trial.pk,
        "nct_id": "NCT05417321",
        "registry_ids": [{"scheme": "NCT", "value": "NCT05417321"}, {"scheme": "ORG_STUDY_ID", "value": "HB0036-01"}],
        "brief_title": "A Study Evaluating the Safety and Efficacy of HB0036 in Subjects With Advanced Solid Tumors",
        "acronym": None,
        "overall_status": "RECRUITING",
        "phases": ["PHASE1", "PHASE2"],
        "study_type": "INTERVENTIONAL",
        "conditions": ["Advanced Solid Tumor", "NSCLC"],
        "drugs": [
            {
                "key": "hb0036",
                "name": "HB0036",
                "classes": [
                    {"key": "pdl1_inhibitor", "name": "PD-L1 inhibitor"},
                    {"key": "tigit_inhibitor", "name": "TIGIT inhibitor"},
                    {"key": "bispecific_antibody", "name": "bispecific antibody"},
                ],
            }
        ],
        "sponsor": {"name": "Shanghai Huaota Biopharmaceutical Co., Ltd.", "class": "INDUSTRY"},
        "enrollment": {"count": 80, "type": "ESTIMATED"},
        "dates": {
            "start": {"date": "2022-08-25", "type": "ACTUAL"},
            "primary_completion": {"date": "2025-08-01", "type": "ESTIMATED"},
            "completion": {"date": "2025-08-01", "type": "ESTIMATED"},
            "last_update": {"date": "2025-01-03", "type": "ACTUAL"},
        },
        "has_results": False,
        "nearest_site": None,
        "highlight": None,
        "url": f"http://testserver/trials/{trial.pk}/",
        "api_url": f"http://testserver/api/trials/{trial.pk}/",
    }
    # The trial's own JSON is one link away.
    assert client.get(data["results"][1]["api_url"]).json()["id"] == trial.pk


def test_what_a_source_does_not_state_is_null_and_dates_keep_their_precision(client, catalogue):
    (trial,) = client.get(SEARCH_URL, {"q": "cord blood"}).json()["results"]

    assert trial["nct_id"] == "NCT00444327"  # observational, no phase, no drug
    assert (trial["phases"], trial["drugs"], trial["study_type"]) == ([], [], "OBSERVATIONAL")
    assert trial["dates"] == {
        "start": {"date": "2007-03", "type": None},  # a month, as the source gave it
        "primary_completion": None,
        "completion": None,
        "last_update": {"date": "2009-05-14", "type": "ESTIMATED"},
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"phase": "PHASE1"}, ["NCT06482905", "NCT05417321"]),
        # Values of one parameter: any of them (OR).
        ({"phase": ["PHASE1", "PHASE2"]}, ["NCT06482905", "NCT05417321", "NCT04728893", "NCT00242138"]),
        ({"status": ["completed", "UNKNOWN"]}, NEWEST_FIRST[3:]),  # enum values in any case
        # Parameters: all of them (AND).
        ({"phase": ["PHASE1", "PHASE2"], "status": "COMPLETED"}, ["NCT00242138"]),
        ({"sponsor_class": "INDUSTRY", "study_type": "OBSERVATIONAL"}, ["NCT02440776"]),
        ({"drug_class": "kinase_inhibitor"}, ["NCT04728893"]),
        ({"drug_class": "immune_checkpoint_inhibitor"}, ["NCT05417321"]),  # a class finds its sub-classes
        ({"drug": ["nemtabrutinib", "hb0036"]}, ["NCT05417321", "NCT04728893"]),
        ({"country": "FR"}, ["NCT04728893", "NCT02782533"]),
        ({"has_results": "true"}, ["NCT05034276"]),
        ({"healthy_volunteers": "yes"}, ["NCT00444327"]),
        ({"age": "CHILD"}, ["NCT00444327"]),
        ({"sex": "FEMALE", "phase": "PHASE2"}, ["NCT05417321", "NCT04728893"]),  # not the men-only trial
        ({"q": "lymphoma", "sort": "enrollment"}, ["NCT04728893", "NCT05417321"]),
    ],
)
def test_filters_combine_as_on_the_page(client, catalogue, params, expected):
    data = client.get(SEARCH_URL, params).json()

    assert nct_ids(data) == expected
    assert data["count"] == len(expected)
    assert data["notices"] == []


@pytest.mark.parametrize(
    "query",
    [
        "",
        "phase=PHASE1&phase=PHASE2",
        "phase=PHASE2&status=COMPLETED&country=CA",
        "q=lymphoma&drug_class=targeted_therapy",
        "condition=D009369&age=70",
        "drug_class=immunotherapy&drug_class=pdl1_inhibitor",
        "near=Madrid&radius_km=100&phase=PHASE9",
    ],
)
def test_count_and_facets_are_the_search_pages(client, catalogue, query):
    page = client.get(f"{PAGE_URL}?{query}").context["results"]
    data = client.get(f"{SEARCH_URL}?{query}").json()

    assert data["count"] == page.total
    assert data["facets"] == {facet.name: facet.as_json() for facet in page.facets}
    assert data["notices"] == [{"parameter": n.parameter, "message": n.message} for n in page.notices]


def test_facet_values_are_what_the_filters_take(client, catalogue):
    facets = client.get(SEARCH_URL, {"phase": "PHASE2"}).json()["facets"]

    assert facets["phase"][0] == {"value": "PHASE2", "label": "Phase 2", "count": 3, "selected": True, "depth": 0}
    assert {"value": "CA", "label": "Canada", "count": 2, "selected": False, "depth": 0} in facets["country"]
    # Every listed value, fed back as its filter, finds as many trials as the facet counted.
    for name in ("status", "drug", "drug_class", "condition", "country", "sex", "age"):
        for value in facets[name][:3]:
            narrowed = client.get(SEARCH_URL, {"phase": "PHASE2", name: value["value"]}).json()
            assert narrowed["count"] == value["count"], (name, value)
            assert narrowed["notices"] == []


def test_stale_values_are_reported_and_the_rest_of_the_search_applies(client, catalogue):
    data = client.get(
        SEARCH_URL,
        {
            "phase": ["PHASE2", "PHASE9"],
            "drug": "withdrawn-drug",
            "country": "XX",
            "condition": "D000000",
            "healthy_volunteers": "maybe",
            "radius_km": "-5",
            "sort": "DROP TABLE trials",
            "colour": "blue",
        },
    ).json()

    assert nct_ids(data) == ["NCT05417321", "NCT04728893", "NCT00242138"]  # phase=PHASE2 alone
    assert data["notices"] == [
        {"parameter": "phase", "message": "'PHASE9' is not a phase"},
        {"parameter": "condition", "message": "no condition (MeSH id) 'D000000' in the catalogue"},
        {"parameter": "drug", "message": "no drug 'withdrawn-drug' in the catalogue"},
        {"parameter": "country", "message": "no country (ISO 3166 code) 'XX' in the catalogue"},
        {"parameter": "healthy_volunteers", "message": "'maybe' is not true or false"},
        {"parameter": "radius_km", "message": "the radius must be between 1 and 20000 km; 50 km is used"},
        {"parameter": "sort", "message": "'DROP TABLE trials' is not a sort order"},
        {"parameter": "colour", "message": "not a search parameter; left out"},
    ]


def test_a_query_that_is_a_registry_id_is_searched_not_redirected(client, catalogue):
    response = client.get(SEARCH_URL, {"q": "NCT04728893"})

    assert response.status_code == 200
    assert nct_ids(response.json()) == ["NCT04728893"]
    assert client.get(PAGE_URL, {"q": "NCT04728893"}).status_code == 302  # the page does


def test_matched_words_are_highlighted_and_a_misspelling_gets_a_suggestion(client, catalogue):
    (trial,) = client.get(SEARCH_URL, {"q": "glioma"}).json()["results"]
    assert "<mark>Glioma</mark>" in trial["highlight"]["title"]

    data = client.get(SEARCH_URL, {"q": "lymfoma"}).json()
    assert (data["count"], data["results"], data["suggestion"]) == (0, [], "lymphoma")


def test_near_gives_each_trial_its_nearest_site(client, catalogue):
    data = client.get(SEARCH_URL, {"near": "Madrid", "sort": "distance"}).json()

    assert nct_ids(data) == ["NCT04728893"]
    site = data["results"][0]["nearest_site"]
    assert (site["city"], site["country"]) == ("Madrid", "Spain")
    assert 0 <= site["distance_km"] < 15
    assert set(site) == {"facility", "city", "state", "country", "status", "distance_km"}


# Paging


def test_next_and_previous_walk_every_page_with_the_search_kept(client, catalogue):
    url, seen, pages = f"{SEARCH_URL}?page_size=3&status=COMPLETED&status=UNKNOWN&status=NOPE", [], []
    while url:
        data = client.get(url).json()
        seen += nct_ids(data)
        pages.append(data)
        url = data["next"]

    assert seen == NEWEST_FIRST[3:]
    assert [len(page["results"]) for page in pages] == [3, 2]
    # The links carry the search as it applied: the dropped value is not repeated on every page.
    assert pages[0]["next"] == "http://testserver/api/trials/?status=COMPLETED&status=UNKNOWN&page_size=3&page=2"
    assert pages[1]["previous"] == "http://testserver/api/trials/?status=COMPLETED&status=UNKNOWN&page_size=3&page=1"
    assert pages[1]["notices"] == []
    assert pages[0]["facets"] == pages[1]["facets"]


def test_page_size_defaults_to_the_pages_and_is_capped_at_100(client, catalogue, settings):
    settings.TRIALS_PAGE_SIZE = 5
    assert len(client.get(SEARCH_URL).json()["results"]) == 5

    data = client.get(SEARCH_URL, {"page_size": "1000"}).json()
    assert len(data["results"]) == 8
    assert data["notices"] == [{"parameter": "page_size", "message": "at most 100 trials a page; 100 are listed"}]


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"page": "-1"}, "page"),
        ({"page": "0"}, "page"),
        ({"page": "abc"}, "page"),
        ({"page": "1.5"}, "page"),
        ({"page": "1e3"}, "page"),
        ({"page": "9" * 5000}, "page"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "abc"}, "page_size"),
        ({"page_size": "-20"}, "page_size"),
    ],
)
def test_a_page_or_size_that_is_not_a_whole_number_is_a_400(client, catalogue, params, parameter):
    response = client.get(SEARCH_URL, params)

    assert response.status_code == 400
    assert response.json()["parameter"] == parameter
    assert response.json()["error"].startswith(f"{parameter} must be a whole number, 1 or more; got ")


@pytest.mark.parametrize("page", ["4", "99999999999999999999"])
def test_a_page_past_the_last_is_a_404(client, catalogue, page):
    response = client.get(SEARCH_URL, {"page": page, "page_size": "3"})

    assert response.status_code == 404
    assert response.json() == {"error": f"page {page} is past the last page, 3", "parameter": "page"}


def test_an_empty_result_is_page_one_of_nothing(client, catalogue):
    data = client.get(SEARCH_URL, {"q": "zebrafish", "page": "1"}).json()
    assert (data["count"], data["results"], data["next"], data["previous"]) == (0, [], None, None)


# Hostile input


@pytest.fixture
def two_trials(import_studies):
    import_studies("NCT04728893", "NCT05417321")


@pytest.mark.parametrize(
    "params",
    [
        {"q": "'; DROP TABLE trials_trial; --"},
        {"q": '"""'},
        {"q": "!!! & | ( ) :* <->"},
        {"q": "a" * 5000},
        {"q": "glioma\x00"},
        {"phase": "PHASE1' OR '1'='1"},
        {"drug": "%' OR 1=1 --", "drug_class": "\\", "condition": "D00%"},
        {"country": "US\x00"},
        {"age": ["1e309", "nan", "-1", "inf"]},
        {"near": "Madrid", "radius_km": "1e309"},
        {"near": "Madrid", "radius_km": "nan"},
        {"near": "Madrid", "radius_km": "-5"},
        {"near": "91,181"},
        {"near": "\x00"},
        {"sort": "DROP TABLE"},
        {"page": "99999999999999999999"},
        {"page_size": ["1000", "abc"]},
        {"phase": ["PHASE1"] * 500},
        {"\x00": "x", "q[]": "x"},
    ],
)
def test_hostile_parameters_never_fail(client, two_trials, params):
    response = client.get(SEARCH_URL, params)

    assert response.status_code in (200, 400, 404)
    assert response["Content-Type"] == "application/json"
    json.loads(response.content)


def test_source_text_is_plain_data_in_json(client, import_paths, ctgov_fixture, tmp_path):
    study = json.loads(ctgov_fixture("NCT05417321.json").read_text())
    title = '<script>alert("title")</script> HB0036 study'
    study["protocolSection"]["identificationModule"]["briefTitle"] = title
    study["protocolSection"]["conditionsModule"]["conditions"][0] = "<b>Tumor</b>"
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(study))
    assert import_paths(path).created == 1

    response = client.get(SEARCH_URL, {"q": "HB0036"})

    (trial,) = response.json()["results"]
    assert trial["brief_title"] == title  # data, as the source gave it: escaping is the reader's job
    assert trial["conditions"][0] == "<b>Tumor</b>"
    # The highlight is HTML, so its source text is escaped.
    assert "<script>" not in trial["highlight"]["title"]
    assert "&lt;script&gt;" in trial["highlight"]["title"]
    assert response["Content-Type"] == "application/json"


def test_api_is_read_only(client, catalogue):
    response = client.post(SEARCH_URL, {})
    assert response.status_code == 405
    assert response.json() == {"error": 'Method "POST" not allowed.'}
    assert client.delete(SEARCH_URL).status_code == 405


def test_the_search_page_links_to_the_same_search_in_the_api(client, catalogue):
    html = client.get(PAGE_URL, {"phase": "PHASE2", "page": "1"}).content.decode()

    assert f'<a href="{SEARCH_URL}?phase=PHASE2">API</a>' in html


# Query counts: the guard against N+1. The same for a page of one trial as for a page of eight.


@pytest.mark.parametrize("page_size", [1, len(NEWEST_FIRST)])
def test_search_query_count_does_not_grow_with_the_page(
    client, catalogue, django_assert_num_queries, django_assert_max_num_queries, page_size, settings
):
    settings.SEARCH_ENGINE = "postgresql"  # the SQL path's queries; tests/engine/ pins the in-memory one's
    # The first search of the catalogue's version:
    # 1. the catalogue's version (the key of cached facet counts, and of the names read so far)
    # 2. the number of results and every facet's counts (one query, as nothing is ticked)
    # 3. the drug class tree (labels of the drug class facet)
    # 4. the names of the facet's drugs (labels of the drug facet)
    # 5. the page of trials, joined to their lead sponsors
    # 6. registry ids of the page's trials (prefetch)
    # 7. conditions of the page's trials (prefetch)
    # 8. the listed drugs the facet did not list, with their classes
    with django_assert_max_num_queries(8):
        data = client.get(SEARCH_URL, {"page_size": page_size}).json()
    assert len(data["results"]) == page_size
    # Again: counts, labels and drug names come from the caches of this version (1 above).
    with django_assert_num_queries(4):
        client.get(SEARCH_URL, {"page_size": page_size})


@pytest.mark.parametrize("page_size", [1, 2])
def test_filtered_search_query_count(
    client, catalogue, django_assert_num_queries, django_assert_max_num_queries, page_size, settings
):
    settings.SEARCH_ENGINE = "postgresql"
    params = {
        "q": "lymphoma",
        "phase": ["PHASE1", "PHASE2"],
        "near": "Madrid",
        "radius_km": "20000",
        "page_size": page_size,
    }
    # 1. the catalogue's version (the key of cached facet counts)
    # 2. the number of results and the counts of every facet but phase
    # 3. the phase facet's counts, its own selection left out
    # 4.-9. as above: class tree, drug names, trials, registry ids, conditions, drugs
    # 10. the matched words highlighted (q)
    # 11. the nearest site of each listed trial (near), one row per trial
    with django_assert_max_num_queries(11):
        data = client.get(SEARCH_URL, params).json()
    assert (data["count"], len(data["results"])) == (2, page_size)
    # Again: 1 (the version), 6, 7, 8 (the page), 10 and 11.
    with django_assert_num_queries(6):
        client.get(SEARCH_URL, params)
