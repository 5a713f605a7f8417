"""A bulk import run: worker processes load chunks of the units (``chunk``), this process counts
and reports what they wrote and loads what they leave to the per-record path.

Interrupted (Ctrl-C, a crash, a lost connection): the batches committed so far stay, each whole
with its outcomes and search structures; the batch in flight is rolled back; the run is marked
interrupted. Importing the same files again is safe: what a committed batch holds is known to
the catalogue by then and is counted ``unchanged`` (``match.find_unchanged``).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from itertools import islice

from django.db import connection, connections
from django.db.models import Count

from trials.ingest import pipeline, run_liveness
from trials.ingest.bulk.batch import PhaseTimes, analyze_written
from trials.ingest.bulk.chunk import ChunkResult, load_chunk, start_worker
from trials.ingest.bulk.vocab_ids import curated_conditions
from trials.ingest.pipeline import RecordReport, _finish
from trials.ingest.session import import_session
from trials.models import ImportOutcome, ImportRun

BATCH_SIZE = 2000


def bulk_import(
    units: Iterable,
    *,
    run: ImportRun,
    workers: int | None = None,
    batch_size: int = BATCH_SIZE,
    on_record: Callable[[RecordReport], None] | None = None,
    times: PhaseTimes | None = None,
) -> ImportRun:
    """Import every unit of ``units`` (``readers.read_paths``) into the catalogue, as
    ``pipeline.import_units`` does, with new API v2 studies written in bulk by ``workers``
    processes (1: in this process, on its connection)."""
    times = times or PhaseTimes()
    workers = workers or min(2, os.cpu_count() or 1)
    # Workers are forked first, with no connection open: a child must not share this process's
    # connection, which then takes the run's lock.
    with _chunk_results(units, run, workers, batch_size) as results:
        run_liveness.claim(run)
        try:
            with import_session():
                started = time.perf_counter()
                for result in results:
                    times.add("waiting for the workers", started)
                    _finish_chunk(result, run, times, on_record)
                    started = time.perf_counter()
        except BaseException:
            _count_outcomes(run)
            _finish(run, ImportRun.Status.INTERRUPTED)
            raise
        else:
            _count_outcomes(run)
            _finish(run, ImportRun.Status.COMPLETED)
        finally:
            run_liveness.release(run)
    return run


class _chunk_results:
    """``load_chunk`` over chunks of the units, results in order. Workers are forked after this
    process closes its connection (a child must not share it), and read ahead by one chunk each
    at most: memory holds a few chunks whatever the file's size."""

    def __init__(self, units: Iterable, run: ImportRun, workers: int, batch_size: int):
        self.units, self.run, self.workers, self.batch_size = iter(units), run, workers, batch_size
        self.pool, self.slots = None, threading.Semaphore(workers + 1)

    def __enter__(self) -> Iterator[ChunkResult]:
        curated = curated_conditions()
        if self.workers <= 1:
            start_worker(self.run.pk, curated, own_connection=False)
            return map(load_chunk, self._chunks())
        connections.close_all()
        context = multiprocessing.get_context("fork")
        self.pool = context.Pool(self.workers, initializer=start_worker, initargs=(self.run.pk, curated))
        return self._released(self.pool.imap(load_chunk, self._chunks(blocking=True)))

    def __exit__(self, *exc):
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()

    def _chunks(self, blocking: bool = False) -> Iterator[list]:
        while chunk := list(islice(self.units, self.batch_size)):
            if blocking:
                self.slots.acquire()  # the pool's feeder thread waits here: no unbounded read-ahead
            yield chunk

    def _released(self, results: Iterator[ChunkResult]) -> Iterator[ChunkResult]:
        for result in results:
            self.slots.release()
            yield result


def _finish_chunk(result: ChunkResult, run: ImportRun, times: PhaseTimes, on_record) -> None:
    """Count and report what a worker wrote, then load the chunk's leftovers the per-record way."""
    for phase, seconds in result.seconds.items():
        times.seconds[f"workers: {phase}"] = times.seconds.get(f"workers: {phase}", 0.0) + seconds
    started = time.perf_counter()
    written = Counter(report.outcome for report in result.reports)
    for counter, count in written.items():
        setattr(run, counter, getattr(run, counter) + count)
    run.total += len(result.reports)
    run.save(update_fields=["total", *written])
    reports = list(result.reports)
    # Units left to the per-record path are counted there, as their records are found.
    reports += pipeline._committed(pipeline._records(result.leftovers, run=run, format=None), run)
    started = times.add("per-record", started)
    if on_record:
        for report in reports:
            on_record(report)
    if run.created >= 2 * times.analyzed_at + 1:  # after the first batch, then at each doubling
        analyze_written()
        times.analyzed_at = run.created
        times.add("ANALYZE", started)


def _count_outcomes(run: ImportRun) -> None:
    """The run's counters from its outcomes (one query): exact even when a worker committed a
    batch and this process stopped before counting it."""
    if connection.connection is None or connection.needs_rollback:
        return
    outcomes = ImportOutcome.objects.filter(run=run).values("outcome").annotate(n=Count("id"))
    counts = {row["outcome"]: row["n"] for row in outcomes}
    fields = {outcome: counts.get(outcome, 0) for outcome in ImportOutcome.Outcome.values}
    fields["total"] = max(run.total, sum(fields.values()))
    for name, value in fields.items():
        setattr(run, name, value)
    run.save(update_fields=list(fields))
