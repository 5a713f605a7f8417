"""Kill the bulk import with SIGKILL at random points, and check the catalogue after every kill.

    .venv/bin/python scripts/kill_imports.py [--rounds 12] [--seed 1] [FILE ...]

Uses two scratch databases on the server of ``DATABASE_URL`` (default: the local PostgreSQL),
``kill_check`` and ``kill_reference``, dropped and created afresh. Each round starts
``manage.py import_trials FILE ...`` and kills it after a random number of newly loaded records
plus a random fraction of a record's time, so the kill lands anywhere: between records, inside
one, during parsing. After each kill it checks that
- every trial is whole (``trials.ingest.integrity``: rows match records, sources, search index,
  no registry id twice);
- the run shows as interrupted (``mark_interrupted_runs``) and its counters equal its outcomes,
  which equal the records loaded.
Then it runs the import to its end, imports the same files without kills into the reference
database, and compares every trial's JSON. Exit status 0 when every check held.
Default files: the 300 demo studies in data/demo/.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
SERVER = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
# The catalogue's own ids and clocks, which differ between two databases holding the same facts.
VOLATILE = {"id", "created_at", "updated_at", "url", "fact_sources"}


def database_url(name: str) -> str:
    return urlsplit(SERVER)._replace(path=f"/{name}").geturl()


def manage(database: str, *args: str, **popen) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url(database), "DEBUG": "1"}
    return subprocess.Popen([sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=env, **popen)


def fresh_database(name: str) -> None:
    import psycopg

    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    assert manage(name, "migrate", "--noinput", "-v0").wait() == 0


def setup_django() -> None:
    os.environ["DATABASE_URL"] = database_url("kill_check")
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.db import connections

    connections.databases["reference"] = {**settings.DATABASES["default"], "NAME": "kill_reference"}


def loaded_records() -> int:
    from trials.models import ImportOutcome

    return ImportOutcome.objects.count()


def kill_round(files: list[str], rng: random.Random, total: int) -> dict:
    """One import killed at a random point; returns what the checks found."""
    from trials.ingest.integrity import catalogue_problems
    from trials.ingest.run_liveness import mark_interrupted_runs
    from trials.models import ImportOutcome, ImportRun, Trial

    before = Trial.objects.count()
    target = rng.randint(0, total - 1)  # records this run loads (again, or anew) before the kill
    outcomes_before = loaded_records()
    process = manage("kill_check", "import_trials", *files, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    while loaded_records() - outcomes_before < target and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(rng.uniform(0, 0.05))  # part of the way into the next record
    finished = process.poll() is not None
    os.kill(process.pid, signal.SIGKILL)
    process.wait()

    # The server ends the killed client's session a moment after the kill: until then its lock holds.
    interrupted = 0
    while not finished and not interrupted and time.monotonic() < deadline:
        interrupted = mark_interrupted_runs()
        if not interrupted and not ImportRun.objects.filter(status=ImportRun.Status.RUNNING).exists():
            break  # killed before its run began
        time.sleep(0.01)
    run = ImportRun.objects.order_by("-pk").first()
    outcomes = ImportOutcome.objects.filter(run=run).count() if run else 0
    counters = (run.created + run.updated + run.unchanged + run.failed) if run else 0
    problems = catalogue_problems()
    if run and run.created != Trial.objects.count() - before:
        problems.append(
            f"run {run.pk} counted {run.created} created, the catalogue gained {Trial.objects.count() - before}"
        )
    if counters != outcomes:
        problems.append(f"run counters {counters} != outcomes {outcomes}")
    if run and not finished and run.status != ImportRun.Status.INTERRUPTED:
        problems.append(f"run {run.pk} shows {run.status} after the kill")
    return {
        "kill after": target,
        "trials": Trial.objects.count(),
        "run": run.pk if run else None,
        "status": run.status if run else "(killed before its run began)",
        "marked interrupted": interrupted,
        "problems": problems,
    }


def catalogue_json(using: str) -> dict[str, dict]:
    from trials.trial_json import trial_json, trial_queryset

    return {
        next(rid["value"] for rid in data["registry_ids"] if rid["scheme"] == "NCT"): {
            **{key: value for key, value in data.items() if key not in VOLATILE},
            "sources": sorted((s["format"], s["sha256"]) for s in data["sources"]),
        }
        for data in map(trial_json, trial_queryset().using(using))
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", default=[str(ROOT / "data/demo/ctgov_demo_studies.jsonl.gz")])
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--studies", type=int, help="Studies in the files (default: counted by a reference import)")
    args = parser.parse_args()
    rng = random.Random(args.seed)

    started = time.monotonic()
    fresh_database("kill_reference")
    fresh_database("kill_check")
    setup_django()
    from trials.ingest.integrity import catalogue_problems
    from trials.models import ImportRun, Trial

    reference = manage("kill_reference", "import_trials", *args.files, stdout=subprocess.DEVNULL)
    assert reference.wait() in (0, 1), "the reference import crashed"
    total = Trial.objects.using("reference").count()
    print(f"{total} studies in {', '.join(args.files)}; reference import done in {time.monotonic() - started:.0f} s")

    failures = 0
    for number in range(1, args.rounds + 1):
        result = kill_round(args.files, rng, total)
        failures += bool(result["problems"])
        print(f"round {number:2}: {result}")

    final = manage("kill_check", "import_trials", *args.files, stdout=subprocess.DEVNULL)
    final.wait()
    last = ImportRun.objects.order_by("-pk").first()
    ours, theirs = catalogue_json("default"), catalogue_json("reference")
    differing = sorted(nct for nct in theirs if ours.get(nct) != theirs[nct])
    checks = {
        "final run completed": last.status == ImportRun.Status.COMPLETED,
        "trials equal the reference": len(ours) == len(theirs) == Trial.objects.count() == total,
        "no problems after the final run": catalogue_problems() == [],
        "every trial's JSON equals the reference's": not differing,
    }
    print(
        f"final run {last.pk}: {last.status}, created {last.created}, unchanged {last.unchanged}, failed {last.failed}"
    )
    for name, ok in checks.items():
        print(f"{'ok  ' if ok else 'FAIL'} {name}")
    if differing:
        print(f"differing trials: {differing[:10]}")
    print(f"{args.rounds} kills, {failures} with problems, {time.monotonic() - started:.0f} s in all")
    return 0 if not failures and all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
