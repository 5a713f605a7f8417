"""The ClinicalTrials.gov API v2 fetch stage, against a local replay of recorded API answers (never the internet)."""

import datetime as dt
import socket

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.env import envurl
from trials.ingest import ctgov_api
from trials.ingest.ctgov_api import fetch_studies, fetch_updated_since
from trials.ingest.parsers import ctgov_json
from trials.ingest.readers import Unreadable
from trials.ingest.records import RawSource

SINCE_FILTER = "AREA[LastUpdatePostDate]RANGE[2023-01-01,MAX]"


def nct_ids_in(unit: RawSource) -> list[str]:
    """The studies a fetched page holds, read the way the import will read them."""
    return [ctgov_json.parse(record.data).registry_ids[0].value for record in ctgov_json.split(unit)]


def test_fetch_by_ids_asks_for_all_ids_and_names_the_one_not_found(ctgov_replay):
    units = list(fetch_studies(["nct05417321", "NCT06482905", " NCT09999999 ", "NCT05417321"]))

    assert ctgov_replay.queries() == [
        {"filter.ids": "NCT05417321,NCT06482905,NCT09999999", "pageSize": "50", "format": "json"}
    ]
    page, missing = units
    assert isinstance(page, RawSource)
    assert page.origin.endswith(
        "/api/v2/studies?filter.ids=NCT05417321,NCT06482905,NCT09999999&pageSize=50&format=json"
    )
    assert nct_ids_in(page) == ["NCT05417321", "NCT06482905"]
    assert missing == Unreadable("ctgov-api: NCT09999999", "NCT09999999 not found on ClinicalTrials.gov")


def test_requests_name_the_portal_and_accept_gzip(ctgov_replay):
    list(fetch_studies(["NCT05417321", "NCT06482905", "NCT09999999"]))
    (_, headers), *_ = ctgov_replay.requests
    assert headers["User-Agent"].startswith("trial-portal/")
    assert headers["Accept-Encoding"] == "gzip"


def test_fetch_by_ids_in_batches(ctgov_replay):
    units = list(fetch_studies(["NCT05417321", "NCT06482905", "NCT09999999"], batch_size=2))

    assert [query["filter.ids"] for query in ctgov_replay.queries()] == ["NCT05417321,NCT06482905", "NCT09999999"]
    assert [type(unit) for unit in units] == [RawSource, RawSource, Unreadable]
    assert nct_ids_in(units[0]) == ["NCT05417321", "NCT06482905"]
    assert list(ctgov_json.split(units[1])) == []  # CT.gov answers an unknown id with an empty page
    assert units[2].error == "NCT09999999 not found on ClinicalTrials.gov"


def test_a_bad_id_is_refused_before_any_request(ctgov_replay):
    with pytest.raises(ValueError, match=r"'NCT123' is not an NCT id \(NCT and 8 digits"):
        fetch_studies(["NCT05417321", "NCT123"])
    with pytest.raises(ValueError, match="no NCT ids"):
        fetch_studies([])
    assert ctgov_replay.requests == []


def test_updated_since_builds_the_filter_and_follows_the_page_token(ctgov_replay):
    units = list(fetch_updated_since(dt.date(2023, 1, 1)))

    first, second = ctgov_replay.queries()
    assert first == {"filter.advanced": SINCE_FILTER, "pageSize": "1000", "format": "json", "countTotal": "true"}
    # The second page repeats the query and adds the token the first page ended with.
    assert second == {**first, "pageToken": second["pageToken"]}
    assert f'"nextPageToken":"{second["pageToken"]}"' in units[0].data.decode()
    assert units[1].origin.endswith(f"&pageToken={second['pageToken']}")
    assert "AREA[LastUpdatePostDate]RANGE[2023-01-01,MAX]" in units[0].origin
    assert [nct_ids_in(unit) for unit in units] == [["NCT04728893", "NCT05034276"], ["NCT05417321", "NCT06482905"]]


def test_a_server_error_is_retried_after_a_pause(ctgov_replay):
    ctgov_replay.fail(500, b"Internal Server Error")
    units = list(fetch_updated_since(dt.date(2023, 1, 1)))

    assert [type(unit) for unit in units] == [RawSource, RawSource]
    assert len(ctgov_replay.requests) == 3  # the first page twice, then the second page
    assert ctgov_replay.sleeps == [2]


