"""ctgov_csv: CT.gov CSV exports, on real rows cut from the shared exports (tests/fixtures/ctgov_csv/).

``urology_ctg-studies.csv``: the first 3 rows of Marc-Morcos/ClinicalTrials-Urology-Database-Word-Counter
``ctg-studies.csv`` (current site, 29 columns); ``legacy_SearchResults.csv`` and ``.tsv``: the first 3 rows of
reesewang25/enrollment_and_studylength and dgg32/clinical-trials-public ``SearchResults`` (old site);
``resaved_ctg-studies2.csv``: the first 2 rows of spikar/llama_parser ``ctg-studies2.csv``, re-saved by a
spreadsheet (dates written 1/1/2019). Bytes are unchanged.
"""

import codecs
import tarfile

import pytest

from tests.conftest import FIXTURES, SHARED_DATA
from trials.ingest.outcome_text import split_item
from trials.ingest.parsers import ctgov_csv
from trials.ingest.records import (
    Intervention,
    Organization,
    Outcome,
    ParseError,
    PartialDate,
    RawSource,
    RegistryId,
    Site,
)

CSV_EXPORTS = SHARED_DATA / "ctgov" / "ctgov_csv_exports.tar.gz"
# Rows per file, from SOURCES.md section 3 (its table sums to 13,499; its summary line says 13,459).
EXPORT_ROWS = {
    "sammijiyoung2__AZ-clinical-trial-drug-and-device-trend__ctg-studies.csv": 4145,
    "zhaqinqin1234__ETL_Project__COVID_clinical_trials.csv": 3169,
    "BassKot__CT_Gov_B-Cell__SearchResults.csv": 1000,
    "dgg32__clinical-trials-public__SearchResults.tsv": 40,
    "spikar__llama_parser__ctg-studies2.csv": 44,
}


def records(name):
    data = (FIXTURES / "ctgov_csv" / name).read_bytes()
    return [ctgov_csv.parse(source.data) for source in ctgov_csv.split(RawSource(name, data))]


def test_current_site_export():
    first, second, third = records("urology_ctg-studies.csv")
    assert first.registry_ids == [RegistryId("NCT", "NCT06600893"), RegistryId("OTHER", "SDSM-2019-02.1")]
    assert first.brief_title.startswith("Sham-Controlled Prospective Study Characterizing Erectile Tissue")
    assert (first.overall_status, first.has_results, first.phases) == ("COMPLETED", False, ["NA"])
    assert (first.study_type, first.allocation, first.intervention_model) == (
        "INTERVENTIONAL",
        "RANDOMIZED",
        "CROSSOVER",
    )
    assert (first.masking, first.primary_purpose) == ("DOUBLE", "TREATMENT")
    assert (first.enrollment_count, first.enrollment_type) == (35, None)
    assert first.start_date == PartialDate(first.start_date.date, "DAY") and first.start_date.iso() == "2019-08-05"
    assert first.completion_date.iso() == "2023-04-07" and first.first_posted_date.iso() == "2024-09-19"
    assert first.lead_sponsor == Organization("San Diego Sexual Medicine", "OTHER")
    assert first.interventions == [
        Intervention("DEVICE", "Low intensity shockwave therapy (LiSWT)"),
        Intervention("DEVICE", "Sham"),
    ]
    assert first.eligibility.sex == "MALE" and first.eligibility.std_ages == ["ADULT", "OLDER_ADULT"]
    assert first.eligibility.minimum_age == "" and first.eligibility.min_age_years is None
    assert first.sites == [Site("San Diego Sexual Medicine", "San Diego", "California", "92120", "United States", "US")]
    assert [(o.kind, o.measure) for o in first.outcomes] == [
        ("PRIMARY", "Grayscale ultrasound (GUS)"),
        ("PRIMARY", "Duplex Doppler ultrasound (DUS)"),
        ("SECONDARY", "International Index of Erectile Function (IIEF)"),
        ("SECONDARY", "IIEF Erectile Function Domain (IIEF-EF)"),
        ("SECONDARY", "Sexual Encounter Profile (SEP)"),
        ("OTHER", "International Prostate Symptom Score (IPSS)"),
    ]
    sep = first.outcomes[4]
    assert sep.description == (
        "The SEP diary is a standard assessment completed by a participant after each attempt at sexual activity."
    )
    assert (
        sep.time_frame == "Completed over the 4 week screening period, and during the 4 weeks prior to each follow up"
    )
    assert second.start_date.iso() == "2004-09" and second.primary_completion_date is None
    assert second.lead_sponsor == Organization("SK Chemicals Co., Ltd.", "INDUSTRY")
    assert (second.overall_status, second.phases) == ("TERMINATED", ["PHASE2"])
    assert third.acronym == "GNS"
    assert third.sites == [Site("Possover", "Zürich", "", "8008", "Switzerland", "CH")]


