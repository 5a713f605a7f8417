"""Pick the parser for a raw unit from its first bytes."""

from trials.ingest.parsers import PARSERS
from trials.ingest.records import ParseError, RawSource

SNIFF_BYTES = 64 * 1024


def detect_format(unit: RawSource) -> str:
    head = unit.data[:SNIFF_BYTES]
    if not head.strip():
        raise ParseError("empty file")
    for format, parser in PARSERS.items():
        if parser.sniff(head):
            return format
    known = ", ".join(PARSERS)
    raise ParseError(f"unrecognised format (known: {known}); name one with --format")
