"""The search words as PostgreSQL reads them (trials.search_query): its tsquery, parsed back."""

import pytest
from django.db import connection

from trials.search_query import And, Not, Or, Phrase, UnreadableQuery, Word, parse, to_text, websearch

pytestmark = pytest.mark.django_db
TYPED = [
    "breast cancer",
    '"small cell" -pediatric',
    "lymphoma OR glioma -child",
    '-"non small cell" lung',
    '"the cat of the hat"',
    "it's O'Brien's \\ back\\slash",
    "non-small-cell 2020-002324-36 NCT04728893",
    "(a OR b) c",
    "-cancer",
    "the of and",
]


def _same_tsquery(left: str, right: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::tsquery = %s::tsquery", [left, right])
        return cursor.fetchone()[0]


@pytest.mark.parametrize("typed", TYPED)
def test_the_tree_says_what_postgresql_made_of_the_words(typed):
    query = websearch(typed)
    if query.tree is None:
        assert query.text == "" and query.words == []
    else:
        assert _same_tsquery(to_text(query.tree), query.text)


def test_precedence_and_the_words_that_rank():
    tree = parse("'small' <-> 'cell' & !'pediatr' | 'a' <2> 'b'")
    assert tree == Or(
        And(Phrase(Word("small"), Word("cell"), 1), Not(Word("pediatr"))), Phrase(Word("a"), Word("b"), 2)
    )
    assert websearch('"small cell" -pediatric lung').words == ["cell", "lung", "small"]


def test_quotes_and_backslashes_round_trip():
    assert parse("'o''brien' & 'a\\\\b'") == And(Word("o'brien"), Word("a\\b"))
    assert _same_tsquery(to_text(Word("o'brien")), "'o''brien'")


@pytest.mark.parametrize("tsquery", ["'a':A", "'a':*", "'a' &", "('a'", "'a' 'b'"])
def test_what_it_cannot_read_it_says(tsquery):
    with pytest.raises(UnreadableQuery):
        parse(tsquery)
