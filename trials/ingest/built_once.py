"""Statements that the loader runs for every record, built once: SELECTs of model rows (by the
ORM), and UPDATEs of a row's changed columns.

Building a statement (the compiler walking the query, its columns and joins) cost the import as
much CPU as PostgreSQL running it, and a raw query's loading of the model about as much again:
the loader asks the same three or four things of every record, with new values each time.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet


@dataclass(frozen=True)
class BuiltSelect:
    """A queryset's SQL and what turns its rows into model instances, as the ORM would."""

    model: type[Model]
    sql: str
    attnames: list[str]
    converters: dict  # column index -> (its converters, its expression), as the compiler applies them

    @classmethod
    def of(cls, queryset: QuerySet, params: tuple, using: str) -> BuiltSelect:
        """``queryset``, built with ``params`` as its parameters, in that order (stand-ins for the
        values each run gives)."""
        compiler = queryset.query.get_compiler(using=using)
        sql, built = compiler.as_sql()
        assert tuple(built) == tuple(params), (built, params)
        columns = [col for col, _, _ in compiler.select]
        return cls(queryset.model, sql, [col.target.attname for col in columns], compiler.get_converters(columns))

    def rows(self, params: list, using: str) -> list[Model]:
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        found = []
        for row in rows:
            values = list(row)
            for i, (converters, expression) in self.converters.items():
                for convert in converters:
                    values[i] = convert(values[i], expression, connection)
            found.append(self.model.from_db(using, self.attnames, values))
        return found


def update_columns(obj: Model, names: list[str], using: str) -> None:
    """``obj.save(update_fields=names)`` without the ORM's statement building: the same values
    (``pre_save``: an ``auto_now`` column takes the time now), the UPDATE built once per set of
    columns. No signals are sent (the catalogue has none)."""
    connection = connections[using]
    values, placeholders = _column_values(obj, [obj._meta.get_field(name) for name in names], False, connection)
    with connection.cursor() as cursor:
        cursor.execute(_update_sql(type(obj), tuple(names), placeholders), [*values, obj.pk])


@cache
def _update_sql(model: type[Model], names: tuple[str, ...], placeholders: tuple[str, ...]) -> str:
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    fields = [model._meta.get_field(name) for name in names]
    columns = ", ".join(f"{quote(field.column)} = {p}" for field, p in zip(fields, placeholders, strict=True))
    return f"UPDATE {quote(model._meta.db_table)} SET {columns} WHERE {quote(model._meta.pk.column)} = %s"


def insert_row(obj: Model, using: str) -> None:
    """``obj.save()`` of a new row without the ORM's statement building: every column's value as the
    ORM sends it (``pre_save``: ``auto_now`` and ``auto_now_add`` columns take the time now), the
    INSERT built once per model (and placeholders); ``obj`` gets its primary key. No signals are sent."""
    connection = connections[using]
    values, placeholders = _column_values(obj, _inserted_fields(type(obj)), True, connection)
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(type(obj), placeholders), values)
        obj.pk = cursor.fetchone()[0]
    obj._state.adding, obj._state.db = False, using


def _column_values(obj: Model, fields: list, add: bool, connection) -> tuple[list, tuple[str, ...]]:
    """The fields' values as the ORM sends them, and each one's placeholder (``%s`` but for a field
    that says otherwise, such as a binary one on some databases)."""
    values = [field.get_db_prep_save(field.pre_save(obj, add), connection) for field in fields]
    placeholders = tuple(
        field.get_placeholder(value, None, connection) if hasattr(field, "get_placeholder") else "%s"
        for field, value in zip(fields, values, strict=True)
    )
    return values, placeholders


@cache
def _inserted_fields(model: type[Model]) -> list:
    return [field for field in model._meta.concrete_fields if field is not model._meta.auto_field]


@cache
def _insert_sql(model: type[Model], placeholders: tuple[str, ...]) -> str:
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    columns = ", ".join(quote(field.column) for field in _inserted_fields(model))
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    return f"INSERT INTO {table} ({columns}) VALUES ({', '.join(placeholders)}) RETURNING {pk}"
