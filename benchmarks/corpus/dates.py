"""Dates of a synthetic study: CT.gov partial dates shifted by whole months, and the rules they keep.

A shift by whole months (the day clamped to the month's length) never reorders two dates, so a real
record's start <= primary completion <= completion and submit <= post <= last update survive it, and
"YYYY-MM" dates stay comparable with full ones.
"""

from __future__ import annotations

import calendar
import datetime as dt
import itertools

# "Today" of the corpus: closed studies end before it, ongoing ones span it.
TODAY = dt.date(2026, 12, 2)
# ClinicalTrials.gov opened for registrations in September 1999 (earlier dates are start dates only).
REGISTRY_OPENED = dt.date(1999, 9, 1)

ONGOING = {"RECRUITING", "ACTIVE_NOT_RECRUITING", "ENROLLING_BY_INVITATION", "SUSPENDED"}
CLOSED = {"COMPLETED", "TERMINATED"}
# Statuses CT.gov shows when a status was not verified for two years.
STALE_MONTHS = 24

# statusModule entries that are events of the registry itself: always on or before today.
POSTED = (
    "statusVerifiedDate",
    "studyFirstSubmitDate",
    "studyFirstSubmitQcDate",
    "studyFirstPostDateStruct",
    "lastUpdateSubmitDate",
    "lastUpdatePostDateStruct",
    "resultsFirstSubmitDate",
    "resultsFirstSubmitQcDate",
    "resultsFirstPostDateStruct",
    "dispFirstSubmitDate",
    "dispFirstSubmitQcDate",
    "dispFirstPostDateStruct",
)
TRIAL = ("startDateStruct", "primaryCompletionDateStruct", "completionDateStruct")
# Date-valued keys of the other sections (documents, annotations, submission tracking).
OTHER_DATE_KEYS = {"date", "uploadDate", "releaseDate", "resetDate", "unreleaseDate", "estimatedResultsFirstSubmitDate"}


def parse(text: str) -> tuple[int, int, int]:
    """(year, month, day) of "YYYY-MM" (day 1) or "YYYY-MM-DD[Thh:mm]"."""
    return int(text[0:4]), int(text[5:7]), int(text[8:10]) if len(text) >= 10 else 1


def as_date(text: str) -> dt.date:
    return dt.date(*parse(text))


def shift(text: str, months: int) -> str:
    year, month, day = parse(text)
    index = year * 12 + month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    if len(text) == 7:
        return f"{year:04d}-{month:02d}"
    day = min(day, calendar.monthrange(year, month)[1])
    return f"{year:04d}-{month:02d}-{day:02d}{text[10:]}"


def month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _months_to(text: str, limit: dt.date) -> int:
    """The largest shift that keeps the date on or before ``limit`` (clamping only lowers a day)."""
    year, month, day = parse(text)
    return month_index(limit) - (year * 12 + month - 1) - (day > limit.day)


def _months_past(text: str, limit: dt.date) -> int:
    """The smallest shift that puts the date after ``limit``."""
    year, month, day = parse(text)
    return month_index(limit) - (year * 12 + month - 1) + (day <= limit.day or day > 28)


def status_dates(module: dict) -> dict[str, str]:
    """Every date of a statusModule by key ("...Struct" keys give their "date")."""
    dates = {}
    for key in (*POSTED, *TRIAL):
        value = module.get(key)
        if isinstance(value, dict):
            value = value.get("date")
        if isinstance(value, str) and len(value) >= 7:
            dates[key] = value
    return dates


