from trials.models.design import Arm, Intervention, Outcome
from trials.models.places import Contact, Site
from trials.models.provenance import CatalogueChange, ImportFile, ImportOutcome, ImportRun, SourceRecord, TrialChange
from trials.models.trial import Organization, RegistryId, Trial
from trials.models.vocab import Condition, Drug, DrugClass, TrialCondition, TrialMeshTerm

__all__ = [
    "Arm",
    "CatalogueChange",
    "Condition",
    "Contact",
    "Drug",
    "DrugClass",
    "ImportFile",
    "ImportOutcome",
    "ImportRun",
    "Intervention",
    "Organization",
    "Outcome",
    "RegistryId",
    "Site",
    "SourceRecord",
    "Trial",
    "TrialChange",
    "TrialCondition",
    "TrialMeshTerm",
]
