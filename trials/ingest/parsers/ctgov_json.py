"""ClinicalTrials.gov API v2 JSON: study objects as the API and the website's JSON download give them.

``split`` accepts every shape CT.gov hands out: one study object, a JSON list of studies, an API
page ``{"studies": [...], "nextPageToken": ...}`` and JSON lines. Each record keeps its own text
exactly as it appears in the input (UTF-16 input is re-encoded as UTF-8, so stored sources read as
text). ``parse`` reads one study; text fields are kept as CT.gov writes them (Markdown), except
the inclusion and exclusion items split out of the criteria, which are plain text.

JSON lines are split without being decoded: a line that is not valid JSON is still yielded as its
own record, and ``parse`` of its bytes raises the ``ParseError`` naming the JSON error, so one bad
line fails alone while the other lines import.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from trials import choices
from trials.ingest.countries import country_code
from trials.ingest.normalize import (
    age_to_years,
    classify_registry_id,
    clean_line,
    clean_text,
    parse_partial_date,
    split_criteria,
    unescape_markdown,
)
from trials.ingest.parsers.jsonutil import (
    DECODER,
    TOO_DEEP,
    TOO_LONG_NUMBER,
    Node,
    array_spans,
    decode,
    json_error,
    json_type,
    loads,
    member_span,
    position,
    skip_whitespace,
)
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

FORMAT = choices.SourceFormat.CTGOV_API_V2_JSON
VERSION = "1"

_PAGE_START = re.compile(r'\{\s*"studies"\s*:')
_NCT_ID = re.compile(r"NCT\d{8}")


def sniff(head: bytes) -> bool:
    text = decode(head, errors="ignore").lstrip()
    if not text.startswith(("{", "[")):
        return False
    return '"protocolSection"' in text or bool(_PAGE_START.match(text))


# ---------------------------------------------------------------------------------------------
# Split


def split(source: RawSource) -> Iterator[RawSource]:
    """The studies a unit holds, each with its own raw text and an origin naming its place."""
    text = decode(source.data)
    start = skip_whitespace(text, 0)
    if start == len(text):
        raise ParseError("empty: no JSON in this file")
    try:
        value, end = DECODER.raw_decode(text, start)
    except json.JSONDecodeError as exc:
        if _looks_like_json_lines(text):
            yield from _split_lines(source, text)
            return
        raise ParseError(json_error(exc)) from None
    except (RecursionError, ValueError) as exc:  # nested too deeply, or a number int() refuses
        if _looks_like_json_lines(text):
            yield from _split_lines(source, text)
            return
        raise ParseError(TOO_DEEP if isinstance(exc, RecursionError) else TOO_LONG_NUMBER) from None
    rest = skip_whitespace(text, end)
    if rest < len(text):
        if "\n" not in text[start:end]:  # a first line that is a whole value: JSON lines
            yield from _split_lines(source, text)
            return
        raise ParseError(f"not valid JSON: unexpected data after the JSON value at {position(text, rest)}")

    if isinstance(value, list):
        spans, origin = array_spans(text, start), source.origin + "[{}]"
    elif isinstance(value, dict) and "studies" in value and "protocolSection" not in value:
        if not isinstance(value["studies"], list):
            raise ParseError(f"studies: expected a list, got {json_type(value['studies'])}")
        studies_start, _ = member_span(text, start, "studies")
        spans, origin = array_spans(text, studies_start), source.origin + "#studies[{}]"
    elif isinstance(value, dict):
        # One study: the unit is the record. UTF-16 input is stored re-encoded as UTF-8.
        yield source if _is_utf8(source.data) else RawSource(source.origin, text[start:end].encode())
        return
    else:
        raise ParseError(f"expected a study object, a list of studies or an API page, got {json_type(value)}")
    for i, (first, last) in enumerate(spans):
        yield RawSource(origin.format(i), text[first:last].encode())


def _looks_like_json_lines(text: str) -> bool:
    """Several lines starting with "{", at least one of them a whole object by itself."""
    lines = [line for line in text.split("\n") if line.strip()]
    if len(lines) < 2 or not lines[0].lstrip().startswith("{"):
        return False
    for line in lines[:100]:
        try:
            if isinstance(DECODER.decode(line.strip()), dict):
                return True
        except (RecursionError, ValueError):  # JSONDecodeError is a ValueError
            continue
    return False


def _split_lines(source: RawSource, text: str) -> Iterator[RawSource]:
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            yield RawSource(f"{source.origin}:line {number}", line.rstrip("\r").encode())


def _is_utf8(data: bytes) -> bool:
    return not data.startswith((b"\xff\xfe", b"\xfe\xff")) and b"\x00" not in data[:2]


# ---------------------------------------------------------------------------------------------
# Parse


def parse(data: bytes) -> TrialRecord:
    study = loads(decode(data))
    if not isinstance(study, dict):
        raise ParseError(f"expected a study object, got {json_type(study)}")
    root = Node(study)
    protocol = root.obj("protocolSection")
    nct_id = clean_line(protocol.obj("identificationModule").text("nctId"))
    if not nct_id:
        raise ParseError("protocolSection.identificationModule.nctId: missing (every CT.gov study has one)")
    if not _NCT_ID.fullmatch(nct_id.upper()):
        raise ParseError(f"protocolSection.identificationModule.nctId: not an NCT id: {nct_id!r}")
    record = TrialRecord()
    try:
        record.has_results = root.boolean("hasResults")
        _identification(record, protocol.obj("identificationModule"))
        _status(record, protocol.obj("statusModule"))
        _sponsors(record, protocol.obj("sponsorCollaboratorsModule"))
        _description(record, protocol.obj("descriptionModule"))
        _conditions(record, protocol.obj("conditionsModule"))
        _design(record, protocol.obj("designModule"))
        _arms_and_interventions(record, protocol.obj("armsInterventionsModule"))
        _outcomes(record, protocol.obj("outcomesModule"))
        _eligibility(record, protocol.obj("eligibilityModule"))
        _contacts_and_locations(record, protocol.obj("contactsLocationsModule"))
        _browse(record, root.obj("derivedSection"))
    except ParseError as exc:
        raise ParseError(f"{nct_id}: {exc}") from None
    return record


def _identification(record: TrialRecord, module: Node) -> None:
    ids = [RegistryId(choices.IdScheme.NCT.value, module.text("nctId").strip().upper())]
    org_study_id = clean_line(module.obj("orgStudyIdInfo").text("id"))
    if org_study_id:
        issuer = clean_line(module.obj("organization").text("fullName"))
        ids.append(RegistryId(choices.IdScheme.ORG_STUDY_ID.value, org_study_id, issuer))
    for secondary in module.objs("secondaryIdInfos"):
        if value := clean_line(secondary.text("id")):
            ids.append(classify_registry_id(value, secondary.text("type"), secondary.text("domain")))
    for rid in ids:  # a secondary id may repeat the NCT id or another secondary id
        if not any((rid.scheme, rid.value) == (kept.scheme, kept.value) for kept in record.registry_ids):
            record.registry_ids.append(rid)
    record.brief_title = clean_line(module.text("briefTitle"))
    record.official_title = clean_line(module.text("officialTitle"))
    record.acronym = clean_line(module.text("acronym"))


def _status(record: TrialRecord, module: Node) -> None:
    record.overall_status = module.choice("overallStatus", choices.OverallStatus)
    record.why_stopped = clean_text(module.text("whyStopped"))
    record.start_date = _date(module, "startDateStruct")
    record.primary_completion_date = _date(module, "primaryCompletionDateStruct")
    record.completion_date = _date(module, "completionDateStruct")
    record.first_posted_date = _date(module, "studyFirstPostDateStruct")
    record.last_update_date = _date(module, "lastUpdatePostDateStruct")


def _date(module: Node, key: str) -> PartialDate | None:
    struct = module.obj(key)
    date_type = struct.choice("type", choices.ActualOrEstimated)
    try:
        return parse_partial_date(struct.text("date"), date_type)
    except ParseError as exc:
        raise ParseError(f"{struct.where('date')}: {exc}") from None


def _sponsors(record: TrialRecord, module: Node) -> None:
    if lead := module.obj("leadSponsor"):
        record.lead_sponsor = _organization(lead)
    record.collaborators = [_organization(node) for node in module.objs("collaborators")]
    party = module.obj("responsibleParty")
    if party:
        # Records from before 2017 name the party only as "oldNameTitle" / "oldOrganization".
        record.responsible_party = ResponsibleParty(
            type=party.choice("type", choices.ResponsiblePartyType),
            name=clean_line(party.text("investigatorFullName") or party.text("oldNameTitle")),
            title=clean_line(party.text("investigatorTitle")),
            affiliation=clean_line(party.text("investigatorAffiliation") or party.text("oldOrganization")),
        )


def _organization(node: Node) -> Organization:
    return Organization(name=clean_line(node.text("name")), agency_class=node.choice("class", choices.AgencyClass))


def _description(record: TrialRecord, module: Node) -> None:
    record.brief_summary = clean_text(module.text("briefSummary"))
    record.detailed_description = clean_text(module.text("detailedDescription"))


def _conditions(record: TrialRecord, module: Node) -> None:
    record.conditions = _lines(module.texts("conditions"))
    record.keywords = _lines(module.texts("keywords"))


def _design(record: TrialRecord, module: Node) -> None:
    record.study_type = module.choice("studyType", choices.StudyType)
    record.phases = module.choice_list("phases", choices.Phase)
    design = module.obj("designInfo")
    record.allocation = design.choice("allocation", choices.Allocation)
    record.intervention_model = design.choice("interventionModel", choices.InterventionModel)
    record.masking = design.obj("maskingInfo").choice("masking", choices.Masking)
    record.primary_purpose = design.choice("primaryPurpose", choices.PrimaryPurpose)
    enrollment = module.obj("enrollmentInfo")
    record.enrollment_count = enrollment.integer("count")
    record.enrollment_type = enrollment.choice("type", choices.ActualOrEstimated)


def _arms_and_interventions(record: TrialRecord, module: Node) -> None:
    record.arms = [
        Arm(
            label=clean_line(node.text("label")),
            type=node.choice("type", choices.ArmType),
            description=clean_text(node.text("description")),
            intervention_names=_lines(node.texts("interventionNames")),
        )
        for node in module.objs("armGroups")
    ]
    record.interventions = [
        Intervention(
            type=node.choice("type", choices.InterventionType),
            name=clean_line(node.text("name")),
            description=clean_text(node.text("description")),
            other_names=_lines(node.texts("otherNames")),
            arm_labels=_lines(node.texts("armGroupLabels")),
        )
        for node in module.objs("interventions")
    ]


_OUTCOME_LISTS = (
    (choices.OutcomeKind.PRIMARY.value, "primaryOutcomes"),
    (choices.OutcomeKind.SECONDARY.value, "secondaryOutcomes"),
    (choices.OutcomeKind.OTHER.value, "otherOutcomes"),
)


def _outcomes(record: TrialRecord, module: Node) -> None:
    record.outcomes = [
        Outcome(
            kind=kind,
            measure=clean_line(node.text("measure")),
            description=clean_text(node.text("description")),
            time_frame=clean_line(node.text("timeFrame")),
        )
        for kind, key in _OUTCOME_LISTS
        for node in module.objs(key)
    ]


def _eligibility(record: TrialRecord, module: Node) -> None:
    if not module:
        return
    criteria, inclusion, exclusion = split_criteria(module.text("eligibilityCriteria"))
    minimum_age, maximum_age = clean_line(module.text("minimumAge")), clean_line(module.text("maximumAge"))
    record.eligibility = Eligibility(
        criteria=criteria,
        inclusion=[unescape_markdown(item) for item in inclusion],
        exclusion=[unescape_markdown(item) for item in exclusion],
        sex=module.choice("sex", choices.Sex),
        minimum_age=minimum_age,
        maximum_age=maximum_age,
        min_age_years=_years(module, "minimumAge", minimum_age),
        max_age_years=_years(module, "maximumAge", maximum_age),
        healthy_volunteers=module.boolean("healthyVolunteers"),
        std_ages=module.choice_list("stdAges", choices.StdAge),
    )


def _years(module: Node, key: str, text: str) -> float | None:
    try:
        return age_to_years(text)
    except ParseError as exc:
        raise ParseError(f"{module.where(key)}: {exc}") from None


def _contacts_and_locations(record: TrialRecord, module: Node) -> None:
    record.central_contacts = [_contact(node) for node in module.objs("centralContacts")]
    record.officials = [
        Contact(
            name=clean_line(node.text("name")),
            role=node.choice("role", choices.ContactRole),
            affiliation=clean_line(node.text("affiliation")),
        )
        for node in module.objs("overallOfficials")
    ]
    record.sites = [_site(node) for node in module.objs("locations")]


def _contact(node: Node) -> Contact:
    phone = clean_line(node.text("phone"))
    if extension := clean_line(node.text("phoneExt")):
        phone = f"{phone} ext. {extension}" if phone else f"ext. {extension}"
    return Contact(
        name=clean_line(node.text("name")),
        role=node.choice("role", choices.ContactRole),
        phone=phone,
        email=clean_line(node.text("email")),
    )


def _site(node: Node) -> Site:
    country = clean_line(node.text("country"))
    point = node.obj("geoPoint")
    return Site(
        facility=clean_line(node.text("facility")),
        city=clean_line(node.text("city")),
        state=clean_line(node.text("state")),
        postal_code=clean_line(node.text("zip")),
        country=country,
        country_code=country_code(country),
        status=node.choice("status", choices.RecruitmentStatus),
        latitude=point.number("lat"),
        longitude=point.number("lon"),
        contacts=[_contact(contact) for contact in node.objs("contacts")],
    )


def _browse(record: TrialRecord, derived: Node) -> None:
    record.condition_meshes = _meshes(derived.obj("conditionBrowseModule"))
    record.intervention_meshes = _meshes(derived.obj("interventionBrowseModule"))


def _meshes(module: Node) -> list[MeshTerm]:
    return [
        MeshTerm(mesh_id=clean_line(node.text("id")), term=clean_line(node.text("term")), is_ancestor=is_ancestor)
        for key, is_ancestor in (("meshes", False), ("ancestors", True))
        for node in module.objs(key)
    ]


def _lines(values: list[str]) -> list[str]:
    """Each value as one line, empty ones dropped."""
    return [line for value in values if (line := clean_line(value))]
