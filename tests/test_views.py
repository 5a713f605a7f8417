"""The public pages: the trial list (search, paging, id redirect) and a trial's page, on real CT.gov records."""

import datetime as dt
import json

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from tests.conftest import trial_of
from trials.templatetags.trial_format import partial_date_text, phase_label

LIST_URL = reverse("trials:list")

# Real CT.gov API v2 studies, newest update first (the list's default order).
NEWEST_FIRST = [
    "NCT06482905",  # 2026-01-06
    "NCT05417321",  # 2025-01-03
    "NCT04728893",  # 2023-11-06
    "NCT05034276",  # 2023-07-20
    "NCT02782533",  # 2019-07-19
    "NCT02440776",  # 2018-06-26
    "NCT00242138",  # 2016-02-09
    "NCT00444327",  # 2009-05-14
]


@pytest.fixture
def catalogue(import_studies):
    run = import_studies(*NEWEST_FIRST)
    assert (run.created, run.failed) == (len(NEWEST_FIRST), 0)
    return run


def listed_ids(response) -> list[str]:
    return [trial.primary_registry_id().value for trial in response.context["page"].object_list]


# List page


def test_list_shows_every_trial_newest_first_with_its_facts(client, catalogue):
    response = client.get(LIST_URL)

    assert response.status_code == 200
    assert listed_ids(response) == NEWEST_FIRST
    html = response.content.decode()
    assert "<strong>8</strong> trials, most recently updated first." in html
    trial = trial_of("NCT05417321")
    assert f'href="{reverse("trials:detail", args=[trial.pk])}"' in html
    assert "A Study Evaluating the Safety and Efficacy of HB0036 in Subjects With Advanced Solid Tumor" in html
    assert '<span class="badge badge--open"><span class="visually-hidden">Status: </span>Recruiting</span>' in html
    assert '<span class="badge badge--phase"><span class="visually-hidden">Phase: </span>Phase 1/Phase 2</span>' in html
    # NCT02782533 states its phase is not applicable (NA).
    assert '<span class="badge badge--phase"><span class="visually-hidden">Phase: </span>Not applicable</span>' in html
    assert "Advanced Solid Tumor; NSCLC" in html
    assert '<time datetime="2025-01-03">January 3, 2025</time> (actual)' in html


def test_list_shows_no_phase_badge_for_a_trial_without_phase(client, import_studies):
    import_studies("NCT00444327")  # observational, no phase

    html = client.get(LIST_URL).content.decode()

    assert "Use Cord Blood Single Nucleotide Polymorphism" in html
    assert "badge--phase" not in html


def test_empty_catalogue_and_no_match(client, db, import_studies):
    assert "The catalogue is empty." in client.get(LIST_URL).content.decode()
    import_studies("NCT00444327")
    response = client.get(LIST_URL, {"q": "zebrafish"})
    assert response.status_code == 200
    assert listed_ids(response) == []
    assert "No trials match “zebrafish”." in response.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("nemtabrutinib", ["NCT04728893"]),  # a word of the title
        ("Nemtabrutinib ", ["NCT04728893"]),  # case and surrounding space do not matter
        ("cluster headache", ["NCT02782533", "NCT02440776"]),  # condition; the title match ranks first
        ("glioma", ["NCT06482905"]),
        ('"solid tumor"', ["NCT05417321"]),  # an exact phrase
        ('"cluster headache" -obesity', ["NCT02440776"]),  # phrase, and a word excluded
        ("headache obesity", ["NCT02782533"]),  # all words must match
        ("solid -tumor", []),
        ("lymphoma", ["NCT04728893", "NCT05417321"]),
    ],
)
def test_search_uses_web_search_syntax(client, catalogue, query, expected):
    response = client.get(LIST_URL, {"q": query})

    assert response.status_code == 200
    assert listed_ids(response) == expected
    assert response.context["query"] == query.strip()


def test_search_keeps_the_query_in_the_form_escaped(client, catalogue):
    html = client.get(LIST_URL, {"q": '"cluster headache" <b>'}).content.decode()

    assert 'value="&quot;cluster headache&quot; &lt;b&gt;"' in html
    assert "<b>" not in html


