"""The loader writes a record atomically and idempotently; these use real CT.gov records."""

import json

import pytest

from trials.ingest.loader import load_record
from trials.ingest.parsers import ctgov_json
from trials.ingest.records import RawSource, RegistryId
from trials.models import ImportOutcome, Site, SourceRecord, Trial, TrialChange, TrialMeshTerm
from trials.models import RegistryId as RegistryIdRow

NEMTABRUTINIB = "NCT04728893.json"  # 106 sites, EudraCT 2020-002324-36, Merck


def _load(path, data=None, origin=None):
    data = data if data is not None else path.read_bytes()
    record = ctgov_json.parse(data)
    source = RawSource(origin or path.name, data)
    return load_record(record, source, format=ctgov_json.FORMAT, parser_version=ctgov_json.VERSION)


def _edited(path, edit) -> bytes:
    study = json.loads(path.read_bytes())
    edit(study["protocolSection"])
    return json.dumps(study).encode()


@pytest.mark.django_db
def test_first_load_creates_trial_with_children_and_keeps_the_raw_source(ctgov_fixture):
    path = ctgov_fixture(NEMTABRUTINIB)
    result = _load(path)
    assert result.outcome == ImportOutcome.Outcome.CREATED
    trial = Trial.objects.get()
    assert set(trial.registry_ids.values_list("scheme", "value")) >= {
        ("NCT", "NCT04728893"),
        ("EUDRACT", "2020-002324-36"),
    }
    assert trial.sites.count() == 106
    assert trial.search_vector is not None
    source = SourceRecord.objects.get()
    assert bytes(source.raw) == path.read_bytes()
    assert source.trial == trial and source.format == "ctgov_api_v2_json"
    assert not TrialChange.objects.exists()


@pytest.mark.django_db
def test_loading_the_same_source_again_is_unchanged_and_writes_nothing(ctgov_fixture, django_assert_max_num_queries):
    path = ctgov_fixture(NEMTABRUTINIB)
    _load(path)
    before = Trial.objects.get().updated_at
    # The match (ids, then the locked trial) and the source record lookup; nothing is written.
    with django_assert_max_num_queries(6):
        result = _load(path)
    assert result.outcome == ImportOutcome.Outcome.UNCHANGED
    assert Trial.objects.get().updated_at == before
    assert SourceRecord.objects.count() == 1


@pytest.mark.django_db
def test_changed_source_updates_the_trial_and_logs_the_changed_fields(ctgov_fixture):
    path = ctgov_fixture(NEMTABRUTINIB)
    _load(path)

    def edit(p):
        p["statusModule"]["overallStatus"] = "COMPLETED"
        p["conditionsModule"]["conditions"].append("Mantle Cell Lymphoma")

    result = _load(path, _edited(path, edit), origin="edited.json")
    assert result.outcome == ImportOutcome.Outcome.UPDATED
    assert result.changed_fields == ["conditions", "overall_status"]
    trial = Trial.objects.get()
    assert trial.overall_status == "COMPLETED"
    assert trial.trial_conditions.last().source_term == "Mantle Cell Lymphoma"
    change = TrialChange.objects.get()
    assert change.changes["overall_status"] == {"old": "RECRUITING", "new": "COMPLETED"}
    # Children were replaced, not duplicated; both raw sources are kept.
    assert trial.sites.count() == 106
    assert SourceRecord.objects.filter(trial=trial).count() == 2


@pytest.mark.django_db
def test_record_is_matched_by_a_shared_eudract_number_when_it_has_no_nct(ctgov_fixture):
    path = ctgov_fixture(NEMTABRUTINIB)
    _load(path)
    record = ctgov_json.parse(path.read_bytes())
    record.registry_ids = [RegistryId("EUDRACT", "2020-002324-36")]
    record.brief_title = "Same trial, seen in another registry"
    result = load_record(record, RawSource("eu.json", b"{}"), format="ctgov_api_v2_json", parser_version="1")
    assert result.outcome == ImportOutcome.Outcome.UPDATED
    assert Trial.objects.count() == 1


