"""Where a trial's facts came from and how they changed: its source records with the facts each
gave, the facts curators set, and the change history (the trial page's one query of its own)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from trials import choices
from trials.models import Trial, TrialChange
from trials.templatetags.trial_format import partial_date_text, phase_label

CHANGE_HISTORY_LIMIT = 20


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
