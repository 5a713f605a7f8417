"""Parsers: each module turns raw source bytes into ``TrialRecord``s, with no ORM and no I/O.

Every parser module exposes:

- ``FORMAT``: its ``choices.SourceFormat`` value;
- ``VERSION``: bumped whenever its output changes, so unchanged sources are re-parsed;
- ``sniff(head: bytes) -> bool``: whether the first bytes look like this format;
- ``split(source: RawSource) -> Iterator[RawSource]``: the records a unit holds, each with
  its own raw bytes and origin (raises ``ParseError`` when the unit itself is unreadable);
- ``parse(data: bytes) -> TrialRecord``: one record (raises ``ParseError``).
"""

from types import ModuleType

from trials.ingest.parsers import ctgov_csv, ctgov_json, ctgov_page, ctgov_xml, field_dump, veeva_page

# In the order detection asks them: the most specific shapes first, the field dump (plain text
# recognised only by its lines) last.
PARSERS: dict[str, ModuleType] = {
    module.FORMAT: module for module in (ctgov_json, ctgov_xml, veeva_page, ctgov_page, ctgov_csv, field_dump)
}


def parser_for(format: str) -> ModuleType:
    try:
        return PARSERS[format]
    except KeyError:
        known = ", ".join(sorted(PARSERS))
        raise ValueError(f"unknown format {format!r} (known: {known})") from None
