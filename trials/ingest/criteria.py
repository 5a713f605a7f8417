"""Split a registry's eligibility text into inclusion and exclusion items.

Registries write eligibility as free text under headers ("Inclusion Criteria:", "Key Exclusion
Criteria", "EXCLUSION CRITERIA"), with items bulleted (``*``, ``-``, ``•``), numbered (``1.``,
``1)``, ``(1)``, ``a.``) or as plain paragraphs. The list holds top-level items only: a nested
item (indented deeper, or in another bullet style under an item ending with ":") is folded into
its parent, so "9. Adequate organ function as defined below:" with seven bullets is one item.

Without an inclusion or exclusion header nothing is split: the lists stay empty rather than
guessing which kind an item is. Text before the first header (e.g. "Cohort 1") is not an item.
``normalize.split_criteria`` is the entry point; this module only reads the structure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HEADER = re.compile(
    r"""(?ix)
    [-*•·]?\s*(?:\(?\d{1,2}[.)]\s+|\(?[a-z][.)]\s+)?       # "* ", "1. ", "D) " before some headers
    (?:(?!(?:not?|meets?|meeting|met|fulfill?(?:s|ing)?|the|any|all|see|per|as|with|without|and|or)\s)
       [a-z][\w-]*\s+){0,2}                                  # "Key", "Family", "Main Patient"
    (?P<kind>inclusion|exclusion)s?
    (?:
        \s+criteri(?:a|on)\b[^:]{0,60}(?P<colon>:)             # "Inclusion criteria were as follows:"
      | (?P<criteria>\s+criteri(?:a|on))
        (?:\s*\([^)]*\)|\s+(?:for|in|of)\s[^:]{0,60})?       # "(Controls)", "for the control group"
        \s*(?P<sep>[.-])?
      | \s*(?P<bare_colon>:)                                   # "Exclusion:"
    )?
    \s*(?P<rest>.*)
    """
)
# "Inclusion Criteria:- Males ...  Exclusion Criteria:- ...": a whole list written on one line.
_INLINE_HEADER = re.compile(r"(?i)\s(?=(?:inclusion|exclusion)\s+criteria\s*:)")
_MARKER = re.compile(
    r"""(?x)
    (?P<indent>[ ]*)
    (?:
        (?P<bullet>[*\-•·▪◦●○o+\u2013])
      | (?P<dotted>\d{1,2}(?:\.\d{1,2})+)\.?
      | (?P<num>\d{1,3})\\?(?P<num_end>[.)])                   # "1\." is Markdown's escaped "1."
      | \((?P<pnum>\d{1,3})\)
      | (?P<roman>(?:ii|iii|iv|vi|vii|viii|ix|xi|xii)|(?:II|III|IV|VI|VII|VIII|IX|XI|XII))(?P<roman_end>[.)])
      | (?P<alpha>[a-zA-Z])(?P<alpha_end>[.)])
      | \((?P<palpha>[a-zA-Z]{1,4})\)
    )
    \s+(?P<text>\S.*)
    """
)


@dataclass
class _Line:
    indent: int
    text: str
    family: str | None = None  # the marker's style ("*", "1.", "a)"...), None for a plain line
    number: int | None = None  # of a numbered marker
    after_blank: bool = False


@dataclass
class _Item:
    parts: list[str]
    children: list[list[str]] = field(default_factory=list)

    def text(self) -> str:
        parent = " ".join(" ".join(self.parts).split())
        children = [" ".join(" ".join(child).split()).rstrip(" ;") for child in self.children]
        children = [child for child in children if child]
        if not children:
            return parent
        joined = "; ".join(children)
        if not parent:
            return joined
        return f"{parent} {joined}" if parent.endswith(":") else f"{parent}; {joined}"


def criteria_items(criteria: str) -> tuple[list[str], list[str]]:
    """``(inclusion_items, exclusion_items)`` of eligibility text already cleaned by ``clean_text``."""
    inclusion: list[str] = []
    exclusion: list[str] = []
    kind, section = None, []
    for raw in _lines(criteria):
        header = _header(raw)
        if header is None:
            section.append(raw)
            continue
        if kind:
            (inclusion if kind == "inclusion" else exclusion).extend(_items(_without_heading(section)))
        kind, rest = header
        section = [rest] if rest else []
    if kind:
        (inclusion if kind == "inclusion" else exclusion).extend(_items(section))
    return inclusion, exclusion


def _lines(criteria: str):
    for line in criteria.split("\n"):
        header = _header(line)
        if header and header[1] and _INLINE_HEADER.search(header[1]):
            yield from _INLINE_HEADER.split(line)
        else:
            yield line


def _header(line: str) -> tuple[str, str] | None:
    """``(kind, text after the header)`` when the line is an inclusion or exclusion header."""
    stripped = line.strip()
    match = _HEADER.fullmatch(stripped)
    if not match or len(stripped) - len(match["rest"]) > 100:
        return None
    rest = match["rest"].strip()
    if rest and not (match["colon"] or match["bare_colon"] or match["sep"] == "-"):
        return None  # "Exclusion of patients with ...", "Not meeting inclusion criteria"
    if not rest and not (match["colon"] or match["bare_colon"] or match["criteria"]) and stripped[-1:] != "s":
        return None  # a bare "Inclusion" is not a header, "Other Exclusions" is
    return match["kind"].lower(), rest


def _parse_line(raw: str, after_blank: bool) -> _Line:
    indent = len(raw) - len(raw.lstrip(" "))
    match = _MARKER.fullmatch(raw)
    if not match:
        return _Line(indent, raw.strip(), after_blank=after_blank)
    family, number = _family(match)
    return _Line(indent, match["text"].strip(), family, number, after_blank)


def _family(match: re.Match) -> tuple[str, int | None]:
    if match["bullet"]:
        return match["bullet"], None
    if match["dotted"]:
        return "1.1", None
    if match["num"]:
        return f"1{match['num_end']}", int(match["num"])
    if match["pnum"]:
        return "(1)", int(match["pnum"])
    if match["roman"]:
        return ("i" if match["roman"].islower() else "I") + match["roman_end"], None
    if match["alpha"]:
        return ("a" if match["alpha"].islower() else "A") + match["alpha_end"], None
    return "(a)", None


def _without_heading(raw_lines: list[str]) -> list[str]:
    """The section without its last paragraph when that is a short unmarked line after a list:
    it names the next section ("Cohort 2" before "Inclusion Criteria:"), it is not an item."""
    lines = [line for line in raw_lines if line.strip()]
    if len(lines) < 2 or not any(_MARKER.fullmatch(line) for line in lines):
        return raw_lines
    last = lines[-1]
    if _MARKER.fullmatch(last) or last != last.lstrip() or len(last) > 50 or last.rstrip().endswith("."):
        return raw_lines
    end = len(raw_lines) - 1 - raw_lines[::-1].index(last)
    if end == 0 or raw_lines[end - 1].strip():
        return raw_lines  # no blank line before it: it continues the list
    return raw_lines[:end]


def _items(raw_lines: list[str]) -> list[str]:
    lines, blank = [], False
    for raw in raw_lines:
        if not raw.strip():
            blank = True
            continue
        lines.append(_parse_line(raw, blank))
        blank = False
    if not any(line.family for line in lines):
        return _paragraph_items(lines)
    items = _list_items(lines)
    # "Patients must meet all of the following:" over a nested list is a lead-in, not the one item.
    if len(items) == 1 and items[0].parts and items[0].parts[-1].endswith(":") and len(items[0].children) > 1:
        items = [_Item(child) for child in items[0].children]
    return [text for item in items if (text := item.text())]


def _paragraph_items(lines: list[_Line]) -> list[str]:
    """Unmarked items: one per paragraph, or one per line when each line is complete in itself
    (hard-wrapped lines, which break mid-sentence, are joined)."""
    items: list[list[str]] = []
    for line in lines:
        if not items or line.after_blank or _is_complete(items[-1][-1]):
            items.append([])
        items[-1].append(line.text)
    texts = [" ".join(" ".join(parts).split()) for parts in items]
    return [text for text in texts if not _is_heading(text)]


def _is_complete(text: str) -> bool:
    return text.endswith((".", ";", ":", "?", "!")) or len(text) < 60


def _list_items(lines: list[_Line]) -> list[_Item]:
    items: list[_Item] = []
    top_family = top_indent = None
    last_number = 0
    child_family = child_indent = None
    for i, line in enumerate(lines):
        current = items[-1] if items else None
        if line.family is None:
            if current is None or (line.indent <= (top_indent or 0) and line.after_blank):
                # A paragraph outside the list: a sub-heading ("Cohort A:", or a short label over
                # a list such as "Part 2 (Cohorts D to G)") or an item of its own.
                following = lines[i + 1] if i + 1 < len(lines) else None
                is_label = following is not None and following.family is not None and _is_label(line.text)
                if not (_is_heading(line.text) or is_label):
                    items.append(_Item([line.text]))
                    child_family = None
                continue
            in_child = child_family is not None and current.children and line.indent >= (child_indent or 0)
            (current.children[-1] if in_child else current.parts).append(line.text)
            continue
        if top_family is None:
            top_family, top_indent = line.family, line.indent
        if current is None or _is_top(line, top_family, top_indent, last_number, child_family, current):
            items.append(_Item([line.text]))
            child_family = child_indent = None
            if line.number is not None and line.family == top_family:
                last_number = line.number
            continue
        current.children.append([line.text])
        if child_family is None:
            child_family, child_indent = line.family, line.indent
    return items


def _is_heading(text: str) -> bool:
    return text.endswith(":") and len(text) <= 120


def _is_label(text: str) -> bool:
    return len(text) <= 60 and not text.endswith((".", ";", "?", "!"))


def _is_top(line: _Line, top_family, top_indent, last_number, child_family, current: _Item) -> bool:
    if line.family == top_family:
        if line.indent <= top_indent + 1:
            return True
        # "  11." after a bullet list nested under "10. ...:" continues the top numbering.
        return child_family != top_family and line.number == last_number + 1
    if line.indent > top_indent:
        return False
    # Another style at the top indentation: nested under an item that announces a list, or
    # continuing such a nested run; otherwise a sibling written in another style.
    if child_family == line.family:
        return False
    last = current.children[-1][-1] if current.children else current.parts[-1] if current.parts else ""
    return not last.endswith(":")
