"""One import run: read -> detect -> split -> parse -> load, with a per-record outcome for each unit.

A failure is always confined to its record (or to its file, when the file itself is unreadable);
every other record still imports.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from trials.ingest import run_liveness
from trials.ingest.detect import detect_format
from trials.ingest.loader import LoadResult, load_record
from trials.ingest.parsers import parser_for
from trials.ingest.readers import Unreadable
from trials.ingest.records import ParseError, RawSource
from trials.models import ImportOutcome, ImportRun
from trials.search_index import deferred_refresh

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecordReport:
    """One line of ``--report``: what one record became."""

    source: str
    outcome: str
    trial_id: int | None
    registry_ids: list[str]
    error: str | None
    changed_fields: list[str]
    source_record_id: int | None = None

    def as_dict(self) -> dict:
        return {
            "source": self.source,
            "outcome": self.outcome,
            "trial_id": self.trial_id,
            "registry_ids": self.registry_ids,
            "error": self.error,
            "changed_fields": self.changed_fields,
        }


def import_units(
    units: Iterable[RawSource | Unreadable],
    *,
    run: ImportRun,
    format: str | None = None,
    on_record: Callable[[RecordReport], None] | None = None,
) -> ImportRun:
    """Import every record the units hold into the catalogue, recording outcomes on ``run``.

    A ``run.dry_run`` (an admin preview) loads each record and rolls it back: the outcomes say
    what each record would become, and the catalogue is left as it was.
    """
    run_liveness.claim(run)  # a process killed from here on leaves a run that shows as interrupted
    try:
        with _asynchronous_commits():
            for report in _committed(_records(units, run=run, format=format), run):
                if on_record:
                    on_record(report)
    except BaseException:
        # Ctrl-C or a crash: what is loaded stays loaded (each record is atomic); the run says so.
        _finish(run, ImportRun.Status.INTERRUPTED)
        raise
    else:
        _finish(run, ImportRun.Status.COMPLETED)
    finally:
        run_liveness.release(run)
    return run


# A batch of records commits together, each in its own savepoint: a commit, the run's counters,
# the search index and the catalogue's version cost a few queries a batch instead of a record
# (8 a batch against 8 a record: ten records get nearly all of the gain). Small batches keep an
# admin's progress bar moving and hold few trials' locks; the time bound covers slow records.
BATCH_RECORDS = 10
BATCH_SECONDS = 0.25


def _committed(items: Iterator[RecordReport | _Pending], run: ImportRun) -> Iterator[RecordReport]:
    """Load the records (done here, while ``items`` yields them) in batches, each committed with
    its records' outcomes, the run's counters and the records' search documents: a process killed
    at any point leaves every record either loaded, counted and searchable, or neither. Ctrl-C or
    a crash on one record rolls back that record alone; the records before it are committed."""
    retry: _Pending | None = None
    while True:
        reports: list[RecordReport] = []
        stopped: BaseException | None = None
        with transaction.atomic(), deferred_refresh():
            try:
                retry = _load_batch(items, run, reports, retry)
            except BaseException as exc:
                if connection.needs_rollback:
                    raise
                stopped = exc
            _record_outcomes(run, reports)
        yield from reports
        if stopped is not None:
            raise stopped
        if not reports and retry is None:
            return


def _load_batch(items, run, reports: list[RecordReport], retry: _Pending | None) -> _Pending | None:
    """Load records into ``reports`` until the batch is full; returns a record to load again.

    A record that fails on a database error after others in its batch (a deadlock with a
    concurrent import, a trial created meanwhile) is loaded again alone at the start of the next
    batch, as if it had been the only record of its transaction; it fails only if it fails then."""
    started = time.monotonic()
    while len(reports) < BATCH_RECORDS and time.monotonic() - started < BATCH_SECONDS:
        item, retry = retry or next(items, None), None
        if item is None:
            return None
        if isinstance(item, _Pending):
            report = _import_record(item, run, alone=not reports)
            if report is None:
                return item
            item = report
        reports.append(item)
    return None


@contextmanager
def _asynchronous_commits():
    """Waiting for the disk to flush every commit made imports I/O-bound (two flushes per record
    when each record committed alone). With ``synchronous_commit`` off a crash can lose the last
    fraction of a second of commits, never half a record, and re-running the import redoes them."""
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    try:
        yield
    finally:
        if connection.connection is not None and not connection.needs_rollback:
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")


def start_run(origin: str, user=None, **fields) -> ImportRun:
    return ImportRun.objects.create(origin=origin[:1000], started_by=user, **fields)


@dataclass(frozen=True)
class _Pending:
    """A record split from its unit, to be parsed and loaded."""

    raw: RawSource
    parser: object


def _records(units, *, run, format) -> Iterator[RecordReport | _Pending]:
    """Each record of the units, or the report of a unit that could not be read or split."""
    for unit in units:
        if isinstance(unit, Unreadable):
            _count_records(run, 1)
            yield _failed(unit.origin, unit.error)
            continue
        try:
            unit_format = format or detect_format(unit)
            parser = parser_for(unit_format)
            records = list(parser.split(unit))
        except (ParseError, ValueError) as exc:
            _count_records(run, 1)
            yield _failed(unit.origin, str(exc))
            continue
        _count_records(run, len(records))
        for raw in records:
            yield _Pending(raw, parser)


def _count_records(run: ImportRun, count: int) -> None:
    """Records found so far: the admin's progress bar divides the outcomes by this (saved with
    the batch's counters: a JSON lines file is a unit a line)."""
    run.total += count


