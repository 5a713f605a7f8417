"""ClinicalTrials.gov CSV exports: the current site's ``ctg-studies.csv`` and the old site's
``SearchResults.csv`` / ``.tsv``, with any subset of their columns in any order.

Columns are found by their header name (case- and space-insensitive); unknown columns are ignored.
``split`` yields one record per data row, re-serialised as the header line plus that row, so each
stored source parses alone. What the export does not state stays empty:

- dates carry no actual/estimated type, and "Enrollment" is a bare number (type None);
- "Funder Type" (current site) is the lead sponsor's class. The old "Funded Bys" lists the classes
  of the lead sponsor and its collaborators without saying whose is whose, so it sets the lead
  sponsor's class only when it names exactly one class;
- the old "Outcome Measures" column lists measure titles only, primary, secondary and other ones
  together; they are recorded as kind OTHER, the one kind that promotes no measure to primary;
- "Age" gives the minimum/maximum age when written ("18 Years and older (Adult, Older Adult)") and
  the standard age groups from the parenthesis or from a bare list ("ADULT, OLDER_ADULT");
- "Locations" items ``Facility, City, State, Zip, Country`` are read from the right (see ``_site``).
"""

from __future__ import annotations

import csv
import io
import re
import sys
from collections.abc import Iterator

from trials import choices
from trials.ingest import wording
from trials.ingest.encoding import decode_text
from trials.ingest.location_text import location_site
from trials.ingest.normalize import (
    age_to_years,
    classify_registry_id,
    clean_line,
    clean_text,
    parse_age_range,
    parse_partial_date,
)
from trials.ingest.outcome_text import measures_only, split_outcomes
from trials.ingest.records import (
    Eligibility,
    Intervention,
    Organization,
    ParseError,
    RawSource,
    RegistryId,
    TrialRecord,
)

FORMAT = choices.SourceFormat.CTGOV_CSV
VERSION = "2"

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # a cell of locations or outcomes can exceed the 128 KB default

# Header name (folded) -> the fact it holds; both sites' spellings.
_COLUMNS = {
    "nct number": "nct",
    "study title": "title",
    "title": "title",
    "acronym": "acronym",
    "study status": "status",
    "status": "status",
    "brief summary": "summary",
    "study results": "results",
    "conditions": "conditions",
    "interventions": "interventions",
    "primary outcome measures": "primary_outcomes",
    "secondary outcome measures": "secondary_outcomes",
    "other outcome measures": "other_outcomes",
    "outcome measures": "outcomes",
    "sponsor": "sponsor",
    "collaborators": "collaborators",
    "sponsor/collaborators": "sponsor_collaborators",
    "sex": "sex",
    "gender": "sex",
    "age": "age",
    "phases": "phases",
    "enrollment": "enrollment",
    "funder type": "funder_type",
    "funded bys": "funded_bys",
    "study type": "study_type",
    "study design": "design",
    "study designs": "design",
    "other ids": "other_ids",
    "start date": "start_date",
    "primary completion date": "primary_completion_date",
    "completion date": "completion_date",
    "first posted": "first_posted",
    "last update posted": "last_update_posted",
    "locations": "locations",
    # Known and deliberately not read: derived or not held by TrialRecord.
    "rank": None,
    "study url": None,
    "url": None,
    "results first posted": None,
    "study documents": None,
}
_MIN_KNOWN_COLUMNS = 2
_NCT_ID = re.compile(r"NCT\d{8}", re.I)
_RESULTS = {"yes": True, "has results": True, "no": False, "no results available": False}
_STD_AGES = {"child": "CHILD", "adult": "ADULT", "older adult": "OLDER_ADULT", "older_adult": "OLDER_ADULT"}


def sniff(head: bytes) -> bool:
    text = decode_text(head, head=True)  # any bytes have a text
    return _header(_first_line(text.lstrip("\ufeff"))) is not None


# ---------------------------------------------------------------------------------------------
# Split


def split(source: RawSource) -> Iterator[RawSource]:
    """One source per data row: the header line and that row, as CSV text in UTF-8."""
    text = decode_text(source.data)
    header, delimiter, rows = _read(text)
    for number, row in rows:
        out = io.StringIO()
        writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
        writer.writerow(header)
        writer.writerow(row)
        yield RawSource(f"{source.origin}:row {number}", out.getvalue().encode())


_LINE_END = re.compile(r"\r\n?|\n")


def _first_line(text: str) -> str:
    """The first line as the csv module ends rows: at "\\n", "\\r\\n" or a lone "\\r" (old Mac files)."""
    return _LINE_END.split(text, maxsplit=1)[0]


