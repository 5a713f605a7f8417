"""The portal's search URL parameters as the same question to Datasette's table page over the SQLite
export (``benchmarks/datasette_export.py``), with every facet of the search page asked for.

``translate("phase=PHASE2&status=RECRUITING")`` gives Datasette's parameters and notes on what
could not be said the same way. One value of a dimension becomes a column filter
(``overall_status__in=``, ``phases__arraycontains=``); several values (OR, as the portal reads
them) a ``_where`` over ``json_each``; free text ``_search`` in raw FTS5 syntax; "near" a ``_where``
over the ``sites`` table with the portal's bounding box and haversine distance; a page number the
``_next`` keyset token of the row before it (Datasette pages by keyset, not by offset).
"""

from __future__ import annotations

import math
import re
import sqlite3
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

PAGE_SIZE = 20  # the portal's TRIALS_PAGE_SIZE default
EARTH_RADIUS_KM = 6371.0088  # as trials.near
DEFAULT_RADIUS_KM = 50.0  # as trials.filters

SORTS = {"last_update": "last_update_date", "start_date": "start_date", "enrollment": "enrollment_count"}
_TRUE = ("true", "1", "yes", "on")
_TOKEN = re.compile(r'"[^"]*"?|\S+')


@dataclass
class Translation:
    params: list[tuple[str, str]]
    notes: list[str] = field(default_factory=list)

    def path(self, table: str = "/catalogue/trials", fmt: str = "") -> str:
        return f"{table}{fmt}?{urlencode(self.params)}"


def translate(query: str, sqlite_path=None, find_place=None) -> Translation:
    """Datasette's parameters for the portal's ``query``; ``sqlite_path`` is read for a page's
    keyset token, ``find_place(text) -> (latitude, longitude) | None`` names "near" places."""
    given: dict[str, list[str]] = {}
    for name, value in parse_qsl(query):
        given.setdefault(name, []).append(value)
    columns = dimension_columns()
    params = [("_facet_array" if kind == "array" else "_facet", column) for column, kind in columns.values()]
    params.append(("_size", str(PAGE_SIZE)))
    notes: list[str] = []
    for name, values in given.items():
        column, kind = columns.get(name, ("", ""))
        if name == "sex":  # a trial for all sexes accepts either
            params.append(("sex__in", ",".join(sorted({*values, "ALL"}))))
        elif kind == "array":
            if name == "age" and not all(value.isalpha() for value in values):
                raise ValueError("an age in years has no translation (the export has the age groups only)")
            params.append(_any_of(column, values))
        elif kind == "boolean":
            params += [(f"{column}__exact", "1" if v.lower() in _TRUE else "0") for v in values]
        elif kind:
            params.append((f"{column}__in", ",".join(values)))
        elif name == "q":
            params += [("_search", fts5_query(values[0])), ("_searchmode", "raw")]
            if "sort" not in given:
                notes.append("relevance order is not expressible (the table page does not sort by FTS rank)")
        elif name == "near":
            point = find_place(values[0]) if find_place else None
            if point is None:
                raise ValueError(f"no place {values[0]!r} to translate")
            radius = float(given.get("radius_km", [DEFAULT_RADIUS_KM])[0])
            params.append(("_where", near_where(*point, radius)))
        elif name == "sort" and values[0] not in SORTS:
            notes.append(f"sort={values[0]} is not expressible: most recently updated first instead")
        elif name not in ("sort", "radius_km", "page"):
            raise ValueError(f"{name}= has no translation")
    sort = SORTS.get(given.get("sort", ["last_update"])[0], "last_update_date")
    params.append(("_sort_desc", sort))
    if int(given.get("page", ["1"])[0]) > 1:
        if set(given) - {"page", "sort"}:
            raise ValueError("a page of a filtered search has no translation (its keyset token needs the filter)")
        params.append(("_next", page_token(sqlite_path, sort, int(given["page"][0]))))
        notes.append(
            "a keyset token (_next) computed from the export, where the portal uses an offset; Datasette "
            "counts its facets over the rows from the token on only (its facet SQL keeps the keyset condition), "
            "the portal over the whole search"
        )
    return Translation(params, notes)


def dimension_columns() -> dict[str, tuple[str, str]]:
    """The search page's facet dimensions, in its order: {name: (column, "array" | "boolean" | "scalar")}."""
    from django.contrib.postgres.fields import ArrayField
    from django.db.models import BooleanField

    from trials.facets import DIMENSIONS
    from trials.models import Trial

    columns = {}
    for dimension in DIMENSIONS:
        field = Trial._meta.get_field(dimension.columns[0])
        kind = "array" if isinstance(field, ArrayField) else "boolean" if isinstance(field, BooleanField) else "scalar"
        columns[dimension.name] = (field.column, kind)
    return columns


def fts5_query(text: str) -> str:
    """The portal's web-search syntax as an FTS5 query: words and "phrases" all required, ``-word``
    excluded. Each word is quoted, so FTS5 reads hyphens and operators in it as text."""
    kept, excluded = [], []
    for token in _TOKEN.findall(text):
        target = excluded if token.startswith("-") and len(token) > 1 else kept
        bare = token.lstrip("-").strip('"').replace('"', "")
        if bare:
            target.append(f'"{bare}"')
    return " ".join(kept) + "".join(f" NOT {word}" for word in excluded)


def near_where(latitude: float, longitude: float, radius_km: float) -> str:
    """Trials with a site within ``radius_km``: the portal's bounding box, then the haversine distance
    (``trials.near.sites_within``), in SQLite's math functions."""
    dlat = math.degrees(radius_km / EARTH_RADIUS_KM)
    box = [f"latitude BETWEEN {latitude - dlat!r} AND {latitude + dlat!r}"]
    cos_lat = math.cos(math.radians(latitude))
    if cos_lat > 1e-6:
        dlon = math.degrees(radius_km / (EARTH_RADIUS_KM * cos_lat))
        if dlon < 180 and longitude - dlon >= -180 and longitude + dlon <= 180:
            box.append(f"longitude BETWEEN {longitude - dlon!r} AND {longitude + dlon!r}")
    chord = (
        f"power(sin(radians(latitude - {latitude!r}) / 2), 2) + cos(radians({latitude!r})) * "
        f"cos(radians(latitude)) * power(sin(radians(longitude - {longitude!r}) / 2), 2)"
    )
    distance = f"{2 * EARTH_RADIUS_KM!r} * asin(sqrt(min({chord}, 1.0)))"
    return f"id IN (SELECT trial_id FROM sites WHERE {' AND '.join(box)} AND {distance} <= {radius_km!r})"


def page_token(sqlite_path, sort_column: str, page: int) -> str:
    """Datasette's ``_next`` for the ``page``-th page of the whole table sorted by ``sort_column``
    descending (NULLs last, then id): the sort value and id of the last row before it, tilde-encoded."""
    from datasette.utils import tilde_encode

    with sqlite3.connect(sqlite_path) as db:
        row = db.execute(
            f"SELECT {sort_column}, id FROM trials ORDER BY {sort_column} DESC, id LIMIT 1 OFFSET ?",
            [(page - 1) * PAGE_SIZE - 1],
        ).fetchone()
    value = "$null" if row[0] is None else tilde_encode(str(row[0]))
    return f"{value},{row[1]}"


def _any_of(column: str, values: list[str]) -> tuple[str, str]:
    if len(values) == 1:
        return f"{column}__arraycontains", values[0]
    quoted = ", ".join("'" + value.replace("'", "''") + "'" for value in values)
    return "_where", f"EXISTS (SELECT 1 FROM json_each({column}) WHERE value IN ({quoted}))"
