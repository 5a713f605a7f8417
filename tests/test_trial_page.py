"""The trial page's read-side helpers (trials/trial_page.py) and what the page shows, on real CT.gov records."""

import datetime as dt
import json
from collections import Counter

import pytest
from django.urls import reverse

from tests.conftest import FIXTURES, trial_of
from trials import trial_history, trial_page, trial_timeline
from trials.models import TrialChange
from trials.trial_json import trial_queryset

pytestmark = pytest.mark.django_db

SAME = FIXTURES / "same_trial"
VOCAB_STUDIES = FIXTURES / "vocab_studies"


def page_trial(nct_id):
    """The trial as the page loads it (everything prefetched)."""
    return trial_queryset().get(pk=trial_of(nct_id).pk)


def page_html(client, nct_id) -> str:
    response = client.get(reverse("trials:detail", args=[nct_id]))
    assert response.status_code == 200
    return response.content.decode()


def marks(timeline):
    return [(m.name, m.text, m.kind) for m in timeline.marks]


# Timeline


def test_timeline_shows_actual_and_estimated_milestones(import_studies):
    import_studies("NCT06482905")  # started 2024-09-04 (actual); completions 2026-09, 2027-06 (estimated)

    timeline = trial_timeline.timeline(page_trial("NCT06482905"), today=dt.date(2025, 6, 1))

    assert marks(timeline) == [
        ("Study start", "September 4, 2024", "ACTUAL"),
        ("Primary completion", "September 2026", "ESTIMATED"),
        ("Completion", "June 2027", "ESTIMATED"),
    ]
    start, primary, completion = timeline.marks
    assert start.x == 4.0 and completion.x == 96.0
    assert start.x < timeline.today_x < primary.x < completion.x
    assert not timeline.today_off_scale
    # The bar towards an estimated date is dashed.
    assert [dashed for _, _, dashed in timeline.segments] == [True, True]
    assert [year for year, _ in timeline.years] == [2025, 2026, 2027]
    # The start is labelled above the line, the completions each on their own lines below.
    assert [label.mark.names[0] for label in timeline.labels] == ["Study start", "Primary completion", "Completion"]
    assert [line for _, line in timeline.labels[1].lines] == ["Primary completion", "September 2026", "estimated"]
    baselines = [y for label in timeline.labels for y, _ in label.lines]
    assert baselines == sorted(baselines) and len(set(baselines)) == len(baselines)  # no label overlaps another
    assert timeline.description == (
        "Study start: September 4, 2024 (actual); Primary completion: September 2026 (estimated); "
        "Completion: June 2027 (estimated). Today is June 1, 2025."
    )


def test_timeline_on_the_page_is_an_accessible_picture(client, import_studies):
    import_studies("NCT06482905")

    html = page_html(client, "NCT06482905")

    assert 'href="/static/css/trial.css"' in html
    assert '<svg width="100%"' in html and 'role="img" aria-labelledby="timeline-title timeline-desc"' in html
    assert '<desc id="timeline-desc">Study start: September 4, 2024 (actual); Primary completion' in html
    # One filled mark, two hollow dashed ones, and a key in words (not colour alone).
    assert html.count('class="tl-mark tl-mark--actual" cx="4.0%"') == 1
    assert html.count('class="tl-mark tl-mark--estimated" cx="') == 2 + 1  # and one in the key
    assert "filled: actual date" in html and "hollow, dashed: estimated date" in html
    assert "not stated whether actual or estimated" not in html
    assert 'class="tl-today"' in html and "today, <time datetime=" in html
    # Coordinates are written with a dot whatever the locale.
    assert 'cx="4.0%"' in html


def test_timeline_merges_milestones_on_the_same_date(import_studies):
    import_studies("NCT05417321")  # primary completion = completion = 2025-08-01 (estimated)

    timeline = trial_timeline.timeline(page_trial("NCT05417321"), today=dt.date(2024, 1, 1))

    assert marks(timeline) == [
        ("Study start", "August 25, 2022", "ACTUAL"),
        ("Primary completion and Completion", "August 1, 2025", "ESTIMATED"),
    ]
    assert [line for _, line in timeline.labels[1].lines] == [
        "Primary completion",
        "and completion",
        "August 1, 2025",
        "estimated",
    ]


