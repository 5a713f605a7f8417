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

from trials.ingest.parsers import ctgov_json

PARSERS: dict[str, ModuleType] = {module.FORMAT: module for module in (ctgov_json,)}


def parser_for(format: str) -> ModuleType:
    try:
        return PARSERS[format]
    except KeyError:
        known = ", ".join(sorted(PARSERS))
        raise ValueError(f"unknown format {format!r} (known: {known})") from None
