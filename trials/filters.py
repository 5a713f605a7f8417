"""The search's URL parameters: one FilterSet shared by the pages, the export, the feeds and the API.

Every parameter may repeat (``phase=PHASE2&phase=PHASE3``); values of one parameter combine with
OR, parameters with AND. A value the catalogue does not know (a stale bookmark, a typo, a removed
drug) is dropped and reported in ``notices`` instead of silently matching nothing, and the rest of
the search still applies. Facet values are what these filters take (CT.gov API v2 enum values
for enums, MeSH ids for conditions, vocabulary keys for drugs and drug classes, ISO 3166 codes
for countries).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import django_filters
import pycountry
from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet

from trials import choices
from trials.models import Drug, DrugClass, Site, Trial
from trials.near import Point, place_index, sites_within
from trials.search import search_trials
from trials.vocab.conditions import condition_vocabulary

MAX_VALUES = 50  # per parameter: more is no one's search
MAX_QUERY_LENGTH = 500
DEFAULT_RADIUS_KM = 50.0
MAX_RADIUS_KM = 20_000.0  # half the Earth's circumference: beyond it every site is "near"
SORTS = {
    "relevance": "Best match",
    "last_update": "Last updated",
    "start_date": "Start date",
    "enrollment": "Enrollment",
    "distance": "Nearest site",
}
_TRUE, _FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}
# "Accepts women": trials for women only and trials for all sexes.
ACCEPTED_SEXES = {choices.Sex.FEMALE: ("FEMALE", "ALL"), choices.Sex.MALE: ("MALE", "ALL")}


@dataclass(frozen=True)
class Notice:
    """A value of the URL that was left out of the search, and why."""

    parameter: str
    message: str


def url_value(value) -> str:
    """A parsed value as a filter takes it in the URL (True -> "true", 45.0 -> "45", a place's label)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, Point):
        return value.label
    return str(value)


class ValuesField(forms.Field):
    """Every value of a repeated parameter, stripped, without blanks and repeats (never invalid)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        values = value if isinstance(value, list | tuple) else [value] if value else []
        seen: dict[str, None] = {}
        for item in values:
            text = str(item).replace("\x00", "").strip()
            if text:
                seen.setdefault(text[:MAX_QUERY_LENGTH], None)
        return list(seen)

    def validate(self, value):
        pass


class ValuesFilter(django_filters.Filter):
    """One search dimension: ``parse`` splits the URL's values into those the catalogue knows
    (in a form ``apply`` takes) and notices; ``apply`` narrows the trials to any of them."""

    field_class = ValuesField

    def __init__(self, parse: Callable, apply: Callable[[QuerySet, list], QuerySet], **kwargs):
        super().__init__(**kwargs)
        self.parse, self.apply = parse, apply

    def filter(self, qs, value):
        return self.apply(qs, value) if value else qs


def _enum(enum, label: str):
    def parse(values):
        kept = [value.upper() for value in values if value.upper() in enum.values]
        return kept, [f"{value!r} is not a {label}" for value in values if value.upper() not in enum.values]

    return parse


def _known(label: str, lookup: Callable[[list[str]], Iterable[str]]):
    def parse(values):
        known = set(lookup(values))
        unknown = [f"no {label} {v!r} in the catalogue" for v in values if v not in known]
        return [v for v in values if v in known], unknown

    return parse


def _booleans(values):
    kept = [value.lower() in _TRUE for value in values if value.lower() in _TRUE | _FALSE]
    return kept, [f"{value!r} is not true or false" for value in values if value.lower() not in _TRUE | _FALSE]


def _ages(values):
    """CT.gov's age groups (CHILD, ADULT, OLDER_ADULT) or a person's age in years."""
    kept, notices = [], []
    for value in values:
        if value.upper() in choices.StdAge.values:
            kept.append(value.upper())
            continue
        try:
            years = float(value)
        except ValueError:
            years = math.nan
        if 0 <= years <= 130:
            kept.append(years)
        else:
            notices.append(f"{value!r} is neither an age in years (0-130) nor an age group")
    return kept, notices


def _single(parse):
    """Only the first value counts for a parameter that takes one (``q``, ``near``, ``sort``)."""

    def parse_first(values):
        kept, notices = parse(values[:1])
        return kept, notices + [f"only one value is used; {v!r} was left out" for v in values[1:]]

    return parse_first


def _text(values):
    return values, []


def _place(values):
    point = place_index().find(values[0])
    return ([point], []) if point else ([], [f"no place called {values[0]!r} is known; try a nearby city"])


def _radius(values):
    try:
        radius = float(values[0])
    except ValueError:
        radius = math.nan
    if 1 <= radius <= MAX_RADIUS_KM:
        return [radius], []
    return [], [f"the radius must be between 1 and {MAX_RADIUS_KM:.0f} km; {DEFAULT_RADIUS_KM:.0f} km is used"]


def _sort(values):
    value = values[0].lower()
    return ([value], []) if value in SORTS else ([], [f"{values[0]!r} is not a sort order"])


def _facet_names(values):
    from trials.facets import BY_NAME  # facets read these filters: imported when first used

    kept = [value for value in values if value in BY_NAME]
    return kept, [f"{value!r} is not a facet" for value in values if value not in BY_NAME]


def _mesh_ids(values):
    vocabulary = condition_vocabulary()
    return [value for value in values if vocabulary.descriptor(value) is not None]


def _drug_keys(values):
    return Drug.objects.filter(key__in=values).values_list("key", flat=True)


def _class_keys(values):
    return DrugClass.objects.filter(key__in=values).values_list("key", flat=True)


def _country_codes(values):
    return [value for value in values if pycountry.countries.get(alpha_2=value) is not None]


def _overlap(column: str):
    return lambda qs, values: qs.filter(**{f"{column}__overlap": values})


def _one_of(column: str):
    return lambda qs, values: qs.filter(**{f"{column}__in": values})


def _accepting_sex(qs, values):
    return qs.filter(sex__in={accepted for value in values for accepted in ACCEPTED_SEXES[value]})


def _of_age(qs, values):
    condition = Q(std_ages__overlap=[value for value in values if isinstance(value, str)])
    for years in (value for value in values if isinstance(value, float)):
        condition |= (Q(min_age_years__isnull=True) | Q(min_age_years__lte=years)) & (
            Q(max_age_years__isnull=True) | Q(max_age_years__gte=years)
        )
    return qs.filter(condition)


def _search_text(qs, values):
    return search_trials(qs, values[0])


def _unfiltered(qs, values):
    return qs


class TrialFilterSet(django_filters.FilterSet):
    q = ValuesFilter(_single(_text), _search_text, label="Search words")
    phase = ValuesFilter(_enum(choices.Phase, "phase"), _overlap("phases"))
    status = ValuesFilter(_enum(choices.OverallStatus, "status"), _one_of("overall_status"))
    condition = ValuesFilter(_known("condition (MeSH id)", _mesh_ids), _overlap("facet_conditions"))
    drug = ValuesFilter(_known("drug", _drug_keys), _overlap("facet_drugs"))
    drug_class = ValuesFilter(_known("drug class", _class_keys), _overlap("facet_drug_classes"))
    intervention_type = ValuesFilter(
        _enum(choices.InterventionType, "intervention type"), _overlap("facet_intervention_types")
    )
    study_type = ValuesFilter(_enum(choices.StudyType, "study type"), _one_of("study_type"))
    sponsor_class = ValuesFilter(_enum(choices.AgencyClass, "sponsor class"), _one_of("facet_sponsor_class"))
    country = ValuesFilter(_known("country (ISO 3166 code)", _country_codes), _overlap("facet_countries"))
    sex = ValuesFilter(_enum(choices.Sex, "sex"), _accepting_sex)
    age = ValuesFilter(_ages, _of_age)
    healthy_volunteers = ValuesFilter(_booleans, _one_of("healthy_volunteers"))
    has_results = ValuesFilter(_booleans, _one_of("has_results"))
    near = ValuesFilter(_single(_place), _unfiltered, label="Near (a city, or latitude,longitude)")
    # Applied together with ``near`` in filter_queryset, which knows both.
    radius_km = ValuesFilter(_single(_radius), _unfiltered, label="Radius (km)")
    sort = ValuesFilter(_single(_sort), _unfiltered)
    # Facets to list more values of (up to 100): display only, the trials found are the same.
    expand = ValuesFilter(_facet_names, _unfiltered, label="Facets to show more values of")

    class Meta:
        model = Trial
        fields: list[str] = []

    def __init__(self, data=None, queryset=None, **kwargs):
        super().__init__(data, queryset if queryset is not None else Trial.objects.all(), **kwargs)
        self.notices: list[Notice] = []
        self.values: dict[str, list] = {}
        if self.is_bound:
            self._parse()

    def _parse(self):
        self.form.is_valid()  # ValuesField never fails; this fills cleaned_data
        for name, raw in self.form.cleaned_data.items():
            if not raw:
                continue
            raw = raw[:MAX_VALUES]
            kept, messages = self.filters[name].parse(raw)
            if name == "sex":  # ALL is what a trial says, not whom a person is
                messages += [f"{v!r}: choose FEMALE or MALE" for v in kept if v not in ACCEPTED_SEXES]
                kept = [v for v in kept if v in ACCEPTED_SEXES]
            if kept:
                self.values[name] = kept
            self.notices += [Notice(name, message) for message in messages]

    @property
    def text(self) -> str:
        return self.values.get("q", [""])[0]

    @property
    def origin(self) -> Point | None:
        return self.values.get("near", [None])[0]

    @property
    def radius(self) -> float:
        return self.values.get("radius_km", [DEFAULT_RADIUS_KM])[0]

    @property
    def sort_order(self) -> str:
        chosen = self.values.get("sort", [""])[0]
        if chosen == "distance" and self.origin is None:
            chosen = ""
        return chosen or ("relevance" if self.text else "last_update")

    def selected(self, name: str) -> list:
        return self.values.get(name, [])

    def params(self) -> dict[str, list[str]]:
        """The search as URL parameters, unknown values left out (links built from it stay clean)."""
        return {name: [url_value(value) for value in values] for name, values in self.values.items()}

    def filter_queryset(self, queryset, exclude: Iterable[str] = ()):
        """The trials matching every parameter except those in ``exclude`` (a facet's own)."""
        for name, values in self.values.items():
            if name not in exclude:
                queryset = self.filters[name].filter(queryset, values)
        if self.origin is not None:
            near_sites = sites_within(Site.objects.filter(trial=OuterRef("pk")), self.origin, self.radius)
            queryset = queryset.filter(Exists(near_sites))
        return queryset

    @property
    def qs(self):
        if not hasattr(self, "_qs"):
            self._qs = self.filter_queryset(self.queryset.all())
        return self._qs
