"""Whether an import run is still alive, known from PostgreSQL rather than from the run's own row.

The process running an import holds a session-level advisory lock keyed by the run's id for as
long as it works on it. PostgreSQL releases a session's locks when its connection ends, however
the process ends: ``kill -9``, the OOM killer, a lost machine. So a run whose row says RUNNING
but whose lock nobody holds was interrupted: ``mark_interrupted_runs`` says so on its row, and
the import command, the background task and the admin's run pages call it before they show or
start runs. Nothing needs a heartbeat or a timeout.

The lock is taken in the transaction that makes the run RUNNING, so no other session can see a
RUNNING row whose lock is not yet held.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.utils import timezone

from trials.models import ImportRun

# The first key of the two-key advisory lock: which kind of object the second key (the run id) names.
RUN_LOCK_CLASS = 0x7472_6931  # "tri1"


class RunAlreadyRunning(Exception):
    """Another process holds this run: it is still running there."""


def claim(run: ImportRun) -> None:
    """Take ``run`` for this process and mark it RUNNING, or raise ``RunAlreadyRunning``."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s::int, %s::int)", [RUN_LOCK_CLASS, run.pk])
            if not cursor.fetchone()[0]:
                raise RunAlreadyRunning(f"import run {run.pk} is running in another process")
        run.status = ImportRun.Status.RUNNING
        ImportRun.objects.filter(pk=run.pk).update(status=run.status)


def release(run: ImportRun) -> None:
    """Let go of ``run`` (its row already says how it ended). A lost connection released it already."""
    if connection.connection is None or connection.needs_rollback:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s::int, %s::int)", [RUN_LOCK_CLASS, run.pk])


def mark_interrupted_runs() -> int:
    """Mark every RUNNING run that no live session holds as INTERRUPTED; returns how many.

    One statement; ``pg_locks`` lists the advisory locks of every session of this database."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {ImportRun._meta.db_table} SET status = %s, finished_at = %s
            WHERE status = %s AND id NOT IN (
                SELECT objid::bigint FROM pg_locks
                WHERE locktype = 'advisory' AND classid = %s::oid AND objsubid = 2 AND granted
                  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
            )
            """,
            [ImportRun.Status.INTERRUPTED, timezone.now(), ImportRun.Status.RUNNING, RUN_LOCK_CLASS],
        )
        return cursor.rowcount
