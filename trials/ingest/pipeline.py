"""One import run: read -> detect -> split -> parse -> load, with a per-record outcome for each unit.

A failure is always confined to its record (or to its file, when the file itself is unreadable);
every other record still imports.
"""

from __future__ import annotations

import logging
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
            for unit in units:
                for report in _committed(_import_unit(unit, run=run, format=format), run):
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


def _committed(reports: Iterator[RecordReport], run: ImportRun) -> Iterator[RecordReport]:
    """Each record's load (done while ``reports`` yields it) commits together with its outcome
    and the run's counters: a process killed at any point leaves every record either loaded and
    counted, or neither."""
    while True:
        with transaction.atomic():
            report = next(reports, None)
            if report is None:
                return
            _record_outcome(run, report)
        yield report


@contextmanager
def _asynchronous_commits():
    """Each record commits on its own; waiting for the disk to flush every commit made imports
    I/O-bound (two flushes per record). With ``synchronous_commit`` off a crash can lose the last
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


def _import_unit(unit, *, run, format):
    if isinstance(unit, Unreadable):
        _count_records(run, 1)
        yield _failed(unit.origin, unit.error)
        return
    try:
        unit_format = format or detect_format(unit)
        parser = parser_for(unit_format)
        records = list(parser.split(unit))
    except (ParseError, ValueError) as exc:
        _count_records(run, 1)
        yield _failed(unit.origin, str(exc))
        return
    _count_records(run, len(records))
    for raw in records:
        yield _import_record(raw, parser, run)


def _count_records(run: ImportRun, count: int) -> None:
    """Records found so far: the admin's progress bar divides the outcomes by this."""
    run.total += count
    run.save(update_fields=["total"])


def _import_record(raw: RawSource, parser, run) -> RecordReport:
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


def _record_outcome(run: ImportRun, report: RecordReport) -> None:
    ImportOutcome.objects.create(
        run=run,
        source=report.source[:1000],
        outcome=report.outcome,
        trial_id=report.trial_id,
        registry_ids=report.registry_ids,
        changed_fields=report.changed_fields,
        source_record_id=report.source_record_id,
        error=report.error or "",
    )
    counter = report.outcome  # created / updated / unchanged / failed
    setattr(run, counter, getattr(run, counter) + 1)
    run.save(update_fields=[counter])


def _finish(run: ImportRun, status: str) -> None:
    run.status = status
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "finished_at"])
