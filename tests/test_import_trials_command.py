import json

import pytest
from django.core.management import CommandError, call_command

from trials.models import ImportRun, Trial

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


# --ctgov / --ctgov-since fetch from a local replay of recorded ClinicalTrials.gov API v2 answers.


def test_ctgov_imports_the_studies_found_and_fails_the_id_not_found(ctgov_replay, capsys):
    with pytest.raises(CommandError, match="1 record"):
        call_command("import_trials", "--ctgov", "NCT05417321", "nct06482905", "NCT09999999")
    out = capsys.readouterr()
    assert out.out.strip() == "created 2, updated 0, unchanged 0, failed 1"
    assert "failed: ctgov-api: NCT09999999: NCT09999999 not found on ClinicalTrials.gov" in out.err
    assert Trial.objects.filter(registry_ids__value__in=["NCT05417321", "NCT06482905"]).count() == 2
    run = ImportRun.objects.get()
    assert run.origin.endswith(": ClinicalTrials.gov API: NCT05417321 NCT06482905 NCT09999999")
    outcome = run.outcomes.get(outcome="created", registry_ids__contains=["NCT05417321"])
    assert "/api/v2/studies?filter.ids=NCT05417321,NCT06482905,NCT09999999" in outcome.source


def test_ctgov_since_imports_every_page(ctgov_replay, capsys):
    call_command("import_trials", "--ctgov-since", "2023-01-01")
    assert capsys.readouterr().out.strip() == "created 4, updated 0, unchanged 0, failed 0"
    first, second = ctgov_replay.queries()
    assert first["filter.advanced"] == "AREA[LastUpdatePostDate]RANGE[2023-01-01,MAX]"
    assert "pageToken" not in first and second["pageToken"]
    assert Trial.objects.count() == 4
    assert ImportRun.objects.get().origin.endswith(": ClinicalTrials.gov API: updated since 2023-01-01")

    call_command("import_trials", "--ctgov-since", "2023-01-01")
    assert capsys.readouterr().out.strip() == "created 0, updated 0, unchanged 4, failed 0"


def test_ctgov_unavailable_fails_the_command_with_a_clear_message(ctgov_replay, capsys):
    ctgov_replay.fail(503, b"Service temporarily unavailable", times=3)
    with pytest.raises(CommandError, match="1 record"):
        call_command("import_trials", "--ctgov", "NCT05417321")
    out = capsys.readouterr()
    assert out.out.strip() == "created 0, updated 0, unchanged 0, failed 1"
    assert "HTTP 503 Service Unavailable: Service temporarily unavailable (gave up after 3 tries)" in out.err
    assert "Traceback" not in out.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--ctgov", "NCT05417321", "NCT123"], r"--ctgov: 'NCT123' is not an NCT id"),
        (["--ctgov-since", "2023-13-01"], r"--ctgov-since: '2023-13-01' is not a date in the form YYYY-MM-DD"),
        (["--ctgov-since", "01/02/2023"], r"is not a date in the form YYYY-MM-DD"),
        ([], "exactly one source"),
        (["some/file.json", "--ctgov", "NCT05417321"], "exactly one source"),
        (["--ctgov", "NCT05417321", "--ctgov-since", "2023-01-01"], "exactly one source"),
    ],
)
def test_bad_ctgov_arguments_are_refused_before_any_request(ctgov_replay, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("import_trials", *args)
    assert ctgov_replay.requests == []
    assert not ImportRun.objects.exists()


@pytest.mark.parametrize("workers", ["0", "-1"])
def test_workers_fewer_than_one_are_refused_before_anything_is_imported(ctgov_fixture, workers):
    with pytest.raises(CommandError, match="--workers must be 1 or more"):
        call_command("import_trials", str(ctgov_fixture("NCT04728893.json")), "--workers", workers)
    assert not ImportRun.objects.exists() and not Trial.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_bulk_load_stores_the_search_snapshot_for_the_web_processes(ctgov_fixture, settings, tmp_path, capsys):
    """After ``--bulk`` the node's web processes find the catalogue's snapshot stored, to map it,
    rather than each reading it from PostgreSQL while PostgreSQL answers their searches."""
    from trials.engine import _usable, forget, stored
    from trials.search_index import catalogue_version

    settings.SEARCH_ENGINE, settings.SEARCH_SNAPSHOT_DIR = "memory", str(tmp_path)
    try:
        call_command("import_trials", "--bulk", str(ctgov_fixture("studies.jsonl")))
        out = capsys.readouterr().out
        version = catalogue_version()
        assert "created 4, updated 0, unchanged 0, failed 0" in out
        assert f"search snapshot v{version} (4 trials) stored for the web processes" in out
        [kept] = [path for path in tmp_path.glob("*/v*") if path.is_dir()]
        assert kept.name == f"v{version}"
        # What a web process then does: it maps that one.
        mapped = stored.stored_if_ready("default", lambda v, size: _usable("default", v, size))
        assert mapped is not None and mapped.version == version and mapped.size == 4

        # Nothing new: nothing to store again.
        call_command("import_trials", "--bulk", str(ctgov_fixture("studies.jsonl")))
        assert "search snapshot" not in capsys.readouterr().out
    finally:
        forget()


@pytest.mark.django_db(transaction=True)
def test_a_bulk_load_stores_no_snapshot_for_the_postgresql_engine(ctgov_fixture, settings, tmp_path, capsys):
    settings.SEARCH_ENGINE, settings.SEARCH_SNAPSHOT_DIR = "postgresql", str(tmp_path)
    call_command("import_trials", "--bulk", str(ctgov_fixture("studies.jsonl")))
    assert "search snapshot" not in capsys.readouterr().out
    assert not list(tmp_path.iterdir())


@pytest.mark.django_db(transaction=True)
def test_a_snapshot_that_cannot_be_stored_does_not_fail_the_committed_load(ctgov_fixture, monkeypatch, capsys):
    from trials.management.commands import import_trials

    def disk_full():
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(import_trials, "store_snapshot", disk_full)
    call_command("import_trials", "--bulk", str(ctgov_fixture("studies.jsonl")))
    out = capsys.readouterr()
    assert "created 4, updated 0, unchanged 0, failed 0" in out.out
    assert "search snapshot not stored ([Errno 28] No space left on device)" in out.err
    assert Trial.objects.count() == 4
