"""The settings of an import's database session, shared by the per-record path and the bulk workers.

``synchronous_commit`` off: waiting for the disk to flush every commit made imports I/O-bound. A
crash can then lose the last fraction of a second of commits, never part of one, and importing
the same files again redoes them.

TOAST compression lz4 where the server has it: a study's raw source and its JSON snapshots (about
45 kB) are compressed on their way into TOAST storage, and pglz, the default, took half of
PostgreSQL's COPY time in the bulk import (0.5 ms of CPU a study) and a third of the per-record
path's statement time (the new source row). lz4 compresses JSON several times faster, to about
the same size, and is read back faster too. Values keep the method they were written with, so a
catalogue may mix both.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connection

LZ4_COMPRESSION = "lz4"


@contextmanager
def import_session():
    """This process's connection set for importing while inside, as it was afterwards."""
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
        use_lz4(cursor)
    try:
        yield
    finally:
        if connection.connection is not None and not connection.needs_rollback:
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
                cursor.execute("RESET default_toast_compression")


def use_lz4(cursor) -> None:
    """Compress new TOAST values with lz4 in this session, when the server was built with it."""
    if LZ4_COMPRESSION in toast_compressions(cursor):
        cursor.execute(f"SET default_toast_compression TO {LZ4_COMPRESSION}")


def toast_compressions(cursor) -> list[str]:
    """The compression methods this server was built with (none before PostgreSQL 14; a build
    without lz4, such as an embedded server, lists only pglz)."""
    cursor.execute("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")
    row = cursor.fetchone()
    return list(row[0]) if row and row[0] else []
