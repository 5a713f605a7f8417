"""Load stage: write one parsed record into the catalogue, in its own transaction.

Idempotent: a record is matched to an existing trial by any registry id it shares (NCT,
EudraCT, CTIS, ISRCTN, or the catalogue's own id of a record that names none). Every distinct
raw source is kept once (by sha256) with what the parser read from it. The trial then shows the
merge of its sources (``merge.py``: registry data over saved pages over field dumps), except
the facts a curator set in admin, which stay as the curator left them. A record that changes
nothing reports ``unchanged``; otherwise the changed fields go to the trial's change log.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from functools import cache

from django.db import IntegrityError, connection, router, transaction
from django.db.models import Q
from django.utils import timezone

from trials.choices import UNIQUE_ID_SCHEMES, IdScheme
from trials.ingest.built_once import BuiltSelect, insert_row
from trials.ingest.merge import SourceSnapshot, merge
from trials.ingest.normalize import clean_line
from trials.ingest.records import ParseError, RawSource, RegistryId, TrialRecord
from trials.ingest.trial_writer import DERIVED, PARTS, curated_source_values, write_trial
from trials.models import ImportOutcome, ImportRun, SourceRecord, Trial, TrialChange
from trials.models import RegistryId as RegistryIdRow
from trials.search_index import catalogue_touched, refresh_search_index

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
    record: TrialRecord,
    source: RawSource,
    *,
    format: str,
    parser_version: str,
    run: ImportRun | None = None,
    dry_run: bool = False,
    savepoint: bool = True,
) -> LoadResult:
    """Write ``record`` (parsed from ``source``) and return what happened to the catalogue.

    With ``dry_run`` everything is written and rolled back: the result says what the record
    would become. Retries once when a concurrent import created the same trial between our
    match and our insert. Without ``savepoint`` (inside a transaction that is rolled back
    whole when a record fails) there is no retry, and any error leaves the transaction to be
    rolled back (``connection.needs_rollback``).
    """
    for attempt in (1, 2) if savepoint else (2,):
        try:
            with transaction.atomic(savepoint=savepoint):
                result = _load(record, source, format=format, parser_version=parser_version, run=run)
                if dry_run:
                    transaction.set_rollback(True)
                    if result.outcome == Outcome.CREATED:
                        result.trial = None  # rolled back: there is no such row to link to
                    result.source_record = None
                return result
        except IntegrityError:
            if attempt == 2:
                raise
            log.info("retrying %s after a concurrent write", source.origin)
    raise AssertionError("unreachable")


def local_id(record: TrialRecord) -> RegistryId:
    """The catalogue's own id for a record naming no registry id: stable for the same title and
    sponsor, so re-importing the record (or an edited copy of it) finds the same trial."""
    title = clean_line(record.brief_title or record.official_title).casefold()
    if not title:
        raise ParseError("the record names no registry id and no title: nothing tells which trial it is")
    sponsor = clean_line(record.lead_sponsor.name if record.lead_sponsor else "").casefold()
    digest = hashlib.sha256(f"{title}|{sponsor}".encode()).hexdigest()[:12].upper()
    return RegistryId(IdScheme.LOCAL.value, f"LOCAL-{digest}")


def _load(record: TrialRecord, source: RawSource, *, format, parser_version, run) -> LoadResult:
    if not record.global_ids():
        record.registry_ids = [*record.registry_ids, local_id(record)]
    trial, id_owners = _match(record)
    warnings: list[str] = []
    snapshot = record.snapshot()
    sha256 = hashlib.sha256(source.data).hexdigest()

    sources = _sources(sha256, trial)
    existing = next((s for s in sources if s.sha256 == sha256), None)
    if (
        trial is not None
        and existing is not None
        and existing.trial_id == trial.pk
        and existing.parser_version == parser_version
        and existing.snapshot == snapshot
    ):
        SourceRecord.objects.filter(pk=existing.pk).update(last_seen_at=timezone.now())
        return LoadResult(Outcome.UNCHANGED, trial, existing, warnings=warnings)

    created = trial is None
    if created:
        trial = Trial()
        trial.save()
    source_record = _keep_source(existing, sha256, source, format, parser_version, snapshot, trial)
    others = [SourceSnapshot(s.pk, s.format, s.snapshot) for s in sources if s.trial_id == trial.pk and s != existing]
    read = Prefetched([*others, SourceSnapshot(source_record.pk, format, snapshot)], id_owners, record)
    changed = apply_sources(
        trial, run=run, source_record=source_record, warnings=warnings, created=created, prefetched=read
    )
    if not created and changed is None:
        return LoadResult(Outcome.UNCHANGED, trial, source_record, warnings=warnings)
    return LoadResult(Outcome.CREATED if created else Outcome.UPDATED, trial, source_record, changed or [], warnings)


# The record fields the trial's search document is built from (``search_index``: ids, titles,
# conditions, interventions and their drugs, texts; facets of sponsor, sites, MeSH terms). A change
# to any other (a status, an enrollment, a date) leaves the document as it was.
_DOCUMENT_FIELDS = frozenset(
    {
        *("registry_ids", "acronym", "brief_title", "official_title", "keywords", "brief_summary"),
        *("detailed_description", "eligibility", "conditions", "condition_meshes", "intervention_meshes"),
        *("arms", "interventions", "lead_sponsor", "sites"),
    }
)


@dataclass
class Prefetched:
    """What the loader has read already, so that ``apply_sources`` does not read it again: the
    trial's sources (with the one just kept), the trials owning the record's unique ids (asked
    just before the trial was locked: an id taken meanwhile clashes with the unique constraint,
    and the loader retries), and the record itself (the merge is often exactly this record)."""

    sources: list[SourceSnapshot]
    id_owners: IdOwners
    record: TrialRecord


def apply_sources(
    trial: Trial,
    *,
    run: ImportRun | None = None,
    source_record: SourceRecord | None = None,
    changed_by=None,
    warnings: list[str] | None = None,
    created: bool = False,
    force: bool = False,
    prefetched: Prefetched | None = None,
) -> list[str] | None:
    """Show on ``trial`` the merge of all its sources, keeping its curated facts.

    Returns the record fields that changed, or None when nothing did. Used by the loader after
    each record, and by curation (merging two trials, handing a fact back to the sources), which
    ``force`` a rewrite even when the merged record is the same.
    Queries: the trial's sources (without their raw bytes) unless ``prefetched``, then the writes.
    """
    if prefetched is not None:
        sources = prefetched.sources
    else:
        sources = [
            SourceSnapshot(pk, fmt, snap)
            for pk, fmt, snap in SourceRecord.objects.filter(trial=trial).values_list("pk", "format", "snapshot")
        ]
    merged, field_sources = merge(sources)
    old = trial.record_snapshot or {}
    if not created and not force and merged == old:
        # The same facts (e.g. the same study in another file): only where they came from may move.
        if field_sources != trial.field_sources:
            trial.field_sources = field_sources
            Trial.objects.filter(pk=trial.pk).update(field_sources=field_sources)
        return None
    if prefetched is not None and merged == prefetched.sources[-1].snapshot:
        merged_record = prefetched.record
    else:
        merged_record = TrialRecord.from_snapshot(merged)
    registry_ids, id_warnings = _ids_to_keep(
        trial, merged_record.registry_ids, prefetched.id_owners if prefetched is not None else None
    )
    if warnings is not None:
        warnings += id_warnings
    trial.record_snapshot = merged
    trial.field_sources = field_sources
    curated = set(trial.curated_fields)
    for key, value in curated_source_values(trial, merged_record, curated).items():
        trial.curated_fields[key]["source_value"] = value
    # Parts whose facts are the same keep their rows: a curator's form open on them stays valid.
    unchanged = (
        set()
        if created or force
        else {p for p, keys in {**PARTS, **DERIVED}.items() if all(old.get(k) == merged.get(k) for k in keys)}
    )
    write_trial(trial, merged_record, registry_ids, keep=curated, is_new=created, unchanged=unchanged)
    changed = sorted(key for key in set(merged) | set(old) if merged.get(key) != old.get(key))
    if created or force or _DOCUMENT_FIELDS.intersection(changed):
        refresh_search_index([trial.pk])
    else:
        # The same search document: building it again would cost ~3 ms of the server's CPU.
        catalogue_touched([trial.pk])
    if not created and changed:
        change = TrialChange(
            trial=trial,
            import_run=run,
            source_record=source_record,
            changed_by=changed_by,
            changes={key: {"old": old.get(key), "new": merged.get(key)} for key in changed},
        )
        insert_row(change, router.db_for_write(TrialChange))
    return changed


@dataclass(frozen=True)
class IdOwners:
    """The trials owning some unique registry ids, as one query found them."""

    asked: frozenset[tuple[str, str]]
    owners: dict[tuple[str, str], int]


def _match(record: TrialRecord) -> tuple[Trial | None, IdOwners]:
    """The trial this record is about, locked for update, and who owns the record's unique ids.

    An NCT id decides first. A shared secondary id whose trial has another NCT id is another
    registration: the record is not merged into it.
    """
    ids = record.global_ids() + [rid for rid in record.registry_ids if rid.scheme == IdScheme.LOCAL]
    with connection.cursor() as cursor:  # the ORM's statement took as long to build as to run
        cursor.execute(_ID_OWNERS_SQL, [sorted({rid.scheme for rid in ids}), sorted({rid.value for rid in ids})])
        owners: dict[tuple[str, str], int] = {(scheme, value): trial_id for scheme, value, trial_id in cursor}
    id_owners = IdOwners(frozenset((rid.scheme, rid.value) for rid in ids), owners)
    by_nct = [owners[(r.scheme, r.value)] for r in ids if r.scheme == "NCT" and (r.scheme, r.value) in owners]
    if by_nct:
        trial_id = by_nct[0]
    else:
        shared = [owners[(r.scheme, r.value)] for r in ids if (r.scheme, r.value) in owners]
        trial_id = shared[0] if shared else None
        if trial_id is not None and _has_other_nct(trial_id, record):
            trial_id = None
    if not trial_id:
        return None, id_owners
    return _locked_trial(trial_id, router.db_for_write(Trial)), id_owners  # where select_for_update() locks


_ID_OWNERS_SQL = f"""
SELECT scheme, value, trial_id FROM {RegistryIdRow._meta.db_table} WHERE scheme = ANY(%s) AND value = ANY(%s)
"""


def _locked_trial(trial_id: int, using: str) -> Trial | None:
    """The trial, locked for update (in the record's transaction, as FOR UPDATE must). Without its
    search document: the import rebuilds it, and saving the trial then leaves it alone."""
    return next(iter(_locked_trial_select(using).rows([trial_id], using)), None)


@cache
def _locked_trial_select(using: str) -> BuiltSelect:
    search = [f.name for f in Trial._meta.concrete_fields if f.name == "search_vector" or f.name.startswith("facet_")]
    return BuiltSelect.of(Trial.objects.select_for_update().defer(*search).filter(pk=0), (0,), using)


def _sources(sha256: str, trial: Trial | None) -> list[SourceRecord]:
    """This source (known by its bytes, maybe from another trial) and the trial's others, without
    their raw bytes, in one query."""
    using = router.db_for_read(SourceRecord)
    if trial is None:
        return _sources_select(using, False).rows([sha256], using)
    return _sources_select(using, True).rows([sha256, trial.pk], using)


@cache
def _sources_select(using: str, of_trial: bool) -> BuiltSelect:
    known = Q(sha256="") | Q(trial_id=0) if of_trial else Q(sha256="")
    return BuiltSelect.of(SourceRecord.objects.filter(known).defer("raw"), ("", 0) if of_trial else ("",), using)


def _ids_to_keep(
    trial: Trial, registry_ids: list[RegistryId], known: IdOwners | None = None
) -> tuple[list[RegistryId], list[str]]:
    """The ids to write on ``trial``: a unique id that already names another trial is left off
    (with a warning) rather than merging two registrations into one. No query when ``known``
    asked about every unique id."""
    unique = [rid for rid in registry_ids if rid.scheme in UNIQUE_ID_SCHEMES]
    if known is not None and known.asked >= {(rid.scheme, rid.value) for rid in unique}:
        owners = {key: owner for key, owner in known.owners.items() if owner != trial.pk}
    else:
        owners = dict(
            ((scheme, value), trial_id)
            for scheme, value, trial_id in RegistryIdRow.objects.filter(
                scheme__in={rid.scheme for rid in unique}, value__in={rid.value for rid in unique}
            )
            .exclude(trial=trial)
            .values_list("scheme", "value", "trial_id")
        )
    kept, warnings = [], []
    for rid in registry_ids:
        owner = owners.get((rid.scheme, rid.value))
        if owner is not None:
            warnings.append(f"{rid.scheme} {rid.value} already belongs to trial {owner}; not added here")
            continue
        kept.append(rid)
    return kept, warnings


def _has_other_nct(trial_id: int, record: TrialRecord) -> bool:
    ours = {r.value for r in record.registry_ids if r.scheme == "NCT"}
    theirs = set(RegistryIdRow.objects.filter(trial_id=trial_id, scheme="NCT").values_list("value", flat=True))
    return bool(ours and theirs and not ours & theirs)


def _keep_source(existing, sha256, source: RawSource, format, parser_version, snapshot, trial) -> SourceRecord:
    if existing is None:
        kept = SourceRecord(
            sha256=sha256,
            trial=trial,
            format=format,
            origin=source.origin[:1000],
            raw=source.data,
            parser_version=parser_version,
            snapshot=snapshot,
        )
        insert_row(kept, router.db_for_write(SourceRecord))
        return kept
    existing.trial = trial
    existing.parser_version = parser_version
    existing.snapshot = snapshot
    existing.save(update_fields=["trial", "parser_version", "snapshot", "last_seen_at"])
    return existing
