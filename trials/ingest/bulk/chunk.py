"""One chunk of units, loaded by a worker process on its own database connection.

A worker prepares the chunk's studies, picks out those the catalogue already knows, gives the
vocabulary rows their ids and writes the new studies in one transaction (``batch.write_batch``).
Two workers write at once, so PostgreSQL works on two batches on the machine's two cores. A
study that another batch creates meanwhile (the same NCT id twice in a file, a concurrent
import) makes this batch's COPY fail on a unique index: the batch is rolled back and tried again,
and after that the per-record path takes its units.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.db import DatabaseError, connection

from trials.ingest.bulk.batch import PhaseTimes, write_batch
from trials.ingest.bulk.match import find_unchanged, split_known
from trials.ingest.bulk.prepare import Fallback, PreparedTrial, prepare, set_curated_conditions, with_rows
from trials.ingest.bulk.vocab_ids import VocabularyIds
from trials.ingest.pipeline import RecordReport
from trials.ingest.readers import Unreadable
from trials.ingest.records import RawSource
from trials.ingest.session import use_lz4

log = logging.getLogger(__name__)
_ATTEMPTS = 3


@dataclass
class ChunkResult:
    """What a chunk became: its outcomes written here, and the units left to the per-record path."""

    reports: list[RecordReport]
    leftovers: list[RawSource | Unreadable]
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class _Worker:
    run_id: int
    vocab: VocabularyIds


_worker: _Worker | None = None


def start_worker(run_id: int, curated_conditions: dict[str, str], *, own_connection: bool = True) -> None:
    """Pool initializer: the run, the curators' condition mappings, and this session's settings.

    ``synchronous_commit`` off: a crash may lose the last batches' commits, never part of one, and
    importing again redoes them. JIT off: batch statements are costed high (thousands of trials)
    but run in a second or less, and compiling them took 1.5 s. TOAST compression lz4 where the
    server has it (``session.use_lz4``)."""
    global _worker
    _worker = _Worker(run_id, VocabularyIds())
    set_curated_conditions(curated_conditions)
    if own_connection:
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO off")
            cursor.execute("SET jit TO off")
            use_lz4(cursor)


def load_chunk(units: list) -> ChunkResult:
    cpu = _cpu_seconds()
    result = _load_chunk(units)
    # CPU time, unlike the phases' wall time, does not grow when other work shares the machine.
    for name, seconds in zip(("CPU: worker", "CPU: its PostgreSQL backend"), _cpu_seconds(), strict=True):
        result.seconds[name] = seconds - cpu[name == "CPU: its PostgreSQL backend"]
    return result


def _cpu_seconds() -> tuple[float, float]:
    """CPU seconds of this process and of its PostgreSQL backend (0 when that runs elsewhere)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        backend = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
    except (OSError, ValueError, IndexError):
        backend = 0.0
    return time.process_time(), backend


def _load_chunk(units: list) -> ChunkResult:
    times = PhaseTimes()
    started = time.perf_counter()
    prepared = [prepare(unit) for unit in units]
    times.add("parse", started)
    trials = [item for item in prepared if isinstance(item, PreparedTrial)]
    failed = [item for item in prepared if isinstance(item, RecordReport)]
    for _ in range(_ATTEMPTS):
        started = time.perf_counter()
        new, known = split_known(trials)
        unchanged, known = find_unchanged(known)
        started = times.add("match", started)
        new = [with_rows(t) for t in new]
        times.add("rows of the new studies (vocabulary lookups)", started)
        try:
            reports = write_batch(new, failed, unchanged, run_id=_worker.run_id, vocab=_worker.vocab, times=times)
        except DatabaseError as exc:  # rolled back: e.g. a study of the batch was created meanwhile
            log.warning("bulk batch of %s rolled back, trying again: %s", units[0].origin, exc)
            continue
        known_ids = {id(t) for t in known}
        leftovers = [
            item.unit if isinstance(item, Fallback) else RawSource(item.origin, item.raw)
            for item in prepared
            if isinstance(item, Fallback) or id(item) in known_ids
        ]
        return ChunkResult(reports, leftovers, times.seconds)
    return ChunkResult([], list(units), times.seconds)
