"""ctgov_json: CT.gov API v2 study JSON, on real records saved under tests/fixtures/ctgov_api_v2/.

Each ``NCT*.json`` fixture is one line of the shared API v2 set, byte for byte. ``studies_list.json``
(the website's pretty-printed download), ``api_page.json`` (an API page, compact) and
``studies.jsonl`` were built from those same records.
"""

import codecs
import datetime as dt
import gzip
import json
import re
import time

import pytest

from tests.conftest import FIXTURES, SHARED_DATA
from trials.ingest.parsers import ctgov_json, parser_for
from trials.ingest.records import (
    Arm,
    Contact,
    Intervention,
    MeshTerm,
    Organization,
    ParseError,
    PartialDate,
    RawSource,
    RegistryId,
    ResponsibleParty,
    Site,
)

FIXTURE_DIR = FIXTURES / "ctgov_api_v2"
API_V2 = SHARED_DATA / "ctgov" / "ctgov_api_v2_studies.jsonl.gz"
SINGLES = sorted(path.name for path in FIXTURE_DIR.glob("NCT*.json"))
OUTCOME_KEYS = ("primaryOutcomes", "secondaryOutcomes", "otherOutcomes")


def raw(name: str) -> bytes:
    return (FIXTURE_DIR / name).read_bytes()


def parse(name: str):
    return ctgov_json.parse(raw(name))


def with_change(name: str, change) -> bytes:
    """A real study with one deliberate defect, for the error tests."""
    study = json.loads(raw(name))
    change(study)
    return json.dumps(study).encode()


def assert_agrees(record, study: dict) -> None:
    """The facts every record must carry over from its source JSON."""
    p = study["protocolSection"]
    nct = p["identificationModule"]["nctId"]
    assert record.registry_ids[0] == RegistryId("NCT", nct)
    assert record.label == nct
    assert record.brief_title == p["identificationModule"]["briefTitle"].strip(), nct
    assert record.overall_status == p["statusModule"]["overallStatus"], nct
    assert record.phases == p.get("designModule", {}).get("phases", []), nct
    assert record.conditions == [c.strip() for c in p.get("conditionsModule", {}).get("conditions", [])], nct
    arms_module = p.get("armsInterventionsModule", {})
    assert [a.label for a in record.arms] == [a["label"].strip() for a in arms_module.get("armGroups", [])], nct
    assert [(i.type, i.name) for i in record.interventions] == [
        (i.get("type"), i.get("name", "").strip()) for i in arms_module.get("interventions", [])
    ], nct
    outcomes = p.get("outcomesModule", {})
    assert [o.measure for o in record.outcomes] == [
        o["measure"].strip() for key in OUTCOME_KEYS for o in outcomes.get(key, [])
    ], nct
    locations = p.get("contactsLocationsModule", {}).get("locations", [])
    assert len(record.sites) == len(locations), nct
    assert {s.country for s in record.sites} == {loc.get("country", "") for loc in locations}, nct
    assert [s.latitude for s in record.sites] == [loc.get("geoPoint", {}).get("lat") for loc in locations], nct
    assert [s.country for s in record.sites if s.country and not s.country_code] == [], nct
    assert record.has_results is study["hasResults"], nct


# --- sniff -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [*SINGLES, "studies_list.json", "api_page.json", "studies.jsonl"])
def test_sniff_recognises_every_shape(name):
    assert ctgov_json.sniff(raw(name)[:4096])


def test_sniff_reads_byte_order_marks():
    head = raw("NCT02782533.json")[:2000]
    assert ctgov_json.sniff(codecs.BOM_UTF8 + head)
    assert ctgov_json.sniff(head.decode().encode("utf-16"))
    assert ctgov_json.sniff(b'{ "studies" : [], "nextPageToken": null}')


