"""How registries word their enumerated facts, read onto ClinicalTrials.gov API v2 values.

Every source shape other than API v2 JSON writes enums as words meant for people: legacy XML and
the classic pages say "Active, not recruiting" and "Phase 1/Phase 2", ClinicalTrials.Veeva says
"Not yet enrolling" and "Begins enrollment in 4 months", CSV exports say "PHASE1|PHASE2" or
"Phase 1|Phase 2". Each reader here takes such words and returns a ``choices`` value; an empty
or "not stated" text is ``None``; a word no registry uses raises ``ParseError`` so that a new
wording is noticed rather than silently dropped.
"""

from __future__ import annotations

import re
from functools import lru_cache

from django.db import models

from trials import choices
from trials.ingest.leniency import tolerant
from trials.ingest.normalize import clean_line, count_of, date_type
from trials.ingest.records import ParseError

_UNSTATED = {"", "n/a", "na", "none", "not provided", "not stated", "unknown", "-"}


def _fold(text: str) -> str:
    """Case-, punctuation- and spacing-insensitive key: "Non-Randomized" and "NON_RANDOMIZED" meet."""
    return " ".join(re.sub(r"[^a-z0-9/]+", " ", text.casefold()).split())


@lru_cache(maxsize=64)
def _index(enum: type[models.TextChoices]) -> dict[str, str]:
    index: dict[str, str] = {}
    for value, label in enum.choices:
        index[_fold(value)] = value
        index[_fold(str(label))] = value
    return index


def enum_value(enum: type[models.TextChoices], text: str | None, aliases: dict[str, str] | None = None) -> str | None:
    """The ``enum`` value a registry's word stands for: its API name or its label, in any case,
    with ``aliases`` (folded words -> value) for the other wordings. ``None`` when unstated."""
    line = clean_line(text)
    if line.casefold() in _UNSTATED:
        return None
    key = _fold(line)
    if aliases and key in aliases:
        return str(aliases[key])  # a plain value, not an enum member (records compare and print alike)
    value = _index(enum).get(key)
    if value is None:
        raise ParseError(f"unknown {_enum_name(enum)} {line!r}")
    return value


def _enum_name(enum: type[models.TextChoices]) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", " ", enum.__name__).lower()


# ---------------------------------------------------------------------------------------------
# Status

_S = choices.OverallStatus
_STATUS_ALIASES = {
    # ClinicalTrials.Veeva
    "not yet enrolling": _S.NOT_YET_RECRUITING,
    "enrolling": _S.RECRUITING,
    "status unknown": _S.UNKNOWN,
    "enrolling by invitation only": _S.ENROLLING_BY_INVITATION,
    "active not enrolling": _S.ACTIVE_NOT_RECRUITING,
    "trial completed": _S.COMPLETED,
    "completed trial": _S.COMPLETED,
    "no longer available for expanded access": _S.NO_LONGER_AVAILABLE,
    "available for expanded access": _S.AVAILABLE,
    # Legacy XML and CSV
    "unknown status": _S.UNKNOWN,
    "active": _S.RECRUITING,
    "open": _S.RECRUITING,
    "temporarily not available": _S.TEMPORARILY_NOT_AVAILABLE,
    "approved for marketing": _S.APPROVED_FOR_MARKETING,
}
# The classic page before 2017 wrote the status as a sentence.
_STATUS_SENTENCES = [
    (re.compile(r"(?i)not yet open for (?:participant )?recruitment"), _S.NOT_YET_RECRUITING),
    (re.compile(r"(?i)ongoing,? but not recruiting|active,? not recruiting"), _S.ACTIVE_NOT_RECRUITING),
    (re.compile(r"(?i)enrolling (?:participants )?by invitation"), _S.ENROLLING_BY_INVITATION),
    (re.compile(r"(?i)currently recruiting|is recruiting"), _S.RECRUITING),
    (re.compile(r"(?i)recruitment status of this study is unknown|status (?:of this study )?is unknown"), _S.UNKNOWN),
    (re.compile(r"(?i)has been completed"), _S.COMPLETED),
    (re.compile(r"(?i)has been terminated"), _S.TERMINATED),
    (re.compile(r"(?i)has been withdrawn"), _S.WITHDRAWN),
    (re.compile(r"(?i)has been suspended"), _S.SUSPENDED),
    (re.compile(r"(?i)no longer available"), _S.NO_LONGER_AVAILABLE),
    (re.compile(r"(?i)is (?:currently )?available"), _S.AVAILABLE),
]
# ClinicalTrials.Veeva counts down to the start: "Begins enrollment in 4 months", "... this month".
_BEGINS_ENROLLMENT = re.compile(r"(?i)^begins enrol+ment\b")


