"""ctgov_page: saved classic ClinicalTrials.gov study pages, as text and as HTML.

Fixtures and their provenance (which are real, which reconstructed) are described in
tests/fixtures/ctgov_page/README.md.
"""

import contextlib
import datetime as dt
import time

import pytest

from tests.conftest import FIXTURES
from trials.ingest import wording
from trials.ingest.parsers import ctgov_page
from trials.ingest.parsers.page_text import html_to_text
from trials.ingest.records import (
    Contact,
    Intervention,
    ParseError,
    PartialDate,
    RawSource,
    RegistryId,
    ResponsibleParty,
)

FIXTURE_DIR = FIXTURES / "ctgov_page"
PIPE = "NCT05289856_pipe_tables.txt"
HTML = "NCT05289856_classic.html"
LAYOUT = "NCT05289856_layout_tables.txt"
PRE_2017 = "NCT01006616_pre2017.txt"


def raw(name: str) -> bytes:
    return (FIXTURE_DIR / name).read_bytes()


def day(year, month, day_, type_=None):
    return PartialDate(dt.date(year, month, day_), "DAY", type_)


@pytest.fixture(scope="module")
def seed():
    return ctgov_page.parse(raw(PIPE))


# ---------------------------------------------------------------------------------------------
# The seed: pipe tables, headings lost


def test_seed_ids_and_titles(seed):
    assert seed.registry_ids == [
        RegistryId("NCT", "NCT05289856"),
        RegistryId("ORG_STUDY_ID", "CaboAveNEC"),  # no issuer: the page names no sponsor
        RegistryId("EUDRACT", "2021-000986-34"),
    ]
    assert seed.brief_title == (
        "Cabozantinib in Combination With Avelumab in Patients Refractory to Standard Chemotherapy "
        "With Advanced Neuroendocrine Neoplasias G3 (NEN G3)"
    )
    assert seed.official_title.startswith("A Phase II, Open-label, Multicenter Trial to Investigate")
    assert seed.official_title.endswith("Advanced Neuroendocrine Neoplasias G3 (NEN G3).")
    assert seed.brief_summary == "" and seed.acronym == ""


def test_seed_status_design_and_dates(seed):
    assert seed.overall_status == "RECRUITING"
    assert seed.phases == ["PHASE2"]
    assert (seed.study_type, seed.allocation, seed.intervention_model, seed.masking, seed.primary_purpose) == (
        "INTERVENTIONAL",
        "NA",
        "SINGLE_GROUP",
        "NONE",
        "TREATMENT",
    )
    assert (seed.enrollment_count, seed.enrollment_type) == (30, "ESTIMATED")
    assert seed.start_date == day(2022, 3, 28, "ACTUAL")
    assert seed.primary_completion_date == day(2025, 3, 1, "ESTIMATED")
    assert seed.completion_date == day(2025, 12, 1, "ESTIMATED")
    assert seed.first_posted_date == day(2022, 3, 22)
    assert seed.last_update_date == day(2022, 4, 1)


def test_seed_conditions_keywords_and_mesh(seed):
    assert seed.conditions == ["Cancer"]
    # The keyword row lost its line breaks: split only after a closing bracket.
    assert seed.keywords == ["neuroendocrine neoplasias (NEN)", "NET G3", "NEC G3", "avelumab", "cabozantinib"]
    # The MeSH table's two columns mix condition and intervention terms: not read.
    assert seed.condition_meshes == [] and seed.intervention_meshes == []


def test_seed_arm_and_intervention(seed):
    [arm] = seed.arms
    assert (arm.label, arm.type) == ("combination of Avelumab and Cabozantinib", "EXPERIMENTAL")
    assert arm.description == "800 mg Avelumab every 2 weeks and 40 mg Cabozantinib daily"
    assert arm.intervention_names == ["Drug: combination of Avelumab and Cabozantinib"]
    [drug] = seed.interventions
    assert (drug.type, drug.name, drug.other_names) == ("DRUG", "combination of Avelumab and Cabozantinib", [])
    assert drug.description.startswith("Cabozantinib 40 mg daily PO in combination with Avelumab")
    assert drug.description.endswith("for a maximum of 12 months")
    assert drug.arm_labels == [arm.label]
    assert seed.arm_intervention_links() == {(0, 0)}


