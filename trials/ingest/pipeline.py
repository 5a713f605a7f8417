"""One import run: read -> detect -> split -> parse -> load, with a per-record outcome for each unit.

A failure is always confined to its record (or to its file, when the file itself is unreadable);
every other record still imports.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from functools import partial

from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone

from trials.ingest import run_liveness
from trials.ingest.detect import detect_format
from trials.ingest.loader import LoadResult, load_record
from trials.ingest.parse_ahead import ParsingAhead
from trials.ingest.parsers import parser_for
from trials.ingest.readers import Unreadable
from trials.ingest.records import ParseError, RawSource, TrialRecord
from trials.ingest.session import import_session
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
    parse_workers: int = 0,
    loaders: int = 0,
) -> ImportRun:
    """Import every record the units hold into the catalogue, recording outcomes on ``run``.

    A ``run.dry_run`` (an admin preview) loads each record and rolls it back: the outcomes say
    what each record would become, and the catalogue is left as it was. ``parse_workers``
    processes parse the records ahead of the loader (``parse_ahead``; 0: the loader parses each
    record as it loads it). ``loaders`` processes (2 or more; not for a dry run) instead each
    parse and load chunks of the records on connections of their own, as concurrent imports do,
    this process reading the units and reporting in the records' order. Workers are forked first,
    closing this process's connection, so only a caller outside a transaction that holds nothing
    on its connection should ask for them.
    """
    loaders = loaders if loaders > 1 and not run.dry_run else 0
    with ParsingAhead(loaders or parse_workers) as ahead:
        run_liveness.claim(run)  # a process killed from here on leaves a run that shows as interrupted
        try:
            with import_session():
                records = _records(units, run=run, format=format)
                if loaders and ahead.executor is not None:
                    reports = _loaded_by_workers(ahead, records, run)
                else:
                    reports = _committed(ahead.map(_parse_chunk, records), run)
                for report in reports:
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


def _loaded_by_workers(ahead: ParsingAhead, records: Iterator, run: ImportRun) -> Iterator[RecordReport]:
    """The records loaded by the worker processes (``_load_chunk``), their reports in order. This
    process counts the records found (``run.total``) and saves that count as the workers report."""
    saved = None
    for report in ahead.map(partial(_load_chunk, run), records, chunk=2 * BATCH_RECORDS):
        if run.total != saved:
            ImportRun.objects.filter(pk=run.pk).update(total=run.total)
            saved = run.total
        yield report
    run.refresh_from_db(fields=[*COUNTERS, "total"])


def _load_chunk(run: ImportRun, items: list[RecordReport | _Pending]) -> list[RecordReport]:
    """In a loading worker: the chunk's records parsed and loaded in batches on this process's own
    connection, as ``_committed`` loads them in a single process (counters added, not set)."""
    with import_session():
        return list(_committed(iter(items), run, counts_total=False))


# A batch of records commits together: a commit, the run's counters, the search index and the
# catalogue's version cost a few queries a batch instead of a record (8 a batch against 6 a record:
# ten records get nearly all of the gain). Small batches keep an admin's progress bar moving and
# hold few trials' locks; the time bound covers slow records.
BATCH_RECORDS = 10
BATCH_SECONDS = 0.25


class _LoadAgain(Exception):
    """A record failed in a batch loaded without savepoints: the batch is loaded again with them."""


def _committed(
    items: Iterator[RecordReport | _Pending], run: ImportRun, *, counts_total: bool = True
) -> Iterator[RecordReport]:
    """Load the records (done here, while ``items`` yields them) in batches, each committed with
    its records' outcomes, the run's counters and the records' search documents: a process killed
    at any point leaves every record either loaded, counted and searchable, or neither.

    A batch is first loaded without a savepoint a record (two statements of its six or seven).
    When one of its records fails, the whole batch is rolled back and loaded again, each record
    in its own savepoint, so that the failure is that record's alone. Ctrl-C or a crash while a
    record writes rolls back its batch (with a savepoint a record: that record alone); the batches
    before it, and the records of its batch before it when it is between two records, are committed."""
    retry: _Pending | None = None
    again: deque[RecordReport | _Pending] = deque()  # a failed batch's records, to load with savepoints
    while True:
        reports: list[RecordReport] = []
        taken: list[RecordReport | _Pending] = []
        savepoints = bool(again) or retry is not None or run.dry_run
        stopped: BaseException | None = None
        try:
            with transaction.atomic(), deferred_refresh():
                try:
                    retry = _load_batch(items, run, reports, retry, again=again, taken=taken, savepoints=savepoints)
                except BaseException as exc:
                    if connection.needs_rollback:
                        if savepoints or not isinstance(exc, Exception):
                            raise
                        raise _LoadAgain from exc
                    stopped = exc
                _record_outcomes(run, reports, counts_total=counts_total)
        except _LoadAgain as exc:
            log.info("loading a batch again with a savepoint a record after: %s", exc.__cause__ or exc)
            # Parsed again: loading may have changed a record (its catalogue id added).
            again.extend(replace(item, parsed=None) if isinstance(item, _Pending) else item for item in taken)
            continue
        yield from reports
        if stopped is not None:
            raise stopped
        if not reports and retry is None:
            return


def _load_batch(
    items, run, reports: list[RecordReport], retry: _Pending | None, *, again: deque, taken: list, savepoints: bool
) -> _Pending | None:
    """Load records into ``reports`` until the batch is full (first those of ``again``, then new
    ones, each also noted in ``taken``); returns a record to load again.

    A record that fails on a database error after others in its batch (a deadlock with a
    concurrent import, a trial created meanwhile) is loaded again alone at the start of the next
    batch, as if it had been the only record of its transaction; it fails only if it fails then.
    Without ``savepoints``, a record that fails in any way raises ``_LoadAgain``."""
    started = time.monotonic()
    while len(reports) < BATCH_RECORDS and time.monotonic() - started < BATCH_SECONDS:
        item, retry = retry or (again.popleft() if again else next(items, None)), None
        if item is None:
            return None
        taken.append(item)
        if isinstance(item, _Pending):
            report = _import_record(item, run, alone=not reports, savepoint=savepoints)
            if not savepoints and connection.needs_rollback:
                raise _LoadAgain(f"{item.raw.origin}: {report.error if report else 'a database error'}")
            if report is None:
                return replace(item, parsed=None)  # parsed again: loading may have changed the record
            item = report
        reports.append(item)
    return None


def start_run(origin: str, user=None, **fields) -> ImportRun:
    return ImportRun.objects.create(origin=origin[:1000], started_by=user, **fields)


@dataclass(frozen=True)
class _Pending:
    """A record split from its unit, to be parsed and loaded; maybe parsed ahead already."""

    raw: RawSource
    format: str
    parsed: TrialRecord | RecordReport | None = None  # what ``_parse`` made of it

    @property
    def parser(self):
        return parser_for(self.format)


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
            yield _Pending(raw, parser.FORMAT)


def _count_records(run: ImportRun, count: int) -> None:
    """Records found so far: the admin's progress bar divides the outcomes by this (saved with
    the batch's counters: a JSON lines file is a unit a line)."""
    run.total += count


