"""The OpenAPI schema (drf-spectacular) and its docs page: valid, complete, served without a CDN."""

import pytest
import yaml
from django.core.management import call_command
from django.urls import reverse

from trials import choices
from trials.api.parameters import SINGLE_VALUED
from trials.filters import SORTS, TrialFilterSet


@pytest.fixture(scope="module")
def schema(tmp_path_factory):
    path = tmp_path_factory.mktemp("schema") / "schema.yaml"
    # What CI would run: a warning (an undocumented field, a guessed type) fails it.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())


def search_parameters(schema) -> dict[str, dict]:
    return {p["name"]: p for p in schema["paths"]["/api/trials/"]["get"]["parameters"]}


def test_every_filter_of_the_search_is_a_documented_parameter_in_order(schema):
    parameters = search_parameters(schema)

    assert list(parameters) == [*TrialFilterSet.base_filters, "page", "page_size"]
    assert all(p["in"] == "query" and p["description"] for p in parameters.values())


def test_parameters_carry_their_enum_values_and_say_whether_they_repeat(schema):
    parameters = search_parameters(schema)

    assert parameters["phase"]["schema"] == {
        "type": "array",
        "items": {"type": "string", "enum": sorted(choices.Phase.values)},
    }
    assert parameters["status"]["schema"]["items"]["enum"] == sorted(choices.OverallStatus.values)
    assert parameters["sex"]["schema"]["items"]["enum"] == ["FEMALE", "MALE"]
    assert parameters["has_results"]["schema"] == {"type": "array", "items": {"type": "boolean"}}
    assert parameters["sort"]["schema"] == {"type": "string", "enum": sorted(SORTS)}
    assert parameters["radius_km"]["schema"] == {"type": "number", "minimum": 1, "maximum": 20000.0, "default": 50.0}
    assert parameters["q"]["schema"] == {"type": "string"}
    assert all(p.get("explode", True) for p in parameters.values())  # phase=A&phase=B, not phase=A,B


@pytest.mark.django_db
def test_single_valued_parameters_are_those_the_filters_read_once():
    # Two values for every parameter: a filter that reads one says it left the other out.
    filterset = TrialFilterSet({name: ["1", "2"] for name in TrialFilterSet.base_filters})
    read_once = {notice.parameter for notice in filterset.notices if "only one value is used" in notice.message}

    assert read_once == SINGLE_VALUED


def test_responses_are_described_by_serializers(schema):
    responses = schema["paths"]["/api/trials/"]["get"]["responses"]
    components = schema["components"]["schemas"]

    assert responses["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/TrialSearch"}
    assert responses["400"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert set(components["TrialSearch"]["properties"]) == {
        "count",
        "next",
        "previous",
        "results",
        "facets",
        "notices",
        "suggestion",
    }
    assert components["TrialSearch"]["properties"]["facets"]["additionalProperties"]["items"] == {
        "$ref": "#/components/schemas/FacetValue"
    }
    assert {"nct_id", "drugs", "nearest_site", "url", "api_url"} <= set(components["TrialSummary"]["properties"])
    assert sorted(components["OverallStatusEnum"]["enum"]) == sorted(choices.OverallStatus.values)
    detail = schema["paths"]["/api/trials/{identifier}/"]["get"]["responses"]
    assert detail["404"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_schema_is_served(client, db):
    response = client.get(reverse("api:schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Trial Portal API"
    assert "/api/trials/" in response.json()["paths"]


def test_docs_are_served_from_our_own_static_files(client, db):
    html = client.get(reverse("api:docs")).content.decode()

    assert '<script src="/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"' in html
    assert "//cdn" not in html and "unpkg" not in html and "jsdelivr" not in html
    # The start-up script is a file of its own too (no inline script: a strict CSP holds).
    script = client.get(reverse("api:docs"), {"script": ""})
    assert script["Content-Type"].startswith("application/javascript")
    assert reverse("api:schema") in script.content.decode()
