"""The curators' admin on real CT.gov records: every page renders, lists stay free of N+1, provenance is read-only."""

import json

import pytest
from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import ManyToManyRawIdWidget
from django.urls import reverse

from tests.conftest import trial_of
from trials.models import ImportRun, SourceRecord, TrialChange
from trials.selectors import trial_list

STUDIES = [
    "NCT06482905",
    "NCT05417321",
    "NCT04728893",
    "NCT05034276",
    "NCT02782533",
    "NCT02440776",
    "NCT00242138",
    "NCT00444327",
]
TRIAL_CHANGELIST = reverse("admin:trials_trial_changelist")
TRIALS_MODELS = [model for model in admin.site._registry if model._meta.app_label == "trials"]


@pytest.fixture
def catalogue(import_studies):
    run = import_studies(*STUDIES)
    assert (run.created, run.failed) == (len(STUDIES), 0)
    return run


def admin_url(obj, action="change") -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_{action}", args=[obj.pk])


def test_every_trials_model_is_registered():
    from django.apps import apps

    assert set(TRIALS_MODELS) == set(apps.get_app_config("trials").get_models())


@pytest.mark.parametrize("model", TRIALS_MODELS, ids=lambda m: m._meta.model_name)
def test_every_changelist_and_change_page_renders(admin_client, catalogue, django_assert_max_num_queries, model):
    changelist = reverse(f"admin:trials_{model._meta.model_name}_changelist")
    # Session, user, two counts, the page, and at most three prefetches or filter choices: never one per row.
    with django_assert_max_num_queries(8):
        response = admin_client.get(changelist)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == min(model.objects.count(), 100)
    assert admin_client.get(changelist, {"q": "cluster"}).status_code == 200
    obj = model.objects.first()
    if obj is not None:
        assert admin_client.get(admin_url(obj)).status_code == 200


@pytest.mark.parametrize("model", [SourceRecord, ImportRun], ids=lambda m: m._meta.model_name)
def test_provenance_cannot_be_added_or_edited(admin_client, catalogue, model):
    add_url = reverse(f"admin:trials_{model._meta.model_name}_add")
    assert admin_client.get(add_url).status_code == 403
    obj = model.objects.first()
    response = admin_client.post(admin_url(obj), {"origin": "changed"})
    assert response.status_code == 403
    obj.refresh_from_db()
    assert obj.origin != "changed"


# Trial changelist


def test_trial_changelist_columns(admin_client, catalogue):
    response = admin_client.get(TRIAL_CHANGELIST)

    rows = [(trial.brief_title[:30], trial.primary_id, trial.phases) for trial in response.context["cl"].result_list]
    assert rows[:3] == [
        ("Safety and Efficacy Study of T", "NCT06482905", ["PHASE1"]),
        ("A Study Evaluating the Safety ", "NCT05417321", ["PHASE1", "PHASE2"]),
        ("Efficacy and Safety of Nemtabr", "NCT04728893", ["PHASE2"]),
    ]
    html = response.content.decode()
    assert "Phase 1/Phase 2" in html
    assert "Recruiting" in html
    assert "Merck Sharp &amp; Dohme LLC (INDUSTRY)" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("NCT04728893", ["NCT04728893"]),
        ("nct04728893", ["NCT04728893"]),
        ("2020-002324-36", ["NCT04728893"]),  # its EudraCT number
        ("TX103T-RG008", ["NCT06482905"]),  # the sponsor's study id
        ("Nemtabrutinib", ["NCT04728893"]),
        ("cluster headache", ["NCT02782533", "NCT02440776"]),  # words of the titles, newest update first
        ("obesity", ["NCT02782533"]),
    ],
)
def test_trial_changelist_search(admin_client, catalogue, query, expected):
    response = admin_client.get(TRIAL_CHANGELIST, {"q": query})

    assert [trial.primary_id for trial in response.context["cl"].result_list] == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"phase": "PHASE1"}, ["NCT06482905", "NCT05417321"]),
        ({"phase": "NA"}, ["NCT05034276", "NCT02782533"]),
        ({"overall_status__exact": "UNKNOWN"}, ["NCT02440776", "NCT00444327"]),
        ({"study_type__exact": "OBSERVATIONAL"}, ["NCT02440776", "NCT00444327"]),
    ],
)
def test_trial_changelist_filters(admin_client, catalogue, params, expected):
    response = admin_client.get(TRIAL_CHANGELIST, params)

    assert [trial.primary_id for trial in response.context["cl"].result_list] == expected


@pytest.mark.parametrize("size", [1, len(STUDIES)])
@pytest.mark.parametrize("query", [None, "NCT04728893"])
def test_trial_changelist_query_count(admin_client, import_studies, django_assert_num_queries, size, query):
    import_studies(*(["NCT04728893"] if size == 1 else STUDIES))
    params = {"q": query} if query else {}
    # 1. the session    2. the user
    # 3. count of the (filtered, searched) trials    4. count of all trials
    # 5. the page of trials, joined to lead sponsors, with the primary registry id as a subquery
    with django_assert_num_queries(5):
        response = admin_client.get(TRIAL_CHANGELIST, params)
    assert response.status_code == 200


# Trial change page


def test_trial_change_page_shows_parts_and_provenance(admin_client, catalogue):
    trial = trial_of("NCT04728893")

    response = admin_client.get(admin_url(trial))

    assert response.status_code == 200
    html = response.content.decode()
    assert "2020-002324-36" in html  # registry ids inline
    assert "Cohort" in html or "Nemtabrutinib" in html  # arms / interventions
    assert "Korea, Republic of" in html  # sites inline
    source = trial.sources.get()
    assert admin_url(source) in html  # read-only sources, linked
    # Never editable by curators.
    form = response.context["adminform"].form
    assert "record_snapshot" not in form.fields and "search_vector" not in form.fields
    assert isinstance(form.fields["phases"].widget, forms.CheckboxSelectMultiple)