def _import_record(pending: _Pending, run, *, alone: bool = True, savepoint: bool = True) -> RecordReport | None:
    """What the record became; None for a database error that may pass when it is loaded alone."""
    raw, parser = pending.raw, pending.parser
    record = pending.parsed if pending.parsed is not None else _parse(pending)
    if isinstance(record, RecordReport):
        return record
    ids = [rid.value for rid in record.registry_ids]
    try:
        result: LoadResult = load_record(
            record,
            raw,
            format=parser.FORMAT,
            parser_version=parser.VERSION,
            run=run,
            dry_run=run.dry_run,
            savepoint=savepoint,
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


def _parse(pending: _Pending) -> TrialRecord | RecordReport:
    """The record, or the report of its failure."""
    raw, parser = pending.raw, pending.parser
    try:
        return parser.parse(raw.data)
    except ParseError as exc:
        return _failed(raw.origin, str(exc))
    except Exception as exc:
        # A parser bug on input nobody foresaw must fail this record alone, not the whole run.
        log.exception("parser %s failed on %s", parser.FORMAT, raw.origin)
        return _failed(raw.origin, f"could not be read as {parser.FORMAT} ({type(exc).__name__}: {exc})")


def _parse_chunk(items: list[RecordReport | _Pending]) -> list[RecordReport | _Pending]:
    """In a parsing worker: the chunk's records parsed (reports of units that failed pass as they are)."""
    return [replace(item, parsed=_parse(item)) if isinstance(item, _Pending) else item for item in items]


def _failed(origin: str, error: str, ids: list[str] | None = None) -> RecordReport:
    return RecordReport(origin, ImportOutcome.Outcome.FAILED, None, ids or [], f"{origin}: {error}", [])


# The run's counters of outcomes.
COUNTERS = ("created", "updated", "unchanged", "failed")


def _record_outcomes(run: ImportRun, reports: list[RecordReport], *, counts_total: bool = True) -> None:
    """The reports' outcomes saved, and the run's counters moved on by them (added in SQL: loading
    workers count into the same run); ``counts_total``: also the records found so far, counted by
    this process."""
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
        totals = {"total": run.total} if counts_total else {}
        ImportRun.objects.filter(pk=run.pk).update(**{c: F(c) + n for c, n in counters.items()}, **totals)


def _finish(run: ImportRun, status: str) -> None:
    run.status = status
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "finished_at"])
