"""Bulk import (``import_trials --bulk``) of a synthetic registry-sized corpus into an empty
catalogue: wall time, studies/s, peak memory, database size and the main process's phases.

    createdb -h 127.0.0.1 -U postgres bench_bulk
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_bulk \\
        .venv/bin/python benchmarks/bulk_import.py var/corpus/ctgov-100k.jsonl.gz

The database is migrated here and must hold no trials. The import runs in this process (the
command's own code path, ``bulk_import``), so that its phases can be timed; ``--workers`` parser
processes are forked from it. ``--again`` imports the file a second time (all known: per-record).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--again", action="store_true", help="then import the same files again")
    parser.add_argument(
        "--indexes-after",
        action="store_true",
        help="experiment: drop the search and facet indexes before the load and build them after it",
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from trials.ingest.bulk.batch import PhaseTimes
    from trials.ingest.bulk.run import bulk_import
    from trials.ingest.pipeline import start_run
    from trials.ingest.readers import read_paths
    from trials.models import Trial

    call_command("migrate", verbosity=0)
    if Trial.objects.exists():
        sys.exit("the catalogue holds trials already: give an empty database")
    deferred = _drop_indexes(connection) if args.indexes_after else []
    backend_seen = (None, 0.0)
    for attempt in ("first", "again") if args.again else ("first",):
        times = PhaseTimes()
        started, main_started, machine_started = time.perf_counter(), time.process_time(), machine_busy_seconds()
        run = bulk_import(
            read_paths(args.paths),
            run=start_run(f"bulk benchmark ({attempt})"),
            workers=args.workers,
            batch_size=args.batch_size,
            times=times,
        )
        wall = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_database_size(current_database())")
            size = cursor.fetchone()[0]
        print(
            f"{attempt}: {run.total:,} records: created {run.created:,}, updated {run.updated:,}, "
            f"unchanged {run.unchanged:,}, failed {run.failed:,} in {wall:.1f} s = {run.total / wall:.1f} records/s"
        )
        print("  main process phases (s): " + ", ".join(f"{k} {v:.1f}" for k, v in times.seconds.items()))
        _print_cpu(times.seconds, run.total)
        # The rest of the machine's CPU: this process (reading, handing out chunks, counting), its
        # backend (ANALYZE, the per-record leftovers), and what no process of the run shows (the WAL
        # writer, the checkpointer, other work on the machine).
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        backend = process_cpu_seconds(pid) - (backend_seen[1] if backend_seen[0] == pid else 0.0)
        backend_seen = (pid, process_cpu_seconds(pid))
        machine, available = machine_busy_seconds() - machine_started, wall * (os.cpu_count() or 1)
        print(
            f"  main process CPU {time.process_time() - main_started:.1f} s, its PostgreSQL backend {backend:.1f} s; "
            f"the machine busy {machine:.0f} of {available:.0f} core-seconds"
        )
        print("  load average at the end (1, 5, 15 min): " + ", ".join(f"{load:.1f}" for load in os.getloadavg()))
        trials = Trial.objects.count()
        print(f"  database size {size / 2**20:,.0f} MB ({size / max(trials, 1) / 1024:.1f} kB a trial)")
    if deferred:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem TO '1GB'")
            for definition in deferred:
                cursor.execute(definition)
        print(f"  {len(deferred)} indexes built after the load in {time.perf_counter() - started:.1f} s")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak RSS: main process {own:.0f} MB, largest worker {workers:.0f} MB")


def _print_cpu(seconds: dict[str, float], studies: int) -> None:
    """CPU a study of the workers and of their PostgreSQL backends (the figure to compare between
    runs: the machine's other work stretches the wall times, hardly the CPU)."""
    worker, backend = seconds.get("workers: CPU: worker", 0.0), seconds.get("workers: CPU: its PostgreSQL backend", 0.0)
    per = 1000 / max(studies, 1)
    print(
        f"  CPU a study: workers {worker * per:.2f} ms, their PostgreSQL backends {backend * per:.2f} ms, "
        f"sum {(worker + backend) * per:.2f} ms (700 studies/s on 2 cores allows about 2.9 ms)"
    )


def process_cpu_seconds(pid: int) -> float:
    """CPU seconds of a process on this machine (utime + stime)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """Core-seconds the whole machine has spent busy since boot (all but idle and I/O wait)."""
    ticks = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(ticks[:8]) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


# Indexes no statement of the load reads (it reads the foreign-key and unique ones): those of the
# search page's filters, sorts and full text, and of the facet counts.
_DEFERRABLE = r"_gin$|_idx$"
_KEPT = ("registryid_value_idx", "sourcerecord_trial_idx", "importoutcome_run_idx")


def _drop_indexes(connection) -> list[str]:
    """Drop the deferrable indexes of the tables the load writes; returns their definitions."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename LIKE 'trials_%%' "
            "AND indexname ~ %s AND NOT indexname = ANY(%s) "
            "AND tablename IN ('trials_trial', 'trials_site', 'trials_trialcondition', 'trials_trialmeshterm')",
            [_DEFERRABLE, list(_KEPT)],
        )
        found = cursor.fetchall()
        for name, _ in found:
            cursor.execute(f"DROP INDEX {name}")
    print(f"  dropped {len(found)} indexes: {', '.join(name for name, _ in found)}")
    return [definition for _, definition in found]


if __name__ == "__main__":
    main()
