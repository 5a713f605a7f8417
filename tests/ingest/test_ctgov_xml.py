"""ctgov_xml: CT.gov legacy ``<clinical_study>`` XML, on real files saved under tests/fixtures/ctgov_legacy_xml/.

Each fixture is one file of the shared legacy XML set, byte for byte, chosen for its version and what
it shows: NCT01101477 (2013 download: free-text <study_design>, firstreceived/lastchanged dates,
<clinical_results>), NCT00501813 and NCT00500331 (2017 TREC corpus: old responsible party, contacts
and backups, masking written as a list of roles, 136 sites), NCT03840122 (2019 AACT fixture),
NCT02513394 (2020: 233 sites, a EudraCT secondary id), NCT05380739 (2023), NCT00000246 (nct_alias),
NCT00004296 (observational; <source> differs from the lead sponsor) and NCT00499317 (also in the
shared API v2 set).
"""

import collections
import datetime as dt
import gzip
import json
import tarfile
import time

import pytest

from tests.conftest import FIXTURES, SHARED_DATA
from trials.ingest import wording
from trials.ingest.normalize import std_age_groups
from trials.ingest.parsers import ctgov_json, ctgov_xml
from trials.ingest.records import (
    Arm,
    Contact,
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
)

FIXTURE_DIR = FIXTURES / "ctgov_legacy_xml"
LEGACY_XML = SHARED_DATA / "ctgov" / "ctgov_legacy_xml.tar.gz"
API_V2 = SHARED_DATA / "ctgov" / "ctgov_api_v2_studies.jsonl.gz"
FIXTURE_NAMES = sorted(path.name for path in FIXTURE_DIR.glob("NCT*.xml"))


def raw(name: str) -> bytes:
    return (FIXTURE_DIR / f"{name}.xml").read_bytes()


def parse(name: str):
    return ctgov_xml.parse(raw(name))


def day(text: str, type=None) -> PartialDate:
    return PartialDate(dt.date.fromisoformat(text), "DAY", type)


def month(year: int, number: int, type=None) -> PartialDate:
    return PartialDate(dt.date(year, number, 1), "MONTH", type)


# ---------------------------------------------------------------------------------------------
# Protocol


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_every_fixture_sniffs_splits_to_itself_and_parses(name):
    data = (FIXTURE_DIR / name).read_bytes()
    assert ctgov_xml.sniff(data[:2048])
    source = RawSource(name, data)
    assert list(ctgov_xml.split(source)) == [source]
    record = ctgov_xml.parse(data)
    assert record.label == name.removesuffix(".xml")


def test_sniff_refuses_other_formats():
    assert not ctgov_xml.sniff(b'{"protocolSection": {}}')
    assert not ctgov_xml.sniff(b"NCT Number,Study Title\n")
    assert not ctgov_xml.sniff(b"<html><body>clinical_study</body></html>")
    assert ctgov_xml.sniff(b'\xef\xbb\xbf<?xml version="1.0"?>\n<clinical_study rank="1">')


def test_split_of_an_empty_file_raises():
    with pytest.raises(ParseError, match="empty"):
        list(ctgov_xml.split(RawSource("empty.xml", b"  \n")))


# ---------------------------------------------------------------------------------------------
# Fields, read off the files


