"""A search's words as PostgreSQL reads them: ``websearch_to_tsquery``'s query, parsed into a tree.

PostgreSQL turns what a visitor typed (``lung "small cell" -pediatric``) into a ``tsquery`` with
the same parser and stemmer that made the trials' vectors. Both search engines start from that
query: PostgreSQL matches it against ``Trial.search_vector``, the in-memory engine evaluates the
tree over its postings (``trials.engine.text``). And both rank by the same score, computed from
the tree's positive words (``RANK_WEIGHTS``), so the two give the same order to the trial.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from django.db import connections, router

# Relevance: each of the query's words (not those after a minus) adds the weight of the best
# place the trial has it, in the proportions of ts_rank's default weights (A 1.0, B 0.4, C 0.2,
# D 0.1): an identifier or a title (A) > a condition, an intervention or a drug (B) > a keyword or
# the brief summary (C) > the detailed description or eligibility (D). Integers, so that SQL and
# numpy add them exactly alike; ties go to the newest update, then the id.
RANK_WEIGHTS = {"A": 10, "B": 4, "C": 2, "D": 1}


@dataclass(frozen=True)
class Word:
    lexeme: str


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class And:
    left: Node
    right: Node


@dataclass(frozen=True)
class Or:
    left: Node
    right: Node


@dataclass(frozen=True)
class Phrase:
    """``left <distance> right``: words at that distance in the text (positions: PostgreSQL only)."""

    left: Node
    right: Node
    distance: int


Node = Word | Not | And | Or | Phrase


class UnreadableQuery(ValueError):
    """A tsquery this module does not read (weights, prefixes): PostgreSQL evaluates it alone."""


@dataclass(frozen=True)
class Query:
    text: str  # the tsquery as PostgreSQL writes it ("" when the words were all stop words)
    tree: Node | None  # None: no word to search for, which matches no trial

    @property
    def words(self) -> list[str]:
        """The lexemes that rank (those under no NOT), each once, in a fixed order."""
        return sorted(set(_positive(self.tree))) if self.tree is not None else []


def websearch(text: str) -> Query:
    """The query PostgreSQL makes of ``text`` (web-search syntax, the English configuration)."""
    return _websearch(text, router.db_for_read(_trial_model()))


@lru_cache(maxsize=2048)
def _websearch(text: str, alias: str) -> Query:
    from trials.search import SEARCH_CONFIG

    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT websearch_to_tsquery(%s::regconfig, %s)::text", [SEARCH_CONFIG, text])
        tsquery = cursor.fetchone()[0]
    return Query(tsquery, parse(tsquery))


def _trial_model():
    from trials.models import Trial

    return Trial


def _positive(node: Node) -> list[str]:
    if isinstance(node, Word):
        return [node.lexeme]
    if isinstance(node, Not):
        return []
    return [*_positive(node.left), *_positive(node.right)]


# A quoted lexeme ('' is a quote, a backslash escapes the next character), an operator, a parenthesis.
_TOKEN = re.compile(r"\s*(?:'((?:[^'\\]|''|\\.)*)'|(<->|<\d+>|[&|!()]))")


def parse(tsquery: str) -> Node | None:
    """The tree of a tsquery's text: ``!`` binds tightest, then ``<->``/``<N>``, ``&``, ``|``."""
    tokens, position = [], 0
    while position < len(tsquery.rstrip()):
        match = _TOKEN.match(tsquery, position)
        if match is None:
            raise UnreadableQuery(tsquery)
        lexeme, operator = match.groups()
        tokens.append(("word", re.sub(r"''|\\(.)", lambda m: m.group(1) or "'", lexeme)) if lexeme is not None
                      else ("op", operator))  # fmt: skip
        position = match.end()
    if not tokens:
        return None
    parser = _Parser(tokens)
    tree = parser.either()
    if parser.position != len(tokens):
        raise UnreadableQuery(tsquery)
    return tree


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]):
        self.tokens, self.position = tokens, 0

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _take(self) -> tuple[str, str]:
        token = self._peek()
        if token is None:
            raise UnreadableQuery("the query ends too soon")
        self.position += 1
        return token

    def either(self) -> Node:
        node = self.both()
        while self._peek() == ("op", "|"):
            self._take()
            node = Or(node, self.both())
        return node

    def both(self) -> Node:
        node = self.phrase()
        while self._peek() == ("op", "&"):
            self._take()
            node = And(node, self.phrase())
        return node

    def phrase(self) -> Node:
        node = self.unary()
        while (token := self._peek()) is not None and token[0] == "op" and token[1].startswith("<"):
            self._take()
            distance = 1 if token[1] == "<->" else int(token[1][1:-1])
            node = Phrase(node, self.unary(), distance)
        return node

    def unary(self) -> Node:
        kind, value = self._take()
        if kind == "word":
            return Word(value)
        if value == "!":
            return Not(self.unary())
        if value == "(":
            node = self.either()
            if self._take() != ("op", ")"):
                raise UnreadableQuery("unbalanced parentheses")
            return node
        raise UnreadableQuery(f"unexpected {value!r}")


def to_text(node: Node) -> str:
    """The tsquery text of a tree (fully parenthesized), to hand a part of a query back to PostgreSQL."""
    if isinstance(node, Word):
        return "'" + node.lexeme.replace("\\", "\\\\").replace("'", "''") + "'"
    if isinstance(node, Not):
        return f"!({to_text(node.operand)})"
    if isinstance(node, Phrase):
        return f"({to_text(node.left)} <{node.distance}> {to_text(node.right)})"
    operator = "&" if isinstance(node, And) else "|"
    return f"({to_text(node.left)} {operator} {to_text(node.right)})"
