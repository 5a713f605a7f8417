"""Time one ``import_trials`` run and split its cost: the command's CPU and its PostgreSQL backend's
(and the whole machine's busy time).

On a shared machine the wall time mostly measures the other work (each query waits for a CPU);
the two CPU figures do not, and their sum is close to the wall time on an idle machine, where the
command and its backend take turns. The backend must run on this machine (its /proc is read).

    DATABASE_URL=postgres://... .venv/bin/python benchmarks/import_cpu.py FILE [import_trials options]
"""

from __future__ import annotations

import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")


def main() -> None:
    from bulk_import import machine_busy_seconds, process_cpu_seconds

    started, machine_started = time.perf_counter(), machine_busy_seconds()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    def backend_pid() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            return cursor.fetchone()[0]

    pid = backend_pid()
    backend_before = process_cpu_seconds(pid)
    call_command("import_trials", *sys.argv[1:])
    # The command closes its connection before it forks its workers, and works on a new one (a new
    # backend, started during the run: all of its CPU is the run's). Loading workers (--workers 2 or
    # more) have backends of their own, gone with them: the machine's busy time counts them.
    after = backend_pid()
    backend = process_cpu_seconds(after) - (backend_before if after == pid else 0.0)
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    command = usage.ru_utime + usage.ru_stime
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    worker = children.ru_utime + children.ru_stime
    machine = machine_busy_seconds() - machine_started
    print(
        f"wall {wall:.1f} s; command CPU {command:.1f} s (+ workers {worker:.1f} s); "
        f"its PostgreSQL backend CPU {backend:.1f} s; sum {command + worker + backend:.1f} s; "
        f"the machine busy {machine:.1f} of {wall * (os.cpu_count() or 1):.1f} core-seconds; "
        f"load average {os.getloadavg()[0]:.1f}; peak RSS {usage.ru_maxrss // 1024} MB"
    )


if __name__ == "__main__":
    main()