@tolerant()
def overall_status(text: str | None) -> str | None:
    """A trial's (or a site's) recruitment status as any registry page words it."""
    line = clean_line(text).rstrip(".")
    if _BEGINS_ENROLLMENT.match(line):
        return _S.NOT_YET_RECRUITING.value
    try:
        return enum_value(_S, line, _STATUS_ALIASES)
    except ParseError:
        for pattern, value in _STATUS_SENTENCES:
            if pattern.search(line):
                return value.value
        raise


@tolerant()
def site_status(text: str | None) -> str | None:
    """A site's own status; sites use the trial's wordings but only the recruitment subset."""
    value = overall_status(text)
    if value is None or value in choices.RecruitmentStatus.values:
        return value
    return None  # "Unknown status" and the like: the site states nothing usable


# ---------------------------------------------------------------------------------------------
# Phase

_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "0": "0"}
_PHASE_NUMBER = {"0": "EARLY_PHASE1", "1": "PHASE1", "2": "PHASE2", "3": "PHASE3", "4": "PHASE4"}
# One phase mention: "Phase 2", "Phase II", "Phase 1b", "Phase I/II", "Phase 2/3", "Phase 1b/2a".
_PHASE_MENTION = re.compile(
    r"""(?ix)
    \b(?P<early>early\s+)?phase[\s_-]*
    (?P<first>iv|iii|ii|i|[0-4])[ab]?
    (?:\s*(?:/|-|\||,|and|to)\s*(?:phase[\s_-]*)?(?P<second>iv|iii|ii|i|[1-4])[ab]?)?
    (?![\w.])
    """
)
_NO_PHASE = {"na", "n/a", "not applicable", "not_applicable"}


@tolerant(list)
def phases(text: str | None) -> list[str]:
    """The phase set a phase field states: "Phase 1/Phase 2", "PHASE1|PHASE2", "Phase II",
    "Early Phase 1", "Not Applicable" -> ["NA"]. Empty text -> []."""
    line = clean_line(text)
    if not line or line.casefold() in {"not provided", "none", "-"}:
        return []
    found: list[str] = []
    for part in re.split(r"\s*[|,;]\s*|\s+and\s+", line):
        if not part:
            continue
        if part.casefold() in _NO_PHASE or _fold(part) in {"na", "not applicable"}:
            found.append(choices.Phase.NA.value)
            continue
        if part.upper() in choices.Phase.values:
            found.append(part.upper())
            continue
        mentions = list(_PHASE_MENTION.finditer(part))
        if not mentions:
            raise ParseError(f"unknown phase {part!r}")
        for mention in mentions:
            found += _mention_phases(mention)
    return _ordered(found)


def phases_in_text(text: str | None) -> list[str]:
    """The phase a summary or title states of its own study ("a single arm phase II study"),
    or [] when it states none or several different ones (then it may be citing other trials)."""
    mentions = {tuple(_mention_phases(m)) for m in _PHASE_MENTION.finditer(text or "")}
    return list(mentions.pop()) if len(mentions) == 1 else []


def _mention_phases(match: re.Match) -> list[str]:
    first = _ROMAN.get(match["first"].lower(), match["first"])
    if match["early"] and first == "1":
        first = "0"
    result = [_PHASE_NUMBER[first]]
    if match["second"]:
        result.append(_PHASE_NUMBER[_ROMAN.get(match["second"].lower(), match["second"])])
    return result


