"""An unlabeled dump of one ClinicalTrials.gov record: the values of its CSV export, one field per
line, without labels, in this order: title, brief summary (several lines and paragraphs),
conditions, interventions, primary / secondary / other outcomes, detailed description.

With no labels, fields are found by shape, anchored on the lines that have one:

- the **interventions line**: ``TYPE: name`` items joined by ``|`` (``DRUG: A|BIOLOGICAL: B``);
- **outcome lines**: ``measure, description, time frame`` items joined by ``|`` (``outcome_text``).

The first line is the title. The line just before the anchor is the conditions line when it reads
as a list (no sentence, each ``|`` item at most 12 words); the lines between the title and it are
the brief summary. Up to three outcome lines follow the interventions line, taken as primary,
secondary and other in that order; the lines after them are the detailed description. A dump
without an interventions line is anchored on its first outcome line. The dump holds no registry id,
status, dates or sponsor, and those stay empty.

Facts read from the prose, and only when stated:

- phase: ``wording.phases_in_text`` of the title, else the summary, else the description;
- enrollment: "An estimated 38 patients will be enrolled" (ESTIMATED), "120 participants will be
  recruited / included / randomized" (future tense: ESTIMATED), "120 patients were enrolled"
  (ACTUAL), "planned / target / estimated enrollment of 120" (ESTIMATED); several different
  counts leave it empty.

A dump that does not end with a newline may have been cut off: the last item of a list on its
last line is then not trusted. A cut intervention or condition is dropped; a cut outcome keeps only
its measure, and only when a description is seen to follow it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from trials import choices
from trials.ingest import wording
from trials.ingest.encoding import decode_text
from trials.ingest.leniency import reads_leniently
from trials.ingest.normalize import clean_line, clean_text
from trials.ingest.outcome_text import complete_measure, looks_like_outcome_line, split_outcomes
from trials.ingest.records import Intervention, Outcome, ParseError, RawSource, TrialRecord

FORMAT = choices.SourceFormat.FIELD_DUMP
VERSION = "1"

_OUTCOME_KINDS = (
    choices.OutcomeKind.PRIMARY.value,
    choices.OutcomeKind.SECONDARY.value,
    choices.OutcomeKind.OTHER.value,
)
_TYPED_ITEM = re.compile(r"\s*[A-Za-z][A-Za-z_ /]{1,30}:\s*\S")
_API_TYPED_ITEM = re.compile(r"\s*[A-Z][A-Z_]{2,30}:\s*\S")  # "DRUG: X", as the CSV export writes it
_MAX_CONDITION_WORDS = 12
_LIST_ITEM = re.compile(r"\s*(?:[-*•]|\d+[.)])\s")
_DESCRIPTION_END = re.compile(r"[a-z0-9)\]]{2}\., [A-Z0-9]")  # "...assessment., At progression"
_PEOPLE = (
    r"(?:patients?|participants?|subjects?|people|persons?|volunteers?|individuals?"
    r"|children|adults?|women|men|infants?)"
)
_ENROLLED = r"(?:enrolled|recruited|included|randomi[sz]ed)"
_ENROLLMENT_PHRASES = (
    (
        re.compile(
            r"(?i)\b(?:an?\s+)?(?:estimated|anticipated|expected|planned|approximately|about|up to|total of)?\s*"
            rf"(\d[\d,]{{0,12}})\s+{_PEOPLE}\s+will\s+be\s+{_ENROLLED}\b"
        ),
        "ESTIMATED",
    ),
    (re.compile(rf"(?i)\b(\d[\d,]{{0,12}})\s+{_PEOPLE}\s+(?:were|have been)\s+{_ENROLLED}\b"), "ACTUAL"),
    (
        re.compile(
            r"(?i)\b(?:planned|target|estimated|anticipated|expected)\s+enrol+ment\s+(?:is\s+|of\s+|:\s*)?(\d[\d,]{0,12})\b"
        ),
        "ESTIMATED",
    ),
)


def sniff(head: bytes) -> bool:
    """Only a dump shape: an interventions line spelled as the CSV export spells it ("DRUG: X")
    after a non-blank line, or a line of two or more outcome items, at least one with the ".,"
    that ends a description before its time frame (not a list item, not a CSV row). Markup, JSON
    and other text are left alone."""
    text = decode_text(head, head=True)  # any bytes have a text
    if text.lstrip()[:1] in ("{", "[", "<"):
        return False
    lines = text.replace("\r\n", "\n").split("\n")[:-1] or [text]  # the head may end mid-line
    for i, line in enumerate(lines[:400]):
        if i >= 2 and lines[i - 1].strip() and _is_interventions_line(line, strict=True):
            return True
        if i >= 2 and _is_outcome_list(line):
            return True
    return False


def _is_outcome_list(line: str) -> bool:
    if line.count("|") < 1 or '","' in line or _LIST_ITEM.match(line):
        return False
    return bool(_DESCRIPTION_END.search(line)) and looks_like_outcome_line(line)


def split(source: RawSource) -> Iterator[RawSource]:
    """A dump is one record."""
    yield source


@reads_leniently
def parse(data: bytes) -> TrialRecord:
    text = decode_text(data).replace("\r\n", "\n").replace("\r", "\n")  # any bytes have a text
    cut_off = not text.endswith("\n")
    lines = text.rstrip("\n").split("\n")
    filled = [i for i, line in enumerate(lines) if line.strip()]
    if not filled:
        raise ParseError("empty: no text in this dump")
    title_at = filled[0]
    anchor = next((i for i in filled[1:] if _is_interventions_line(lines[i])), None)
    outcome_at = anchor + 1 if anchor is not None else None
    if anchor is None:
        outcome_at = next((i for i in filled[1:] if looks_like_outcome_line(lines[i])), None)
        if outcome_at is None:
            raise ParseError(
                "not a field dump: no interventions line ('DRUG: name|...') and no outcome line "
                "('measure, description, time frame|...')"
            )
        anchor = outcome_at
    last_line = len(lines) - 1

    record = TrialRecord(brief_title=clean_line(lines[title_at]))
    before = anchor - 1
    if before > title_at and _is_conditions_line(lines[before]):
        record.conditions = _items(lines[before], cut=False)
        summary_end = before
    else:
        summary_end = anchor
    record.brief_summary = clean_text("\n".join(lines[title_at + 1 : summary_end]))
    if anchor != outcome_at:
        cut = cut_off and anchor == last_line
        record.interventions = [Intervention(*wording.typed_intervention(item)) for item in _items(lines[anchor], cut)]
    position = outcome_at
    for kind in _OUTCOME_KINDS:
        if position > last_line or not looks_like_outcome_line(lines[position]):
            if position == last_line and cut_off and lines[position].strip():
                record.outcomes += _cut_outcomes(lines[position], kind)  # cut inside its first item
                position += 1
            break
        record.outcomes += _outcomes(lines[position], kind, cut=cut_off and position == last_line)
        position += 1
    record.detailed_description = clean_text("\n".join(lines[position:]))
    record.phases = _phases(record)
    record.enrollment_count, record.enrollment_type = _enrollment(record)
    return record


def _is_interventions_line(line: str, *, strict: bool = False) -> bool:
    """Every ``|`` item is ``TYPE: name`` with a known intervention type."""
    items = [item for item in line.split("|") if item.strip()]
    if not items:
        return False
    shape = _API_TYPED_ITEM if strict else _TYPED_ITEM
    return all(shape.match(item) and wording.typed_intervention(item)[0] for item in items)


def _is_conditions_line(line: str) -> bool:
    items = [clean_line(item) for item in line.split("|") if item.strip()]
    return bool(items) and all(
        len(item.split()) <= _MAX_CONDITION_WORDS and not re.search(r"[.!?](?:\s|$)", item) for item in items
    )


def _items(line: str, cut: bool) -> list[str]:
    items = [item for raw in line.split("|") if (item := clean_line(raw))]
    return items[:-1] if cut else items


def _outcomes(line: str, kind: str, cut: bool) -> list[Outcome]:
    if not cut:
        return split_outcomes(line, kind)
    whole, _, last = line.rpartition("|")
    return split_outcomes(whole, kind) + _cut_outcomes(last, kind)


def _cut_outcomes(item: str, kind: str) -> list[Outcome]:
    measure = complete_measure(item)
    return [Outcome(kind=kind, measure=measure)] if measure else []


def _phases(record: TrialRecord) -> list[str]:
    for text in (record.brief_title, record.brief_summary, record.detailed_description):
        if found := wording.phases_in_text(text):
            return found
    return []


def _enrollment(record: TrialRecord) -> tuple[int | None, str | None]:
    found = set()
    for text in (record.brief_summary, record.detailed_description):
        for pattern, kind in _ENROLLMENT_PHRASES:
            for match in pattern.finditer(clean_line(text)):
                found.add((int(match[1].replace(",", "")), kind))
    return found.pop() if len(found) == 1 else (None, None)
