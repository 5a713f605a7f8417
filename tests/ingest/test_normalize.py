"""normalize.py and criteria.py: the helpers every parser shares, on words real registry records use."""

import datetime as dt
import json

import pytest

from tests.conftest import FIXTURES
from trials.ingest.normalize import (
    age_to_years,
    classify_registry_id,
    clean_line,
    clean_text,
    date_type,
    parse_age_range,
    parse_partial_date,
    split_criteria,
    unescape_markdown,
)
from trials.ingest.records import ParseError, PartialDate, RegistryId


def criteria_of(nct_id: str) -> str:
    study = json.loads((FIXTURES / "ctgov_api_v2" / f"{nct_id}.json").read_bytes())
    return study["protocolSection"]["eligibilityModule"]["eligibilityCriteria"]


# --- text ------------------------------------------------------------------------------------


def test_clean_line_collapses_every_kind_of_whitespace():
    assert clean_line("  18 Years to 55 Years \xa0 (Adult)\n") == "18 Years to 55 Years (Adult)"
    assert clean_line(None) == ""


def test_clean_text_keeps_paragraphs_and_nesting_but_drops_noise():
    raw = "\r\n        Inclusion Criteria:  \r\n\r\n\r\n          -  Adult\r\n             patient\r\n"
    assert clean_text(raw) == "Inclusion Criteria:\n\n  -  Adult\n     patient"
    assert clean_text("") == ""


def test_unescape_markdown_undoes_ctgov_escapes():
    assert unescape_markdown(r"Age \>/= 18, renal \[kidney\] 1\. x") == "Age >/= 18, renal [kidney] 1. x"


# --- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "date", "precision"),
    [
        ("2022", dt.date(2022, 1, 1), "YEAR"),
        ("2000-03", dt.date(2000, 3, 1), "MONTH"),
        ("2022-03-28", dt.date(2022, 3, 28), "DAY"),
        ("March 28, 2022", dt.date(2022, 3, 28), "DAY"),
        ("28 March 2022", dt.date(2022, 3, 28), "DAY"),
        ("March 2022", dt.date(2022, 3, 1), "MONTH"),
        ("Mar 2022", dt.date(2022, 3, 1), "MONTH"),
        ("Sept. 2021", dt.date(2021, 9, 1), "MONTH"),
    ],
)
def test_partial_dates_keep_their_precision(text, date, precision):
    assert parse_partial_date(text) == PartialDate(date, precision, None)


def test_partial_date_type_spellings_of_every_format():
    assert parse_partial_date("2021-04-05", "ACTUAL").type == "ACTUAL"
    assert parse_partial_date("March 2001", "Actual").type == "ACTUAL"
    assert parse_partial_date("2027-03", "ESTIMATED").type == "ESTIMATED"
    assert parse_partial_date("May 2008", "Anticipated").type == "ESTIMATED"  # legacy XML before 2017
    assert date_type("Estimate") == "ESTIMATED"
    assert parse_partial_date("2000-03").iso() == "2000-03"


@pytest.mark.parametrize("text", ["", "  ", None])
def test_no_date_is_none(text):
    assert parse_partial_date(text) is None


@pytest.mark.parametrize("text", ["soon", "2022-13", "2022-02-30", "Marc 2022", "03/28/2022"])
def test_text_that_is_not_a_date_raises(text):
    with pytest.raises(ParseError, match="not a date"):
        parse_partial_date(text)


def test_unknown_date_type_raises():
    with pytest.raises(ParseError, match="unknown date type"):
        parse_partial_date("2022", "MAYBE")


# --- ages ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("18 Years", 18.0),
        ("6 Months", 0.5),
        ("1 Year", 1.0),
        ("2 Weeks", 14 / 365.25),
        ("30 Days", 30 / 365.25),
        ("1 Minute", 1 / (365.25 * 24 * 60)),  # NCT00444327's maximum age
        ("18+ years old", 18.0),
        ("18 Years and older", 18.0),
        ("N/A", None),
        ("", None),
        (None, None),
    ],
)
def test_age_to_years(text, years):
    if years is None:
        assert age_to_years(text) is None
    else:
        assert age_to_years(text) == pytest.approx(years)


@pytest.mark.parametrize("text", ["eighteen", "18", "18 apples", "18 to 55 Years"])
def test_text_that_is_not_one_age_raises(text):
    with pytest.raises(ParseError, match="not an age"):
        age_to_years(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("18 to 55 years old", ("18 Years", "55 Years")),
        ("18 Years and older (Adult, Older Adult)", ("18 Years", "")),
        ("18+ years old", ("18 Years", "")),
        ("18 Years to 55 Years \xa0 (Adult)", ("18 Years", "55 Years")),  # CT.gov CSV export
        ("6 Months to 17 Years \xa0 (Child)", ("6 Months", "17 Years")),
        ("1 Year to 17 Years \xa0 (Child)", ("1 Year", "17 Years")),
        ("up to 17 Years \xa0 (Child, Adult)", ("", "17 Years")),
        ("65 Years and younger", ("", "65 Years")),
        ("between 18 and 65 years", ("18 Years", "65 Years")),
        ("Child, Adult, Older Adult", ("", "")),
        ("CHILD, ADULT", ("", "")),
        ("", ("", "")),
    ],
)
def test_parse_age_range(text, expected):
    assert parse_age_range(text) == expected