@pytest.mark.parametrize("query", ["NCT04728893", "nct04728893", " NCT04728893 ", "2020-002324-36"])
def test_query_that_is_a_registry_id_redirects_to_the_trial(client, catalogue, query):
    response = client.get(LIST_URL, {"q": query})

    assert response.status_code == 302
    assert response["Location"] == reverse("trials:detail", args=[trial_of("NCT04728893").pk])


@pytest.mark.parametrize("query", ["\x00", "glioma\x00", '"""', "-", "!!! & |", "a" * 5000])
def test_odd_queries_never_fail(client, catalogue, query):
    assert client.get(LIST_URL, {"q": query}).status_code == 200


def test_an_id_that_is_not_in_the_catalogue_is_searched_as_text(client, catalogue):
    response = client.get(LIST_URL, {"q": "NCT99999999"})

    assert response.status_code == 200
    assert listed_ids(response) == []


@pytest.mark.parametrize(
    ("page", "expected_page", "expected_ids"),
    [
        (None, 1, NEWEST_FIRST[:3]),
        ("2", 2, NEWEST_FIRST[3:6]),
        ("3", 3, NEWEST_FIRST[6:]),
        ("4", 3, NEWEST_FIRST[6:]),  # past the end: the last page
        ("999999999999999999999", 3, NEWEST_FIRST[6:]),
        ("0", 3, NEWEST_FIRST[6:]),
        ("-1", 3, NEWEST_FIRST[6:]),
        ("abc", 1, NEWEST_FIRST[:3]),  # not a number: the first page
        ("", 1, NEWEST_FIRST[:3]),
        ("1.5", 1, NEWEST_FIRST[:3]),
    ],
)
def test_paging_never_fails_on_a_bad_page_number(client, catalogue, settings, page, expected_page, expected_ids):
    settings.TRIALS_PAGE_SIZE = 3
    params = {} if page is None else {"page": page}

    response = client.get(LIST_URL, params)

    assert response.status_code == 200
    assert response.context["page"].number == expected_page
    assert listed_ids(response) == expected_ids


def test_paging_links_keep_the_query(client, catalogue, settings):
    settings.TRIALS_PAGE_SIZE = 1

    html = client.get(LIST_URL, {"q": "cluster headache"}).content.decode()

    assert "Page 1 of 2" in html
    assert 'href="?q=cluster+headache&amp;page=2" rel="next"' in html


# Trial page


def test_trial_page_by_internal_id_and_by_registry_ids(client, catalogue):
    trial = trial_of("NCT06482905")
    for identifier in (trial.pk, "NCT06482905", "nct06482905"):
        response = client.get(reverse("trials:detail", args=[identifier]))
        assert response.status_code == 200
        assert response.context["trial"] == trial
    # A secondary global id (EudraCT) finds its trial too, without a redirect.
    response = client.get(reverse("trials:detail", args=["2020-002324-36"]))
    assert response.status_code == 200
    assert response.context["trial"] == trial_of("NCT04728893")


def test_trial_page_shows_the_trial(client, catalogue):
    response = client.get(reverse("trials:detail", args=["NCT06482905"]))
    html = response.content.decode()

    assert "<h1" in html
    assert "Safety and Efficacy Study of TX103 CAR-T Cell Therapy for Recurrent or Progressive Grade 4 Glioma." in html
    assert "A Phase I, Open-Label, Single/Multiple Dose, Dose-escalation Study" in html  # official title
    assert '<span class="badge badge--open"><span class="visually-hidden">Status: </span>Recruiting</span>' in html
    assert '<span class="badge badge--phase"><span class="visually-hidden">Phase: </span>Phase 1</span>' in html
    # Dates at the precision the source gave: a month stays a month.
    assert '<dt>Study start</dt><dd><time datetime="2024-09-04">September 4, 2024</time> (actual)</dd>' in html
    assert '<dt>Primary completion</dt><dd><time datetime="2026-09">September 2026</time> (estimated)</dd>' in html
    assert '<dt>Study completion</dt><dd><time datetime="2027-06">June 2027</time> (estimated)</dd>' in html
    assert "September 1, 2026" not in html
    assert '<dt>Last update</dt><dd><time datetime="2026-01-06">January 6, 2026</time> (actual)</dd>' in html
    # Arms with their interventions, outcomes, eligibility, sites by country, identifiers and sources.
    assert (
        '<th scope="col" class="matrix__arm">Cohort B Dual delivery route(Multi-dose)'
        '<span class="matrix__role">Experimental</span></th>'
    ) in html
    biological = "Anti-B7-H3 Chimeric Antigen Receptor T-Cell (CAR-T Cell) Injection/TX103"
    assert f'<span class="label">Biological:</span> {biological}' in html
    assert "Primary outcomes" in html and "Secondary outcomes" in html
    assert "Safety：Incidence of Dose Limiting Toxicity (DLT)" in html
    assert "<dt>Minimum age</dt><dd>18 Years</dd>" in html
    assert "<dt>Age groups</dt><dd>Adult (18–64), Older adult (65+)</dd>" in html
    assert "4 sites in 2 countries." in html
    assert "<summary>China" in html and "<summary>United States" in html
    assert '<details class="country" id="country-1" open>' in html
    assert "Mayo Clinic in Arizona" in html
    assert "TX103T-RG008" in html  # the sponsor's own study id
    assert "Tcelltech Inc." in html
    assert f'href="{reverse("trials:api-detail", args=[response.context["trial"].pk])}"' in html
    assert response.context["trial"].sources.get().sha256[:12] in html


