"""Readers for the list-shaped sections of a ClinicalTrials.Veeva study page.

``veeva_page`` cuts the page into sections by their labels; the sections read here hold lists
whose items are not labelled one by one: the treatments ("Drug: QL1706 , bevacizumab"), the
patient groups (label, "<Type> group", "Description:", "Treatment:"), the sites and the contacts.
Each reader takes the section's lines, already stripped, and returns record dataclasses.
"""

from __future__ import annotations

import re

from trials import choices
from trials.ingest import wording
from trials.ingest.countries import country_code
from trials.ingest.normalize import clean_line, clean_text
from trials.ingest.records import Arm, Contact, Intervention, ParseError, Site

# "Drug:", "Biological:" ... as Veeva writes a treatment's type. Several typed lists can share a
# line ("Drug: A, B Biological: C") or be glued together when a page is copied ("Drug: ABiological: C").
_TYPE_WORDS = sorted(
    {form for label in choices.InterventionType.labels for form in (str(label), str(label).title())},
    key=len,
    reverse=True,
)
# Case-sensitive: the type starts with a capital, so "drug:" inside a name does not split it.
_TYPE_PREFIX = re.compile(r"(?:" + "|".join(re.escape(word) for word in _TYPE_WORDS) + r") ?:")


# ---------------------------------------------------------------------------------------------
# Treatments


def typed_names(line: str) -> list[tuple[str, str | None, str]]:
    """``(type as written, choices.InterventionType, name)`` for each treatment a line lists.

    "Drug: QL1706 , bevacizumab, cisplatin or carboplatin" is three drugs: Veeva separates the
    interventions of one type by commas ("or" stays inside one intervention). Commas inside
    brackets do not separate. A line without a type prefix is one intervention of unstated type.
    """
    line = clean_line(line)
    if not line:
        return []
    starts = [match.start() for match in _TYPE_PREFIX.finditer(line)]
    if not starts or starts[0] != 0:
        starts = [0, *starts]
    found = []
    for start, end in zip(starts, [*starts[1:], len(line)], strict=True):
        chunk = line[start:end].strip(" ,;")
        head, colon, rest = chunk.partition(":")
        kind = None
        if colon and _TYPE_PREFIX.match(chunk):
            kind = wording.intervention_type(head)
        if kind is None:
            if chunk:
                found.append(("", None, chunk))
            continue
        found += [(clean_line(head), kind, name) for name in _top_level_parts(rest)]
    return found


def _top_level_parts(text: str) -> list[str]:
    parts, depth, current = [], 0, []
    for char in text:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(0, depth - 1)
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [part for part in (clean_line(p) for p in parts) if part]


def interventions(lines: list[str]) -> list[Intervention]:
    found: list[Intervention] = []
    for line in lines:
        for _, kind, name in typed_names(line):
            _add_intervention(found, kind, name)
    return found


def _add_intervention(found: list[Intervention], kind: str | None, name: str) -> Intervention:
    for intervention in found:
        if intervention.type == kind and intervention.name.casefold() == name.casefold():
            return intervention
    intervention = Intervention(type=kind, name=name)
    found.append(intervention)
    return intervention


# ---------------------------------------------------------------------------------------------
# Patient groups (arms and cohorts)

_DESCRIPTION, _TREATMENT = "description:", "treatment:"


def arms(lines: list[str], found: list[Intervention]) -> list[Arm]:
    """The groups under "<N> participants in <M> patient groups"; each group's "Treatment:" lines
    link it to the interventions in ``found`` (an intervention named only there is added)."""
    lines = [line for line in lines if line]
    groups: list[Arm] = []
    field = None  # "description" or "treatment": which part of the current group a line continues
    description: list[str] = []
    for i, line in enumerate(lines):
        key = line.casefold()
        arm = groups[-1] if groups else None
        if arm and field is None and not description and arm.type is None and (kind := _group_type(line)):
            arm.type = kind  # the line under the label: "Experimental group"
            continue
        if _starts_group(lines, i, in_description=field == "description"):
            _finish(groups, description)
            groups.append(Arm(label=line))
            field, description = None, []
            continue
        if arm is None:
            continue  # text before the first group: not part of any
        if key.startswith(_DESCRIPTION):
            field = "description"
            description.append(line[len(_DESCRIPTION) :].strip())
        elif key.startswith(_TREATMENT):
            field = "treatment"
            _link(arm, line[len(_TREATMENT) :], found)
        elif field == "treatment":
            # Each treatment line names its type ("Drug: ..."); anything else ends the list
            # (the next group's label, when a cut page lost the line that would show it).
            if wording.typed_intervention(line)[0]:
                _link(arm, line, found)
            else:
                field = None
        elif field == "description":
            description.append(line)
    _finish(groups, description)
    return groups


def _starts_group(lines: list[str], i: int, in_description: bool) -> bool:
    """A group starts with its label: a line followed by its type ("Experimental group"), by
    "Description:" or (when not the last line of a description) by "Treatment:"."""
    line = lines[i]
    if i + 1 >= len(lines) or line.casefold().startswith((_DESCRIPTION, _TREATMENT)) or line.endswith(":"):
        return False
    following = lines[i + 1].casefold()
    if following.startswith(_TREATMENT):
        return not in_description
    return following.startswith(_DESCRIPTION) or _group_type(lines[i + 1]) is not None