def test_seed_outcomes(seed):
    primary, *secondary = seed.outcomes
    assert (primary.kind, primary.measure, primary.time_frame) == (
        "PRIMARY",
        "Disease control rate (DCR: CR, PR, SD)",
        "16 weeks",
    )
    assert primary.description == (
        "Disease control rate (DCR: CR, PR, SD) according to iRECIST after 16 weeks from start of treatment "
        "until documented disease progression (PD)"
    )
    assert len(secondary) == 15 and {o.kind for o in secondary} == {"SECONDARY"}
    assert (secondary[0].time_frame, secondary[-1].measure) == (
        "week 8, week 24, week 48",
        "Evaluation of tumor growth rate (TGR)",
    )


def test_seed_eligibility(seed):
    eligibility = seed.eligibility
    assert (eligibility.sex, eligibility.minimum_age, eligibility.maximum_age) == ("ALL", "18 Years", "")
    assert (eligibility.min_age_years, eligibility.max_age_years, eligibility.healthy_volunteers) == (18.0, None, False)
    assert eligibility.inclusion[0] == "Age ≥ 18 years"
    # "-" alone then the text: a list item that held a nested list; the nesting itself was lost.
    assert "Adequate organ and bone barrow functionn:" in eligibility.inclusion
    assert (
        eligibility.inclusion[-1]
        == "Ability of subject to understand nature, importance and individual consequences of clinical trial."
    )
    assert eligibility.exclusion[0] == "Merkel Cell carcinoma (MCC) or small cell lung cancer (SCLC)"
    assert eligibility.exclusion[-1] == "Patients, who are legally institutionalized."
    assert (len(eligibility.inclusion), len(eligibility.exclusion)) == (17, 29)


def test_seed_contacts_sites_and_people(seed):
    assert seed.central_contacts == [
        Contact("Matthias M Weber, MD", "CONTACT", "00496131 ext 177260", "mmweber@unimedizin-mainz.de"),
        Contact("Christian Fottner, MD", "CONTACT", "00496131 ext 175352", "christian.fottner@unimedizin-mainz.de"),
    ]
    heidelberg, mainz = seed.sites
    assert (
        heidelberg.facility,
        heidelberg.city,
        heidelberg.postal_code,
        heidelberg.country,
        heidelberg.country_code,
    ) == (
        "Nationales Centrum für Tumorerkrankungen, Universitätsklinikum Heidelberg",
        "Heidelberg",
        "69120",
        "Germany",
        "DE",
    )
    assert heidelberg.status == "NOT_YET_RECRUITING"
    assert heidelberg.contacts == [
        Contact(
            "Leonidas A Apostolidis, MD",
            "CONTACT",
            "00496221 ext 56 5982",
            "Leonidas.Apostolidis@med.uni-heidelberg.de",
        ),
        Contact("Christine B Grün, MD", "CONTACT", "00496221 ext 56 5982", "barbara.gruen@med.uni-heidelberg.de"),
    ]
    assert (mainz.city, mainz.postal_code, mainz.status) == ("Mainz", "55131", "RECRUITING")
    assert mainz.facility.startswith("I. Medizinische Klinik und Poliklinik")
    assert [c.name for c in mainz.contacts] == ["Matthias M Weber, MD", "Christian M Fottner, MD"]
    assert mainz.contacts[1].email == "christina.fottner@unimedizin-mainz.de"
    [official] = seed.officials
    assert (official.name, official.role) == ("Matthias M Weber, MD", "PRINCIPAL_INVESTIGATOR")
    assert official.affiliation.startswith("Universitätsmedizin der Johannes Gutenberg-Universität Mainz")
    assert seed.responsible_party == ResponsibleParty(
        None, "Prof. Dr. Matthias M. Weber", "Professor", "Johannes Gutenberg University Mainz"
    )
    assert seed.lead_sponsor is None  # the saved text has no "Sponsor:" section
    assert seed.collaborators == []


