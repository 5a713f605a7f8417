"""JSON plumbing for the parsers of JSON sources, with no knowledge of any one format.

- ``decode``: bytes to text (UTF-8 with or without BOM, UTF-16 with BOM or by its zero bytes);
- ``array_spans`` / ``member_span``: where each element of an array (or one member of an object)
  starts and ends in the text, so a split record keeps its own text exactly;
- ``Node``: typed access to a decoded object whose errors name the JSON path
  (``protocolSection.designModule.phases: expected a list, got str``).
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterable
from functools import cache

from trials.ingest.records import ParseError

DECODER = json.JSONDecoder()
_WHITESPACE = " \t\n\r"


def decode(data: bytes, *, errors: str = "strict") -> str:
    """The text of JSON bytes; ``errors="ignore"`` for a head that may end inside a character."""
    try:
        return _decode(data, errors)
    except UnicodeDecodeError as exc:
        raise ParseError(
            f"not UTF-8 or UTF-16 text: invalid byte at offset {exc.start} ({exc.encoding}: {exc.reason})"
        ) from None


def _decode(data: bytes, errors: str) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors)
    # JSON text starts with an ASCII character, so UTF-16 without a BOM shows a zero byte beside it.
    if len(data) >= 2 and data[0] == 0 and data[1] != 0:
        return data.decode("utf-16-be", errors)
    if len(data) >= 2 and data[0] != 0 and data[1] == 0:
        return data.decode("utf-16-le", errors)
    return data.decode("utf-8", errors)


def loads(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(json_error(exc)) from None
    except RecursionError:
        raise ParseError(TOO_DEEP) from None
    except ValueError:  # int() refuses a number of more than 4,300 digits
        raise ParseError(TOO_LONG_NUMBER) from None


# Python's JSON decoder recurses once per nested list or object; a CT.gov study nests fewer than ten.
TOO_DEEP = "not valid JSON: lists or objects nested too deeply to read (CT.gov records nest fewer than ten levels)"
TOO_LONG_NUMBER = "not valid JSON: a number too long to read (more than 4,300 digits)"


def json_error(exc: json.JSONDecodeError) -> str:
    return f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"


def position(text: str, pos: int) -> str:
    line = text.count("\n", 0, pos) + 1
    column = pos - text.rfind("\n", 0, pos)
    return f"line {line} column {column}"


def skip_whitespace(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _WHITESPACE:
        pos += 1
    return pos


def value_end(text: str, pos: int) -> int:
    """End offset of the JSON value starting at ``pos``; ParseError (with line and column) if invalid."""
    try:
        return DECODER.raw_decode(text, pos)[1]
    except json.JSONDecodeError as exc:
        raise ParseError(json_error(exc)) from None
    except RecursionError:
        raise ParseError(TOO_DEEP) from None
    except ValueError:
        raise ParseError(TOO_LONG_NUMBER) from None


def array_spans(text: str, pos: int) -> list[tuple[int, int]]:
    """``(start, end)`` of each element of the array that starts at ``pos``."""
    spans = []
    pos = skip_whitespace(text, pos + 1)  # past "["
    if text.startswith("]", pos):
        return spans
    while True:
        end = value_end(text, pos)
        spans.append((pos, end))
        pos = skip_whitespace(text, end)
        if text.startswith("]", pos):
            return spans
        if not text.startswith(",", pos):
            raise ParseError(f"not valid JSON: expected ',' or ']' at {position(text, pos)}")
        pos = skip_whitespace(text, pos + 1)


def member_span(text: str, pos: int, key: str) -> tuple[int, int] | None:
    """``(start, end)`` of the value of ``key`` in the object that starts at ``pos``."""
    pos = skip_whitespace(text, pos + 1)  # past "{"
    while pos < len(text) and text[pos] != "}":
        name, pos = DECODER.raw_decode(text, pos)
        pos = skip_whitespace(text, skip_whitespace(text, pos) + 1)  # past ":"
        end = value_end(text, pos)
        if name == key:
            return pos, end
        pos = skip_whitespace(text, skip_whitespace(text, end) + 1)  # past ","
    return None


def json_type(value) -> str:
    return type(value).__name__


class Node:
    """A JSON object and its path, read through getters that check each value's type.

    A missing key or ``null`` reads as absent (``None``, ``""``, ``[]`` or an empty ``Node``);
    a value of another type raises ``ParseError`` naming its path. Unknown keys are ignored.
    """

    __slots__ = ("data", "path")

    def __init__(self, data: dict, path: str = ""):
        self.data = data
        self.path = path

    def __bool__(self) -> bool:
        return bool(self.data)

    def where(self, key: str | int) -> str:
        if isinstance(key, int):
            return f"{self.path}[{key}]"
        return f"{self.path}.{key}" if self.path else key

    def _get(self, key: str, types: type | tuple, expected: str):
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in _as_tuple(types)):
            raise ParseError(f"{self.where(key)}: expected {expected}, got {json_type(value)}")
        return value

    def obj(self, key: str) -> Node:
        return Node(self._get(key, dict, "an object") or {}, self.where(key))

    def objs(self, key: str) -> list[Node]:
        items = self._get(key, list, "a list") or []
        path = self.where(key)
        nodes = []
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise ParseError(f"{path}[{i}]: expected an object, got {json_type(item)}")
            nodes.append(Node(item, f"{path}[{i}]"))
        return nodes

    def text(self, key: str) -> str:
        return self._get(key, str, "a string") or ""

    def texts(self, key: str) -> list[str]:
        items = self._get(key, list, "a list") or []
        for i, item in enumerate(items):
            if not isinstance(item, str):
                raise ParseError(f"{self.where(key)}[{i}]: expected a string, got {json_type(item)}")
        return items

    def integer(self, key: str) -> int | None:
        value = self._get(key, (int, float), "an integer")
        if isinstance(value, float):
            if not value.is_integer():
                raise ParseError(f"{self.where(key)}: expected an integer, got {value!r}")
            value = int(value)
        return value

    def number(self, key: str) -> float | None:
        value = self._get(key, (int, float), "a number")
        return None if value is None else float(value)

    def boolean(self, key: str) -> bool | None:
        return self._get(key, bool, "true or false")

    def choice(self, key: str, choices) -> str | None:
        """A value of a ``TextChoices`` enumeration; ParseError lists the allowed values."""
        value = self.text(key)
        if not value:
            return None
        return _checked(value, choices, self.where(key))

    def choice_list(self, key: str, choices) -> list[str]:
        return [_checked(value, choices, f"{self.where(key)}[{i}]") for i, value in enumerate(self.texts(key))]


def _as_tuple(types) -> tuple:
    return types if isinstance(types, tuple) else (types,)


def _checked(value: str, choices, path: str) -> str:
    if value not in _allowed(choices):
        allowed: Iterable[str] = choices.values
        raise ParseError(f"{path}: unknown value {value!r} (allowed: {', '.join(allowed)})")
    return value


@cache
def _allowed(choices) -> frozenset[str]:
    """A ``TextChoices``' values as a set: Django builds ``choices.values`` as a new list on each
    read, which cost a tenth of a CT.gov study's parse (a study reads about 25 choices)."""
    return frozenset(choices.values)
