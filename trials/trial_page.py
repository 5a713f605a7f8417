"""Read-side helpers for one trial's page: timeline geometry, the arm x intervention matrix, sites
by country and on a map, where each fact came from, and the change history.

Everything except ``change_history`` reads what ``trial_json.trial_queryset()`` prefetched, so the
page stays at a fixed number of queries whatever the trial's size.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from itertools import pairwise

import pycountry
from django.urls import reverse

from trials import choices
from trials.facets import search_url
from trials.models import Trial, TrialChange
from trials.templatetags.trial_format import partial_date_text, phase_label

CHANGE_HISTORY_LIMIT = 20

# Facet URLs of the search page (its filter parameters, trials.filters.TrialFilterSet).
DRUG_PARAM, DRUG_CLASS_PARAM, CONDITION_PARAM, COUNTRY_PARAM = "drug", "drug_class", "condition", "country"


def facet_url(param: str, value: str) -> str:
    """The search page filtered to one facet value, e.g. ``/?drug_class=pd1_inhibitor``."""
    return search_url(reverse("trials:list"), {param: [value]})


# Timeline


@dataclass(frozen=True)
class TimelineMark:
    """One milestone on the timeline; ``x`` is a percentage of the picture's width."""

    names: tuple[str, ...]
    date: dt.date
    text: str
    kind: str  # ACTUAL, ESTIMATED, or "" when the source did not say
    x: float

    @property
    def name(self) -> str:
        return " and ".join(self.names)

    @property
    def kind_label(self) -> str:
        return {"ACTUAL": "actual", "ESTIMATED": "estimated"}.get(self.kind, "")

    @property
    def anchor(self) -> str:
        """Labels run away from the nearer edge, so they stay inside the picture at any width."""
        return "start" if self.x < 50 else "end"

    @property
    def lines(self) -> list[str]:
        """The label, one short line each, so that it fits beside the mark on a 360 px screen."""
        names = [self.names[0], *(f"and {name.lower()}" for name in self.names[1:])]
        return [*names, self.text, *([self.kind_label] if self.kind_label else [])]


@dataclass(frozen=True)
class TimelineLabel:
    mark: TimelineMark
    lines: list[tuple[int, str]]  # (baseline y, text); the first line is the milestone's name
    connector: tuple[int, int]  # y1, y2 of the line from the mark to its label


_LINE = 16  # px between label baselines
_TOP = 36  # baseline of the first line above the axis (the row above it holds "Today")


@dataclass(frozen=True)
class Timeline:
    """Geometry of the timeline picture, in px down and percent across (the SVG has no viewBox, so
    its text keeps its size and its marks stay round at any width)."""

    marks: list[TimelineMark]  # in date order
    today: dt.date
    today_x: float
    today_off_scale: str  # "", "left" or "right": today is far outside the trial's dates
    years: list[tuple[int, float]]  # (year, x) of the axis ticks
    segments: list[tuple[float, float, bool]]  # (x1, x2, dashed) of the bar between marks
    axis_y: int
    labels: list[TimelineLabel]
    height: int

    @property
    def kinds(self) -> set[str]:
        return {m.kind for m in self.marks}

    @property
    def years_y(self) -> int:
        return self.height - 6

    @property
    def today_anchor(self) -> str:
        if self.today_off_scale:
            return "start" if self.today_off_scale == "left" else "end"
        return "start" if self.today_x < 50 else "end"

    @property
    def description(self) -> str:
        parts = [f"{m.name}: {m.text}" + (f" ({m.kind_label})" if m.kind_label else "") for m in self.marks]
        return "; ".join(parts) + f". Today is {date_text(self.today)}."


def date_text(day: dt.date) -> str:
    return partial_date_text(day, choices.DatePrecision.DAY)


_MILESTONES = (("start", "Study start"), ("primary_completion", "Primary completion"), ("completion", "Completion"))
_LEFT, _RIGHT = 4.0, 96.0  # the picture's margins, in percent of its width