def test_seed_cut_in_eligibility_keeps_what_it_holds():
    text = raw(PIPE).decode()
    cut = text[: text.index("- Renal: estimated creatinine clearance")]
    record = ctgov_page.parse(cut.encode())
    assert record.label == "NCT05289856" and record.overall_status == "RECRUITING"
    assert (record.study_type, record.masking, record.enrollment_count) == ("INTERVENTIONAL", "NONE", 30)
    assert len(record.outcomes) == 16 and record.eligibility.sex == "ALL"
    assert record.eligibility.exclusion == [] and record.eligibility.inclusion[0] == "Age ≥ 18 years"
    assert (record.sites, record.central_contacts, record.officials) == ([], [], [])
    assert (record.responsible_party, record.keywords) == (None, [])
    assert [rid.scheme for rid in record.registry_ids] == ["NCT"]


def test_cut_after_any_line_parses():
    lines = raw(PIPE).decode().split("\n")
    for end in range(len(lines)):
        piece = "\n".join(lines[:end]).encode()
        if b"ClinicalTrials.gov Identifier: NCT05289856" in piece:
            assert ctgov_page.parse(piece).label == "NCT05289856"
        else:
            with pytest.raises(ParseError):
                ctgov_page.parse(piece)


def test_cut_inside_a_line_parses_or_names_the_problem():
    data = raw(PIPE)
    for end in range(0, len(data), 61):
        # A value cut part-way may be unreadable ("18 Years and older (Adult, Older Adult").
        with contextlib.suppress(ParseError):
            ctgov_page.parse(data[:end])


# ---------------------------------------------------------------------------------------------
# Other layouts


def test_html_reads_like_the_text():
    record = ctgov_page.parse(raw(HTML))
    seed = ctgov_page.parse(raw(PIPE))
    for field in ("brief_title", "official_title", "overall_status", "phases", "study_type", "allocation", "masking"):
        assert getattr(record, field) == getattr(seed, field), field
    assert (record.start_date, record.completion_date, record.first_posted_date) == (
        seed.start_date,
        seed.completion_date,
        seed.first_posted_date,
    )
    assert record.arms == seed.arms and record.interventions == seed.interventions
    # Headings present: kinds come from them.
    assert [o.kind for o in record.outcomes] == ["PRIMARY", "SECONDARY", "SECONDARY"]
    assert record.outcomes[0] == seed.outcomes[0]
    assert record.keywords == ["neuroendocrine neoplasias (NEN)", "NET G3", "NEC G3", "avelumab", "cabozantinib"]
    assert record.lead_sponsor.name == "Johannes Gutenberg University Mainz"
    assert record.registry_ids[1] == RegistryId("ORG_STUDY_ID", "CaboAveNEC", "Johannes Gutenberg University Mainz")
    assert record.registry_ids[2] == RegistryId("EUDRACT", "2021-000986-34")
    # Nested criteria fold into their parent item.
    assert record.eligibility.inclusion == [
        "Age ≥ 18 years",
        "Adequate organ and bone barrow functionn: Hematologic: absolute neutrophil count (ANC) ≥ 1.5 × 109/L; "
        "Renal: estimated creatinine clearance ≥ 60 mL/min",
        "ECOG Performance Status 0 - 1",
    ]
    assert record.central_contacts == seed.central_contacts
    assert [(s.facility, s.city, s.status) for s in record.sites] == [
        (s.facility, s.city, s.status) for s in seed.sites
    ]
    assert record.sites[0].contacts == seed.sites[0].contacts[:1]
    assert record.officials[0].affiliation == "Universitätsmedizin der Johannes Gutenberg-Universität Mainz"


