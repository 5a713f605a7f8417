"""A saved classic ClinicalTrials.gov study page (``clinicaltrials.gov/ct2/show/NCT...``), as text or HTML.

The classic page changed its layout over the years, and saved copies reach us in several shapes:

- the 2017-2023 page saved as text with tables as pipe rows (``Study Type : | Interventional |``),
  often with its section headings ("Study Description", "Outcome Measures", ...) lost;
- the same page copied from a browser, each table preceded by its caption ("Layout table for
  study information") and cells separated by tabs or run together on one line;
- the page before 2017: "This study has been completed.", "Sponsor:", "First received:",
  "Study Design: Allocation: Randomized; ...", "Genders Eligible for Study:";
- the HTML of any of these, turned into the same line shape by ``page_text.html_to_text``.

So the reader works on lines, recognises the page by its labels (the labels and captions of the
real markup: ``ct-layout_table`` tables captioned "Layout table for study information", "...
eligibility information", "... location information", "... investigator information"), and reads
each section from where its label or heading stands, not from a fixed position. A page cut off
part-way yields what it holds. Values the page does not state stay None or empty.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from trials import choices
from trials.drugs import drug_names
from trials.ingest import wording
from trials.ingest.encoding import decode_text
from trials.ingest.leniency import reads_leniently
from trials.ingest.normalize import classify_registry_id, clean_line, parse_partial_date
from trials.ingest.parsers import ctgov_page_sections as sections
from trials.ingest.parsers.ctgov_page_lines import Page, fold
from trials.ingest.parsers.page_text import (
    html_is_whole,
    html_to_text,
    looks_like_html,
    read_tolerating_a_cut,
    without_cut_line,
)
from trials.ingest.records import (
    Organization,
    ParseError,
    PartialDate,
    RawSource,
    RegistryId,
    ResponsibleParty,
    TrialRecord,
)

FORMAT = choices.SourceFormat.CTGOV_PAGE
VERSION = "2"

_NCT = re.compile(r"\bNCT\d{8}\b")
_IDENTIFIER = re.compile(r"ClinicalTrials\.gov\s+Identifier", re.I)
# Labels only the classic page writes; with an NCT id, two of them make a page.
_PAGE_MARKS = (
    "Recruitment Status :",
    "First Posted :",
    "Last Update Posted :",
    "First received:",
    "Last updated:",
    "Layout table for",
    "Ages Eligible for Study:",
    "Information provided by",
    "Other Study ID Numbers:",
    "ct2/show",
    "This study has been",
    "This study is",
)


def sniff(head: bytes) -> bool:
    text = decode_text(head, head=True)
    if text.lstrip().startswith(("{", "[")) or not _NCT.search(text):
        return False
    if _IDENTIFIER.search(text):
        return True
    return sum(mark in text for mark in _PAGE_MARKS) >= 2 and "ClinicalTrials.gov" in text


def split(source: RawSource) -> Iterator[RawSource]:
    """One study per page: the unit is the record."""
    yield source


@reads_leniently
def parse(data: bytes) -> TrialRecord:
    text = decode_text(data)
    if _is_html(text):
        whole = html_is_whole(text)
        text = html_to_text(text)
    else:
        whole = _text_is_whole(text)
    return read_tolerating_a_cut(without_cut_line(text, whole=whole), _read_page)


# Lines only a page saved to its end holds: the record's processing note (pre-2017) and the
# site's footer.
_PAGE_END = re.compile(
    r"(?i)processed this record on|U\.S\. National Library of Medicine|Contact ClinicalTrials\.gov|Back to Top"
)


def _text_is_whole(text: str) -> bool:
    """Whether saved text visibly ends: a footer line, or a last line that closes a table row."""
    lines = text.rstrip().splitlines()
    return bool(lines) and (lines[-1].rstrip().endswith("|") or any(_PAGE_END.search(line) for line in lines[-12:]))


def _read_page(text: str) -> TrialRecord:
    page = Page.from_text(text)
    nct_id = _nct_id(page)
    record = TrialRecord(registry_ids=[RegistryId(choices.IdScheme.NCT.value, nct_id)])
    try:
        _header(record, page)
        sections.conditions_table(record, page)
        sections.description(record, page)
        _design(record, page)
        sections.arms_table(record, page)
        sections.outcomes(record, page)
        sections.eligibility(record, page)
        sections.locations(record, page)
        _more_information(record, page)
        _keywords(record, page)
    except ParseError as exc:
        raise ParseError(f"{nct_id}: {exc}") from None
    return record


def _is_html(text: str) -> bool:
    # A saved page starts with its markup; text that merely mentions a tag stays text.
    return text.lstrip().startswith("<") and looks_like_html(text[:4096].encode("utf-8", "ignore"))


def _nct_id(page: Page) -> str:
    for i, row in enumerate(page.rows):
        if _IDENTIFIER.search(row.text):
            # "ClinicalTrials.gov Identifier: NCT05289856 |", or the id on the next line (pre-2017).
            for text in (row.text, page.text_at(i + 1)):
                if match := _NCT.search(text):
                    return match.group()
    raise ParseError("not a ClinicalTrials.gov study page: no 'ClinicalTrials.gov Identifier: NCT...'")


# ---------------------------------------------------------------------------------------------
# Header: title, status, dates, sponsor


def _header(record: TrialRecord, page: Page) -> None:
    record.brief_title = page.title()
    status = page.value("recruitment status")
    if status:
        record.overall_status, record.why_stopped = _status(status)
    elif sentence := page.status_sentence():
        record.overall_status = wording.overall_status(sentence)
    record.first_posted_date = _date(page.value("first posted"))
    record.last_update_date = _date(page.value("last update posted"))
    if sponsor := page.sponsor():
        record.lead_sponsor = Organization(name=sponsor)
    record.collaborators = [Organization(name=name) for name in page.collaborators()]


_STATUS_WITH_REASON = re.compile(r"([^()]+?)\s*\(([^()]*)\)")


def _status(text: str) -> tuple[str | None, str]:
    """ "Recruiting"; "Terminated (Sponsor decision)"; "Unknown Verified March 2019 by X Recruitment
    status was: Recruiting" (the status is the words before "Verified")."""
    text = re.split(r"\s+Verified\s", clean_line(text), maxsplit=1)[0]
    match = _STATUS_WITH_REASON.fullmatch(text)
    if match:
        return wording.overall_status(match[1]), clean_line(match[2])
    return wording.overall_status(text), ""