def test_2013_record_with_free_text_study_design_and_results():
    record = parse("NCT01101477")
    assert record.registry_ids == [
        RegistryId("NCT", "NCT01101477"),
        RegistryId("ORG_STUDY_ID", "98-3441A3", "Chang Gung Memorial Hospital"),
    ]
    assert record.brief_title == "Target-Controlled Infusion of Propofol for Flexible Bronchoscopy Sedation"
    assert record.overall_status == "TERMINATED"
    assert record.why_stopped == (
        "Hypoxemia(SPaO2<80%) episodes occured significantly in the arm titration by 0.5ug/ml"
    )
    assert record.phases == ["NA"]
    assert record.study_type == "INTERVENTIONAL"
    # "Allocation:  Randomized, Endpoint Classification:  Safety/Efficacy Study, Intervention Model:
    # Parallel Assignment, Masking:  Double Blind (Subject, Caregiver), Primary Purpose:  Treatment"
    assert (record.allocation, record.intervention_model, record.masking, record.primary_purpose) == (
        "RANDOMIZED",
        "PARALLEL",
        "DOUBLE",
        "TREATMENT",
    )
    assert record.start_date == month(2010, 2)
    assert record.completion_date == month(2010, 8, "ACTUAL")
    assert record.first_posted_date == day("2010-04-07")  # <firstreceived_date>April 7, 2010
    assert record.last_update_date == day("2011-11-05")  # <lastchanged_date>November 5, 2011
    assert (record.enrollment_count, record.enrollment_type) == (144, "ACTUAL")
    assert record.has_results is True
    assert record.responsible_party == ResponsibleParty(
        "PRINCIPAL_INVESTIGATOR",
        "林定佑",
        "Attending physician, Lecture of Medicine, Division of Thoracic Medicine",
        "Chang Gung Memorial Hospital",
    )
    assert record.keywords == ["Target-controlled infusion,", "bronchoscopy,", "sedation,", "propofol"]
    assert record.intervention_meshes == [MeshTerm("", "Propofol")]
    assert record.outcomes[0] == Outcome(
        "PRIMARY",
        "The Number of Patients With Hypoxemia During Flexible Bronchoscopy",
        "Hypoxemia is defined as:\nOxyhemoglobin saturation (SPO2) is less than 90 % with any duration",
        "During sedative induction and bronchoscopy",
    )
    assert [o.kind for o in record.outcomes] == ["PRIMARY"] * 2 + ["SECONDARY"] * 4
    assert [a.label for a in record.arms] == [
        "Titration by target effect site concentration (Cet) 0.5μg/ml",
        "Titration by Cet 0.2μg/ml",
        "Titration by Cet 0.1μg/ml",
    ]
    assert record.interventions[0].arm_labels == [a.label for a in record.arms]
    assert record.arm_intervention_links() == {(0, 0), (1, 0), (2, 0)}
    eligibility = record.eligibility
    assert eligibility.sex == "ALL"  # <gender>Both</gender>
    assert (eligibility.minimum_age, eligibility.maximum_age) == ("18 Years", "95 Years")
    assert (eligibility.min_age_years, eligibility.max_age_years) == (18.0, 95.0)
    assert eligibility.std_ages == ["ADULT", "OLDER_ADULT"]
    assert eligibility.healthy_volunteers is False
    assert eligibility.inclusion == [
        "Adult patients (18 years old or more) required elective flexible bronchoscopy and sedation."
    ]
    assert eligibility.exclusion[1:3] == [
        "Mallampati score 4 or 5.",
        "Significant Central nervous system disorders or other factors contributing to access consciousness "
        "difficultly.",
    ]
    assert len(eligibility.exclusion) == 5
    assert record.officials == [
        Contact(
            "Ting-Yu Lin, MD",
            "PRINCIPAL_INVESTIGATOR",
            affiliation="Department of Thoracic Medicine, Chang Gung Memorial hospital",
        )
    ]
    assert record.sites == [
        Site(
            facility="Department of Thoracic Medicine, Chang Gung Memorial Hospital",
            city="Taoyuan",
            postal_code="33305",
            country="Taiwan",
            country_code="TW",
        )
    ]


def test_textblocks_keep_paragraphs_without_the_xml_indentation():
    record = parse("NCT01101477")
    assert record.brief_summary.startswith(
        "Flexible bronchoscopy (FB) sedation requires keeping sedative level in a narrow window to\n"
        "prevent over or under sedation."
    )
    paragraphs = record.detailed_description.split("\n\n")
    assert len(paragraphs) == 3
    assert paragraphs[1].startswith('A model called "Target-controlled infusion"(TCI), built from massive')
    assert record.eligibility.criteria.startswith("Inclusion Criteria:\n\n  -  Adult patients (18 years old")
    # Carriage returns written as &#xD; are line ends, not text.
    assert "\r" not in parse("NCT00004296").detailed_description


