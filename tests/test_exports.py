"""Downloads of a search (trials.exports): CSV and JSON, streamed, the same trials as the page."""

import csv
import io
import json

import pytest
from django.urls import reverse

from trials.exports import CSV_COLUMNS
from trials.models import Trial

pytestmark = pytest.mark.django_db


@pytest.fixture
def search_catalogue(search_catalogue_once, db):
    """Every test here reads the same eleven studies: imported once for the module."""
    return search_catalogue_once


def download(client, fmt: str, params: dict) -> str:
    response = client.get(reverse("trials:export", args=[fmt]), params)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Disposition"] == f'attachment; filename="trials.{fmt}"'
    return b"".join(response.streaming_content).decode()


def test_csv_has_one_row_per_matching_trial_in_the_pages_order(client, search_catalogue):
    rows = list(csv.DictReader(io.StringIO(download(client, "csv", {"country": "CN", "sort": "enrollment"}))))

    assert [row["nct_id"] for row in rows] == ["NCT04728893", "NCT05417321", "NCT06482905", "NCT04842201"]
    assert list(rows[0]) == list(CSV_COLUMNS)
    hb0036 = rows[1]
    assert hb0036["phases"] == "PHASE1; PHASE2"
    assert hb0036["overall_status"] == "RECRUITING"
    assert "PD-L1 inhibitor" in hb0036["drug_classes"] and "TIGIT inhibitor" in hb0036["drug_classes"]
    assert sorted(hb0036["countries"].split("; ")) == ["CN", "US"]
    trial = Trial.objects.get(registry_ids__value="NCT05417321")
    assert hb0036["url"].endswith(reverse("trials:detail", args=[trial.pk]))


def test_json_is_the_trial_json_of_each_matching_trial(client, search_catalogue):
    trials = json.loads(download(client, "json", {"drug_class": "pd1_inhibitor"}))

    assert sorted(t["registry_ids"][0]["value"] for t in trials) == ["NCT03119428", "NCT06532149"]
    api = client.get(reverse("trials:api-detail", args=[trials[0]["id"]])).json()
    assert trials[0] == api


def test_an_empty_search_is_an_empty_file_not_an_error(client, search_catalogue):
    assert json.loads(download(client, "json", {"q": "zebrafish"})) == []
    assert download(client, "csv", {"q": "zebrafish"}).splitlines() == [",".join(CSV_COLUMNS)]


def test_cells_a_spreadsheet_would_run_are_written_as_text(client, search_catalogue):
    Trial.objects.filter(registry_ids__value="NCT02782533").update(brief_title='=HYPERLINK("http://evil","x")')
    (row,) = csv.DictReader(io.StringIO(download(client, "csv", {"q": "NCT02782533"})))
    assert row["brief_title"] == '\'=HYPERLINK("http://evil","x")'


def test_unknown_formats_are_404(client, search_catalogue):
    assert client.get("/export.xlsx").status_code == 404


def test_queries_do_not_grow_with_the_number_of_trials(client, search_catalogue, django_assert_max_num_queries):
    # The trials in chunks of 200, each chunk's children prefetched: 12 child queries + 1, whatever the size.
    with django_assert_max_num_queries(16):
        download(client, "json", {})