def test_legacy_export():
    first, second, _ = records("legacy_SearchResults.csv")
    assert first.registry_ids[0] == RegistryId("NCT", "NCT05712642")
    assert (first.overall_status, first.phases, first.has_results) == ("COMPLETED", ["PHASE3"], False)
    assert first.eligibility.sex == "ALL"
    assert (first.eligibility.minimum_age, first.eligibility.maximum_age) == ("28 Weeks", "40 Weeks")
    assert first.eligibility.std_ages == ["CHILD"]
    assert first.start_date.iso() == "2020-02-01" and first.start_date.type is None
    assert first.lead_sponsor == Organization("Cairo University", "OTHER")
    # The old "Outcome Measures" column: measures only, kinds unknown, recorded as OTHER.
    assert first.outcomes[2] == Outcome("OTHER", "Occurrence of any adverse events from intravitreal-injection")
    assert first.sites == [Site("Faculty of Medicine Cairo University", "Cairo", country="Egypt", country_code="EG")]
    assert second.conditions == ["Weight, Birth", "Weight, Body"]
    assert second.lead_sponsor.name == "Andalas University"
    assert second.collaborators[0].name.startswith("National Institute of Health Research")
    assert (second.allocation, second.phases, second.eligibility.sex) == ("RANDOMIZED", ["NA"], "FEMALE")


def test_legacy_tsv_and_funded_bys():
    first, second, third = records("legacy_SearchResults.tsv")
    assert first.study_type == "OBSERVATIONAL" and first.allocation is None
    assert first.interventions == [Intervention("DEVICE", "DBT"), Intervention("DEVICE", "DM")]
    assert (first.eligibility.min_age_years, first.eligibility.max_age_years) == (23.0, 89.0)
    assert first.sites[0].country_code == "TW"
    assert second.acronym == "REBECCA II" and second.lead_sponsor == Organization("Danish Cancer Society", "OTHER")
    # "Other|NIH": two classes for the lead sponsor and its collaborators, so the lead's is not known.
    assert third.has_results is True
    assert third.lead_sponsor == Organization("Dana-Farber Cancer Institute", None)
    assert third.registry_ids[1:] == [RegistryId("OTHER", "19-001"), RegistryId("OTHER", "1R21CA227615-01A1")]


def test_spreadsheet_dates_read_by_the_rows_own_order():
    first, _ = records("resaved_ctg-studies2.csv")
    assert first.start_date.iso() == "2019-01-01"
    assert first.primary_completion_date.iso() == "2021-09-15"
    assert first.has_results is True and first.primary_purpose == "SUPPORTIVE_CARE"


def test_split_keeps_header_and_origin():
    data = (FIXTURES / "ctgov_csv" / "legacy_SearchResults.tsv").read_bytes()
    sources = list(ctgov_csv.split(RawSource("SearchResults.tsv", data)))
    assert [s.origin for s in sources] == [f"SearchResults.tsv:row {n}" for n in (1, 2, 3)]
    assert sources[1].data.startswith(b"Rank\tNCT Number\tTitle")
    assert ctgov_csv.sniff(sources[1].data)