@pytest.mark.parametrize(
    "head",
    [
        b'<?xml version="1.0"?>\n<clinical_study rank="1">',
        b'"NCT Number","Study Title","Study URL"\n',
        b'{"total": 359, "trials": [{"nci_id": "NCI-2014-01507"}]}',
        b"",
    ],
)
def test_sniff_rejects_other_formats(head):
    assert not ctgov_json.sniff(head)


def test_parser_is_registered_under_its_format():
    assert parser_for("ctgov_api_v2_json") is ctgov_json
    assert ctgov_json.VERSION == "1"


# --- split -----------------------------------------------------------------------------------


def test_a_single_study_is_its_own_record():
    source = RawSource("NCT04728893.json", raw("NCT04728893.json"))
    assert list(ctgov_json.split(source)) == [source]


def test_a_list_splits_into_each_elements_own_text():
    container = raw("studies_list.json")
    records = list(ctgov_json.split(RawSource("studies_list.json", container)))
    assert [r.origin for r in records] == ["studies_list.json[0]", "studies_list.json[1]", "studies_list.json[2]"]
    assert [json.loads(r.data) for r in records] == json.loads(container)
    for record in records:  # the exact (indented) text of each element
        assert record.data in container
        assert record.data.startswith(b"{") and record.data.endswith(b"}")


def test_an_api_page_splits_into_its_studies_byte_for_byte():
    container = raw("api_page.json")
    records = list(ctgov_json.split(RawSource("page.json", container)))
    assert [r.origin for r in records] == ["page.json#studies[0]", "page.json#studies[1]", "page.json#studies[2]"]
    assert [json.loads(r.data) for r in records] == json.loads(container)["studies"]
    assert [r.data for r in records] == [raw(f"{nct}.json") for nct in ("NCT00242138", "NCT02782533", "NCT00444327")]


def test_json_lines_split_by_line_with_line_numbers():
    records = list(ctgov_json.split(RawSource("studies.jsonl", raw("studies.jsonl"))))
    assert [r.origin for r in records] == [f"studies.jsonl:line {n}" for n in (1, 2, 3, 4)]
    expected = ("NCT00242138", "NCT02782533", "NCT00444327", "NCT05034276")
    assert [r.data for r in records] == [raw(f"{nct}.json") for nct in expected]


def test_json_lines_skip_blank_lines_and_carriage_returns():
    first, second = raw("NCT02782533.json"), raw("NCT00444327.json")
    records = list(ctgov_json.split(RawSource("x.json", first + b"\r\n\r\n   \n" + second + b"\r\n")))
    assert [(r.origin, r.data) for r in records] == [("x.json:line 1", first), ("x.json:line 4", second)]


def test_byte_order_mark_and_utf16_input():
    study = raw("NCT02440776.json")  # non-ASCII text: "Universitätsklinikum", "Düsseldorf"
    bom = RawSource("bom.json", codecs.BOM_UTF8 + study)
    assert list(ctgov_json.split(bom)) == [bom]
    assert ctgov_json.parse(codecs.BOM_UTF8 + study) == ctgov_json.parse(study)

    utf16 = raw("api_page.json").decode().encode("utf-16")
    records = list(ctgov_json.split(RawSource("page16.json", utf16)))
    # Split records are stored as UTF-8 so their text reads back.
    assert [r.data for r in records] == [raw(f"{nct}.json") for nct in ("NCT00242138", "NCT02782533", "NCT00444327")]
    single16 = study.decode().encode("utf-16")
    assert [r.data for r in ctgov_json.split(RawSource("s16.json", single16))] == [study]
    assert ctgov_json.parse(single16) == ctgov_json.parse(study)
    assert ctgov_json.parse(study.decode().encode("utf-16-le")) == ctgov_json.parse(study)  # no BOM


# --- parse: real records, field by field ----------------------------------------------------


