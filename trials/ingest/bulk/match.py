"""Which prepared studies the catalogue already knows, and which of those are unchanged.

A study is new when none of its unique registry ids and not its source is in the catalogue or
earlier in its batch: only new studies are copied. Of the known ones, those ``loader._load``
would find unchanged are counted in bulk; the others go through the per-record path.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from trials.ingest.bulk.prepare import PreparedTrial
from trials.ingest.parsers import ctgov_json
from trials.models import RegistryId, SourceRecord


def split_known(trials: list[PreparedTrial]) -> tuple[list[PreparedTrial], list[PreparedTrial]]:
    """(new, known): a study is known when one of its unique registry ids or its source is in the
    catalogue, or an earlier study of the batch has one of them (two queries)."""
    pairs = sorted({pair for t in trials for pair in t.unique_ids})
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT r.scheme, r.value FROM {RegistryId._meta.db_table} r "
            "JOIN unnest(%s::text[], %s::text[]) AS w(scheme, value) USING (scheme, value)",
            [[p[0] for p in pairs], [p[1] for p in pairs]],
        )
        taken = set(cursor.fetchall())
        cursor.execute(
            f"SELECT sha256 FROM {SourceRecord._meta.db_table} WHERE sha256 = ANY(%s)", [[t.sha256 for t in trials]]
        )
        taken |= {("sha256", sha) for (sha,) in cursor.fetchall()}
    new, known = [], []
    for t in trials:
        keys = [*t.unique_ids, ("sha256", t.sha256)]
        (known if any(k in taken for k in keys) else new).append(t)
        taken.update(keys)
    return new, known


@dataclass(frozen=True)
class Unchanged:
    """A known study whose source the catalogue holds, read the same way, on its trial."""

    trial: PreparedTrial
    trial_id: int
    source_id: int


def find_unchanged(known: list[PreparedTrial]) -> tuple[list[Unchanged], list[PreparedTrial]]:
    """(unchanged, rest) of the known studies: unchanged as ``loader._load`` finds it, the same
    source bytes with the same parser version and snapshot, on the trial that holds the study's
    NCT id (one query). A file imported again is counted here, not record by record; the rest
    (and any study with several NCT ids) goes to the per-record path."""
    single = {i: t for i, t in enumerate(known) if sum(scheme == "NCT" for scheme, _ in t.unique_ids) == 1}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT w.i, s.id, s.trial_id FROM unnest(%s::int[], %s::text[], %s::text[], %s::jsonb[])"
            " AS w(i, sha256, nct, snapshot)"
            f" JOIN {SourceRecord._meta.db_table} s ON s.sha256 = w.sha256"
            "  AND s.parser_version = %s AND s.snapshot = w.snapshot"
            f" JOIN {RegistryId._meta.db_table} r ON r.scheme = 'NCT' AND r.value = w.nct AND r.trial_id = s.trial_id",
            [
                list(single),
                [t.sha256 for t in single.values()],
                [next(value for scheme, value in t.unique_ids if scheme == "NCT") for t in single.values()],
                [t.snapshot_json for t in single.values()],
                ctgov_json.VERSION,
            ],
        )
        found = {i: (source_id, trial_id) for i, source_id, trial_id in cursor.fetchall()}
    unchanged = [Unchanged(known[i], trial_id, source_id) for i, (source_id, trial_id) in sorted(found.items())]
    return unchanged, [t for i, t in enumerate(known) if i not in found]
