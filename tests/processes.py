"""Helpers for tests that run the portal's commands in other processes against the test database,
and check afterwards that the catalogue holds only whole trials."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

from django.db import connection

from trials.ingest.integrity import catalogue_problems

ROOT = Path(__file__).resolve().parents[1]
DEMO_STUDIES = ROOT / "data" / "demo" / "ctgov_demo_studies.jsonl.gz"


def demo_studies(path: Path, count: int, *, start: int = 0, reverse: bool = False) -> Path:
    """Write ``count`` real CT.gov studies (API v2 JSON lines, from the demo data) to ``path``."""
    with gzip.open(DEMO_STUDIES, "rt", encoding="utf-8") as lines:
        studies = [line for _, line in zip(range(start + count), lines, strict=False)][start:]
    path.write_text("".join(reversed(studies) if reverse else studies), encoding="utf-8")
    return path


def database_url() -> str:
    """The test database as a DATABASE_URL, for a child process (a socket directory works as host)."""
    db = connection.settings_dict
    host = quote(db["HOST"] or "", safe="")
    port = f":{db['PORT']}" if db["PORT"] else ""
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    return f"postgres://{quote(db['USER'], safe='')}{password}@{host}{port}/{db['NAME']}"


def manage(*args: str, **env: str) -> subprocess.Popen:
    """Start ``manage.py args`` on the test database in a child process."""
    child_env = {**os.environ, "DATABASE_URL": database_url(), "DEBUG": "1", **env}
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=child_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for(condition, *, timeout: float = 60, what: str = "a condition", process=None):
    """Poll ``condition()`` until it is true; fail with ``what`` (and the process's output) after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the process ended before {what}:\n{process.stdout.read()}")
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def assert_catalogue_whole() -> None:
    """Every trial is fully in (``trials.ingest.integrity``): nothing half-written."""
    assert catalogue_problems() == []
