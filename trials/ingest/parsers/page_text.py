"""A saved web page's HTML as the text a person sees: one block per line, table rows as pipe rows.

Saved study pages reach us both ways: as HTML ("Save page as") and as text copied from the
browser or converted by a tool. Turning the HTML into the same line shape as the saved text
lets one reader per site handle both: block elements (``p``, ``div``, ``h1`` to ``h6``, ``li``,
``tr``, ``dt``/``dd`` ...) start a new line, a table row becomes ``cell | cell |`` (as the saved
text versions of ClinicalTrials.gov pages write them), list items get a ``- `` bullet (nested
items indented two spaces a level, so eligibility sub-items stay under their item), and scripts,
styles and other invisible content are dropped. Entities are decoded; markup inside text
(``<script>`` written in a title) stays text, because nothing here is rendered.

The standard library's ``HTMLParser`` is used: it expands no custom entities and fetches
nothing, so hostile input costs only linear time.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from trials.ingest.records import ParseError

_BLOCK = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "caption",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "ul",
    ]
)
_INVISIBLE = frozenset(
    ["script", "style", "noscript", "template", "head", "svg", "iframe", "object", "button", "select", "option"]
)
_VOID = frozenset(
    ["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"]
)
_CUT_TAG = re.compile(r"<[^<>]*\Z")
_HTML_END = re.compile(r"</(?:html|body)\s*>\s*\Z", re.I)
_HTML_HINT = re.compile(rb"<\s*(?:!doctype\s+html|html|head|body|div|table|p)\b", re.I)


def looks_like_html(head: bytes) -> bool:
    return bool(_HTML_HINT.search(head[:4096]))


def html_to_text(html: str) -> str:
    """The visible text of ``html``, one block per line, table rows as ``a | b |``."""
    parser = _TextParser()
    # A page cut off inside a tag ('<span style="di') would otherwise end as that text.
    parser.feed(_CUT_TAG.sub("", html))
    parser.close()
    return parser.text()


class _TextParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self._lines: list[str] = []
        self._line: list[str] = []
        self._hidden = 0  # depth inside invisible elements
        self._cells: list[list[str]] | None = None  # cells of the table row being read
        self._pre = 0
        self._lists = 0  # depth inside ul/ol: a nested item is indented two spaces per level
        self._marker = ""  # a list item's bullet, waiting for the item's first text

    # Lines -------------------------------------------------------------------------------
    def _break(self):
        if self._cells is not None:
            return  # inside a row everything stays in its cell
        text = "".join(self._line)
        text = text if self._pre else " ".join(text.split())
        if text.strip():
            # The bullet goes on the item's first line of text, also when that sits in a <p>.
            self._lines.append((self._marker + text).rstrip())
            self._marker = ""
        self._line = []

    def _write(self, data: str):
        if self._cells is not None:
            if not self._cells:
                if not data.strip():
                    return  # markup indentation between <tr> and its first cell
                self._cells.append([])
            self._cells[-1].append(data)
        else:
            self._line.append(data)

    def _block_edge(self):
        """A block starts or ends: a new line, or inside a table cell a line break in the cell."""
        if self._cells is not None:
            self._write("\n")
        else:
            self._break()

    # HTMLParser hooks -------------------------------------------------------------------
    def handle_starttag(self, tag, attrs):
        if tag in _INVISIBLE:
            if tag not in _VOID:
                self._hidden += 1
            return
        if self._hidden:
            return
        if tag == "tr":
            self._break()
            self._cells = []
        elif tag in ("td", "th") and self._cells is not None:
            self._cells.append([])
        elif tag == "br":
            self._block_edge()
        elif tag == "pre":
            self._break()
            self._pre += 1
        elif tag in _BLOCK:
            self._block_edge()
            if tag in ("ul", "ol"):
                self._lists += 1
            if tag == "li":
                if self._cells is not None:
                    self._write("- ")
                else:
                    self._marker = "  " * max(0, self._lists - 1) + "- "

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in _INVISIBLE:
            self._hidden = max(0, self._hidden - 1)
            return
        if self._hidden:
            return
        if tag == "tr" and self._cells is not None:
            cells = [_cell_text(parts) for parts in self._cells]
            self._cells = None
            if any(cells):
                self._lines.append(" | ".join(cells) + " |")
        elif tag == "pre":
            self._break()
            self._pre = max(0, self._pre - 1)
        elif tag in _BLOCK:
            self._block_edge()
            if tag in ("ul", "ol"):
                self._lists = max(0, self._lists - 1)

    def handle_data(self, data):
        if not self._hidden:
            self._write(data)

    def text(self) -> str:
        if self._cells is not None:  # a page cut off inside a table row
            cells = [_cell_text(parts) for parts in self._cells]
            self._cells = None
            if any(cells):
                self._lines.append(" | ".join(cells) + " |")
        self._break()
        return "\n".join(self._lines)


def _cell_text(parts: list[str]) -> str:
    """A cell's text; line breaks inside a cell (``<br>``, nested blocks) are kept as newlines."""
    lines = (" ".join(line.split()) for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def html_is_whole(html: str) -> bool:
    """Whether saved HTML runs to its end (``</html>``): if not, its last text line may be cut."""
    return bool(_HTML_END.search(html[-200:]))


def without_cut_line(text: str, *, whole: bool) -> str:
    """``text`` without its last line unless the page is known ``whole``.

    Nothing marks where a page saved part-way stopped: its last line may hold half a value
    ("Drug: QL17", "Sponsors and Collabo"), which would read as a fact the page does not hold.
    A parser that sees the page's own ending (a footer, a closing row) passes ``whole=True``."""
    if whole:
        return text
    return text.rstrip().rsplit("\n", 1)[0] if "\n" in text.strip() else text


def read_tolerating_a_cut(text: str, read):
    """``read(text)``; when that fails, once more without the last line.

    Saved pages are often cut off part-way (a save interrupted, a copy that stopped short), which
    can leave half a value on the last line ("18 Years and older (Adult, Older"). Without that
    line the page yields everything it holds; an error elsewhere fails both times and is raised.
    """
    try:
        return read(text)
    except ParseError as exc:
        shorter = text.rstrip().rsplit("\n", 1)[0]
        if shorter == text.rstrip():
            raise
        try:
            return read(shorter)
        except ParseError:
            raise exc from None
