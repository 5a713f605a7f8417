"""Curators' imports from admin: uploaded files become an import run, previewed, then applied.

An upload is kept in the database (``ImportFile``) so the preview and the run that applies it
read the same bytes, whichever process runs them (the web request for small uploads, the
background worker for large ones). A preview is a dry run: every record is loaded and rolled
back, so its outcomes say exactly what applying would do. Applying is a new run over the
preview's files; nothing is written until the curator asks for it.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from trials.ingest.pipeline import import_units, start_run
from trials.ingest.readers import Unreadable, read_stream
from trials.ingest.records import RawSource
from trials.models import ImportFile, ImportRun


def check_upload_size(name: str, size: int) -> None:
    """Refuse a file above the upload limit before any of it is read."""
    limit = settings.IMPORT_UPLOAD_MAX_BYTES
    if size > limit:
        raise ValidationError(
            f"{name} is {size / 2**20:.1f} MB; the largest upload accepted is {limit / 2**20:.0f} MB. "
            "Split it, or import it on the server with `manage.py import_trials`."
        )


def start_preview(files, *, format: str = "", user=None) -> ImportRun:
    """A queued preview run holding the uploaded ``files`` (Django ``UploadedFile``s)."""
    names = [PurePath(f.name).name for f in files]
    for upload, name in zip(files, names, strict=True):
        check_upload_size(name, upload.size)
    with transaction.atomic():
        run = start_run(
            f"admin upload by {user.get_username() if user else '?'}: {', '.join(names)}",
            user,
            dry_run=True,
            format=format,
            status=ImportRun.Status.QUEUED,
        )
        for upload, name in zip(files, names, strict=True):
            data = b"".join(upload.chunks())
            ImportFile.objects.create(run=run, name=name[:500], data=data, size=len(data))
    return run


def start_apply(preview: ImportRun, user=None) -> ImportRun:
    """A queued run that applies ``preview``'s files to the catalogue."""
    if not preview.dry_run or preview.status != ImportRun.Status.COMPLETED:
        raise ValidationError("Only a completed preview can be applied.")
    return start_run(
        preview.origin.replace("admin upload", "admin import", 1),
        user,
        format=preview.format,
        preview_of=preview,
        status=ImportRun.Status.QUEUED,
    )


def start_rerun(run: ImportRun, user=None) -> ImportRun:
    """A queued run that does again what the interrupted ``run`` did, over the same files.

    Loading is idempotent: the records the first run loaded before it stopped come out unchanged,
    and no trial is duplicated."""
    if run.status != ImportRun.Status.INTERRUPTED:
        raise ValidationError("Only an interrupted run can be run again.")
    return start_run(
        f"run again (run {run.pk} was interrupted): {run.origin}",
        user,
        dry_run=run.dry_run,
        format=run.format,
        # A preview's files are read through the run it reruns; an apply still applies its preview.
        preview_of=run if run.dry_run else run.preview_of,
        status=ImportRun.Status.QUEUED,
    )


def upload_size(run: ImportRun) -> int:
    """Bytes the run reads (its own files, or its preview's)."""
    files = ImportFile.objects.filter(run=_files_run(run))
    return sum(files.values_list("size", flat=True))


def execute(run: ImportRun) -> ImportRun:
    """Run a queued import run to its end (in the request or in the background worker)."""
    return import_units(_units(run), run=run, format=run.format or None)


def _files_run(run: ImportRun) -> ImportRun:
    """The run holding the files ``run`` reads: its own, else its preview's (or the rerun preview's)."""
    while run.preview_of_id and not run.files.exists():
        run = run.preview_of
    return run


def _units(run: ImportRun) -> Iterator[RawSource | Unreadable]:
    # One file's bytes in memory at a time.
    for file_id, name in ImportFile.objects.filter(run=_files_run(run)).values_list("pk", "name"):
        data = bytes(ImportFile.objects.values_list("data", flat=True).get(pk=file_id))
        yield from read_stream(io.BytesIO(data), name, origin=name)
