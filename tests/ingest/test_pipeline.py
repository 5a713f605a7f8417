"""Whole import runs: every CT.gov JSON shape, per-record outcomes, and bad input that fails alone."""

import gzip
import json
import os
import zipfile

import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext

from trials.models import ImportOutcome, ImportRun, SourceRecord, Trial

pytestmark = pytest.mark.django_db


def _counts(run):
    return run.created, run.updated, run.unchanged, run.failed


def test_every_ctgov_shape_yields_the_same_eight_trials(import_paths, ctgov_fixture, tmp_path):
    folder = ctgov_fixture("NCT04728893.json").parent
    singles = sorted(folder.glob("NCT*.json"))
    assert _counts(import_paths(*singles)) == (8, 0, 0, 0)
    for shape, count in (("studies_list.json", 3), ("api_page.json", 3), ("studies.jsonl", 4)):
        assert _counts(import_paths(folder / shape)) == (0, 0, count, 0), shape
    download = tmp_path / "ctg-studies.json.zip"
    with zipfile.ZipFile(download, "w") as archive:
        for path in singles:
            archive.write(path, path.name)
    assert _counts(import_paths(download)) == (0, 0, 8, 0)
    assert Trial.objects.count() == 8


def test_outcomes_are_kept_per_record_with_their_trial(import_paths, ctgov_fixture):
    run = import_paths(ctgov_fixture("studies.jsonl"))
    assert run.status == ImportRun.Status.COMPLETED and run.finished_at
    outcomes = list(run.outcomes.order_by("id"))
    assert len(outcomes) == 4
    assert all(o.outcome == "created" and o.trial_id and o.source_record_id for o in outcomes)
    assert outcomes[0].source.endswith("studies.jsonl:line 1")
    assert outcomes[0].registry_ids[0].startswith("NCT")


