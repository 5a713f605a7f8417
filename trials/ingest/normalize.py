"""Pure helpers shared by every parser: text, dates, ages and registry ids (countries: ``countries.py``).

Nothing here knows a source format; each helper takes the words a registry writes (API v2,
legacy XML, CSV exports, saved pages) and returns the values ``records.py`` holds. A value
that cannot be read raises ``ParseError`` rather than being guessed; an empty one is ``None``.
How eligibility text is read into items lives in ``criteria.py``.
"""

from __future__ import annotations

import datetime as dt
import re
import textwrap

from trials.choices import ActualOrEstimated, DatePrecision, IdScheme, StdAge
from trials.ingest.criteria import criteria_items
from trials.ingest.leniency import tolerant
from trials.ingest.records import ParseError, PartialDate, RegistryId

__all__ = [
    "age_to_years",
    "classify_registry_id",
    "clean_line",
    "clean_text",
    "date_type",
    "parse_age_range",
    "parse_partial_date",
    "split_criteria",
    "std_age_groups",
    "unescape_markdown",
]

# ---------------------------------------------------------------------------------------------
# Text


def clean_line(text: str | None) -> str:
    """One line of text: every run of whitespace (newlines, tabs, no-break spaces) becomes one space."""
    return " ".join(text.split()) if text else ""


def clean_text(text: str | None) -> str:
    """Multi-line text with its paragraphs kept: newlines normalized, trailing spaces and runs of
    blank lines removed, common indentation removed (nested list indentation is kept)."""
    if not text:
        return ""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    kept: list[str] = []
    for line in lines:
        if line or (kept and kept[-1]):
            kept.append(line)
    return textwrap.dedent("\n".join(kept)).strip("\n")


_MARKDOWN_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>|~=^])")


def unescape_markdown(text: str) -> str:
    """``\\>/= 18`` -> ``>/= 18``: CT.gov API v2 text is Markdown and escapes its punctuation."""
    return _MARKDOWN_ESCAPE.sub(r"\1", text)


def split_criteria(text: str | None) -> tuple[str, list[str], list[str]]:
    """``(criteria_text, inclusion_items, exclusion_items)`` from a registry's eligibility text.

    Items are the top-level entries under "Inclusion Criteria" / "Exclusion Criteria" headers
    (header spellings vary), with bullets and numbers stripped and nested sub-items folded into
    their parent ("Adequate organ function as defined below: ANC ...; Platelets ..."). Text
    without such headers gives empty lists: no item is guessed to be one or the other.
    """
    criteria = clean_text(text.expandtabs(4) if text else text)
    inclusion, exclusion = criteria_items(criteria)
    return criteria, inclusion, exclusion


# ---------------------------------------------------------------------------------------------
# Dates

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
# No trial enrolls a billion people; and int() refuses text of more than 4,300 digits.
MAX_COUNT_DIGITS = 9


def count_of(digits: str) -> int:
    """A count of people written in decimal digits; ParseError when it is too long to be one."""
    if len(digits) > MAX_COUNT_DIGITS:
        raise ParseError(f"not a count: {len(digits):,} digits")
    return int(digits)


_ISO_DATE = re.compile(r"(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?")
_MONTH_DAY_YEAR = re.compile(r"([A-Za-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})")  # March 28, 2022
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})\s+([A-Za-z]+)\.?,?\s+(\d{4})")  # 28 March 2022
_MONTH_YEAR = re.compile(r"([A-Za-z]+)\.?,?\s+(\d{4})")  # March 2022, Mar 2022
# How other formats spell ActualOrEstimated: legacy XML wrote "Anticipated" before 2017, then "Estimate".
_DATE_TYPES = {
    "ACTUAL": ActualOrEstimated.ACTUAL.value,
    "ESTIMATED": ActualOrEstimated.ESTIMATED.value,
    "ESTIMATE": ActualOrEstimated.ESTIMATED.value,
    "ANTICIPATED": ActualOrEstimated.ESTIMATED.value,
}


@tolerant()
def date_type(text: str | None) -> str | None:
    """``"Actual"``, ``"ESTIMATED"``, ``"Anticipated"`` ... as a ``choices.ActualOrEstimated`` value."""
    if not text or not text.strip():
        return None
    try:
        return _DATE_TYPES[text.strip().upper()]
    except KeyError:
        raise ParseError(f"unknown date type {text!r} (expected ACTUAL or ESTIMATED)") from None


@tolerant()
def parse_partial_date(text: str | None, type: str | None = None) -> PartialDate | None:
    """A date as precise as written: ``2022``, ``2022-03``, ``2022-03-28``, ``March 28, 2022``,
    ``28 March 2022``, ``March 2022``, ``Mar 2022``. The date is the first day of the period."""
    text = clean_line(text)
    if not text:
        return None
    year, month, day = _date_parts(text)
    precision = DatePrecision.DAY if day else DatePrecision.MONTH if month else DatePrecision.YEAR
    try:
        date = dt.date(year, month or 1, day or 1)
    except ValueError as exc:
        raise ParseError(f"not a date: {text!r} ({exc})") from None
    return PartialDate(date=date, precision=precision.value, type=date_type(type))


