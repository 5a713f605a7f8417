"""Fuzzing the text formats (saved pages, field dumps) and raw input, with hypothesis.

Pages and dumps are real fixtures with lines shuffled, dropped, duplicated or replaced, and HTML
pages with random tag soup put around their sections; raw bytes and text go through format
detection and through each parser named directly. The property and settings are
``test_fuzz_parsers``': records or a clear ``ParseError``, derandomized, no example database.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.ingest.test_fuzz_parsers import (
    _LONG_RUN,
    ENCODINGS,
    FUZZ,
    JUNK_TEXT,
    _fixture,
    _warm_vocabularies,  # noqa: F401 - autouse: the vocabularies load before the first deadline
    damaged_bytes,
    encoded,
    outcomes,
)

# ---------------------------------------------------------------------------------------------
# Saved pages (classic CT.gov, Veeva) and field dumps: lines shuffled, dropped, wrapped in tag soup

PAGES = {
    "ctgov_page": ["ctgov_page/NCT01006616_pre2017.txt", "ctgov_page/NCT05289856_layout_tables.txt"],
    "veeva_page": ["veeva_page/001_6d5f8ce496a4989a.txt", "veeva_page/reconstructed_sites_and_arms.txt"],
    "field_dump": ["field_dump/ivonescimab.txt"],
}
HTML_PAGES = {
    "ctgov_page": ["ctgov_page/NCT05289856_classic.html"],
    "veeva_page": ["veeva_page/001_reconstructed.html"],
}
TAGS = ["div", "p", "table", "tr", "td", "th", "li", "ul", "ol", "pre", "script", "style", "br", "span", "h2", "svg"]
TAG_SOUP = st.lists(
    st.one_of(
        st.sampled_from(TAGS).map(lambda t: f"<{t}>"),
        st.sampled_from(TAGS).map(lambda t: f"</{t}>"),
        st.sampled_from(["<", "<!--", "<![CDATA[", "&#x110000;", "&#0;", "&bogus;", "<td colspan=99>", "|", "\t"]),
        JUNK_TEXT,
    ),
    max_size=8,
).map("".join)


@st.composite
def mutated_page(draw, format: str):
    lines = _fixture(draw(st.sampled_from(PAGES[format]))).decode("utf-8").split("\n")
    for _ in range(draw(st.integers(1, 5))):
        if not lines:  # all cut away: an empty page is one more input
            break
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["drop", "duplicate", "move", "junk", "pipes", "cut"]))
        if op == "drop" and len(lines) > 1:
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "move":
            lines.insert(draw(st.integers(0, len(lines))), lines.pop(i))
        elif op == "junk":
            lines.insert(i, draw(JUNK_TEXT))
        elif op == "pipes":
            lines[i] = " | ".join(lines[i].split()) + " |"
        else:
            lines = lines[:i]
    return draw(damaged_bytes(encoded("\n".join(lines), draw(ENCODINGS))))


@st.composite
def mutated_html_page(draw, format: str):
    html = _fixture(draw(st.sampled_from(HTML_PAGES[format]))).decode("utf-8")
    tags = [m.start() for m in re.finditer("<", html)]
    for _ in range(draw(st.integers(1, 5))):
        at = draw(st.sampled_from(tags))
        html = html[:at] + draw(TAG_SOUP) + html[at:]
    if draw(st.booleans()):
        html = html[: draw(st.integers(0, len(html)))]
    return encoded(html, draw(ENCODINGS))


@FUZZ
@given(st.data())
def test_page_and_dump_mutations_of_real_records(data):
    format = data.draw(st.sampled_from(sorted(PAGES)))
    outcomes(data.draw(mutated_page(format)), format)


@FUZZ
@given(st.data())
def test_html_pages_in_tag_soup(data):
    format = data.draw(st.sampled_from(sorted(HTML_PAGES)))
    outcomes(data.draw(mutated_html_page(format)), format)


# ---------------------------------------------------------------------------------------------
# Raw input through detection, and through each parser named by --format

FORMATS = ["ctgov_api_v2_json", "ctgov_legacy_xml", "ctgov_csv", "ctgov_page", "veeva_page", "field_dump"]
# The first bytes that make detection pick each parser, so random tails reach the parsers.
HEADS = [
    b'{"protocolSection": ',
    b"[",
    b'{"studies": [',
    b"<clinical_study>",
    b"NCT Number,Study Title,",
    b"ClinicalTrials.Veeva\nStatus and phase\nConditions\n",
    b"ClinicalTrials.gov Identifier: NCT01234567\n",
    b"<html><body><table><tr><td>",
]


@settings(FUZZ, max_examples=_LONG_RUN or 150)
@given(st.sampled_from([b"", *HEADS]), st.one_of(st.binary(max_size=2000), st.text(max_size=500).map(str.encode)))
def test_raw_bytes_through_detection(head, tail):
    outcomes(head + tail)


@settings(FUZZ, max_examples=_LONG_RUN or 150)
@given(st.sampled_from(FORMATS), st.one_of(st.binary(max_size=2000), st.text(max_size=500).map(str.encode)))
def test_raw_bytes_through_each_parser(format, data):
    outcomes(data, format)


@FUZZ
@given(st.sampled_from(FORMATS), st.text(max_size=300), ENCODINGS)
def test_text_in_any_encoding_through_each_parser(format, text, encoding):
    outcomes(encoded(text, encoding), format)
