"""Source text is data, never markup: a real CT.gov record whose every shown field carries markup,
``javascript:`` URLs and spreadsheet formulas, imported and then read everywhere it is shown.

HTML pages (search page with and without highlighting, trial page, admin) show the text escaped;
JSON (API, JSON export, place suggestions) carries the exact string as data, as JSON; the CSV
export writes formula starters as text; the Atom feed is well-formed XML whose text is the string.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from tests.conftest import trial_of
from trials.models import SourceRecord

NCT_ID = "NCT05417321"  # 4 sites, one arm, one intervention: small, and every field below exists
TITLE = "<script>alert(1)</script> HB0036 study"
SUMMARY = 'HB0036 summary <img src=x onerror=alert(2)> then "><svg onload=alert(3)>'
CONDITION = "@SUM(1+1)*cmd|' /C calc'!A0"  # the first condition starts the CSV's conditions cell
CONDITION_MARKUP = '"><svg onload=alert(4)>'
INTERVENTION = "<script>alert(5)</script>"
ARM = "javascript:alert(6)"
OUTCOME = "<img src=x onerror=alert(7)> response rate"
CRITERION = "<script>alert(8)</script> adults with <b>solid tumors</b>"
FACILITY = '"><svg onload=alert(9)> Horizon Oncology'
CITY = "<img src=x onerror=alert(10)>"
SPONSOR = "=cmd|' /C calc'!A0"
ACRONYM = "+SUM(1)"
FILE_NAME = "<img src=x onerror=alert(11)>.json"
# What no page may contain: an executable tag or handler, a javascript: link.
RAW_MARKUP = re.compile(r"<script>alert|<(?:img|svg)[^>]*on(?:error|load)=|href=\"javascript:", re.I)


@pytest.fixture
def hostile_trial(import_paths, ctgov_fixture, tmp_path):
    study = json.loads(ctgov_fixture(f"{NCT_ID}.json").read_text())
    protocol = study["protocolSection"]
    protocol["identificationModule"]["briefTitle"] = TITLE
    protocol["identificationModule"]["acronym"] = ACRONYM
    protocol["descriptionModule"]["briefSummary"] = SUMMARY
    protocol["conditionsModule"]["conditions"] = [CONDITION, CONDITION_MARKUP]
    arms = protocol["armsInterventionsModule"]
    arms["armGroups"][0]["label"] = ARM
    arms["armGroups"][0]["interventionNames"] = [f"Drug: {INTERVENTION}"]
    arms["interventions"][0].update(name=INTERVENTION, armGroupLabels=[ARM])
    protocol["outcomesModule"]["primaryOutcomes"][0]["measure"] = OUTCOME
    eligibility = protocol["eligibilityModule"]
    criteria = eligibility["eligibilityCriteria"]
    eligibility["eligibilityCriteria"] = f"Inclusion Criteria:\n\n* {CRITERION}\n\n{criteria}"
    site = protocol["contactsLocationsModule"]["locations"][0]
    site.update(facility=FACILITY, city=CITY)
    protocol["sponsorCollaboratorsModule"]["leadSponsor"]["name"] = SPONSOR
    path = tmp_path / FILE_NAME
    path.write_text(json.dumps(study))
    run = import_paths(path)
    assert (run.created, run.failed) == (1, 0)
    return run


def page(client, url: str, params=None) -> str:
    response = client.get(url, params or {})
    assert response.status_code == 200, url
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode()


def assert_text_not_markup(html_text: str, *shown: str) -> None:
    """No markup of the source runs, and each of ``shown`` is there, escaped as text."""
    assert not RAW_MARKUP.search(html_text), RAW_MARKUP.search(html_text)[0]
    for text in shown:
        assert html.escape(text) in html_text, text


def test_search_page_shows_source_text_as_text(client, hostile_trial):
    html_text = page(client, reverse("trials:list"), {"near": "40.4167,-86.87529"})
    # The nearest site is "facility, city, ..." in one escaped string.
    assert_text_not_markup(html_text, TITLE, CONDITION, CONDITION_MARKUP, SPONSOR, FACILITY, CITY)


@pytest.mark.parametrize("query", ["HB0036", "study summary", "svg onload", "img onerror"])
def test_highlighted_titles_and_excerpts_stay_text(client, hostile_trial, query):
    html_text = page(client, reverse("trials:list"), {"q": query})
    (trial,) = html_text.split('class="result"')[1:]
    assert_text_not_markup(html_text)
    # The title and excerpt are escaped text with only <mark> added around the matched words.
    title = re.search(r'<a href="/trials/\d+/">(.*?)</a>', trial, re.S)[1]
    assert html.unescape(re.sub(r"</?mark>", "", title)) == TITLE
    excerpt = re.search(r'<p class="result__summary">(.*?)</p>', trial, re.S)[1]
    assert html.unescape(re.sub(r"</?mark>", "", excerpt)) in SUMMARY
    assert "<mark>" in title + excerpt


def test_trial_page_shows_source_text_as_text(client, hostile_trial):
    html_text = page(client, reverse("trials:detail", args=[NCT_ID]))
    assert_text_not_markup(
        html_text, TITLE, ACRONYM, CONDITION, CONDITION_MARKUP, INTERVENTION, ARM, OUTCOME, FACILITY, CITY, SPONSOR
    )
    assert html.escape("<script>alert(8)</script> adults with <b>solid tumors</b>") in html_text
    for part in SUMMARY.split("\n"):
        assert html.escape(part) in html_text


def test_api_gives_the_exact_strings_as_json(client, hostile_trial):
    response = client.get(reverse("api:trial-list"), {"q": "HB0036", "near": "40.4167,-86.87529"})
    assert response["Content-Type"] == "application/json"
    (summary,) = response.json()["results"]
    assert (summary["brief_title"], summary["acronym"], summary["conditions"]) == (
        TITLE,
        ACRONYM,
        [CONDITION, CONDITION_MARKUP],
    )
    assert summary["sponsor"]["name"] == SPONSOR
    assert (summary["nearest_site"]["facility"], summary["nearest_site"]["city"]) == (FACILITY, CITY)
    assert not RAW_MARKUP.search(summary["highlight"]["title"] + summary["highlight"]["summary"])

    response = client.get(reverse("trials:api-detail", args=[NCT_ID]))
    assert response["Content-Type"] == "application/json"
    trial = response.json()
    assert (trial["brief_title"], trial["brief_summary"]) == (TITLE, SUMMARY)
    assert trial["interventions"][0]["name"] == INTERVENTION
    assert trial["arms"][0]["label"] == ARM
    assert OUTCOME in [outcome["measure"] for outcome in trial["outcomes"]]
    assert CRITERION in trial["eligibility"]["criteria"]
    assert (trial["sites"][0]["facility"], trial["sites"][0]["city"]) == (FACILITY, CITY)


def test_json_export_gives_the_exact_strings(client, hostile_trial):
    response = client.get(reverse("trials:export", args=["json"]))
    assert response["Content-Type"] == "application/json"
    (trial,) = json.loads(b"".join(response.streaming_content))
    assert (trial["brief_title"], trial["acronym"], trial["sponsor"]["name"]) == (TITLE, ACRONYM, SPONSOR)
    assert trial["interventions"][0]["name"] == INTERVENTION


def test_csv_export_writes_formula_starters_as_text(client, hostile_trial):
    response = client.get(reverse("trials:export", args=["csv"]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    (row,) = csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
    # A spreadsheet runs a cell starting with = + - @ as a formula: each such cell starts with '.
    assert row["sponsor"] == "'" + SPONSOR
    assert row["acronym"] == "'" + ACRONYM
    assert row["conditions"] == f"'{CONDITION}; {CONDITION_MARKUP}"
    assert row["brief_title"] == TITLE  # not a formula: kept as it is
    assert row["interventions"] == f"DRUG: {INTERVENTION}"
    assert not [cell for cell in row.values() if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_atom_feed_is_well_formed_with_the_text_as_text(client, hostile_trial):
    response = client.get(reverse("trials:feed"), {"q": 'HB0036 -"<script>"'})
    assert response["Content-Type"].startswith("application/atom+xml")
    atom = "{http://www.w3.org/2005/Atom}"
    root = ET.fromstring(response.content)
    assert root.find(f"{atom}title").text == 'Trials matching “HB0036 -"<script>"”'
    (entry,) = root.iter(f"{atom}entry")
    assert entry.find(f"{atom}title").text == TITLE
    # The summary is HTML to a feed reader: escaped once more, so the reader shows the text.
    assert html.unescape(entry.find(f"{atom}summary").text) == SUMMARY
    assert not RAW_MARKUP.search(entry.find(f"{atom}summary").text)


def test_feed_leaves_out_characters_xml_cannot_hold(client, hostile_trial):
    trial = trial_of(NCT_ID)
    trial.brief_title, trial.brief_summary = "Bell\x07 HB0036\x0b study", "Escape\x1b[31m HB0036"
    trial.save(update_fields=["brief_title", "brief_summary"])
    root = ET.fromstring(client.get(reverse("trials:feed"), {"q": "HB0036\x01"}).content)
    atom = "{http://www.w3.org/2005/Atom}"
    assert root.find(f"{atom}title").text == "Trials matching “HB0036”"
    (entry,) = root.iter(f"{atom}entry")
    assert entry.find(f"{atom}title").text == "Bell HB0036 study"
    assert entry.find(f"{atom}summary").text == "Escape[31m HB0036"


def test_place_suggestions_are_json_data(client, db):
    response = client.get(reverse("trials:places"), {"q": "<script>alert(1)</script>"})
    assert (response["Content-Type"], response.json()) == ("application/json", {"places": []})
    response = client.get(reverse("trials:places"), {"q": "Lafay"})
    assert any(place["label"].startswith("Lafayette") for place in response.json()["places"])


def test_admin_pages_show_source_text_as_text(client, django_user_model, hostile_trial):
    client.force_login(django_user_model.objects.create_superuser("curator", "curator@example.org", "x"))
    trial = trial_of(NCT_ID)
    changelist = page(client, reverse("admin:trials_trial_changelist"), {"q": "HB0036"})
    assert_text_not_markup(changelist, TITLE)
    change_form = page(client, reverse("admin:trials_trial_change", args=[trial.pk]))
    # Form fields hold the text as values; read-only parts show it escaped.
    assert_text_not_markup(change_form, TITLE, SUMMARY, SPONSOR)
    run = page(client, reverse("admin:trials_importrun_change", args=[hostile_trial.pk]))
    assert_text_not_markup(run, FILE_NAME)
    source = SourceRecord.objects.get(trial=trial)
    assert_text_not_markup(page(client, reverse("admin:trials_sourcerecord_change", args=[source.pk])), FILE_NAME)
    outcomes = page(client, reverse("admin:trials_importoutcome_changelist"), {"run__id__exact": hostile_trial.pk})
    assert_text_not_markup(outcomes)