def test_timeline_of_an_old_study_puts_today_off_the_scale(client, import_studies):
    import_studies("NCT00242138")  # 2000-03 to 2004-04, without actual/estimated

    timeline = trial_timeline.timeline(page_trial("NCT00242138"), today=dt.date(2026, 1, 1))

    assert marks(timeline) == [("Study start", "March 2000", ""), ("Completion", "April 2004", "")]
    assert timeline.today_off_scale == "right" and timeline.today_x == 98.0
    assert [label.mark.names[0] for label in timeline.labels] == ["Study start", "Completion"]
    assert [line for _, line in timeline.labels[1].lines] == ["Completion", "April 2004"]
    html = page_html(client, "NCT00242138")
    assert "hollow: not stated whether actual or estimated" in html
    assert "filled: actual date" not in html
    assert "Today (" in html and " →</text>" in html


def test_a_trial_without_dates_has_no_timeline(import_studies):
    import_studies("NCT05417321")
    trial = page_trial("NCT05417321")
    trial.start_date = trial.primary_completion_date = trial.completion_date = None

    assert trial_timeline.timeline(trial, today=dt.date(2025, 1, 1)) is None


# Arms x interventions, drugs and classes


def test_arm_matrix_says_which_intervention_each_arm_gives(client, import_paths):
    # Two arms: OMP-313M32 alone, and OMP-313M32 with nivolumab.
    import_paths(VOCAB_STUDIES / "NCT03119428.json")

    matrix = trial_page.arm_matrix(page_trial("NCT03119428"))

    assert [(arm.label, arm.get_type_display()) for arm in matrix.arms] == [
        ("OMP-313M32", "Experimental"),
        ("OMP-313M32 and Nivolumab", "Experimental"),
    ]
    assert [(row.intervention.name, row.in_arms) for row in matrix.rows] == [
        ("OMP-313M32", [True, True]),
        ("Nivolumab", [False, True]),
    ]
    (nivolumab,) = matrix.rows[1].drugs
    assert nivolumab.drug == trial_page.Link("nivolumab", "/?drug=nivolumab")
    assert trial_page.Link("PD-1 inhibitor", "/?drug_class=pd1_inhibitor") in nivolumab.classes

    html = page_html(client, "NCT03119428")
    assert '<caption id="matrix-caption">Which intervention each arm receives</caption>' in html
    assert (
        '<th scope="col" class="matrix__arm">OMP-313M32 and Nivolumab'
        '<span class="matrix__role">Experimental</span></th>'
    ) in html
    assert '<th scope="row"><span class="label">Drug:</span> Nivolumab' in html
    assert html.count('<span aria-hidden="true">✓ </span>Given') == 3
    assert html.count('<span class="visually-hidden">Not given</span>') == 1
    assert '<a href="/?drug=nivolumab">nivolumab<span class="visually-hidden">: search trials of this drug' in html
    assert '<a href="/?drug_class=pd1_inhibitor">PD-1 inhibitor<span class="visually-hidden">' in html


def test_a_placebo_is_marked_and_links_to_no_drug(client, import_paths):
    import_paths(VOCAB_STUDIES / "NCT04842201.json")  # CM326 against placebo

    matrix = trial_page.arm_matrix(page_trial("NCT04842201"))

    assert [(row.intervention.name, row.in_arms, row.drugs) for row in matrix.rows][1] == ("Placebo", [False, True], [])
    assert 'Placebo <span class="muted">(placebo)</span>' in page_html(client, "NCT04842201")


def test_interventions_without_arms_are_listed_with_their_drugs(client, import_studies):
    import_studies("NCT00242138")  # one behavioral intervention, no arms

    html = page_html(client, "NCT00242138")

    assert 'id="matrix-caption"' not in html
    assert '<p class="card__title"><span class="label">Behavioral:</span> Erectile Dysfunction' in html


def test_conditions_link_to_their_mesh_facet(client, import_studies):
    import_studies("NCT06482905")
    trial = page_trial("NCT06482905")

    linked = [(tc.source_term, url) for tc, url in trial_page.conditions(trial)]

    mesh_ids = {tc.source_term: tc.condition.mesh_id for tc in trial.trial_conditions.all()}
    assert linked == [(term, f"/?condition={mesh_id}" if mesh_id else None) for term, mesh_id in mesh_ids.items()]
    assert any(url for _, url in linked)
    html = page_html(client, "NCT06482905")
    for term, url in linked:
        if url:
            assert f'<a href="{url}">{term}<span class="visually-hidden">: search trials of this condition' in html


# Sites


