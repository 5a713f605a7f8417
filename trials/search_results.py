"""One search, composed: the URL's filters, then the facet counts, then sorting and paging, then
what each listed trial shows (its drugs with their classes, its nearest matching site, the matched
words highlighted). The pages, the API and the feeds all search through here.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.postgres.search import SearchHeadline, SearchQuery
from django.core.paginator import Page, Paginator
from django.db import router
from django.db.models import F, OuterRef, Prefetch, QuerySet, Subquery
from django.utils.safestring import SafeString, mark_safe

from trials.catalogue_names import catalogue_names
from trials.engine.pages import engine_results
from trials.facets import Facet, count_facets
from trials.filters import Notice, TrialFilterSet
from trials.models import Site, Trial
from trials.near import distance_km, sites_within
from trials.result_rows import CHILDREN, SPONSOR_FIELDS, TRIAL_FIELDS
from trials.search import SEARCH_CONFIG
from trials.suggest import did_you_mean

# Marks ts_headline puts around matched words: control characters no source text holds, so the
# text can be escaped first and the marks turned into <mark> after.
_START, _STOP = "\x02", "\x03"
_ORDERINGS = {
    "last_update": (F("last_update_date").desc(nulls_last=True), "id"),
    "start_date": (F("start_date").desc(nulls_last=True), "id"),
    "enrollment": (F("enrollment_count").desc(nulls_last=True), "id"),
    "distance": (F("nearest_km").asc(nulls_last=True), "id"),
}
# What a result (the page's card, the API's summary) shows of a trial: its own columns, no more.
RESULT_FIELDS = (*TRIAL_FIELDS, *(f"lead_sponsor__{name}" for name in SPONSOR_FIELDS))


@dataclass
class SearchResults:
    filterset: TrialFilterSet
    page: Page
    facets: list[Facet]
    notices: list[Notice]
    suggestion: str = ""  # "did you mean", when nothing matched

    @property
    def total(self) -> int:
        return self.page.paginator.count

    @property
    def selected(self) -> list:
        """Every ticked facet value, to show (and remove) above the results."""
        return [value for facet in self.facets for value in facet.values if value.selected]


class _CountedPaginator(Paginator):
    """A paginator told the total, which the facet query already counted."""

    def __init__(self, object_list, per_page, count: int):
        super().__init__(object_list, per_page)
        self.count = count


def search(data, *, page_number=1, per_page: int = 20, url: Callable[[dict], str] | None = None) -> SearchResults:
    """The search a query string (``data``) describes, with its facets and one page of trials.

    Queries: the catalogue's version (read once: the counts, the facets' labels and the drugs'
    names are of it), the facet counts (one, plus one per dimension with a ticked value, plus
    labels; none when the in-memory engine counts), the page's trials with their sponsors, their
    registry ids, their conditions (one query when the in-memory engine found them, else three),
    and when asked for, the nearest sites (``near``) and the highlights (``q``).
    """
    filterset = TrialFilterSet(data)
    counts = count_facets(filterset, url=url)
    in_memory = engine_results(counts.search, filterset.sort_order, router.db_for_read(Trial))
    trials = in_memory or ordered(filterset, filterset.filter_queryset(result_trials()))
    page = _CountedPaginator(trials, per_page, counts.total).get_page(page_number)
    decorate(page.object_list, filterset, counts.version)
    suggestion = did_you_mean(filterset.text) if filterset.text and not counts.total else ""
    return SearchResults(filterset, page, counts.facets, filterset.notices, suggestion)


def result_trials() -> QuerySet[Trial]:
    """Trials with what a result shows: three queries a page whatever its size (the trials with
    their sponsors, their registry ids, their conditions). The children are read in their own
    order, without the join to the trial that their models' default ordering would add. A page the
    in-memory engine found reads the same in one query (``trials.result_rows``)."""
    children = [
        Prefetch(name, queryset=model.objects.only("trial_id", *columns).order_by("trial_id", *order))
        for name, (model, columns, order) in CHILDREN.items()
    ]
    return (
        Trial.objects.select_related("lead_sponsor")
        .only(*RESULT_FIELDS)
        .prefetch_related(*children)
        .order_by("-last_update_date", "id")
    )


def matching_trials(data, trials: QuerySet[Trial]) -> tuple[TrialFilterSet, QuerySet[Trial]]:
    """Those of ``trials`` a query string describes, in its sort order (exports and feeds)."""
    filterset = TrialFilterSet(data)
    return filterset, ordered(filterset, filterset.filter_queryset(trials))


def ordered(filterset: TrialFilterSet, trials: QuerySet[Trial]) -> QuerySet[Trial]:
    sort = filterset.sort_order
    if sort == "relevance":
        return trials  # search_trials ordered them by rank
    if sort == "distance":
        # The trials already have a site within the radius; their nearest is found through the
        # trial's own sites (its foreign key index), not the bounding box shared by all trials.
        sites = Site.objects.filter(trial=OuterRef("pk"), latitude__isnull=False)
        nearest = sites.annotate(distance=distance_km(filterset.origin)).order_by("distance").values("distance")[:1]
        trials = trials.annotate(nearest_km=Subquery(nearest))
    return trials.order_by(*_ORDERINGS[sort])


def decorate(trials: list[Trial], filterset: TrialFilterSet, version: int | None = None) -> None:
    """Attach what the result list shows beside a trial's own columns: ``listed_drugs``
    (``ListedDrug``, with their classes, named as at the catalogue's ``version``, by default its
    current one), ``nearest_site`` (with ``distance``), ``title_html`` and ``summary_html``."""
    trials = list(trials)
    if not trials:
        return
    by_key = catalogue_names(version).drugs(key for trial in trials for key in trial.facet_drugs)
    nearest = _nearest_sites(trials, filterset)
    highlights = _highlights(trials, filterset.text)
    for trial in trials:
        trial.listed_drugs = [by_key[key] for key in trial.facet_drugs if key in by_key]
        trial.nearest_site = nearest.get(trial.pk)
        trial.title_html, trial.summary_html = highlights.get(trial.pk, (None, None))


def _nearest_sites(trials: list[Trial], filterset: TrialFilterSet) -> dict[int, Site]:
    if filterset.origin is None:
        return {}
    sites = sites_within(Site.objects.filter(trial__in=[t.pk for t in trials]), filterset.origin, filterset.radius)
    # DISTINCT ON (trial) with the nearest first: one row per trial, one query per page.
    sites = sites.order_by("trial_id", "distance").distinct("trial_id")
    fields = ("trial_id", "facility", "city", "state", "country", "country_code", "status", "latitude", "longitude")
    return {site.trial_id: site for site in sites.only(*fields)}


def _highlights(trials: list[Trial], text: str) -> dict[int, tuple[SafeString, SafeString]]:
    """The title and a short summary excerpt with the query's words marked, for the page's trials."""
    if not text:
        return {}
    query = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
    options = {"config": SEARCH_CONFIG, "start_sel": _START, "stop_sel": _STOP}
    rows = (
        Trial.objects.filter(pk__in=[t.pk for t in trials])
        .annotate(
            title_marked=SearchHeadline("brief_title", query, highlight_all=True, **options),
            summary_marked=SearchHeadline("brief_summary", query, max_words=40, min_words=20, **options),
        )
        .values_list("pk", "title_marked", "summary_marked")
    )
    return {pk: (_marked(title), _marked(summary)) for pk, title, summary in rows}


def _marked(text: str) -> SafeString:
    escaped = html.escape(text or "", quote=False)
    return mark_safe(escaped.replace(_START, "<mark>").replace(_STOP, "</mark>"))  # escaped above
