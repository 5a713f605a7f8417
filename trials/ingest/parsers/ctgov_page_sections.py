"""Readers for the sections of a saved classic CT.gov page; see ``ctgov_page`` and ``ctgov_page_lines``."""

from __future__ import annotations

import re

from trials import choices
from trials.ingest import wording
from trials.ingest.countries import country_code
from trials.ingest.normalize import (
    age_to_years,
    clean_line,
    clean_text,
    parse_age_range,
    split_criteria,
    std_age_groups,
)
from trials.ingest.parsers.ctgov_page_lines import Page, contact_row, fold, role_row
from trials.ingest.records import (
    Arm,
    Contact,
    Eligibility,
    Intervention,
    Outcome,
    ParseError,
    Site,
    TrialRecord,
)

_TYPED_START = re.compile(
    r"(?:^|(?<=\s))(?:Drug|Biological|Biological/Vaccine|Device|Procedure|Procedure/Surgery|Radiation|Behavioral"
    r"|Genetic|Dietary Supplement|Combination Product|Diagnostic Test|Other)\s*:\s"
)
_PHASE_TEXT = re.compile(r"(?i)(?:(?:early\s+)?phase\s+[0-4](?:\s*/\s*phase\s+[0-4])?\s*)+|not applicable|n/a")
_ARM_PREFIX = re.compile(
    r"(?i)^(experimental|active comparator|placebo comparator|sham comparator|no intervention|other)\s*:\s*(.*)$"
)
_OTHER_NAMES = re.compile(r"(?i)^other names?\s*:\s*(.*)$")
_TIME_FRAME = re.compile(r"\[\s*Time\s+Frame\s*:", re.I)
_SAFETY_ISSUE = re.compile(r"^\s*\[\s*Designated as safety issue\s*:[^\]]*\]", re.I)
_LIST_MARK = re.compile(r"^(?:[-*•]|\d{1,3}[.)])\s+")
_OUTCOME_KINDS = {"primary": "PRIMARY", "secondary": "SECONDARY", "other": "OTHER", "other pre-specified": "OTHER"}
# Starts only where a run of address characters starts (the lookbehind): tried at every position
# of a long word with no "@", the pattern would take quadratic time on a hostile page.
_EMAIL = re.compile(r"(?<![^\s@|<>])[^\s@|<>]+@[^\s@|<>]+\.[A-Za-z]{2,}")
_PHONE_START = re.compile(r"(?:^|\s)(?=[+(]?\d)")


def _stops(page: Page, j: int) -> bool:
    """A row that ends a table or list: a label, a heading, or another section's start."""
    return page.is_label(j) or page.is_heading(j) or j in page.anchors.values()


# ---------------------------------------------------------------------------------------------
# Conditions, interventions and phases (the table at the top)


def conditions_table(record: TrialRecord, page: Page) -> None:
    zone = page.zone("conditions")
    if zone is None:
        return
    found_phases: list[str] = []
    for j in range(zone[0] + 1, zone[1]):
        row = page.rows[j]
        if not row.cells:
            if record.conditions or record.interventions:
                break
            continue
        if _stops(page, j):
            break
        cells = [cell for cell in row.cells if cell and not set(cell) <= set("-: ")]
        for cell in cells:
            if _PHASE_TEXT.fullmatch(cell):
                found_phases += wording.phases(cell)
                continue
            text, tail = _phase_tail(cell) if len(cells) == 1 else (cell, "")
            if tail:
                found_phases += wording.phases(tail)
            _conditions_and_interventions(record, text)
    record.phases = [phase for phase in choices.Phase.values if phase in found_phases]


def _phase_tail(text: str) -> tuple[str, str]:
    """ "Cancer Drug: X Phase 2" (cells run together) -> ("Cancer Drug: X", "Phase 2")."""
    words = text.split()
    for k in range(min(8, len(words) - 1), 0, -1):
        if _PHASE_TEXT.fullmatch(" ".join(words[-k:])):
            return " ".join(words[:-k]), " ".join(words[-k:])
    return text, ""


