"""Saved pages cut off anywhere yield what they hold and nothing they do not.

Every page fixture is cut at 150 points; each cut either fails cleanly (cut before the page says
what it is) or gives a record whose items are all items of the whole page's record: a
half-saved last line never becomes a site, an intervention, an outcome or a keyword.
"""

import pytest

from tests.conftest import FIXTURES
from trials.ingest.parsers import ctgov_page, field_dump, veeva_page
from trials.ingest.records import ParseError

PAGES = [
    (ctgov_page, "ctgov_page/NCT05289856_pipe_tables.txt"),
    (ctgov_page, "ctgov_page/NCT05289856_classic.html"),
    (ctgov_page, "ctgov_page/NCT05289856_layout_tables.txt"),
    (ctgov_page, "ctgov_page/NCT01006616_pre2017.txt"),
    (veeva_page, "veeva_page/001_6d5f8ce496a4989a.txt"),
    (veeva_page, "veeva_page/001_reconstructed.html"),
    (veeva_page, "veeva_page/reconstructed_sites_and_arms.txt"),
    (field_dump, "field_dump/ivonescimab.txt"),
]
ITEMS = {
    "sites": lambda s: s.facility,
    "outcomes": lambda o: o.measure,
    "arms": lambda a: a.label,
    "interventions": lambda i: i.name,
    "conditions": str,
    "keywords": str,
    "central_contacts": lambda c: c.name,
    "registry_ids": lambda r: r.value,
}


@pytest.mark.parametrize(("parser", "name"), PAGES, ids=[name for _, name in PAGES])
def test_a_page_cut_anywhere_holds_only_facts_of_the_whole_page(parser, name):
    data = (FIXTURES / name).read_bytes()
    whole = parser.parse(data)
    parsed = 0
    for i in range(1, 150):
        try:
            record = parser.parse(data[: len(data) * i // 150])
        except ParseError:
            # Only a cut before the page says what it is (its id, its first section, a dump's
            # interventions line) may fail; those come in the first part of each file.
            assert i < 60, f"a cut at {i}/150 failed"
            continue
        parsed += 1
        for field, key in ITEMS.items():
            known = {key(item) for item in getattr(whole, field)}
            extra = [key(item) for item in getattr(record, field) if key(item) not in known]
            assert extra == [], (i, field, extra)
        assert record.brief_title in ("", whole.brief_title) or whole.brief_title.startswith(record.brief_title)
    assert parsed > 80