def test_bad_records_fail_alone_with_a_message_naming_file_record_and_problem(import_paths, ctgov_fixture, tmp_path):
    good = ctgov_fixture("NCT05417321.json").read_bytes()
    study = json.loads(good)
    no_id = json.loads(good)
    del no_id["protocolSection"]["identificationModule"]["nctId"]
    wrong_type = json.loads(good)
    wrong_type["protocolSection"]["identificationModule"]["nctId"] = "NCT00000002"
    wrong_type["protocolSection"]["designModule"]["phases"] = "PHASE2"
    bad_enum = json.loads(good)
    bad_enum["protocolSection"]["identificationModule"]["nctId"] = "NCT00000003"
    bad_enum["protocolSection"]["statusModule"]["overallStatus"] = "RECRUTING"
    lines = tmp_path / "mixed.jsonl.gz"
    with gzip.open(lines, "wt") as out:
        for obj in (study, no_id, wrong_type, bad_enum):
            out.write(json.dumps(obj) + "\n")
        out.write('{"protocolSection": {"identificationModule": \n')  # truncated line
    (tmp_path / "notjson.json").write_text("this is not JSON")
    (tmp_path / "truncated.json").write_bytes(good[: len(good) // 2])
    (tmp_path / "empty.json").write_bytes(b"")

    run = import_paths(lines, tmp_path / "notjson.json", tmp_path / "truncated.json", tmp_path / "empty.json")

    assert _counts(run) == (1, 0, 0, 7)
    errors = {r.source.rsplit("/", 1)[-1]: r.error for r in run.reports if r.outcome == "failed"}
    assert "nctId" in errors["mixed.jsonl.gz:line 2"]
    assert "protocolSection.designModule.phases" in errors["mixed.jsonl.gz:line 3"]
    assert "NCT00000002" in errors["mixed.jsonl.gz:line 3"]
    assert "RECRUTING" in errors["mixed.jsonl.gz:line 4"]
    assert "not valid JSON" in errors["mixed.jsonl.gz:line 5"]
    assert "unrecognised format" in errors["notjson.json"]
    assert "truncated.json" in errors["truncated.json"]
    assert "empty" in errors["empty.json"]
    # Only the good record left anything behind.
    assert Trial.objects.count() == 1
    assert SourceRecord.objects.count() == 1
    assert ImportOutcome.objects.filter(run=run, outcome="failed").count() == 7


def test_interrupted_run_is_marked_and_keeps_what_was_loaded(import_paths, ctgov_fixture, monkeypatch):
    from trials.ingest import pipeline

    real = pipeline._import_record
    calls = []

    def interrupt_on_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "_import_record", interrupt_on_third)
    with pytest.raises(KeyboardInterrupt):
        import_paths(ctgov_fixture("studies.jsonl"))
    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.INTERRUPTED
    assert run.created == 2 and Trial.objects.count() == 2


def _day_of_updates(path, studies, lines):
    """Those lines of ``studies`` as the registry posts them a day later: a new overall status."""
    updated = []
    for line in [studies.read_text().splitlines()[i] for i in lines]:
        study = json.loads(line)
        study["protocolSection"]["statusModule"]["overallStatus"] = "ACTIVE_NOT_RECRUITING"
        updated.append(json.dumps(study))
    path.write_text("\n".join(updated) + "\n")
    return path


def test_each_updated_record_of_a_batch_takes_six_queries(import_paths, ctgov_fixture, tmp_path, monkeypatch):
    from trials.ingest import pipeline

    monkeypatch.setattr(pipeline, "BATCH_SECONDS", 60)  # one batch each, however slow the machine
    studies = ctgov_fixture("studies.jsonl")
    import_paths(studies)
    counts = []
    for name, lines in (("one.jsonl", [0]), ("three.jsonl", [1, 2, 3])):
        with CaptureQueriesContext(connection) as queries:
            run = import_paths(_day_of_updates(tmp_path / name, studies, lines))
        assert _counts(run) == (0, len(lines), 0, 0)
        counts.append(len(queries))
    # Per record: the owners of its ids; its trial, locked; its source and the trial's others; the
    # new source; the trial's changed columns; the change log (no savepoint: a batch whose record
    # fails is loaded again with them). Per batch, whatever its size: the outcomes and the run's
    # counters (no search document is rebuilt: a new status leaves it as it was).
    assert counts[1] - counts[0] == 2 * 6


def test_a_record_failing_on_a_database_error_after_others_is_loaded_again_alone(
    import_paths, ctgov_fixture, monkeypatch
):
    from trials.ingest import pipeline

    real = pipeline.load_record
    calls = []

    def deadlocked_once(record, source, **kwargs):
        calls.append(source.origin)
        if source.origin.endswith("line 2") and calls.count(source.origin) == 1:
            raise OperationalError("deadlock detected")  # as a concurrent import's lock order would
        return real(record, source, **kwargs)

    monkeypatch.setattr(pipeline, "load_record", deadlocked_once)
    run = import_paths(ctgov_fixture("studies.jsonl"))
    assert _counts(run) == (4, 0, 0, 0)
    assert [c.rsplit(":", 1)[1] for c in calls] == ["line 1", "line 2", "line 2", "line 3", "line 4"]
    assert Trial.objects.count() == 4


def test_a_record_failing_in_a_batch_without_savepoints_fails_alone(import_paths, ctgov_fixture, monkeypatch, caplog):
    """The batch is loaded again, a savepoint a record: the failure stays that record's, and no
    record of its batch is lost or written twice."""
    from trials.ingest import pipeline, trial_writer

    monkeypatch.setattr(pipeline, "BATCH_SECONDS", 60)  # the four records in one batch
    real = trial_writer.write_sites_and_contacts
    failing = "NCT02782533"  # the second line of studies.jsonl

    def disk_full_for_one_trial(trial, record, **kwargs):
        if any(rid.value == failing for rid in record.registry_ids):
            raise OperationalError("could not extend file: No space left on device")
        return real(trial, record, **kwargs)

    monkeypatch.setattr(trial_writer, "write_sites_and_contacts", disk_full_for_one_trial)
    caplog.set_level("INFO", logger="trials.ingest.pipeline")
    run = import_paths(ctgov_fixture("studies.jsonl"))
    assert _counts(run) == (3, 0, 0, 1)
    assert "loading a batch again with a savepoint a record" in caplog.text
    failed = ImportOutcome.objects.get(run=run, outcome="failed")
    assert failed.source.endswith("line 2") and "No space left on device" in failed.error
    assert Trial.objects.count() == 3 and SourceRecord.objects.count() == 3
    assert not Trial.objects.filter(registry_ids__value=failing).exists()
    assert ImportOutcome.objects.filter(run=run).count() == 4


@pytest.mark.django_db(transaction=True)
def test_records_parsed_by_a_worker_process_import_as_the_loader_parsing_them(ctgov_fixture, tmp_path, monkeypatch):
    """``parse_workers``: the records are parsed in a forked process (never in this one), in order,
    and a record that does not parse still fails alone."""
    from trials.ingest import pipeline
    from trials.ingest.readers import read_paths

    studies = ctgov_fixture("studies.jsonl").read_text().splitlines()
    day = tmp_path / "day.jsonl"
    day.write_text("\n".join([*studies[:2], '{"protocolSection": 7}', *studies[2:]]) + "\n")
    loader = os.getpid()
    real = pipeline._parse

    def parsed_elsewhere(pending):
        assert os.getpid() != loader, "parsed by the loader"
        return real(pending)

    monkeypatch.setattr(pipeline, "_parse", parsed_elsewhere)  # the worker, forked after this, too
    monkeypatch.setattr(pipeline, "BATCH_SECONDS", 60)
    reports = []
    run = pipeline.import_units(
        read_paths([day]), run=pipeline.start_run("test"), on_record=reports.append, parse_workers=1
    )
    assert _counts(run) == (4, 0, 0, 1) and run.status == ImportRun.Status.COMPLETED
    assert [r.source.rsplit(":", 1)[1] for r in reports] == [f"line {n}" for n in range(1, 6)]
    assert reports[2].outcome == "failed"
    assert Trial.objects.count() == 4
    assert not connection.needs_rollback  # the connection closed for the fork was opened again


def test_sources_are_stored_with_lz4_where_the_server_has_it(import_paths, ctgov_fixture):
    from trials.ingest import session

    with connection.cursor() as cursor:
        expected = "lz4" if session.LZ4_COMPRESSION in session.toast_compressions(cursor) else "pglz"
    import_paths(ctgov_fixture("studies.jsonl"))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT pg_column_compression(raw) FROM trials_sourcerecord WHERE octet_length(raw) > 4000"
        )
        assert cursor.fetchall() == [(expected,)]
        cursor.execute("SHOW default_toast_compression")  # the session as it was after the run
        assert cursor.fetchone()[0] == "pglz"


