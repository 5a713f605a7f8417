import json

import pytest
from django.core.management import CommandError, call_command

from trials.models import Trial

pytestmark = pytest.mark.django_db


def test_command_prints_counts_and_writes_a_report(ctgov_fixture, tmp_path, capsys):
    report = tmp_path / "report.jsonl"
    call_command("import_trials", str(ctgov_fixture("studies.jsonl")), "--report", str(report))
    assert capsys.readouterr().out.strip() == "created 4, updated 0, unchanged 0, failed 0"
    lines = [json.loads(line) for line in report.read_text().splitlines()]
    assert len(lines) == 4
    assert set(lines[0]) >= {"source", "outcome", "trial_id", "registry_ids", "error"}
    assert lines[0]["outcome"] == "created" and lines[0]["error"] is None
    assert Trial.objects.filter(pk=lines[0]["trial_id"], registry_ids__value=lines[0]["registry_ids"][0]).exists()

    call_command("import_trials", str(ctgov_fixture("api_page.json")))
    assert capsys.readouterr().out.strip() == "created 0, updated 0, unchanged 3, failed 0"


def test_command_fails_when_a_record_fails(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"studies": [')
    with pytest.raises(CommandError, match="1 record"):
        call_command("import_trials", str(bad))
    out = capsys.readouterr()
    assert "created 0, updated 0, unchanged 0, failed 1" in out.out
    assert "bad.json" in out.err


def test_format_option_overrides_detection(ctgov_fixture, capsys):
    call_command("import_trials", str(ctgov_fixture("NCT05417321.json")), "--format", "ctgov_api_v2_json")
    assert "created 1" in capsys.readouterr().out


def test_unknown_format_is_refused(ctgov_fixture):
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("import_trials", str(ctgov_fixture("NCT05417321.json")), "--format", "pdf")
