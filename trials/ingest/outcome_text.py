"""Outcome lists as CT.gov's CSV export writes them: ``measure, description, time frame`` items joined by ``|``.

CT.gov joins the three parts with ", " and leaves out an empty one, while each part may itself
hold ", ". The parts are told apart by how they read (``split_item``):

1. The item is cut at every ", " into segments (a comma without a space never separates parts).
2. **Time frame.** The description (or a measure without one) usually ends with "." before
   ", <time frame>": when a segment before the last ends with "." (not "e.g." or "etc.") and at
   most 30 words follow it, those words are the time frame ("..., This has a 4 week recall.,
   Baseline to visit 1 at week 20, and visit 2 at week 32"). Otherwise the last segment is the
   time frame when it looks like one (it opens like a time expression, "12 weeks", "Up to 2
   years", "At progression", or names a time word such as week, visit, baseline) or starts with
   a capital letter or digit; a last segment that starts with a lowercase word and names no time
   continues the text before it, and the item has no time frame. That time frame grows leftwards
   over short segments (at most 12 words) that open like a time expression ("Baseline (Week 0),
   Weeks 1-2"), leaving at least one segment for the measure.
3. **Measure and description.** In what remains, the description starts at the first segment
   after the first that opens a sentence: it starts with a capital letter and is not a Title Case
   phrase, one with two or more capitalised words besides acronyms and no lowercase word but
   "of", "in", "and"... ("Averaged Over Weeks 1-2" continues a title-case measure; "Changes in
   IIEF" opens a description). A segment starting with a
   lowercase word continues the measure ("Tolerance, safety of treatment"). With no such segment,
   everything is the measure.

Every regex here is linear (no nested quantifiers), so a long cell takes linear time.
"""

from __future__ import annotations

import re

from trials.ingest.normalize import clean_line, clean_text
from trials.ingest.records import Outcome

_SEPARATOR = ", "
_MAX_TIME_WORDS = 12
_MAX_TAIL_WORDS = 30
_MAX_MEASURE_WORDS = 40
_SENTENCE_BREAK = re.compile(r"[.!?] +[A-Z0-9]")
_ABBREVIATION = re.compile(r"(?i)\b(?:e\.g|i\.e|etc|vs|approx|incl|no|ca|cf|al|min|max|fig)\.$")
# How a time frame opens: a number, a time unit, or a preposition of time.
_TIME_OPENING = re.compile(
    r"""(?ix)^[(\[]?\s*(?:
    \d | [tdwmvc]\d | baseline | base-line | days?\b | weeks?\b | months?\b | years?\b | hours?\b | minutes?\b
    | up\s+to | upto | at\b | from\b | through | throughout | until | till\b | during | within | before | after
    | pre\b | pre- | post\b | post- | end\b | every | each | approx | about | around | over\b | between
    | screening | visit | cycle | time\b | immediately | on\b | follow | daily | weekly | monthly | yearly
    | annually | first | second | third | last | one\b | two\b | three\b | four\b | five\b | six\b | twelve
    | 1st | 2nd | 3rd | perioperative | postoperative | preoperative | intraoperative
    | enrol | admission | discharge | study\s+(?:completion|period|duration|day|visit|end)
    | ten\b | twenty | thirty | sixty | ninety
    )"""
)
_TIME_WORD = re.compile(
    r"(?i)\b(?:\d+|days?|weeks?|months?|years?|hours?|hrs?|minutes?|mins?|baseline|visits?|cycles?|follow[- ]?up"
    r"|discharge|admission|surgery|post|pre|screening|period|dose|treatment|time|end)\b"
)
# Short words that stay lowercase in a Title Case phrase.
_MINOR_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "by",
        "for",
        "from",
        "in",
        "into",
        "of",
        "on",
        "or",
        "per",
        "the",
        "to",
        "vs",
        "via",
        "with",
    ]
)


