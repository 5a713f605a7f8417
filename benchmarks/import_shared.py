"""Import every real record in ../shared/data/ctgov (legacy XML, CSV exports, API v2 JSON) into an
empty catalogue, then import it all again, and report counts, times, rates and peak memory.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_import python benchmarks/import_shared.py

The database must exist and be empty of trials (it is migrated here). Each set runs as
`manage.py import_trials` in its own process, exactly as an operator would run it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SHARED_DATA") or ROOT.parent / "shared" / "data") / "ctgov"
PYTHON = sys.executable
COUNTS = re.compile(r"created (\d+), updated (\d+), unchanged (\d+), failed (\d+)")


def manage(*args: str) -> tuple[str, float, int]:
    """Run a management command; its output, wall seconds and the peak RSS (KB) of its process."""
    with tempfile.TemporaryFile("w+") as out:
        start = time.perf_counter()
        process = subprocess.Popen([PYTHON, "manage.py", *args], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        out.seek(0)
        text = out.read()
    if not COUNTS.search(text):
        sys.exit(f"manage.py {' '.join(args)} failed (status {status}):\n{text}")
    return text, seconds, usage.ru_maxrss


def main() -> None:
    if "DATABASE_URL" not in os.environ:
        sys.exit("set DATABASE_URL to an empty database")
    os.environ.setdefault("DEBUG", "1")
    subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory() as tmp:
        sets = {
            "legacy XML": _extract(SHARED / "ctgov_legacy_xml.tar.gz", tmp),
            "CSV exports": _extract(SHARED / "ctgov_csv_exports.tar.gz", tmp),
            "API v2 JSON": SHARED / "ctgov_api_v2_studies.jsonl.gz",
        }
        rows = []
        for rerun in (False, True):
            for name, path in sets.items():
                out, seconds, peak = manage("import_trials", str(path))
                created, updated, unchanged, failed = map(int, COUNTS.search(out).groups())
                records = created + updated + unchanged + failed
                rows.append(
                    {
                        "set": name,
                        "run": "again" if rerun else "first",
                        "records": records,
                        "created": created,
                        "updated": updated,
                        "unchanged": unchanged,
                        "failed": failed,
                        "seconds": round(seconds, 1),
                        "records_per_s": round(records / seconds, 1),
                        "peak_rss_mb": round(peak / 1024),
                    }
                )
                print(json.dumps(rows[-1]), flush=True)
    check = (
        "from trials.models import Trial, RegistryId;"
        "n=RegistryId.objects.filter(scheme='NCT');"
        "print(Trial.objects.count(), n.count(), n.values('value').distinct().count())"
    )
    trials, nct_rows, distinct = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", check], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()[-3:]
    print(json.dumps({"trials": int(trials), "nct_id_rows": int(nct_rows), "distinct_nct_ids": int(distinct)}))


def _extract(archive: Path, into: str) -> Path:
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
        top = {member.name.split("/", 1)[0] for member in tar.getmembers()}
    return Path(into) / top.pop()


if __name__ == "__main__":
    main()