def _header(line: str) -> tuple[list[str], str] | None:
    """The header cells and delimiter when ``line`` is a CT.gov export's header row."""
    best = None
    for delimiter in (",", "\t"):
        try:
            cells = next(csv.reader([line], delimiter=delimiter), [])
        except csv.Error:  # e.g. a quote left open in a line of random text
            continue
        keys = [_COLUMNS.get(_fold(cell), "") for cell in cells]
        known = sum(key != "" for key in keys)
        names_record = "nct" in keys or "title" in keys
        if known >= _MIN_KNOWN_COLUMNS and names_record and (best is None or known > best[0]):
            best = (known, cells, delimiter)
    return (best[1], best[2]) if best else None


def _read(text: str) -> tuple[list[str], str, list[tuple[int, list[str]]]]:
    """Header, delimiter and the non-empty data rows with their row numbers (the header is row 0)."""
    if not text.strip():
        raise ParseError("empty: no CSV in this file")
    first_line = _first_line(text)
    found = _header(first_line)
    if found is None:
        raise ParseError(
            "not a ClinicalTrials.gov CSV export: the first line names no known columns "
            f"(expected e.g. 'NCT Number', 'Study Title'); it starts {first_line[:80]!r}"
        )
    header, delimiter = found
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    try:
        next(reader)
        rows = [(number, row) for number, row in enumerate(reader, start=1) if any(cell.strip() for cell in row)]
    except csv.Error as exc:
        raise ParseError(f"not valid CSV at line {reader.line_num}: {exc}") from None
    return header, delimiter, rows


def _fold(name: str) -> str:
    return " ".join(name.replace("\ufeff", "").split()).casefold()


# ---------------------------------------------------------------------------------------------
# Parse


def parse(data: bytes) -> TrialRecord:
    header, _, rows = _read(decode_text(data))
    if not rows:
        raise ParseError("no data row: the file holds only a header")
    if len(rows) > 1:
        raise ParseError(f"{len(rows)} data rows: one record is one row (split the file first)")
    row = _Row(header, rows[0][1])
    nct_id = row.text("nct")
    if nct_id and not _NCT_ID.fullmatch(nct_id):
        raise ParseError(f"NCT Number: not an NCT id: {nct_id!r}")
    if not nct_id and not row.text("title"):
        raise ParseError("neither an NCT Number nor a title: nothing names this record")
    record = TrialRecord()
    try:
        _identification(record, row, nct_id.upper())
        _status_and_dates(record, row)
        _design(record, row)
        _sponsors(record, row)
        _conditions_and_interventions(record, row)
        _outcomes(record, row)
        _eligibility(record, row)
        record.sites = [location_site(item) for item in row.items("locations")]
    except ParseError as exc:
        raise ParseError(f"{record.label}: {exc}") from None
    return record


class _Row:
    """One data row, read by fact name; a column the file lacks reads as empty."""

    def __init__(self, header: list[str], cells: list[str]):
        self.values: dict[str, str] = {}
        self.names: dict[str, str] = {}
        for name, cell in zip(header, cells, strict=False):
            key = _COLUMNS.get(_fold(name))
            if cell.strip().casefold() == "null":  # some re-saved exports write empty cells so
                cell = ""
            if key and not self.values.get(key):
                self.values[key], self.names[key] = cell, name

    def raw(self, key: str) -> str:
        return self.values.get(key, "")

    def text(self, key: str) -> str:
        return clean_line(self.raw(key))

    def items(self, key: str) -> list[str]:
        return [line for item in self.raw(key).split("|") if (line := clean_line(item))]

    def read(self, key: str, reader):
        """``reader(text)``, with a ParseError naming the column."""
        try:
            return reader(self.text(key))
        except ParseError as exc:
            raise ParseError(f"{self.names.get(key, key)}: {exc}") from None


def _identification(record: TrialRecord, row: _Row, nct_id: str) -> None:
    ids = [RegistryId(choices.IdScheme.NCT.value, nct_id)] if nct_id else []
    ids += [classify_registry_id(value) for value in row.items("other_ids")]
    for rid in ids:
        if not any((rid.scheme, rid.value) == (kept.scheme, kept.value) for kept in record.registry_ids):
            record.registry_ids.append(rid)
    record.brief_title = row.text("title")
    record.acronym = row.text("acronym")
    record.brief_summary = clean_text(row.raw("summary"))
    results = row.text("results").casefold()
    record.has_results = _RESULTS.get(results) if results else None
    if results and results not in _RESULTS:
        raise ParseError(f"{row.names['results']}: unknown value {row.text('results')!r}")


_DATE_COLUMNS = {
    "start_date": "start_date",
    "primary_completion_date": "primary_completion_date",
    "completion_date": "completion_date",
    "first_posted": "first_posted_date",
    "last_update_posted": "last_update_date",
}
_SLASHED_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def _status_and_dates(record: TrialRecord, row: _Row) -> None:
    record.overall_status = row.read("status", wording.overall_status)
    month_first = _month_first(row)
    for key, attr in _DATE_COLUMNS.items():
        setattr(record, attr, row.read(key, lambda text: parse_partial_date(_iso_date(text, month_first))))


