"""Known pathological shapes end in bounded time: deep nesting, megabyte lines, regex traps.

Each case is a real fixture with one hostile part put in; the property is the fuzz tests' one
(records or a clear ``ParseError``) plus a time bound in CPU seconds. The bounds are generous on
purpose (a slow machine passes): what they catch is super-linear work, where these inputs would
take minutes or hours. ``scripts/fuzz_parsers.py --pathological`` runs the same shapes at 5 MB and
50,000 levels and prints each one's time.
"""

from __future__ import annotations

import time

import pytest

from tests.ingest.test_fuzz_parsers import _fixture, outcomes
from trials.ingest.records import ParseError, TrialRecord

DEEP = 50_000
MEGABYTE = 1_000_000
# CPU seconds for one parse; the inputs below parse in well under a second on a laptop.
BOUND = 10.0


@pytest.fixture(scope="module", autouse=True)
def _warm_vocabularies():
    """The place and drug vocabularies build their indexes on first use; not part of any bound."""
    outcomes(_fixture("ctgov_csv/urology_ctg-studies.csv"))
    outcomes(_fixture("ctgov_page/NCT05289856_classic.html"))


def timed_outcomes(data: bytes, format: str) -> list[TrialRecord | ParseError]:
    start = time.process_time()
    results = outcomes(data, format)
    spent = time.process_time() - start
    assert spent < BOUND, f"{format}: {len(data):,} bytes took {spent:.1f} CPU seconds"
    return results


def _with_line(path: str, line: str, *, at: float = 0.5) -> bytes:
    """The fixture with ``line`` put in as a line of its own at fraction ``at`` of its lines."""
    lines = _fixture(path).decode("utf-8-sig").split("\n")
    i = int(len(lines) * at)
    return "\n".join([*lines[:i], line, *lines[i:]]).encode()


# ---------------------------------------------------------------------------------------------
# Deep nesting


def test_xml_with_50000_nested_elements_inside_a_field_reads_the_field_text():
    xml = _fixture("ctgov_legacy_xml/NCT00000246.xml").decode()
    nested = "<b>" * DEEP + "deep" + "</b>" * DEEP
    [record] = timed_outcomes(xml.replace("<brief_title>", "<brief_title>" + nested, 1).encode(), "ctgov_legacy_xml")
    assert record.brief_title.startswith("deep")


def test_xml_with_50000_nested_unknown_elements_is_read_past():
    xml = _fixture("ctgov_legacy_xml/NCT00000246.xml").decode()
    nested = "<x>" * DEEP + "</x>" * DEEP
    [record] = timed_outcomes(
        xml.replace("</clinical_study>", nested + "</clinical_study>").encode(), "ctgov_legacy_xml"
    )
    assert record.label == "NCT00000246"


@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_json_nested_50000_levels_is_a_parse_error_not_a_recursion_error(opening):
    closing = "]" if opening == "[" else "}"
    study = _fixture("ctgov_api_v2/NCT00444327.json").decode()
    nested = opening * DEEP + "1" + closing * DEEP
    [error] = timed_outcomes(
        study.replace('"protocolSection"', f'"x": {nested}, "protocolSection"', 1).encode(), "ctgov_api_v2_json"
    )
    assert isinstance(error, ParseError) and "nested too deeply" in str(error)


@pytest.mark.parametrize(
    ("format", "path", "opening"),
    [
        ("ctgov_page", "ctgov_page/NCT05289856_classic.html", "<div>"),
        ("ctgov_page", "ctgov_page/NCT05289856_classic.html", "<ul><li>"),
        ("veeva_page", "veeva_page/001_reconstructed.html", "<table><tr><td>"),
        ("veeva_page", "veeva_page/001_reconstructed.html", "<pre><script>"),
    ],
)
def test_html_pages_with_50000_unclosed_tags_before_the_page(format, path, opening):
    html = _fixture(path).decode()
    results = timed_outcomes(html.replace("<body", opening * DEEP + "<body", 1).encode(), format)
    assert all(isinstance(result, TrialRecord | ParseError) for result in results)


# ---------------------------------------------------------------------------------------------
# Megabyte lines and values

TEXT_FIXTURES = [
    ("ctgov_csv", "ctgov_csv/urology_ctg-studies.csv"),
    ("ctgov_page", "ctgov_page/NCT05289856_pipe_tables.txt"),
    ("ctgov_page", "ctgov_page/NCT01006616_pre2017.txt"),
    ("veeva_page", "veeva_page/001_6d5f8ce496a4989a.txt"),
    ("field_dump", "field_dump/ivonescimab.txt"),
]


@pytest.mark.parametrize(("format", "path"), TEXT_FIXTURES)
@pytest.mark.parametrize("line", ["x" * MEGABYTE, "a " * (MEGABYTE // 2)], ids=["one-word", "words"])
def test_a_megabyte_line_in_a_text_format(format, path, line):
    results = timed_outcomes(_with_line(path, line), format)
    assert all(isinstance(result, TrialRecord | ParseError) for result in results)


def test_a_megabyte_status_in_json_is_a_short_parse_error():
    study = _fixture("ctgov_api_v2/NCT00444327.json").decode()
    hostile = study.replace('"overallStatus":"', '"overallStatus":"' + "7" * MEGABYTE, 1).encode()
    [error] = timed_outcomes(hostile, "ctgov_api_v2_json")
    assert isinstance(error, ParseError) and "overallStatus: unknown value" in str(error)
    assert len(str(error)) < 1000 and "characters left out" in str(error) and str(error).endswith(")")


# ---------------------------------------------------------------------------------------------
# Regex traps: runs of the characters a backtracking pattern tries at every position
# (e.g. an e-mail pattern on a long word with no "@", a postal code lookahead on letters)

TRAPS = {
    "letters": "a" * 200_000,
    "spaces": " " * 200_000 + "x",
    "digits-commas": "1," * 100_000,
    "digits": "1" * 200_000 + "!",
    "capitals": "A " * 100_000,
    "at-signs": "a@" * 100_000,
    "parens": "(" * 200_000,
    "bullets": "- " * 100_000,
}


@pytest.mark.parametrize("trap", sorted(TRAPS))
@pytest.mark.parametrize(("format", "path"), TEXT_FIXTURES)
def test_regex_traps_in_text_formats(format, path, trap):
    for at in (0.3, 0.7):
        results = timed_outcomes(_with_line(path, TRAPS[trap], at=at), format)
        assert all(isinstance(result, TrialRecord | ParseError) for result in results)
