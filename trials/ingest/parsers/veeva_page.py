"""A saved ClinicalTrials.Veeva study page (``ctv.veeva.com/study/...``), as text or as HTML.

The page shows a trial as labelled sections in a fixed order: the title with the sponsor under
it (after a one-letter avatar), "Status and phase", "Conditions", "Treatments", "Study type",
"Funder types", "Identifiers", then "Details and patient eligibility" ("About", "Full
description", "Enrollment", "Sex", "Ages", "Volunteers", "Inclusion criteria", "Exclusion
criteria"), "Trial design" (one label per design field), "<N> participants in <M> patient
groups" with the groups, "Trial contacts and locations" and "Central trial contact". HTML is
first turned into the same lines as the saved text (``page_text.html_to_text``), so one reader
handles both.

Sections are found by their labels in page order: a label is only a section when it comes after
the sections already read, so a description line that happens to read "Conditions" stays text.
A page cut off part-way gives the sections it holds; nothing after the cut is guessed.

Judgment calls, kept on purpose:

- Ids are listed unlabelled, so each is classified by its shape (``classify_registry_id``): the
  sponsor's own study id ("NCC5301") is OTHER with no issuer, because the page does not say which
  id is the organization's nor who issued it.
- "Funder types" lists the kinds of all funders; the lead sponsor gets a kind only when the list
  names one kind, which then is the lead sponsor's too.
- Names are kept as written: a contact "Zhijie Wang, MD" keeps its degree, as CT.gov writes
  contact names; a title keeps its final period.
- Veeva's observational design fields ("Observational model", "Time perspective") have no field
  in ``TrialRecord`` and are read past.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from trials import choices
from trials.ingest import wording
from trials.ingest.encoding import decode_text
from trials.ingest.leniency import reads_leniently
from trials.ingest.normalize import (
    age_to_years,
    classify_registry_id,
    clean_line,
    parse_age_range,
    split_criteria,
    std_age_groups,
)
from trials.ingest.parsers import veeva_sections
from trials.ingest.parsers.page_text import (
    html_is_whole,
    html_to_text,
    looks_like_html,
    read_tolerating_a_cut,
    without_cut_line,
)
from trials.ingest.records import Eligibility, Organization, ParseError, RawSource, TrialRecord

FORMAT = choices.SourceFormat.VEEVA_PAGE
VERSION = "2"

_SITE_NAME = "ClinicalTrials.Veeva"
# Labels only a Veeva study page shows; sniff wants the site's name and two of these.
_VEEVA_LABELS = (
    "Status and phase",
    "Funder types",
    "Details and patient eligibility",
    "Trial contacts and locations",
    "Central trial contact",
)

# Section labels with their place in the page. Labels sharing a place may come in any order
# (design fields differ between interventional and observational studies); each is read once.
_SECTIONS = {
    "status and phase": 1,
    "conditions": 2,
    "condition": 2,
    "treatments": 3,
    "study type": 4,
    "funder types": 5,
    "funder type": 5,
    "identifiers": 6,
    "details and patient eligibility": 7,
    "about": 8,
    "full description": 9,
    "enrollment": 10,
    "sex": 10,
    "ages": 10,
    "age": 10,
    "volunteers": 10,
    "inclusion criteria": 11,
    "exclusion criteria": 12,
    "trial design": 13,
    "primary purpose": 14,
    "allocation": 14,
    "interventional model": 14,
    "observational model": 14,
    "masking": 14,
    "time perspective": 14,
    "groups": 15,  # "56 participants in 1 patient group"
    "trial contacts and locations": 16,
    "central trial contact": 17,
}
# Labels whose value is the one line after them; that line is never read as a label
# (the primary purpose "Treatment", a study type "Other").
_ONE_LINE = {
    "study type",
    "enrollment",
    "sex",
    "ages",
    "age",
    "volunteers",
    "primary purpose",
    "allocation",
    "interventional model",
    "observational model",
    "masking",
    "time perspective",
}
# "56 participants in 1 patient group", "120 participants in 2 patient groups, including a placebo group"
_GROUPS = re.compile(r"(?i)(?:[\d,]+ participants? in )?\d+ (?:patient )?groups?(?:, [^,]{1,80})?")
# Where the study ends: the attribution line, then the site's footer.
_END = ("data sourced from clinicaltrials.gov", "© copyright")
# The site's header, above the title.
_CHROME = {"clinicaltrials.veeva", "menu", "back", "back to search", "share", "save", "print"}


def sniff(head: bytes) -> bool:
    text = decode_text(head, head=True)
    if _SITE_NAME not in text:
        return False
    labels = sum(label in text for label in _VEEVA_LABELS)
    return labels >= 2 or (labels >= 1 and "ctv.veeva.com/study" in text)


def split(source: RawSource) -> Iterator[RawSource]:
    """A saved page is one study."""
    yield source


# ---------------------------------------------------------------------------------------------
# Parse


@reads_leniently
def parse(data: bytes) -> TrialRecord:
    text = decode_text(data)
    if looks_like_html(data[:4096]) and text.lstrip().startswith("<"):
        whole = html_is_whole(text)
        text = html_to_text(text)
    else:
        whole = any(line.strip().casefold().startswith(_END) for line in text.rstrip().splitlines()[-12:])
    return read_tolerating_a_cut(without_cut_line(text, whole=whole), _read_page)


def _read_page(text: str) -> TrialRecord:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    head, sections = _sections(lines)
    if not sections:
        raise ParseError("not a ClinicalTrials.Veeva study page: none of its section labels found")
    record = TrialRecord()
    _title_and_sponsor(record, head)
    try:
        _read(record, sections)
    except ParseError as exc:
        raise ParseError(f"{record.label}: {exc}") from None
    return record


def _sections(lines: list[str]) -> tuple[list[str], dict[str, list[str]]]:
    """``(lines above the first section, {label: lines})``; label-like lines out of page order
    stay in the section they are in."""
    head: list[str] = []
    sections: dict[str, list[str]] = {}
    current, place = None, 0
    take_value = False
    for raw in lines:
        line = raw.strip()
        key = _label(line)
        if take_value and line:
            sections[current].append(raw)
            take_value = False
            continue
        if line.casefold().startswith(_END):
            break
        if key and key not in sections and _SECTIONS[key] >= place:
            current, place = key, _SECTIONS[key]
            sections[current] = []
            take_value = key in _ONE_LINE
            continue
        (sections[current] if current else head).append(raw)
    return head, sections


def _label(line: str) -> str | None:
    key = line.casefold()
    if key in _SECTIONS and key != "groups":
        return key
    if line[:1].isdigit() and _GROUPS.fullmatch(line):
        return "groups"
    return None


def _title_and_sponsor(record: TrialRecord, head: list[str]) -> None:
    """The title, then the sponsor's avatar (its initial) and name."""
    lines = [clean_line(line) for line in head if line.strip() and line.strip().casefold() not in _CHROME]
    for i in range(1, len(lines) - 1):
        avatar, name = lines[i], lines[i + 1]
        if len(avatar) == 1 and avatar.isalpha() and name[:1].upper() == avatar.upper():
            record.brief_title = lines[i - 1]
            record.lead_sponsor = Organization(name=name)
            return
    if lines:
        record.brief_title = lines[0]  # no avatar: the sponsor is not told apart, so not guessed


