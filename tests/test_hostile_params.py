"""Hostile web input on every public GET endpoint: never a 500, always a page, file or JSON that reads.

One table: every endpoint that takes the search's parameters x every parameter the search reads
(``TrialFilterSet.base_filters``, the paging parameters, names it does not know) x hostile values
(SQL meta-characters, 10,000 characters, NUL and control characters, invalid UTF-8 escapes, broken
web-search syntax, impossible enums, numbers and places). A value is either used or dropped with a
notice: the answer is a 200, or a 400/404 that says what was wrong (JSON for the API). Then
hypothesis sends random parameter sets to the search page and the API.
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import xml.etree.ElementTree as ET
from urllib.parse import quote

import pytest
from django.http import QueryDict
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trials.api.parameters import SINGLE_VALUED
from trials.api.views import PAGING
from trials.exports import CSV_COLUMNS
from trials.filters import MAX_VALUES, TrialFilterSet

pytestmark = pytest.mark.django_db

# The search's own parameters, read from the code: a filter added later is attacked too.
FILTERS = list(TrialFilterSet.base_filters)
PARAMETERS = [*FILTERS, *PAGING, "unknown", "q[]", "%00", "page%00size"]


def _encoded(text: str) -> str:
    return quote(text, safe="")


# Hostile values, already percent-encoded for a query string (some are bytes no UTF-8 decoder accepts).
HOSTILE = {
    "sql or": _encoded("' OR 1=1 --"),
    "sql drop": _encoded('"; DROP TABLE trials_trial; --'),
    "backslash": _encoded("\\"),
    "like wildcards": _encoded("%_%"),
    "10k chars": "a" * 10_000,
    "10k words": _encoded("lung " * 2_000),
    "nul": "%00",
    "nul inside": _encoded("glioma\x00RECRUITING"),
    "control characters": _encoded("glioma\x01\x02\x03\x08\x0b\x1b\x7f"),
    "invalid utf-8": "%ff%fe",
    "lone surrogate": "%ed%a0%80",
    "overlong slash": "%c0%af",
    "unclosed phrase": _encoded('"unclosed'),
    "lone minus": "-",
    "or or": _encoded("OR OR"),
    "open parentheses": _encoded("(("),
    "tsquery operators": _encoded("!:*&|<->"),
    "html": _encoded("<script>alert(1)</script>"),
    "javascript url": _encoded("javascript:alert(1)"),
    "unicode": _encoded("肺癌 🫁 Ünïcödé \u202e"),
    "invalid enum": "PHASE9",
    "lowercase enum": "phase2",
    "negative": "-1",
    "zero": "0",
    "huge integer": "9" * 5_000,  # past int()'s 4,300 digits
    "float": "1.5",
    "1e308": "1e308",
    "overflowing float": "1e309",
    "nan": "NaN",
    "inf": "inf",
    "minus inf": "-inf",
    "non-numeric": "abc",
    "unicode digits": _encoded("١٢³"),  # str.isdigit() says yes; int() refuses "³"
    "lat,lon nan": _encoded("NaN,NaN"),
    "lat,lon out of range": _encoded("91,181"),
    "lat,lon huge": _encoded("1e308,-1e308"),
    "lat,lon pole": _encoded("90,0"),
    "blank": "",
    "spaces": "+++",
}

SEARCH_ENDPOINTS = {
    "search page": reverse("trials:list"),
    "csv export": reverse("trials:export", args=["csv"]),
    "json export": reverse("trials:export", args=["json"]),
    "atom feed": reverse("trials:feed"),
    "place suggestions": reverse("trials:places"),
    "api search": reverse("api:trial-list"),
}


@pytest.fixture
def search_catalogue(search_catalogue_once, db):
    """Every test here only reads the eleven fixture studies: imported once for the module."""
    return search_catalogue_once


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    settings.RATE_LIMITS_ENABLED = False  # thousands of requests from one client are the point here


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def problems(endpoint: str, response) -> list[str]:
    """What is wrong with an answer to hostile input (nothing, for a sane one)."""
    status, content_type = response.status_code, response.get("Content-Type", "")
    if status not in (200, 400, 404):
        return [f"status {status}"]
    body = _body(response)
    try:
        if endpoint in ("api search", "api detail", "place suggestions"):
            data = json.loads(body)
            assert content_type == "application/json", content_type
            if status != 200:
                assert isinstance(data["error"], str) and data["error"], data
            elif endpoint == "api search":
                assert {"count", "results", "facets", "notices"} <= set(data)
            elif endpoint == "place suggestions":
                assert isinstance(data["places"], list)
        elif status != 200 or endpoint in ("search page", "trial page"):
            assert content_type.startswith("text/html") and body.rstrip().endswith(b"</html>"), body[-200:]
        elif endpoint == "csv export":
            rows = list(csv.reader(io.StringIO(body.decode())))
            assert tuple(rows[0]) == CSV_COLUMNS
        elif endpoint == "json export":
            assert isinstance(json.loads(body), list)
        elif endpoint == "atom feed":
            assert ET.fromstring(body).tag == "{http://www.w3.org/2005/Atom}feed"
    except (AssertionError, ValueError, KeyError, ET.ParseError) as error:
        return [f"status {status}: {type(error).__name__} {str(error)[:200]}"]
    return []


# Exports write every matching trial: narrowed to one trial (by a parameter other than the one
# attacked) they still write a row while staying fast. The rows themselves are tested in test_exports.
_NARROW = {"csv export": "has_results=true", "json export": "has_results=true"}


def attack(client, endpoint: str, url: str, query: str) -> list[str]:
    if endpoint in _NARROW and "has_results" not in query:
        query = f"{query}&{_NARROW[endpoint]}"
    response = client.get(f"{url}?{query}")
    return [f"{endpoint} ?{query[:80]}: {problem}" for problem in problems(endpoint, response)]


# Parameters of which an endpoint reads only the first value: each hostile value is sent alone.
# Of the others every value is read, so all of them go in one request (split up only to name a
# failing one). Place suggestions read only ``q``; only the API reads ``page_size``.
def reads_first_value_only(endpoint: str, parameter: str) -> bool:
    if endpoint == "place suggestions":
        return parameter == "q"
    readers = {"page": ("search page", "api search"), "page_size": ("api search",)}
    return parameter in SINGLE_VALUED or endpoint in readers.get(parameter, ())


# All in one request, every value is read only while they are within the per-parameter limit.
assert len(HOSTILE) <= MAX_VALUES

# A radius and the distance order only matter near a place.
_CONTEXT = {"radius_km": "near=Paris", "sort": "near=Paris"}


@pytest.mark.parametrize("endpoint", SEARCH_ENDPOINTS)
@pytest.mark.parametrize("parameter", PARAMETERS)
def test_hostile_values_of_every_parameter_never_fail(client, search_catalogue, endpoint, parameter):
    url, context = SEARCH_ENDPOINTS[endpoint], _CONTEXT.get(parameter, "")
    queries = [f"{parameter}={value}&{context}" for value in HOSTILE.values()]
    # Every hostile value in one request; then, only if that fails, each alone to name the culprit.
    if not reads_first_value_only(endpoint, parameter) and not attack(client, endpoint, url, "&".join(queries)):
        queries = []
    found = [problem for query in queries for problem in attack(client, endpoint, url, query)]
    # Repeated past the per-parameter limit, and the name alone.
    found += attack(client, endpoint, url, "&".join([f"{parameter}=PHASE1"] * (MAX_VALUES * 3)))
    found += attack(client, endpoint, url, parameter)
    assert found == []


@pytest.mark.parametrize("endpoint", SEARCH_ENDPOINTS)
def test_every_parameter_hostile_at_once(client, search_catalogue, endpoint):
    for value in HOSTILE.values():
        query = "&".join(f"{parameter}={value}" for parameter in PARAMETERS)
        assert attack(client, endpoint, SEARCH_ENDPOINTS[endpoint], query) == []


@pytest.mark.parametrize("endpoint", SEARCH_ENDPOINTS)
def test_more_parameters_than_django_reads_is_a_400_that_says_so(client, search_catalogue, settings, endpoint):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 100
    for query in ("&".join(["phase=PHASE1"] * 101), "&".join(f"p{index}=1" for index in range(101))):
        response = client.get(f"{SEARCH_ENDPOINTS[endpoint]}?{query}")
        assert response.status_code == 400
        assert problems(endpoint, response) == []
        assert "Too many query parameters: at most 100 are read." in response.content.decode()


HOSTILE_IDENTIFIERS = [
    "0",
    "-1",
    "9" * 400,
    "9" * 5_000,  # past int()'s 4,300 digits
    "NCT99999999",
    "nct04728893x",
    "1.5",
    "%00",
    "NCT04728893%00",
    "%ff%fe",
    "%ed%a0%80",
    "%27%20OR%201%3D1%20--",
    "%25",
    "%5C",
    "%3Cscript%3E",
    "a" * 10_000,
    "%20",
    "%C2%B9",  # "¹": a digit to str.isdigit(), not to int()
    "%C2%85%C2%B9",  # NEL (stripped as whitespace), then "¹"
    "%D9%A3",  # an Arabic-Indic three
]


@pytest.mark.parametrize(("endpoint", "name"), [("trial page", "trials:detail"), ("api detail", "trials:api-detail")])
def test_hostile_trial_identifiers_are_404s(client, search_catalogue, endpoint, name):
    url = reverse(name, args=["X"])[: -len("X/")]
    for identifier in HOSTILE_IDENTIFIERS:
        response = client.get(f"{url}{identifier}/")
        assert response.status_code == 404, identifier
        assert problems(endpoint, response) == [], identifier
    # Query parameters a trial's page does not read change nothing.
    query = "&".join(f"{parameter}={HOSTILE['nul inside']}" for parameter in PARAMETERS)
    assert attack(client, endpoint, reverse(name, args=["NCT04728893"]), query) == []


@pytest.mark.parametrize("parameter", [name for name in FILTERS if name != "q"])
def test_a_value_the_search_cannot_use_is_dropped_with_a_notice(client, search_catalogue, parameter):
    """The sane result: what a filter cannot use is reported (and the search still answers)."""
    labels = ["sql or", "nul inside", "invalid utf-8", "html", "overflowing float", "lat,lon out of range"]
    if parameter != "near":  # Nan is a city in Thailand
        labels.append("nan")
    for label in labels:
        query = f"{parameter}={HOSTILE[label]}"
        data = client.get(f"{SEARCH_ENDPOINTS['api search']}?{query}").json()
        assert parameter in {notice["parameter"] for notice in data["notices"]}, query
        assert parameter not in TrialFilterSet(QueryDict(query)).values, query
        page = client.get(f"{SEARCH_ENDPOINTS['search page']}?{query}")
        messages = [notice.message for notice in page.context["results"].notices if notice.parameter == parameter]
        assert messages, query
        # The page tells the person, the value in it shown as text.
        assert all(html.escape(message) in page.content.decode() for message in messages), messages


# Random parameter sets. Names mostly the search's own, values mostly hostile, sometimes valid.
VALID = ["PHASE2", "RECRUITING", "glioma", "US", "FEMALE", "true", "45", "ADULT", "Paris", "50", "drug", "2"]
_raw_values = st.one_of(
    st.sampled_from(list(HOSTILE.values())),
    st.sampled_from(VALID),
    st.text(max_size=40).map(_encoded),
    st.binary(max_size=12).map(lambda raw: quote(raw, safe="")),
)
_queries = st.lists(
    st.tuples(st.sampled_from(PARAMETERS) | st.text(min_size=1, max_size=8).map(_encoded), _raw_values),
    max_size=8,
).map(lambda pairs: "&".join(f"{name}={value}" for name, value in pairs))
# 50 each here to stay quick; a longer hunt: HOSTILE_EXAMPLES=2000.
_FUZZ = settings(
    max_examples=int(os.environ.get("HOSTILE_EXAMPLES", 50)),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@_FUZZ
@given(query=_queries)
def test_random_parameters_on_the_search_page(client, search_catalogue, query):
    assert attack(client, "search page", SEARCH_ENDPOINTS["search page"], query) == []


@_FUZZ
@given(query=_queries)
def test_random_parameters_on_the_api(client, search_catalogue, query):
    assert attack(client, "api search", SEARCH_ENDPOINTS["api search"], query) == []
