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