def _conditions_and_interventions(record: TrialRecord, text: str) -> None:
    starts = [m.start() for m in _TYPED_START.finditer(text)]
    head = clean_line(text[: starts[0]] if starts else text)
    if head and head not in record.conditions:
        record.conditions.append(head)
    for first, last in zip(starts, [*starts[1:], len(text)], strict=False):
        kind, name = wording.typed_intervention(text[first:last])
        _intervention(record, kind, name)


def _intervention(record: TrialRecord, kind: str | None, name: str) -> Intervention:
    for known in record.interventions:
        if known.type == kind and fold(known.name) == fold(name):
            return known
    record.interventions.append(Intervention(type=kind, name=name))
    return record.interventions[-1]


# ---------------------------------------------------------------------------------------------
# Summary and description


def description(record: TrialRecord, page: Page) -> None:
    record.brief_summary = _free_text(page, "summary", ("brief summary", "purpose"))
    record.detailed_description = _free_text(page, "detailed description", ("detailed description",))


def _free_text(page: Page, anchor: str, labels: tuple[str, ...]) -> str:
    zone = page.zone(anchor)
    if zone is None:
        return ""
    first = page.rows[zone[0]].text
    inline = first.split(":", 1)[1] if ":" in first and fold(first.split(":", 1)[0]) in labels else ""
    lines = [inline.strip()]
    for j in range(zone[0] + 1, zone[1]):
        if page.rows[j].cells and _stops(page, j):
            break
        lines.append(page.rows[j].text.rstrip("| "))
    return clean_text("\n".join(lines))


# ---------------------------------------------------------------------------------------------
# Arms and interventions


def arms_table(record: TrialRecord, page: Page) -> None:
    zone = page.zone("arms")
    if zone is None:
        return
    lines: list[str] = []
    for j in range(zone[0] + 1, zone[1]):
        row = page.rows[j]
        if row.cells and set(row.text) <= set("-|: "):
            continue  # "---|---|"
        if (not row.text and lines) or _TIME_FRAME.search(row.text) or (row.cells and _stops(page, j)):
            break
        lines.append(row.text)
    if any("|" in line for line in lines):
        cells = "\n".join(lines).split("|")[:-1]  # what follows the last "|" is not in the table
        pairs = [(cells[k], cells[k + 1]) for k in range(0, len(cells) - 1, 2)]
        for arm_cell, intervention_cell in pairs:
            arm = _arm(_lines(arm_cell))
            if arm is not None:
                record.arms.append(arm)
            _arm_interventions(record, arm, _lines(intervention_cell))
    else:  # pre-2017 text: one item per line, arms and interventions by their type prefixes
        arm = None
        block: list[str] = []
        for line in _lines("\n".join(lines)):
            match = _ARM_PREFIX.match(line)
            if match and not (arm is not None and match[1].casefold() == "other" and block):
                _arm_interventions(record, arm, block)
                arm, block = _arm([line]), []
                record.arms.append(arm)
            elif arm is not None and _TYPED_START.match(line) is None and not block:
                arm.description = clean_text(f"{arm.description}\n{line}")
            else:
                block.append(line)
        _arm_interventions(record, arm, block)


def _lines(text: str) -> list[str]:
    return [clean_line(line) for line in text.split("\n") if clean_line(line)]


def _arm(lines: list[str]) -> Arm | None:
    if not lines:
        return None
    match = _ARM_PREFIX.match(lines[0])
    kind, label = (wording.arm_type(match[1]), match[2]) if match else (None, lines[0])
    return Arm(label=clean_line(label), type=kind, description=clean_text("\n".join(lines[1:])))