def test_age_range_that_says_no_direction_raises():
    with pytest.raises(ParseError):
        parse_age_range("18 Years")


# --- registry ids ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "type_hint", "expected"),
    [
        ("NCT04728893", None, ("NCT", "NCT04728893")),
        ("nct 04728893", None, ("NCT", "NCT04728893")),
        ("2020-002324-36", "EUDRACT_NUMBER", ("EUDRACT", "2020-002324-36")),
        ("2023-508083-30-00", "CTIS", ("CTIS", "2023-508083-30-00")),
        ("2023-506314-51-00", "REGISTRY", ("CTIS", "2023-506314-51-00")),  # typed REGISTRY, domain "EU CT"
        ("EudraCT-No.:2006-000284-28", None, ("EUDRACT", "2006-000284-28")),  # untyped, real spellings
        ("EudraCTnr: 2005-005175-16", None, ("EUDRACT", "2005-005175-16")),
        ("EudraCT 2006-001228-37", None, ("EUDRACT", "2006-001228-37")),
        ("isrctn 12345678", None, ("ISRCTN", "ISRCTN12345678")),
        ("ChiCTR2100048636", "REGISTRY", ("OTHER_REGISTRY", "ChiCTR2100048636")),
        ("jRCT2051220179", "REGISTRY", ("OTHER_REGISTRY", "jRCT2051220179")),
        ("ACTRN12614000265673", None, ("OTHER_REGISTRY", "ACTRN12614000265673")),
        ("CTRI/2020/01/022222", None, ("OTHER_REGISTRY", "CTRI/2020/01/022222")),
        ("DRKS00012345", None, ("OTHER_REGISTRY", "DRKS00012345")),
        ("KCT0001234", None, ("OTHER_REGISTRY", "KCT0001234")),
        ("NL12345", None, ("OTHER_REGISTRY", "NL12345")),
        ("JPRN-UMIN000012345", None, ("OTHER_REGISTRY", "JPRN-UMIN000012345")),
        ("NCI-2009-01602", "REGISTRY", ("OTHER_REGISTRY", "NCI-2009-01602")),
        ("ENCEPP/SDPP/4137", "REGISTRY", ("OTHER_REGISTRY", "ENCEPP/SDPP/4137")),  # by its type
        ("U01AR045444", "NIH", ("NIH_GRANT", "U01AR045444")),
        ("MISP 52707", "OTHER_GRANT", ("OTHER_GRANT", "MISP 52707")),
        ("MK-1026-003", "OTHER", ("OTHER", "MK-1026-003")),
        ("IND 12345", "FDA", ("OTHER", "IND 12345")),
        ("not a number", "EUDRACT_NUMBER", ("OTHER", "not a number")),  # a wrong global id would merge trials
        ("  12942 -   LV0602KR ", None, ("OTHER", "12942 - LV0602KR")),
    ],
)
def test_classify_registry_id(value, type_hint, expected):
    rid = classify_registry_id(value, type_hint)
    assert (rid.scheme, rid.value) == expected


def test_registry_id_keeps_its_issuer():
    assert classify_registry_id("MK-1026-003", "OTHER", " Merck ") == RegistryId("OTHER", "MK-1026-003", "Merck")


# --- eligibility criteria --------------------------------------------------------------------


def test_numbered_items_with_nested_bullets_count_top_level_items_only():
    criteria, inclusion, exclusion = split_criteria(criteria_of("NCT06482905"))
    assert len(inclusion) == 10
    assert inclusion[8].startswith("Subjects with adequate organ function, as indicated by laboratory test results")
    # Its five bullets are folded into it, joined with "; ".
    assert "criteria: Hematological function: Absolute neutrophil count" in inclusion[8]
    assert "; Liver function: Total bilirubin" in inclusion[8]
    assert inclusion[8].count("; ") >= 4
    # An indented paragraph continues its item.
    assert inclusion[2].endswith("must be confirmed by radiographic or histopathological diagnosis.")
    assert len(exclusion) == 3
    assert exclusion[0] == "Pregnant or breastfeeding female subjects."
    assert criteria.startswith("Inclusion Criteria:\n\n1. Subjects must voluntarily participate")


def test_bulleted_items_and_header_with_space_before_colon():
    _, inclusion, exclusion = split_criteria(criteria_of("NCT02782533"))
    assert inclusion[0] == "Male or female aged between 18 and 65 years"
    assert len(inclusion) == 6
    assert exclusion == [
        "Contraindication to Magnetoencephalography (MEG) and/or Electroencephalography (EEG)",
        "Contraindication to Magnetic resonance imaging (MRI)",
        "All categories of protected persons",
    ]