def test_sites_per_country_match_the_record(client, import_studies, ctgov_fixture):
    import_studies("NCT04728893")  # 106 sites in 22 countries
    locations = json.loads(ctgov_fixture("NCT04728893.json").read_text())["protocolSection"]["contactsLocationsModule"][
        "locations"
    ]
    expected_sites = Counter(loc["country"] for loc in locations)
    expected_recruiting = Counter(loc["country"] for loc in locations if loc.get("status") == "RECRUITING")

    countries = trial_page.sites_by_country(page_trial("NCT04728893"))

    assert {c.name: len(c.sites) for c in countries} == dict(expected_sites)
    assert {c.name: c.recruiting for c in countries} == {name: expected_recruiting[name] for name in expected_sites}
    assert [c.name for c in countries] == sorted(expected_sites, key=str.casefold)
    korea = next(c for c in countries if c.name == "Korea, Republic of")
    assert korea.url == "/?country=KR"

    html = page_html(client, "NCT04728893")
    assert "106 sites in 22 countries." in html
    n = [c.name for c in countries].index("Korea, Republic of") + 1
    assert (
        f'<th scope="row"><a href="#country-{n}">Korea, Republic of</a></th>\n'
        f'              <td class="num">{len(korea.sites)}</td>\n'
        f'              <td class="num">{korea.recruiting}</td>'
    ) in html
    assert f'<details class="country" id="country-{n}">' in html


def test_site_map_places_sites_by_their_coordinates(client, import_studies):
    import_studies("NCT06482905")  # 4 sites, in China and the United States
    trial = page_trial("NCT06482905")

    site_map = trial_page.site_map(trial)

    placed = [s for s in trial.sites.all() if s.latitude is not None]
    assert len(site_map.dots) == len(placed) and site_map.unplaced == 4 - len(placed)
    for x, y, site in site_map.dots:
        assert (x, y) == (round(site.longitude + 180, 2), round(90 - site.latitude, 2))
    html = page_html(client, "NCT06482905")
    assert '<svg viewBox="0 0 360 180" role="img" aria-labelledby="site-map-title site-map-caption"' in html
    assert f"World map with {len(placed)} sites marked by their coordinates" in html


# Provenance and change history


def test_each_source_record_says_which_facts_it_gave(client, import_paths, tmp_path):
    # The registry record without its enrollment: the CSV export's row gives that one fact.
    study = json.loads((SAME / "NCT00498680.json").read_text())
    del study["protocolSection"]["designModule"]["enrollmentInfo"]
    stripped = tmp_path / "NCT00498680.json"
    stripped.write_text(json.dumps(study))
    import_paths(stripped, SAME / "NCT00498680.csv")
    trial = page_trial("NCT00498680")

    sources = {item.source.format: item for item in trial_page.sources_with_facts(trial)}

    by_label = {}
    for key, source_id in trial.field_sources.items():
        by_label.setdefault(source_id, set()).add(trial_history.fact_label(key))
    assert set(sources) == {"ctgov_csv", "ctgov_api_v2_json"}
    for item in sources.values():
        assert set(item.facts) == by_label.get(item.source.pk, set())
        assert not item.gave_all
    assert {"Arms", "Title", "Status"} <= set(sources["ctgov_api_v2_json"].facts)
    assert "Enrollment count" in sources["ctgov_csv"].facts
    assert "Enrollment count" not in sources["ctgov_api_v2_json"].facts
    html = page_html(client, "NCT00498680")
    assert "Where the facts came from" in html
    assert "ClinicalTrials.gov CSV export</span>, imported <time" in html


def test_a_single_source_gave_every_fact(client, import_studies):
    import_studies("NCT05417321")

    (item,) = trial_page.sources_with_facts(page_trial("NCT05417321"))

    assert item.gave_all and "Status" in item.facts
    assert "<dt>Facts shown</dt><dd>Every fact on this page.</dd>" in page_html(client, "NCT05417321")


def test_facts_a_curator_set_are_named_with_who_and_when(client, import_studies):
    import_studies("NCT05417321")
    trial = trial_of("NCT05417321")
    trial.curated_fields = {
        "overall_status": {"by": "curator1", "at": "2025-02-03T10:00:00+00:00", "source_value": "X"}
    }
    trial.save(update_fields=["curated_fields"])

    assert trial_page.curated_facts(trial) == [
        {"label": "Status", "by": "curator1", "at": dt.datetime(2025, 2, 3, 10, tzinfo=dt.UTC)}
    ]
    assert '<li>Status, by curator1, <time datetime="2025-02-03T10:00:00+00:00">February 3, 2025</time></li>' in (
        page_html(client, "NCT05417321")
    )