def _ordered(phases: list[str]) -> list[str]:
    order = choices.Phase.values
    return sorted(set(phases), key=order.index)


# ---------------------------------------------------------------------------------------------
# Enrollment

_ENROLLMENT = re.compile(
    r"""(?ix)
    (?:(?P<type_before>actual|estimated|anticipated|expected)\s+(?:enrol+ment\s*:?\s*)?)?
    (?:enrol+ment\s*:?\s*)?
    (?P<count>\d[\d,\s]*)
    \s*(?:\[|\()?\s*(?P<type_after>actual|estimated|anticipated|estimate)?\s*(?:\]|\))?
    \s*(?:(?P<type_middle>actual|estimated|anticipated)\s+)?
    (?:participants?|patients?|subjects?|people|persons?|volunteers?)?\.?
    """
)


@tolerant(lambda: (None, None))
def enrollment(text: str | None) -> tuple[int | None, str | None]:
    """``(count, ACTUAL/ESTIMATED)`` from "1,400 estimated patients", "Estimated Enrollment : 30
    participants", "30 [Anticipated]", "56". The type is None when the text does not say it."""
    line = clean_line(text)
    if not line:
        return None, None
    match = _ENROLLMENT.fullmatch(line)
    if not match:
        raise ParseError(f"not an enrollment: {line!r}")
    count = count_of(re.sub(r"[,\s]", "", match["count"]))
    word = match["type_before"] or match["type_after"] or match["type_middle"]
    if word and word.lower() == "expected":
        word = "ESTIMATED"
    return count, date_type(word)


# ---------------------------------------------------------------------------------------------
# Design and people


@tolerant()
def study_type(text: str | None) -> str | None:
    """ "Interventional (Clinical Trial)", "Observational [Patient Registry]", "Expanded Access"."""
    line = re.sub(r"\s*[(\[].*?[)\]]\s*", " ", clean_line(text)).strip()
    return enum_value(choices.StudyType, line)


@tolerant()
def allocation(text: str | None) -> str | None:
    """ "Randomized", "Non-Randomized", "N/A": a stated allocation (API v2 "NA", single-group
    studies), not an unstated one, so it is read before ``enum_value`` drops "n/a" as empty."""
    if clean_line(text).casefold() in {"n/a", "na", "not applicable"}:
        return choices.Allocation.NA.value
    return enum_value(choices.Allocation, text, {"non randomized": "NON_RANDOMIZED", "nonrandomized": "NON_RANDOMIZED"})


@tolerant()
def intervention_model(text: str | None) -> str | None:
    """ "Single Group Assignment", "Parallel", "Crossover Assignment"."""
    line = re.sub(r"(?i)\s+assignment\b", "", clean_line(text))
    aliases = {
        _fold(str(label).replace(" assignment", "")): value for value, label in choices.InterventionModel.choices
    }
    return enum_value(choices.InterventionModel, line, aliases)


_MASKED_ROLES = {"participant", "care provider", "investigator", "outcomes assessor", "subject", "caregiver"}


@tolerant()
def masking(text: str | None) -> str | None:
    """ "None (Open Label)", "Double (Participant, Investigator)", "Double Blind", "Open Label"."""
    line = clean_line(text)
    head = re.split(r"\s*[(:]", line, maxsplit=1)[0]
    head = re.sub(r"(?i)[\s-]+(?:blind(?:ed)?|masked)$", "", head)
    if head.casefold() == "none":  # "None (Open Label)" states open label; it is not "unstated"
        return choices.Masking.NONE.value
    # Legacy XML sometimes lists only who is masked ("Participant, Investigator"): count them.
    roles = [_fold(role) for role in head.split(",")]
    if set(roles) <= _MASKED_ROLES and len(set(roles)) == len(roles) <= 4:
        return (None, "SINGLE", "DOUBLE", "TRIPLE", "QUADRUPLE")[len(roles)]
    aliases = {"open label": "NONE", "open": "NONE", "no masking": "NONE"}
    return enum_value(choices.Masking, head, aliases)