def test_2017_record_with_old_responsible_party_contacts_and_backups():
    record = parse("NCT00501813")
    assert record.acronym == "MDTforHCC"
    assert record.overall_status == "UNKNOWN"
    assert record.phases == ["PHASE3"]
    assert record.completion_date == month(2010, 7, "ESTIMATED")  # type="Anticipated"
    assert (record.enrollment_count, record.enrollment_type) == (160, "ESTIMATED")
    assert record.first_posted_date == day("2007-07-13")
    assert record.last_update_date == day("2010-07-29")
    assert record.responsible_party == ResponsibleParty(
        None,
        "Cancer Center, Sun Yat-sen University",
        affiliation="Cancer Center, Sun Yat-sen University",
    )
    assert record.central_contacts == [
        Contact("shi ming, MD", "CONTACT", "86-2087343582 ext. 86-2087343582", "shiming@mail.sysu.edu.cn"),
        Contact("Min-Shan Chen, MD", "CONTACT", "86-2087343117 ext. 86-2087343117", "Chminsh@mail.sysu.edu.cn"),
    ]
    assert [(o.name, o.role) for o in record.officials] == [
        ("Jin-Qing Li, MD", "PRINCIPAL_INVESTIGATOR"),
        ("Rong-Ping Guo, MD", "STUDY_DIRECTOR"),
    ]
    (site,) = record.sites
    assert (site.facility, site.city, site.state, site.postal_code, site.country_code, site.status) == (
        "Department of Hepatobilliary Surgery, Cancer Center, Sun Yat-sen University,",
        "Guangzhou",
        "Guangdong",
        "86-20",
        "CN",
        "RECRUITING",
    )
    assert [(c.name, c.role) for c in site.contacts] == [
        ("ming shi, MD", "CONTACT"),  # <contact>
        ("Min-Shan Chen, MD", "CONTACT"),  # <contact_backup>
        ("Rong-Ping Guo, MD", "PRINCIPAL_INVESTIGATOR"),  # <investigator>
    ]
    assert record.interventions[1] == Intervention(
        "PROCEDURE",
        "TACE combined with local regional therapies without hepatectomy",
        "TACE combined with RFA, MCT, PEI, and so on.",
        ["TACE combined with local regional treatment without hepatectomy"],
        ["no surgery"],
    )
    assert record.arms[0] == Arm(
        "surgery",
        "ACTIVE_COMPARATOR",
        "initial palliative hepatectomy followed by TACE and/or local regional treatment",
    )
    assert record.condition_meshes == [MeshTerm("", "Carcinoma"), MeshTerm("", "Carcinoma, Hepatocellular")]
    assert record.collaborators == [Organization("Ministry of Health, China", "OTHER")]
    assert record.has_results is False


def test_masking_written_as_the_masked_roles_and_many_sites():
    record = parse("NCT00500331")
    assert record.masking == "DOUBLE"  # <masking>Participant, Investigator</masking>
    assert record.lead_sponsor == Organization("GlaxoSmithKline", "INDUSTRY")
    assert record.brief_summary == (
        "This is a dose-ranging study that will evaluate the efficacy, safety and tolerability of a\n"
        "range of doses of investigational product and pioglitazone, compared to placebo,\n"
        "administered as monotherapy over 12 weeks in treatment naive patients with T2DM"
    )
    assert len(record.sites) == 136
    assert record.sites[0] == Site(
        facility="GSK Investigational Site",
        city="Mesa",
        state="Arizona",
        postal_code="85206",
        country="United States",
        country_code="US",
    )
    assert {"AR", "BG", "CL", "CR", "CZ", "DE", "HU", "IN", "LV", "LT", "MX", "NZ"} <= {
        s.country_code for s in record.sites
    }
    assert [s.country for s in record.sites if not s.country_code] == []
    assert record.responsible_party == ResponsibleParty("SPONSOR")
    assert record.first_posted_date == day("2007-01-24")


