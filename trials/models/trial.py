"""The trial itself, its identifiers and its sponsors."""

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F, Q

from trials import choices


class Organization(models.Model):
    """A sponsor or collaborator, with the agency class CT.gov gives it."""

    Class = choices.AgencyClass

    name = models.CharField(max_length=500)
    agency_class = models.CharField(max_length=16, choices=Class.choices, blank=True, default="")

    class Meta:
        ordering = ["name"]
        constraints = [
            # The same name with another class stays a separate row, so that re-importing one
            # trial never changes what another trial's sponsor looks like.
            models.UniqueConstraint(fields=["name", "agency_class"], name="organization_name_class_uniq"),
        ]

    def __str__(self):
        return f"{self.name} ({self.agency_class})" if self.agency_class else self.name


def _date_fields(label: str):
    return (
        models.DateField(f"{label} date", null=True, blank=True),
        models.CharField(max_length=5, choices=choices.DatePrecision.choices, blank=True, default=""),
        models.CharField(max_length=9, choices=choices.ActualOrEstimated.choices, blank=True, default=""),
    )


class Trial(models.Model):
    Status = choices.OverallStatus
    Phase = choices.Phase
    StudyType = choices.StudyType
    Allocation = choices.Allocation
    InterventionModel = choices.InterventionModel
    Masking = choices.Masking
    PrimaryPurpose = choices.PrimaryPurpose
    EnrollmentType = choices.ActualOrEstimated
    Sex = choices.Sex
    StdAge = choices.StdAge
    ResponsiblePartyType = choices.ResponsiblePartyType

    # Each partial date: the first day of its period, how precise the source was, actual/estimated.
    DATE_FIELDS = ("start", "primary_completion", "completion", "first_posted", "last_update")

    brief_title = models.TextField(blank=True)
    official_title = models.TextField(blank=True)
    acronym = models.CharField(max_length=100, blank=True)
    brief_summary = models.TextField(blank=True)
    detailed_description = models.TextField(blank=True)
    keywords = ArrayField(models.TextField(), default=list, blank=True)

    overall_status = models.CharField(max_length=32, choices=Status.choices, blank=True, default="")
    why_stopped = models.TextField(blank=True)
    # A set of phases ([] = not provided, ["NA"] = not applicable, ["PHASE1", "PHASE2"] = phase 1/2).
    phases = ArrayField(models.CharField(max_length=12, choices=Phase.choices), default=list, blank=True)
    study_type = models.CharField(max_length=20, choices=StudyType.choices, blank=True, default="")

    allocation = models.CharField(max_length=16, choices=Allocation.choices, blank=True, default="")
    intervention_model = models.CharField(max_length=16, choices=InterventionModel.choices, blank=True, default="")
    masking = models.CharField(max_length=12, choices=Masking.choices, blank=True, default="")
    primary_purpose = models.CharField(max_length=32, choices=PrimaryPurpose.choices, blank=True, default="")

    enrollment_count = models.PositiveIntegerField(null=True, blank=True)
    enrollment_type = models.CharField(max_length=9, choices=EnrollmentType.choices, blank=True, default="")

    start_date, start_date_precision, start_date_type = _date_fields("start")
    primary_completion_date, primary_completion_date_precision, primary_completion_date_type = _date_fields(
        "primary completion"
    )
    completion_date, completion_date_precision, completion_date_type = _date_fields("completion")
    first_posted_date, first_posted_date_precision, first_posted_date_type = _date_fields("first posted")
    last_update_date, last_update_date_precision, last_update_date_type = _date_fields("last update")

    lead_sponsor = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="sponsored_trials"
    )
    collaborators = models.ManyToManyField(Organization, blank=True, related_name="collaborations")
    responsible_party_type = models.CharField(
        max_length=24, choices=ResponsiblePartyType.choices, blank=True, default=""
    )
    responsible_party_name = models.CharField(max_length=300, blank=True)
    responsible_party_title = models.CharField(max_length=300, blank=True)
    responsible_party_affiliation = models.CharField(max_length=500, blank=True)

    # Eligibility. Ages are kept as written and in years, for comparison ("6 Months" -> 0.5).
    eligibility_criteria = models.TextField(blank=True)
    inclusion_criteria = ArrayField(models.TextField(), default=list, blank=True)
    exclusion_criteria = ArrayField(models.TextField(), default=list, blank=True)
    sex = models.CharField(max_length=6, choices=Sex.choices, blank=True, default="")
    minimum_age = models.CharField(max_length=40, blank=True)
    maximum_age = models.CharField(max_length=40, blank=True)
    min_age_years = models.FloatField(null=True, blank=True)
    max_age_years = models.FloatField(null=True, blank=True)
    healthy_volunteers = models.BooleanField(null=True, blank=True)
    std_ages = ArrayField(models.CharField(max_length=12, choices=StdAge.choices), default=list, blank=True)

    has_results = models.BooleanField(null=True, blank=True)

    # The record the loader last derived from all of the trial's sources (TrialRecord.snapshot()
    # of their merge), compared on re-import; curators' edits are not in it.
    record_snapshot = models.JSONField(default=dict, blank=True, editable=False)
    # Which source record gave each fact: {record field: SourceRecord id}.
    field_sources = models.JSONField(default=dict, blank=True, editable=False)
    # Facts a curator set in admin, which imports leave as the curator left them:
    # {column or part: {"by": username, "at": ISO time, "source_value": what the sources now say}}.
    curated_fields = models.JSONField(default=dict, blank=True, editable=False)
    search_vector = SearchVectorField(null=True, editable=False)
    # The facets' values, copied from the trial's rows by ``trials.search_index`` whenever they
    # change, so that filtering and counting read one row per trial (``facet_x && ARRAY[...]``,
    # ``unnest(facet_x) GROUP BY``) instead of joining five tables per facet.
    facet_sponsor_class = models.CharField(max_length=16, blank=True, default="", editable=False)
    # MeSH condition descriptors with every heading above them (a trial of small cell lung
    # cancer is under Lung Neoplasms and Neoplasms).
    facet_conditions = ArrayField(models.CharField(max_length=12), default=list, blank=True, editable=False)
    facet_drugs = ArrayField(models.CharField(max_length=300), default=list, blank=True, editable=False)
    # Drug class keys with their parent classes (PD-1 inhibitor, immune checkpoint inhibitor ...).
    facet_drug_classes = ArrayField(models.CharField(max_length=200), default=list, blank=True, editable=False)
    facet_intervention_types = ArrayField(models.CharField(max_length=20), default=list, blank=True, editable=False)
    facet_countries = ArrayField(models.CharField(max_length=2), default=list, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-last_update_date", "id"]
        indexes = [
            # Full-text search on the public list page and the API (search_vector @@ query).
            GinIndex(fields=["search_vector"], name="trial_search_vector_gin"),
            # Status filter and facet counts.
            models.Index(fields=["overall_status"], name="trial_overall_status_idx"),
            # Phase filter: phases && ARRAY['PHASE2'].
            GinIndex(fields=["phases"], name="trial_phases_gin"),
            # Default ordering of lists: most recently updated first.
            models.Index(fields=["-last_update_date", "id"], name="trial_last_update_idx"),
            # Sorts of the search page (trials.search_results.ordered): newest update, latest start,
            # largest enrollment first, trials without the fact last.
            models.Index(F("last_update_date").desc(nulls_last=True), "id", name="trial_last_update_nl_idx"),
            models.Index(F("start_date").desc(nulls_last=True), "id", name="trial_start_date_idx"),
            models.Index(F("enrollment_count").desc(nulls_last=True), "id", name="trial_enrollment_idx"),
            # Facet filters of the search page and the API (facet_x && ARRAY[...]).
            GinIndex(fields=["facet_conditions"], name="trial_facet_conditions_gin"),
            GinIndex(fields=["facet_drugs"], name="trial_facet_drugs_gin"),
            GinIndex(fields=["facet_drug_classes"], name="trial_facet_drug_classes_gin"),
            GinIndex(fields=["facet_intervention_types"], name="trial_facet_itypes_gin"),
            GinIndex(fields=["facet_countries"], name="trial_facet_countries_gin"),
            GinIndex(fields=["std_ages"], name="trial_std_ages_gin"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(enrollment_count__isnull=True) | Q(enrollment_count__gte=0),
                name="trial_enrollment_nonnegative",
            ),
            models.CheckConstraint(
                condition=Q(min_age_years__isnull=True)
                | Q(max_age_years__isnull=True)
                | Q(min_age_years__lte=models.F("max_age_years")),
                name="trial_age_range_ordered",
            ),
        ]

    def __str__(self):
        return self.brief_title or self.official_title or f"Trial {self.pk}"

    def primary_registry_id(self):
        """The NCT id if any, else the first identifier. Uses prefetched ``registry_ids`` when present."""
        ids = list(self.registry_ids.all())
        for rid in ids:
            if rid.scheme == RegistryId.Scheme.NCT:
                return rid
        return ids[0] if ids else None


class RegistryId(models.Model):
    Scheme = choices.IdScheme

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="registry_ids")
    scheme = models.CharField(max_length=16, choices=Scheme.choices)
    value = models.CharField(max_length=200)
    issuer = models.CharField(max_length=500, blank=True, help_text="Who issued it, e.g. the sponsor of an org id")

    class Meta:
        ordering = ["trial", "id"]
        verbose_name = "registry identifier"
        indexes = [
            # Lookup of /api/trials/<any registry id>/ and of the loader's matching by id.
            models.Index(fields=["value"], name="registryid_value_idx"),
        ]
        constraints = [
            # A global registry id names exactly one trial in the catalogue.
            models.UniqueConstraint(
                fields=["scheme", "value"],
                condition=Q(scheme__in=choices.UNIQUE_ID_SCHEMES),
                name="registryid_unique_schemes_uniq",
            ),
            models.UniqueConstraint(fields=["trial", "scheme", "value", "issuer"], name="registryid_per_trial_uniq"),
        ]

    def __str__(self):
        return f"{self.scheme}: {self.value}"
