"""ClinicalTrials.gov API v2 enumerations, shared by the models and the parsers.

They live outside ``models.py`` so that parsers (pure functions, no ORM) can name the same
values; each model exposes the ones it uses as nested attributes (``Trial.Status``).
Values are CT.gov's API v2 spellings; labels are what the registry shows.
"""

from django.db import models


class OverallStatus(models.TextChoices):
    NOT_YET_RECRUITING = "NOT_YET_RECRUITING", "Not yet recruiting"
    RECRUITING = "RECRUITING", "Recruiting"
    ENROLLING_BY_INVITATION = "ENROLLING_BY_INVITATION", "Enrolling by invitation"
    ACTIVE_NOT_RECRUITING = "ACTIVE_NOT_RECRUITING", "Active, not recruiting"
    SUSPENDED = "SUSPENDED", "Suspended"
    TERMINATED = "TERMINATED", "Terminated"
    COMPLETED = "COMPLETED", "Completed"
    WITHDRAWN = "WITHDRAWN", "Withdrawn"
    UNKNOWN = "UNKNOWN", "Unknown status"
    AVAILABLE = "AVAILABLE", "Available"
    NO_LONGER_AVAILABLE = "NO_LONGER_AVAILABLE", "No longer available"
    TEMPORARILY_NOT_AVAILABLE = "TEMPORARILY_NOT_AVAILABLE", "Temporarily not available"
    APPROVED_FOR_MARKETING = "APPROVED_FOR_MARKETING", "Approved for marketing"
    WITHHELD = "WITHHELD", "Withheld"


# Statuses under which a person can still join (or soon join) a study.
OPEN_STATUSES = frozenset(
    {
        OverallStatus.NOT_YET_RECRUITING,
        OverallStatus.RECRUITING,
        OverallStatus.ENROLLING_BY_INVITATION,
        OverallStatus.AVAILABLE,
    }
)


class Phase(models.TextChoices):
    # NA ("Not Applicable") is a statement by the sponsor; an empty phase list means "not provided".
    NA = "NA", "Not applicable"
    EARLY_PHASE1 = "EARLY_PHASE1", "Early phase 1"
    PHASE1 = "PHASE1", "Phase 1"
    PHASE2 = "PHASE2", "Phase 2"
    PHASE3 = "PHASE3", "Phase 3"
    PHASE4 = "PHASE4", "Phase 4"


class StudyType(models.TextChoices):
    INTERVENTIONAL = "INTERVENTIONAL", "Interventional"
    OBSERVATIONAL = "OBSERVATIONAL", "Observational"
    EXPANDED_ACCESS = "EXPANDED_ACCESS", "Expanded access"


class Allocation(models.TextChoices):
    RANDOMIZED = "RANDOMIZED", "Randomized"
    NON_RANDOMIZED = "NON_RANDOMIZED", "Non-randomized"
    NA = "NA", "N/A"


class InterventionModel(models.TextChoices):
    SINGLE_GROUP = "SINGLE_GROUP", "Single group assignment"
    PARALLEL = "PARALLEL", "Parallel assignment"
    CROSSOVER = "CROSSOVER", "Crossover assignment"
    FACTORIAL = "FACTORIAL", "Factorial assignment"
    SEQUENTIAL = "SEQUENTIAL", "Sequential assignment"


class Masking(models.TextChoices):
    NONE = "NONE", "None (open label)"
    SINGLE = "SINGLE", "Single"
    DOUBLE = "DOUBLE", "Double"
    TRIPLE = "TRIPLE", "Triple"
    QUADRUPLE = "QUADRUPLE", "Quadruple"


class PrimaryPurpose(models.TextChoices):
    TREATMENT = "TREATMENT", "Treatment"
    PREVENTION = "PREVENTION", "Prevention"
    DIAGNOSTIC = "DIAGNOSTIC", "Diagnostic"
    ECT = "ECT", "Educational/counseling/training"
    SUPPORTIVE_CARE = "SUPPORTIVE_CARE", "Supportive care"
    SCREENING = "SCREENING", "Screening"
    HEALTH_SERVICES_RESEARCH = "HEALTH_SERVICES_RESEARCH", "Health services research"
    BASIC_SCIENCE = "BASIC_SCIENCE", "Basic science"
    DEVICE_FEASIBILITY = "DEVICE_FEASIBILITY", "Device feasibility"
    OTHER = "OTHER", "Other"


class ActualOrEstimated(models.TextChoices):
    ACTUAL = "ACTUAL", "Actual"
    ESTIMATED = "ESTIMATED", "Estimated"


class DatePrecision(models.TextChoices):
    YEAR = "YEAR", "Year"
    MONTH = "MONTH", "Month"
    DAY = "DAY", "Day"


class AgencyClass(models.TextChoices):
    NIH = "NIH", "NIH"
    FED = "FED", "Other U.S. federal agency"
    OTHER_GOV = "OTHER_GOV", "Other government"
    INDIV = "INDIV", "Individual"
    INDUSTRY = "INDUSTRY", "Industry"
    NETWORK = "NETWORK", "Network"
    AMBIG = "AMBIG", "Ambiguous"
    OTHER = "OTHER", "Other"
    UNKNOWN = "UNKNOWN", "Unknown"


class ArmType(models.TextChoices):
    EXPERIMENTAL = "EXPERIMENTAL", "Experimental"
    ACTIVE_COMPARATOR = "ACTIVE_COMPARATOR", "Active comparator"
    PLACEBO_COMPARATOR = "PLACEBO_COMPARATOR", "Placebo comparator"
    SHAM_COMPARATOR = "SHAM_COMPARATOR", "Sham comparator"
    NO_INTERVENTION = "NO_INTERVENTION", "No intervention"
    OTHER = "OTHER", "Other"


