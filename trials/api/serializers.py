"""What the search API returns: the envelope (count, paging links, facets, notices) and a compact
summary of each listed trial. They read what ``search_results.search`` fetched and attached, so
serializing a page runs no query of its own.
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from trials import choices
from trials.models import RegistryId, Trial
from trials.trial_json import date_json

SUMMARY_DATES = ("start", "primary_completion", "completion", "last_update")


class OptionalChoiceField(serializers.ChoiceField):
    """A CT.gov enum value, or null where the source states none (the trial JSON's convention)."""

    def __init__(self, choices, **kwargs):
        super().__init__(choices, allow_null=True, **kwargs)

    def to_representation(self, value):
        return value or None


class RegistryIdSerializer(serializers.Serializer):
    scheme = serializers.ChoiceField(RegistryId.Scheme.choices)
    value = serializers.CharField()


class DrugClassSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="What the `drug_class` filter takes")
    name = serializers.CharField()


class DrugSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="What the `drug` filter takes")
    name = serializers.CharField()
    classes = DrugClassSerializer(many=True)


class SponsorSerializer(serializers.Serializer):
    name = serializers.CharField()

    def get_fields(self):
        fields = super().get_fields()
        # "class" as in the trial JSON; a reserved word cannot be a declared attribute.
        fields["class"] = OptionalChoiceField(choices.AgencyClass.choices, source="agency_class")
        return fields


class EnrollmentSerializer(serializers.Serializer):
    count = serializers.IntegerField(source="enrollment_count", allow_null=True)
    type = OptionalChoiceField(choices.ActualOrEstimated.choices, source="enrollment_type")


class PartialDateSerializer(serializers.Serializer):
    date = serializers.CharField(help_text="At the precision the source gave: `2024`, `2024-09` or `2024-09-04`")
    type = OptionalChoiceField(choices.ActualOrEstimated.choices)


class DatesSerializer(serializers.Serializer):
    def get_fields(self):
        return {name: PartialDateSerializer(allow_null=True) for name in SUMMARY_DATES}


class NearestSiteSerializer(serializers.Serializer):
    facility = serializers.CharField()
    city = serializers.CharField()
    state = serializers.CharField()
    country = serializers.CharField(help_text="As the source wrote it")
    status = OptionalChoiceField(choices.RecruitmentStatus.choices)
    distance_km = serializers.SerializerMethodField()

    def get_distance_km(self, site) -> float:
        return round(site.distance, 1)


class HighlightSerializer(serializers.Serializer):
    title = serializers.CharField(help_text="HTML: the title escaped, the matched words in `<mark>`")
    summary = serializers.CharField(help_text="HTML: an excerpt of the summary, escaped, matches in `<mark>`")


