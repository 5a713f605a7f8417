"""Two imports of overlapping files at once: no duplicate trials, no lost updates."""

import json

import pytest

from tests.processes import DEMO_STUDIES, assert_catalogue_whole, demo_studies, manage
from trials.models import ImportRun, RegistryId, SourceRecord, Trial

pytestmark = pytest.mark.django_db(transaction=True)


def newer_versions(path, studies):
    """The same studies as the registry posts them later: a new title and a later update date."""
    lines = []
    for line in studies.read_text().splitlines():
        study = json.loads(line)
        protocol = study["protocolSection"]
        protocol["identificationModule"]["briefTitle"] += " (amended)"
        protocol["statusModule"]["lastUpdatePostDateStruct"] = {"date": "2026-11-30", "type": "ACTUAL"}
        lines.append(json.dumps(study))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_overlapping_imports_at_once_give_one_trial_each_with_the_newest_facts(tmp_path):
    assert DEMO_STUDIES.exists()
    first = demo_studies(tmp_path / "first.jsonl", 20)  # studies 0-19
    shared = demo_studies(tmp_path / "shared.jsonl", 10, start=10, reverse=True)  # 19-10, also in the first file
    second_new = demo_studies(tmp_path / "second.jsonl", 10, start=20, reverse=True)  # 20-29
    amended = newer_versions(tmp_path / "amended.jsonl", shared)  # newer versions of 10-19

    # The second import meets the first on the shared studies from the other end, with newer versions;
    # whichever creates a shared trial first, the other finds it.
    a = manage("import_trials", str(first))
    b = manage("import_trials", str(amended), str(second_new))
    outputs = [process.communicate(timeout=180)[0] for process in (a, b)]
    assert [a.returncode, b.returncode] == [0, 0], outputs

    runs = list(ImportRun.objects.order_by("pk"))
    assert [run.status for run in runs] == [ImportRun.Status.COMPLETED] * 2
    assert sum(run.failed for run in runs) == 0
    assert Trial.objects.count() == 30  # no duplicates
    assert RegistryId.objects.filter(scheme="NCT").count() == 30
    assert_catalogue_whole()
    # No lost update: each shared study shows its newer version, whichever import wrote last,
    # and keeps both versions as sources.
    amended_titles = {
        json.loads(line)["protocolSection"]["identificationModule"]["briefTitle"]
        for line in amended.read_text().splitlines()
    }
    shared_trials = Trial.objects.filter(brief_title__in=amended_titles)
    assert shared_trials.count() == 10
    assert SourceRecord.objects.filter(trial__in=shared_trials).count() == 20
