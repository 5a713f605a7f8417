"""Fuzzing every parser with hypothesis: any input ends as records or a clear ``ParseError``.

Inputs are real fixture records damaged on purpose, structure-aware (JSON trees, XML elements,
CSV cells, page lines) and byte-level (truncation, encodings, byte-order marks), plus raw bytes and
text through format detection. Runs are derandomized and keep no example database, so the suite
sees the same inputs on every machine; ``scripts/fuzz_parsers.py`` runs the long coverage-guided
search. Inputs that once broke a parser live in ``tests/fixtures/fuzz/`` (``test_fuzz_corpus``).
"""

from __future__ import annotations

import codecs
import copy
import csv
import io
import json
import os
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trials.ingest.detect import detect_format
from trials.ingest.parsers import parser_for
from trials.ingest.records import ParseError, RawSource, TrialRecord

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FUZZ_CORPUS = FIXTURES / "fuzz"
# FUZZ_EXAMPLES=5000 runs a longer, randomized search locally (new inputs on every run).
_LONG_RUN = int(os.environ.get("FUZZ_EXAMPLES", "0"))
FUZZ = settings(
    max_examples=_LONG_RUN or 60,
    deadline=2000,  # ms per input: generous, so only a real blow-up (not a slow CI box) fails
    derandomize=not _LONG_RUN,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
# What would mean an exception or an object leaked into a message meant for a curator.
_INTERNAL = re.compile(r"Traceback \(most recent call last\)|<[\w.]+ object at 0x|<class '")


def outcomes(data: bytes, format: str | None = None) -> list[TrialRecord | ParseError]:
    """``data`` run as an import runs it: detect (unless ``format``), split, parse each record.

    Any exception other than ``ParseError`` propagates, for hypothesis to report and shrink."""
    unit = RawSource("fuzz", data)
    try:
        parser = parser_for(format or detect_format(unit))
        records = list(parser.split(unit))
    except ParseError as exc:
        assert_clear(exc)
        return [exc]
    results: list[TrialRecord | ParseError] = []
    for raw in records:
        assert isinstance(raw, RawSource) and isinstance(raw.data, bytes)
        try:
            record = parser.parse(raw.data)
        except ParseError as exc:
            assert_clear(exc)
            results.append(exc)
            continue
        assert isinstance(record, TrialRecord)
        json.dumps(record.snapshot())  # what the loader stores: plain JSON data
        results.append(record)
    return results


def assert_clear(exc: ParseError) -> None:
    message = str(exc)
    assert message.strip(), f"empty ParseError message ({exc!r})"
    assert len(message) < 2000, f"ParseError message of {len(message)} characters: {message[:200]!r}..."
    assert not _INTERNAL.search(message), f"ParseError message shows internals: {message[:300]!r}"


@pytest.fixture(scope="module", autouse=True)
def _warm_vocabularies():
    """Parse one real record of each format first: the place and drug vocabularies build their
    indexes on first use (about a second), which would otherwise count against one input's deadline."""
    for path in ("ctgov_csv/urology_ctg-studies.csv", "ctgov_page/NCT05289856_classic.html", JSON_STUDIES[0]):
        assert any(isinstance(result, TrialRecord) for result in outcomes(_fixture(path)))


def _fixture(path: str) -> bytes:
    return (FIXTURES / path).read_bytes()


# ---------------------------------------------------------------------------------------------
# Values and byte-level damage shared by every format

JUNK_TEXT = st.one_of(
    st.text(max_size=40),
    st.text(st.characters(codec="utf-8", categories=["Cc", "Cf", "Zl", "Zp", "Co"]), max_size=20),
    st.sampled_from(["", " ", "\x00", "\u202e\u0645\u0631\u062d\u0628\u0627", "\ufeff", "\ud800", "NCT", "NCT1234567"]),
    st.sampled_from(["9" * 400, "é" * 5000, "a" * 100_000, "(" * 2000, "[" * 2000, "Phase 1/" * 500]),
)
JUNK_JSON = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(),
    JUNK_TEXT,
    st.lists(st.one_of(st.none(), st.integers(), JUNK_TEXT), max_size=3),
    st.dictionaries(JUNK_TEXT, st.one_of(st.none(), JUNK_TEXT), max_size=2),
)
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "latin-1", "cp1252"])