def _read(record: TrialRecord, sections: dict[str, list[str]]) -> None:
    def lines(*keys: str) -> list[str]:
        for key in keys:
            if key in sections:
                # A list saved as HTML carries the bullets html_to_text gives its items.
                return [_unbulleted(clean_line(line)) for line in sections[key] if line.strip()]
        return []

    def value(*keys: str) -> str:
        found = lines(*keys)
        return found[0] if found else ""

    _status_and_phase(record, lines("status and phase"))
    record.conditions = _unique(lines("conditions", "condition"))
    record.interventions = veeva_sections.interventions(lines("treatments"))
    record.study_type = wording.study_type(value("study type"))
    _funders(record, lines("funder types", "funder type"))
    for line in lines("identifiers"):
        rid = classify_registry_id(line)
        if not any((rid.scheme, rid.value) == (kept.scheme, kept.value) for kept in record.registry_ids):
            record.registry_ids.append(rid)
    # Each line of a description is a paragraph (saved text puts blank lines between them, HTML
    # gives one line per <p>); they are kept apart by blank lines as in CT.gov's text.
    record.brief_summary = "\n\n".join(lines("about"))
    record.detailed_description = "\n\n".join(lines("full description"))
    record.enrollment_count, record.enrollment_type = wording.enrollment(value("enrollment"))
    record.eligibility = _eligibility(sections, value("sex"), value("ages", "age"), value("volunteers"))
    record.primary_purpose = wording.primary_purpose(value("primary purpose"))
    record.allocation = wording.allocation(value("allocation"))
    record.intervention_model = wording.intervention_model(value("interventional model"))
    record.masking = wording.masking(value("masking"))
    record.arms = veeva_sections.arms(lines("groups"), record.interventions)
    record.sites = veeva_sections.sites(lines("trial contacts and locations"))
    record.central_contacts = veeva_sections.contacts(
        lines("central trial contact"), role=choices.ContactRole.CONTACT.value
    )