def _amended(line: str) -> str:
    """The study as the registry posts it later: a new title and a later update date."""
    study = json.loads(line)
    protocol = study["protocolSection"]
    protocol["identificationModule"]["briefTitle"] += " (amended)"
    protocol["statusModule"]["lastUpdatePostDateStruct"] = {"date": "2026-11-30", "type": "ACTUAL"}
    return json.dumps(study)


@pytest.mark.django_db(transaction=True)
def test_records_loaded_by_worker_processes_import_as_one_loader_imports_them(ctgov_fixture, tmp_path, monkeypatch):
    """``loaders``: chunks of records parsed and loaded by forked workers on their own connections
    (never by this process), reported in order, counted once each; a bad record fails alone, and
    two versions of one study loaded at once by two workers make one trial showing the newer."""
    from tests.processes import assert_catalogue_whole
    from trials.ingest import pipeline
    from trials.ingest.readers import read_paths

    studies = ctgov_fixture("studies.jsonl").read_text().splitlines()
    day = tmp_path / "day.jsonl"
    day.write_text("\n".join([studies[0], '{"protocolSection": 7}', *studies[1:], _amended(studies[0])]) + "\n")
    loaded_by = tmp_path / "pids"
    main = os.getpid()
    real = pipeline.load_record

    def noting_the_process(*args, **kwargs):
        with loaded_by.open("a") as pids:
            pids.write(f"{os.getpid()}\n")
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "load_record", noting_the_process)  # the forked workers' too
    monkeypatch.setattr(pipeline, "BATCH_RECORDS", 1)  # chunks of two records: three chunks
    reports = []
    run = pipeline.import_units(read_paths([day]), run=pipeline.start_run("test"), on_record=reports.append, loaders=2)

    assert run.status == ImportRun.Status.COMPLETED
    assert (run.total, *_counts(run)) in {(6, 4, 1, 0, 1), (6, 4, 0, 1, 1)}  # the later-loaded version adds a source
    assert _counts(ImportRun.objects.get(pk=run.pk)) == _counts(run)
    assert [r.source.rsplit(":", 1)[1] for r in reports] == [f"line {n}" for n in range(1, 7)]
    assert [r.outcome for r in reports].count("failed") == 1 and reports[1].outcome == "failed"
    assert ImportOutcome.objects.filter(run=run).count() == 6
    pids = set(map(int, loaded_by.read_text().split()))
    assert pids and main not in pids
    assert Trial.objects.count() == 4
    amended = json.loads(_amended(studies[0]))["protocolSection"]["identificationModule"]["briefTitle"]
    trial = Trial.objects.get(brief_title=amended)  # whichever worker wrote last
    assert SourceRecord.objects.filter(trial=trial).count() == 2
    assert_catalogue_whole()

    again = pipeline.import_units(read_paths([day]), run=pipeline.start_run("again"), loaders=2)
    assert (again.total, *_counts(again)) == (6, 0, 0, 5, 1)
    assert Trial.objects.count() == 4 and SourceRecord.objects.count() == 5


@pytest.mark.django_db(transaction=True)
def test_a_dry_run_asked_for_loading_workers_loads_in_this_process(ctgov_fixture, tmp_path, monkeypatch):
    """An admin preview rolls each record back: it is loaded here, never by forked loaders."""
    from trials.ingest import pipeline
    from trials.ingest.readers import read_paths

    loaded_by = tmp_path / "pids"
    real = pipeline.load_record

    def noting_the_process(*args, **kwargs):
        with loaded_by.open("a") as pids:
            pids.write(f"{os.getpid()}\n")
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "load_record", noting_the_process)
    run = pipeline.start_run("preview", dry_run=True)
    pipeline.import_units(read_paths([ctgov_fixture("studies.jsonl")]), run=run, loaders=2)
    assert run.created == 4 and not Trial.objects.exists()
    assert set(map(int, loaded_by.read_text().split())) == {os.getpid()}
