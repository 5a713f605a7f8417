"""The API against its own OpenAPI schema, with schemathesis: every operation, generated requests
(valid and invalid values), answered in-process by the portal's WSGI application on the eleven
fixture studies. No answer is a 500; each status code, content type and body is one the schema
documents for that operation.

``negative_data_rejection`` is left out on purpose: the API's documented contract is that a value
it cannot use is dropped and reported in ``notices`` (a 200), not refused.

``SCHEMATHESIS_EXAMPLES`` sets the examples per operation (60 here, to stay quick; a longer hunt:
``SCHEMATHESIS_EXAMPLES=2000``).
"""

import os

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from trials.models import Trial

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def search_catalogue(search_catalogue_once, db):
    """The eleven fixture studies, imported once for the module."""
    return search_catalogue_once


@pytest.fixture
def wsgi_application():
    """The portal's WSGI application, in this process so it sees the test's database transaction.
    As Django's test client does, requests do not close the connection at their end (which would
    end the test's transaction)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(search_catalogue, wsgi_application, settings):
    settings.RATE_LIMITS_ENABLED = False
    # The schema as the portal serves it, read through the application the generated requests go to.
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_application)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("SCHEMATHESIS_EXAMPLES", 60)),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_answers_as_its_schema_says(case):
    case.call_and_validate(checks=CHECKS)


# Generated identifiers almost never name a trial, so each trial of the catalogue is read once on
# purpose, and a few searches that reach the less common parts of the answer (highlights, nearest
# sites, expanded facets, the error bodies).
SEARCHES = [
    {},
    {"q": "glioma"},
    {"q": "zzzz glioblastomma"},
    {"near": "Paris", "radius_km": "20000", "sort": "distance"},
    {"page_size": "1", "page": "2", "expand": ["drug", "condition"], "status": "NOT_A_STATUS"},
    {"page": "99"},
    {"page": "0"},
]


def test_every_trial_and_some_searches_match_the_schema(api_schema):
    detail = api_schema["/api/trials/{identifier}/"]["GET"]
    trials = Trial.objects.order_by("pk")
    for identifier in [*(str(trial.pk) for trial in trials), "NCT04728893", "NCT99999999"]:
        response = detail.Case(path_parameters={"identifier": identifier}).call_and_validate(checks=CHECKS)
        assert response.status_code == (404 if identifier == "NCT99999999" else 200)
    search = api_schema["/api/trials/"]["GET"]
    statuses = [search.Case(query=query).call_and_validate(checks=CHECKS).status_code for query in SEARCHES]
    assert statuses == [200, 200, 200, 200, 200, 404, 400]