def split_outcomes(text: str | None, kind: str) -> list[Outcome]:
    """The outcomes of one CSV cell: ``|``-joined ``measure, description, time frame`` items."""
    outcomes = []
    for item in (text or "").split("|"):
        if not item.strip():
            continue
        measure, description, time_frame = split_item(item)
        outcomes.append(Outcome(kind=kind, measure=measure, description=description, time_frame=time_frame))
    return outcomes


def measures_only(text: str | None, kind: str) -> list[Outcome]:
    """Outcomes of a ``|``-joined list of measures alone (the legacy export's "Outcome Measures")."""
    return [Outcome(kind=kind, measure=line) for item in (text or "").split("|") if (line := clean_line(item))]


def split_item(item: str) -> tuple[str, str, str]:
    """``(measure, description, time_frame)`` of one item, by the rule in the module docstring."""
    segments = [segment.strip() for segment in item.strip().split(_SEPARATOR)]
    segments = [segment for segment in segments if segment]
    if len(segments) < 2:
        return clean_line(item), "", ""
    time_start = _time_frame_start(segments)
    head = segments[:time_start]
    time_frame = clean_line(_SEPARATOR.join(segments[time_start:]))
    description_start = next(
        (i for i in range(1, len(head)) if _opens_sentence(head[i])),
        len(head),
    )
    measure = clean_line(_SEPARATOR.join(head[:description_start]))
    description = clean_text(_SEPARATOR.join(head[description_start:]))
    return measure, description, time_frame


def _time_frame_start(segments: list[str]) -> int:
    """Index of the first segment of the time frame (``len(segments)`` when there is none)."""
    ended = [i for i in range(len(segments) - 1) if _ends_part(segments[i])]
    if ended and len(" ".join(segments[ended[-1] + 1 :]).split()) <= _MAX_TAIL_WORDS:
        return ended[-1] + 1
    last = segments[-1]
    if not (_TIME_OPENING.match(last) or _TIME_WORD.search(last) or not last[:1].islower()):
        return len(segments)
    start = len(segments) - 1
    while start > 1:
        before = segments[start - 1]
        if not _TIME_OPENING.match(before) or len(before.split()) > _MAX_TIME_WORDS:
            break
        start -= 1
    return start


def _ends_part(segment: str) -> bool:
    """A segment ending with "." (not "e.g." or "etc."): the measure or description ends there."""
    return segment.endswith(".") and not _ABBREVIATION.search(segment)


def _opens_sentence(segment: str) -> bool:
    if not segment[:1].isupper():
        return False
    words = [word for word in re.findall(r"[^\s/]+", segment) if word[:1].isalpha()]
    major = [word for word in words if word.casefold() not in _MINOR_WORDS]
    # "Averaged Over Weeks 1-2": every major word capitalised, so still the measure's title
    # (acronyms such as "IIEF" count for neither side: "Changes in IIEF" opens a sentence).
    titled = [word for word in major if word[:1].isupper() and not word.isupper()]
    return not (len(titled) >= 2 and all(word[:1].isupper() for word in major))


def looks_like_outcome_line(line: str) -> bool:
    """Whether a line of text reads as a list of outcome items: each ``|``-joined item splits into
    a measure and a time frame (a field dump has outcome lines among its prose lines)."""
    items = [item for item in line.split("|") if item.strip()]
    if not items:
        return False
    for item in items:
        measure, _, time_frame = split_item(item)
        if not measure or not time_frame or len(measure.split()) > _MAX_MEASURE_WORDS:
            return False
        if len(time_frame.split()) > _MAX_TAIL_WORDS or _SENTENCE_BREAK.search(time_frame):
            return False  # prose, not a time frame
    return True


def complete_measure(item: str) -> str:
    """The measure of an item cut off before its end (a truncated dump), or "" when the cut may
    fall inside the measure itself: only a measure that a description is seen to follow is whole."""
    segments = [segment.strip() for segment in item.strip().split(_SEPARATOR) if segment.strip()]
    start = next((i for i in range(1, len(segments)) if _opens_sentence(segments[i])), None)
    return clean_line(_SEPARATOR.join(segments[:start])) if start else ""