def _arm_interventions(record: TrialRecord, arm: Arm | None, lines: list[str]) -> None:
    current: Intervention | None = None
    description: list[str] = []
    in_other_names = False

    def finish() -> None:
        if current is not None and description and not current.description:
            current.description = clean_text("\n".join(description))

    for line in lines:
        if _TYPED_START.match(line):
            finish()
            kind, name = wording.typed_intervention(line)
            current, description, in_other_names = _intervention(record, kind, name), [], False
            if arm is not None:
                written = f"{line.split(':', 1)[0].strip()}: {name}"
                if written not in arm.intervention_names:
                    arm.intervention_names.append(written)
                if arm.label not in current.arm_labels:
                    current.arm_labels.append(arm.label)
        elif current is None:
            continue
        elif match := _OTHER_NAMES.match(line):
            in_other_names = True
            if match[1] and match[1] not in current.other_names:
                current.other_names.append(clean_line(match[1]))
        elif in_other_names and _LIST_MARK.match(line):
            name = clean_line(_LIST_MARK.sub("", line))
            if name not in current.other_names:
                current.other_names.append(name)
        else:
            description.append(line)
    finish()


# ---------------------------------------------------------------------------------------------
# Outcome measures


def outcomes(record: TrialRecord, page: Page) -> None:
    """Outcomes under their headings; without headings (lost from the saved text) the page still
    lists primary outcomes first, so the first is primary and the others secondary."""
    zone = page.zone("outcomes")
    if zone is None:
        return
    kind: str | None = None
    current: Outcome | None = None
    for j in range(zone[0], len(page.rows)):
        row = page.rows[j]
        text = clean_line(row.text.rstrip("| "))
        heading = re.match(r"(?i)^(?:current\s+)?(primary|secondary|other(?: pre-specified)?) outcome measures?", text)
        if heading:
            kind, current = _OUTCOME_KINDS[heading[1].casefold()], None
        elif match := _TIME_FRAME.search(text):
            item = _LIST_MARK.sub("", text)
            match = _TIME_FRAME.search(item)
            close = item.find("]", match.end())
            close = close if close >= 0 else len(item)
            rest = _SAFETY_ISSUE.sub("", item[close + 1 :])
            this_kind = kind or ("PRIMARY" if not record.outcomes else "SECONDARY")
            current = Outcome(
                kind=this_kind,
                measure=clean_line(item[: match.start()]),
                time_frame=clean_line(item[match.end() : close]),
                description=clean_text(rest),
            )
            record.outcomes.append(current)
        elif not row.cells:
            continue
        elif j >= zone[1] or _stops(page, j) or fold(text).startswith("original"):
            break
        elif current is not None:
            current.description = clean_text(f"{current.description}\n{text}")


# ---------------------------------------------------------------------------------------------
# Eligibility


def eligibility(record: TrialRecord, page: Page) -> None:
    ages = page.value("ages eligible for study")
    criteria_text = _criteria_text(page)
    if not (ages or page.labels.get("sex") or page.labels.get("accepts healthy volunteers") or criteria_text):
        return
    criteria, inclusion, exclusion = split_criteria(criteria_text)
    minimum_age, maximum_age = parse_age_range(ages) if ages else ("", "")
    record.eligibility = Eligibility(
        criteria=criteria,
        inclusion=inclusion,
        exclusion=exclusion,
        sex=wording.sex(page.value("sex")),
        minimum_age=minimum_age,
        maximum_age=maximum_age,
        min_age_years=age_to_years(minimum_age),
        max_age_years=age_to_years(maximum_age),
        healthy_volunteers=wording.healthy_volunteers(page.value("accepts healthy volunteers")),
        # The page words the age limits; CT.gov's age groups follow from them.
        std_ages=std_age_groups(age_to_years(minimum_age), age_to_years(maximum_age)) if ages else [],
    )


def _criteria_text(page: Page) -> str:
    zone = page.zone("criteria")
    if zone is None:
        return ""
    start = zone[0] + 1 if fold(page.rows[zone[0]].text) == "criteria" else zone[0]
    lines: list[str] = []
    rows = page.rows[start : zone[1]]
    for n, row in enumerate(rows):
        text = row.raw.rstrip("| ").rstrip()
        # "-" alone then the item's text: how a list item holding a nested list is saved.
        if text == "-" and n + 1 < len(rows):
            continue
        if n and rows[n - 1].text.strip() == "-" and text:
            text = f"- {text}"
        lines.append(text)
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Contacts, locations and investigators


