"""Pages are read leniently, registry data strictly: an unknown wording on a saved page leaves that
fact unstated; in a CSV export it fails the record so that it is noticed."""

import pytest

from tests.conftest import FIXTURES
from trials.ingest import wording
from trials.ingest.leniency import lenient_wording
from trials.ingest.parsers import ctgov_csv, ctgov_page, veeva_page
from trials.ingest.records import ParseError

VEEVA = FIXTURES / "veeva_page" / "001_6d5f8ce496a4989a.txt"
CLASSIC = FIXTURES / "ctgov_page" / "NCT05289856_pipe_tables.txt"
CSV = FIXTURES / "ctgov_csv" / "urology_ctg-studies.csv"


def test_a_veeva_page_with_wordings_nobody_knows_keeps_everything_else():
    text = VEEVA.read_text().replace("Not yet enrolling", "Enrollment paused for review")
    text = text.replace("18+ years old", "Grown-ups only")
    record = veeva_page.parse(text.encode())
    assert record.overall_status is None
    assert (record.eligibility.minimum_age, record.eligibility.min_age_years) == ("", None)
    # The rest of the page is read as before.
    assert record.phases == ["PHASE2"] and len(record.eligibility.exclusion) == 21


def test_a_classic_page_with_an_unknown_masking_wording():
    text = CLASSIC.read_text().replace("None (Open Label)", "Partly blinded, see protocol")
    record = ctgov_page.parse(text.encode())
    assert record.masking is None and record.overall_status == "RECRUITING"


def test_registry_exports_stay_strict():
    header, row, *_ = CSV.read_text(encoding="utf-8-sig").splitlines()
    status = row.split(",")[header.split(",").index("Study Status")]
    broken = f"{header}\n{row.replace(',' + status + ',', ',PAUSED_FOR_REVIEW,', 1)}\n".encode()
    with pytest.raises(ParseError, match="PAUSED_FOR_REVIEW"):
        ctgov_csv.parse(broken)


def test_leniency_is_scoped_to_the_block():
    with lenient_wording():
        assert wording.phases("Phase Zeta") == []
    with pytest.raises(ParseError):
        wording.phases("Phase Zeta")