def test_lead_in_and_labels_are_not_items():
    # "Patients must meet all the following criteria ...:" precedes the numbered list.
    _, inclusion, exclusion = split_criteria(criteria_of("NCT05417321"))
    assert inclusion[0] == "Male or female. Age ≥ 18 years;"
    assert (len(inclusion), len(exclusion)) == (10, 25)
    # "Part 2 (Cohorts D to G)" labels the bullets after it.
    _, inclusion, _ = split_criteria(criteria_of("NCT04728893"))
    assert not [item for item in inclusion if item.startswith("Part 2 (Cohorts")]
    assert (
        "Has a confirmed diagnosis of CLL/SLL with; At least 2 lines of prior therapy (Part 1 only); " in inclusion[9]
    )


def test_escaped_markdown_number_is_a_marker():
    _, inclusion, exclusion = split_criteria(criteria_of("NCT02440776"))
    assert len(inclusion) == 3
    assert exclusion == [
        "Patient has other significant pain problem that might confound the study assessments in the opinion of the "
        "Investigator."
    ]


@pytest.mark.parametrize(
    "header",
    [
        "Inclusion Criteria:",
        "Inclusion criteria",
        "INCLUSION CRITERIA:",
        "Key Inclusion Criteria:",
        "* INCLUSION CRITERIA:",
        "Inclusion criteria :",
        "Inclusion Criteria (Controls):",
        "Inclusion criteria were as follows:",
        "1. Inclusion Criteria",
    ],
)
def test_header_variants(header):
    text = f"{header}\n\n* Adults\n* Signed consent\n\nExclusion criteria\n\n* Pregnancy"
    assert split_criteria(text)[1:] == (["Adults", "Signed consent"], ["Pregnancy"])


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ("1. Adults\n2. Signed consent", ["Adults", "Signed consent"]),
        ("1) Adults\n2) Signed consent", ["Adults", "Signed consent"]),
        ("(1) Adults\n(2) Signed consent", ["Adults", "Signed consent"]),
        ("a. Adults\nb. Signed consent", ["Adults", "Signed consent"]),
        ("- Adults\n- Signed consent", ["Adults", "Signed consent"]),
        ("• Adults\n• Signed consent", ["Adults", "Signed consent"]),
        ("· Adults\n· Signed consent", ["Adults", "Signed consent"]),
        ("Adults.\n\nSigned consent.", ["Adults.", "Signed consent."]),
        # A different bullet under an item announcing a list is nested even without indentation.
        (
            "1. Organ function:\n* ANC ≥ 1.5\n* Platelets ≥ 100\n2. Consent",
            ["Organ function: ANC ≥ 1.5; Platelets ≥ 100", "Consent"],
        ),
        # Numbering that continues after such a nested list is top level again.
        ("10. One of:\n\n* A\n* B\n\n  11. Consent", ["One of: A; B", "Consent"]),
        # A lone lead-in bullet over the real list.
        ("* Patients must meet all of the following:\n\n  1. Adults\n  2. Consent", ["Adults", "Consent"]),
    ],
)
def test_item_styles(items, expected):
    assert split_criteria(f"Inclusion Criteria:\n\n{items}")[1] == expected


def test_legacy_xml_hard_wrapped_items():
    # From the legacy XML record NCT00496392 (textblock as the XML holds it).
    text = (
        "\n        Inclusion Criteria:\r\n\r\n"
        "          -  Adult in- or out patient with cancer and breakthrough pain; using a stable, chronic\r\n"
        "             opioid treatment for background pain.\r\n\r\n"
        "          -  Minimum three BTP episodes per week and maximum four per day. Life expectancy of at\r\n"
        "             least three months.\r\n      "
    )
    assert split_criteria(text)[1] == [
        "Adult in- or out patient with cancer and breakthrough pain; using a stable, chronic opioid treatment "
        "for background pain.",
        "Minimum three BTP episodes per week and maximum four per day. Life expectancy of at least three months.",
    ]


def test_text_without_headers_is_not_split():
    criteria, inclusion, exclusion = split_criteria("DISEASE CHARACTERISTICS:\n\n* Prostate cancer\n* PSA < 20")
    assert criteria.startswith("DISEASE CHARACTERISTICS:")
    assert (inclusion, exclusion) == ([], [])
    assert split_criteria("") == ("", [], [])
    assert split_criteria(None) == ("", [], [])


def test_only_an_inclusion_header_fills_only_inclusion():
    assert split_criteria("Inclusion Criteria:\n\n* Adults\n* Consent")[1:] == (["Adults", "Consent"], [])


def test_sentences_that_mention_criteria_are_not_headers():
    text = (
        "Inclusion Criteria:\n\n* Adults\n* Not meeting inclusion criteria of other trials\n\n"
        "Exclusion Criteria:\n\n* None"
    )
    assert split_criteria(text)[1:] == (["Adults", "Not meeting inclusion criteria of other trials"], ["None"])