def test_oncology_study_with_sites_contacts_and_secondary_ids():
    record = parse("NCT04728893.json")
    study = json.loads(raw("NCT04728893.json"))
    assert record.registry_ids == [
        RegistryId("NCT", "NCT04728893"),
        RegistryId("ORG_STUDY_ID", "1026-003", "Merck Sharp & Dohme LLC"),
        RegistryId("OTHER", "MK-1026-003", "Merck"),
        RegistryId("EUDRACT", "2020-002324-36"),
    ]
    assert record.brief_title == (
        "Efficacy and Safety of Nemtabrutinib (MK-1026) in Participants With Hematologic Malignancies (MK-1026-003)"
    )
    assert record.official_title.startswith("A Phase 2 Study to Evaluate the Efficacy and Safety of MK-1026")
    assert record.acronym == ""
    assert record.brief_summary.startswith("The purpose of this study is to evaluate the safety and efficacy")
    assert record.detailed_description.startswith("This study will be performed in 2 parts")
    assert (record.overall_status, record.why_stopped) == ("RECRUITING", "")
    assert (record.study_type, record.phases) == ("INTERVENTIONAL", ["PHASE2"])
    assert (record.allocation, record.intervention_model, record.masking, record.primary_purpose) == (
        "NA",
        "SINGLE_GROUP",
        "NONE",
        "TREATMENT",
    )
    assert (record.enrollment_count, record.enrollment_type) == (450, "ESTIMATED")
    assert record.start_date == PartialDate(dt.date(2021, 4, 5), "DAY", "ACTUAL")
    assert record.primary_completion_date == PartialDate(dt.date(2027, 3, 19), "DAY", "ESTIMATED")
    assert record.completion_date == PartialDate(dt.date(2027, 3, 19), "DAY", "ESTIMATED")
    assert record.first_posted_date == PartialDate(dt.date(2021, 1, 28), "DAY", "ACTUAL")
    assert record.last_update_date == PartialDate(dt.date(2023, 11, 6), "DAY", "ESTIMATED")
    assert record.lead_sponsor == Organization("Merck Sharp & Dohme LLC", "INDUSTRY")
    assert record.collaborators == []
    assert record.responsible_party == ResponsibleParty("SPONSOR")
    assert record.conditions == [
        "Hematologic Malignancies",
        "Waldenstroms Macroglobulinaemia",
        "Non-Hodgkins Lymphoma",
        "Chronic Lymphocytic Leukaemia",
    ]
    assert record.arms == [
        Arm(
            "Nemtabrutinib",
            "EXPERIMENTAL",
            "Participants receive nemtabrutinib orally once daily (QD) until progressive disease (PD) or "
            "discontinuation.",
            ["Drug: Nemtabrutinib"],
        )
    ]
    assert record.interventions == [
        Intervention(
            "DRUG",
            "Nemtabrutinib",
            "Nemtabrutinib tablets administered PO QD.",
            ["ARQ 531", "MK-1026"],
            ["Nemtabrutinib"],
        )
    ]
    assert record.arm_intervention_links() == {(0, 0)}

    outcomes = study["protocolSection"]["outcomesModule"]
    assert [o.kind for o in record.outcomes] == ["PRIMARY"] * len(outcomes["primaryOutcomes"]) + ["SECONDARY"] * len(
        outcomes["secondaryOutcomes"]
    )
    first = record.outcomes[0]
    assert first.measure == "Part 1: Number of participants experiencing dose-limiting toxicities (DLTs)"
    assert first.time_frame == "Up to ~56 days (Cycles 1-2, cycle = 28 days)"
    assert first.description == outcomes["primaryOutcomes"][0]["description"]  # Markdown kept as written

    eligibility = record.eligibility
    assert (eligibility.sex, eligibility.healthy_volunteers, eligibility.std_ages) == (
        "ALL",
        False,
        ["ADULT", "OLDER_ADULT"],
    )
    assert (eligibility.minimum_age, eligibility.min_age_years) == ("18 Years", 18.0)
    assert (eligibility.maximum_age, eligibility.max_age_years) == ("", None)
    assert eligibility.criteria.startswith("Inclusion Criteria:\n\n* Has an Eastern Cooperative Oncology Group")
    assert eligibility.inclusion[0].startswith("Has an Eastern Cooperative Oncology Group (ECOG) performance status")
    # Items are plain text: "\>350" in the source reads ">350".
    assert "the CD4 count is >350 cells/uL at screening" in eligibility.inclusion[8]
    assert (len(eligibility.inclusion), len(eligibility.exclusion)) == (17, 8)

    assert record.central_contacts == [Contact("Toll Free Number", "CONTACT", "1-888-577-8839", "Trialsites@merck.com")]
    assert record.officials == [Contact("Medical Director", "STUDY_DIRECTOR", affiliation="Merck Sharp & Dohme LLC")]
    assert len(record.sites) == 106
    assert record.sites[0] == Site(
        facility="Highlands Oncology Group ( Site 2728)",
        city="Springdale",
        state="Arkansas",
        postal_code="72762",
        country="United States",
        country_code="US",
        status="RECRUITING",
        latitude=36.18674,
        longitude=-94.12881,
        contacts=[Contact("Study Coordinator", "CONTACT", "479-872-8130")],
    )
    assert " ".join(sorted({s.country_code for s in record.sites})) == (
        "AR AU BR CA CH CN CZ DE DK ES FR GB HU IE IL IT KR PL RO TR UA US"
    )
    assert {s.country for s in record.sites if s.country_code in ("KR", "TR", "CZ")} == {
        "Korea, Republic of",
        "Turkey",
        "Czechia",
    }

    browse = study["derivedSection"]["conditionBrowseModule"]
    assert record.condition_meshes[0] == MeshTerm("D000009369", "Neoplasms", is_ancestor=False)
    assert [m.is_ancestor for m in record.condition_meshes] == [False] * len(browse["meshes"]) + [True] * len(
        browse["ancestors"]
    )
    assert record.condition_meshes[len(browse["meshes"])] == MeshTerm(
        "D000009370", "Neoplasms by Histologic Type", True
    )
    assert record.intervention_meshes == []  # the source has no interventionBrowseModule
    assert record.has_results is False
    assert_agrees(record, study)


