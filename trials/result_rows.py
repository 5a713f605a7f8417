"""The trials of one page of results, by id, in one statement built once per database.

The in-memory engine knows a page's trial ids; what a result shows of them (``TRIAL_FIELDS``,
the lead sponsor, the registry ids, the conditions) was read by the ORM in three queries, each
built anew, and its prefetching: about 6 ms a page at 600,000 trials, where PostgreSQL takes
0.5 ms. Here the same rows come from one statement, the ORM's own SQL compiled once, and become
the same model instances the ORM makes (``Model.from_db``, the children as prefetched querysets),
so everything that shows a result reads them unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connections
from django.db.models import BooleanField, F, Model, OuterRef, QuerySet
from django.db.models.expressions import Col, RawSQL
from django.db.models.functions import JSONObject

from trials.models import Organization, RegistryId, Trial, TrialCondition

# What a result shows of a trial beside its sponsor and its children: its own columns, no more.
_DATES = [f"{name}_date{part}" for name in ("start", "primary_completion", "completion", "last_update")
          for part in ("", "_precision", "_type")]  # fmt: skip
TRIAL_FIELDS = (
    *("brief_title", "official_title", "acronym", "overall_status", "phases", "study_type", "has_results"),
    *("enrollment_count", "enrollment_type", "facet_drugs"),
    *_DATES,
)
SPONSOR_FIELDS = ("name", "agency_class")
# The children a result lists, in their own order, and the columns read of each.
CHILDREN = {
    "registry_ids": (RegistryId, ("id", "scheme", "value", "issuer"), ("id",)),
    "trial_conditions": (TrialCondition, ("id", "source_term"), ("position", "id")),
}
_IDS = "ids-of-the-page"  # stands for the page's ids while the statement is built


def result_trials_by_id(ids: list[int], using: str) -> list[Trial]:
    """The trials of ``ids`` that exist, in no particular order, as ``search_results.result_trials``
    reads them: one query (none for no ids)."""
    return _statement(using).trials(ids, using) if ids else []


@dataclass(frozen=True)
class _Statement:
    sql: str
    params: tuple  # the compiler's, ``_IDS`` standing for the page's ids
    trial_columns: list[str]  # the first columns: the trial's own, in its fields' order
    children: list[str]  # the next: each child relation's rows, as JSON objects
    converters: dict  # column index -> (its converters, its expression), as the compiler applies them

    def trials(self, ids: list[int], using: str) -> list[Trial]:
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, [ids if param == _IDS else param for param in self.params])
            rows = cursor.fetchall()
        return [self._trial(self._converted(row, connection), using) for row in rows]

    def _converted(self, row: tuple, connection) -> list:
        values = list(row)
        for i, (converters, expression) in self.converters.items():
            for convert in converters:
                values[i] = convert(values[i], expression, connection)
        return values

    def _trial(self, values: list, using: str) -> Trial:
        mine = len(self.trial_columns)
        trial = Trial.from_db(using, self.trial_columns, values[:mine])
        children = values[mine : mine + len(self.children)]
        sponsor = values[mine + len(self.children) :]  # SPONSOR_FIELDS
        trial.lead_sponsor = (
            Organization.from_db(using, ["id", *SPONSOR_FIELDS], [trial.lead_sponsor_id, *sponsor])
            if trial.lead_sponsor_id is not None
            else None
        )
        trial._prefetched_objects_cache = {
            name: _prefetched(CHILDREN[name][0], rows or [], trial.pk, using)
            for name, rows in zip(self.children, children, strict=True)
        }
        return trial


def _prefetched(model: type[Model], rows: list[dict], trial_id: int, using: str) -> QuerySet:
    """A queryset of ``model`` holding ``rows`` (their columns by name) as its results, as
    ``prefetch_related`` leaves it."""
    found = QuerySet(model=model, using=using)
    names = _in_field_order(model)  # as Model.from_db takes them
    found._result_cache = [
        model.from_db(using, names, [trial_id if name == "trial_id" else row[name] for name in names]) for row in rows
    ]
    found._prefetch_done = True
    return found


@cache
def _in_field_order(model: type[Model]) -> list[str]:
    """The trial and the columns read of a child ``model``, in its fields' order."""
    names = {"trial_id", *next(columns for m, columns, _ in CHILDREN.values() if m is model)}
    return [field.attname for field in model._meta.concrete_fields if field.attname in names]


@cache
def _statement(using: str) -> _Statement:
    children = {
        f"rows_of_{name}": ArraySubquery(
            model.objects.filter(trial=OuterRef("pk"))
            .order_by(*order)
            .values(row=JSONObject(**{column: column for column in columns}))
        )
        for name, (model, columns, order) in CHILDREN.items()
    }
    sponsor = {f"sponsor_{name}": F(f"lead_sponsor__{name}") for name in SPONSOR_FIELDS}
    page = RawSQL(f"{Trial._meta.db_table}.id = ANY(%s)", (_IDS,), output_field=BooleanField())
    queryset = Trial.objects.only(*TRIAL_FIELDS, "lead_sponsor").annotate(**children, **sponsor).filter(page).order_by()
    compiler = queryset.query.get_compiler(using=using)
    sql, params = compiler.as_sql()
    assert list(params).count(_IDS) == 1, params  # the rest are constants (the children's keys)
    names = [alias or expression.target.attname for expression, _, alias in compiler.select]
    trial_columns = names[: names.index(next(iter(children)))]
    assert names[len(trial_columns) :] == [*children, *sponsor], names  # as _Statement._trial reads them
    assert all(isinstance(e, Col) for e, _, _ in compiler.select[: len(trial_columns)])
    return _Statement(
        sql,
        tuple(params),
        trial_columns,
        [name.removeprefix("rows_of_") for name in children],
        compiler.get_converters([e for e, _, _ in compiler.select]),
    )