def test_html_script_in_title_stays_text():
    html = (
        raw(HTML)
        .decode()
        .replace(
            '<h1 class="tr-h1 ct-sans-serif tr-solo_record" style="margin-top:1ex;">Cabozantinib',
            '<h1 class="tr-h1">&lt;script&gt;alert(1)&lt;/script&gt; Cabozantinib',
        )
    )
    assert ctgov_page.parse(html.encode()).brief_title.startswith("<script>alert(1)</script> Cabozantinib")
    text = raw(PIPE).decode().replace("Cabozantinib in Combination", "<script>alert(1)</script> Cabozantinib in", 1)
    assert ctgov_page.parse(text.encode()).brief_title.startswith("<script>alert(1)</script> Cabozantinib in")


def test_layout_table_copy():
    record = ctgov_page.parse(raw(LAYOUT))
    # The top table's cells ran together on one line.
    assert (record.conditions, record.phases) == (["Cancer"], ["PHASE2"])
    assert [(i.type, i.name) for i in record.interventions] == [("DRUG", "combination of Avelumab and Cabozantinib")]
    assert record.arm_intervention_links() == {(0, 0)}
    assert (record.enrollment_count, record.start_date) == (30, day(2022, 3, 28, "ACTUAL"))
    assert [o.kind for o in record.outcomes] == ["PRIMARY", "SECONDARY", "SECONDARY"]
    assert record.eligibility.minimum_age == "18 Years"
    assert (record.eligibility.inclusion, record.eligibility.exclusion) == (
        ["Age ≥ 18 years", "No curative option available"],
        ["Pregnancy or lactation"],
    )
    assert [c.email for c in record.central_contacts] == ["mmweber@unimedizin-mainz.de"]
    assert [(s.city, s.postal_code, s.status) for s in record.sites] == [
        ("Heidelberg", "69120", "NOT_YET_RECRUITING"),
        ("Mainz", "55131", "RECRUITING"),
    ]
    assert record.sites[0].contacts[0].phone == "00496221 ext 56 5982"
    assert [rid.value for rid in record.registry_ids] == ["NCT05289856", "CaboAveNEC", "2021-000986-34"]
    assert record.keywords == ["neuroendocrine neoplasias (NEN)", "NET G3", "avelumab"]
    assert record.lead_sponsor.name == "Johannes Gutenberg University Mainz"


