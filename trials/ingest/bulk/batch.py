"""Write one batch of prepared studies with COPY, in one transaction with their outcomes.

Only studies new to the catalogue come here (``match``). They get their ids up front from the
tables' own sequences, are copied table by table (foreign keys are checked at commit: Django
declares them deferrable), and have their search vectors and facet columns built by
``search_index`` for the whole batch before the commit: a batch is visible whole, indexed and
counted, or not at all.

The trial rows go to a temporary staging table first, and then into ``trials_trial`` in one
``INSERT ... SELECT`` that computes their search documents with ``search_index``'s expressions:
each trial row is written to the real table (and its thirteen indexes) once, instead of once by
COPY and three times more by the search index's UPDATEs.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from functools import partial

from django.db import connection, transaction
from django.utils import timezone

from trials import search_index
from trials.ingest.bulk.match import Unchanged
from trials.ingest.bulk.prepare import TRIAL_COLUMNS, PreparedTrial
from trials.ingest.bulk.vocab_ids import VocabularyIds
from trials.ingest.parsers import ctgov_json
from trials.ingest.pipeline import RecordReport
from trials.models import (
    Arm,
    Contact,
    ImportOutcome,
    Intervention,
    Outcome,
    RegistryId,
    Site,
    SourceRecord,
    Trial,
    TrialCondition,
    TrialMeshTerm,
)

CREATED = ImportOutcome.Outcome.CREATED
FAILED = ImportOutcome.Outcome.FAILED
UNCHANGED = ImportOutcome.Outcome.UNCHANGED


@dataclass
class _Ids:
    """Row ids taken from the sequences for one batch, handed out in order."""

    values: list[int]
    next: int = 0

    def take(self) -> int:
        self.next += 1
        return self.values[self.next - 1]


@dataclass
class PhaseTimes:
    """Seconds the main process spent in each phase of the load (the workers parse meanwhile)."""

    seconds: dict[str, float] = field(default_factory=dict)
    # Trials created when the tables were last analyzed (``analyze_written``).
    analyzed_at: int = 0

    def add(self, phase: str, started: float) -> float:
        now = time.perf_counter()
        self.seconds[phase] = self.seconds.get(phase, 0.0) + now - started
        return now


def write_batch(
    trials: list[PreparedTrial],
    failed: list[RecordReport],
    unchanged: list[Unchanged] = (),
    *,
    run_id: int,
    vocab: VocabularyIds,
    times: PhaseTimes,
) -> list[RecordReport]:
    """Copy ``trials`` (all new to the catalogue) and the outcomes of the batch; returns the reports.

    The run's counters are the caller's: it adds them up from the reports."""
    started = time.perf_counter()
    vocab.load_organizations(trials)
    conditions = [[vocab.condition(ref) for _, ref in t.conditions] for t in trials]
    drugs = [[sorted({vocab.drug(d) for d in resolved}) for resolved in t.intervention_drugs] for t in trials]
    started = times.add("vocabulary rows", started)
    with transaction.atomic():
        with connection.cursor() as wrapper:
            cursor = wrapper.cursor
            trial_ids = _take_ids(cursor, Trial, len(trials))
            source_ids = _take_ids(cursor, SourceRecord, len(trials))
            _create_staging(cursor)
            writer = _RowWriter(cursor, trials, trial_ids, source_ids)
            writer.copy_all(vocab, conditions, drugs)
            started = times.add("COPY", started)
            _index_and_publish(cursor, trial_ids.values)
            started = times.add("search structures", started)
            reports = [_created(t, trial_ids.values[i], source_ids.values[i]) for i, t in enumerate(trials)]
            reports += [_unchanged(u) for u in unchanged] + failed
            _copy_outcomes(cursor, run_id, reports)
            if unchanged:
                cursor.execute(
                    f"UPDATE {SourceRecord._meta.db_table} SET last_seen_at = %s WHERE id = ANY(%s)",
                    [timezone.now(), [u.source_id for u in unchanged]],
                )
        if trials:  # the new trials, so that in-memory search snapshots can catch up with them
            transaction.on_commit(partial(search_index.catalogue_changed, list(trial_ids.values)))
    times.add("commit (deferred foreign key checks)", started)
    return reports


STAGING = "bulk_staging_trial"
# The tables a batch writes, analyzed as the load grows them (``analyze_written``).
_WRITTEN = (
    Trial,
    RegistryId,
    TrialCondition,
    TrialMeshTerm,
    Arm,
    Intervention,
    Intervention.drugs.through,
    Intervention.arms.through,
    Outcome,
    Site,
    Contact,
    SourceRecord,
)


def analyze_written() -> None:
    """Fresh planner statistics for the tables the load fills. Tables that grew from a few rows
    to many since autovacuum last looked get per-trial sequential scans in ``search_index``'s
    subqueries (each trial's drugs found by reading every intervention's drug links), and costs
    high enough to JIT-compile each statement (1.5 s a batch): the load gets quadratic.

    Only the columns the load's statements find rows by (``_looked_up_by``): the tables' row
    counts, which any ANALYZE sets, and those columns' statistics are what their plans need. The
    trial table's search vector and facet arrays took 98 % of a whole ANALYZE of it (3.0 s of 3.05 at
    10,000 trials, in the main process's backend beside the loading workers). Autovacuum still
    analyzes every column later: an ANALYZE of some columns leaves its count of changes as it was."""
    with connection.cursor() as cursor:
        cursor.execute(
            "ANALYZE " + ", ".join(f"{model._meta.db_table} ({', '.join(_looked_up_by(model))})" for model in _WRITTEN)
        )


# The columns a study is matched on (``match``), besides keys.
_MATCHED_ON = {RegistryId: ["scheme", "value"], SourceRecord: ["sha256"]}


def _looked_up_by(model) -> list[str]:
    """Its primary key, its foreign keys and the columns a study is matched on."""
    keys = [f.column for f in model._meta.concrete_fields if f.primary_key or f.is_relation]
    return keys + _MATCHED_ON.get(model, [])


def _create_staging(cursor) -> None:
    """A session's own empty copy of the trial table's shape (emptied here, not on commit: a
    caller's outer transaction, as in tests, may hold several batches)."""
    cursor.execute("SELECT to_regclass(%s)", [f"pg_temp.{STAGING}"])
    if cursor.fetchone()[0] is None:
        cursor.execute(f"CREATE TEMPORARY TABLE {STAGING} (LIKE {Trial._meta.db_table} INCLUDING DEFAULTS)")
        cursor.execute(f"ALTER TABLE {STAGING} ALTER COLUMN record_snapshot DROP NOT NULL")
    else:
        cursor.execute(f"TRUNCATE {STAGING}")


def _index_and_publish(cursor, trial_ids: list[int]) -> None:
    """The staged trials into ``trials_trial`` with their search documents, in one statement."""
    conditions = search_index.condition_facets(cursor, trial_ids)
    cursor.execute(_PUBLISH_SQL, [list(conditions), list(conditions.values())])


# Each trial reaches the real table and its indexes once, its search document computed on the way
# by ``search_index``'s own expressions (over the staged row as ``t``), so the document is defined
# once, there. The merged record is the source's snapshot for all but rare shapes: staged as NULL
# then, and taken from the source record copied just before, as PostgreSQL stored it (already
# parsed and compressed), instead of a second copy of the JSON parsed and compressed again.
_DOCUMENT = search_index.DOCUMENT
_STAGED_COLUMNS = [f.column for f in Trial._meta.concrete_fields if f.column not in {*_DOCUMENT, "record_snapshot"}]
_PUBLISH_SQL = f"""
INSERT INTO {Trial._meta.db_table} ({", ".join([*_STAGED_COLUMNS, "record_snapshot", *_DOCUMENT])})
SELECT {", ".join(f"t.{column}" for column in _STAGED_COLUMNS)},
    coalesce(t.record_snapshot, src.snapshot),
    {", ".join(_DOCUMENT.values())}
FROM {STAGING} AS t
JOIN unnest(%s::bigint[], %s::text[]) AS v(id, joined) ON v.id = t.id
LEFT JOIN {SourceRecord._meta.db_table} AS src ON t.record_snapshot IS NULL AND src.trial_id = t.id
"""


def _take_ids(cursor, model, count: int) -> _Ids:
    table = model._meta.db_table
    cursor.execute(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, %s)", [count])
    return _Ids([row[0] for row in cursor.fetchall()])


def _copy(cursor, model_or_table, columns: list[str], rows, binary_types: list[str] | None = None) -> None:
    """COPY ``rows`` in text form, or in binary with these wire types (``_SOURCE_TYPES``)."""
    table = model_or_table if isinstance(model_or_table, str) else model_or_table._meta.db_table
    binary = " (FORMAT BINARY)" if binary_types else ""
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN{binary}") as copy:
        if binary_types:
            copy.set_types(binary_types)
        for row in rows:
            copy.write_row(row)


# Source records are copied in binary: the raw study (18 kB) travels as it is instead of as hex
# text that psycopg writes and PostgreSQL parses back (0.07 ms of the worker's CPU a study and
# 0.09 ms of PostgreSQL's). The snapshot goes in jsonb's binary form, a version byte then the JSON
# text, sent as plain bytes (psycopg's jsonb dumper would encode a str again as a JSON string).
_SOURCE_COLUMNS = [
    "id",
    "trial_id",
    "format",
    "origin",
    "raw",
    "sha256",
    "parser_version",
    "snapshot",
    "imported_at",
    "last_seen_at",
]
_SOURCE_TYPES = ["int8", "int8", "text", "text", "bytea", "text", "text", "bytea", "timestamptz", "timestamptz"]
_JSONB_VERSION = b"\x01"


class _RowWriter:
    def __init__(self, cursor, trials: list[PreparedTrial], trial_ids: _Ids, source_ids: _Ids):
        self.cursor, self.trials = cursor, trials
        self.trial_ids, self.source_ids = trial_ids.values, source_ids.values
        self.now = timezone.now()

    def copy_all(self, vocab: VocabularyIds, conditions: list[list[int]], drugs: list[list[list[int]]]) -> None:
        c, trials, ids, now = self.cursor, self.trials, self.trial_ids, self.now
        _copy(
            c,
            SourceRecord,
            _SOURCE_COLUMNS,
            (
                (
                    self.source_ids[i],
                    ids[i],
                    ctgov_json.FORMAT,
                    t.origin,
                    t.raw,
                    t.sha256,
                    ctgov_json.VERSION,
                    _JSONB_VERSION + t.snapshot_json.encode(),
                    now,
                    now,
                )
                for i, t in enumerate(trials)
            ),
            _SOURCE_TYPES,
        )
        _copy(
            c,
            STAGING,
            ["id", "lead_sponsor_id", "record_snapshot", "field_sources", "created_at", "updated_at", *TRIAL_COLUMNS],
            (
                (
                    ids[i],
                    vocab.organization(t.sponsor) if t.sponsor else None,
                    None if t.merged_json is t.snapshot_json else t.merged_json,
                    json.dumps(dict.fromkeys(t.field_keys, self.source_ids[i])),
                    now,
                    now,
                    *t.trial,
                )
                for i, t in enumerate(trials)
            ),
        )
        _copy(
            c,
            RegistryId,
            ["trial_id", "scheme", "value", "issuer"],
            ((ids[i], *r) for i, t in enumerate(trials) for r in t.registry_ids),
        )
        _copy(
            c,
            Trial.collaborators.through._meta.db_table,
            ["trial_id", "organization_id"],
            ((ids[i], vocab.organization(o)) for i, t in enumerate(trials) for o in t.collaborators),
        )
        _copy(
            c,
            TrialCondition,
            ["trial_id", "condition_id", "source_term", "position"],
            (
                (ids[i], conditions[i][p], term, p)
                for i, t in enumerate(trials)
                for p, (term, _) in enumerate(t.conditions)
            ),
        )
        _copy(
            c,
            TrialMeshTerm,
            ["trial_id", "branch", "mesh_id", "term", "is_ancestor"],
            ((ids[i], *m) for i, t in enumerate(trials) for m in t.mesh_terms),
        )
        self._copy_arms_and_interventions(drugs)
        _copy(
            c,
            Outcome,
            ["trial_id", "kind", "measure", "description", "time_frame", "position"],
            ((ids[i], *o) for i, t in enumerate(trials) for o in t.outcomes),
        )
        self._copy_sites_and_contacts()

    def _copy_arms_and_interventions(self, drugs: list[list[list[int]]]) -> None:
        c, trials = self.cursor, self.trials
        arm_ids = _take_ids(c, Arm, sum(len(t.arms) for t in trials)).values
        iv_ids = _take_ids(c, Intervention, sum(len(t.interventions) for t in trials)).values
        arm_rows, iv_rows, links, drug_links = [], [], [], []
        a = v = 0
        for i, t in enumerate(trials):
            arms_of = arm_ids[a : a + len(t.arms)]
            ivs_of = iv_ids[v : v + len(t.interventions)]
            a, v = a + len(t.arms), v + len(t.interventions)
            arm_rows += [(pk, self.trial_ids[i], *row) for pk, row in zip(arms_of, t.arms, strict=True)]
            iv_rows += [(pk, self.trial_ids[i], *row) for pk, row in zip(ivs_of, t.interventions, strict=True)]
            links += [(ivs_of[j], arms_of[k]) for j, k in t.arm_links]
            drug_links += [(ivs_of[j], drug) for j, ids in enumerate(drugs[i]) for drug in ids]
        _copy(c, Arm, ["id", "trial_id", "label", "type", "description", "position"], arm_rows)
        _copy(
            c,
            Intervention,
            ["id", "trial_id", "type", "name", "description", "other_names", "position", "is_placebo"],
            iv_rows,
        )
        _copy(c, Intervention.arms.through._meta.db_table, ["intervention_id", "arm_id"], links)
        _copy(c, Intervention.drugs.through._meta.db_table, ["intervention_id", "drug_id"], drug_links)

    def _copy_sites_and_contacts(self) -> None:
        c, trials = self.cursor, self.trials
        site_ids = _take_ids(c, Site, sum(len(t.sites) for t in trials)).values
        site_rows, contact_rows = [], []
        s = 0
        for i, t in enumerate(trials):
            trial_id = self.trial_ids[i]
            contact_rows += [(trial_id, None, *row) for row in t.contacts]
            for row, contacts in zip(t.sites, t.site_contacts, strict=True):
                site_rows.append((site_ids[s], trial_id, *row))
                contact_rows += [(trial_id, site_ids[s], *contact) for contact in contacts]
                s += 1
        _copy(
            c,
            Site,
            [
                "id",
                "trial_id",
                "facility",
                "city",
                "state",
                "postal_code",
                "country",
                "country_code",
                "status",
                "latitude",
                "longitude",
                "coordinates_from",
                "position",
            ],
            site_rows,
        )
        _copy(
            c,
            Contact,
            ["trial_id", "site_id", "kind", "name", "role", "phone", "email", "affiliation", "position"],
            contact_rows,
        )


def _created(t: PreparedTrial, trial_id: int, source_id: int) -> RecordReport:
    return RecordReport(
        source=t.origin,
        outcome=CREATED,
        trial_id=trial_id,
        registry_ids=t.outcome_ids,
        error="; ".join(t.warnings) or None,
        changed_fields=t.changed_fields,
        source_record_id=source_id,
    )


def _unchanged(u: Unchanged) -> RecordReport:
    return RecordReport(u.trial.origin, UNCHANGED, u.trial_id, u.trial.outcome_ids, None, [], u.source_id)


def _copy_outcomes(cursor, run_id: int, reports: list[RecordReport]) -> None:
    _copy(
        cursor,
        ImportOutcome,
        ["run_id", "source", "outcome", "trial_id", "source_record_id", "registry_ids", "changed_fields", "error"],
        (
            (
                run_id,
                r.source[:1000],
                r.outcome,
                r.trial_id,
                r.source_record_id,
                r.registry_ids,
                r.changed_fields,
                r.error or "",
            )
            for r in reports
        ),
    )
