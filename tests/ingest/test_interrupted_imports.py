"""An import killed with SIGKILL (the command, or the background worker running an admin import)
leaves only whole trials, shows as interrupted, and running it again completes without duplicates."""

import os
import signal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from tests.processes import assert_catalogue_whole, demo_studies, manage, wait_for
from trials.ingest import uploads
from trials.ingest.run_liveness import mark_interrupted_runs
from trials.models import ImportOutcome, ImportRun, RegistryId, Trial
from trials.tasks import run_import

pytestmark = pytest.mark.django_db(transaction=True)
STUDIES = 24


def outcomes(run: ImportRun | None) -> int:
    return ImportOutcome.objects.filter(run=run).count() if run else 0


def kill_after_some_records(process, run_of) -> ImportRun:
    """SIGKILL ``process`` once its run has loaded a few records (and before it is done)."""
    run = wait_for(lambda: (r := run_of()) and outcomes(r) >= 5 and r, what="five loaded records", process=process)
    process.children = _children(process.pid)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    run.refresh_from_db()
    assert 5 <= outcomes(run) < STUDIES, "the kill should land mid-run"
    return run


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended; its new parent may be slow to reap it


def assert_interrupted_and_whole(run: ImportRun) -> None:
    # The row still says RUNNING: nobody was left to say otherwise. Its lock died with the process.
    assert run.status == ImportRun.Status.RUNNING
    # The server ends the killed client's session (and its lock) a moment after the kill.
    wait_for(lambda: mark_interrupted_runs() == 1, timeout=10, what="the run to show as interrupted")
    run.refresh_from_db()
    assert run.status == ImportRun.Status.INTERRUPTED and run.finished_at
    # Each record's load committed with its outcome and counter: nothing half-done, nothing uncounted.
    loaded = Trial.objects.count()
    assert run.created == outcomes(run) == loaded == RegistryId.objects.filter(scheme="NCT").count()
    assert_catalogue_whole()


def test_killed_import_command_leaves_whole_trials_and_reruns_cleanly(tmp_path):
    studies = demo_studies(tmp_path / "studies.jsonl", STUDIES)
    process = manage("import_trials", str(studies))
    run = kill_after_some_records(process, lambda: ImportRun.objects.first())
    assert_interrupted_and_whole(run)
    # Its parsing worker ends too, rather than waiting for records forever.
    if Path("/proc/self/task").exists():
        assert process.children, "import_trials parses in a worker process"
        wait_for(lambda: not any(map(_running, process.children)), timeout=10, what="the parsing worker to end")
    loaded = run.created

    call_command("import_trials", str(studies), verbosity=0)
    again = ImportRun.objects.exclude(pk=run.pk).get()
    assert again.status == ImportRun.Status.COMPLETED
    assert (again.created, again.unchanged, again.failed) == (STUDIES - loaded, loaded, 0)
    assert Trial.objects.count() == STUDIES
    assert_catalogue_whole()


def test_a_live_run_is_not_marked_interrupted(tmp_path):
    studies = demo_studies(tmp_path / "studies.jsonl", STUDIES)
    process = manage("import_trials", str(studies))
    try:
        wait_for(lambda: outcomes(ImportRun.objects.first()) >= 1, what="a loaded record", process=process)
        assert mark_interrupted_runs() == 0
        assert ImportRun.objects.get().status == ImportRun.Status.RUNNING
    finally:
        process.kill()
        process.wait(timeout=30)


def test_killed_worker_during_an_admin_import_shows_interrupted_and_runs_again(tmp_path, admin_client, settings):
    settings.IMPORT_INLINE_MAX_BYTES = 0  # every upload goes to the background worker
    data = demo_studies(tmp_path / "studies.jsonl", STUDIES).read_bytes()
    preview = uploads.start_preview([SimpleUploadedFile("studies.jsonl", data)])
    uploads.execute(preview)  # the preview ran; applying it is what the worker is killed in
    apply = uploads.start_apply(preview)
    run_import.enqueue(apply.pk)

    worker = manage("db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.1")
    run = kill_after_some_records(worker, lambda: ImportRun.objects.filter(pk=apply.pk).first())
    assert_interrupted_and_whole(run)

    page = admin_client.get(reverse("admin:trials_importrun_change", args=[run.pk]))
    assert "Interrupted" in page.text and "Run again" in page.text
    response = admin_client.post(reverse("admin:trials_importrun_rerun", args=[run.pk]))
    again = ImportRun.objects.get(preview_of=preview, status=ImportRun.Status.QUEUED)
    assert response.url == reverse("admin:trials_importrun_change", args=[again.pk])
    run_import.call(again.pk)  # what the worker does with the queued run

    again.refresh_from_db()
    assert again.status == ImportRun.Status.COMPLETED and again.failed == 0
    assert (again.created, again.unchanged) == (STUDIES - run.created, run.created)
    assert Trial.objects.count() == STUDIES
    assert_catalogue_whole()


def test_only_an_interrupted_run_can_be_run_again(admin_client, tmp_path):
    preview = uploads.start_preview([SimpleUploadedFile("s.jsonl", demo_studies(tmp_path / "s.jsonl", 1).read_bytes())])
    uploads.execute(preview)
    response = admin_client.post(reverse("admin:trials_importrun_rerun", args=[preview.pk]), follow=True)
    assert "Only an interrupted run can be run again." in response.text
    assert ImportRun.objects.count() == 1


def test_rerun_of_an_interrupted_preview_reads_its_files_and_can_be_applied(tmp_path):
    data = demo_studies(tmp_path / "s.jsonl", 3).read_bytes()
    preview = uploads.start_preview([SimpleUploadedFile("s.jsonl", data)])
    ImportRun.objects.filter(pk=preview.pk).update(status=ImportRun.Status.INTERRUPTED)
    preview.refresh_from_db()

    rerun = uploads.execute(uploads.start_rerun(preview))
    assert rerun.dry_run and (rerun.status, rerun.created) == (ImportRun.Status.COMPLETED, 3)
    assert Trial.objects.count() == 0  # still a preview
    applied = uploads.execute(uploads.start_apply(rerun))
    assert (applied.created, Trial.objects.count()) == (3, 3)