def test_pre_2017_page():
    record = ctgov_page.parse(raw(PRE_2017))
    assert record.label == "NCT01006616"
    assert record.brief_title.startswith("Long-Term Study of the Effects of Navarixin")
    assert record.overall_status == "TERMINATED"  # "This study has been terminated."
    assert record.brief_summary.startswith("Neutrophils are thought to play")
    assert record.brief_summary.endswith("improving airflow.")
    # "First received" / "Last updated" are submission dates, not posting dates: not read as them.
    assert (record.first_posted_date, record.last_update_date) == (None, None)
    assert record.conditions == ["COPD"] and record.phases == ["PHASE2"]
    assert (record.allocation, record.intervention_model, record.masking) == ("RANDOMIZED", "PARALLEL", "DOUBLE")
    assert (record.enrollment_count, record.enrollment_type) == (616, None)
    assert record.start_date == PartialDate(dt.date(2009, 11, 1), "MONTH")
    assert record.primary_completion_date == PartialDate(dt.date(2011, 11, 1), "MONTH")
    assert [o.kind for o in record.outcomes] == ["PRIMARY", "SECONDARY", "SECONDARY"]
    assert record.outcomes[0].time_frame == "Baseline and Week 26" and record.outcomes[0].description == ""
    assert [(a.type, a.label) for a in record.arms] == [
        ("EXPERIMENTAL", "Navarixin 50 mg"),
        ("PLACEBO_COMPARATOR", "Placebo"),
    ]
    assert record.interventions[0] == Intervention(
        "DRUG", "Navarixin", "Navarixin capsules", ["SCH 527123"], ["Navarixin 50 mg"]
    )
    assert record.interventions[2].arm_labels == ["Navarixin 50 mg", "Placebo"]
    eligibility = record.eligibility
    assert (eligibility.sex, eligibility.minimum_age, eligibility.maximum_age) == ("ALL", "41 Years", "75 Years")
    assert (len(eligibility.inclusion), len(eligibility.exclusion)) == (4, 1)
    assert [(s.city, s.state, s.country_code, s.status) for s in record.sites] == [
        ("Miami", "Florida", "US", None),
        ("Berlin", "", "DE", None),
    ]
    assert record.lead_sponsor.name == "Merck Sharp & Dohme Corp."
    assert record.responsible_party == ResponsibleParty("SPONSOR", "Merck Sharp & Dohme Corp.")
    assert record.officials == [Contact("Medical Director", "STUDY_DIRECTOR", affiliation="Merck Sharp & Dohme Corp.")]
    assert record.registry_ids[1:] == [
        RegistryId("ORG_STUDY_ID", "P05575", "Merck Sharp & Dohme Corp."),
        RegistryId("EUDRACT", "2008-003780-38"),
    ]
    assert record.keywords == ["COPD", "CXCR2"]


# ---------------------------------------------------------------------------------------------
# Sniff, split, errors


@pytest.mark.parametrize("name", [PIPE, HTML, LAYOUT, PRE_2017])
def test_sniff_claims_classic_pages(name):
    assert ctgov_page.sniff(raw(name)[: 64 * 1024])


VEEVA = b"""ClinicalTrials.Veeva

Menu

A Phase II Study of QL1706 With Anti-angiogenesis Therapy and Chemotherapy in Extensive-stage Small Cell Lung Cancer.

Status and phase

Not yet enrolling
Phase 2

Identifiers

NCT07083375
NCC5301
"""


@pytest.mark.parametrize(
    "data",
    [
        VEEVA,
        b'{"protocolSection": {"identificationModule": {"nctId": "NCT05289856"}}}',
        b"A note about NCT05289856 and ClinicalTrials.gov in general.",
        b"",
    ],
)
def test_other_text_is_not_a_page(data):
    assert not ctgov_page.sniff(data)
    with pytest.raises(ParseError):
        ctgov_page.parse(data)


def test_split_yields_the_page_unchanged():
    source = RawSource("saved/NCT05289856.txt", raw(PIPE))
    assert list(ctgov_page.split(source)) == [source]


def test_format_and_version():
    assert ctgov_page.FORMAT == "ctgov_page" and ctgov_page.VERSION == "2"


def test_html_to_text_drops_indentation_before_a_rows_first_cell():
    assert html_to_text("<table><tr>\n  <td>a</td> <td>b</td></tr></table>") == "a | b |"


def test_wordings_the_page_uses():
    assert wording.overall_status("This study is ongoing, but not recruiting participants.") == "ACTIVE_NOT_RECRUITING"
    assert wording.overall_status("This study is not yet open for participant recruitment.") == "NOT_YET_RECRUITING"
    assert wording.sex("Both") == "ALL"


def test_hostile_input_is_bounded():
    lines = ["ClinicalTrials.gov Identifier: NCT05289856 |", "Condition or disease | Intervention/treatment | Phase |"]
    lines += ["Drug: " + "Phase 1 " * 2000 + "x" * 5000 + " [ Time Frame: " + "(" * 3000]
    lines += ["Contact: " + "1 " * 20000, "Other Study ID Numbers: | " + "( a ) " * 5000 + "|"]
    started = time.monotonic()
    ctgov_page.parse("\n".join(lines * 20).encode())
    assert time.monotonic() - started < 5