_DATE_IN_TEXT = re.compile(r"[A-Z][a-z]{2,8}\.?\s+(?:\d{1,2},\s+)?\d{4}|\d{4}-\d{2}(?:-\d{2})?")


def _date(text: str | None, type: str | None = None) -> PartialDate | None:
    """The first date in a value such as "March 22, 2022 Key Record Dates" or "November 2011
    (Final data collection date for primary outcome measure)"."""
    if not text:
        return None
    match = _DATE_IN_TEXT.search(text)
    if not match:
        raise ParseError(f"not a date: {clean_line(text)!r}")
    return parse_partial_date(match.group(), type)


# ---------------------------------------------------------------------------------------------
# Study design


def _design(record: TrialRecord, page: Page) -> None:
    record.official_title = clean_line(page.value("official title"))
    record.study_type = wording.study_type(page.value("study type"))
    record.allocation = wording.allocation(page.value("allocation"))
    record.intervention_model = wording.intervention_model(page.value("intervention model"))
    record.masking = wording.masking(page.value("masking"))
    record.primary_purpose = wording.primary_purpose(page.value("primary purpose"))
    if value := page.value("enrollment"):
        record.enrollment_count, stated = wording.enrollment(value)
        record.enrollment_type = page.value_type("enrollment") or stated
    record.start_date = _date(page.value("study start date"), page.value_type("study start date"))
    record.primary_completion_date = _date(
        page.value("primary completion date"), page.value_type("primary completion date")
    )
    record.completion_date = _date(page.value("study completion date"), page.value_type("study completion date"))


# ---------------------------------------------------------------------------------------------
# More information: ids, responsible party

_TYPED_ID = re.compile(r"\(\s*([^()]+?)\s*\)")
_GLOBAL_ID_AT_END = re.compile(r"(?:NCT\d{8}|\d{4}-\d{6}-\d{2}(?:-\d{2})?|ISRCTN\d+)$", re.I)
# How the page names a secondary id's type -> CT.gov's secondaryIdInfos[].type.
_ID_TYPES = {
    "eudract number": "EUDRACT_NUMBER",
    "eu ct number": "CTIS",
    "ctis": "CTIS",
    "registry identifier": "REGISTRY",
    "u.s. nih grant/contract": "NIH",
    "u.s. nih grant/contract award number": "NIH",
    "other grant/funding number": "OTHER_GRANT",
    "other identifier": "OTHER",
}


def _more_information(record: TrialRecord, page: Page) -> None:
    issuer = record.lead_sponsor.name if record.lead_sponsor else ""
    lines = page.value_lines("other study id numbers", more=_TYPED_ID)
    ids: list[RegistryId] = []
    for n, line in enumerate(lines):
        ids += _ids_in_line(line, org_id_first=n == 0, issuer=issuer)
    for rid in ids:
        if not any((rid.scheme, rid.value) == (kept.scheme, kept.value) for kept in record.registry_ids):
            record.registry_ids.append(rid)
    if party := page.value("responsible party"):
        record.responsible_party = _responsible_party(party, record.lead_sponsor)