@pytest.mark.django_db
def test_secondary_id_owned_by_another_registration_is_not_taken_over(ctgov_fixture):
    path = ctgov_fixture(NEMTABRUTINIB)
    first = _load(path).trial
    record = ctgov_json.parse(path.read_bytes())
    record.registry_ids = [RegistryId("NCT", "NCT09999999"), RegistryId("EUDRACT", "2020-002324-36")]
    result = load_record(record, RawSource("other.json", b"{1}"), format="ctgov_api_v2_json", parser_version="1")
    assert result.outcome == ImportOutcome.Outcome.CREATED
    assert result.trial != first
    assert result.warnings == [f"EUDRACT 2020-002324-36 already belongs to trial {first.pk}; not added here"]
    assert RegistryIdRow.objects.get(scheme="EUDRACT").trial == first


@pytest.mark.django_db
def test_database_error_mid_write_leaves_nothing_half_written(ctgov_fixture, monkeypatch):
    path = ctgov_fixture(NEMTABRUTINIB)
    from trials.ingest import trial_writer

    def broken(*args, **kwargs):
        raise Site.DoesNotExist("disk on fire")

    monkeypatch.setattr(trial_writer, "write_sites_and_contacts", broken)
    with pytest.raises(Site.DoesNotExist):
        _load(path)
    assert not Trial.objects.exists()
    assert not SourceRecord.objects.exists()
    assert not RegistryIdRow.objects.exists()


def _status_and_enrollment(p):
    p["statusModule"]["overallStatus"] = "ACTIVE_NOT_RECRUITING"
    p["designModule"]["enrollmentInfo"]["count"] = 999


@pytest.mark.django_db
def test_a_status_and_enrollment_update_takes_eight_queries(ctgov_fixture, django_assert_num_queries):
    path = ctgov_fixture(NEMTABRUTINIB)
    _load(path)
    mesh_terms = list(TrialMeshTerm.objects.values_list("pk", flat=True))
    sites = list(Site.objects.values_list("pk", flat=True))
    # SAVEPOINT; the owners of the record's ids; the trial, locked; this source and the trial's
    # others; the new source; the trial's changed columns; the change log; RELEASE SAVEPOINT.
    # No sponsor, condition or drug lookup and no search document: what they read did not change.
    with django_assert_num_queries(8):
        result = _load(path, _edited(path, _status_and_enrollment), origin="edited.json")
    assert result.outcome == ImportOutcome.Outcome.UPDATED
    assert result.changed_fields == ["enrollment_count", "overall_status"]
    trial = Trial.objects.get()
    assert (trial.overall_status, trial.enrollment_count) == ("ACTIVE_NOT_RECRUITING", 999)
    assert Trial.objects.filter(search_vector="nemtabrutinib").get() == trial  # still found
    # Rows whose facts are the same stay as they were.
    assert list(TrialMeshTerm.objects.values_list("pk", flat=True)) == mesh_terms
    assert list(Site.objects.values_list("pk", flat=True)) == sites


@pytest.mark.django_db
def test_rewritten_sites_keep_the_gazetteers_answer_without_asking_it_again(ctgov_fixture, monkeypatch):
    path = ctgov_fixture("NCT02782533.json")  # one site, in Grenoble

    def without_coordinates(p):
        for site in p["contactsLocationsModule"]["locations"]:
            site.pop("geoPoint")

    _load(path, _edited(path, without_coordinates), origin="no-geo.json")
    placed = Site.objects.values_list("latitude", "longitude", "coordinates_from").get()
    assert placed[2] == Site.CoordinatesFrom.GAZETTEER

    def site_recruiting(p):
        without_coordinates(p)
        p["contactsLocationsModule"]["locations"][0]["status"] = "RECRUITING"

    from trials.ingest import site_writer

    monkeypatch.setattr(site_writer, "gazetteer", lambda: pytest.fail("the gazetteer was read again"))
    result = _load(path, _edited(path, site_recruiting), origin="recruiting.json")
    assert "sites" in result.changed_fields
    site = Site.objects.get()
    assert site.status == "RECRUITING"
    assert (site.latitude, site.longitude, site.coordinates_from) == placed
