"""Read-side helpers for one trial's page: timeline geometry, the arm x intervention matrix, sites
by country and on a map, where each fact came from, and the change history.

Everything except ``change_history`` reads what ``trial_json.trial_queryset()`` prefetched, so the
page stays at a fixed number of queries whatever the trial's size.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pycountry
from django.urls import reverse

from trials import choices
from trials.facets import search_url
from trials.models import Trial
from trials.trial_history import CHANGE_HISTORY_LIMIT, change_history, curated_facts, sources_with_facts
from trials.trial_timeline import timeline

# Facet URLs of the search page (its filter parameters, trials.filters.TrialFilterSet).
DRUG_PARAM, DRUG_CLASS_PARAM, CONDITION_PARAM, COUNTRY_PARAM = "drug", "drug_class", "condition", "country"


def facet_url(param: str, value: str) -> str:
    """The search page filtered to one facet value, e.g. ``/?drug_class=pd1_inhibitor``."""
    return search_url(reverse("trials:list"), {param: [value]})


@dataclass(frozen=True)
class Link:
    text: str
    url: str


@dataclass(frozen=True)
class DrugLinks:
    drug: Link
    classes: list[Link]


@dataclass(frozen=True)
class InterventionRow:
    intervention: object  # Intervention
    drugs: list[DrugLinks]
    in_arms: list[bool]  # one per arm, in the matrix's column order


@dataclass(frozen=True)
class ArmMatrix:
    arms: list  # Arm, in source order
    rows: list[InterventionRow]

    @property
    def shown(self) -> bool:
        """A table needs both arms and interventions; otherwise the page lists what there is."""
        return bool(self.arms and self.rows)


def drug_links(intervention) -> list[DrugLinks]:
    """The intervention's drugs, each linking to the search filtered by it, with its classes."""
    return [
        DrugLinks(
            Link(drug.name, facet_url(DRUG_PARAM, drug.key)),
            [Link(c.name, facet_url(DRUG_CLASS_PARAM, c.key)) for c in drug.classes.all()],
        )
        for drug in sorted(intervention.drugs.all(), key=lambda d: d.name.casefold())
    ]


def arm_matrix(trial: Trial) -> ArmMatrix:
    """Interventions (rows) by arms (columns): which intervention each arm gives."""
    arms = list(trial.arms.all())
    given = {(arm.pk, iv.pk) for arm in arms for iv in arm.interventions.all()}
    rows = [
        InterventionRow(iv, drug_links(iv), [(arm.pk, iv.pk) in given for arm in arms])
        for iv in trial.interventions.all()
    ]
    return ArmMatrix(arms, rows)


def conditions(trial: Trial) -> list[tuple[object, str | None]]:
    """(trial condition, search URL of its MeSH descriptor or None)."""
    return [
        (tc, facet_url(CONDITION_PARAM, tc.condition.mesh_id) if tc.condition.mesh_id else None)
        for tc in trial.trial_conditions.all()
    ]


# Sites


@dataclass
class CountrySites:
    name: str
    code: str
    sites: list = field(default_factory=list)

    @property
    def recruiting(self) -> int:
        return sum(site.status == choices.RecruitmentStatus.RECRUITING for site in self.sites)

    @property
    def url(self) -> str | None:
        return facet_url(COUNTRY_PARAM, self.code) if self.code else None


def _country_name(site) -> str:
    """As the source wrote it, else the ISO code's name."""
    country = pycountry.countries.get(alpha_2=site.country_code) if site.country_code else None
    return site.country or (getattr(country, "common_name", country.name) if country else "")


def sites_by_country(trial: Trial) -> list[CountrySites]:
    """Sites grouped by country (by ISO code when known), alphabetical, unstated countries last."""
    groups: dict[str, CountrySites] = {}
    for site in trial.sites.all():
        name = _country_name(site)
        key = site.country_code or name.casefold()
        groups.setdefault(key, CountrySites(name or "Country not stated", site.country_code)).sites.append(site)
    return sorted(groups.values(), key=lambda c: (c.name == "Country not stated", c.name.casefold()))


@dataclass(frozen=True)
class SiteMap:
    """Sites with coordinates on an equirectangular world (viewBox 360 x 180: x = lon + 180, y = 90 - lat)."""

    dots: list[tuple[float, float, object]]  # (x, y, site)
    unplaced: int
    meridians = tuple(range(30, 360, 30))
    parallels = tuple(range(30, 180, 30))

    @property
    def description(self) -> str:
        placed = len(self.dots)
        text = f"World map with {placed} site{'s' if placed != 1 else ''} marked by their coordinates"
        return text + (f"; {self.unplaced} without coordinates are not shown." if self.unplaced else ".")


def site_map(trial: Trial) -> SiteMap | None:
    sites = list(trial.sites.all())
    dots = [
        (round(site.longitude + 180, 2), round(90 - site.latitude, 2), site)
        for site in sites
        if site.latitude is not None and site.longitude is not None
    ]
    return SiteMap(dots, len(sites) - len(dots)) if dots else None


# Provenance


def page_context(trial: Trial, today: dt.date) -> dict:
    """Everything the trial page shows besides the trial itself. One query: the change history."""
    changes, older_changes = change_history(trial)
    return {
        "trial": trial,
        "timeline": timeline(trial, today),
        "arm_matrix": arm_matrix(trial),
        "conditions": conditions(trial),
        "countries": sites_by_country(trial),
        "site_map": site_map(trial),
        "sources": sources_with_facts(trial),
        "curated": curated_facts(trial),
        "changes": changes,
        "older_changes": older_changes,
        "change_limit": CHANGE_HISTORY_LIMIT,
    }
