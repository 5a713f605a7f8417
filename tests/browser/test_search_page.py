"""The search page in a browser: search, facets ticked and unticked, near me, a trial, downloads, no JavaScript.

The catalogue is the eleven fixture studies (conftest.site_url); counts named here are theirs.
"""

import csv
import json
import re

import pytest

pytest.importorskip("playwright.sync_api", reason="Browser tests skipped: the playwright package is not installed")
from playwright.sync_api import expect

from tests.browser.search_page import (
    chips,
    facet_count,
    facet_value,
    query_params,
    result_count,
    result_titles,
    tick,
    wait_for_query,
)

CATALOGUE_SIZE = 11


def test_a_query_typed_in_the_search_box_lists_the_matching_trials(page):
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Find a clinical trial")
    assert result_count(page) == CATALOGUE_SIZE

    page.get_by_label("Search trials").fill("lung cancer")
    page.get_by_role("button", name="Search").click()

    page.wait_for_url(lambda url: "q=lung+cancer" in url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Trials matching “lung cancer”")
    assert result_count(page) == 3
    assert len(result_titles(page)) == 3
    # Words found in a title or summary are marked (a trial found through its condition's MeSH terms has none).
    expect(page.locator("li.result mark", has_text=re.compile("^(lung|cancer)$", re.I)).first).to_be_visible()


def test_ticking_a_facet_value_gives_the_count_it_showed_and_unticking_restores_the_page(page):
    page.goto("/")
    everything = result_titles(page)

    shown = tick(page, "Drug class", "immunotherapy")

    assert result_count(page) == shown == 3
    assert len(result_titles(page)) == shown
    assert query_params(page)["drug_class"] == ["immunotherapy"]
    assert chips(page) == ["immunotherapy"]
    expect(facet_value(page, "Drug class", "immunotherapy")).to_have_attribute("aria-current", "true")
    # Some of the trials listed before, each with its drugs (their classes sit below immunotherapy).
    assert set(result_titles(page)) < set(everything)
    expect(page.locator("li.result dt", has_text="Drugs")).to_have_count(shown)

    # Untick with the chip: every trial again, no chip, no parameter.
    chip = page.locator("a.chip", has_text="immunotherapy")
    href = chip.get_attribute("href")
    chip.click()
    wait_for_query(page, href)
    assert result_count(page) == CATALOGUE_SIZE
    assert result_titles(page) == everything
    assert chips(page) == []
    assert "drug_class" not in query_params(page)
    expect(facet_value(page, "Drug class", "immunotherapy")).not_to_have_attribute("aria-current", "true")

    # The back button brings back the ticked state, forward the unticked one.
    page.go_back()
    page.wait_for_url(lambda url: "drug_class=immunotherapy" in url)
    expect(page.locator("#search-status strong")).to_have_text(str(shown))
    assert chips(page) == ["immunotherapy"]
    page.go_forward()
    page.wait_for_url(lambda url: "drug_class" not in url)
    expect(page.locator("#search-status strong")).to_have_text(str(CATALOGUE_SIZE))
    assert chips(page) == []


def test_values_of_one_facet_add_up_and_a_second_facet_narrows(page):
    page.goto("/")

    recruiting = tick(page, "Recruitment status", "Recruiting")
    assert result_count(page) == recruiting == 4
    expect(page.locator("li.result .badges .badge").filter(has_text="Recruiting")).to_have_count(recruiting)

    # A facet's own counts ignore its own selection, so "Completed" still shows its trials: ticking
    # it adds them (OR within one facet); a trial has one status, so the counts add up.
    completed = tick(page, "Recruitment status", "Completed")
    assert result_count(page) == recruiting + completed == 8
    assert sorted(query_params(page)["status"]) == ["COMPLETED", "RECRUITING"]
    assert chips(page) == ["Recruiting", "Completed"]
    statuses = page.locator("li.result .badges .badge:not(.badge--phase)").all_inner_texts()
    assert {re.sub(r"^Status:\s*", "", s.strip()) for s in statuses} == {"Recruiting", "Completed"}

    # Another facet's value narrows (AND), to exactly the count it showed under the status filter.
    phase_1 = tick(page, "Phase", "Phase 1")
    assert result_count(page) == phase_1 < recruiting + completed
    assert query_params(page)["phase"] == ["PHASE1"]
    assert sorted(query_params(page)["status"]) == ["COMPLETED", "RECRUITING"]
    assert len(chips(page)) == 3
    expect(page.locator("li.result .badge--phase").filter(has_text=re.compile(r"Phase 1\b"))).to_have_count(phase_1)


def test_near_me_suggests_places_and_lists_the_nearest_site_of_each_trial(page):
    page.goto("/")

    near = page.get_by_label("Near", exact=True)
    near.press_sequentially("Toron", delay=30)
    # The typeahead fills the field's datalist; picking a suggestion puts its label in the field.
    suggestion = page.locator("#near-places option[value='Toronto, Ontario, Canada']")
    expect(suggestion).to_have_count(1)
    near.fill(suggestion.get_attribute("value"))
    page.get_by_label("Distance").select_option(label="within 100 km")
    page.get_by_role("button", name="Apply").click()

    page.wait_for_url(lambda url: "near=Toronto" in url)
    expect(page.locator("#search-status strong")).to_have_text("2")
    assert query_params(page)["radius_km"] == ["100"]
    results = page.locator("li.result")
    expect(results).to_have_count(2)
    for result in results.all():
        nearest = result.locator("dt", has_text="Nearest site").locator("+ dd")
        expect(nearest).to_contain_text("Toronto, Canada")
        distance = int(re.search(r"(\d+) km", nearest.inner_text())[1])
        assert distance <= 100
    expect(results.locator(".site-status").first).to_have_text("Recruiting")
    # Sorting by distance is offered once a place is given.
    expect(page.get_by_label("Sort by").locator("option", has_text="Nearest site")).to_have_count(1)


def test_a_result_opens_its_trial_page(page):
    page.goto("/?q=lung+cancer")
    first = page.locator("li.result .result__title a").first
    title = first.inner_text().strip()

    first.click()

    page.wait_for_url(re.compile(r"/trials/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def test_downloads_hold_the_trials_the_page_counts(page, tmp_path):
    page.goto("/")
    tick(page, "Drug class", "targeted therapy")
    count = result_count(page)
    assert count == 3
    page_ids = set(page.locator("li.result .registry-id").all_inner_texts())
    page_ids = {re.sub(r"^Registry id:\s*", "", text.strip()) for text in page_ids}

    with page.expect_download() as csv_download:
        page.get_by_role("link", name="CSV", exact=True).click()
    assert csv_download.value.suggested_filename == "trials.csv"
    with open(csv_download.value.path(), newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == count
    assert {row["nct_id"] for row in rows} == page_ids

    with page.expect_download() as json_download:
        page.get_by_role("link", name="JSON", exact=True).click()
    trials = json.loads(json_download.value.path().read_text(encoding="utf-8"))
    assert len(trials) == count


def test_facets_chips_and_near_me_work_without_javascript(new_page):
    page = new_page(java_script_enabled=False)
    page.goto("/")
    # search.js did not run: it would have made the status focusable.
    expect(page.locator("#search-status")).not_to_have_attribute("tabindex", "-1")

    link = facet_value(page, "Drug class", "immunotherapy")
    shown = facet_count(link)
    link.click()  # a plain link: the whole page loads
    page.wait_for_url(lambda url: "drug_class=immunotherapy" in url)
    assert result_count(page) == shown
    assert chips(page) == ["immunotherapy"]

    page.locator("a.chip", has_text="immunotherapy").click()
    page.wait_for_url(lambda url: "drug_class" not in url)
    assert result_count(page) == CATALOGUE_SIZE

    page.get_by_label("Near", exact=True).fill("Toronto")
    page.get_by_label("Distance").select_option("100")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(lambda url: "near=Toronto" in url)
    assert result_count(page) == 2
    expect(page.locator("li.result dt", has_text="Nearest site")).to_have_count(2)