# Reads a trial from ``search()``: registry ids and conditions prefetched, ``listed_drugs``,
# ``nearest_site`` and the highlights attached.
class TrialSummarySerializer(serializers.Serializer):
    """One trial of the results, in short; `api_url` gives its whole JSON."""

    id = serializers.IntegerField()
    nct_id = serializers.SerializerMethodField()
    registry_ids = RegistryIdSerializer(many=True)
    brief_title = serializers.CharField()
    acronym = serializers.SerializerMethodField()
    overall_status = OptionalChoiceField(choices.OverallStatus.choices)
    phases = serializers.ListField(child=serializers.ChoiceField(choices.Phase.choices))
    study_type = OptionalChoiceField(choices.StudyType.choices)
    conditions = serializers.SerializerMethodField()
    drugs = DrugSerializer(many=True, source="listed_drugs")
    sponsor = SponsorSerializer(source="lead_sponsor", allow_null=True)
    enrollment = EnrollmentSerializer(source="*")
    dates = serializers.SerializerMethodField()
    has_results = serializers.BooleanField(allow_null=True)
    nearest_site = NearestSiteSerializer(
        allow_null=True, help_text="The nearest site within the radius when `near` is given; else null"
    )
    highlight = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    api_url = serializers.SerializerMethodField()

    def to_representation(self, trial: Trial) -> dict:
        """The fields above written out: DRF's walk over them (about 60 fields and nested
        serializers a trial) took longer than the page's queries. ``tests/api/test_serializers.py``
        checks both give the same."""
        sponsor, site = trial.lead_sponsor, trial.nearest_site
        return {
            "id": trial.pk,
            "nct_id": self.get_nct_id(trial),
            "registry_ids": [{"scheme": r.scheme, "value": r.value} for r in trial.registry_ids.all()],
            "brief_title": trial.brief_title,
            "acronym": self.get_acronym(trial),
            "overall_status": trial.overall_status or None,
            "phases": list(trial.phases),
            "study_type": trial.study_type or None,
            "conditions": self.get_conditions(trial),
            "drugs": [
                {"key": d.key, "name": d.name, "classes": [{"key": c.key, "name": c.name} for c in d.classes]}
                for d in trial.listed_drugs
            ],
            "sponsor": sponsor and {"name": sponsor.name, "class": sponsor.agency_class or None},
            "enrollment": {"count": trial.enrollment_count, "type": trial.enrollment_type or None},
            "dates": self.get_dates(trial),
            "has_results": trial.has_results,
            "nearest_site": site
            and {
                **{name: getattr(site, name) for name in ("facility", "city", "state", "country")},
                "status": site.status or None,
                "distance_km": self.fields["nearest_site"].get_distance_km(site),
            },
            "highlight": self.get_highlight(trial),
            "url": self.get_url(trial),
            "api_url": self.get_api_url(trial),
        }

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_nct_id(self, trial: Trial):
        return next((r.value for r in trial.registry_ids.all() if r.scheme == RegistryId.Scheme.NCT), None)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_acronym(self, trial: Trial):
        return trial.acronym or None

    @extend_schema_field(serializers.ListField(child=serializers.CharField(), help_text="As the source words them"))
    def get_conditions(self, trial: Trial):
        return [tc.source_term for tc in trial.trial_conditions.all()]

    @extend_schema_field(DatesSerializer)
    def get_dates(self, trial: Trial):
        return {name: date_json(trial, name) for name in SUMMARY_DATES}

    @extend_schema_field(HighlightSerializer(allow_null=True, help_text="With `q`: the matched words marked"))
    def get_highlight(self, trial: Trial):
        if trial.title_html is None:
            return None
        return {"title": str(trial.title_html), "summary": str(trial.summary_html)}

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, trial: Trial) -> str:
        return self.context["request"].build_absolute_uri(reverse("trials:detail", args=[trial.pk]))

    @extend_schema_field(OpenApiTypes.URI)
    def get_api_url(self, trial: Trial) -> str:
        return self.context["request"].build_absolute_uri(reverse("trials:api-detail", args=[trial.pk]))


class FacetValueSerializer(serializers.Serializer):
    value = serializers.CharField(help_text="What the filter of the same name takes")
    label = serializers.CharField()
    count = serializers.IntegerField(help_text="Matching trials with this value, this facet's own selection aside")
    selected = serializers.BooleanField()
    depth = serializers.IntegerField(help_text="In the condition and drug class trees: levels below the top")


class NoticeSerializer(serializers.Serializer):
    parameter = serializers.CharField()
    message = serializers.CharField()


class FacetsField(serializers.DictField):
    """Each facet's values (``FacetValue``) as ``FacetValueSerializer`` gives them, written out: a
    search lists some 150, and DRF's walk over their fields took several milliseconds."""

    def to_representation(self, facets: dict) -> dict:
        return {name: [_facet_value(value) for value in values] for name, values in facets.items()}


def _facet_value(value) -> dict:
    # Coerced as the fields would: a count from the in-memory engine must not reach the JSON
    # renderer as a numpy integer.
    return {
        "value": str(value.value),
        "label": str(value.label),
        "count": int(value.count),
        "selected": bool(value.selected),
        "depth": int(value.depth),
    }


class TrialSearchSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Trials matching the whole search")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = TrialSummarySerializer(many=True)
    facets = FacetsField(
        child=FacetValueSerializer(many=True),
        help_text="For each filter with a facet (status, phase, condition, drug, drug_class, intervention_type, "
        "study_type, sponsor_class, country, age, sex, healthy_volunteers, has_results): its largest values",
    )
    notices = NoticeSerializer(many=True, help_text="Values (and parameters) left out of the search, and why")
    suggestion = serializers.CharField(allow_null=True, help_text="Did you mean: when `q` matched nothing")