def test_change_history_after_a_changed_record_is_imported_again(client, import_studies, import_paths, tmp_path):
    import_studies("NCT05417321")
    html = page_html(client, "NCT05417321")
    assert "No changes since the trial was first imported." in html

    study = json.loads((FIXTURES / "ctgov_api_v2" / "NCT05417321.json").read_text())
    status = study["protocolSection"]["statusModule"]
    status["overallStatus"] = "COMPLETED"
    status["lastUpdatePostDateStruct"] = {"date": "2025-09-01", "type": "ACTUAL"}
    changed = tmp_path / "NCT05417321.json"
    changed.write_text(json.dumps(study))
    run = import_paths(changed)
    assert run.updated == 1

    changes, older = trial_history.change_history(trial_of("NCT05417321"))
    assert older is False
    (entry,) = changes
    assert entry.by == f"Import run {run.pk}"
    fields = {f.label: (f.old, f.new) for f in entry.fields}
    assert fields["Status"] == ("Recruiting", "Completed")
    assert fields["Last update date"] == ("January 3, 2025 (actual)", "September 1, 2025 (actual)")
    html = page_html(client, "NCT05417321")
    assert "Every change since the trial was first imported, newest first." in html
    assert f'<span class="history__by">Import run {run.pk}, from ClinicalTrials.gov API v2 JSON: ' in html
    assert (
        '<span class="label">Status</span>: <del><span class="visually-hidden">was </span>Recruiting</del> '
        '<span aria-hidden="true">→</span><span class="visually-hidden">, now</span> <ins>Completed</ins>'
    ) in html


def test_change_history_is_newest_first_and_capped(client, import_studies, django_user_model):
    import_studies("NCT05417321")
    trial = trial_of("NCT05417321")
    curator = django_user_model.objects.create_user("curator1")
    for i in range(trial_history.CHANGE_HISTORY_LIMIT + 3):
        TrialChange.objects.create(
            trial=trial, changed_by=curator, changes={"brief_title": {"old": f"t{i}", "new": f"t{i + 1}"}}
        )

    changes, older = trial_history.change_history(trial)

    assert older is True and len(changes) == trial_history.CHANGE_HISTORY_LIMIT
    assert [f.new for f in changes[0].fields] == [f"t{trial_history.CHANGE_HISTORY_LIMIT + 3}"]
    assert changes[0].by == "Curator curator1"
    html = page_html(client, "NCT05417321")
    assert f"The latest {trial_history.CHANGE_HISTORY_LIMIT} changes, newest first." in html


def test_long_values_in_the_history_name_the_field_only(import_studies):
    import_studies("NCT05417321")
    trial = trial_of("NCT05417321")
    TrialChange.objects.create(trial=trial, changes={"sites": {"old": [{"city": "A"}], "new": []}, "acronym": {}})

    (entry,), _ = trial_history.change_history(trial)

    assert [(f.label, f.old, f.new) for f in entry.fields] == [
        ("Acronym", "(none)", "(none)"),
        ("Sites", None, "(none)"),
    ]
    assert [f.label for f in entry.with_values] == ["Acronym"] and entry.without_values == ["Sites"]


@pytest.mark.parametrize(
    ("key", "label"),
    [("brief_title", "Title"), ("eligibility.minimum_age", "Minimum age"), ("start_date", "Start date")],
)
def test_fact_label(key, label):
    assert trial_history.fact_label(key) == label


# Safety and cost


def test_source_text_in_arms_drugs_and_sites_is_text_never_markup(client, import_paths, ctgov_fixture, tmp_path):
    study = json.loads(ctgov_fixture("NCT06482905.json").read_text())
    protocol = study["protocolSection"]
    arm = protocol["armsInterventionsModule"]["armGroups"][0]
    arm["label"] = '<script>alert("arm")</script>'
    for intervention in protocol["armsInterventionsModule"]["interventions"]:
        intervention["armGroupLabels"][-1] = arm["label"]
    protocol["contactsLocationsModule"]["locations"][0]["facility"] = "<script>alert(1)</script> Clinic"
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(study))
    assert import_paths(path).created == 1

    html = page_html(client, "NCT06482905")

    assert "<script>alert" not in html
    assert '&lt;script&gt;alert(&quot;arm&quot;)&lt;/script&gt;<span class="matrix__role">' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Clinic" in html


def test_trial_page_with_change_history_keeps_its_query_count(
    client, import_studies, django_assert_num_queries, django_user_model
):
    import_studies("NCT06482905")
    trial = trial_of("NCT06482905")
    curator = django_user_model.objects.create_user("curator1")
    for _ in range(3):
        TrialChange.objects.create(trial=trial, changed_by=curator, changes={"acronym": {"old": "", "new": "X"}})
    # As tests/test_views.py::test_trial_page_query_count: 14 for the trial and its parts, and one
    # for the change history, joined to its curators, import runs and source records.
    with django_assert_num_queries(15):
        response = client.get(reverse("trials:detail", args=[trial.pk]))
    assert response.status_code == 200
