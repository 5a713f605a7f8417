"""The ClinicalTrials.Veeva page parser on saved pages (tests/fixtures/veeva_page/).

``001_6d5f8ce496a4989a.txt`` is a real saved text page. The other fixtures are reconstructed
from it (no other real Veeva page was available): ``001_reconstructed.html`` renders the same
study as HTML, ``001_cut_in_exclusion.txt`` is the real page cut off inside the exclusion
criteria, ``reconstructed_sites_and_arms.txt`` follows the real page's shape with several
arms, treatment types, sites and contacts.
"""

from pathlib import Path

import pytest

from trials.ingest import wording
from trials.ingest.parsers import veeva_page
from trials.ingest.parsers.veeva_sections import typed_names
from trials.ingest.records import RawSource

FIXTURES = Path(__file__).parent.parent / "fixtures" / "veeva_page"
SEED = FIXTURES / "001_6d5f8ce496a4989a.txt"
# The classic CT.gov seed (../shared/seeds/002_*.txt), byte for byte.
CTGOV_CLASSIC_PAGE = Path(__file__).resolve().parents[1] / "fixtures" / "ctgov_page" / "NCT05289856_pipe_tables.txt"


def parse(name):
    return veeva_page.parse((FIXTURES / name).read_bytes())


def assert_seed_study(record):
    assert [(rid.scheme, rid.value) for rid in record.registry_ids] == [("NCT", "NCT07083375"), ("OTHER", "NCC5301")]
    assert record.brief_title == (
        "A Phase II Study of QL1706 With Anti-angiogenesis Therapy and Chemotherapy in "
        "Extensive-stage Small Cell Lung Cancer."
    )
    assert record.overall_status == "NOT_YET_RECRUITING"
    assert record.phases == ["PHASE2"]
    assert record.study_type == "INTERVENTIONAL"
    assert record.conditions == ["Extensive Small Cell Lung Cancer"]
    assert [(iv.type, iv.name) for iv in record.interventions] == [
        ("DRUG", "QL1706"),
        ("DRUG", "bevacizumab"),
        ("DRUG", "etoposide"),
        ("DRUG", "cisplatin or carboplatin"),
    ]
    assert (record.enrollment_count, record.enrollment_type) == (56, "ESTIMATED")
    assert (record.primary_purpose, record.allocation, record.intervention_model, record.masking) == (
        "TREATMENT",
        "NA",
        "SINGLE_GROUP",
        "NONE",
    )
    assert (record.lead_sponsor.name, record.lead_sponsor.agency_class) == ("Zhijie Wang", "OTHER")
    assert record.brief_summary.startswith("This single-arm, open-label, Phase II study assesses first-line QL1706")
    assert record.brief_summary.endswith("At least one measurable lesion per RECIST v1.1")
    assert record.detailed_description.startswith("Small cell lung cancer (SCLC) is a highly aggressive malignancy")
    assert record.detailed_description.endswith("overcome the current survival limitations in ES-SCLC.")
    assert record.detailed_description.count("\n\n") == 4  # five paragraphs

    eligibility = record.eligibility
    assert (eligibility.sex, eligibility.minimum_age, eligibility.maximum_age) == ("ALL", "18 Years", "")
    assert (eligibility.min_age_years, eligibility.max_age_years) == (18.0, None)
    assert eligibility.healthy_volunteers is False
    assert len(eligibility.inclusion) == 9
    assert (
        eligibility.inclusion[0] == "Signed written informed consent and willingness to comply with study procedures."
    )
    assert eligibility.inclusion[8].startswith("Adequate organ function as defined below: Absolute neutrophil count")
    assert eligibility.inclusion[8].endswith("TSH, FT3, FT4 within ±10% of normal limits")
    assert eligibility.inclusion[8].count(";") == 6  # the seven bullets folded into item 9
    assert len(eligibility.exclusion) == 21
    assert eligibility.exclusion[-1].startswith("Any other condition deemed unsuitable")

    [arm] = record.arms
    assert (arm.label, arm.type) == ("combined treatment group", "EXPERIMENTAL")
    assert arm.description.startswith("This study investigates a novel four-drug first-line treatment")
    assert arm.description.endswith("No prior studies have evaluated this specific combination in ES-SCLC.")
    assert record.arm_intervention_links() == {(0, 0), (0, 1), (0, 2), (0, 3)}

    assert [(c.name, c.role, c.phone, c.email) for c in record.central_contacts] == [
        ("Zhijie Wang, MD", "CONTACT", "", "")
    ]
    assert record.sites == []  # the saved page says "Loading..."
    assert record.officials == [] and record.outcomes == [] and record.start_date is None


