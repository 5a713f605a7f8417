#!/usr/bin/env python
"""Restart PostgreSQL under a serving portal and check it fails cleanly and recovers by itself.

A private PostgreSQL cluster is made in a temporary folder (Debian's binaries when present, else the
``pgserver`` package's), migrated, and given the eight CT.gov studies of tests/fixtures/ctgov_api_v2.
The portal serves it under gunicorn (2 workers, production settings) while a client requests the search
page, a trial page, the API search and trial, and a CSV download at a steady rate. Meanwhile:

1. ``pg_ctl restart -m fast``;
2. ``pg_ctl stop -m fast``, 10 s without a database, ``pg_ctl start``;
3. a download that loses the database half-way (its backend terminated while the client reads slowly).

Every status seen is counted per phase. The check passes when only 200 and 503 (with Retry-After)
were answered, no request hung past the timeout, every request is 200 again within a few seconds
of the database being back, the download cut half-way ends in an error rather than a short file,
and the gunicorn workers are the same processes at the end (no restart of the portal).

    .venv/bin/python scripts/db_restart_check.py [--stop-seconds 10] [--rate 20]
    PG_BIN=.venv/lib/python3.11/site-packages/pgserver/pginstall/bin .venv/bin/python scripts/db_restart_check.py

Exits non-zero when a check fails. Nothing outside the temporary folder is touched (static files
are collected there too); everything it started is stopped at the end.
"""

from __future__ import annotations

import argparse
import http.client
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
FIXTURES = sorted((ROOT / "tests" / "fixtures" / "ctgov_api_v2").glob("NCT*.json"))
URLS = [
    "/?q=cancer",
    "/trials/NCT04728893/",
    "/api/trials/?q=cancer",
    "/api/trials/NCT04728893/",
    "/export.csv?q=cancer",
]
TIMEOUT = 10.0  # seconds a request may take before it counts as hung
RECOVERY_SECONDS = 3.0  # every request must be 200 this long after the database is back
# The private settings: production settings with static files collected into the temporary folder.
SETTINGS = "from portal.settings import *  # noqa: F403\nSTATIC_ROOT = {static!r}\n"
# The private WSGI module: a download reads one trial a chunk, so it can lose the database half-way.
WSGI = "from portal.wsgi import application  # noqa: F401\nimport trials.exports\ntrials.exports.CHUNK = 1\n"


def postgres_bin() -> Path:
    """PG_BIN if set, else Debian's newest PostgreSQL if installed, else the binaries pgserver ships."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    if debian:
        return debian[-1].parent
    import pgserver._commands

    return pgserver._commands.POSTGRES_BIN_PATH


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Cluster:
    """A throw-away PostgreSQL cluster on 127.0.0.1:<port>, run as the postgres user when we are root."""

    def __init__(self, folder: Path):
        self.bin, self.port, self.data = postgres_bin(), free_port(), folder / "pgdata"
        self.user = "postgres" if os.geteuid() == 0 else None  # initdb refuses to run as root
        if self.user:
            shutil.chown(folder, self.user)
        self.options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {folder}"
        self.log = folder / "postgres.log"

    def pg(self, *args: str) -> None:
        subprocess.run([str(self.bin / args[0]), *args[1:]], check=True, capture_output=True, user=self.user)

    def init(self) -> None:
        self.pg("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C")
        self.start()
        with psycopg.connect(self.url("postgres"), autocommit=True) as admin:
            admin.execute("CREATE DATABASE portal")

    def start(self) -> None:
        self.pg("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", self.options, "-w", "start")

    def stop(self) -> None:
        self.pg("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def restart(self) -> None:
        self.pg("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", self.options, "-m", "fast", "-w", "restart")

    def url(self, database: str = "portal") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def terminate_portal_backends(self) -> int:
        with psycopg.connect(self.url("postgres"), autocommit=True) as admin:
            sql = "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity WHERE datname = 'portal'"
            return admin.execute(sql).fetchone()[0]


class Portal:
    """gunicorn serving the portal from the cluster with production settings (HTTP, no rate limits)."""

    def __init__(self, folder: Path, cluster: Cluster):
        (folder / "restart_check_settings.py").write_text(SETTINGS.format(static=str(folder / "static")))
        (folder / "restart_check_wsgi.py").write_text(WSGI)
        self.port, self.log = free_port(), folder / "gunicorn.log"
        self.env = {
            **os.environ,
            "DATABASE_URL": cluster.url(),
            "DJANGO_SETTINGS_MODULE": "restart_check_settings",
            "PYTHONPATH": f"{folder}{os.pathsep}{ROOT}",
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "RATE_LIMITS": "off",
        }
        self.server = None

    def manage(self, *args: str) -> None:
        subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=self.env, check=True, capture_output=True)

    def serve(self) -> None:
        command = [PYTHON, "-m", "gunicorn", "restart_check_wsgi:application", "--workers", "2"]
        command += ["--bind", f"127.0.0.1:{self.port}", "--timeout", "30", "--graceful-timeout", "5"]
        with self.log.open("wb") as log:
            self.server = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=log)
        deadline = time.monotonic() + 30
        while fetch(self.port, "/api/trials/NCT04728893/")[0] != 200:
            if time.monotonic() > deadline or self.server.poll() is not None:
                raise SystemExit(f"gunicorn did not come up; see {self.log}")
            time.sleep(0.2)

    def worker_pids(self) -> set[int]:
        children = Path(f"/proc/{self.server.pid}/task/{self.server.pid}/children").read_text().split()
        return {int(pid) for pid in children}

    def shutdown(self) -> None:
        if self.server and self.server.poll() is None:
            self.server.terminate()
            self.server.wait(timeout=15)


def fetch(port: int, path: str) -> tuple[object, str]:
    """(status or what went wrong, Retry-After); the body is read to its end, as a browser would."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status, response.getheader("Retry-After", "")
    except TimeoutError:
        return "timeout", ""
    except (OSError, http.client.HTTPException) as exc:
        return f"error:{type(exc).__name__}", ""
    finally:
        connection.close()


