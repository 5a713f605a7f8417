"""Load stage: write one parsed record into the catalogue, in its own transaction.

Idempotent: a record is matched to an existing trial by any global registry id it shares
(NCT, EudraCT, CTIS, ISRCTN). Applying a record whose facts equal what the trial last received
changes nothing and reports ``unchanged``; otherwise the trial is updated and the changed
fields are written to its change log. Every distinct raw source is kept once (by sha256).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from trials.ingest.records import RawSource, RegistryId, TrialRecord
from trials.ingest.trial_writer import write_trial
from trials.models import ImportOutcome, ImportRun, SourceRecord, Trial, TrialChange
from trials.models import RegistryId as RegistryIdRow
from trials.search import refresh_search_vectors

log = logging.getLogger(__name__)
Outcome = ImportOutcome.Outcome


@dataclass
class LoadResult:
    outcome: str
    trial: Trial | None = None
    source_record: SourceRecord | None = None
    changed_fields: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def load_record(
    record: TrialRecord, source: RawSource, *, format: str, parser_version: str, run: ImportRun | None = None
) -> LoadResult:
    """Write ``record`` (parsed from ``source``) and return what happened to the catalogue.

    Retries once when a concurrent import created the same trial between our match and our insert.
    """
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                return _load(record, source, format=format, parser_version=parser_version, run=run)
        except IntegrityError:
            if attempt == 2:
                raise
            log.info("retrying %s after a concurrent write", source.origin)
    raise AssertionError("unreachable")


def _load(record, source, *, format, parser_version, run) -> LoadResult:
    trial, registry_ids, warnings = _match(record)
    snapshot = record.snapshot()
    sha256 = hashlib.sha256(source.data).hexdigest()

    if trial is not None and trial.record_snapshot == snapshot:
        source_record = _keep_source(sha256, source, format, parser_version, trial)
        return LoadResult(Outcome.UNCHANGED, trial, source_record, warnings=warnings)

    created = trial is None
    old_snapshot = {} if created else trial.record_snapshot
    if created:
        trial = Trial()
    trial.record_snapshot = snapshot
    write_trial(trial, record, registry_ids)
    refresh_search_vectors([trial.pk])
    source_record = _keep_source(sha256, source, format, parser_version, trial)

    changed = sorted(key for key in snapshot if snapshot[key] != old_snapshot.get(key))
    if not created:
        TrialChange.objects.create(
            trial=trial,
            import_run=run,
            source_record=source_record,
            changes={key: {"old": old_snapshot.get(key), "new": snapshot[key]} for key in changed},
        )
    return LoadResult(Outcome.CREATED if created else Outcome.UPDATED, trial, source_record, changed, warnings)


def _match(record: TrialRecord) -> tuple[Trial | None, list[RegistryId], list[str]]:
    """The trial this record is about (locked for update), its ids to keep, and warnings.

    An NCT id decides first. A global id that already belongs to a different trial is left off
    this trial (with a warning) rather than merging two registrations into one.
    """
    global_ids = record.global_ids()
    owners: dict[tuple[str, str], int] = {
        (scheme, value): trial_id
        for scheme, value, trial_id in RegistryIdRow.objects.filter(
            scheme__in={rid.scheme for rid in global_ids}, value__in={rid.value for rid in global_ids}
        ).values_list("scheme", "value", "trial_id")
    }
    by_nct = [owners[(r.scheme, r.value)] for r in global_ids if r.scheme == "NCT" and (r.scheme, r.value) in owners]
    if by_nct:
        trial_id = by_nct[0]
    else:
        shared = [owners[(r.scheme, r.value)] for r in global_ids if (r.scheme, r.value) in owners]
        trial_id = shared[0] if shared else None
        if trial_id is not None and _has_other_nct(trial_id, record):
            trial_id = None  # the owner of a shared secondary id is another registration

    kept, warnings = [], []
    for rid in record.registry_ids:
        owner = owners.get((rid.scheme, rid.value))
        if owner is not None and owner != trial_id:
            warnings.append(f"{rid.scheme} {rid.value} already belongs to trial {owner}; not added here")
            continue
        kept.append(rid)
    trial = Trial.objects.select_for_update().get(pk=trial_id) if trial_id else None
    return trial, kept, warnings


def _has_other_nct(trial_id: int, record: TrialRecord) -> bool:
    ours = {r.value for r in record.registry_ids if r.scheme == "NCT"}
    theirs = set(RegistryIdRow.objects.filter(trial_id=trial_id, scheme="NCT").values_list("value", flat=True))
    return bool(ours and theirs and not ours & theirs)


def _keep_source(sha256, source: RawSource, format, parser_version, trial) -> SourceRecord:
    source_record, created = SourceRecord.objects.get_or_create(
        sha256=sha256,
        defaults={
            "trial": trial,
            "format": format,
            "origin": source.origin[:1000],
            "raw": source.data,
            "parser_version": parser_version,
        },
    )
    if not created and (source_record.trial_id != trial.pk or source_record.parser_version != parser_version):
        source_record.trial = trial
        source_record.parser_version = parser_version
        source_record.save(update_fields=["trial", "parser_version", "last_seen_at"])
    return source_record