def test_2019_aact_record_with_anticipated_dates():
    record = parse("NCT03840122")
    assert record.overall_status == "NOT_YET_RECRUITING"
    assert record.start_date == month(2019, 5, "ESTIMATED")
    assert record.primary_completion_date == month(2019, 12, "ESTIMATED")
    assert record.first_posted_date == day("2019-02-15", "ACTUAL")
    assert record.last_update_date == day("2019-04-17", "ESTIMATED")
    assert (record.allocation, record.intervention_model, record.masking, record.primary_purpose) == (
        "RANDOMIZED",
        "PARALLEL",
        "SINGLE",
        "BASIC_SCIENCE",
    )
    assert len([o for o in record.outcomes if o.kind == "PRIMARY"]) == 10
    assert record.central_contacts == [
        Contact("Langan S Smith, BS", "CONTACT", "5025878222 ext. 753", "langanssmith@kentuckyonehealth.org")
    ]
    assert record.sites[0].status == "ENROLLING_BY_INVITATION"
    eligibility = record.eligibility
    assert (eligibility.minimum_age, eligibility.maximum_age) == ("21 Years", "")  # maximum N/A
    assert (eligibility.min_age_years, eligibility.max_age_years) == (21.0, None)
    assert eligibility.std_ages == ["ADULT", "OLDER_ADULT"]
    assert eligibility.inclusion[0] == "Patient is over the age of 21"
    assert eligibility.exclusion[-1] == "Patient is unable to read and speak English"
    assert record.intervention_meshes == [MeshTerm("", "Anesthetics"), MeshTerm("", "Anesthetics, Local")]


def test_2020_record_with_eudract_id_and_233_sites():
    record = parse("NCT02513394")
    assert record.registry_ids == [
        RegistryId("NCT", "NCT02513394"),
        RegistryId("ORG_STUDY_ID", "AFT-05", "Alliance Foundation Trials, LLC."),
        RegistryId("OTHER", "ABCSG 42"),
        RegistryId("OTHER", "BIG 14-03"),
        RegistryId("EUDRACT", "2014-005181-30"),
    ]
    assert record.acronym == "PALLAS"
    assert record.collaborators[0] == Organization("Austrian Breast & Colorectal Cancer Study Group", "OTHER")
    assert record.collaborators[-1] == Organization("Pfizer", "INDUSTRY")
    assert record.brief_summary.startswith(
        "This is a prospective, two arm, international, multicenter, randomized, open-label Phase III\n"
    )
    assert record.brief_summary.endswith("genomically defined tumor subgroups, is planned.")
    assert record.brief_summary.count("\n\n") == 1
    assert record.overall_status == "ACTIVE_NOT_RECRUITING"
    assert record.start_date == month(2015, 8)
    assert len(record.sites) == 233
    assert record.sites[1] == Site(
        facility="Southern Cancer Center",
        city="Mobile",
        state="Alabama",
        postal_code="36608",
        country="United States",
        country_code="US",
    )
    assert record.officials[:2] == [
        Contact("Monica Bertagnolli, MD", "PRINCIPAL_INVESTIGATOR", affiliation="Alliance Foundation Trials, LLC."),
        Contact("Erica Mayer, MD", "PRINCIPAL_INVESTIGATOR", affiliation="Dana-Farber Cancer Institute"),
    ]
    assert record.eligibility.std_ages == ["ADULT", "OLDER_ADULT"]


