"""A bulk import run: workers prepare the studies, the main process writes them batch by batch.

Interrupted (Ctrl-C, a crash, a lost connection): the batches committed so far stay, each whole
with its outcomes and search structures; the batch in flight is rolled back; the run is marked
interrupted. Importing the same files again is safe: what a committed batch holds is known to
the catalogue by then and goes through the per-record path, as ``unchanged``.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from itertools import islice

from django.db import connection, connections

from trials.ingest import pipeline, run_liveness
from trials.ingest.bulk.batch import PhaseTimes, analyze_written, split_known, write_batch
from trials.ingest.bulk.prepare import Fallback, PreparedTrial, prepare, set_curated_conditions
from trials.ingest.bulk.vocab_ids import VocabularyIds, curated_conditions
from trials.ingest.pipeline import RecordReport, _asynchronous_commits, _finish
from trials.ingest.records import RawSource
from trials.models import ImportRun

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
    ``pipeline.import_units`` does, with new API v2 studies written in bulk."""
    times = times or PhaseTimes()
    workers = workers or min(2, os.cpu_count() or 1)
    # The workers are forked first: a child must not share this process's database connection,
    # which then takes the run's lock and the session's settings.
    with _prepared_units(units, workers, batch_size) as batches:
        run_liveness.claim(run)
        try:
            with _asynchronous_commits(), _without_jit():
                _load(batches, run, times, on_record)
        except BaseException:
            _finish(run, ImportRun.Status.INTERRUPTED)
            raise
        else:
            _finish(run, ImportRun.Status.COMPLETED)
        finally:
            run_liveness.release(run)
    return run


def _load(batches: Iterator[list], run: ImportRun, times: PhaseTimes, on_record) -> None:
    vocab, analyzed_at = VocabularyIds(), 0
    started = time.perf_counter()
    for batch in batches:
        times.add("reading, and waiting for the workers", started)
        for report in _import_batch(batch, run, vocab, times):
            if on_record:
                on_record(report)
        started = time.perf_counter()
        if run.created >= 2 * analyzed_at + 1:  # after the first batch, then at each doubling
            analyze_written()
            analyzed_at = run.created
            times.add("ANALYZE", started)
            started = time.perf_counter()


@contextmanager
def _without_jit():
    """Batch statements are costed high (thousands of trials at once) but run in milliseconds to
    seconds: compiling them with JIT took longer than running them."""
    with connection.cursor() as cursor:
        cursor.execute("SET jit TO off")
    try:
        yield
    finally:
        if connection.connection is not None and not connection.needs_rollback:
            with connection.cursor() as cursor:
                cursor.execute("RESET jit")


class _prepared_units:
    """Batches of ``prepare`` results, in order, from worker processes (forked: Django and the
    vocabularies are loaded once). The next batch is prepared while this one is written, and no
    more than that is read ahead: memory holds about three batches whatever the file's size."""

    def __init__(self, units: Iterable, workers: int, batch_size: int):
        self.units, self.workers, self.batch_size, self.pool = iter(units), workers, batch_size, None

    def __enter__(self) -> Iterator[list]:
        curated = curated_conditions()
        if self.workers <= 1:
            set_curated_conditions(curated)
            return (list(map(prepare, chunk)) for chunk in self._chunks())
        connections.close_all()  # a forked child must not share the parent's database connection
        context = multiprocessing.get_context("fork")
        self.pool = context.Pool(self.workers, initializer=set_curated_conditions, initargs=(curated,))
        return self._read_ahead()

    def __exit__(self, *exc):
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()

    def _chunks(self) -> Iterator[list]:
        return iter(lambda: list(islice(self.units, self.batch_size)), [])

    def _read_ahead(self) -> Iterator[list]:
        pending = None
        for chunk in self._chunks():
            submitted = self.pool.map_async(prepare, chunk, chunksize=16)
            if pending is not None:
                yield pending.get()
            pending = submitted
        if pending is not None:
            yield pending.get()


def _import_batch(batch: list, run: ImportRun, vocab: VocabularyIds, times: PhaseTimes) -> list[RecordReport]:
    started = time.perf_counter()
    trials = [item for item in batch if isinstance(item, PreparedTrial)]
    failed = [item for item in batch if isinstance(item, RecordReport)]
    new, known = split_known(trials)
    # Units left to the per-record path are counted there, as their records are found.
    run.total += len(new) + len(failed)
    started = times.add("match", started)
    reports = write_batch(new, failed, run=run, vocab=vocab, times=times)
    started = time.perf_counter()
    # The rest, in their order, the per-record way, committed as that path commits.
    reports += _per_record(batch, known, run)
    times.add("per-record", started)
    return reports


def _per_record(batch: list, known: list[PreparedTrial], run: ImportRun) -> Iterator[RecordReport]:
    """The batch's units that the bulk path leaves to the per-record path, through it, in order:
    ``pipeline.import_units`` without the run's start and end, which are this run's."""
    known_ids = {id(t) for t in known}
    units = (
        item.unit if isinstance(item, Fallback) else RawSource(item.origin, item.raw)
        for item in batch
        if isinstance(item, Fallback) or id(item) in known_ids
    )
    return pipeline._committed(pipeline._records(units, run=run, format=None), run)
