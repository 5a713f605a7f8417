"""Soak test: the portal under gunicorn, 8 concurrent Locust users for 10 minutes over the search
page, trial pages, the JSON API, exports and the feed, while ``import_trials`` writes trials in a
loop. Checks that no request gets a 5xx and that the web workers' memory stays flat; reports
p50/p95/p99 per request type. The catalogue is whatever ``DATABASE_URL`` holds; build it first:

    createdb -h 127.0.0.1 -U postgres soak
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/soak
    DEBUG=1 .venv/bin/python manage.py migrate
    DEBUG=1 .venv/bin/python manage.py import_trials ../shared/data/ctgov/ctgov_api_v2_studies.jsonl.gz
    .venv/bin/python benchmarks/soak.py [--quick | --duration 600] [--users 8]

Each import pass reads ``--import-path`` (default: the legacy XML set, new to a catalogue built from
the API v2 set, then unchanged on the next pass) until the load stops. Every 5 s the RSS of the
gunicorn master, each worker and the import is sampled. Results go to ``var/soak/<timestamp>.json``
with the server's log beside it. Exit status 1 if any request got a 5xx or no answer, or if a
worker's RSS grew faster than ``--max-slope`` MB per minute over the last 8 minutes (after warm-up).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

from soak_report import print_report, summarize

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PYTHON = str(ROOT / ".venv" / "bin" / "python")
OUT = ROOT / "var" / "soak"
LEGACY_XML = ROOT.parent / "shared" / "data" / "ctgov" / "ctgov_legacy_xml.tar.gz"
# Production settings, relaxed only where local plain HTTP needs it (no TLS in front).
SERVER_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "soak-test-only-not-a-secret-" + "s" * 40,
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "0",
    "SESSION_COOKIE_SECURE": "0",
    "CSRF_COOKIE_SECURE": "0",
    "SECURE_HSTS_SECONDS": "0",
    "RATE_LIMITS": "off",
    "DJANGO_SETTINGS_MODULE": "portal.settings",
}
FREE_TEXT = [
    "breast cancer", "nemtabrutinib", '"small cell" -pediatric', "diabetes", "asthma children",
    "pembrolizumab", "covid-19 vaccine", "heart failure", "depression", "hiv prevention",
    "pain after surgery", "alzheimer", "metformin", "lupus", "multiple myeloma",
    "pembrolizumb", "diabetis type 2",  # misspelt: "did you mean" runs when nothing matches
]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=600, help="seconds of load (default 600)")
    parser.add_argument("--quick", action="store_true", help="60 s, to try the setup")
    parser.add_argument("--users", type=int, default=8, help="concurrent users (default 8)")
    parser.add_argument("--wait", type=float, default=0.0, help="think time per user, 0 to this many s")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="gthread threads per worker")
    parser.add_argument("--keep-alive", type=int, default=0, help="s; 0 closes each connection (see README)")
    parser.add_argument("--max-slope", type=float, default=5.0, help="MB/min a worker may grow (default 5)")
    parser.add_argument("--import-path", default=str(LEGACY_XML), help="what each import pass reads")
    parser.add_argument("--no-import", action="store_true", help="serve only, no import running")
    args = parser.parse_args()
    duration = 60 if args.quick else args.duration
    if not os.environ.get("DATABASE_URL"):
        sys.exit("Set DATABASE_URL to a catalogue built with manage.py import_trials (see --help).")
    env = {**os.environ, **SERVER_ENV}
    os.environ.update(SERVER_ENV)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    OUT.mkdir(parents=True, exist_ok=True)
    base = OUT / stamp

    subprocess.run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    targets, catalogue_before = read_targets()
    (targets_file := base.with_suffix(".targets.json")).write_text(json.dumps(targets))
    port = free_port()
    server_log = open(base.with_suffix(".server.log"), "w")  # noqa: SIM115
    server_cmd = [
        str(ROOT / ".venv" / "bin" / "gunicorn"), "portal.wsgi", "--bind", f"127.0.0.1:{port}",
        "--workers", str(args.workers), "--worker-class", "gthread", "--threads", str(args.threads),
        "--timeout", "120", "--keep-alive", str(args.keep_alive),
        "--access-logfile", "-", "--access-logformat", '%(p)s %(t)s %(s)s %(M)sms "%(r)s"',
    ]  # fmt: skip
    server = subprocess.Popen(server_cmd, cwd=ROOT, env=env, stdout=server_log, stderr=subprocess.STDOUT)
    importer = ImportLoop(args.import_path, env, base) if not args.no_import else None
    sampler = Sampler(server.pid, importer)
    try:
        wait_until_serving(port)
        sampler.start()
        time.sleep(5)  # one sample of the workers before any load: the "start" figure
        if importer:
            importer.start()
        started = time.monotonic()
        load_start_t = round(started - sampler.started, 1)
        locust = run_locust(port, duration, args, targets_file, base)
        elapsed = time.monotonic() - started
    finally:
        sampler.stop()
        if importer:
            importer.stop()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        server_log.close()
    # Access log lines start with the worker's pid: "<1234> [02/Dec/2026:11:00:00 +0000] 200 35ms ..."
    served = Counter(re.findall(r"^<(\d+)> ", Path(server_log.name).read_text(), re.MULTILINE))
    result = {
        "started": stamp,
        "database": os.environ["DATABASE_URL"].rsplit("/", 1)[-1],
        "config": {
            "duration_s": duration,
            "users": args.users,
            "wait_s": args.wait,
            "workers": args.workers,
            "threads": args.threads,
            "keep_alive_s": args.keep_alive,
            "max_slope_mb_per_min": args.max_slope,
            "server": " ".join(server_cmd[1:]),
            "import_path": None if args.no_import else args.import_path,
            "cpus": os.cpu_count(),
        },
        "locust_exit": locust,
        "elapsed_s": round(elapsed, 1),
        "catalogue": {"before": catalogue_before, "after": catalogue_counts()},
        "imports": importer.passes if importer else [],
        "samples": sampler.samples,
        "load_start_t": load_start_t,
        "load_end_t": round(load_start_t + elapsed, 1),
        "served_by_worker": dict(served),
        **json.loads(base.with_suffix(".samples.json").read_text()),
    }
    result["summary"] = summarize(result)
    base.with_suffix(".json").write_text(json.dumps(result, indent=1))
    print_report(result)
    print(f"\nresult: {base.with_suffix('.json').relative_to(ROOT)}; server log: {server_log.name}")
    return 0 if result["summary"]["passed"] else 1


def read_targets() -> tuple[dict, dict]:
    """Real values to search for, read from the catalogue: the commonest of each facet, trial ids,
    NCT ids, the cities with most sites, and the hashed names of the static files."""
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from trials.models import RegistryId, Trial

    def commonest(column: str, limit: int) -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT v, count(*) FROM trials_trial, unnest({column}) AS v GROUP BY v ORDER BY 2 DESC LIMIT %s",
                [limit],
            )
            return [row[0] for row in cursor.fetchall()]

    def values(field: str, limit: int, model=Trial) -> list[str]:
        rows = model.objects.exclude(**{field: ""}).values_list(field, flat=True).order_by(field).distinct()
        return list(rows[:limit])

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT city FROM trials_site WHERE city <> '' AND latitude IS NOT NULL"
            " GROUP BY city ORDER BY count(*) DESC LIMIT 20"
        )
        places = [row[0] for row in cursor.fetchall()] + ["42.36,-71.06", "48.85,2.35"]
    manifest = json.loads((Path(settings.STATIC_ROOT) / "staticfiles.json").read_text())["paths"]
    counts = catalogue_counts()
    targets = {
        "facets": {
            "condition": commonest("facet_conditions", 40),
            "drug": commonest("facet_drugs", 30),
            "drug_class": commonest("facet_drug_classes", 20),
            "status": values("overall_status", 20),
            "phase": commonest("phases", 10),
            "country": commonest("facet_countries", 25),
        },
        "queries": FREE_TEXT,
        "places": places,
        "trial_ids": list(Trial.objects.order_by("?").values_list("pk", flat=True)[:1000]),
        "nct_ids": list(
            RegistryId.objects.filter(scheme=RegistryId.Scheme.NCT).order_by("?").values_list("value", flat=True)[:1000]
        ),
        "last_page": max(2, counts["trials"] // settings.TRIALS_PAGE_SIZE),
        "static": [settings.STATIC_URL + manifest[name] for name in manifest if name.startswith(("css/", "js/"))],
    }
    connection.close()
    return targets, counts


def catalogue_counts() -> dict:
    from django.db import connection

    from trials.models import Trial
    from trials.search_index import catalogue_version

    counts = {"trials": Trial.objects.count(), "version": catalogue_version()}
    connection.close()
    return counts


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/trials/?page_size=1", timeout=30):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def run_locust(port: int, duration: int, args, targets_file: Path, base: Path) -> int:
    env = {
        **os.environ,
        "SOAK_TARGETS": str(targets_file),
        "SOAK_SAMPLES": str(base.with_suffix(".samples.json")),
        "SOAK_WAIT": str(args.wait),
    }
    command = [
        str(ROOT / ".venv" / "bin" / "locust"), "-f", str(ROOT / "benchmarks" / "soak_locustfile.py"),
        "--headless", "--users", str(args.users), "--spawn-rate", str(args.users), "--run-time", f"{duration}s",
        "--host", f"http://127.0.0.1:{port}", "--only-summary", "--stop-timeout", "60", "--loglevel", "WARNING",
    ]  # fmt: skip
    with open(base.with_suffix(".locust.log"), "w") as log:
        return subprocess.run(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT).returncode


class ImportLoop(threading.Thread):
    """``manage.py import_trials`` over one source, again and again until stopped; each pass's
    records are counted from its ``--report`` file (one line a record, with its outcome)."""

    def __init__(self, path: str, env: dict, base: Path):
        super().__init__(daemon=True)
        self.path, self.env, self.base = path, env, base
        self.process: subprocess.Popen | None = None
        self.passes: list[dict] = []
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            report = self.base.with_suffix(f".import{len(self.passes) + 1}.jsonl")
            started = time.monotonic()
            self.process = subprocess.Popen(
                [PYTHON, "manage.py", "import_trials", self.path, "--report", str(report)],
                cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                # A shell's background job starts with SIGINT ignored; the import must hear it.
                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
            )  # fmt: skip
            output, _ = self.process.communicate()
            outcomes: dict[str, int] = {}
            for line in report.read_text().splitlines() if report.exists() else []:
                outcome = json.loads(line)["outcome"]
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
            self.passes.append({
                "seconds": round(time.monotonic() - started, 1), "exit": self.process.returncode,
                "finished": not self.stopping.is_set(), "outcomes": outcomes, "output_tail": output[-600:],
            })  # fmt: skip

    def stop(self):
        self.stopping.set()
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # the report file is closed (flushed) on the way out
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.join(timeout=60)


class Sampler(threading.Thread):
    """Every 5 s: RSS (MB) of the gunicorn master, of each worker (its children) and of the
    running import, with the load average."""

    def __init__(self, master: int, importer: ImportLoop | None, every: float = 5.0):
        super().__init__(daemon=True)
        self.master, self.importer, self.every = master, importer, every
        self.samples: list[dict] = []
        self.stopping = threading.Event()
        self.started = time.monotonic()

    def run(self):
        while not self.stopping.is_set():
            process = self.importer.process if self.importer else None
            self.samples.append({
                "t": round(time.monotonic() - self.started, 1),
                "master_mb": rss_mb(self.master),
                "workers_mb": {str(pid): rss_mb(pid) for pid in children(self.master)},
                "import_mb": rss_mb(process.pid) if process and process.poll() is None else None,
                "load": os.getloadavg(),
            })  # fmt: skip
            self.stopping.wait(self.every)

    def stop(self):
        self.stopping.set()
        self.join(timeout=10)


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The command may hold spaces and parentheses: the fields after its last ")" are fixed.
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return sorted(found)


if __name__ == "__main__":
    sys.exit(main())
