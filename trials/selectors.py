"""Read-side queries shared by pages and the API."""

import re

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from trials.choices import UNIQUE_ID_SCHEMES
from trials.models import RegistryId, Trial, TrialCondition
from trials.search import search_trials

_NCT = re.compile(r"^NCT\d{8}$", re.I)
# ASCII digits, as many as a bigint holds: "¹" is a digit to str.isdigit() but not to int(), and
# int() refuses more than 4,300 digits.
_INTERNAL_ID = re.compile(r"[0-9]{1,19}")

# Long trial columns no list shows (public results, admin lists); leaving them out keeps pages small.
HEAVY_TRIAL_FIELDS = (
    "record_snapshot",
    "field_sources",
    "curated_fields",
    "search_vector",
    "brief_summary",
    "detailed_description",
    "eligibility_criteria",
    "inclusion_criteria",
    "exclusion_criteria",
    "keywords",
)


def clean_query_text(text: str) -> str:
    """User text made safe to send to PostgreSQL, whose text type cannot hold NUL characters."""
    return text.replace("\x00", "").strip()


def trial_by_identifier(queryset: QuerySet[Trial], identifier: str) -> Trial:
    """The trial with this internal id or global registry id (NCT, EudraCT, CTIS, ISRCTN), else 404.

    One query for an internal id; two for a registry id (the id row, then the trial).
    """
    if "\x00" in identifier:  # PostgreSQL text cannot hold NUL: no trial has such an id
        raise Http404("No trial with that id")
    identifier = identifier.strip()
    if _INTERNAL_ID.fullmatch(identifier):
        trial = queryset.filter(pk=int(identifier)).first()
    else:
        trial_id = registry_trial_id(identifier)
        trial = queryset.filter(pk=trial_id).first() if trial_id else None
    if trial is None:
        raise Http404(f"No trial with id {identifier!r}")
    return trial


def registry_trial_id(text: str) -> int | None:
    """The trial whose global registry id is exactly ``text`` (NCT ids in any case), or None."""
    value = clean_query_text(text)
    if not value:
        return None
    if _NCT.match(value):
        value = value.upper()
    return (
        RegistryId.objects.filter(scheme__in=UNIQUE_ID_SCHEMES, value=value).values_list("trial_id", flat=True).first()
    )


def trial_list(text: str = "") -> QuerySet[Trial]:
    """Trials for the public list: matching ``text`` (web-search syntax) best first, else newest first.

    Three queries per page whatever its size: the trials with their sponsors, their registry ids,
    their conditions.
    """
    queryset = (
        Trial.objects.select_related("lead_sponsor")
        .defer(*HEAVY_TRIAL_FIELDS)
        .prefetch_related(
            "registry_ids",
            Prefetch("trial_conditions", queryset=TrialCondition.objects.only("trial_id", "source_term", "position")),
        )
    )
    text = clean_query_text(text)
    if text:
        return search_trials(queryset, text)
    return queryset.order_by("-last_update_date", "id")


def with_drug_class(queryset: QuerySet[Trial], class_key: str) -> QuerySet[Trial]:
    """Trials with a drug of this class or of any class under it ("PD-1 inhibitor" finds
    nivolumab, pembrolizumab, ivonescimab, QL1706 ...), through the trials' facet column, which
    holds each drug's classes with every class above them."""
    return queryset.filter(facet_drug_classes__contains=[class_key])