def test_seed_text_page():
    assert_seed_study(veeva_page.parse(SEED.read_bytes()))


def test_reconstructed_html_page_reads_as_the_text_page():
    record = parse("001_reconstructed.html")
    assert_seed_study(record)
    from_html, from_text = record.snapshot(), veeva_page.parse(SEED.read_bytes()).snapshot()
    # Only the criteria text differs: HTML lists come out as "- " bullets, the saved text numbers them.
    assert from_html["eligibility"].pop("criteria").startswith("Inclusion Criteria:\n\nParticipants must meet")
    from_text["eligibility"].pop("criteria")
    assert from_html == from_text


def test_page_cut_off_in_the_exclusion_criteria_gives_what_it_holds():
    record = parse("001_cut_in_exclusion.txt")
    assert record.brief_title.startswith("A Phase II Study of QL1706")
    assert record.overall_status == "NOT_YET_RECRUITING"
    assert len(record.eligibility.inclusion) == 9
    # The page ends without its footer, so its last line may be cut ("... active pulm"): it is
    # left out rather than kept as a criterion the page does not state; nothing after it is made up.
    assert len(record.eligibility.exclusion) == 4
    assert record.eligibility.exclusion[-1].startswith("Active or suspected autoimmune disease")
    assert record.arms == [] and record.central_contacts == [] and record.sites == []
    assert (record.primary_purpose, record.allocation, record.intervention_model, record.masking) == (None,) * 4
    assert len(record.interventions) == 4  # listed under "Treatments", above the cut
    assert record.arm_intervention_links() == set()


def test_sites_contacts_and_several_arms():
    record = parse("reconstructed_sites_and_arms.txt")
    assert record.brief_title == (
        "Pembrolizumab Plus Chemotherapy Versus Chemotherapy in Resected <script>alert(1)</script> Gastric Cancer"
    )
    assert (record.lead_sponsor.name, record.lead_sponsor.agency_class) == ("Merck Sharp & Dohme LLC", "INDUSTRY")
    assert record.overall_status == "RECRUITING"
    assert record.phases == ["PHASE2", "PHASE3"]
    assert record.conditions == ["Gastric Adenocarcinoma", "Carcinoma, Signet Ring Cell"]
    assert [(iv.type, iv.name) for iv in record.interventions] == [
        ("BIOLOGICAL", "Pembrolizumab"),
        ("DRUG", "Oxaliplatin"),
        ("DRUG", "Capecitabine (1,000 mg/m2, twice daily)"),
        ("PROCEDURE", "Gastrectomy"),
        ("OTHER", "Placebo"),
    ]
    assert [(rid.scheme, rid.value) for rid in record.registry_ids] == [
        ("NCT", "NCT09999991"),
        ("OTHER", "MK-3475-999"),
        ("CTIS", "2024-512345-12-00"),
    ]
    assert (record.enrollment_count, record.enrollment_type) == (1400, "ESTIMATED")
    eligibility = record.eligibility
    assert (eligibility.min_age_years, eligibility.max_age_years, eligibility.healthy_volunteers) == (18.0, 75.0, True)
    assert (record.allocation, record.intervention_model, record.masking) == ("RANDOMIZED", "PARALLEL", "QUADRUPLE")

    assert [(arm.label, arm.type) for arm in record.arms] == [
        ("Pembrolizumab + chemotherapy", "EXPERIMENTAL"),
        ("Placebo + chemotherapy", "PLACEBO_COMPARATOR"),
    ]
    assert record.arms[1].description == "Placebo every 3 weeks with oxaliplatin and capecitabine."
    assert record.arm_intervention_links() == {(0, 0), (0, 1), (0, 2), (0, 3), (1, 1), (1, 2), (1, 4)}

    beijing, seoul = record.sites
    assert (beijing.facility, beijing.city, beijing.state, beijing.postal_code, beijing.country_code) == (
        "Peking University Cancer Hospital",
        "Beijing",
        "Beijing",
        "100142",
        "CN",
    )
    assert beijing.status == "RECRUITING"
    assert [(c.name, c.role, c.phone, c.email) for c in beijing.contacts] == [
        ("Lin Shen, MD", "PRINCIPAL_INVESTIGATOR", "+86 10 8819 6561", "linshen@example.org")
    ]
    assert (seoul.facility, seoul.city, seoul.country, seoul.country_code, seoul.status) == (
        "Asan Medical Center",
        "Seoul",
        "Korea, Republic of",
        "KR",
        "NOT_YET_RECRUITING",
    )
    assert [(c.name, c.phone) for c in seoul.contacts] == [("Study Coordinator", "+82 2 3010 3114")]
    assert [(c.name, c.phone, c.email) for c in record.central_contacts] == [
        ("Toll Free Number", "1-888-577-8839", "Trialsites@example.com")
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "Drug: QL1706 , bevacizumab, etoposide , cisplatin or carboplatin",
            [("DRUG", "QL1706"), ("DRUG", "bevacizumab"), ("DRUG", "etoposide"), ("DRUG", "cisplatin or carboplatin")],
        ),
        ("Drug: A, B Biological: C", [("DRUG", "A"), ("DRUG", "B"), ("BIOLOGICAL", "C")]),
        ("Drug: ABiological: CProcedure: D", [("DRUG", "A"), ("BIOLOGICAL", "C"), ("PROCEDURE", "D")]),
        ("Dietary Supplement: Vitamin D", [("DIETARY_SUPPLEMENT", "Vitamin D")]),
        ("QL1706, bevacizumab", [(None, "QL1706, bevacizumab")]),  # no type: not split, not typed
    ],
)
def test_treatment_lines(line, expected):
    assert [(kind, name) for _, kind, name in typed_names(line)] == expected


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("Begins enrollment in 4 months", "NOT_YET_RECRUITING"),
        ("Completed", "COMPLETED"),
        ("Terminated", "TERMINATED"),
        ("Status unknown", "UNKNOWN"),
        ("Active, not enrolling", "ACTIVE_NOT_RECRUITING"),
    ],
)
def test_status_wordings(status, expected):
    assert wording.overall_status(status) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Phase 1/Phase 2", ["PHASE1", "PHASE2"]),
        ("Phase 2 Phase 3", ["PHASE2", "PHASE3"]),
        ("Early Phase 1", ["EARLY_PHASE1"]),
    ],
)
def test_phase_wordings(text, expected):
    assert wording.phases(text) == expected


