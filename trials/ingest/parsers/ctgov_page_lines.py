"""The lines of a saved classic CT.gov page: rows, cells, labels and sections; see ``ctgov_page``.

A page is a list of rows: one line each, cut into cells at ``|`` (saved text, ``html_to_text``)
or tabs (text copied from a browser). Labels are found wherever they stand ("Study Type :",
"Actual Study Start Date :", "Genders Eligible for Study:"), and sections span from their
heading or first recognisable row to the next section's start.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from trials.ingest import wording
from trials.ingest.normalize import clean_line
from trials.ingest.records import ParseError


def fold(text: str) -> str:
    """ "Study Type :" -> "study type"; "Recruitment Status :" -> "recruitment status"."""
    return " ".join(text.replace("\u00a0", " ").split()).replace(" :", ":").casefold().rstrip(":").strip()


_DATE_TYPES = {"actual": "ACTUAL", "estimated": "ESTIMATED", "anticipated": "ESTIMATED"}
# Folded label -> the key it is read under. Labels of every layout, 2008-2023.
_LABELS = {
    "recruitment status": "recruitment status",
    "overall status": "recruitment status",
    "first posted": "first posted",
    "last update posted": "last update posted",
    "study type": "study type",
    "enrollment": "enrollment",
    "allocation": "allocation",
    "intervention model": "intervention model",
    "masking": "masking",
    "primary purpose": "primary purpose",
    "official title": "official title",
    "study start date": "study start date",
    "study start": "study start date",
    "primary completion date": "primary completion date",
    "study completion date": "study completion date",
    "ages eligible for study": "ages eligible for study",
    "sexes eligible for study": "sex",
    "genders eligible for study": "sex",
    "gender": "sex",
    "accepts healthy volunteers": "accepts healthy volunteers",
    "responsible party": "responsible party",
    "other study id numbers": "other study id numbers",
    "clinicaltrials.gov identifier": "identifier",
    "sponsor": "sponsor",
    "collaborator": "collaborators",
    "collaborators": "collaborators",
    "information provided by (responsible party)": "information provided by",
    "information provided by": "information provided by",
    "study design": "study design",
    # Read only so that they end the value before them.
    "endpoint classification": "",
    "time perspective": "",
    "observational model": "",
    "last verified": "",
    "first received": "",
    "last updated": "",
    "study first received": "",
    "results first posted": "",
    "sampling method": "",
    "study population": "",
    "health authority": "",
    "plan to share ipd": "",
    "individual participant data (ipd) sharing statement": "",
    "studies a u.s. fda-regulated drug product": "",
    "studies a u.s. fda-regulated device product": "",
    "brief summary": "",
    "detailed description": "",
    "additional relevant mesh terms": "",
    "plan description": "",
    "supporting materials": "",
    "time frame": "",
    "access criteria": "",
    "url": "",
    "has data monitoring committee": "",
    "product manufactured in and exported from the u.s.": "",
    "u.s. fda regulated product": "",
}
# Headings and sentences that start a section; folded, compared with a row's whole text.
_HEADINGS = {
    "study description",
    "purpose",
    "study design",
    "arms and interventions",
    "outcome measures",
    "eligibility criteria",
    "eligibility",
    "criteria",
    "contacts and locations",
    "contacts",
    "locations",
    "sponsors and collaborators",
    "investigators",
    "more information",
    "publications",
    "publications of results",
}
_SECTION_SENTENCES = (
    "to learn more about this study",
    "please refer to this study by its clinicaltrials.gov identifier",
    "choosing to participate in a study",
    "layout table for",
    "keywords provided by",
    "additional relevant mesh terms",
    "publications automatically indexed",
    "resource links provided by",
    "further study details as provided by",
    # Page furniture between a section's heading and its content.
    "go to sections",
    "see contacts and locations",
    "information from the national library of medicine",
)
_TIME_FRAME = re.compile(r"\[\s*Time\s+Frame\s*:", re.I)
_OUTCOME_HEADING = re.compile(r"(?i)^(?:current\s+)?(primary|secondary|other(?: pre-specified)?) outcome measures?\b")
_CRITERIA_HEADER = re.compile(r"(?i)^(?:[-*•]\s*)?(?:key\s+|main\s+)?(?:inclusion|exclusion)s?\b(?:\s+criteri|\s*:)")


@dataclass(frozen=True)
class Row:
    text: str
    cells: tuple[str, ...]
    raw: str = ""  # the line with its indentation (nested list items in criteria)

    @property
    def has_pipe(self) -> bool:
        return "|" in self.text

    @property
    def closed(self) -> bool:
        return self.text.rstrip().endswith("|")


@dataclass(frozen=True)
class _Label:
    index: int
    key: str
    type: str | None
    inline: str


class Page:
    def __init__(self, rows: list[Row]):
        self.rows = rows
        self.labels: dict[str, _Label] = {}
        for i, row in enumerate(rows):
            for label in _labels_in(i, row):
                if label.key:  # "" marks a label read only to end the value before it
                    self.labels.setdefault(label.key, label)
        self.anchors = self._anchors()

    @classmethod
    def from_text(cls, text: str) -> Page:
        rows = []
        for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
            cells = [clean_line(cell) for cell in re.split(r"[|\t]", line)]
            while cells and not cells[-1]:
                cells.pop()
            if line.lstrip().startswith("|") and cells:
                cells.pop(0)  # whitespace before a row's first cell, read as an empty cell
            rows.append(Row(line.strip(), tuple(cells), line.rstrip()))
        return cls(rows)

    def text_at(self, i: int) -> str:
        return self.rows[i].text if 0 <= i < len(self.rows) else ""

    # Labels ---------------------------------------------------------------------------
    def is_label(self, i: int) -> bool:
        return bool(_labels_in(i, self.rows[i])) or self.is_heading(i)

    def is_heading(self, i: int) -> bool:
        text = fold(" ".join(self.rows[i].cells))
        return text in _HEADINGS or text.startswith(_SECTION_SENTENCES) or bool(_OUTCOME_HEADING.match(text))

    def value_type(self, key: str) -> str | None:
        label = self.labels.get(key)
        return label.type if label else None

    def value(self, key: str) -> str:
        return clean_line(" ".join(self.value_lines(key)))

    def value_lines(self, key: str, more: re.Pattern | None = None) -> list[str]:
        """A label's value: after it on its row, in a cell continued on the next rows, or (when
        the row has none) on the following rows up to the one closing the cell. Rows matching
        ``more`` continue a value written without cell borders."""
        label = self.labels.get(key)
        if label is None:
            return []
        row = self.rows[label.index]
        lines = [label.inline] if label.inline else []
        if label.inline and (not row.has_pipe or row.closed):
            for j in range(label.index + 1, min(label.index + 30, len(self.rows))):
                if more is None or self.is_label(j) or not more.search(self.rows[j].text):
                    break
                lines.append(" ".join(self.rows[j].cells))
            return lines
        for j in range(label.index + 1, min(label.index + 30, len(self.rows))):
            nxt = self.rows[j]
            if not nxt.cells or self.is_label(j):
                break
            lines.append(" ".join(nxt.cells))
            if not row.has_pipe or nxt.closed:
                break
        return [line for line in lines if line]

    def title(self) -> str:
        """The brief title: the line above the page's first header row (disclaimer, status,
        identifier), skipping images and empty rows."""
        for i, row in enumerate(self.rows):
            text = fold(row.text)
            if (
                text.startswith(("the safety and scientific validity", "clinicaltrials.gov identifier"))
                or _labels_in(i, row)
                or self.status_sentence_at(i)
            ):
                for j in range(i - 1, -1, -1):
                    cells = [c for c in self.rows[j].cells if c and not c.startswith("![")]
                    if cells:
                        return clean_line(" ".join(cells))
                return ""
        return ""

    def status_sentence_at(self, i: int) -> str | None:
        text = clean_line(self.rows[i].text.strip("| "))
        if not text.startswith(("This study ", "The recruitment status of this study")):
            return None
        try:
            return text if wording.overall_status(text) else None
        except ParseError:
            return None

    def status_sentence(self) -> str | None:
        for i in range(len(self.rows)):
            if sentence := self.status_sentence_at(i):
                return sentence
        return None

    def sponsor(self) -> str:
        """The sponsor under "Sponsor:" (top of the page), else the first name under "Sponsors and
        Collaborators"; empty when the page does not state one."""
        names = self._names_after("sponsor") or self._names_after_heading("sponsors and collaborators")
        return names[0] if names else ""

    def collaborators(self) -> list[str]:
        names = self._names_after("collaborators")
        if not names and not self.labels.get("sponsor"):
            names = self._names_after_heading("sponsors and collaborators")[1:]
        return names

    def _names_after(self, key: str) -> list[str]:
        label = self.labels.get(key)
        if label is None:
            return []
        names = [label.inline] if label.inline else []
        for j in range(label.index + 1, min(label.index + 30, len(self.rows))):
            if not self.rows[j].cells or self.is_label(j):
                break
            names.append(" ".join(self.rows[j].cells))
        return [clean_line(name) for name in names if clean_line(name)]

    def _names_after_heading(self, heading: str) -> list[str]:
        start = self.anchors.get(heading)
        if start is None:
            return []
        names = []
        for j in range(start + 1, min(start + 30, len(self.rows))):
            if not self.rows[j].cells:
                continue
            if self.is_label(j) or _role_row(self.rows[j]):
                break
            names.append(clean_line(" ".join(self.rows[j].cells)))
        return names

    # Sections -------------------------------------------------------------------------
    def _anchors(self) -> dict[str, int]:
        found: dict[str, int] = {}

        def mark(name: str, i: int) -> None:
            found.setdefault(name, i)

        for i, row in enumerate(self.rows):
            text = fold(" ".join(row.cells))
            if text in _HEADINGS:
                mark(text, i)
            if text.startswith(("condition or disease", "condition intervention")):
                mark("conditions", i)
            elif text.startswith(("arm intervention/treatment", "arms assigned intervention")) or text.startswith(
                ("group/cohort intervention/treatment", "groups/cohorts assigned intervention")
            ):
                mark("arms", i)
            elif _TIME_FRAME.search(row.text) or _OUTCOME_HEADING.match(text):
                mark("outcomes", i)
            elif text == "purpose" or text.startswith("brief summary"):
                mark("summary", i)
            elif text.startswith("detailed description"):
                mark("detailed description", i)
            elif text.startswith(("to learn more about this study", "please refer to this study by its")):
                mark("contacts", i)
            elif text.startswith(("keywords provided by", "additional relevant mesh terms")):
                mark("keywords", i)
        for key in ("ages eligible for study", "sex", "accepts healthy volunteers"):
            if key in self.labels:
                found["eligibility"] = min(found.get("eligibility", len(self.rows)), self.labels[key].index)
        for name in ("eligibility criteria", "contacts and locations", "locations", "more information"):
            if name in found:
                alias = {"eligibility criteria": "eligibility", "contacts and locations": "contacts"}.get(name, name)
                found[alias] = min(found.get(alias, len(self.rows)), found[name])
        if "eligibility" in found:
            start = found["eligibility"]
            for i in range(start, len(self.rows)):
                if fold(self.rows[i].text) == "criteria" or _CRITERIA_HEADER.match(self.rows[i].text):
                    found["criteria"] = i
                    break
            for i in range(found.get("criteria", start), len(self.rows)):
                if _contact_row(self.rows[i]) or fold(self.rows[i].text) == "contacts":
                    found["contacts"] = min(found.get("contacts", len(self.rows)), i)
                    break
        for key in ("responsible party", "other study id numbers"):
            if key in self.labels and self.labels[key].index > found.get("contacts", -1):
                found["more information"] = min(found.get("more information", len(self.rows)), self.labels[key].index)
        return found

    def zone(self, name: str) -> tuple[int, int] | None:
        """(first row, end) of a section: from its anchor to the next section's anchor."""
        start = self.anchors.get(name)
        if start is None:
            return None
        ends = [i for key, i in self.anchors.items() if i > start and key in _SECTION_KEYS]
        return start, min(ends, default=len(self.rows))