def _month_first(row: _Row) -> bool | None:
    """Whether the row's "12/30/2015" dates (a spreadsheet's re-save of CT.gov's ISO dates) put the
    month first, decided by a date whose day is over 12; None when the row's dates do not say."""
    day_first = month_first = False
    for key in _DATE_COLUMNS:
        if match := _SLASHED_DATE.fullmatch(row.text(key)):
            day_first |= int(match[1]) > 12
            month_first |= int(match[2]) > 12
    return month_first if day_first != month_first else None


def _iso_date(text: str, month_first: bool | None) -> str:
    match = _SLASHED_DATE.fullmatch(text)
    if not match:
        return text
    if month_first is None:
        raise ParseError(f"not a date: {text!r} (day and month order unknown: no date in this row has a day over 12)")
    month, day = (match[1], match[2]) if month_first else (match[2], match[1])
    return f"{match[3]}-{int(month):02d}-{int(day):02d}"


def _design(record: TrialRecord, row: _Row) -> None:
    record.phases = row.read("phases", wording.phases)
    # "Expanded Access:Intermediate-size Population|Treatment IND/Protocol": the kinds after ":" are not kept.
    record.study_type = row.read("study_type", lambda text: wording.study_type(text.split(":", 1)[0]))
    record.enrollment_count, record.enrollment_type = row.read("enrollment", wording.enrollment)
    readers = {
        "allocation": wording.allocation,
        "intervention model": wording.intervention_model,
        "masking": wording.masking,
        "primary purpose": wording.primary_purpose,
    }
    for item in row.items("design"):
        label, _, value = item.partition(":")
        reader = readers.get(_fold(label))
        if reader is None:  # "Observational Model", "Time Perspective": not held by TrialRecord
            continue
        try:
            setattr(record, _fold(label).replace(" ", "_"), reader(value))
        except ParseError as exc:
            raise ParseError(f"{row.names['design']}: {exc}") from None


def _sponsors(record: TrialRecord, row: _Row) -> None:
    names = row.items("sponsor")[:1] + row.items("collaborators")
    if not names:  # the old site's one column: the lead sponsor first
        names = row.items("sponsor_collaborators")
    if not names:
        return
    agency_class = row.read("funder_type", wording.agency_class)
    if agency_class is None and row.items("funded_bys"):
        classes = set(
            row.read("funded_bys", lambda _: [wording.agency_class(item) for item in row.items("funded_bys")])
        )
        agency_class = classes.pop() if len(classes) == 1 else None
    record.lead_sponsor = Organization(name=names[0], agency_class=agency_class)
    record.collaborators = [Organization(name=name) for name in names[1:]]


def _conditions_and_interventions(record: TrialRecord, row: _Row) -> None:
    record.conditions = row.items("conditions")
    record.interventions = [Intervention(*wording.typed_intervention(item)) for item in row.items("interventions")]


def _outcomes(record: TrialRecord, row: _Row) -> None:
    kinds = choices.OutcomeKind
    for key, kind in (
        ("primary_outcomes", kinds.PRIMARY),
        ("secondary_outcomes", kinds.SECONDARY),
        ("other_outcomes", kinds.OTHER),
    ):
        record.outcomes += split_outcomes(row.raw(key), kind.value)
    record.outcomes += measures_only(row.raw("outcomes"), kinds.OTHER.value)


def _eligibility(record: TrialRecord, row: _Row) -> None:
    sex = row.read("sex", wording.sex)
    age = row.text("age")
    if sex is None and not age:
        return
    groups = re.findall(r"\(([^)]*)\)", age)
    bare = re.sub(r"\([^)]*\)", " ", age)
    std_words = groups[-1] if groups else ""
    if not groups and all(_fold(word) in _STD_AGES for word in bare.split(",") if word.strip()):
        std_words, bare = bare, ""  # "ADULT, OLDER_ADULT": the groups alone
    std_ages = []
    for word in std_words.split(","):
        if not word.strip():
            continue
        value = _STD_AGES.get(_fold(word))
        if value is None:
            raise ParseError(f"{row.names['age']}: unknown age group {word.strip()!r}")
        std_ages.append(value)
    minimum, maximum = row.read("age", lambda _: parse_age_range(bare))
    record.eligibility = Eligibility(
        sex=sex,
        minimum_age=minimum,
        maximum_age=maximum,
        min_age_years=age_to_years(minimum),
        max_age_years=age_to_years(maximum),
        std_ages=std_ages,
    )
