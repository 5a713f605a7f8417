"""XML plumbing for the parsers of XML sources, with no knowledge of any one format.

- ``parse_xml``: bytes to an element tree through ``defusedxml``, so a document type declaration
  (and with it every external entity and entity expansion, the "billion laughs") is refused; every
  failure is a ``ParseError`` naming the problem and its line and column;
- ``Element``: text getters that read an absent element as ``""`` or ``[]`` and name the element's
  path when a value cannot be read.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from xml.etree.ElementTree import Element as EtreeElement
from xml.etree.ElementTree import ParseError as ExpatError

import defusedxml
from defusedxml.ElementTree import fromstring

from trials.ingest.records import ParseError


def parse_xml(data: bytes) -> EtreeElement:
    """The root element of an XML document; ParseError when it is empty, malformed or unsafe."""
    if not data.strip() or data.strip() == codecs.BOM_UTF8:
        raise ParseError("empty: no XML in this file")
    try:
        return fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DTDForbidden:
        raise ParseError(
            "refused: the document has a DOCTYPE declaration, which may declare entities "
            "(external files or entity expansion); CT.gov XML never has one"
        ) from None
    except defusedxml.EntitiesForbidden as exc:
        raise ParseError(f"refused: the document declares the entity {exc.name!r}") from None
    except defusedxml.ExternalReferenceForbidden as exc:
        raise ParseError(f"refused: the document references an external resource {exc.sysid!r}") from None
    except defusedxml.DefusedXmlException as exc:
        raise ParseError(f"refused: unsafe XML ({exc})") from None
    except ExpatError as exc:
        line, column = exc.position
        reason = str(exc).split(": line ", 1)[0]
        raise ParseError(f"not valid XML: {reason} at line {line} column {column + 1}") from None
    except (LookupError, ValueError) as exc:
        # expat looks up the encoding the XML declaration names: unknown ("UTF-4"), not a text
        # codec ("rot13") or multi-byte ("shift_jis"), which expat cannot read.
        raise ParseError(f"not valid XML: cannot read the encoding its declaration names ({exc})") from None


class Element:
    """An XML element and its path, read through getters; a missing child reads as empty."""

    __slots__ = ("element", "path")

    def __init__(self, element: EtreeElement | None, path: str):
        self.element = element
        self.path = path

    def __bool__(self) -> bool:
        return self.element is not None

    def where(self, tag: str) -> str:
        return f"{self.path}/{tag}" if self.path else tag

    def child(self, tag: str) -> Element:
        return Element(None if self.element is None else self.element.find(tag), self.where(tag))

    def children(self, tag: str) -> list[Element]:
        if self.element is None:
            return []
        path = self.where(tag)
        return [Element(node, f"{path}[{i}]") for i, node in enumerate(self.element.findall(tag))]

    def own_text(self) -> str:
        """All the text inside this element (comments and tags left out); "" when absent."""
        return "" if self.element is None else "".join(self.element.itertext())

    def text(self, tag: str) -> str:
        return self.child(tag).own_text()

    def texts(self, tag: str) -> list[str]:
        return [node.own_text() for node in self.children(tag)]

    def attribute(self, name: str) -> str:
        return "" if self.element is None else self.element.get(name, "")

    def read(self, tag: str, reader: Callable[[str], object]):
        """``reader`` applied to a child's text; its ParseError is prefixed with the child's path."""
        return self.child(tag).read_own(reader)

    def read_own(self, reader: Callable[[str], object], text: str | None = None):
        try:
            return reader(self.own_text() if text is None else text)
        except ParseError as exc:
            raise ParseError(f"{self.path}: {exc}") from None