_SECTION_KEYS = {
    "conditions",
    "summary",
    "detailed description",
    "study design",
    "arms",
    "arms and interventions",
    "outcomes",
    "outcome measures",
    "eligibility",
    "criteria",
    "contacts",
    "more information",
    "keywords",
}


def _labels_in(i: int, row: Row) -> list[_Label]:
    if not row.cells:
        return []
    first = row.cells[0]
    rest = " ".join(c for c in row.cells[1:] if c)
    if ":" not in first:
        return []
    name, _, after = first.replace(" :", ":").partition(":")
    key, kind = _known(name)
    if key is None:
        return []
    value = clean_line(f"{after} {rest}")
    if key != "study design":
        return [_Label(i, key, kind, value)]
    # Pre-2017: "Study Design: Allocation: Randomized; Endpoint Classification: ...; Masking: ...".
    found = []
    for part in value.split(";"):
        sub_name, _, sub_value = part.partition(":")
        sub_key, sub_kind = _known(sub_name)
        if sub_key is not None:
            found.append(_Label(i, sub_key, sub_kind, clean_line(sub_value)))
    return found


def _known(name: str) -> tuple[str | None, str | None]:
    key = fold(name)
    kind = None
    first, _, remainder = key.partition(" ")
    if first in _DATE_TYPES and remainder in _LABELS:
        key, kind = remainder, _DATE_TYPES[first]
    return _LABELS.get(key), kind


_ROLE = re.compile(r"(?i)^(principal investigator|study chair|study director|sub-?investigator)\s*:\s*(.*)$")
_CONTACT = re.compile(r"(?i)^contact\s*:\s*(.*)$")


def _role_row(row: Row) -> re.Match | None:
    return _ROLE.match(row.cells[0]) if row.cells else None


def _contact_row(row: Row) -> re.Match | None:
    return _CONTACT.match(row.cells[0]) if row.cells else None


role_row, contact_row = _role_row, _contact_row