def test_2023_record():
    record = parse("NCT05380739")
    assert record.acronym == "WMTrain"
    assert record.official_title == "Working Memory Training and Neural Plasticity in Mild Cognitive Impairment"
    assert record.start_date == day("2022-04-07", "ACTUAL")
    assert record.completion_date == day("2023-09-01", "ESTIMATED")
    assert record.allocation == "NON_RANDOMIZED"
    assert (record.enrollment_count, record.enrollment_type) == (30, "ESTIMATED")
    assert [a.label for a in record.arms] == ["In-Person, MCI", "Online, MCI", "Online, Healthy"]
    assert record.interventions == [
        Intervention(
            "BEHAVIORAL",
            "Working Memory Training",
            "A 10-session working memory (WM) training program",
            arm_labels=["In-Person, MCI", "Online, Healthy", "Online, MCI"],
        )
    ]
    assert record.arm_intervention_links() == {(0, 0), (1, 0), (2, 0)}
    assert [c.name for c in record.central_contacts] == ["Alexandru Iordan, Ph.D", "Lauren Antonucci"]
    assert record.eligibility.std_ages == ["ADULT", "OLDER_ADULT"]  # 60 Years and older
    assert record.first_posted_date == day("2022-05-19", "ACTUAL")
    assert record.last_update_date == day("2023-02-01", "ACTUAL")
    assert record.keywords == ["Working Memory", "Training", "fMRI"]


def test_nct_alias_is_kept_after_the_study_own_id():
    record = parse("NCT00000246")
    assert record.registry_ids == [
        RegistryId("NCT", "NCT00000246"),
        RegistryId("ORG_STUDY_ID", "NIDA-08265-1", "Yale University"),
        RegistryId("OTHER", "R01DA008265"),
        RegistryId("OTHER", "R01-08265-1"),
        RegistryId("NCT", "NCT00000247"),  # <nct_alias>
    ]
    assert record.label == "NCT00000246"
    eligibility = record.eligibility
    assert (eligibility.minimum_age, eligibility.maximum_age, eligibility.min_age_years) == ("", "", None)
    assert eligibility.std_ages == ["CHILD", "ADULT", "OLDER_ADULT"]  # no limits either way
    assert eligibility.inclusion == eligibility.exclusion == []
    assert record.outcomes == [Outcome("PRIMARY", "Benzodiazepine withdrawal severity")]


def test_org_study_id_is_issued_by_the_source_not_the_lead_sponsor():
    record = parse("NCT00004296")
    assert record.lead_sponsor == Organization("National Center for Research Resources (NCRR)", "NIH")
    assert record.registry_ids[1] == RegistryId("ORG_STUDY_ID", "199/11731", "Office of Rare Diseases (ORD)")
    assert record.study_type == "OBSERVATIONAL"
    assert record.phases == []
    assert (record.enrollment_count, record.enrollment_type) == (1000, None)  # <enrollment>1000</enrollment>
    assert record.start_date == month(1995, 9)
    assert record.first_posted_date == day("1999-10-19", "ESTIMATED")
    assert record.sites == []
    assert record.eligibility.std_ages == ["CHILD", "ADULT", "OLDER_ADULT"]  # 10 Years and older


def test_std_ages_follow_ctgov_bands():
    assert std_age_groups(None, 17.0) == ["CHILD"]
    assert std_age_groups(18.0, 64.0) == ["ADULT"]
    assert std_age_groups(18.0, 65.0) == ["ADULT", "OLDER_ADULT"]
    assert std_age_groups(65.0, None) == ["OLDER_ADULT"]


# ---------------------------------------------------------------------------------------------
# Wordings added to wording.py for this format


def test_masking_as_a_list_of_masked_roles():
    assert wording.masking("Participant, Investigator") == "DOUBLE"
    assert wording.masking("Participant, Investigator, Outcomes Assessor") == "TRIPLE"
    assert wording.masking("Participant, Care Provider, Investigator, Outcomes Assessor") == "QUADRUPLE"
    with pytest.raises(ParseError):
        wording.masking("Participant, Participant")


def test_status_aliases_are_plain_values():
    assert type(wording.overall_status("Unknown status")) is str


