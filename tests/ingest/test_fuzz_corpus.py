"""The regression corpus: every input that once crashed or hung a parser, replayed on each run.

``tests/fixtures/fuzz/<format>/`` holds the inputs, named by what they broke (``..._recursionerror``);
a file under ``any/`` goes through format detection first. Each must end as records or a clear
``ParseError``, as any input must (``test_fuzz_parsers.outcomes``). Files under ``readers/`` are
archives read by ``read_stream``, which must yield only units or ``Unreadable``.
"""

from __future__ import annotations

import io

import pytest

from tests.ingest.test_fuzz_parsers import FUZZ_CORPUS, outcomes
from trials.ingest.parsers import PARSERS
from trials.ingest.readers import Unreadable, read_stream
from trials.ingest.records import ParseError, RawSource, TrialRecord

FILES = sorted(path for path in FUZZ_CORPUS.glob("*/*") if path.is_file() and not path.name.startswith("."))
CORPUS = [path for path in FILES if path.parent.name != "readers"]
ARCHIVES = [path for path in FILES if path.parent.name == "readers"]


def test_the_corpus_covers_every_format():
    assert {path.parent.name for path in CORPUS} >= set(PARSERS)
    assert {path.parent.name for path in CORPUS} <= {*PARSERS, "any"}


@pytest.mark.parametrize("path", CORPUS, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_a_former_crasher_is_a_record_or_a_clear_error(path):
    results = outcomes(path.read_bytes(), None if path.parent.name == "any" else path.parent.name)
    assert results and all(isinstance(result, TrialRecord | ParseError) for result in results)


@pytest.mark.parametrize("path", ARCHIVES, ids=lambda path: path.name)
def test_a_former_reader_crasher_is_units_or_unreadable(path):
    units = list(read_stream(io.BytesIO(path.read_bytes()), path.name, origin=path.name))
    assert units and all(isinstance(unit, RawSource | Unreadable) for unit in units)


def test_a_corrupt_deflate_stream_is_a_damaged_archive():
    [unit] = read_stream(
        io.BytesIO((FUZZ_CORPUS / "readers" / "corrupt_deflate_zlib_error.xml.gz").read_bytes()),
        "a.xml.gz",
        origin="a.xml.gz",
    )
    assert isinstance(unit, Unreadable) and unit.error.startswith("damaged or unreadable archive: Error -3")


def test_a_csv_saved_with_old_mac_line_endings_reads_every_row():
    # It once crashed detection (csv.Error on the lone "\r"); it is an ordinary export.
    results = outcomes((FUZZ_CORPUS / "ctgov_csv" / "mac_cr_line_endings_csv_error.csv").read_bytes())
    assert [record.label for record in results] == ["NCT06600893", "NCT00351065", "NCT05231083"]


def test_json_lines_with_one_over_deep_line_keep_the_other_lines():
    data = (FUZZ_CORPUS / "ctgov_api_v2_json" / "json_lines_with_a_5000_deep_line_recursionerror.jsonl").read_bytes()
    first, deep, last = outcomes(data, "ctgov_api_v2_json")
    assert first.label == last.label == "NCT00444327"
    assert isinstance(deep, ParseError) and "nested too deeply" in str(deep)


def test_an_xml_declaration_naming_an_unreadable_encoding_is_a_parse_error():
    data = (FUZZ_CORPUS / "ctgov_legacy_xml" / "unknown_declared_encoding_lookuperror.xml").read_bytes()
    [error] = outcomes(data, "ctgov_legacy_xml")
    assert str(error) == "not valid XML: cannot read the encoding its declaration names (unknown encoding: UTF-4)"