def test_partial_dates_without_type_and_absent_facts_stay_absent():
    record = parse("NCT00242138.json")
    assert record.start_date == PartialDate(dt.date(2000, 3, 1), "MONTH", None)
    assert record.start_date.iso() == "2000-03"
    assert record.completion_date == PartialDate(dt.date(2004, 4, 1), "MONTH", None)
    assert record.primary_completion_date is None
    assert record.first_posted_date == PartialDate(dt.date(2005, 10, 19), "DAY", "ESTIMATED")
    assert record.responsible_party is None
    assert (record.primary_purpose, record.enrollment_count, record.enrollment_type) == (None, 50, None)
    assert record.collaborators == [Organization("Princess Margaret Hospital, Canada", "OTHER")]
    assert record.arms == []
    assert record.interventions == [Intervention("BEHAVIORAL", "Erectile Dysfunction")]
    assert [(o.kind, o.time_frame, o.description) for o in record.outcomes] == [
        ("PRIMARY", "", ""),
        ("SECONDARY", "", ""),
    ]
    assert record.officials == [
        Contact("Padraig Warde, MD", "PRINCIPAL_INVESTIGATOR", affiliation="Princess Margaret Hospital, Canada")
    ]
    assert (record.eligibility.sex, record.eligibility.maximum_age, record.eligibility.max_age_years) == (
        "MALE",
        "",
        None,
    )
    assert record.sites[0].status is None and record.sites[0].contacts == []
    assert_agrees(record, json.loads(raw("NCT00242138.json")))