def locations(record: TrialRecord, page: Page) -> None:
    zone = page.zone("contacts")
    if zone is None:
        return
    site: Site | None = None
    country, state = "", ""
    mode = ""  # "", "sponsors" or "investigators": the heading the rows are under
    for j in range(zone[0], zone[1]):
        row = page.rows[j]
        cells = [cell for cell in row.cells if cell]
        if not cells:
            continue
        heading = fold(" ".join(cells))
        if page.is_heading(j):
            mode = heading if heading in ("sponsors and collaborators", "investigators") else ""
            if heading == "investigators":
                site = None
            continue
        if mode == "sponsors and collaborators" and not role_row(row):
            continue
        if match := contact_row(row):
            contact = _contact(match[1], cells[1:], wording.contact_role("Contact"))
            (site.contacts if site else record.central_contacts).append(contact)
        elif match := role_row(row):
            role = wording.contact_role(match[1])
            if match[2] and len(cells) == 1 and mode != "investigators":
                (site.contacts if site else record.officials).append(_contact(match[2], [], role))
            else:  # "Principal Investigator: | Name | Affiliation |": the study's officials
                parts = ([match[2]] if match[2] else []) + cells[1:]
                record.officials.append(
                    Contact(name=parts[0] if parts else "", role=role, affiliation=", ".join(parts[1:]))
                )
                site = None
        elif (heading_country := _country_heading(cells)) is not None:
            country, state = heading_country
            site = None
        elif (place := _place(cells[0], country)) is not None:
            if site is None or site.city or site.postal_code:
                site = Site(country=country, country_code=country_code(country))
                record.sites.append(site)
            site.city, site.state, site.postal_code, written = place
            site.state = site.state or state
            site.country, site.country_code = written, country_code(written)
        else:
            site = Site(facility=cells[0], country=country, country_code=country_code(country), state=state)
            site.status = _site_status(cells[1]) if len(cells) > 1 else None
            record.sites.append(site)


def _country_heading(cells: list[str]) -> tuple[str, str] | None:
    """ "Germany", "United States, California", "Korea, Republic of" -> (country, state)."""
    if len(cells) != 1 or any(ch.isdigit() for ch in cells[0]):
        return None
    if country_code(cells[0]):
        return cells[0], ""
    country, _, state = cells[0].partition(",")
    if state and country_code(country):
        return clean_line(country), clean_line(state)
    return None


def _place(text: str, country: str) -> tuple[str, str, str, str] | None:
    """ "Heidelberg, Germany, 69120" -> (city, state, postal code, country as written)."""
    parts = [clean_line(part) for part in text.split(",")]
    if len(parts) < 2 or not country:
        return None
    code = country_code(country)
    for k in range(len(parts) - 1, 0, -1):
        if fold(parts[k]) == fold(country) or (code and country_code(parts[k]) == code):
            return parts[0], ", ".join(parts[1:k]), ", ".join(parts[k + 1 :]), parts[k]
    return None


def _site_status(text: str) -> str | None:
    try:
        return wording.site_status(text)
    except ParseError:
        return None


def _contact(text: str, more_cells: list[str], role: str | None) -> Contact:
    """ "Name, MD | phone | email" (cells), or "Name, MD 00496221 ext 56 5982 a@b.de" (run together)."""
    whole = " ".join([text, *more_cells])
    emails = _EMAIL.findall(whole)
    email = emails[0] if emails else ""
    if more_cells:
        name = text
        phone = " ".join(cell for cell in more_cells if "@" not in cell)
    else:
        rest = clean_line(whole.replace(email, " ")) if email else clean_line(whole)
        match = _PHONE_START.search(rest)
        name, phone = (rest[: match.start()], rest[match.start() :]) if match else (rest, "")
    return Contact(name=clean_line(name), role=role, phone=clean_line(phone), email=email)


__all__ = ["arms_table", "conditions_table", "description", "eligibility", "locations", "stops"]

stops = _stops
