"""One trial, many sources: the same study from several shapes is one trial, registry data wins.

Fixtures under tests/fixtures/same_trial/ are one real study (NCT00498680) as CT.gov's API v2
JSON, its legacy XML and a row of a real CSV export.
"""

import json

import pytest

from tests.conftest import FIXTURES, trial_of
from trials.models import SourceRecord, Trial, TrialChange

pytestmark = pytest.mark.django_db
SAME = FIXTURES / "same_trial"
NCT = "NCT00498680"


def _counts(run):
    return run.created, run.updated, run.unchanged, run.failed


def test_the_same_study_from_three_shapes_is_one_trial_with_three_sources(import_paths):
    assert _counts(import_paths(SAME / f"{NCT}.csv")) == (1, 0, 0, 0)
    import_paths(SAME / f"{NCT}.xml")
    import_paths(SAME / f"{NCT}.json")

    trial = trial_of(NCT)
    assert Trial.objects.count() == 1
    assert sorted(trial.sources.values_list("format", flat=True)) == [
        "ctgov_api_v2_json",
        "ctgov_csv",
        "ctgov_legacy_xml",
    ]
    # Registry data (JSON, XML) wins over the CSV export for what they both state; the CSV has
    # no arms, the structured records do.
    json_source = trial.sources.get(format="ctgov_api_v2_json")
    assert trial.field_sources["arms"] in {json_source.pk, trial.sources.get(format="ctgov_legacy_xml").pk}
    assert trial.field_sources["brief_title"] != trial.sources.get(format="ctgov_csv").pk
    assert trial.arms.count() > 0
    assert trial.phases == ["PHASE4"]


def test_reimporting_every_shape_is_unchanged(import_paths):
    paths = [SAME / f"{NCT}.{ext}" for ext in ("csv", "xml", "json")]
    import_paths(*paths)
    assert _counts(import_paths(*paths)) == (0, 0, 3, 0)
    assert SourceRecord.objects.count() == 3


def test_a_lower_priority_source_does_not_override_registry_data(import_paths, tmp_path):
    import_paths(SAME / f"{NCT}.json")
    csv_text = (SAME / f"{NCT}.csv").read_text().replace(",UNKNOWN,", ",RECRUITING,")
    edited = tmp_path / "export.csv"
    edited.write_text(csv_text)
    run = import_paths(edited)
    assert run.failed == 0
    trial = trial_of(NCT)
    assert trial.overall_status == "UNKNOWN"  # the API JSON says so; the CSV ranks below it
    assert trial.sources.count() == 2


def test_a_fact_only_a_lower_source_states_is_taken_from_it(import_paths, tmp_path):
    study = json.loads((SAME / f"{NCT}.json").read_text())
    del study["protocolSection"]["designModule"]["enrollmentInfo"]
    stripped = tmp_path / f"{NCT}.json"
    stripped.write_text(json.dumps(study))
    import_paths(stripped, SAME / f"{NCT}.csv")
    trial = trial_of(NCT)
    csv_source = trial.sources.get(format="ctgov_csv")
    assert trial.enrollment_count == 46
    assert trial.field_sources["enrollment_count"] == csv_source.pk


def test_a_newer_registry_record_updates_and_logs_the_change(import_paths, tmp_path):
    import_paths(SAME / f"{NCT}.json")
    study = json.loads((SAME / f"{NCT}.json").read_text())
    study["protocolSection"]["statusModule"]["overallStatus"] = "COMPLETED"
    newer = tmp_path / f"{NCT}.json"
    newer.write_text(json.dumps(study))
    assert _counts(import_paths(newer)) == (0, 1, 0, 0)
    trial = trial_of(NCT)
    assert trial.overall_status == "COMPLETED"
    change = TrialChange.objects.get(trial=trial)
    assert change.changes["overall_status"] == {"old": "UNKNOWN", "new": "COMPLETED"}