class Prober(threading.Thread):
    """Requests the URLs in turn at ``rate`` a second. Each outcome is recorded under the phase in which
    it ended (what it met), with its start and end, so a request in flight across a change is seen."""

    def __init__(self, port: int, rate: float):
        super().__init__(daemon=True)
        self.port, self.interval = port, 1 / rate
        self.phase = "before"
        self.seen: list[Outcome] = []
        self.running = True

    def run(self) -> None:
        index = 0
        while self.running:
            started, url = time.monotonic(), URLS[index % len(URLS)]
            status, retry_after = fetch(self.port, url)
            self.seen.append(Outcome(self.phase, started, time.monotonic(), url, status, retry_after))
            index += 1
            time.sleep(max(0.0, self.interval - (time.monotonic() - started)))


@dataclass
class Outcome:
    phase: str
    started: float
    ended: float
    url: str
    status: object  # an HTTP status, "timeout" or "error:<what>"
    retry_after: str

    def cut_by(self, down_at: list[float]) -> bool:
        """A download cut short because the database went down while it streamed (its 200 already sent)."""
        cut = self.url.startswith("/export.") and self.status == "error:IncompleteRead"
        return cut and any(self.started <= down <= self.ended for down in down_at)


def cut_download(portal: Portal, cluster: Cluster) -> str:
    """Start a download, read a little, terminate the portal's backends, read the rest: how it ends."""
    with socket.socket() as client:
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a slow reader: the worker waits on us
        client.settimeout(TIMEOUT)
        client.connect(("127.0.0.1", portal.port))
        client.sendall(b"GET /export.json HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        head = client.recv(1024)
        terminated = cluster.terminate_portal_backends()
        body = head
        try:
            while chunk := client.recv(65536):
                body += chunk
        except TimeoutError:
            return "hung"
        except ConnectionResetError:
            return f"connection reset after {len(body)} bytes ({terminated} backends terminated)"
    status = body.split(b"\r\n", 1)[0].decode()
    complete = body.endswith(b"\r\n0\r\n\r\n")
    return f"{status}, {len(body)} bytes, {'complete' if complete else 'cut: no terminating chunk'}"


PHASES = ["before", "restart (pg_ctl)", "after restart", "stopped", "starting (pg_ctl)", "after start"]


def summarize(seen: list[Outcome], spans: dict[str, float]) -> dict[str, Counter]:
    table = {phase: Counter() for phase in PHASES}
    for outcome in seen:
        table[outcome.phase][outcome.status] += 1
    print(f"\n{'phase':<20} {'seconds':>7} {'requests':>8}  statuses")
    for phase, counts in table.items():
        statuses = ", ".join(f"{status}: {n}" for status, n in sorted(counts.items(), key=str))
        print(f"{phase:<20} {spans[phase]:>7.1f} {sum(counts.values()):>8}  {statuses}")
    return table


def run_check(stop_seconds: float, rate: float) -> list[str]:
    failures = []
    with tempfile.TemporaryDirectory(prefix="db_restart_check_") as tmp:
        folder = Path(tmp)
        cluster = Cluster(folder)
        print(f"PostgreSQL binaries: {cluster.bin}; cluster in {folder}, port {cluster.port}")
        cluster.init()
        portal = Portal(folder, cluster)
        try:
            portal.manage("migrate", "--noinput")
            portal.manage("collectstatic", "--noinput")
            portal.manage("import_trials", *map(str, FIXTURES))
            portal.serve()
            workers = portal.worker_pids()
            print(f"gunicorn on 127.0.0.1:{portal.port}, workers {sorted(workers)}; {len(FIXTURES)} trials")
            prober = Prober(portal.port, rate)
            prober.start()
            spans, down_at, back_at = {}, [], {}

            def phase(name: str, seconds: float = 0.0, action=None):
                started = time.monotonic()
                prober.phase = name
                if action in (cluster.restart, cluster.stop):
                    down_at.append(started)
                if action:
                    action()
                time.sleep(seconds)
                spans[name] = time.monotonic() - started

            phase("before", 3)
            phase("restart (pg_ctl)", action=cluster.restart)
            back_at["after restart"] = time.monotonic()
            phase("after restart", 6)
            phase("stopped", stop_seconds, action=cluster.stop)
            phase("starting (pg_ctl)", action=cluster.start)
            back_at["after start"] = time.monotonic()
            phase("after start", 6)
            prober.running = False
            prober.join()
            table = summarize(prober.seen, spans)
            failures += check_statuses(prober.seen, table, down_at, back_at)

            cut = cut_download(portal, cluster)
            print(f"\ndownload losing the database half-way: {cut}")
            if not cut.endswith("no terminating chunk") and not cut.startswith("connection reset"):
                failures.append(f"a download cut half-way did not end in an error: {cut}")
            after_cut = [fetch(portal.port, url)[0] for url in URLS * 2]
            print(f"requests after it: {after_cut}")
            if after_cut[len(URLS) :] != [200] * len(URLS):
                failures.append(f"not all 200 after the cut download: {after_cut}")

            if portal.worker_pids() != workers:
                failures.append(f"gunicorn workers changed: {sorted(workers)} -> {sorted(portal.worker_pids())}")
            cuts = sum(outcome.cut_by(down_at) for outcome in prober.seen) + 1
            failures += check_log(portal.log.read_text(errors="replace"), cuts)
        finally:
            portal.shutdown()
            cluster.stop()
    return failures


def check_statuses(seen: list[Outcome], table, down_at: list[float], back_at: dict[str, float]) -> list[str]:
    failures = []
    unexpected = [o for o in seen if o.status not in (200, 503) and not o.cut_by(down_at)]
    if unexpected:
        failures.append(f"statuses other than 200 and 503: {[(o.phase, o.url, o.status) for o in unexpected]}")
    cuts = [(o.phase, o.url) for o in seen if o.cut_by(down_at)]
    print(f"downloads in flight when the database went down, cut short (an error, not a short file): {cuts}")
    if set(table["before"]) != {200}:
        failures.append(f"not all 200 before the outage: {dict(table['before'])}")
    if not table["stopped"].get(503):
        failures.append("no 503 while the database was stopped: the check did not see the outage")
    if any(o.status == 503 and o.retry_after != "30" for o in seen):
        failures.append("a 503 without Retry-After: 30")
    for name, back in back_at.items():
        late = [o for o in seen if o.phase == name and o.status != 200]
        last = max((o.started - back for o in late), default=0.0)
        print(f"{name}: {len(late)} requests not 200, the last started {last:.1f} s after the database was back")
        if last > RECOVERY_SECONDS:
            failures.append(f"{name}: not every request was 200 within {RECOVERY_SECONDS} s: {late}")
    return failures


def check_log(log: str, cuts: int) -> list[str]:
    """Each worker logs each outage once, without a traceback; the only tracebacks are gunicorn's
    "Error handling request", one for each download cut short."""
    warnings = log.count("Database unavailable, answering 503")
    back = log.count("Database available again")
    errors = log.count("Error handling request")
    print(f"gunicorn log: {warnings} 'unavailable', {back} 'available again', {errors} 'Error handling request'")
    return [] if errors == cuts else [f"{errors} request errors in the gunicorn log, {cuts} downloads cut"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stop-seconds", type=float, default=10, help="how long the database stays stopped")
    parser.add_argument("--rate", type=float, default=20, help="requests a second")
    args = parser.parse_args()
    failures = run_check(args.stop_seconds, args.rate)
    print("\nPASS" if not failures else "\nFAIL:\n- " + "\n- ".join(failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
