"""Curators import in admin: upload, preview what each record would become, apply; big uploads in the background."""

import io
import zipfile

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.core.management import call_command
from django.urls import reverse

from tests.conftest import FIXTURES
from trials.admin.imports import UploadForm
from trials.models import ImportOutcome, ImportRun, Trial

pytestmark = pytest.mark.django_db
UPLOAD = reverse("admin:trials_importrun_upload")
SEEDS = [
    FIXTURES / "field_dump" / "ivonescimab.txt",
    FIXTURES / "veeva_page" / "001_6d5f8ce496a4989a.txt",
    FIXTURES / "ctgov_page" / "NCT05289856_pipe_tables.txt",
]


def _upload(client, *paths, **extra):
    files = [SimpleUploadedFile(p.name, p.read_bytes()) for p in paths]
    return client.post(UPLOAD, {"files": files, **extra})


def _run_url(run):
    return reverse("admin:trials_importrun_change", args=[run.pk])


def test_upload_previews_without_writing_then_apply_creates_the_trials(admin_client):
    response = _upload(admin_client, *SEEDS)
    preview = ImportRun.objects.get()
    assert response.status_code == 302 and response.url == _run_url(preview)
    assert preview.dry_run and preview.status == ImportRun.Status.COMPLETED
    assert (preview.created, preview.updated, preview.unchanged, preview.failed, preview.total) == (3, 0, 0, 0, 3)
    assert not Trial.objects.exists()  # a preview writes nothing

    html = admin_client.get(_run_url(preview)).content.decode()
    assert "would create: 3" in html and "Apply this import" in html

    response = admin_client.post(reverse("admin:trials_importrun_apply", args=[preview.pk]))
    run = ImportRun.objects.get(preview_of=preview)
    assert response.url == _run_url(run)
    assert (run.created, run.failed, run.dry_run) == (3, 0, False)
    assert Trial.objects.count() == 3
    html = admin_client.get(_run_url(run)).content.decode()
    for outcome in run.outcomes.all():
        assert reverse("admin:trials_trial_change", args=[outcome.trial_id]) in html
    # A preview is applied once.
    assert "Apply this import" not in admin_client.get(_run_url(preview)).content.decode()


def test_preview_of_a_changed_record_names_the_fields_it_would_change(admin_client, import_paths, tmp_path):
    page = SEEDS[2]
    import_paths(page)
    changed = tmp_path / page.name
    changed.write_text(page.read_text().replace("Recruitment Status :\nRecruiting", "Recruitment Status :\nCompleted"))
    _upload(admin_client, changed)
    preview = ImportRun.objects.get(dry_run=True)
    outcome = preview.outcomes.get()
    assert outcome.outcome == ImportOutcome.Outcome.UPDATED and outcome.changed_fields == ["overall_status"]
    assert Trial.objects.get().overall_status == "RECRUITING"  # still as it was


def test_a_zip_of_files_is_one_upload(admin_client):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in SEEDS:
            archive.writestr(f"seeds/{path.name}", path.read_bytes())
    admin_client.post(UPLOAD, {"files": [SimpleUploadedFile("seeds.zip", buffer.getvalue())]})
    assert ImportRun.objects.get().created == 3


# The worker commits and closes its connection as in production, so this test runs outside a transaction.
@pytest.mark.django_db(transaction=True)
def test_a_large_upload_runs_in_the_background_worker(admin_client, settings):
    settings.IMPORT_INLINE_MAX_BYTES = 0
    _upload(admin_client, *SEEDS)
    preview = ImportRun.objects.get()
    assert preview.status == ImportRun.Status.QUEUED
    html = admin_client.get(_run_url(preview)).content.decode()
    assert 'http-equiv="refresh"' in html and "Waiting for the background worker" in html

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    preview.refresh_from_db()
    assert (preview.status, preview.created) == (ImportRun.Status.COMPLETED, 3)

    admin_client.post(reverse("admin:trials_importrun_apply", args=[preview.pk]))
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    assert ImportRun.objects.get(preview_of=preview).created == 3
    assert Trial.objects.count() == 3


def test_bad_files_are_failed_records_and_the_others_still_preview(admin_client):
    garbage = SimpleUploadedFile("garbage.bin", bytes(range(256)) * 10)
    empty = SimpleUploadedFile("empty.json", b"")
    seed = SimpleUploadedFile(SEEDS[0].name, SEEDS[0].read_bytes())
    admin_client.post(UPLOAD, {"files": [garbage, empty, seed]})
    run = ImportRun.objects.get()
    assert (run.created, run.failed) == (1, 2)
    errors = sorted(run.outcomes.filter(outcome="failed").values_list("error", flat=True))
    assert errors[0].startswith("empty.json: empty file")
    assert errors[1].startswith("garbage.bin: unrecognised format")


def test_a_200_mb_upload_is_refused_with_a_message_before_it_is_read(tmp_path):
    upload = TemporaryUploadedFile("huge.zip", "application/zip", 200 * 2**20, None)
    upload.file.truncate(200 * 2**20)  # sparse: costs no memory and no disk
    form = UploadForm(data={}, files={"files": upload})
    assert not form.is_valid()
    assert "huge.zip is 200.0 MB; the largest upload accepted is 100 MB" in form.errors["files"][0]
    assert not ImportRun.objects.exists()


def test_only_curators_may_import(client):
    staff = User.objects.create_user("reader", password="x", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_importrun"))
    client.force_login(staff)
    assert client.get(UPLOAD).status_code == 403
    assert "Import files" not in client.get(reverse("admin:trials_importrun_changelist")).content.decode()