def test_trial_page_shows_a_year_month_date_without_a_day(client, import_studies):
    import_studies("NCT00242138")  # start date "2000-03", no actual/estimated

    html = client.get(reverse("trials:detail", args=["NCT00242138"])).content.decode()

    assert '<dt>Study start</dt><dd><time datetime="2000-03">March 2000</time></dd>' in html
    assert "March 1, 2000" not in html
    assert "<dt>Primary completion</dt><dd>Not stated</dd>" in html


def test_trial_page_summarizes_many_sites_by_country(client, catalogue):
    html = client.get(reverse("trials:detail", args=["NCT04728893"])).content.decode()

    assert "106 sites in 22 countries." in html
    assert "<summary>Korea, Republic of" in html
    # Past 20 sites the country groups start closed, so the page stays readable.
    assert '<details class="country" id="country-1">' in html and "open>" not in html


@pytest.mark.parametrize("identifier", ["999999", "NCT99999999", "not-an-id", "NCT\x0004728893"])
def test_unknown_trial_is_404(client, catalogue, identifier):
    response = client.get(reverse("trials:detail", args=[identifier]))

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_source_text_is_escaped_never_markup(client, import_paths, ctgov_fixture, tmp_path):
    study = json.loads(ctgov_fixture("NCT05417321.json").read_text())
    protocol = study["protocolSection"]
    protocol["identificationModule"]["briefTitle"] = '<script>alert("title")</script> HB0036 study'
    protocol["descriptionModule"]["detailedDescription"] = 'First <img src=x onerror=alert(1)>\n\nSecond "para"'
    protocol["conditionsModule"]["conditions"][0] = "<b>Tumor</b>"
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(study))
    assert import_paths(path).created == 1

    for url in (LIST_URL, reverse("trials:detail", args=["NCT05417321"])):
        html = client.get(url).content.decode()
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt; HB0036 study" in html
        assert "<b>Tumor</b>" not in html
        assert "&lt;b&gt;Tumor&lt;/b&gt;" in html
    # Paragraphs of a description are kept, their text still escaped.
    assert "<p>First &lt;img src=x onerror=alert(1)&gt;</p>\n\n<p>Second &quot;para&quot;</p>" in html


# Query counts: the guard against N+1. The same for one trial as for a catalogue of them.


@pytest.mark.parametrize("size", [1, len(NEWEST_FIRST)])
def test_list_page_query_count(client, import_studies, django_assert_num_queries, django_assert_max_num_queries, size):
    import_studies(*NEWEST_FIRST[:size])
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
        response = client.get(LIST_URL)
    assert len(response.context["page"].object_list) == size
    # Again: counts, labels and drug names come from the caches of this version (1 above), the
    # page's trials from the database (5, 6, 7).
    with django_assert_num_queries(4):
        client.get(LIST_URL)


@pytest.mark.parametrize("size", [1, len(NEWEST_FIRST)])
def test_search_query_count(client, import_studies, django_assert_num_queries, size):
    import_studies(*NEWEST_FIRST[:size])
    client.get(LIST_URL, {"q": "glioma"})
    # 1. is the query a registry id? (no)
    # 2.-5. as for the list page searched again
    # 6. the matched words highlighted in the page's titles and summaries
    with django_assert_num_queries(6):
        response = client.get(LIST_URL, {"q": "glioma"})
    assert listed_ids(response) == ["NCT06482905"]