def test_trial_change_page_shows_change_history(admin_client, import_paths, ctgov_fixture, tmp_path):
    path = ctgov_fixture("NCT02782533.json")
    import_paths(path)
    study = json.loads(path.read_text())
    study["protocolSection"]["statusModule"]["overallStatus"] = "TERMINATED"
    changed = tmp_path / "NCT02782533.json"
    changed.write_text(json.dumps(study))
    assert import_paths(changed).updated == 1
    change = TrialChange.objects.get()

    html = admin_client.get(admin_url(change.trial)).content.decode()
    assert admin_url(change) in html
    assert "overall_status" in html

    html = admin_client.get(admin_url(change)).content.decode()
    assert "&quot;COMPLETED&quot;" in html and "&quot;TERMINATED&quot;" in html


def form_data(response) -> dict:
    """What a browser would post back for an unchanged admin change form, inlines included."""
    data = {}

    def add(bound):
        value = bound.value()
        widget = bound.field.widget
        if bound.field.show_hidden_initial:
            add_value(bound.html_initial_name, value, widget)
        add_value(bound.html_name, value, widget)

    def add_value(name, value, widget):
        if isinstance(widget, forms.NullBooleanSelect):
            data[name] = {True: "true", False: "false"}.get(value, "unknown")
        elif isinstance(widget, ManyToManyRawIdWidget):
            data[name] = ",".join(str(v) for v in value or ())
        elif isinstance(widget, forms.CheckboxInput):
            if value:
                data[name] = "on"
        elif isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        elif value is not None:
            data[name] = str(value)

    for bound in response.context["adminform"].form:
        add(bound)
    for inline in response.context["inline_admin_formsets"]:
        for bound in inline.formset.management_form:
            add(bound)
        for inline_form in inline.formset.forms:
            for bound in inline_form:
                add(bound)
    return data


def save_in_admin(admin_client, obj, **changes):
    """Post ``obj``'s admin change form as a curator would: unchanged but for ``changes``."""
    url = reverse(f"admin:trials_{obj._meta.model_name}_change", args=[obj.pk])
    data = form_data(admin_client.get(url))
    data.update(changes)
    response = admin_client.post(url, {**data, "_save": "Save"})
    assert response.status_code == 302, response.context["adminform"].form.errors


def test_curator_edit_is_searchable_and_logged(admin_client, admin_user, import_studies):
    import_studies("NCT06482905")
    trial = trial_of("NCT06482905")
    url = admin_url(trial)
    data = form_data(admin_client.get(url))
    data["brief_title"] = "Zanzibar glioma study"
    # One criterion per line: commas inside a criterion stay in it, blank lines are dropped.
    data["inclusion_criteria"] = "Adults, 18 to 75 years\r\n\r\nGrade 4 glioma, recurrent\r\n"

    response = admin_client.post(url, {**data, "_save": "Save"})

    assert response.status_code == 302, response.context["adminform"].form.errors
    trial.refresh_from_db()
    assert trial.brief_title == "Zanzibar glioma study"
    assert trial.inclusion_criteria == ["Adults, 18 to 75 years", "Grade 4 glioma, recurrent"]
    assert trial.phases == ["PHASE1"]  # untouched fields keep their values
    assert trial.arms.count() == 3 and trial.sites.count() == 4
    assert list(trial_list("zanzibar")) == [trial]  # the search vector was rebuilt
    change = TrialChange.objects.get(trial=trial)
    assert change.changed_by == admin_user
    assert sorted(change.changes) == ["brief_title", "inclusion_criteria"]
    assert change.changes["brief_title"]["new"] == "Zanzibar glioma study"


# Provenance pages


def test_source_record_page_shows_the_raw_text_escaped(admin_client, import_paths, ctgov_fixture, tmp_path):
    study = json.loads(ctgov_fixture("NCT05417321.json").read_text())
    study["protocolSection"]["identificationModule"]["briefTitle"] = "<script>alert(1)</script> HB0036"
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(study))
    import_paths(path)
    source = SourceRecord.objects.get()

    response = admin_client.get(admin_url(source))

    assert response.status_code == 200
    html = response.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; HB0036" in html
    assert "<script>alert(1)" not in html
    assert "<pre" in html and "NCT05417321" in html
    assert source.sha256 in html
    assert source.parser_version in html
    assert admin_url(source.trial) in html
    assert "ClinicalTrials.gov API v2 JSON" in html


def test_import_run_page_lists_outcomes_with_links_to_trials(admin_client, catalogue):
    response = admin_client.get(admin_url(catalogue))

    assert response.status_code == 200
    html = response.content.decode()
    for nct_id in STUDIES:
        assert f'<a href="{admin_url(trial_of(nct_id))}">{nct_id}' in html
    outcomes = reverse("admin:trials_importoutcome_changelist")
    assert f'<a href="{outcomes}?run__id__exact={catalogue.pk}&amp;outcome__exact=created">Created: 8</a>' in html

    response = admin_client.get(outcomes, {"run__id__exact": catalogue.pk, "outcome__exact": "created"})
    assert response.context["cl"].result_count == len(STUDIES)


def test_import_outcome_search_by_registry_id(admin_client, catalogue):
    response = admin_client.get(reverse("admin:trials_importoutcome_changelist"), {"q": "nct04728893"})

    assert [o.registry_ids[0] for o in response.context["cl"].result_list] == ["NCT04728893"]