def _import_record(pending: _Pending, run, *, alone: bool = True) -> RecordReport | None:
    """What the record became; None for a database error that may pass when it is loaded alone."""
    raw, parser = pending.raw, pending.parser
    try:
        record = parser.parse(raw.data)
    except ParseError as exc:
        return _failed(raw.origin, str(exc))
    except Exception as exc:
        # A parser bug on input nobody foresaw must fail this record alone, not the whole run.
        log.exception("parser %s failed on %s", parser.FORMAT, raw.origin)
        return _failed(raw.origin, f"could not be read as {parser.FORMAT} ({type(exc).__name__}: {exc})")
    ids = [rid.value for rid in record.registry_ids]
    try:
        result: LoadResult = load_record(
            record, raw, format=parser.FORMAT, parser_version=parser.VERSION, run=run, dry_run=run.dry_run
        )
    except ParseError as exc:
        return _failed(raw.origin, str(exc), ids)
    except DatabaseError as exc:
        if not alone:
            log.info("loading %s again in a transaction of its own after: %s", raw.origin, exc)
            return None
        log.warning("could not load %s: %s", raw.origin, exc)
        return _failed(raw.origin, f"{record.label}: {exc}", ids)
    return RecordReport(
        source=raw.origin,
        outcome=result.outcome,
        trial_id=result.trial.pk if result.trial else None,
        registry_ids=ids,
        error="; ".join(result.warnings) or None,
        changed_fields=result.changed_fields,
        source_record_id=result.source_record.pk if result.source_record else None,
    )


def _failed(origin: str, error: str, ids: list[str] | None = None) -> RecordReport:
    return RecordReport(origin, ImportOutcome.Outcome.FAILED, None, ids or [], f"{origin}: {error}", [])


def _record_outcomes(run: ImportRun, reports: list[RecordReport]) -> None:
    ImportOutcome.objects.bulk_create(
        ImportOutcome(
            run=run,
            source=report.source[:1000],
            outcome=report.outcome,
            trial_id=report.trial_id,
            registry_ids=report.registry_ids,
            changed_fields=report.changed_fields,
            source_record_id=report.source_record_id,
            error=report.error or "",
        )
        for report in reports
    )
    counters = Counter(report.outcome for report in reports)  # created / updated / unchanged / failed
    for counter, count in counters.items():
        setattr(run, counter, getattr(run, counter) + count)
    if counters:
        run.save(update_fields=["total", *sorted(counters)])


def _finish(run: ImportRun, status: str) -> None:
    run.status = status
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "finished_at"])