def test_observational_study():
    record = parse("NCT02440776.json")
    assert (record.study_type, record.phases, record.acronym) == ("OBSERVATIONAL", [], "SER")
    assert (record.allocation, record.intervention_model, record.masking, record.primary_purpose) == (None,) * 4
    assert (record.overall_status, record.enrollment_count, record.enrollment_type) == ("UNKNOWN", 30, "ESTIMATED")
    assert (record.arms, record.interventions) == ([], [])
    assert [s.country_code for s in record.sites] == ["DK", "DE", "DE", "DE", "DE", "DE", "SE", "CH", "GB"]
    assert record.sites[2].city == "Düsseldorf"
    assert_agrees(record, json.loads(raw("NCT02440776.json")))


def test_combined_phases_phone_extensions_and_other_outcomes():
    record = parse("NCT05417321.json")
    study = json.loads(raw("NCT05417321.json"))
    assert record.phases == ["PHASE1", "PHASE2"]
    assert record.conditions == ["Advanced Solid Tumor", "NSCLC"]
    assert record.central_contacts[0] == Contact(
        "Jingjing Wang, Master", "CONTACT", "021-51320053 ext. 6029", "jingjing.wang@huaota.com"
    )
    assert record.interventions[0].other_names == ["Anti-PD-L1 and anti-TIGIT bifunctional molecule"]
    outcomes = study["protocolSection"]["outcomesModule"]
    kinds = [o.kind for o in record.outcomes]
    assert kinds == sorted(kinds, key=["PRIMARY", "SECONDARY", "OTHER"].index)
    assert kinds.count("OTHER") == len(outcomes["otherOutcomes"]) > 0
    assert record.outcomes[-1].measure == outcomes["otherOutcomes"][-1]["measure"]
    assert_agrees(record, study)


def test_study_with_results_na_phase_grant_and_investigator():
    record = parse("NCT05034276.json")
    study = json.loads(raw("NCT05034276.json"))
    assert record.has_results is True
    assert record.phases == ["NA"]
    assert RegistryId("NIH_GRANT", "R44DA053848") in record.registry_ids
    assert record.responsible_party == ResponsibleParty(
        "PRINCIPAL_INVESTIGATOR", "Eric Garland", "Distinguished Professor", "University of Utah"
    )
    assert record.collaborators == [
        Organization("BehaVR LLC", "INDUSTRY"),
        Organization("National Institute on Drug Abuse (NIDA)", "NIH"),
    ]
    assert (record.eligibility.maximum_age, record.eligibility.max_age_years) == ("75 Years", 75.0)
    assert record.eligibility.inclusion == [
        "Age 18 or older",
        "DSM-5 opioid use disorder diagnosis",
        "treated with medications for opioid use disorder (MOUD)",
    ]
    browse = study["derivedSection"].get("interventionBrowseModule", {})
    assert record.intervention_meshes == [MeshTerm(m["id"], m["term"], False) for m in browse.get("meshes", [])] + [
        MeshTerm(m["id"], m["term"], True) for m in browse.get("ancestors", [])
    ]
    assert_agrees(record, study)


def test_not_applicable_phase_and_missing_official_title():
    record = parse("NCT02782533.json")
    assert (record.phases, record.official_title, record.acronym) == (["NA"], "", "DBS V3")
    assert record.interventions == [Intervention("DEVICE", "Deep Brain Stimulation V3", arm_labels=["DBS V3"])]
    assert record.arm_intervention_links() == {(0, 0)}
    assert record.sites == [
        Site("CLINATEC", "Grenoble", "", "38000", "France", "FR", None, 45.17869, 5.71479),
    ]


def test_pre_2017_responsible_party_and_site_contacts():
    record = parse("NCT00444327.json")
    assert record.responsible_party == ResponsibleParty(None, "Chien-Han Chen", "", "Min-Sheng General Hospital")
    assert record.keywords == ["single nucleotide polymorphism"]
    assert record.eligibility.healthy_volunteers is True
    assert record.eligibility.maximum_age == "1 Minute"
    assert record.eligibility.max_age_years == pytest.approx(1 / (365.25 * 24 * 60))
    assert [(s.status, s.country_code) for s in record.sites] == [("NOT_YET_RECRUITING", "TW"), ("RECRUITING", "TW")]
    assert record.sites[0].contacts == [Contact("Chien-Han Chen, M.D.", "PRINCIPAL_INVESTIGATOR")]
    assert record.central_contacts[0].phone == "886-3-3179599 ext. 2007"
    assert record.start_date == PartialDate(dt.date(2007, 3, 1), "MONTH", None)