def shift_bounds(module: dict, today: dt.date = TODAY) -> tuple[int, int]:
    """(lowest, highest) month shift under which the study's dates agree with its status.

    Registry events stay on or before today and after the registry opened; a closed study ended
    before today; an ongoing one started before today and completes after it; one not yet
    recruiting starts after today; a status verified two years ago or more is UNKNOWN's alone.
    The range is empty (lowest > highest) when the real record itself was stale.
    """
    status = module.get("overallStatus")
    dates = status_dates(module)
    trial = {key: dates[key] for key in TRIAL if key in dates}
    high = min((_months_to(dates[key], today) for key in POSTED if key in dates), default=0)
    low = -(10**6)
    if first := dates.get("studyFirstSubmitDate"):
        year, month, _ = parse(first)
        low = month_index(REGISTRY_OPENED) - (year * 12 + month - 1)
    if status in CLOSED:
        high = min([high, *(_months_to(value, today) for value in trial.values())])
    if status in ONGOING:
        if start := trial.get("startDateStruct"):
            high = min(high, _months_to(start, today))
        if end := trial.get("completionDateStruct"):
            low = max(low, _months_past(end, today))
    if status == "NOT_YET_RECRUITING" and (start := trial.get("startDateStruct")):
        low = max(low, _months_past(start, today))
    if verified := dates.get("statusVerifiedDate"):
        stale_from = dt.date(today.year - STALE_MONTHS // 12, today.month, 1)
        if status == "UNKNOWN":
            high = min(high, _months_to(verified, stale_from))
        elif status in ONGOING or status == "NOT_YET_RECRUITING":
            low = max(low, _months_past(verified, stale_from))
    return low, high


def repair(module: dict, months_ahead, today: dt.date = TODAY) -> None:
    """Make a stale record's trial dates agree with its status (after a shift that put its last
    registry event at today): an ongoing study completes ``months_ahead()`` months after today, one
    not yet recruiting starts that far ahead; the durations between the three dates are kept."""
    status = module.get("overallStatus")
    if status not in ONGOING and status != "NOT_YET_RECRUITING":
        return
    dates = {key: module[key]["date"] for key in TRIAL if isinstance(module.get(key), dict) and "date" in module[key]}
    start, end = dates.get("startDateStruct"), dates.get("completionDateStruct")
    moves = dict.fromkeys(dates, 0)
    if status == "NOT_YET_RECRUITING" and start and as_date(start) <= today:
        moves = dict.fromkeys(dates, _months_past(start, today) + months_ahead())
    elif status in ONGOING and end and as_date(end) <= today:
        ahead = _months_past(end, today) + months_ahead()
        moves = {key: ahead if key != "startDateStruct" else 0 for key in dates}
        if start and as_date(start) > today:
            moves["startDateStruct"] = _months_to(start, today)
    for key, months in moves.items():
        kind = "ESTIMATED" if (months > 0 and key != "startDateStruct") or status == "NOT_YET_RECRUITING" else None
        module[key] = {**module[key], "date": shift(dates[key], months)}
        if kind and "type" in module[key]:
            module[key]["type"] = kind


def shift_module(module: dict, months: int) -> dict:
    """A copy of a statusModule with every date moved by ``months``."""
    moved = dict(module)
    for key in (*POSTED, *TRIAL):
        value = moved.get(key)
        if isinstance(value, dict) and isinstance(value.get("date"), str):
            moved[key] = {**value, "date": shift(value["date"], months)}
        elif isinstance(value, str):
            moved[key] = shift(value, months)
    # A few real records have their QC date a day before the submission: the QC follows it here.
    submitted, qc = moved.get("studyFirstSubmitDate"), moved.get("studyFirstSubmitQcDate")
    if submitted and qc and as_date(qc) < as_date(submitted):
        moved["studyFirstSubmitQcDate"] = submitted
    return moved


def shift_other(node, months: int):
    """A copy of a section with its document, annotation and tracking dates moved by ``months``."""
    if isinstance(node, dict):
        return {
            key: shift(value, months)
            if key in OTHER_DATE_KEYS and isinstance(value, str) and len(value) >= 7 and value[4] == "-"
            else shift_other(value, months)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [shift_other(value, months) for value in node]
    return node


def coherence_errors(study: dict, today: dt.date = TODAY) -> list[str]:
    """What is wrong with a study's dates: order, registry events after today, status vs dates."""
    module = study["protocolSection"]["statusModule"]
    dates = {key: as_date(value) for key, value in status_dates(module).items()}
    errors = []
    chains = (
        ("startDateStruct", "primaryCompletionDateStruct", "completionDateStruct"),
        ("studyFirstSubmitDate", "studyFirstSubmitQcDate", "studyFirstPostDateStruct", "lastUpdatePostDateStruct"),
        ("studyFirstSubmitDate", "lastUpdateSubmitDate", "lastUpdatePostDateStruct"),
    )
    for chain in chains:
        present = [key for key in chain if key in dates]
        errors += [f"{a} after {b}" for a, b in itertools.pairwise(present) if dates[a] > dates[b]]
    errors += [f"{key} after today" for key in POSTED if key in dates and dates[key] > today]
    status = module.get("overallStatus")
    trial = {key: dates[key] for key in TRIAL if key in dates}
    if status in CLOSED:
        errors += [f"{status} but {key} after today" for key, value in trial.items() if value > today]
    if status in ONGOING:
        if trial.get("startDateStruct", today) > today:
            errors.append(f"{status} but start after today")
        if trial.get("completionDateStruct", today + dt.timedelta(1)) <= today:
            errors.append(f"{status} but completion not after today")
    if status == "NOT_YET_RECRUITING" and trial.get("startDateStruct", today + dt.timedelta(1)) <= today:
        errors.append("NOT_YET_RECRUITING but start not after today")
    return errors
