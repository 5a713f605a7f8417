import json

import pytest

pytestmark = pytest.mark.django_db

TRIAL_FIELDS = {
    "id",
    "registry_ids",
    "brief_title",
    "official_title",
    "acronym",
    "brief_summary",
    "detailed_description",
    "keywords",
    "overall_status",
    "why_stopped",
    "phases",
    "study_type",
    "design",
    "enrollment",
    "dates",
    "sponsor",
    "collaborators",
    "conditions",
    "arms",
    "interventions",
    "outcomes",
    "eligibility",
    "sites",
    "central_contacts",
    "officials",
    "has_results",
    "sources",
}


@pytest.fixture
def nemtabrutinib(import_paths, ctgov_fixture):
    import_paths(ctgov_fixture("NCT04728893.json"), ctgov_fixture("NCT05417321.json"))
    return json.loads(ctgov_fixture("NCT04728893.json").read_bytes())["protocolSection"]


def test_trial_json_by_nct_eudract_and_internal_id_is_the_same(client, nemtabrutinib):
    by_nct = client.get("/api/trials/NCT04728893/").json()
    assert client.get("/api/trials/nct04728893/").json() == by_nct
    assert client.get("/api/trials/2020-002324-36/").json() == by_nct
    assert client.get(f"/api/trials/{by_nct['id']}/").json() == by_nct
    assert set(by_nct) >= TRIAL_FIELDS


def test_trial_json_states_the_source_facts(client, nemtabrutinib):
    data = client.get("/api/trials/NCT04728893/").json()
    p = nemtabrutinib
    assert data["brief_title"] == p["identificationModule"]["briefTitle"]
    assert data["overall_status"] == "RECRUITING"
    assert data["phases"] == ["PHASE2"]
    assert data["study_type"] == "INTERVENTIONAL"
    assert data["sponsor"] == {"name": "Merck Sharp & Dohme LLC", "class": "INDUSTRY"}
    assert data["dates"]["last_update"] == {"date": "2023-11-06", "type": "ESTIMATED"}
    assert [c["source_term"] for c in data["conditions"]] == p["conditionsModule"]["conditions"]
    assert len(data["sites"]) == 106
    assert {"scheme": "EUDRACT", "value": "2020-002324-36"} in data["registry_ids"]
    assert data["eligibility"]["sex"] == p["eligibilityModule"]["sex"]
    assert data["eligibility"]["min_age_years"] == 18.0
    assert data["sources"][0]["format"] == "ctgov_api_v2_json"
    assert data["sources"][0]["sha256"] and data["sources"][0]["origin"].endswith("NCT04728893.json")


def test_unstated_facts_are_null_not_guessed(client, nemtabrutinib):
    data = client.get("/api/trials/NCT04728893/").json()
    assert data["why_stopped"] is None
    assert data["dates"]["start"]["type"] in {"ACTUAL", "ESTIMATED"}
    # Not every site states a status or coordinates; none is invented.
    assert all(s["status"] is None or s["status"].isupper() for s in data["sites"])


def test_unknown_trial_is_a_json_404(client, nemtabrutinib):
    response = client.get("/api/trials/NCT00000000/")
    assert response.status_code == 404
    assert "NCT00000000" in response.json()["error"]


def test_api_is_read_only(client, nemtabrutinib):
    assert client.post("/api/trials/NCT04728893/").status_code == 405


def test_trial_json_query_count_does_not_grow_with_children(client, nemtabrutinib, django_assert_num_queries):
    # 1 registry id -> trial id, 1 trial + sponsor, then one query per prefetch: registry ids,
    # collaborators, conditions (+condition), arms, arm interventions, interventions, drugs,
    # drug classes, outcomes, sites, site contacts, trial contacts, sources.
    with django_assert_num_queries(15):
        client.get("/api/trials/NCT04728893/")
    with django_assert_num_queries(15):
        client.get("/api/trials/NCT05417321/")


def test_nul_character_in_the_id_is_a_404_not_a_500(client, nemtabrutinib):
    # PostgreSQL text cannot hold NUL; passing it through would raise DataError.
    assert client.get("/api/trials/%00/").status_code == 404
    assert client.get("/api/trials/NCT%0004728893/").status_code == 404
