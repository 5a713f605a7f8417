"""Small display helpers for the trial pages: dates at their precision, phase and status labels."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django import template
from django.utils.dateformat import format as date_format
from django.utils.html import format_html

from trials import choices

register = template.Library()

# How a date is written at each precision ("2022", "March 2022", "March 28, 2022").
_DATE_FORMATS = {
    choices.DatePrecision.YEAR: ("Y", "Y"),
    choices.DatePrecision.MONTH: ("F Y", "Y-m"),
    choices.DatePrecision.DAY: ("F j, Y", "Y-m-d"),
}

# Badge tone of each overall status: can a person join, is it running, did it stop early.
_STATUS_TONES = {
    choices.OverallStatus.NOT_YET_RECRUITING: "open",
    choices.OverallStatus.RECRUITING: "open",
    choices.OverallStatus.ENROLLING_BY_INVITATION: "open",
    choices.OverallStatus.AVAILABLE: "open",
    choices.OverallStatus.ACTIVE_NOT_RECRUITING: "active",
    choices.OverallStatus.COMPLETED: "done",
    choices.OverallStatus.APPROVED_FOR_MARKETING: "done",
    choices.OverallStatus.SUSPENDED: "stopped",
    choices.OverallStatus.TERMINATED: "stopped",
    choices.OverallStatus.WITHDRAWN: "stopped",
    choices.OverallStatus.NO_LONGER_AVAILABLE: "stopped",
    choices.OverallStatus.TEMPORARILY_NOT_AVAILABLE: "stopped",
}


# Labels looked up on every result card, built once (an enum's .values and .choices are built per use).
_DATE_KINDS = {value: label.lower() for value, label in choices.ActualOrEstimated.choices}
_PHASES = dict(choices.Phase.choices)


def partial_date_text(value: dt.date | None, precision: str) -> str:
    """``value`` written no more precisely than the source gave it; a missing precision means a day."""
    if value is None:
        return ""
    human, _ = _DATE_FORMATS.get(precision, _DATE_FORMATS[choices.DatePrecision.DAY])
    return date_format(value, human)


@register.simple_tag
def trial_date(trial, name: str):
    """``<time>`` for one of ``Trial.DATE_FIELDS`` at its precision, with "(actual)"/"(estimated)"."""
    value = getattr(trial, f"{name}_date")
    if value is None:
        return ""
    precision = getattr(trial, f"{name}_date_precision")
    _, machine = _DATE_FORMATS.get(precision, _DATE_FORMATS[choices.DatePrecision.DAY])
    kind = getattr(trial, f"{name}_date_type")
    suffix = f" ({_DATE_KINDS[kind]})" if kind in _DATE_KINDS else ""
    return format_html(
        '<time datetime="{}">{}</time>{}', date_format(value, machine), partial_date_text(value, precision), suffix
    )


@register.filter
def phase_label(phases: Iterable[str] | None) -> str:
    """["PHASE1", "PHASE2"] -> "Phase 1/Phase 2"; ["NA"] -> "Not applicable"; [] -> ""."""
    return "/".join(_PHASES.get(phase, phase) for phase in phases or ())


@register.filter
def std_age_labels(values: Iterable[str] | None) -> list[str]:
    labels = dict(choices.StdAge.choices)
    return [labels.get(value, value) for value in values or ()]


@register.filter
def status_tone(status: str) -> str:
    """CSS modifier for a status badge: open, active, done, stopped or unknown."""
    return _STATUS_TONES.get(status, "unknown")


@register.filter
def yes_no(value: bool | None) -> str:
    return {True: "Yes", False: "No"}.get(value, "Not stated")


@register.filter
def of_kind(contacts: Iterable, kind: str) -> list:
    """The prefetched contacts of one kind (central contacts or overall officials)."""
    return [contact for contact in contacts if contact.kind == kind]


@register.filter
def primary_id(trial):
    """The NCT id, else the first registry id, from the prefetched ``registry_ids``."""
    return trial.primary_registry_id()


@register.filter
def short_hash(value: str, length: int = 12) -> str:
    return value[:length]


@register.filter
def outcomes_by_kind(outcomes: Iterable) -> list[tuple[str, list]]:
    """Prefetched outcomes as (heading, outcomes): primary, then secondary, then other."""
    groups: dict[str, list] = {kind: [] for kind in choices.OutcomeKind.values}
    for outcome in outcomes:
        groups.setdefault(outcome.kind, []).append(outcome)
    labels = {
        choices.OutcomeKind.PRIMARY: "Primary outcomes",
        choices.OutcomeKind.SECONDARY: "Secondary outcomes",
        choices.OutcomeKind.OTHER: "Other pre-specified outcomes",
    }
    return [(labels.get(kind, kind), items) for kind, items in groups.items() if items]