class InterventionType(models.TextChoices):
    DRUG = "DRUG", "Drug"
    BIOLOGICAL = "BIOLOGICAL", "Biological"
    DEVICE = "DEVICE", "Device"
    PROCEDURE = "PROCEDURE", "Procedure"
    RADIATION = "RADIATION", "Radiation"
    BEHAVIORAL = "BEHAVIORAL", "Behavioral"
    GENETIC = "GENETIC", "Genetic"
    DIETARY_SUPPLEMENT = "DIETARY_SUPPLEMENT", "Dietary supplement"
    COMBINATION_PRODUCT = "COMBINATION_PRODUCT", "Combination product"
    DIAGNOSTIC_TEST = "DIAGNOSTIC_TEST", "Diagnostic test"
    OTHER = "OTHER", "Other"


# Intervention types whose names are resolved to drugs.
DRUG_LIKE_INTERVENTION_TYPES = frozenset(
    {InterventionType.DRUG, InterventionType.BIOLOGICAL, InterventionType.COMBINATION_PRODUCT}
)


class OutcomeKind(models.TextChoices):
    PRIMARY = "PRIMARY", "Primary"
    SECONDARY = "SECONDARY", "Secondary"
    OTHER = "OTHER", "Other pre-specified"


class Sex(models.TextChoices):
    ALL = "ALL", "All"
    FEMALE = "FEMALE", "Female"
    MALE = "MALE", "Male"


class StdAge(models.TextChoices):
    CHILD = "CHILD", "Child (birth–17)"
    ADULT = "ADULT", "Adult (18–64)"
    OLDER_ADULT = "OLDER_ADULT", "Older adult (65+)"


class RecruitmentStatus(models.TextChoices):
    """A site's own status (CT.gov ``locations[].status``)."""

    NOT_YET_RECRUITING = "NOT_YET_RECRUITING", "Not yet recruiting"
    RECRUITING = "RECRUITING", "Recruiting"
    ENROLLING_BY_INVITATION = "ENROLLING_BY_INVITATION", "Enrolling by invitation"
    ACTIVE_NOT_RECRUITING = "ACTIVE_NOT_RECRUITING", "Active, not recruiting"
    SUSPENDED = "SUSPENDED", "Suspended"
    TERMINATED = "TERMINATED", "Terminated"
    COMPLETED = "COMPLETED", "Completed"
    WITHDRAWN = "WITHDRAWN", "Withdrawn"
    AVAILABLE = "AVAILABLE", "Available"


class ContactRole(models.TextChoices):
    CONTACT = "CONTACT", "Contact"
    PRINCIPAL_INVESTIGATOR = "PRINCIPAL_INVESTIGATOR", "Principal investigator"
    SUB_INVESTIGATOR = "SUB_INVESTIGATOR", "Sub-investigator"
    STUDY_CHAIR = "STUDY_CHAIR", "Study chair"
    STUDY_DIRECTOR = "STUDY_DIRECTOR", "Study director"


class ResponsiblePartyType(models.TextChoices):
    SPONSOR = "SPONSOR", "Sponsor"
    PRINCIPAL_INVESTIGATOR = "PRINCIPAL_INVESTIGATOR", "Principal investigator"
    SPONSOR_INVESTIGATOR = "SPONSOR_INVESTIGATOR", "Sponsor-investigator"


class IdScheme(models.TextChoices):
    NCT = "NCT", "ClinicalTrials.gov (NCT)"
    EUDRACT = "EUDRACT", "EudraCT"
    CTIS = "CTIS", "EU CT (CTIS)"
    ISRCTN = "ISRCTN", "ISRCTN"
    OTHER_REGISTRY = "OTHER_REGISTRY", "Other registry"
    ORG_STUDY_ID = "ORG_STUDY_ID", "Organization's study id"
    NIH_GRANT = "NIH_GRANT", "NIH grant"
    OTHER_GRANT = "OTHER_GRANT", "Other grant/funding"
    OTHER = "OTHER", "Other identifier"
    # The catalogue's own stable id for a record that names no registry id (a field dump).
    LOCAL = "LOCAL", "Catalogue id"


# Identifiers that name exactly one trial worldwide: they are unique across the catalogue and
# a record sharing one of them with a trial is that trial. Org study ids ("001") and grant
# numbers are shared between studies, so they never match records together.
GLOBAL_ID_SCHEMES = (IdScheme.NCT, IdScheme.EUDRACT, IdScheme.CTIS, IdScheme.ISRCTN)
# Ids that name one trial within the catalogue: the global ones and the catalogue's own.
UNIQUE_ID_SCHEMES = (*GLOBAL_ID_SCHEMES, IdScheme.LOCAL)


class SourceFormat(models.TextChoices):
    CTGOV_API_V2_JSON = "ctgov_api_v2_json", "ClinicalTrials.gov API v2 JSON"
    CTGOV_LEGACY_XML = "ctgov_legacy_xml", "ClinicalTrials.gov legacy XML"
    CTGOV_CSV = "ctgov_csv", "ClinicalTrials.gov CSV export"
    CTGOV_PAGE = "ctgov_page", "Saved ClinicalTrials.gov study page"
    VEEVA_PAGE = "veeva_page", "Saved ClinicalTrials.Veeva study page"
    FIELD_DUMP = "field_dump", "Unlabeled field dump of a ClinicalTrials.gov record"