# Trials of different sizes, each with arms, interventions resolved to drugs, and sites.
@pytest.mark.parametrize("nct_id", ["NCT05417321", "NCT06482905", "NCT04728893"])
@pytest.mark.parametrize("catalogue", ["only this trial", "all trials"])
def test_trial_page_query_count(client, import_studies, django_assert_num_queries, nct_id, catalogue):
    import_studies(*([nct_id] if catalogue == "only this trial" else NEWEST_FIRST))
    trial = trial_of(nct_id)
    # 1. the trial, joined to its lead sponsor
    # 2. registry ids            3. collaborators            4. conditions, joined to the normalized condition
    # 5. arms                    6. the arms' interventions  7. interventions
    # 8. the interventions' drugs                            9. the drugs' classes
    # 10. outcomes               11. sites                   12. the sites' contacts
    # 13. central contacts and officials                     14. source records (without the raw bytes)
    # 15. the newest changes, joined to their curator, import run and source record (trial_page.change_history)
    # (A level with no parent rows is skipped by Django: a trial without arms, drugs or sites needs fewer.)
    with django_assert_num_queries(15):
        response = client.get(reverse("trials:detail", args=[trial.pk]))
    assert response.status_code == 200
    # By registry id: one more query first, to find the trial's id.
    with django_assert_num_queries(16):
        client.get(reverse("trials:detail", args=[nct_id]))


def test_server_error_page_needs_no_database():
    # Without the db fixture any query raises: the page renders even when the database is down.
    html = render_to_string("500.html")
    assert "Something went wrong" in html
    assert "Data: ClinicalTrials.gov (U.S. National Library of Medicine)" in html


def test_base_layout_is_accessible_and_self_contained(client, db):
    html = client.get(LIST_URL).content.decode()

    assert '<a class="skip-link" href="#main">Skip to main content</a>' in html
    assert '<main id="main"' in html and "<header" in html and "<footer" in html
    assert '<label for="search-q">Search trials</label>' in html
    assert "Data: ClinicalTrials.gov (U.S. National Library of Medicine)" in html
    assert 'href="/static/css/portal.css"' in html
    # No external resources; the one script is our own static file (no inline script: the
    # pages work without it and keep to a strict Content Security Policy).
    assert html.count("<script") == 1
    assert '<script src="/static/js/search.js" defer></script>' in html
    assert "//fonts." not in html and "cdn" not in html.lower()


# Display helpers


@pytest.mark.parametrize(
    ("precision", "expected"),
    [("YEAR", "2022"), ("MONTH", "March 2022"), ("DAY", "March 28, 2022"), ("", "March 28, 2022")],
)
def test_partial_date_text(precision, expected):
    assert partial_date_text(dt.date(2022, 3, 28), precision) == expected


@pytest.mark.parametrize(
    ("phases", "expected"),
    [
        ([], ""),
        (["NA"], "Not applicable"),
        (["PHASE1"], "Phase 1"),
        (["PHASE1", "PHASE2"], "Phase 1/Phase 2"),
        (["EARLY_PHASE1"], "Early phase 1"),
    ],
)
def test_phase_label(phases, expected):
    assert phase_label(phases) == expected


def test_status_facet_offers_every_open_status_in_one_click(client, catalogue):
    html = client.get(LIST_URL, {"phase": "PHASE1"}).content.decode()
    link = (
        "?phase=PHASE1&amp;status=AVAILABLE&amp;status=ENROLLING_BY_INVITATION"
        "&amp;status=NOT_YET_RECRUITING&amp;status=RECRUITING"
    )
    assert f'<a href="/{link}">Only trials open to enrolment</a>' in html
    response = client.get(LIST_URL + link.replace("&amp;", "&"))
    assert listed_ids(response) == ["NCT06482905", "NCT05417321"]  # the recruiting phase 1 trials
    assert "Only trials open to enrolment" not in response.content.decode()


def test_a_radius_the_menu_lacks_stays_selected(client, catalogue):
    html = client.get(LIST_URL, {"near": "Paris", "radius_km": "300"}).content.decode()
    assert '<option value="300" selected>within 300 km</option>' in html
    assert '<option value="50">within 50 km</option>' in html
