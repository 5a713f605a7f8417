"""A curator editing a trial while an import updates it: the curator's edit wins and is recorded,
and the import's other changes are kept too, whichever of the two writes first."""

import json
import threading

import pytest
from django.db import connections
from django.urls import reverse

from tests.conftest import trial_of
from tests.test_admin import form_data
from trials.admin import trial as trial_admin
from trials.ingest import loader
from trials.models import TrialChange

pytestmark = pytest.mark.django_db(transaction=True)
NCT = "NCT06482905"
CURATED_TITLE = "Curated: TX103 CAR-T in recurrent grade 4 glioma"


@pytest.fixture
def newer_version(ctgov_fixture, tmp_path):
    """The same study as the registry posts it later: another title, official title and status."""
    study = json.loads(ctgov_fixture(f"{NCT}.json").read_text())
    protocol = study["protocolSection"]
    protocol["identificationModule"]["briefTitle"] = "Registry's newer title"
    protocol["identificationModule"]["officialTitle"] = "Registry's newer official title"
    protocol["statusModule"]["overallStatus"] = "ACTIVE_NOT_RECRUITING"
    protocol["statusModule"]["lastUpdatePostDateStruct"] = {"date": "2026-11-30", "type": "ACTUAL"}
    path = tmp_path / f"{NCT}.json"
    path.write_text(json.dumps(study))
    return path


def in_thread(target) -> threading.Thread:
    def run():
        try:
            target()
        finally:
            connections.close_all()  # this thread's own connection

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def paused(function, reached: threading.Event, go: threading.Event):
    """``function`` that, once called, signals ``reached`` and waits for ``go`` before returning."""

    def wrapper(*args, **kwargs):
        result = function(*args, **kwargs)
        reached.set()
        assert go.wait(30), "never released"
        return result

    return wrapper


def post_edit(admin_client, url, data):
    response = admin_client.post(url, {**data, "brief_title": CURATED_TITLE, "_save": "Save"})
    assert response.status_code == 302, response.context["adminform"].form.errors


def assert_both_kept(trial):
    trial.refresh_from_db()
    assert trial.brief_title == CURATED_TITLE  # the curator's edit wins
    assert trial.official_title == "Registry's newer official title"  # the import's other changes stay
    assert trial.overall_status == "ACTIVE_NOT_RECRUITING"
    assert set(trial.curated_fields) == {"brief_title"}
    by_curator = TrialChange.objects.get(trial=trial, changed_by__isnull=False)
    assert list(by_curator.changes) == ["brief_title"]
    assert by_curator.changes["brief_title"]["new"] == CURATED_TITLE
    by_import = TrialChange.objects.get(trial=trial, import_run__isnull=False)
    assert {"official_title", "overall_status"} <= set(by_import.changes)


def test_curator_saving_while_an_import_writes_waits_for_it_and_keeps_its_changes(
    admin_client, import_studies, import_paths, newer_version, monkeypatch
):
    import_studies(NCT)
    trial = trial_of(NCT)
    url = reverse("admin:trials_trial_change", args=[trial.pk])
    opened = form_data(admin_client.get(url))  # the curator opens the form before the import

    writing, go = threading.Event(), threading.Event()
    monkeypatch.setattr(loader, "write_trial", paused(loader.write_trial, writing, go))
    importing = in_thread(lambda: import_paths(newer_version))
    assert writing.wait(30)  # the import holds the trial's row now
    saving = in_thread(lambda: post_edit(admin_client, url, opened))
    saving.join(0.5)
    assert saving.is_alive(), "the curator's save should wait for the import's transaction"
    go.set()
    importing.join(30)
    saving.join(30)

    assert_both_kept(trial)


def test_import_while_a_curator_saves_waits_and_keeps_the_curators_edit(
    admin_client, import_studies, import_paths, newer_version, monkeypatch
):
    import_studies(NCT)
    trial = trial_of(NCT)
    url = reverse("admin:trials_trial_change", args=[trial.pk])
    opened = form_data(admin_client.get(url))

    saved, go = threading.Event(), threading.Event()
    monkeypatch.setattr(trial_admin, "mark_curated", paused(trial_admin.mark_curated, saved, go))
    saving = in_thread(lambda: post_edit(admin_client, url, opened))
    assert saved.wait(30)  # the curator's save holds the trial's row now
    runs = []
    importing = in_thread(lambda: runs.append(import_paths(newer_version)))
    importing.join(0.5)
    assert importing.is_alive(), "the import should wait for the curator's transaction"
    go.set()
    saving.join(30)
    importing.join(30)

    assert runs[0].updated == 1
    assert_both_kept(trial)
    # The import noted what the registry says now beside the curated title.
    assert trial.curated_fields["brief_title"]["source_value"] == "Registry's newer title"


def test_a_form_opened_before_an_import_saves_only_what_the_curator_changed(
    admin_client, import_studies, import_paths, newer_version
):
    import_studies(NCT)
    trial = trial_of(NCT)
    url = reverse("admin:trials_trial_change", args=[trial.pk])
    opened = form_data(admin_client.get(url))
    arms = list(trial.arms.values_list("pk", flat=True))
    import_paths(newer_version)  # changes titles and status; arms, sites and the rest are the same facts

    post_edit(admin_client, url, opened)  # the form still shows the old official title and status

    assert_both_kept(trial)
    assert list(trial.arms.values_list("pk", flat=True)) == arms  # unchanged parts kept their rows


def test_a_post_to_a_trial_id_of_non_ascii_digits_is_a_404_not_a_500(admin_client):
    # "¹".isdigit() is true but int("¹") fails: the save's row lock must not be asked for it.
    response = admin_client.post(reverse("admin:trials_trial_change", args=["¹"]), {"_save": "Save"})
    assert response.status_code in (302, 404)