def test_a_persistent_503_becomes_one_failed_unit_after_three_tries(ctgov_replay):
    ctgov_replay.fail(503, b"Service temporarily unavailable", times=3)
    (unit,) = fetch_updated_since(dt.date(2023, 1, 1))

    assert isinstance(unit, Unreadable)
    assert "RANGE[2023-01-01,MAX]" in unit.origin
    assert unit.error == (
        "ClinicalTrials.gov answered HTTP 503 Service Unavailable: Service temporarily unavailable "
        "(gave up after 3 tries)"
    )
    assert len(ctgov_replay.requests) == 3
    assert ctgov_replay.sleeps == [2, 8]


def test_a_bad_request_is_not_retried_and_keeps_the_apis_message(ctgov_replay):
    ctgov_replay.fail(400, b"Error parsing query in advanced filter: Unknown area name: LastUpdate")
    (unit,) = fetch_updated_since(dt.date(2023, 1, 1))

    assert unit.error == (
        "ClinicalTrials.gov answered HTTP 400 Bad Request: "
        "Error parsing query in advanced filter: Unknown area name: LastUpdate"
    )
    assert len(ctgov_replay.requests) == 1
    assert ctgov_replay.sleeps == []


def test_a_failed_batch_does_not_call_its_ids_missing(ctgov_replay):
    ctgov_replay.fail(404, b'{"message": "no such route"}', content_type="application/json")
    units = list(fetch_studies(["NCT05417321", "NCT06482905", "NCT09999999"], batch_size=2))

    assert [type(unit) for unit in units] == [Unreadable, RawSource, Unreadable]
    assert units[0].error == "ClinicalTrials.gov answered HTTP 404 Not Found: no such route"
    assert units[2].origin == "ctgov-api: NCT09999999"


def test_a_body_that_is_not_json(ctgov_replay):
    ctgov_replay.fail(200, b"<html><body>Down for maintenance</body></html>", content_type="text/html")
    (unit,) = fetch_studies(["NCT05417321", "NCT06482905", "NCT09999999"])

    assert isinstance(unit, Unreadable)
    assert unit.error == "the answer is not JSON: '<html><body>Down for maintenance</body></html>'"


def test_json_that_is_not_a_page_of_studies(ctgov_replay):
    ctgov_replay.fail(200, b'{"message": "hello"}', content_type="application/json")
    (unit,) = fetch_updated_since(dt.date(2023, 1, 1))
    assert unit.error.startswith('the answer is JSON but not a page of studies (no "studies" list)')


def test_a_response_over_the_size_limit_is_refused(ctgov_replay, monkeypatch):
    monkeypatch.setattr(ctgov_api, "MAX_RESPONSE_BYTES", 1000)
    (unit, *_) = fetch_updated_since(dt.date(2023, 1, 1))
    assert isinstance(unit, Unreadable)
    assert "refused: the response" in unit.error and "limit for one response" in unit.error


def test_no_answer_within_the_timeout(ctgov_replay, settings):
    settings.CTGOV_API_TIMEOUT = 1
    ctgov_replay.delay = 1.5
    (unit,) = fetch_updated_since(dt.date(2023, 1, 1))
    assert unit.error.startswith("no answer from 127.0.0.1:") and unit.error.endswith("within 1 s")


def test_connection_refused(settings):
    with socket.socket() as probe:  # a port that was free a moment ago and has nothing listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CTGOV_API_URL = f"http://127.0.0.1:{port}/api/v2"
    (unit,) = fetch_studies(["NCT05417321"])
    assert isinstance(unit, Unreadable)
    assert unit.error.startswith(f"cannot reach 127.0.0.1:{port}: ") and "refused" in unit.error


def test_api_url_setting_must_be_an_http_url(monkeypatch):
    monkeypatch.setenv("CTGOV_API_URL", "https://clinicaltrials.gov/api/v2/")
    assert envurl("CTGOV_API_URL", "x") == "https://clinicaltrials.gov/api/v2"
    monkeypatch.setenv("CTGOV_API_URL", "clinicaltrials.gov/api/v2")
    with pytest.raises(ImproperlyConfigured, match="is not an http"):
        envurl("CTGOV_API_URL", "x")


def test_the_replay_refuses_a_request_it_has_no_recording_for(ctgov_replay):
    # The guard that makes the tests above prove the client's requests: a wrong query fails.
    (unit,) = fetch_updated_since(dt.date(2020, 1, 1))
    assert unit.error.startswith("ClinicalTrials.gov answered HTTP 400 Bad Request: replay: no recorded answer")