def _status_and_phase(record: TrialRecord, lines: list[str]) -> None:
    """A status ("Not yet enrolling", "Begins enrollment in 4 months", "Completed") and phase lines
    ("Phase 2", "Phase 1/Phase 2", "Phase 2 Phase 3"), either one possibly absent."""
    for line in lines:
        if "phase" in line.casefold() or line.casefold() in {"n/a", "not applicable"}:
            record.phases = sorted({*record.phases, *wording.phases(line)}, key=choices.Phase.values.index)
        elif record.overall_status is None:
            record.overall_status = wording.overall_status(line)
        else:
            raise ParseError(f"Status and phase: a second status {line!r}")


def _funders(record: TrialRecord, lines: list[str]) -> None:
    kinds = {wording.agency_class(line) for line in lines} - {None}
    if record.lead_sponsor and len(kinds) == 1:
        record.lead_sponsor = Organization(name=record.lead_sponsor.name, agency_class=kinds.pop())


def _eligibility(sections: dict[str, list[str]], sex: str, ages: str, volunteers: str) -> Eligibility | None:
    parts = []
    for key, header in (("inclusion criteria", "Inclusion Criteria:"), ("exclusion criteria", "Exclusion Criteria:")):
        if key in sections:
            parts.append(header + "\n\n" + "\n".join(sections[key]))
    if not (parts or sex or ages or volunteers):
        return None
    criteria, inclusion, exclusion = split_criteria("\n\n".join(parts))
    minimum_age, maximum_age = parse_age_range(ages)
    return Eligibility(
        criteria=criteria,
        inclusion=inclusion,
        exclusion=exclusion,
        sex=wording.sex(sex),
        minimum_age=minimum_age,
        maximum_age=maximum_age,
        min_age_years=age_to_years(minimum_age),
        max_age_years=age_to_years(maximum_age),
        healthy_volunteers=wording.healthy_volunteers(volunteers),
        # The page words the age limits; CT.gov's age groups follow from them.
        std_ages=std_age_groups(age_to_years(minimum_age), age_to_years(maximum_age)) if ages else [],
    )


def _unique(values: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for value in values:
        seen.setdefault(value.casefold(), value)
    return list(seen.values())


def _unbulleted(line: str) -> str:
    return line[2:] if line.startswith(("- ", "• ")) else line