def timeline(trial: Trial, today: dt.date) -> Timeline | None:
    """Start, primary completion and completion on a time axis, with today marked; None without dates.

    Milestones on the same date and of the same kind share one mark. When today lies far outside
    the trial's dates (a study that ended decades ago), the axis spans the trial only and today is
    an arrow at the edge, so the trial is not squeezed into a sliver. The study start is labelled
    above the line, every later milestone on its own lines below, so no two labels overlap.
    """
    found: list[tuple[str, dt.date, str, str]] = []
    for name, label in _MILESTONES:
        value = getattr(trial, f"{name}_date")
        if value is not None:
            precision = getattr(trial, f"{name}_date_precision")
            found.append((label, value, partial_date_text(value, precision), getattr(trial, f"{name}_date_type")))
    if not found:
        return None
    first, last = min(d for _, d, _, _ in found), max(d for _, d, _, _ in found)
    span = max((last - first).days, 365)
    off_scale = "left" if (first - today).days > span else "right" if (today - last).days > span else ""
    low, high = (first, last) if off_scale else (min(first, today), max(last, today))
    if (high - low).days < 60:
        low, high = low - dt.timedelta(days=90), high + dt.timedelta(days=90)

    def x(day: dt.date) -> float:
        return round(_LEFT + (_RIGHT - _LEFT) * (day - low).days / (high - low).days, 2)

    marks: list[TimelineMark] = []
    for label, day, text, kind in found:
        same = next((i for i, m in enumerate(marks) if m.date == day and m.kind == kind), None)
        if same is None:
            marks.append(TimelineMark((label,), day, text, kind, x(day)))
        else:
            marks[same] = TimelineMark((*marks[same].names, label), day, text, kind, marks[same].x)
    marks.sort(key=lambda m: m.date)
    above = marks[0] if marks[0].names[0] == "Study start" and len(marks) > 1 else None
    axis_y = _TOP + _LINE * (len(above.lines) - 1) + 22 if above else _TOP + 4
    labels = []
    if above:
        top = _TOP
        labels.append(_label(above, top, (top + _LINE * (len(above.lines) - 1) + 6, axis_y)))
    baseline = axis_y + 30
    for mark in marks[1:] if above else marks:
        labels.append(_label(mark, baseline, (axis_y, baseline - 13)))
        baseline += _LINE * len(mark.lines) + 12
    height = baseline + 16  # the last row holds the years
    segments = [(a.x, b.x, b.kind != choices.ActualOrEstimated.ACTUAL) for a, b in pairwise(marks)]
    today_x = {"left": _LEFT - 2, "right": _RIGHT + 2}.get(off_scale) or x(today)
    return Timeline(marks, today, today_x, off_scale, _year_ticks(low, high, x), segments, axis_y, labels, height)


def _label(mark: TimelineMark, first_baseline: int, connector: tuple[int, int]) -> TimelineLabel:
    return TimelineLabel(mark, [(first_baseline + _LINE * i, line) for i, line in enumerate(mark.lines)], connector)


def _year_ticks(low: dt.date, high: dt.date, x) -> list[tuple[int, float]]:
    """January 1sts inside the axis, thinned to at most six labels."""
    years = range(low.year + (low > dt.date(low.year, 1, 1)), high.year + 1)
    step = next(s for s in (1, 2, 5, 10, 20, 50) if len(years) / s <= 6)
    return [(year, x(dt.date(year, 1, 1))) for year in years if year % step == 0]


# Arms and interventions


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


# Record field names (TrialRecord) as a reader would say them; others are humanized.
_FACT_LABELS = {
    "brief_title": "Title",
    "registry_ids": "Identifiers",
    "overall_status": "Status",
    "phases": "Phase",
    "condition_meshes": "Condition MeSH terms",
    "intervention_meshes": "Intervention MeSH terms",
    "eligibility.criteria": "Eligibility criteria",
    "eligibility.inclusion": "Inclusion criteria",
    "eligibility.exclusion": "Exclusion criteria",
    "eligibility.min_age_years": "Minimum age (years)",
    "eligibility.max_age_years": "Maximum age (years)",
    "eligibility.std_ages": "Age groups",
}


def fact_label(key: str) -> str:
    """``eligibility.minimum_age`` -> "Minimum age"; ``start_date`` -> "Start date"."""
    if key in _FACT_LABELS:
        return _FACT_LABELS[key]
    text = key.rsplit(".", 1)[-1].replace("_", " ")
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class SourceFacts:
    source: object  # SourceRecord
    facts: list[str]  # labels of the facts the page shows from it
    gave_all: bool  # the trial's only contributing source