def _group_type(line: str) -> str | None:
    if not line.casefold().endswith((" group", " arm", " cohort")):
        return None
    try:
        return wording.arm_type(line)
    except ParseError:
        return None


def _finish(groups: list[Arm], description: list[str]) -> None:
    if groups:
        groups[-1].description = clean_text("\n".join(description))


def _link(arm: Arm, line: str, found: list[Intervention]) -> None:
    for written_type, kind, name in typed_names(line):
        intervention = _add_intervention(found, kind, name)
        written = f"{written_type}: {name}" if written_type else name
        if written not in arm.intervention_names:
            arm.intervention_names.append(written)
        if arm.label not in intervention.arm_labels:
            intervention.arm_labels.append(arm.label)


# ---------------------------------------------------------------------------------------------
# Sites and contacts

# Lines the page's site list shows around the sites, not part of any site.
_SITE_CHROME = {"loading...", "loading", "show more", "show less", "view more", "map", "list", "sort by", "contact"}


def sites(lines: list[str]) -> list[Site]:
    """Sites as "<facility>" then "<city>, <state>, <country>, <postal code>", with an optional
    status line ("Enrolling") and contacts (name, role, phone, email lines) under them.

    A facility is only recognised by the location line that follows it: a page that did not load
    its sites ("Loading...") or shows only their count gives no site.
    """
    lines = [line for line in lines if line and line.casefold() not in _SITE_CHROME]
    found: list[Site] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        following = lines[i + 1] if i + 1 < len(lines) else ""
        after = lines[i + 2] if i + 2 < len(lines) else ""
        status_first = _status(following) is not None and _location(after) is not None
        if not _is_detail(line) and (_location(following) is not None or status_first):
            site = Site(facility=line)
            if status_first:
                site.status, i = _status(following), i + 1
            site.city, site.state, site.postal_code, site.country = _location(lines[i + 1])
            site.country_code = country_code(site.country)
            found.append(site)
            i += 2
            continue
        if found:
            site = found[-1]
            if site.status is None and not site.contacts and (status := _status(line)) is not None:
                site.status = status
            else:
                _contact_line(site.contacts, line)
        i += 1
    return found


def contacts(lines: list[str], role: str | None = None) -> list[Contact]:
    """Contacts as the page lists them: a name line, then optional role, phone and email lines."""
    found: list[Contact] = []
    for line in lines:
        if line and line.casefold() not in _SITE_CHROME:
            _contact_line(found, line)
    if role:
        for contact in found:
            contact.role = contact.role or role
    return found


def _contact_line(found: list[Contact], line: str) -> None:
    line = re.sub(r"(?i)^contact:\s*", "", line)
    if _is_email(line):
        if not found or found[-1].email:
            found.append(Contact())
        found[-1].email = line.removeprefix("mailto:")
    elif _is_phone(line):
        if not found or found[-1].phone:
            found.append(Contact())
        found[-1].phone = line
    elif (role := _role(line)) is not None:
        if found and found[-1].role is None and found[-1].name:
            found[-1].role = role
    else:
        found.append(Contact(name=line))


def _is_detail(line: str) -> bool:
    return _is_email(line) or _is_phone(line) or _role(line) is not None


def _is_email(line: str) -> bool:
    return "@" in line and " " not in line.strip()


def _is_phone(line: str) -> bool:
    """Digits with phone punctuation only ("+86 10 8778 8888", "(617) 555-0100 ext. 12")."""
    rest = line.casefold().replace("ext.", " ").replace("ext", " ").replace("x", " ")
    digits = sum(char.isdigit() for char in rest)
    return digits >= 7 and all(char.isdigit() or char.isspace() or char in "+-().,/" for char in rest)


def _role(line: str) -> str | None:
    try:
        return wording.contact_role(line.rstrip(":"))
    except ParseError:
        return None


def _status(line: str) -> str | None:
    if not line or len(line) > 60:
        return None
    try:
        return wording.site_status(line)
    except ParseError:
        return None


def _location(line: str) -> tuple[str, str, str, str] | None:
    """``(city, state, postal code, country)`` of "Beijing, Beijing, China, 100142",
    "Boston, Massachusetts, United States" or "Seoul, Korea, Republic of"; None for other text."""
    parts = [part.strip() for part in line.split(",")]
    if len(parts) < 2 or len(line) > 200:
        return None
    postal = ""
    if any(char.isdigit() for char in parts[-1]) and len(parts) >= 3:
        postal, parts = parts[-1], parts[:-1]
    for width in (2, 1):  # "Korea, Republic of" before "Republic of"
        # Countries are written out; a two- or three-letter code would take "Lin Shen, MD" for Moldova.
        name = ", ".join(parts[-width:])
        if len(parts) > width and len(name) > 3 and country_code(name):
            country, place = ", ".join(parts[-width:]), parts[:-width]
            return place[0], ", ".join(place[1:]), postal, country
    return None
