#!/usr/bin/env python
"""The portal on a real PostgreSQL streaming replica: reads where docs/scaling.md says, versions exact.

A private primary cluster is made in a temporary folder (as ``db_restart_check.py`` makes one), and a
hot standby of it with ``pg_basebackup -R -X stream`` on another port. The portal is set up in this
process with ``DATABASE_URL`` naming the primary and ``DATABASE_REPLICA_URLS`` the standby, migrated,
and given the eight studies of tests/fixtures/ctgov_api_v2 (a command: the primary). Then:

1. public pages, the API, a trial page and a CSV download (Django's test client, the full middleware
   stack) read only the replica, and answer what the primary holds;
2. a browser that logged in to the admin (a write: its session) reads the primary on its next
   public page (the pin cookie);
3. the replica refuses a write (it is read-only: the router, not luck, keeps writes off it);
4. the catalogue's version read on the replica equals the primary's after every change (``setval``),
   where ``nextval`` on the primary shows on the replica 32 ahead and stays there;
5. replay lag: how long a committed change takes to be visible on the replica, over 50 commits.

    .venv/bin/python scripts/replica_check.py

Exits non-zero when a check fails. Both clusters are stopped and the folder deleted at the end.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import psycopg
from db_restart_check import FIXTURES, ROOT, URLS, Cluster

# Scratch sequence on the primary showing what ``nextval`` looks like from a standby.
DEMO_SEQUENCE = "replica_check_nextval"
# A commit that changes one row, to time its replay.
TOUCH_ONE_TRIAL = "UPDATE trials_trial SET brief_title = brief_title WHERE id = (SELECT min(id) FROM trials_trial)"


class Standby(Cluster):
    """A hot standby of ``primary``, streaming from it."""

    def __init__(self, folder: Path, primary: Cluster):
        super().__init__(folder)
        self.primary = primary

    def init(self) -> None:
        source = ["-h", "127.0.0.1", "-p", str(self.primary.port), "-U", "postgres"]
        self.pg("pg_basebackup", *source, "-D", str(self.data), "-R", "-X", "stream", "-c", "fast")
        self.start()


def caught_up(primary: Cluster, standby: Standby) -> float:
    """Seconds until the standby has replayed everything the primary had written when asked."""
    with (
        psycopg.connect(primary.url(), autocommit=True) as source,
        psycopg.connect(standby.url(), autocommit=True) as replica,
    ):
        return replayed(source, replica)


def replayed(source, replica, timeout: float = 10.0) -> float:
    """``caught_up`` on open connections: the primary's WAL position, then polling the standby's."""
    started = time.monotonic()
    lsn = source.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
    while not replica.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn]).fetchone()[0]:
        if time.monotonic() - started > timeout:
            raise SystemExit(f"the standby did not replay {lsn} within {timeout} s")
        time.sleep(0.0005)
    return time.monotonic() - started


def queries_by_alias(client, path: str, **extra) -> tuple[object, Counter]:
    from django.db import connections

    seen = Counter()

    def count(alias):
        def wrapper(execute, sql, params, many, context):
            seen[alias] += 1
            return execute(sql, params, many, context)

        return wrapper

    with (
        connections["default"].execute_wrapper(count("default")),
        connections["replica1"].execute_wrapper(count("replica1")),
    ):
        response = client.get(path, **extra)
        if response.streaming:
            b"".join(response.streaming_content)
    return response, seen


def check_reads(failures: list[str]) -> None:
    from django.contrib.auth.models import User
    from django.test import Client

    client = Client()
    for path in URLS:
        response, seen = queries_by_alias(client, path)
        print(f"{path:32} {response.status_code}  queries: {dict(seen)}")
        if response.status_code != 200 or seen["default"] or not seen["replica1"]:
            failures.append(f"{path}: {response.status_code}, queries {dict(seen)} (want all on replica1)")
    on_replica = client.get("/api/trials/?q=cancer").json()["count"]

    User.objects.create_superuser("curator", password="replica-check-password")
    login = client.post("/admin/login/", {"username": "curator", "password": "replica-check-password"})
    response, seen = queries_by_alias(client, "/api/trials/?q=cancer")
    pinned = "read_primary" in login.cookies
    print(f"after logging in: pin cookie {pinned}, API search queries {dict(seen)}")
    if not pinned or seen["replica1"] or not seen["default"]:
        failures.append(f"after a login the API read {dict(seen)} (want the primary)")
    on_primary = response.json()["count"]
    print(f"API count for q=cancer on the replica {on_replica}, on the primary {on_primary}")
    if on_replica != on_primary or not on_replica:
        failures.append(f"the replica's API count {on_replica} is not the primary's {on_primary}")


def check_read_only(failures: list[str]) -> None:
    from django.db import connections, transaction

    try:
        with transaction.atomic(using="replica1"), connections["replica1"].cursor() as cursor:
            cursor.execute("UPDATE trials_trial SET brief_title = brief_title")
        failures.append("the replica accepted a write")
    except Exception as exc:  # psycopg's ReadOnlySqlTransaction, wrapped by Django
        print(f"a write on the replica: {type(exc).__name__}: {str(exc).splitlines()[0]}")


def check_versions(primary: Cluster, standby: Standby, failures: list[str]) -> None:
    from django.db import connections

    from trials.search_index import catalogue_changed

    def version(alias):
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM trials_catalogue_version")
            return cursor.fetchone()[0]

    for _ in range(3):
        catalogue_changed()
        caught_up(primary, standby)
        print(f"catalogue version: primary {version('default')}, replica {version('replica1')}")
        if version("default") != version("replica1"):
            failures.append("the replica's catalogue version is not the primary's")
    with psycopg.connect(primary.url(), autocommit=True) as source:
        source.execute(f"CREATE SEQUENCE {DEMO_SEQUENCE}")
        values = [source.execute("SELECT nextval(%s)", [DEMO_SEQUENCE]).fetchone()[0] for _ in range(3)]
    caught_up(primary, standby)
    with psycopg.connect(standby.url(), autocommit=True) as replica:
        on_replica = replica.execute(f"SELECT last_value FROM {DEMO_SEQUENCE}").fetchone()[0]
    print(f"nextval x3 for comparison: primary at {values[-1]}, the replica reads {on_replica}")


def check_lag(primary: Cluster, standby: Standby) -> None:
    delays = []
    with (
        psycopg.connect(primary.url(), autocommit=True) as source,
        psycopg.connect(standby.url(), autocommit=True) as replica,
    ):
        for _ in range(50):
            source.execute(TOUCH_ONE_TRIAL)
            delays.append(replayed(source, replica) * 1000)
    print(
        f"replay lag over {len(delays)} commits: p50 {statistics.median(delays):.1f} ms, "
        f"max {max(delays):.1f} ms (both clusters on this machine)"
    )


def main() -> None:
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="replica_check_") as scratch:
        os.chmod(scratch, 0o755)  # the clusters run as the postgres user when we are root
        (Path(scratch) / "primary").mkdir()
        (Path(scratch) / "standby").mkdir()
        primary = Cluster(Path(scratch) / "primary")
        standby = Standby(Path(scratch) / "standby", primary)
        primary.init()
        try:
            standby.init()
            try:
                os.environ.update(
                    DATABASE_URL=primary.url(),
                    DATABASE_REPLICA_URLS=standby.url(),
                    DJANGO_SETTINGS_MODULE="portal.settings",
                    DEBUG="1",
                    ALLOWED_HOSTS="testserver",
                    RATE_LIMITS="off",
                )
                sys.path.insert(0, str(ROOT))
                import django
                from django.core.management import call_command

                django.setup()
                call_command("migrate", verbosity=0)
                call_command("import_trials", *map(str, FIXTURES), verbosity=0)
                print(f"migrated and imported on the primary; replica caught up in {caught_up(primary, standby):.3f} s")
                check_reads(failures)
                check_read_only(failures)
                check_versions(primary, standby, failures)
                check_lag(primary, standby)
                from django.db import connections

                connections.close_all()
            finally:
                standby.stop()
        finally:
            primary.stop()
    print("\nPASS" if not failures else "\nFAIL:\n- " + "\n- ".join(failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
