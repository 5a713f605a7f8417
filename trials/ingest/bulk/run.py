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
from dataclasses import dataclass, field
from itertools import islice

from django.db import connections

from trials.ingest import pipeline, run_liveness
from trials.ingest.bulk.batch import split_known, write_batch
from trials.ingest.bulk.prepare import Fallback, PreparedTrial, prepare, set_curated_conditions
from trials.ingest.bulk.vocab_ids import VocabularyIds, curated_conditions
from trials.ingest.pipeline import RecordReport, _asynchronous_commits, _finish
from trials.ingest.records import RawSource
from trials.models import ImportRun

BATCH_SIZE = 2000


@dataclass
class PhaseTimes:
    """Seconds the main process spent in each phase (the workers parse meanwhile)."""

    seconds: dict[str, float] = field(default_factory=dict)

    def add(self, phase: str, started: float) -> float:
        now = time.perf_counter()
        self.seconds[phase] = self.seconds.get(phase, 0.0) + now - started
        return now


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
    run_liveness.claim(run)
    try:
        with _asynchronous_commits(), _prepared_units(units, workers, batch_size) as batches:
            vocab = VocabularyIds()
            for batch in batches:
                for report in _import_batch(batch, run, vocab, times):
                    if on_record:
                        on_record(report)
    except BaseException:
        _finish(run, ImportRun.Status.INTERRUPTED)
        raise
    else:
        _finish(run, ImportRun.Status.COMPLETED)
    finally:
        run_liveness.release(run)
    return run


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
    reports = write_batch(new, failed, run=run, vocab=vocab)
    started = times.add("copy and search index", started)
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