@pytest.mark.parametrize("name", SINGLES)
def test_every_fixture_agrees_with_its_source(name):
    assert_agrees(parse(name), json.loads(raw(name)))


def test_unknown_keys_are_ignored():
    def add_keys(study):
        study["protocolSection"]["futureModule"] = {"x": 1}
        study["protocolSection"]["designModule"]["newField"] = [1, 2]

    assert ctgov_json.parse(with_change("NCT02782533.json", add_keys)) == parse("NCT02782533.json")


# --- bad input -------------------------------------------------------------------------------


def test_text_that_is_not_json():
    with pytest.raises(ParseError, match="not valid JSON: Expecting value at line 1 column 1"):
        list(ctgov_json.split(RawSource("notes.json", b"hello world")))
    with pytest.raises(ParseError, match="not valid JSON"):
        ctgov_json.parse(b"hello world")
    with pytest.raises(ParseError, match="empty"):
        list(ctgov_json.split(RawSource("blank.json", b" \n ")))


def test_truncated_json_names_where():
    study = raw("NCT02782533.json")
    with pytest.raises(ParseError, match=r"not valid JSON: .* at line 1 column \d+"):
        list(ctgov_json.split(RawSource("cut.json", study[:-40])))
    with pytest.raises(ParseError, match=r"not valid JSON: .* at line 1 column \d+"):
        ctgov_json.parse(study[:-40])
    listing = raw("studies_list.json")
    with pytest.raises(ParseError, match=r"not valid JSON: .* at line \d{3} column \d+"):
        list(ctgov_json.split(RawSource("cut.json", listing[: len(listing) // 2])))


def test_data_after_a_pretty_printed_value_is_an_error():
    with pytest.raises(ParseError, match="unexpected data after the JSON value at line"):
        list(ctgov_json.split(RawSource("x.json", raw("studies_list.json") + b"\n[]")))


def test_json_that_is_not_a_study():
    with pytest.raises(ParseError, match="expected a study object, a list of studies or an API page, got int"):
        list(ctgov_json.split(RawSource("x.json", b"42")))
    with pytest.raises(ParseError, match="studies: expected a list, got dict"):
        list(ctgov_json.split(RawSource("x.json", b'{"studies": {}}')))
    with pytest.raises(ParseError, match="expected a study object, got list"):
        ctgov_json.parse(raw("studies_list.json"))


def test_study_without_nct_id():
    data = with_change("NCT02782533.json", lambda s: s["protocolSection"]["identificationModule"].pop("nctId"))
    with pytest.raises(ParseError, match=r"protocolSection\.identificationModule\.nctId: missing"):
        ctgov_json.parse(data)
    with pytest.raises(ParseError, match="nctId: missing"):
        ctgov_json.parse(b'{"studies": []}')
    bad_id = with_change("NCT02782533.json", lambda s: s["protocolSection"]["identificationModule"].update(nctId="X1"))
    with pytest.raises(ParseError, match="not an NCT id: 'X1'"):
        ctgov_json.parse(bad_id)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda s: s["protocolSection"]["conditionsModule"].update(conditions="Obesity"),
            "NCT02782533: protocolSection.conditionsModule.conditions: expected a list, got str",
        ),
        (
            lambda s: s["protocolSection"]["designModule"]["enrollmentInfo"].update(count="abc"),
            "NCT02782533: protocolSection.designModule.enrollmentInfo.count: expected an integer, got str",
        ),
        (
            lambda s: s["protocolSection"]["designModule"].update(phases="NA"),
            "NCT02782533: protocolSection.designModule.phases: expected a list, got str",
        ),
        (
            lambda s: s["protocolSection"]["armsInterventionsModule"]["armGroups"][0].update(interventionNames=[1]),
            "protocolSection.armsInterventionsModule.armGroups[0].interventionNames[0]: expected a string, got int",
        ),
        (
            lambda s: s["protocolSection"]["contactsLocationsModule"]["locations"][0].update(geoPoint={"lat": "45"}),
            "protocolSection.contactsLocationsModule.locations[0].geoPoint.lat: expected a number, got str",
        ),
        (
            lambda s: s["protocolSection"]["eligibilityModule"].update(healthyVolunteers="No"),
            "protocolSection.eligibilityModule.healthyVolunteers: expected true or false, got str",
        ),
        (
            lambda s: s["protocolSection"].update(statusModule=[]),
            "protocolSection.statusModule: expected an object, got list",
        ),
        (
            lambda s: s["protocolSection"]["statusModule"]["startDateStruct"].update(date="autumn 2008"),
            "protocolSection.statusModule.startDateStruct.date: not a date: 'autumn 2008'",
        ),
        (
            lambda s: s["protocolSection"]["eligibilityModule"].update(minimumAge="eighteen"),
            "protocolSection.eligibilityModule.minimumAge: not an age: 'eighteen'",
        ),
    ],
)
def test_a_field_of_the_wrong_type_names_its_path(change, message):
    with pytest.raises(ParseError, match=re.escape(message)):
        ctgov_json.parse(with_change("NCT02782533.json", change))


def test_unknown_enum_value_names_path_and_allowed_values():
    data = with_change(
        "NCT02782533.json", lambda s: s["protocolSection"]["statusModule"].update(overallStatus="RECRUTING")
    )
    with pytest.raises(ParseError) as error:
        ctgov_json.parse(data)
    message = str(error.value)
    assert message.startswith("NCT02782533: protocolSection.statusModule.overallStatus: unknown value 'RECRUTING'")
    assert "(allowed: NOT_YET_RECRUITING, RECRUITING, ENROLLING_BY_INVITATION," in message

    data = with_change("NCT02782533.json", lambda s: s["protocolSection"]["designModule"].update(phases=["PHASE5"]))
    with pytest.raises(ParseError, match=re.escape("protocolSection.designModule.phases[0]: unknown value 'PHASE5'")):
        ctgov_json.parse(data)


def test_one_bad_json_line_fails_alone():
    good1, good2 = raw("NCT02782533.json"), raw("NCT00444327.json")
    for lines in ([good1, good1[:500], good2], [good1[:500], good1, good2]):  # a bad line, also as the first
        records = list(ctgov_json.split(RawSource("mixed.ndjson", b"\n".join(lines))))
        assert [r.origin for r in records] == [f"mixed.ndjson:line {n}" for n in (1, 2, 3)]
        outcomes = []
        for record in records:
            try:
                outcomes.append(ctgov_json.parse(record.data).label)
            except ParseError as exc:
                outcomes.append(str(exc))
        bad = lines.index(good1[:500])
        assert re.fullmatch(r"not valid JSON: .* at line 1 column \d+", outcomes[bad])
        assert [o for i, o in enumerate(outcomes) if i != bad] == [
            json.loads(line)["protocolSection"]["identificationModule"]["nctId"]
            for i, line in enumerate(lines)
            if i != bad
        ]


# --- the whole real set ----------------------------------------------------------------------


@pytest.mark.skipif(not API_V2.exists(), reason="shared CT.gov data not on this machine")
def test_every_real_study_parses_and_agrees_with_its_source():
    started = time.monotonic()
    records = list(ctgov_json.split(RawSource("ctgov_api_v2_studies.jsonl", gzip.decompress(API_V2.read_bytes()))))
    assert len(records) == 2610
    for raw_record in records:
        assert_agrees(ctgov_json.parse(raw_record.data), json.loads(raw_record.data))
    assert time.monotonic() - started < 30