def test_allocation_na_is_stated_not_empty():
    assert wording.allocation("N/A") == "NA"
    assert wording.allocation("") is None


def test_label_like_text_inside_a_description_stays_text():
    text = SEED.read_text(encoding="utf-8").replace(
        "Immune checkpoint inhibitors (ICIs)", "Conditions\n\nImmune checkpoint inhibitors (ICIs)"
    )
    record = veeva_page.parse(text.encode())
    assert record.conditions == ["Extensive Small Cell Lung Cancer"]
    assert "Conditions\n\nImmune checkpoint inhibitors" in record.detailed_description


def test_escaped_script_in_an_html_title_stays_text():
    html = (FIXTURES / "001_reconstructed.html").read_text(encoding="utf-8")
    html = html.replace("in Extensive-stage Small", "in &lt;script&gt;alert(1)&lt;/script&gt; Extensive-stage Small")
    record = veeva_page.parse(html.encode())
    assert "in <script>alert(1)</script> Extensive-stage Small" in record.brief_title


def test_sniff():
    assert veeva_page.sniff(SEED.read_bytes()[:4096])
    assert veeva_page.sniff((FIXTURES / "001_reconstructed.html").read_bytes())
    assert not veeva_page.sniff(b"ClinicalTrials.Veeva is a search site by Veeva Systems.")
    assert not veeva_page.sniff(b'{"protocolSection": {}}')


def test_sniff_rejects_a_classic_ctgov_page():
    assert not veeva_page.sniff(CTGOV_CLASSIC_PAGE.read_bytes())


def test_split_yields_the_source_unchanged():
    source = RawSource("page.txt", SEED.read_bytes())
    assert list(veeva_page.split(source)) == [source]


def test_text_without_veeva_sections_is_a_parse_error():
    from trials.ingest.records import ParseError

    with pytest.raises(ParseError, match="none of its section labels"):
        veeva_page.parse(b"just some text\nwith lines")


def test_long_hostile_lines_are_read_in_bounded_time():
    line = "Drug: " + "a, (" * 20000 + "\n"
    hostile = SEED.read_text(encoding="utf-8").replace("Drug: QL1706 ,", line + "Drug: QL1706 ,", 1)
    record = veeva_page.parse(hostile.encode())
    assert record.interventions
