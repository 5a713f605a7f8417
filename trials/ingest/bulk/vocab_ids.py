"""Main-process side of the vocabulary: the row ids of the organizations, conditions and drugs
that prepared studies name by key, cached for the whole run.

A key seen for the first time is given its row the per-record way (``rows.condition_row``,
``rows.drug_rows``: created with its search text and classes when new), so the bulk path writes
the same vocabulary rows; organizations, the one kind met by the thousand, are looked up and
created for a whole batch at once.
"""

from __future__ import annotations

from django.db import connection

from trials.ingest.bulk.prepare import ConditionRef, PreparedTrial
from trials.models import Condition, Organization
from trials.vocab.drugs import ResolvedDrug
from trials.vocab.rows import condition_row, drug_rows


def curated_conditions() -> dict[str, str]:
    """{wording key or alias: MeSH id} of every condition a curator mapped (one query)."""
    curated: dict[str, str] = {}
    for key, aliases, mesh_id in Condition.objects.filter(mapped_by_curator=True).values_list(
        "key", "aliases", "mesh_id"
    ):
        for name in (key, *aliases):
            curated.setdefault(name, mesh_id)
    return curated


class VocabularyIds:
    def __init__(self):
        self._organizations: dict[tuple[str, str], int] = {}
        self._conditions: dict[tuple, int] = {}
        self._drugs: dict[str, int] = {}

    def load_organizations(self, trials: list[PreparedTrial]) -> None:
        """Ids of every sponsor and collaborator of ``trials``; the new ones are inserted (two queries)."""
        wanted = {org for t in trials for org in ([t.sponsor] if t.sponsor else []) + t.collaborators}
        missing = sorted(wanted - self._organizations.keys())
        if not missing:
            return
        names, classes = [list(column) for column in zip(*missing, strict=True)]
        table = Organization._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (name, agency_class) SELECT * FROM unnest(%s::text[], %s::text[]) "
                "ON CONFLICT (name, agency_class) DO NOTHING",
                [names, classes],
            )
            cursor.execute(
                f"SELECT o.name, o.agency_class, o.id FROM {table} o "
                "JOIN unnest(%s::text[], %s::text[]) AS w(name, agency_class) USING (name, agency_class)",
                [names, classes],
            )
            self._organizations.update(((name, cls), pk) for name, cls, pk in cursor.fetchall())

    def organization(self, key: tuple[str, str]) -> int:
        return self._organizations[key]

    def condition(self, ref: ConditionRef) -> int:
        pk = self._conditions.get(ref.key)
        if pk is None:
            pk = self._conditions[ref.key] = condition_row(ref.term, ref.study_meshes)[0].pk
        return pk

    def drug(self, resolved: ResolvedDrug) -> int:
        key = resolved.key[:300]
        pk = self._drugs.get(key)
        if pk is None:
            pk = self._drugs[key] = drug_rows([resolved])[0].pk
        return pk