class ErrorSerializer(serializers.Serializer):
    error = serializers.CharField()
    parameter = serializers.CharField(required=False)


# One trial's JSON (``trial_json``, also the JSON export), described for the schema only: the view
# returns that dict as it is. Its top level and the parts a client reads most are typed; the rest
# are objects whose keys the description names.
def _text(**kwargs):
    return serializers.CharField(allow_null=True, **kwargs)


class OrganizationJsonSerializer(serializers.Serializer):
    name = serializers.CharField()

    def get_fields(self):
        return {**super().get_fields(), "class": _text(help_text="CT.gov agency class")}


class TrialConditionJsonSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The normalized condition")
    mesh_id = _text()
    source_term = serializers.CharField(help_text="As the source words it")


class ArmJsonSerializer(serializers.Serializer):
    label = serializers.CharField()
    type = _text()
    description = _text()
    interventions = serializers.ListField(child=serializers.CharField(), help_text="Intervention names")


class InterventionJsonSerializer(serializers.Serializer):
    type = _text()
    name = serializers.CharField()
    description = _text()
    other_names = serializers.ListField(child=serializers.CharField())
    is_placebo = serializers.BooleanField()
    drugs = serializers.ListField(child=serializers.DictField(), help_text="`name`, `classes`, `resolved_by`")


class OutcomeJsonSerializer(serializers.Serializer):
    kind = serializers.CharField()
    measure = serializers.CharField()
    description = _text()
    time_frame = _text()


class SiteJsonSerializer(serializers.Serializer):
    facility = _text()
    city = _text()
    state = _text()
    postal_code = _text()
    country = _text(help_text="ISO 3166-1 alpha-2")
    country_name = _text(help_text="As the source wrote it")
    status = _text()
    latitude = serializers.FloatField(allow_null=True)
    longitude = serializers.FloatField(allow_null=True)
    coordinates_from = _text()
    contacts = serializers.ListField(child=serializers.DictField())


class TrialJsonSerializer(serializers.Serializer):
    """The trial's canonical JSON: every fact the catalogue holds, as the sources stated it."""

    id = serializers.IntegerField()
    registry_ids = RegistryIdSerializer(many=True)
    brief_title = serializers.CharField()
    official_title = _text()
    acronym = _text()
    brief_summary = _text()
    detailed_description = _text()
    keywords = serializers.ListField(child=serializers.CharField())
    overall_status = _text()
    why_stopped = _text()
    phases = serializers.ListField(child=serializers.CharField())
    study_type = _text()
    design = serializers.DictField(help_text="`allocation`, `intervention_model`, `masking`, `primary_purpose`")
    enrollment = serializers.DictField(help_text="`count` and `type` (ACTUAL or ESTIMATED)")
    dates = serializers.DictField(
        child=PartialDateSerializer(allow_null=True), help_text="start, primary_completion, completion, ..."
    )
    sponsor = OrganizationJsonSerializer(allow_null=True)
    collaborators = OrganizationJsonSerializer(many=True)
    responsible_party = serializers.DictField(allow_null=True, help_text="`type`, `name`, `title`, `affiliation`")
    conditions = TrialConditionJsonSerializer(many=True)
    arms = ArmJsonSerializer(many=True)
    interventions = InterventionJsonSerializer(many=True)
    outcomes = OutcomeJsonSerializer(many=True)
    eligibility = serializers.DictField(help_text="`criteria`, `inclusion`, `exclusion`, `sex`, ages ...")
    sites = SiteJsonSerializer(many=True)
    central_contacts = serializers.ListField(child=serializers.DictField())
    officials = serializers.ListField(child=serializers.DictField())
    has_results = serializers.BooleanField(allow_null=True)
    sources = serializers.ListField(child=serializers.DictField())
    fact_sources = serializers.DictField(help_text="Which source (an id in `sources`) gave each fact")
    curated = serializers.DictField(help_text="Facts a curator set, with who and when")