def sources_with_facts(trial: Trial) -> list[SourceFacts]:
    """Each source record, newest first, with the facts it gave (``Trial.field_sources``)."""
    given: dict[int, list[str]] = {}
    for key, source_id in trial.field_sources.items():
        given.setdefault(source_id, []).append(fact_label(key))
    sources = sorted(trial.sources.all(), key=lambda s: s.imported_at, reverse=True)
    return [SourceFacts(s, sorted(given.get(s.pk, []), key=str.casefold), set(given) == {s.pk}) for s in sources]


def curated_facts(trial: Trial) -> list[dict]:
    """Facts a curator set: ``{label, by, at}``, where ``at`` is a datetime when it can be read."""
    facts = []
    for key, note in trial.curated_fields.items():
        try:
            at = dt.datetime.fromisoformat(note.get("at") or "")
        except ValueError:
            at = None
        facts.append({"label": fact_label(key), "by": note.get("by") or "", "at": at})
    return sorted(facts, key=lambda f: f["label"].casefold())


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str | None  # short values only; None when the value is long or structured
    new: str | None


@dataclass(frozen=True)
class ChangeEntry:
    change: TrialChange
    fields: list[FieldChange]

    @property
    def with_values(self) -> list[FieldChange]:
        return [f for f in self.fields if f.old is not None and f.new is not None]

    @property
    def without_values(self) -> list[str]:
        """Labels of the long or structured facts that changed (arms, sites ...), named only."""
        return [f.label for f in self.fields if f.old is None or f.new is None]

    @property
    def by(self) -> str:
        change = self.change
        if change.changed_by is not None:
            return f"Curator {change.changed_by.get_username()}"
        return f"Import run {change.import_run_id}" if change.import_run_id else "Import"


# Coded values of the record shown by their labels ("RECRUITING" -> "Recruiting").
_CODED_FACTS = {
    "overall_status": choices.OverallStatus,
    "study_type": choices.StudyType,
    "allocation": choices.Allocation,
    "intervention_model": choices.InterventionModel,
    "masking": choices.Masking,
    "primary_purpose": choices.PrimaryPurpose,
    "enrollment_type": choices.ActualOrEstimated,
    "eligibility.sex": choices.Sex,
}


def _short(value, key: str = "", limit: int = 60) -> str | None:
    """A value of the record as a few words; None when it is too long or too structured to show."""
    if value is None or value == "" or value == []:
        return "(none)"
    if key in _CODED_FACTS and isinstance(value, str):
        return dict(_CODED_FACTS[key].choices).get(value, value)
    if key == "phases" and isinstance(value, list):
        return phase_label(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict) and isinstance(value.get("date"), str):  # a PartialDate
        try:
            text = partial_date_text(dt.date.fromisoformat(value["date"]), value.get("precision") or "")
        except ValueError:
            return None
        kind = {"ACTUAL": "actual", "ESTIMATED": "estimated"}.get(value.get("type") or "")
        return f"{text} ({kind})" if kind else text
    if isinstance(value, dict) and set(value) <= {"name", "agency_class"}:  # an Organization
        value = value.get("name")
    if isinstance(value, (str, int, float)) and len(str(value)) <= limit:
        return str(value)
    return None


def change_history(trial: Trial, limit: int = CHANGE_HISTORY_LIMIT) -> tuple[list[ChangeEntry], bool]:
    """The trial's newest ``limit`` changes, and whether there are older ones.

    One query: the changes joined to their import run, curator and source record (``limit + 1``
    rows, to know whether the list is cut).
    """
    rows = list(
        TrialChange.objects.filter(trial=trial)
        .select_related("import_run", "changed_by", "source_record")
        .only(
            "changed_at",
            "changes",
            "import_run__origin",
            "changed_by__username",
            "source_record__format",
            "source_record__origin",
        )
        .order_by("-changed_at", "-pk")[: limit + 1]
    )
    entries = [
        ChangeEntry(
            change,
            [
                FieldChange(fact_label(key), _short(values.get("old"), key), _short(values.get("new"), key))
                if isinstance(values, dict)
                else FieldChange(fact_label(key), None, None)
                for key, values in sorted(change.changes.items())
            ],
        )
        for change in rows[:limit]
    ]
    return entries, len(rows) > limit


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
