"""Curators' edits survive re-import, can be handed back, and twin trials merge keeping both sources."""

import json

import pytest

from tests.conftest import FIXTURES, trial_of
from tests.test_admin import admin_url, form_data
from trials.curation import disagreements, merge_trials, possible_duplicates, release_curated
from trials.ingest.loader import load_record
from trials.ingest.records import ParseError, RawSource, TrialRecord
from trials.models import Site, SourceRecord, Trial, TrialChange

pytestmark = pytest.mark.django_db
SAME = FIXTURES / "same_trial"
NCT = "NCT00498680"
DUMP = FIXTURES / "field_dump" / "ivonescimab.txt"


def _edit_trial(admin_client, trial, **changes):
    data = form_data(admin_client.get(admin_url(trial)))
    data.update(changes)
    response = admin_client.post(admin_url(trial), {**data, "_save": "Save"})
    assert response.status_code == 302, response.context["adminform"].form.errors


def _changed_status(tmp_path, status):
    study = json.loads((SAME / f"{NCT}.json").read_text())
    study["protocolSection"]["statusModule"]["overallStatus"] = status
    study["protocolSection"]["identificationModule"]["briefTitle"] = "A title the registry changed"
    path = tmp_path / f"{NCT}.json"
    path.write_text(json.dumps(study))
    return path


def test_a_curated_field_survives_reimport_and_admin_shows_the_source_disagrees(
    admin_client, admin_user, import_paths, tmp_path
):
    import_paths(SAME / f"{NCT}.json")
    trial = trial_of(NCT)
    _edit_trial(admin_client, trial, overall_status="COMPLETED")
    trial.refresh_from_db()
    assert set(trial.curated_fields) == {"overall_status"}
    assert trial.curated_fields["overall_status"]["by"] == admin_user.username

    run = import_paths(_changed_status(tmp_path, "TERMINATED"))
    assert (run.updated, run.failed) == (1, 0)
    trial.refresh_from_db()
    assert trial.overall_status == "COMPLETED"  # the curator's
    assert trial.brief_title == "A title the registry changed"  # not curated: follows the source
    assert disagreements(trial) == [
        {
            "field": "overall_status",
            "curated": "COMPLETED",
            "sources": "TERMINATED",
            "by": "admin",
            "at": trial.curated_fields["overall_status"]["at"],
        }
    ]
    html = admin_client.get(admin_url(trial)).content.decode()
    assert "the sources now say <code>TERMINATED</code>" in html
    # History: the curator's edit, then the import.
    changes = list(TrialChange.objects.filter(trial=trial).order_by("changed_at", "pk"))
    assert [c.changed_by_id for c in changes] == [admin_user.pk, None]
    assert changes[1].import_run_id == run.pk


def test_a_curated_part_is_kept_whole_on_reimport(admin_client, import_paths, tmp_path):
    import_paths(SAME / f"{NCT}.json")
    trial = trial_of(NCT)
    site = trial.sites.get()
    url = admin_url(site)
    data = form_data(admin_client.get(url))
    data["facility"] = "Rambam (checked by phone)"
    assert admin_client.post(url, {**data, "_save": "Save"}).status_code == 302
    trial.refresh_from_db()
    assert "sites" in trial.curated_fields

    import_paths(_changed_status(tmp_path, "TERMINATED"))
    assert list(Site.objects.filter(trial=trial).values_list("facility", flat=True)) == ["Rambam (checked by phone)"]


def test_releasing_a_curated_field_hands_it_back_to_the_sources(admin_client, admin_user, import_paths):
    import_paths(SAME / f"{NCT}.json")
    trial = trial_of(NCT)
    _edit_trial(admin_client, trial, overall_status="COMPLETED")
    trial.refresh_from_db()
    assert release_curated(trial, ["overall_status"], admin_user) == ["overall_status"]
    trial.refresh_from_db()
    assert trial.overall_status == "UNKNOWN" and trial.curated_fields == {}


def test_a_record_without_registry_id_gets_a_stable_catalogue_id(import_paths, tmp_path):
    run = import_paths(DUMP)
    assert (run.created, run.failed) == (1, 0)
    trial = Trial.objects.get()
    local = trial.registry_ids.get()
    assert local.scheme == "LOCAL" and local.value.startswith("LOCAL-")
    # The same dump again, and an edited copy with the same title, find the same trial.
    assert import_paths(DUMP).unchanged == 1
    edited = tmp_path / "dump.txt"
    edited.write_text(DUMP.read_text().replace("Pleural Mesotheliomas", "Pleural Mesothelioma"))
    assert import_paths(edited).updated == 1
    assert Trial.objects.count() == 1


def test_twin_trials_are_listed_and_merge_keeping_both_sources(admin_client, admin_user, import_paths, tmp_path):
    # The same study as an NCT record: here the XML fixture retitled as the dump's study.
    import_paths(DUMP)
    dump_trial = Trial.objects.get()
    xml = (SAME / f"{NCT}.xml").read_text()
    title = dump_trial.brief_title
    registered = tmp_path / f"{NCT}.xml"
    old_title = "Safety and Clinical Effectiveness of 2 Lower Dose Combined PDE5i's vs. Single Maximal Dose PDE5i"
    registered.write_text(xml.replace(f"<brief_title>{old_title}</brief_title>", f"<brief_title>{title}</brief_title>"))
    import_paths(registered)
    nct_trial = trial_of(NCT)
    assert list(possible_duplicates(nct_trial)) == [dump_trial]
    assert "Possibly the same study" in admin_client.get(admin_url(nct_trial)).content.decode()

    response = admin_client.post(
        "/admin/trials/trial/",
        {"action": "merge_selected", "_selected_action": [dump_trial.pk, nct_trial.pk]},
    )
    assert response.status_code == 302
    merged = Trial.objects.get()
    assert merged.pk == nct_trial.pk  # the registered one stays
    assert set(merged.registry_ids.values_list("scheme", flat=True)) >= {"NCT", "LOCAL"}
    assert sorted(merged.sources.values_list("format", flat=True)) == ["ctgov_legacy_xml", "field_dump"]
    # Registry data wins; the dump still gives what only it states.
    assert merged.field_sources["brief_title"] == merged.sources.get(format="ctgov_legacy_xml").pk
    assert TrialChange.objects.filter(trial=merged, changed_by=admin_user, changes__has_key="merged").exists()
    # The admin page says which source gave which fact.
    html = admin_client.get(admin_url(merged)).content.decode()
    assert "here each fact came from" in html and "ivonescimab.txt" in html and "NCT00498680.xml" in html
    # Re-importing the dump finds the merged trial through its catalogue id.
    assert import_paths(DUMP).unchanged == 1
    assert Trial.objects.count() == 1


def test_merge_refuses_a_trial_with_itself(import_paths, admin_user):
    import_paths(DUMP)
    trial = Trial.objects.get()
    with pytest.raises(ValueError, match="itself"):
        merge_trials(trial, trial, admin_user)
    assert SourceRecord.objects.filter(trial=trial).count() == 1


def test_a_record_with_neither_registry_id_nor_title_is_refused():
    record = TrialRecord(conditions=["Impotence"], phases=["PHASE4"])
    with pytest.raises(ParseError, match="no registry id and no title"):
        load_record(record, RawSource("export.csv:row 2", b"..."), format="ctgov_csv", parser_version="1")
    assert not Trial.objects.exists()
