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

from trials.models import Arm, ImportOutcome, Intervention, Outcome, RegistryId, Site, SourceRecord, Trial
from trials.trial_json import trial_json, trial_queryset

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


def outcomes_of_newest_run() -> int:
    return ImportOutcome.objects.filter(run=connection_newest_run()).count()


def connection_newest_run():
    from trials.models import ImportRun

    return ImportRun.objects.order_by("-pk").values_list("pk", flat=True).first()


# Snapshot keys and the rows written from them (``trial_writer``): a whole trial has one row per item.
_PARTS = {"arms": Arm, "interventions": Intervention, "outcomes": Outcome, "sites": Site}


def assert_catalogue_whole() -> None:
    """Every trial is fully in: it has its source records, its rows match its merged record item
    for item, it is indexed for search, and no registry id names two trials."""
    assert not SourceRecord.objects.filter(trial__isnull=True).exists(), "a source record without its trial"
    for trial in Trial.objects.all():
        snapshot = trial.record_snapshot or {}
        assert snapshot, f"trial {trial.pk} has no merged record"
        assert SourceRecord.objects.filter(trial=trial).exists(), f"trial {trial.pk} has no source"
        assert trial.search_vector is not None, f"trial {trial.pk} is not indexed for search"
        for key, model in _PARTS.items():
            rows = model.objects.filter(trial=trial).count()
            assert rows == len(snapshot.get(key) or []), f"trial {trial.pk}: {rows} {key} rows for {snapshot[key]!r}"
    ids = RegistryId.objects.values_list("scheme", "value")
    assert len(ids) == len(set(ids)), "a registry id names two trials"


def catalogue_json() -> dict[str, dict]:
    """Every trial's canonical JSON by its NCT id, without the catalogue's own ids and clocks."""
    volatile = {"id", "created_at", "updated_at", "url"}
    return {
        next(rid["value"] for rid in data["registry_ids"] if rid["scheme"] == "NCT"): {
            key: value for key, value in data.items() if key not in volatile
        }
        for data in map(trial_json, trial_queryset())
    }