def _date_parts(text: str) -> tuple[int, int | None, int | None]:
    if match := _ISO_DATE.fullmatch(text):
        year, month, day = match.groups()
        return int(year), int(month) if month else None, int(day) if day else None
    if match := _MONTH_DAY_YEAR.fullmatch(text):
        month, day, year = match.groups()
        return int(year), _month(month, text), int(day)
    if match := _DAY_MONTH_YEAR.fullmatch(text):
        day, month, year = match.groups()
        return int(year), _month(month, text), int(day)
    if match := _MONTH_YEAR.fullmatch(text):
        month, year = match.groups()
        return int(year), _month(month, text), None
    raise ParseError(f"not a date: {text!r}")


def _month(name: str, text: str) -> int:
    try:
        return _MONTHS[name.lower()]
    except KeyError:
        raise ParseError(f"not a date: {text!r} (unknown month {name!r})") from None


# ---------------------------------------------------------------------------------------------
# Ages

# Years per unit; CT.gov writes ages as "<number> <Unit>" with these units.
_AGE_UNITS = {
    "year": 1.0,
    "month": 1 / 12,
    "week": 7 / 365.25,
    "day": 1 / 365.25,
    "hour": 1 / (365.25 * 24),
    "minute": 1 / (365.25 * 24 * 60),
}
_NO_AGE = {"", "n/a", "na", "none", "no limit", "not applicable", "no minimum", "no maximum"}
_AGE_TOKEN = re.compile(r"(\d+(?:\.\d+)?)\s*\+?\s*(years?|yrs?|months?|weeks?|days?|hours?|minutes?)?\b", re.I)
_OLDER = re.compile(r"(?i)\+|≥|>=|\b(?:older|over|above|more|at least|minimum|min)\b")
_YOUNGER = re.compile(r"(?i)≤|<=|\b(?:up to|younger|under|below|less|maximum|max)\b")
# Words that may surround ages without changing their meaning.
_AGE_FILLER = re.compile(r"(?i)\b(?:to|and|or|between|from|old|of|age|aged|than|equal|through|is)\b|[-\u2013,.:=]")
_STD_AGE_WORDS = re.compile(r"(?i)\b(?:child|adult|older adult|older_adult)\b")


@tolerant()
def age_to_years(text: str | None) -> float | None:
    """``"18 Years"`` -> 18.0, ``"6 Months"`` -> 0.5, ``"18+ years old"`` and ``"18 Years and older"``
    -> 18.0; ``"N/A"`` or empty -> None. A range or text without a unit raises ``ParseError``."""
    text = clean_line(text)
    if text.lower() in _NO_AGE:
        return None
    ages = _read_ages(text)
    if len(ages) != 1 or not ages[0][1]:
        raise ParseError(f"not an age: {text!r}")
    number, unit = ages[0]
    return float(number) * _AGE_UNITS[unit]


@tolerant(lambda: ("", ""))
def parse_age_range(text: str | None) -> tuple[str, str]:
    """An age range as written on CT.gov's pages and CSV exports, as CT.gov's minimum and maximum
    age texts: ``"18 Years to 55 Years (Adult)"`` -> ``("18 Years", "55 Years")``,
    ``"18 Years and older (Adult, Older Adult)"`` -> ``("18 Years", "")``, ``"up to 17 Years"``
    -> ``("", "17 Years")``, ``"18+ years old"`` -> ``("18 Years", "")``, ``"18 to 55 years old"``.
    A number without a unit is in years. Text naming only age groups (``"Child, Adult"``) gives
    ``("", "")``."""
    text = clean_line(re.sub(r"\([^)]*\)", " ", text or ""))
    if text.lower() in _NO_AGE or not _STD_AGE_WORDS.sub("", text).strip(" ,"):
        return "", ""
    ages = _read_ages(text)
    if len(ages) == 2:
        (low, low_unit), (high, high_unit) = ages
        high_unit = high_unit or low_unit or "year"
        return _age_text(low, low_unit or high_unit), _age_text(high, high_unit)
    if len(ages) == 1:
        number, unit = ages[0]
        older, younger = bool(_OLDER.search(text)), bool(_YOUNGER.search(text))
        if older != younger:
            age = _age_text(number, unit or "year")
            return (age, "") if older else ("", age)
    raise ParseError(f"not an age range: {text!r}")


def _read_ages(text: str) -> list[tuple[str, str | None]]:
    """The (number, unit) pairs in ``text``; ParseError when other words remain."""
    ages = [(number, _unit(unit) if unit else None) for number, unit in _AGE_TOKEN.findall(text)]
    rest = _AGE_FILLER.sub(" ", _YOUNGER.sub(" ", _OLDER.sub(" ", _AGE_TOKEN.sub(" ", text))))
    if not ages or rest.strip():
        raise ParseError(f"not an age: {text!r}")
    return ages


def _unit(word: str) -> str:
    word = word.lower().rstrip("s")
    return "year" if word in ("yr", "year") else word


