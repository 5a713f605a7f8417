"""The search API's query parameters as OpenAPI sees them, built from ``TrialFilterSet`` and the choices.

Every filter of the FilterSet is listed (a filter added without a description here fails the
schema build), its enum values come from the same choices the filter checks, and paging adds
``page`` and ``page_size``.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from trials import choices
from trials.facets import DIMENSIONS
from trials.filters import ACCEPTED_SEXES, DEFAULT_RADIUS_KM, MAX_QUERY_LENGTH, MAX_RADIUS_KM, SORTS, TrialFilterSet

MAX_PAGE_SIZE = 100
# Parameters whose filter reads only the first value; the others repeat (values OR'ed).
SINGLE_VALUED = frozenset({"q", "near", "radius_km", "sort"})
ENUMS = {
    "phase": choices.Phase,
    "status": choices.OverallStatus,
    "intervention_type": choices.InterventionType,
    "study_type": choices.StudyType,
    "sponsor_class": choices.AgencyClass,
}
BOOLEANS = frozenset({"healthy_volunteers", "has_results"})
DESCRIPTIONS = {
    "q": f'Search words in web-search syntax (`lung "small cell" -pediatric`); drug synonyms and classes, '
    f"condition entry terms and abbreviations match too. Ranked best first. At most {MAX_QUERY_LENGTH} "
    "characters are read. A registry id is searched as text (the API does not redirect).",
    "phase": "Trial phase (CT.gov API v2 value). A trial with several phases matches any of them.",
    "status": "Overall recruitment status (CT.gov API v2 value).",
    "condition": "Condition as a MeSH descriptor id (`D002289`); broader headings include the conditions under "
    "them. The `condition` facet lists the ids with their names.",
    "drug": "Drug by its vocabulary key (the `drug` facet's values, or `drugs[].key` of a result).",
    "drug_class": "Drug class by its vocabulary key (`pd1_inhibitor`); a class includes the classes under it.",
    "intervention_type": "Type of any of the trial's interventions (CT.gov API v2 value).",
    "study_type": "Study type (CT.gov API v2 value).",
    "sponsor_class": "Agency class of the lead sponsor (CT.gov API v2 value).",
    "country": "Country of any site, as an ISO 3166-1 alpha-2 code (`DE`).",
    "sex": "Trials accepting this sex: `FEMALE` finds trials for women only and for all sexes.",
    "age": "An age group (`CHILD`, `ADULT`, `OLDER_ADULT`) or a person's age in years (0-130): trials whose "
    "age range includes it.",
    "healthy_volunteers": "Whether the trial accepts healthy volunteers (`true`/`false`).",
    "has_results": "Whether results are posted (`true`/`false`).",
    "near": "Only trials with a site near this place: a city name as the place typeahead gives it "
    "(`Berlin, Land Berlin, DE`) or `latitude,longitude`. Each result then gives its nearest site.",
    "radius_km": f"Radius around `near`, in km (1-{MAX_RADIUS_KM:.0f}); default {DEFAULT_RADIUS_KM:.0f}.",
    "sort": "Order of the results: "
    + "; ".join(f"`{key}` ({label.lower()})" for key, label in SORTS.items())
    + ". Default: relevance with `q`, else last update. `distance` needs `near`.",
    "expand": "A facet to list more values of (up to 100 instead of its usual 10-40), by its name "
    "(`drug`, `country` ...); which trials match is unchanged.",
}


def _schema(name: str):
    if name in ENUMS:
        return str, list(ENUMS[name].values)
    if name == "sex":
        return str, list(ACCEPTED_SEXES)
    if name == "sort":
        return str, list(SORTS)
    if name == "expand":
        return str, [dimension.name for dimension in DIMENSIONS]
    if name in BOOLEANS:
        return bool, None
    if name == "radius_km":
        return {"type": "number", "minimum": 1, "maximum": MAX_RADIUS_KM, "default": DEFAULT_RADIUS_KM}, None
    return str, None


def search_parameters() -> list[OpenApiParameter]:
    """One parameter per filter of ``TrialFilterSet``, in its order, then paging."""
    parameters = []
    for name in TrialFilterSet.base_filters:
        kind, enum = _schema(name)
        many = name not in SINGLE_VALUED
        description = DESCRIPTIONS[name]
        if many:
            description += " Repeat the parameter for several values (any of them matches)."
        description += " A value the catalogue does not know is left out and reported in `notices`."
        parameters.append(OpenApiParameter(name, kind, description=description, enum=enum, many=many))
    return [
        *parameters,
        OpenApiParameter("page", OpenApiTypes.INT, description="Page number, from 1.", default=1),
        OpenApiParameter(
            "page_size",
            OpenApiTypes.INT,
            description=f"Trials per page, 1-{MAX_PAGE_SIZE} (default: as on the search page, 20); a larger size "
            f"is cut to {MAX_PAGE_SIZE}.",
        ),
    ]