# ---------------------------------------------------------------------------------------------
# Refused input


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE clinical_study [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<clinical_study><id_info><nct_id>NCT00000001</nct_id></id_info><brief_title>&xxe;</brief_title></clinical_study>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<clinical_study><id_info><nct_id>NCT00000001</nct_id></id_info><brief_title>&lol9;</brief_title></clinical_study>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE clinical_study SYSTEM "http://example.invalid/evil.dtd">
<clinical_study><id_info><nct_id>NCT00000001</nct_id></id_info></clinical_study>"""


@pytest.mark.parametrize("data", [XXE, BILLION_LAUGHS, EXTERNAL_DTD], ids=["xxe", "billion-laughs", "external-dtd"])
def test_document_type_declarations_are_refused(data):
    with pytest.raises(ParseError, match="refused: the document has a DOCTYPE declaration"):
        ctgov_xml.parse(data)


def test_truncated_file_names_line_and_column():
    data = raw("NCT00000246")
    with pytest.raises(ParseError, match=r"not valid XML: no element found at line 54 column 3$"):
        ctgov_xml.parse(data[: data.index(b"<eligibility>")])


def test_mismatched_tag_names_line_and_column():
    data = raw("NCT00000246").replace(b"</brief_title>", b"</brief_titl>", 1)
    with pytest.raises(ParseError, match=r"not valid XML: mismatched tag at line 16 column 74$"):
        ctgov_xml.parse(data)


def test_undeclared_entity_is_an_error_not_text():
    data = raw("NCT00000246").replace(b"Flumazenil - 1", b"&xxe;", 1)
    with pytest.raises(ParseError, match="not valid XML: undefined entity"):
        ctgov_xml.parse(data)


@pytest.mark.parametrize("data", [b"", b"   \n", b"\xef\xbb\xbf"])
def test_empty_file(data):
    with pytest.raises(ParseError, match="empty: no XML in this file"):
        ctgov_xml.parse(data)


def test_wrong_root():
    with pytest.raises(ParseError, match="expected a <clinical_study> document, got <clinical_studies>"):
        ctgov_xml.parse(b"<clinical_studies><clinical_study/></clinical_studies>")


def test_missing_or_malformed_nct_id():
    with pytest.raises(ParseError, match="nct_id: missing"):
        ctgov_xml.parse(raw("NCT00000246").replace(b"<nct_id>NCT00000246</nct_id>", b""))
    with pytest.raises(ParseError, match="not an NCT id: 'NCT123'"):
        ctgov_xml.parse(raw("NCT00000246").replace(b"<nct_id>NCT00000246</nct_id>", b"<nct_id>NCT123</nct_id>"))


def test_unknown_wording_names_study_and_element():
    data = raw("NCT00000246").replace(b"<phase>Phase 2</phase>", b"<phase>Stage Two</phase>")
    with pytest.raises(ParseError, match=r"^NCT00000246: clinical_study/phase: unknown phase 'Stage Two'"):
        ctgov_xml.parse(data)
    data = raw("NCT00000246").replace(b'<enrollment type="Actual">10<', b'<enrollment type="Actual">ten<')
    with pytest.raises(ParseError, match="clinical_study/enrollment: not a count: 'ten'"):
        ctgov_xml.parse(data)


def test_adversarial_study_design_text_parses_in_bounded_time():
    design = b"Allocation: " + b", Masking " * 50_000 + b", Masking: Double"
    data = raw("NCT00000246").replace(
        b"<study_design_info>\n    <primary_purpose>Treatment</primary_purpose>\n  </study_design_info>",
        b"<study_design>" + design + b"</study_design>",
    )
    started = time.perf_counter()
    with pytest.raises(ParseError, match="unknown allocation"):
        ctgov_xml.parse(data)
    assert time.perf_counter() - started < 2


# ---------------------------------------------------------------------------------------------
# The shared data


def _shared_studies():
    with tarfile.open(LEGACY_XML) as archive:
        for member in archive:
            if member.isfile() and member.name.endswith(".xml"):
                yield member.name, archive.extractfile(member).read()


@pytest.mark.skipif(not LEGACY_XML.exists(), reason="shared CT.gov data not on this machine")
def test_every_shared_legacy_study_parses_with_the_documented_totals():
    """SOURCES.md section 2 counts these 7,063 files; the records must carry the same facts."""
    errors, records = [], []
    for name, data in _shared_studies():
        try:
            records.append(ctgov_xml.parse(data))
        except ParseError as exc:
            errors.append(f"{name}: {exc}")
    assert errors == []
    assert len(records) == 7063
    assert len({r.label for r in records}) == 7063
    assert sum(len(r.sites) for r in records) == 80492
    assert sum(1 for r in records if r.sites) == 5913
    phases = collections.Counter("/".join(r.phases) for r in records)
    assert phases == {
        "PHASE2": 1967,
        "": 1447,
        "PHASE3": 1152,
        "PHASE1": 1104,
        "NA": 853,
        "PHASE4": 252,
        "PHASE1/PHASE2": 232,
        "PHASE2/PHASE3": 52,
        "EARLY_PHASE1": 4,
    }
    assert collections.Counter(r.study_type for r in records) == {
        "INTERVENTIONAL": 5584,
        "OBSERVATIONAL": 1466 + 5,  # "Observational [Patient Registry]" is observational
        "EXPANDED_ACCESS": 7,
        None: 1,  # "N/A"
    }
    statuses = collections.Counter(r.overall_status for r in records)
    assert (statuses["COMPLETED"], statuses["UNKNOWN"], statuses["TERMINATED"], statuses["WITHHELD"]) == (
        5838,
        490,
        401,
        1,
    )
    intervention_types = collections.Counter(i.type for r in records for i in r.interventions)
    assert intervention_types == {
        "DRUG": 9676,
        "PROCEDURE": 1501,
        "BIOLOGICAL": 1420,
        "RADIATION": 659,
        "BEHAVIORAL": 433,
        "OTHER": 344,
        "DEVICE": 207,
        "GENETIC": 80,
        "DIETARY_SUPPLEMENT": 72,
        "DIAGNOSTIC_TEST": 7,
    }
    assert sum(1 for r in records if r.interventions) == 5790
    assert sum(1 for r in records if r.arms) == 1962
    assert sum(1 for r in records if any(o.kind == "PRIMARY" for o in r.outcomes)) == 2438
    assert sum(1 for r in records if r.has_results) == 499
    assert [s.country for r in records for s in r.sites if s.country and not s.country_code] == []


@pytest.mark.skipif(not (LEGACY_XML.exists() and API_V2.exists()), reason="shared CT.gov data not on this machine")
def test_studies_in_both_sets_agree_with_the_api_v2_parser():
    """14 studies are in both shared sets; the XML is from 2017-2023, the JSON from 2023-2026, so only
    facts that did not change in between are compared (all 14 agree on each of these)."""
    legacy = {name.rsplit("/", 1)[-1].removesuffix(".xml"): data for name, data in _shared_studies()}
    compared = 0
    with gzip.open(API_V2, "rb") as lines:
        for line in lines:
            nct_id = json.loads(line)["protocolSection"]["identificationModule"]["nctId"]
            if nct_id not in legacy:
                continue
            xml, api = ctgov_xml.parse(legacy[nct_id]), ctgov_json.parse(line)
            compared += 1
            assert [(r.scheme, r.value) for r in xml.registry_ids] == [
                (r.scheme, r.value) for r in api.registry_ids
            ] or xml.registry_ids[:2] == api.registry_ids[:2], nct_id
            for field in (
                "brief_title",
                "official_title",
                "acronym",
                "conditions",
                "keywords",
                "phases",
                "study_type",
                "overall_status",
                "intervention_model",
                "masking",
                "primary_purpose",
                "enrollment_count",
                "enrollment_type",
                "start_date",
                "completion_date",
                "first_posted_date",
                "lead_sponsor",
                "responsible_party",
            ):
                assert getattr(xml, field) == getattr(api, field), (nct_id, field)
            assert xml.eligibility.sex == api.eligibility.sex, nct_id
            assert xml.eligibility.minimum_age == api.eligibility.minimum_age, nct_id
            assert xml.eligibility.std_ages == api.eligibility.std_ages, nct_id
            assert [a.label for a in xml.arms] == [a.label for a in api.arms], nct_id
            assert [(i.type, i.name) for i in xml.interventions] == [(i.type, i.name) for i in api.interventions]
    assert compared == 14
