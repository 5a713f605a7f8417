"""ClinicalTrials.gov legacy XML: the retired ``<clinical_study>`` documents (AllPublicXML, displayxml).

One study per file, in every version CT.gov served from about 2007 to 2023: the old
``firstreceived_date`` / ``lastchanged_date`` and free-text ``<study_design>`` as well as the later
``study_first_posted`` / ``last_update_posted`` and ``<study_design_info>``. The XML is read through
``defusedxml``: a document type declaration (hence any external entity or entity expansion) is
refused with a ``ParseError``. Words are read onto API v2 values by ``wording``, so a study parses
to the record ``ctgov_json`` makes of the same study, as far as the XML states it. What it cannot:

- the XML has no MeSH ids and no MeSH ancestors: terms come as ``MeshTerm(mesh_id="", term=...)``;
- no coordinates for sites and no secondary id types or domains (ids are classified by shape);
- arms do not list their interventions; the interventions list their arms (``arm_labels``);
- ``std_ages`` is not written: it is derived from the age limits as CT.gov derives it;
- an ``nct_alias`` (an NCT id CT.gov merged into this study) is kept as a second NCT id, after the
  study's own, so that a source naming the retired id finds this trial.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from trials import choices
from trials.ingest import wording
from trials.ingest.countries import country_code
from trials.ingest.normalize import (
    age_to_years,
    classify_registry_id,
    clean_line,
    clean_text,
    count_of,
    date_type,
    parse_partial_date,
    split_criteria,
    std_age_groups,
)
from trials.ingest.parsers.xmlutil import Element, parse_xml
from trials.ingest.records import (
    Arm,
    Contact,
    Eligibility,
    Intervention,
    MeshTerm,
    Organization,
    Outcome,
    ParseError,
    PartialDate,
    RawSource,
    RegistryId,
    ResponsibleParty,
    Site,
    TrialRecord,
)

FORMAT = choices.SourceFormat.CTGOV_LEGACY_XML
VERSION = "1"

_ROOT = "clinical_study"
_ROOT_TAG = re.compile(rb"<clinical_study[\s>/]")
_NCT_ID = re.compile(r"NCT\d{8}")


def sniff(head: bytes) -> bool:
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    return text.startswith(b"<") and bool(_ROOT_TAG.search(text))


def split(source: RawSource) -> Iterator[RawSource]:
    """One study per file: the unit is the record (``parse`` reports what is wrong with it)."""
    if not source.data.strip():
        raise ParseError("empty: no XML in this file")
    yield source


# ---------------------------------------------------------------------------------------------
# Parse


def parse(data: bytes) -> TrialRecord:
    root = parse_xml(data)
    if root.tag != _ROOT:
        raise ParseError(f"expected a <{_ROOT}> document, got <{root.tag}>")
    study = Element(root, _ROOT)
    nct_id = clean_line(study.child("id_info").text("nct_id")).upper()
    if not nct_id:
        raise ParseError("clinical_study/id_info/nct_id: missing (every CT.gov study has one)")
    if not _NCT_ID.fullmatch(nct_id):
        raise ParseError(f"clinical_study/id_info/nct_id: not an NCT id: {nct_id!r}")
    record = TrialRecord(has_results=bool(study.child("clinical_results")))
    try:
        _identification(record, study, nct_id)
        _status(record, study)
        _sponsors(record, study)
        _design(record, study)
        _arms_and_interventions(record, study)
        _outcomes(record, study)
        _eligibility(record, study.child("eligibility"))
        _contacts_and_locations(record, study)
        record.condition_meshes = _meshes(study.child("condition_browse"))
        record.intervention_meshes = _meshes(study.child("intervention_browse"))
    except ParseError as exc:
        raise ParseError(f"{nct_id}: {exc}") from None
    return record


def _identification(record: TrialRecord, study: Element, nct_id: str) -> None:
    id_info = study.child("id_info")
    ids = [RegistryId(choices.IdScheme.NCT.value, nct_id)]
    if org_study_id := clean_line(id_info.text("org_study_id")):
        # <source> is the organization that registered the study (API v2 "organization"), which
        # issued this id; it differs from the lead sponsor in about a third of the records.
        lead_sponsor = study.child("sponsors").child("lead_sponsor").text("agency")
        issuer = clean_line(study.text("source")) or clean_line(lead_sponsor)
        ids.append(RegistryId(choices.IdScheme.ORG_STUDY_ID.value, org_study_id, issuer))
    ids += [classify_registry_id(value) for text in id_info.texts("secondary_id") if (value := clean_line(text))]
    for text in id_info.texts("nct_alias"):
        alias = clean_line(text).upper()
        if _NCT_ID.fullmatch(alias):  # anything else is not an id of this study we can trust
            ids.append(RegistryId(choices.IdScheme.NCT.value, alias))
    for rid in ids:  # a secondary id may repeat the NCT id or another secondary id
        if not any((rid.scheme, rid.value) == (kept.scheme, kept.value) for kept in record.registry_ids):
            record.registry_ids.append(rid)
    record.brief_title = clean_line(study.text("brief_title"))
    record.official_title = clean_line(study.text("official_title"))
    record.acronym = clean_line(study.text("acronym"))
    record.brief_summary = clean_text(study.child("brief_summary").text("textblock"))
    record.detailed_description = clean_text(study.child("detailed_description").text("textblock"))
    record.conditions = _lines(study.texts("condition"))
    record.keywords = _lines(study.texts("keyword"))


def _status(record: TrialRecord, study: Element) -> None:
    record.overall_status = study.read("overall_status", wording.overall_status)
    record.why_stopped = clean_text(study.text("why_stopped"))
    record.start_date = _date(study.child("start_date"))
    record.primary_completion_date = _date(study.child("primary_completion_date"))
    record.completion_date = _date(study.child("completion_date"))
    # Before 2017 the record carried "first received" and "last changed" dates instead of posted ones.
    record.first_posted_date = _date(study.child("study_first_posted")) or _date(study.child("firstreceived_date"))
    record.last_update_date = _date(study.child("last_update_posted")) or _date(study.child("lastchanged_date"))


def _date(element: Element) -> PartialDate | None:
    return element.read_own(lambda text: parse_partial_date(text, element.attribute("type") or None))


def _sponsors(record: TrialRecord, study: Element) -> None:
    sponsors = study.child("sponsors")
    if lead := sponsors.child("lead_sponsor"):
        record.lead_sponsor = _organization(lead)
    record.collaborators = [_organization(node) for node in sponsors.children("collaborator")]
    party = study.child("responsible_party")
    if party:
        # Records from before 2017 name the party only by "name_title" and "organization".
        record.responsible_party = ResponsibleParty(
            type=party.read("responsible_party_type", wording.responsible_party_type),
            name=clean_line(party.text("investigator_full_name") or party.text("name_title")),
            title=clean_line(party.text("investigator_title")),
            affiliation=clean_line(party.text("investigator_affiliation") or party.text("organization")),
        )


def _organization(node: Element) -> Organization:
    return Organization(
        name=clean_line(node.text("agency")),
        agency_class=node.read("agency_class", wording.agency_class),
    )


def _design(record: TrialRecord, study: Element) -> None:
    record.study_type = study.read("study_type", wording.study_type)
    record.phases = study.read("phase", wording.phases)
    info = study.child("study_design_info")
    if info:
        record.allocation = info.read("allocation", wording.allocation)
        record.intervention_model = info.read("intervention_model", wording.intervention_model)
        record.masking = info.read("masking", wording.masking)
        record.primary_purpose = info.read("primary_purpose", wording.primary_purpose)
    elif old := study.child("study_design"):
        _old_design(record, old)
    enrollment = study.child("enrollment")
    if count := clean_line(enrollment.own_text()):
        if not (count.isascii() and count.isdigit()):
            raise ParseError(f"{enrollment.path}: not a count: {count!r}")
        record.enrollment_count = enrollment.read_own(count_of, count)
        record.enrollment_type = enrollment.read_own(date_type, enrollment.attribute("type"))


# The fields of the free-text <study_design> that records before 2011 carry:
# "Allocation:  Randomized, Endpoint Classification:  Safety Study, Intervention Model:  Parallel
# Assignment, Masking:  Double Blind (Subject, Investigator), Primary Purpose:  Treatment".
_OLD_DESIGN_FIELD = re.compile(
    r"(?i)(?:^|,)\s*(allocation|endpoint classification|intervention model|masking|primary purpose"
    r"|observational model|time perspective)\s*:"
)


def _old_design(record: TrialRecord, element: Element) -> None:
    text = element.own_text()
    matches = list(_OLD_DESIGN_FIELD.finditer(text))
    fields = {
        match[1].lower(): clean_line(text[match.end() : following.start() if following else len(text)])
        for match, following in zip(matches, [*matches[1:], None], strict=True)
    }
    readers = (
        ("allocation", "allocation", wording.allocation),
        ("intervention model", "intervention_model", wording.intervention_model),
        ("masking", "masking", wording.masking),
        ("primary purpose", "primary_purpose", wording.primary_purpose),
    )
    for key, attr, reader in readers:
        if key in fields:
            setattr(record, attr, element.read_own(reader, fields[key]))


def _arms_and_interventions(record: TrialRecord, study: Element) -> None:
    record.arms = [
        Arm(
            label=clean_line(node.text("arm_group_label")),
            type=node.read("arm_group_type", wording.arm_type),
            description=clean_text(node.text("description")),
        )
        for node in study.children("arm_group")
    ]
    record.interventions = [
        Intervention(
            type=node.read("intervention_type", wording.intervention_type),
            name=clean_line(node.text("intervention_name")),
            description=clean_text(node.text("description")),
            other_names=_lines(node.texts("other_name")),
            arm_labels=_lines(node.texts("arm_group_label")),
        )
        for node in study.children("intervention")
    ]


_OUTCOME_TAGS = (
    (choices.OutcomeKind.PRIMARY.value, "primary_outcome"),
    (choices.OutcomeKind.SECONDARY.value, "secondary_outcome"),
    (choices.OutcomeKind.OTHER.value, "other_outcome"),
)


def _outcomes(record: TrialRecord, study: Element) -> None:
    record.outcomes = [
        Outcome(
            kind=kind,
            measure=clean_line(node.text("measure")),
            description=clean_text(node.text("description")),
            time_frame=clean_line(node.text("time_frame")),
        )
        for kind, tag in _OUTCOME_TAGS
        for node in study.children(tag)
    ]


def _eligibility(record: TrialRecord, element: Element) -> None:
    if not element:
        return
    criteria, inclusion, exclusion = split_criteria(element.child("criteria").text("textblock"))
    min_years = element.read("minimum_age", age_to_years)
    max_years = element.read("maximum_age", age_to_years)
    # "N/A" is how the XML writes "no limit"; API v2 leaves the age out, and so do we.
    minimum_age = clean_line(element.text("minimum_age")) if min_years is not None else ""
    maximum_age = clean_line(element.text("maximum_age")) if max_years is not None else ""
    states_ages = bool(element.child("minimum_age") or element.child("maximum_age"))
    record.eligibility = Eligibility(
        criteria=criteria,
        inclusion=inclusion,
        exclusion=exclusion,
        sex=element.read("gender", wording.sex),
        minimum_age=minimum_age,
        maximum_age=maximum_age,
        min_age_years=min_years,
        max_age_years=max_years,
        healthy_volunteers=element.read("healthy_volunteers", wording.healthy_volunteers),
        std_ages=std_age_groups(min_years, max_years) if states_ages else [],
    )


def _contacts_and_locations(record: TrialRecord, study: Element) -> None:
    record.central_contacts = [
        _contact(node) for tag in ("overall_contact", "overall_contact_backup") for node in study.children(tag)
    ]
    record.officials = [_person(node) for node in study.children("overall_official")]
    record.sites = [_site(node) for node in study.children("location")]


def _name(node: Element) -> str:
    """A person as CT.gov's API writes them: the legacy schema splits names, though most records
    put the whole name (with degrees) in ``last_name``."""
    name = " ".join(part for tag in ("first_name", "middle_name", "last_name") if (part := clean_line(node.text(tag))))
    degrees = clean_line(node.text("degrees"))
    return f"{name}, {degrees}" if name and degrees else name or degrees


def _contact(node: Element) -> Contact:
    phone = clean_line(node.text("phone"))
    if extension := clean_line(node.text("phone_ext")):
        phone = f"{phone} ext. {extension}" if phone else f"ext. {extension}"
    return Contact(
        name=_name(node),
        role=choices.ContactRole.CONTACT.value,
        phone=phone,
        email=clean_line(node.text("email")),
    )


def _person(node: Element) -> Contact:
    """An official or a site investigator: a name, a role and an affiliation."""
    return Contact(
        name=_name(node),
        role=node.read("role", wording.contact_role),
        affiliation=clean_line(node.text("affiliation")),
    )


def _site(node: Element) -> Site:
    facility = node.child("facility")
    address = facility.child("address")
    country = clean_line(address.text("country"))
    contacts = [_contact(contact) for tag in ("contact", "contact_backup") for contact in node.children(tag)]
    return Site(
        facility=clean_line(facility.text("name")),
        city=clean_line(address.text("city")),
        state=clean_line(address.text("state")),
        postal_code=clean_line(address.text("zip")),
        country=country,
        country_code=country_code(country),
        status=node.read("status", wording.site_status),
        contacts=contacts + [_person(investigator) for investigator in node.children("investigator")],
    )


def _meshes(browse: Element) -> list[MeshTerm]:
    return [MeshTerm(mesh_id="", term=term) for term in _lines(browse.texts("mesh_term"))]


def _lines(values: list[str]) -> list[str]:
    """Each value as one line, empty ones dropped."""
    return [line for value in values if (line := clean_line(value))]
