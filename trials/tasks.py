"""Background work, run by `manage.py db_worker` through Django's tasks API (django-tasks)."""

from django.conf import settings
from django_tasks import task

from trials.ingest import uploads
from trials.models import ImportRun


@task()
def run_import(run_id: int) -> None:
    """Run a queued admin import (a preview or an apply)."""
    run = ImportRun.objects.get(pk=run_id)
    if run.status == ImportRun.Status.QUEUED:
        uploads.execute(run)


def dispatch(run: ImportRun) -> bool:
    """Run a small import now, in the request; queue a large one for the worker.

    Returns True when the run was queued."""
    if uploads.upload_size(run) <= settings.IMPORT_INLINE_MAX_BYTES:
        uploads.execute(run)
        return False
    run_import.enqueue(run.pk)
    return True