def encoded(text: str, encoding: str) -> bytes:
    return text.encode(encoding, errors="surrogatepass" if encoding.startswith("utf") else "replace")


@st.composite
def damaged_bytes(draw, data: bytes) -> bytes:
    """``data`` truncated, with bytes inserted or overwritten, or behind a stray byte-order mark."""
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["cut", "insert", "overwrite", "bom"]))
        if kind == "cut":
            data = data[:at]
        elif kind == "insert":
            data = data[:at] + draw(st.binary(max_size=16)) + data[at:]
        elif kind == "overwrite":
            chunk = draw(st.binary(min_size=1, max_size=8))
            data = data[:at] + chunk + data[at + len(chunk) :]
        else:
            data = draw(st.sampled_from([codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE])) + data
    return data


# ---------------------------------------------------------------------------------------------
# ClinicalTrials.gov API v2 JSON: mutate the decoded tree of a real study

JSON_STUDIES = ["ctgov_api_v2/NCT00444327.json", "ctgov_api_v2/NCT02782533.json", "ctgov_api_v2/NCT02440776.json"]


def _json_paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _json_paths(child, (*path, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from _json_paths(child, (*path, i))


def _at(value, path):
    for step in path:
        value = value[step]
    return value


@st.composite
def mutated_json_study(draw):
    study = json.loads(_fixture(draw(st.sampled_from(JSON_STUDIES))))
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p in _json_paths(study) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, key = _at(study, path[:-1]), path[-1]
        op = draw(st.sampled_from(["drop", "replace", "duplicate", "reorder", "nest"]))
        if op == "drop":
            del parent[key]
        elif op == "replace":
            parent[key] = draw(JUNK_JSON)
        elif op == "duplicate" and isinstance(parent, list):
            parent.insert(key, json.loads(json.dumps(parent[key])))
        elif op == "reorder" and isinstance(parent, dict):
            items = list(parent.items())
            parent.clear()
            parent.update(draw(st.permutations(items)))
        elif op == "nest":
            parent[key] = [[[{"a": [parent[key]]}]]] * draw(st.integers(1, 3))
    shape = draw(st.sampled_from(["study", "list", "page", "lines"]))
    if shape == "list":
        text = json.dumps([study, study])
    elif shape == "page":
        text = json.dumps({"studies": [study], "nextPageToken": draw(JUNK_JSON)})
    elif shape == "lines":
        text = json.dumps(study) + "\n" + json.dumps(study)[: draw(st.integers(0, 500))] + "\n"
    else:
        text = json.dumps(study, ensure_ascii=draw(st.booleans()))
    return draw(damaged_bytes(encoded(text, draw(ENCODINGS))))


@FUZZ
@given(mutated_json_study())
def test_ctgov_json_mutations_of_real_studies(data):
    outcomes(data, "ctgov_api_v2_json")


def test_ctgov_json_type_errors_name_their_path():
    study = json.loads(_fixture(JSON_STUDIES[0]))
    study["protocolSection"]["designModule"]["phases"] = {"not": "a list"}
    [error] = outcomes(json.dumps(study).encode(), "ctgov_api_v2_json")
    assert isinstance(error, ParseError)
    assert "protocolSection.designModule.phases: expected a list, got dict" in str(error)


# ---------------------------------------------------------------------------------------------
# Legacy CT.gov XML: mutate the element tree of a real study

XML_STUDIES = ["ctgov_legacy_xml/NCT00000246.xml", "ctgov_legacy_xml/NCT00004296.xml"]


@st.composite
def mutated_xml_study(draw):
    root = ElementTree.fromstring(_fixture(draw(st.sampled_from(XML_STUDIES))))  # our own fixture
    for _ in range(draw(st.integers(1, 4))):
        parents = [(parent, child) for parent in root.iter() for child in parent]
        parent, child = draw(st.sampled_from(parents))
        op = draw(st.sampled_from(["drop", "duplicate", "text", "attribute", "nest", "move"]))
        if op == "drop":
            parent.remove(child)
        elif op == "duplicate":
            parent.append(copy.deepcopy(child))
        elif op == "text":
            child.text = draw(JUNK_TEXT).replace("\ud800", "")
        elif op == "attribute":
            child.set(draw(st.sampled_from(["type", "rank", "x"])), draw(st.sampled_from(["", "Actual", "é" * 50])))
        elif op == "nest":
            for _ in range(draw(st.integers(1, 200))):
                child = ElementTree.SubElement(child, child.tag)
        else:
            parent.remove(child)
            root.insert(draw(st.integers(0, len(root))), child)
    encoding = draw(st.sampled_from(["utf-8", "utf-16", "latin-1", "us-ascii"]))
    data = ElementTree.tostring(root, encoding=encoding, xml_declaration=draw(st.booleans()))
    return draw(damaged_bytes(data))


@FUZZ
@given(mutated_xml_study())
def test_ctgov_xml_mutations_of_real_studies(data):
    outcomes(data, "ctgov_legacy_xml")


@FUZZ
@given(
    st.sampled_from(
        [
            '<!DOCTYPE clinical_study [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
            '<!DOCTYPE clinical_study [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;">]>',
            '<!DOCTYPE clinical_study SYSTEM "http://example.org/x.dtd">',
            '<!DOCTYPE clinical_study [<!ENTITY % p SYSTEM "http://example.org/p">%p;]>',
        ]
    ),
    st.sampled_from(["&x;", "&b;", "", "&amp;"]),
)
def test_xml_with_a_doctype_is_refused(doctype, reference):
    text = _fixture(XML_STUDIES[0]).decode()
    text = text.replace("<clinical_study", doctype + "\n<clinical_study", 1)
    text = text.replace("<brief_title>", "<brief_title>" + reference, 1)
    [error] = outcomes(text.encode(), "ctgov_legacy_xml")
    assert isinstance(error, ParseError) and "refused" in str(error)


# ---------------------------------------------------------------------------------------------
# CT.gov CSV exports: ragged rows, stray quotes, wrong delimiters, junk cells

CSV_EXPORTS = ["ctgov_csv/urology_ctg-studies.csv", "ctgov_csv/legacy_SearchResults.tsv", "same_trial/NCT00498680.csv"]


@st.composite
def mutated_csv_export(draw):
    name = draw(st.sampled_from(CSV_EXPORTS))
    delimiter = "\t" if name.endswith(".tsv") else ","
    rows = list(csv.reader(io.StringIO(_fixture(name).decode("utf-8-sig"), newline=""), delimiter=delimiter))
    for _ in range(draw(st.integers(1, 4))):
        r = draw(st.integers(0, len(rows) - 1))
        op = draw(st.sampled_from(["cell", "drop_cell", "add_cell", "swap_columns", "drop_row", "duplicate_row"]))
        if op == "cell" and rows[r]:
            rows[r][draw(st.integers(0, len(rows[r]) - 1))] = draw(JUNK_TEXT).replace("\ud800", "")
        elif op == "drop_cell" and rows[r]:
            del rows[r][draw(st.integers(0, len(rows[r]) - 1))]
        elif op == "add_cell":
            rows[r].append(draw(JUNK_TEXT).replace("\ud800", ""))
        elif op == "swap_columns" and len(rows[0]) > 1:
            i, j = draw(st.integers(0, len(rows[0]) - 1)), draw(st.integers(0, len(rows[0]) - 1))
            for row in rows:
                if max(i, j) < len(row):
                    row[i], row[j] = row[j], row[i]
        elif op == "drop_row" and len(rows) > 1:
            del rows[r]
        elif op == "duplicate_row":
            rows.insert(r, list(rows[r]))
    out = io.StringIO()
    csv.writer(
        out,
        delimiter=draw(st.sampled_from([delimiter, ";", "|"])),
        lineterminator=draw(st.sampled_from(["\n", "\r\n", "\r"])),
    ).writerows(rows)
    text = out.getvalue()
    for _ in range(draw(st.integers(0, 2))):  # unbalanced quotes
        at = draw(st.integers(0, len(text)))
        text = text[:at] + '"' + text[at:]
    return draw(damaged_bytes(encoded(text, draw(ENCODINGS))))


@FUZZ
@given(mutated_csv_export())
def test_ctgov_csv_mutations_of_real_exports(data):
    outcomes(data, "ctgov_csv")
