"""Facet counts: for each search dimension, how many of the matching trials have each value.

A dimension's counts apply every other selection but not its own, so a person can widen a
choice (the number beside an unticked value is what ticking it alone would give). Dimensions
that share the same filters are counted together in one query over one scan of the matching
trials (``WITH r AS (...)``, one ``UNION ALL`` arm per dimension), so a search with nothing ticked
costs a single counting query and each ticked dimension one more.

Each facet lists its ``limit`` largest values, fetched as ``limit + 1`` to know whether more
exist; selected values are always listed. The two trees (condition, drug class) list their top
level, and under each selected value (and the values above it) the values one level down.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.utils.http import urlencode

from trials.engine import engine
from trials.engine.counting import Search
from trials.facet_labels import FacetLabels, FacetValue
from trials.filters import ACCEPTED_SEXES, TrialFilterSet, url_value
from trials.models import Trial
from trials.search_index import catalogue_version


@dataclass(frozen=True)
class Dimension:
    name: str  # the filter it feeds
    title: str
    arm: str  # SQL of one UNION ALL arm over r, with {pin} and {limit} placeholders
    columns: tuple[str, ...]  # Trial columns the arm reads
    limit: int = 10
    tree: bool = False


def _array(column: str, where: str = "") -> str:
    return (
        f"SELECT %s, v::text, count(*), v::text = ANY(%s) FROM r, unnest(r.{column}) v {where} "
        "GROUP BY v ORDER BY 4 DESC, 3 DESC, 2 LIMIT %s"
    )


def _scalar(column: str, cast: str = "") -> str:
    return (
        f"SELECT %s, r.{column}{cast}, count(*), r.{column}{cast} = ANY(%s) FROM r "
        f"WHERE r.{column} IS NOT NULL AND r.{column}{cast} <> '' GROUP BY 2 ORDER BY 4 DESC, 3 DESC, 2 LIMIT %s"
    )


_SEX_ARM = (
    "SELECT %s, s.v, count(r.sex), s.v = ANY(%s) FROM (VALUES ('FEMALE'), ('MALE')) s(v) "
    "JOIN r ON r.sex = s.v OR r.sex = 'ALL' GROUP BY s.v ORDER BY 4 DESC, 3 DESC, 2 LIMIT %s"
)
assert set(ACCEPTED_SEXES) == {"FEMALE", "MALE"}  # what _SEX_ARM counts

DIMENSIONS = (
    Dimension("status", "Recruitment status", _scalar("overall_status"), ("overall_status",), limit=20),
    Dimension("phase", "Phase", _array("phases"), ("phases",)),
    Dimension("condition", "Condition", _array("facet_conditions", "WHERE v = ANY(%s)"), ("facet_conditions",),
              limit=40, tree=True),
    Dimension("drug", "Drug", _array("facet_drugs"), ("facet_drugs",)),
    Dimension("drug_class", "Drug class", _array("facet_drug_classes", "WHERE v = ANY(%s)"),
              ("facet_drug_classes",), limit=40, tree=True),
    Dimension("intervention_type", "Intervention type", _array("facet_intervention_types"),
              ("facet_intervention_types",), limit=20),
    Dimension("study_type", "Study type", _scalar("study_type"), ("study_type",)),
    Dimension("sponsor_class", "Sponsor type", _scalar("facet_sponsor_class"), ("facet_sponsor_class",)),
    Dimension("country", "Country", _array("facet_countries"), ("facet_countries",)),
    Dimension("age", "Age group", _array("std_ages"), ("std_ages",)),
    Dimension("sex", "Sex", _SEX_ARM, ("sex",)),
    Dimension("healthy_volunteers", "Healthy volunteers", _scalar("healthy_volunteers", "::text"),
              ("healthy_volunteers",)),
    Dimension("has_results", "Results", _scalar("has_results", "::text"), ("has_results",)),
)  # fmt: skip
BY_NAME = {dimension.name: dimension for dimension in DIMENSIONS}
EXPANDED_LIMIT = 100
_TOTAL = "__total__"


@dataclass
class Facet:
    name: str
    title: str
    values: list[FacetValue] = field(default_factory=list)
    truncated: bool = False  # more values exist than are listed
    expanded: bool = False  # the search asked for more of its values (``expand``)
    more_url: str = ""  # the search with this facet expanded, or no longer
    failed: bool = False  # counting failed; the page shows the rest

    def as_json(self) -> list[dict]:
        return [
            {"value": v.value, "label": v.label, "count": v.count, "selected": v.selected, "depth": v.depth}
            for v in self.values
        ]


@dataclass
class FacetCounts:
    total: int
    facets: list[Facet]
    search: Search | None = None  # the in-memory search that counted them, when there was one
    version: int | None = None  # the catalogue's, which they are of


def count_facets(filterset: TrialFilterSet, url: Callable[[dict], str] | None = None) -> FacetCounts:
    """The number of matching trials and every dimension's counts.

    Queries: the catalogue's version; when the counts are not cached, one per distinct set of
    applied filters (one when nothing is ticked, plus one per dimension with a ticked value);
    plus what the labels need (``FacetLabels``, names of this version).
    """
    version = catalogue_version()
    labels = FacetLabels(filterset, version)
    (total, rows), search = _cached_counts(filterset, labels, version)
    facets = []
    for dimension in DIMENSIONS:
        found = rows.get(dimension.name, [])
        build = labels.tree if dimension.tree else labels.flat
        limit = _limit(filterset, dimension)
        facet = Facet(dimension.name, dimension.title, truncated=len(found) > limit)
        facet.expanded = dimension.name in filterset.selected("expand")
        facet.values = build(dimension.name, found[:limit] if not dimension.tree else found)
        for value in facet.values:
            value.toggle_url = url(labels.toggled(dimension.name, value.value)) if url else ""
        if url and (facet.truncated or facet.expanded):
            facet.more_url = url(labels.toggled("expand", dimension.name))
        facets.append(facet)
    return FacetCounts(total, facets, search, version)


def _cached_counts(
    filterset: TrialFilterSet, labels: FacetLabels, version: int
) -> tuple[tuple[int, dict], Search | None]:
    """The counts of this search at the catalogue's ``version``, from the cache when they were
    counted at it, else counted and kept; and the in-memory search of this version, when there is
    one (it also gives the result pages)."""
    search = {name: values for name, values in filterset.params().items() if name != "sort"}
    digest = hashlib.sha256(json.dumps(search, sort_keys=True).encode()).hexdigest()
    key = f"facets:{version}:{digest}"
    search = engine(filterset, version)
    counts = cache.get(key)
    if counts is None:
        counts = _counts(filterset, labels, search)
        cache.set(key, counts, settings.FACET_CACHE_SECONDS)
    return counts, search


def _counts(filterset: TrialFilterSet, labels: FacetLabels, search: Search | None = None) -> tuple[int, dict]:
    """Counted by the in-memory ``search`` when there is one, else by SQL: the same rows."""
    groups: dict[str, list[Dimension]] = {"": []}
    for dimension in DIMENSIONS:
        own = dimension.name if filterset.selected(dimension.name) else ""
        groups.setdefault(own, []).append(dimension)
    rows: dict[str, list[tuple[str, int, bool]]] = {}
    total = 0
    for excluded, dimensions in groups.items():
        count_group = _count_group_in_memory if search is not None else _count_group
        for name, value, count, pinned in count_group(filterset, excluded, dimensions, labels, search):
            if name == _TOTAL:
                total = count
            else:
                rows.setdefault(name, []).append((value, count, pinned))
    return total, rows


def _count_group_in_memory(filterset, excluded: str, dimensions: list[Dimension], labels: FacetLabels, search):
    mask = search.matching(excluded)
    rows = [] if excluded else [(_TOTAL, "", search.count(mask), False)]
    for dimension in dimensions:
        candidates = set(labels.candidates(dimension.name)) if dimension.tree else None
        limit = _limit(filterset, dimension) + 1 if not dimension.tree else 1000
        selected = [url_value(v) for v in filterset.selected(dimension.name)]
        found = search.top(dimension.name, mask, selected, limit, candidates)
        rows += [(dimension.name, value, count, pinned) for value, count, pinned in found]
    return rows


def _count_group(filterset, excluded: str, dimensions: list[Dimension], labels: FacetLabels, search=None):
    trials = filterset.filter_queryset(Trial.objects.all(), exclude={excluded} if excluded else ())
    columns = sorted({column for dimension in dimensions for column in dimension.columns} | {"id"})
    base_sql, base_params = trials.order_by().values(*columns).query.sql_with_params()
    arms, params = [], []
    if not excluded:  # the group with every filter applied also gives the number of results
        arms.append("SELECT %s, '', count(*), false FROM r")
        params.append(_TOTAL)
    for dimension in dimensions:
        arms.append(f"({dimension.arm})")
        params += [dimension.name, [url_value(v) for v in filterset.selected(dimension.name)]]
        if dimension.tree:
            params.append(labels.candidates(dimension.name))
        params.append(_limit(filterset, dimension) + 1 if not dimension.tree else 1000)
    sql = f"WITH r AS ({base_sql}) " + " UNION ALL ".join(arms)
    # On the server the queryset reads from (a replica for public pages when there are replicas).
    with connections[trials.db].cursor() as cursor:
        cursor.execute(sql, [*base_params, *params])
        return cursor.fetchall()


def _limit(filterset: TrialFilterSet, dimension: Dimension) -> int:
    """How many values a facet lists: its ``limit``, or ``EXPANDED_LIMIT`` when the search asks
    for more of it (``expand=drug``)."""
    return EXPANDED_LIMIT if dimension.name in filterset.selected("expand") else dimension.limit


def search_url(path: str, params: dict[str, list[str]]) -> str:
    """``path`` with the search's parameters (lists repeat the parameter), page reset to the first."""
    query = urlencode({name: values for name, values in params.items() if values and name != "page"}, doseq=True)
    return f"{path}?{query}" if query else path