def _ids_in_line(line: str, *, org_id_first: bool, issuer: str) -> list[RegistryId]:
    """ "CaboAveNEC 2021-000986-34 ( EudraCT Number )" (ids run together: the saved text lost the
    line breaks), "2021-000986-34 ( EudraCT Number )", "P05575, 2008-003780-38" (pre-2017)."""
    ids: list[RegistryId] = []
    rest, position = line, 0
    pieces: list[tuple[str, str | None]] = []
    for match in _TYPED_ID.finditer(line):
        before = clean_line(line[position : match.start()])
        position = match.end()
        label = fold(match[1]).split(":")[0].strip()
        if not before:
            continue
        # The id is the text's last word, or the global id it ends with; words before it are
        # earlier untyped ids (the org study id) run into this one.
        found = _GLOBAL_ID_AT_END.search(before)
        value = found.group() if found else before.rsplit(" ", 1)[-1]
        head = clean_line(before[: len(before) - len(value)])
        if head:
            pieces.append((head, None))
        pieces.append((value, _ID_TYPES.get(label, "OTHER")))
    rest = clean_line(line[position:])
    if rest:
        pieces += [(part, None) for part in (clean_line(p) for p in rest.split(",")) if part]
    for n, (value, type_hint) in enumerate(pieces):
        if n == 0 and org_id_first and type_hint is None:
            rid = classify_registry_id(value)
            if rid.scheme not in choices.GLOBAL_ID_SCHEMES:
                rid = RegistryId(choices.IdScheme.ORG_STUDY_ID.value, value, issuer)
            ids.append(rid)
        else:
            ids.append(classify_registry_id(value, type_hint))
    return ids


def _responsible_party(text: str, lead_sponsor: Organization | None) -> ResponsibleParty:
    """ "Merck Sharp & Dohme Corp." (the sponsor) or "Name, Title, Affiliation" (an investigator).

    The page does not say which kind of investigator, so the type is stated only for the sponsor."""
    text = clean_line(text)
    if lead_sponsor and fold(text) == fold(lead_sponsor.name):
        return ResponsibleParty(type=choices.ResponsiblePartyType.SPONSOR.value, name=text)
    parts = [clean_line(part) for part in text.split(",")]
    if len(parts) >= 3:
        return ResponsibleParty(name=parts[0], title=parts[1], affiliation=", ".join(parts[2:]))
    return ResponsibleParty(name=text)


# ---------------------------------------------------------------------------------------------
# Keywords


def _keywords(record: TrialRecord, page: Page) -> None:
    """Under "Keywords provided by ...:" one keyword a line. When the saved text lost that label,
    the rows after the More Information table are the keyword row followed by the two columns of
    the MeSH table; only that shape (exactly three such rows) is read. Keywords run together on
    one row are split only after a closing bracket ("... (NEN) NET G3"): a space alone cannot tell
    two keywords from one keyword of two words."""
    zone = page.zone("keywords")
    if zone is not None and fold(page.rows[zone[0]].text).startswith("keywords provided by"):
        for j in range(zone[0] + 1, zone[1]):
            row = page.rows[j]
            if fold(row.text).startswith("layout table for"):
                continue
            if (row.cells and sections.stops(page, j)) or _PAGE_END.search(row.text):
                break
            for cell in row.cells:
                if cell and cell not in record.keywords:
                    record.keywords.append(cell)
        return
    more = page.anchors.get("more information")
    if more is None or zone is not None:
        return
    last_label = max((j for j in range(more, len(page.rows)) if page.is_label(j)), default=more)
    rest = [row for row in page.rows[last_label + 1 :] if row.cells]
    if len(rest) == 3 and all(len([c for c in row.cells if c]) == 1 for row in rest):
        record.keywords = _split_run_together(rest[0].cells[0], _drug_words(record))


def _split_run_together(text: str, known: set[str]) -> list[str]:
    """Keywords a saved page ran together on one line, split where the text shows a boundary:
    after a closing bracket, around a word that is one of the study's own drug names, and
    between a token with a digit and an acronym ("NET G3 NEC G3" -> "NET G3", "NEC G3")."""
    keywords = []
    for part in re.split(r"(?<=\))\s+", text):
        current: list[str] = []
        for word in part.split():
            if current and (
                word.casefold() in known
                or current[-1].casefold() in known
                or (re.search(r"\d", current[-1]) and re.fullmatch(r"[A-Z]{2,}", word))
            ):
                keywords.append(" ".join(current))
                current = []
            current.append(word)
        if current:
            keywords.append(" ".join(current))
    return [clean_line(k) for k in keywords if clean_line(k)]


def _drug_words(record: TrialRecord) -> set[str]:
    """The study's own one-word drug names, as keywords often repeat them."""
    names = (name for iv in record.interventions for name in drug_names(iv.type, iv.name))
    return {name.casefold() for name in names if " " not in name}