def test_column_subset_in_any_order_bom_crlf_utf16():
    text = (
        "\ufeffconditions,STUDY  TITLE,Locations,Other IDs\r\n"
        '"A|B","A title, with a comma",'
        '"Clinic, Seoul, Korea, Republic of|Site 1, Lyon, 69003, France","2006-000284-28"\r\n'
    )
    for data in (text.encode("utf-8"), codecs.BOM_UTF16_LE + text[1:].encode("utf-16-le"), text[1:].encode("cp1252")):
        assert ctgov_csv.sniff(data)
        (source,) = ctgov_csv.split(RawSource("x.csv", data))
        record = ctgov_csv.parse(source.data)
        assert record.brief_title == "A title, with a comma" and record.conditions == ["A", "B"]
        assert record.registry_ids == [RegistryId("EUDRACT", "2006-000284-28")]
        assert record.sites == [
            Site("Clinic", "Seoul", country="Korea, Republic of", country_code="KR"),
            Site("Site 1", "Lyon", postal_code="69003", country="France", country_code="FR"),
        ]


def test_quoted_newlines_and_long_cells():
    summary = "Line one.\n\nLine two " + "x" * 200_000
    data = f'NCT Number,Brief Summary\nNCT01234567,"{summary}"\n'.encode()
    (source,) = ctgov_csv.split(RawSource("x.csv", data))
    assert ctgov_csv.parse(source.data).brief_summary == summary


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\x00\x01garbage,,,\nmore", "not a ClinicalTrials.gov CSV export"),
        (b"<html><body>hello</body></html>", "not a ClinicalTrials.gov CSV export"),
        (b"NCT Number,Study Title\nABC,Title\n", "not an NCT id"),
        (b"NCT Number,Study Title,Phases\nNCT01234567,T,Phase 9\n", "Phases: unknown phase"),
        (b"Study Title,Phases\n,NA\n", "nothing names this record"),
    ],
)
def test_unreadable_input_raises(data, message):
    with pytest.raises(ParseError, match=message):
        for source in ctgov_csv.split(RawSource("x.csv", data)):
            ctgov_csv.parse(source.data)
    assert not ctgov_csv.sniff(b"just some text\nwith lines")


def test_header_only_holds_no_record():
    data = b'"NCT Number","Study Title"\r\n'
    assert ctgov_csv.sniff(data)
    assert list(ctgov_csv.split(RawSource("x.csv", data))) == []
    with pytest.raises(ParseError, match="only a header"):
        ctgov_csv.parse(data)


def test_outcome_items():
    assert split_item(
        "Change From Baseline in the Number of Weekly Times an Abortive Medication Was Used, Averaged Over Weeks 1-2, "
        "Abortive medications included the use of triptans or oxygen (O2)., Baseline (Week 0), Weeks 1-2"
    ) == (
        "Change From Baseline in the Number of Weekly Times an Abortive Medication Was Used, Averaged Over Weeks 1-2",
        "Abortive medications included the use of triptans or oxygen (O2).",
        "Baseline (Week 0), Weeks 1-2",
    )
    assert split_item("Change in MAP, Mean change in MAP from baseline to 24 weeks of treatment, 24 Weeks") == (
        "Change in MAP",
        "Mean change in MAP from baseline to 24 weeks of treatment",
        "24 Weeks",
    )
    assert split_item("Maximum measured concentration of the analyte in plasma (Cmax), up to 4 days") == (
        "Maximum measured concentration of the analyte in plasma (Cmax)",
        "",
        "up to 4 days",
    )


@pytest.mark.skipif(not CSV_EXPORTS.exists(), reason="shared CT.gov data not available")
def test_all_shared_exports_parse():
    rows, failures, counts = 0, [], {}
    with tarfile.open(CSV_EXPORTS) as archive:
        members = [m for m in archive.getmembers() if m.isfile()]
        for member in members:
            name = member.name.rsplit("/", 1)[-1]
            data = archive.extractfile(member).read()
            assert ctgov_csv.sniff(data[: 64 * 1024]), name
            counts[name] = 0
            for source in ctgov_csv.split(RawSource(name, data)):
                counts[name] += 1
                try:
                    ctgov_csv.parse(source.data)
                except ParseError as exc:
                    failures.append(f"{source.origin}: {exc}")
            rows += counts[name]
    assert len(members) == 22
    assert failures == []
    assert rows == 13_499
    for name, expected in EXPORT_ROWS.items():
        assert counts[name] == expected, name
