"""The in-memory postings (trials.engine.text) hold what the stored vectors hold: every word's
trials, at the best place each has it, and rank and match queries as PostgreSQL does."""

import numpy as np
import pytest
from django.db import connection

from trials.engine.snapshot import load
from trials.engine.text import word_key
from trials.models import Trial
from trials.search import rank, search_trials
from trials.search_query import Phrase, Word, to_text, websearch

pytestmark = pytest.mark.django_db


@pytest.fixture
def search_catalogue(search_catalogue_once, db):
    return search_catalogue_once


@pytest.fixture
def snapshot(search_catalogue):
    return load("default")


def _sql_postings() -> dict[str, dict[int, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT t.id, u.lexeme, u.weights FROM trials_trial t, unnest(t.search_vector) u")
        found: dict[str, dict[int, str]] = {}
        for trial, lexeme, weights in cursor.fetchall():
            found.setdefault(lexeme, {})[trial] = min(weights)  # "A" < "B" < "C" < "D"
        return found


def test_every_word_holds_its_trials_at_their_best_place(snapshot):
    postings = _sql_postings()
    text = snapshot.text
    assert len(text.keys) == len(postings) > 1000
    assert (np.diff(text.keys) > 0).all()  # one key a word, sorted: no two words share one
    assert (text.dense >= 0).any() and (text.dense < 0).any()  # both kinds of list are read
    for lexeme, places in postings.items():
        assert set(snapshot.ids[text.word_mask(lexeme)].tolist()) == set(places), lexeme
        for place in "ABCD":
            scores = text.scores([lexeme])
            expected = {trial for trial, best in places.items() if best == place}
            weight = {"A": 10, "B": 4, "C": 2, "D": 1}[place]
            assert set(snapshot.ids[scores == weight].tolist()) == expected, (lexeme, place)


def test_scores_are_what_sql_ranks_by(snapshot):
    for typed in ["cancer", "breast cancer", "lymphoma OR glioma", '"small cell" -pediatric', "study trial patients"]:
        sql = dict(search_trials(Trial.objects.all(), typed).annotate(score=rank(typed)).values_list("id", "score"))
        scores = snapshot.text.scores(websearch(typed).words)
        rows = snapshot.rows_of(list(sql))
        some = np.sort(rows)[::2]  # read at given rows only: the same scores
        assert (snapshot.text.scores(websearch(typed).words, some) == scores[some]).all(), typed
        assert dict(zip(snapshot.ids[rows].tolist(), scores[rows].tolist(), strict=True)) == sql, typed


def test_a_word_the_catalogue_lacks_matches_nothing(snapshot):
    assert not snapshot.text.word_mask("zzzzqqq").any()
    assert word_key("cancer") != word_key("cancers")


def _titles_phrases() -> list[str]:
    """Phrases of two to four words taken from the catalogue's own titles (stop words inside some)."""
    phrases = []
    for title in Trial.objects.order_by("id").values_list("brief_title", flat=True):
        words = title.split()
        for size in (2, 3, 4):
            if len(words) > size:
                phrases.append('"' + " ".join(words[1 : 1 + size]).replace('"', "") + '"')
    return phrases


def test_phrases_are_read_in_the_positions_as_postgresql_reads_them(snapshot):
    asked = []
    typed = [*_titles_phrases(), '"small cell"', '"small cell lung"', '"cluster headache" -obesity', '-"small cell"']
    for text in typed:
        tree = websearch(text).tree
        found = snapshot.ids[snapshot.text.matching(tree, lambda *args: asked.append(args))].tolist()
        expected = search_trials(Trial.objects.all(), text).values_list("id", flat=True)
        assert sorted(found) == sorted(expected), text
    assert asked == []  # PostgreSQL was never asked for positions
    assert len(typed) > 30


def test_a_phrase_of_another_shape_is_asked_of_postgresql(snapshot):
    asked = []

    def phrase_rows(phrase, candidates):
        asked.append(len(candidates))
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM trials_trial WHERE id = ANY(%s) AND search_vector @@ %s::tsquery",
                [snapshot.ids[candidates].tolist(), to_text(phrase)],
            )
            return snapshot.rows_of([row[0] for row in cursor.fetchall()])

    tree = Phrase(Word("small"), Phrase(Word("cell"), Word("lung"), 1), 1)  # nested on the right
    found = snapshot.ids[snapshot.text.matching(tree, phrase_rows)].tolist()
    assert sorted(found) == sorted(search_trials(Trial.objects.all(), '"small cell lung"').values_list("id", flat=True))
    every_word = snapshot.text.word_mask("small") & snapshot.text.word_mask("cell") & snapshot.text.word_mask("lung")
    assert asked == [int(every_word.sum())] and 0 < len(found) <= asked[0] < len(snapshot.ids)