@tolerant()
def primary_purpose(text: str | None) -> str | None:
    return enum_value(
        choices.PrimaryPurpose,
        text,
        {"educational counseling training": "ECT", "diagnosis": "DIAGNOSTIC", "supportive": "SUPPORTIVE_CARE"},
    )


@tolerant()
def sex(text: str | None) -> str | None:
    """ "All", "Both" (legacy XML), "Female", "Male", "Female only"."""
    line = re.sub(r"(?i)\s+(?:only|participants|patients)$", "", clean_line(text))
    return enum_value(choices.Sex, line, {"both": "ALL", "women": "FEMALE", "men": "MALE", "all sexes": "ALL"})


@tolerant()
def healthy_volunteers(text: str | None) -> bool | None:
    """ "Yes", "No", "Accepts Healthy Volunteers", "No Healthy Volunteers"."""
    key = _fold(clean_line(text))
    if not key or key in _UNSTATED:
        return None
    if key in {"yes", "true", "accepts healthy volunteers", "healthy volunteers accepted", "accepts"}:
        return True
    if key in {"no", "false", "no healthy volunteers", "does not accept healthy volunteers"}:
        return False
    raise ParseError(f"unknown healthy-volunteers answer {clean_line(text)!r}")


@tolerant()
def agency_class(text: str | None) -> str | None:
    """A sponsor's funder type: "Industry", "Other", "NIH", "U.S. Fed", "Other U.S. Federal agency"."""
    return enum_value(
        choices.AgencyClass,
        text,
        {
            "u s fed": "FED",
            "us fed": "FED",
            "other u s federal agency": "FED",
            "federal": "FED",
            "individual": "INDIV",
            "other government": "OTHER_GOV",
            "ambiguous": "AMBIG",
        },
    )


@tolerant()
def arm_type(text: str | None) -> str | None:
    """ "Experimental", "Active Comparator", "Experimental group" (Veeva), "Placebo Comparator arm"."""
    line = re.sub(r"(?i)\s+(?:group|arm|cohort)$", "", clean_line(text))
    return enum_value(choices.ArmType, line)


@tolerant()
def intervention_type(text: str | None) -> str | None:
    """ "Drug", "DRUG", "Dietary Supplement", "Biological/Vaccine" (old pages), "Genetic"."""
    return enum_value(
        choices.InterventionType,
        text,
        {
            "biological/vaccine": "BIOLOGICAL",
            "biologic": "BIOLOGICAL",
            "vaccine": "BIOLOGICAL",
            "diagnostic": "DIAGNOSTIC_TEST",
        },
    )


_TYPED_NAME = re.compile(r"^\s*(?P<type>[A-Za-z][A-Za-z_/ ]{1,30}?)\s*:\s*(?P<name>\S.*)$", re.S)


def typed_intervention(text: str) -> tuple[str | None, str]:
    """ "Drug: Avelumab" or "DRUG: Avelumab" -> ("DRUG", "Avelumab"); a name without a known type
    prefix is returned whole with type None."""
    match = _TYPED_NAME.match(text)
    if match:
        try:
            kind = intervention_type(match["type"])
        except ParseError:
            kind = None
        if kind:
            return kind, clean_line(match["name"])
    return None, clean_line(text)


@tolerant()
def contact_role(text: str | None) -> str | None:
    """ "Principal Investigator", "Study Chair", "Study Director", "Sub-Investigator", "Contact"."""
    return enum_value(
        choices.ContactRole, text, {"sub investigator": "SUB_INVESTIGATOR", "pi": "PRINCIPAL_INVESTIGATOR"}
    )


@tolerant()
def responsible_party_type(text: str | None) -> str | None:
    return enum_value(choices.ResponsiblePartyType, text)