def _age_text(number: str, unit: str) -> str:
    value = float(number)
    name = unit.capitalize() if value == 1 else f"{unit.capitalize()}s"
    return f"{value:g} {name}"


def std_age_groups(min_years: float | None, max_years: float | None) -> list[str]:
    """CT.gov's age groups for an age range: child (birth-17), adult (18-64), older adult (65+).

    A missing limit ("N/A") is no limit. Matches the ``stdAges`` API v2 gives for all 2,610 studies
    of the shared API v2 set.
    """
    low = 0.0 if min_years is None else min_years
    high = float("inf") if max_years is None else max_years
    groups = []
    if low < 18:
        groups.append(StdAge.CHILD.value)
    if low < 65 and high >= 18:
        groups.append(StdAge.ADULT.value)
    if high >= 65:
        groups.append(StdAge.OLDER_ADULT.value)
    return groups


# ---------------------------------------------------------------------------------------------
# Registry ids

# Ids that name one trial worldwide, recognised by their shape wherever they appear.
_GLOBAL_ID_PATTERNS = [
    (IdScheme.NCT.value, re.compile(r"NCT\s*(\d{8})", re.I), "NCT{}"),
    (IdScheme.CTIS.value, re.compile(r"(\d{4}-\d{6}-\d{2}-\d{2})"), "{}"),
    (IdScheme.EUDRACT.value, re.compile(r"(\d{4}-\d{6}-\d{2})"), "{}"),
    (IdScheme.ISRCTN.value, re.compile(r"ISRCTN\s*(\d+)", re.I), "ISRCTN{}"),
]
# A label some sponsors write before a EudraCT or EU CT number: "EudraCT-No.: 2006-000284-28".
_ID_LABEL = re.compile(r"(?:eudract|eu\s*ct|ctis)[\s-]*(?:(?:number|no|nr|n°|#)\.?)?\s*[:#-]?\s*", re.I)
# Other registries' ids (WHO ICTRP primary registries and national ones), by their usual shape.
_OTHER_REGISTRY = re.compile(
    r"""(?ix)
    ChiCTR[-\w]+ | ChiMCTR\d+ | ITMCTR\d+ | CTR20\d{6}
    | DRKS\d{8} | ACTRN\d{14} | CTRI/\d{4}/\d+/\d+ | jRCT[a-z]?\d+ | JPRN-\w+ | UMIN\d+
    | KCT\d{7} | NL-OMON\d+ | NL\d{3,5} | NTR\d+ | IRCT\w+ | PACTR\d+ | RBR-\w+ | SLCTR/\d{4}/\d+
    | TCTR\d+ | LBCTR\d+ | RPCEC\d+ | PER-\d{3}-\d{2} | EUCTR\d{4}-\d{6}-\d{2}(-\w{2})? | EU\s*PAS\s*\d+
    | SNCTP\d+ | NCI-\d{4}-\d{5} | U1111-\d{4}-\d{4} | \d{4}-A\d{5}-\d{2}   # CTRP, WHO UTN, French ID-RCB
    """
)
# CT.gov's secondaryIdInfos[].type -> scheme, for ids whose shape says nothing more.
_TYPE_SCHEMES = {
    "NIH": IdScheme.NIH_GRANT.value,
    "OTHER_GRANT": IdScheme.OTHER_GRANT.value,
    "REGISTRY": IdScheme.OTHER_REGISTRY.value,
    "EUDRACT_NUMBER": IdScheme.OTHER.value,  # only a value shaped like a EudraCT number is one
    "CTIS": IdScheme.OTHER.value,  # likewise
    "FDA": IdScheme.OTHER.value,
    "VA": IdScheme.OTHER.value,
    "CDC": IdScheme.OTHER.value,
    "AHRQ": IdScheme.OTHER.value,
    "SAMHSA": IdScheme.OTHER.value,
    "OTHER": IdScheme.OTHER.value,
}


def classify_registry_id(value: str, type_hint: str | None = None, issuer: str = "") -> RegistryId:
    """The scheme of an identifier, from its shape first and then from the source's type.

    A value shaped like an NCT, EudraCT, EU CT (CTIS) or ISRCTN id is that id whatever the type
    says, even behind a label ("EudraCT No.: 2006-000284-28" -> EUDRACT 2006-000284-28); a value
    typed EUDRACT_NUMBER or CTIS that is not so shaped becomes OTHER, because a global id that is
    wrong would merge unrelated trials. ``type_hint`` is CT.gov's ``secondaryIdInfos[].type``.
    """
    value = clean_line(value)
    issuer = clean_line(issuer)
    unlabelled = _ID_LABEL.sub("", value, count=1) if _ID_LABEL.match(value) else value
    for scheme, pattern, template in _GLOBAL_ID_PATTERNS:
        if match := pattern.fullmatch(unlabelled):
            return RegistryId(scheme, template.format(match.group(1)), issuer)
    if _OTHER_REGISTRY.fullmatch(value):
        return RegistryId(IdScheme.OTHER_REGISTRY.value, value, issuer)
    hint = (type_hint or "").strip().upper()
    return RegistryId(_TYPE_SCHEMES.get(hint, IdScheme.OTHER.value), value, issuer)
