"""The in-memory postings (trials.engine.text) hold what the stored vectors hold: every word's
trials, at the best place each has it, and rank and match queries as PostgreSQL does."""

import numpy as np
import pytest
from django.db import connection

from trials.engine import text as text_index
from trials.engine.snapshot import load
from trials.engine.text import TextIndex, word_key
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


def test_wide_keys_read_phrases_as_narrow_ones(snapshot, monkeypatch):
    """Past 2^18 candidates a phrase's keys are 64 bits wide; the same trials either way."""
    typed = ['"small cell"', '"small cell lung"', '"cluster headache" -obesity', *_titles_phrases()[:20]]
    narrow = [snapshot.text.matching(websearch(text).tree, None).tolist() for text in typed]
    monkeypatch.setattr(text_index, "_NARROW_KEYS_UP_TO", 0)
    assert [snapshot.text.matching(websearch(text).tree, None).tolist() for text in typed] == narrow
    assert any(any(found) for found in narrow)


def _two_rows(first: dict[str, list[int]], second: dict[str, list[int]]) -> TextIndex:
    """An index of two rows with the given words at the given positions (all at place A)."""
    words = sorted(set(first) | set(second), key=word_key)
    rows, counts, positions, start, length = [], [], [], [], []
    for word in words:
        held = [(row, at[word]) for row, at in enumerate((first, second)) if word in at]
        start.append(len(rows))
        length.append(len(held))
        for row, places in held:
            rows.append(row)
            counts.append(len(places))
            positions += places
    groups = len(words)
    posting_start = np.array(start, dtype=np.int64)
    position_start = np.array([sum(counts[: int(s)]) for s in start], dtype=np.int64)
    return TextIndex(
        size=2,
        keys=np.array([word_key(w) for w in words], dtype=np.int64),
        first_group=np.arange(groups, dtype=np.int32),
        group_count=np.ones(groups, dtype=np.int8),
        place=np.zeros(groups, dtype=np.int8),
        start=posting_start,
        length=np.array(length, dtype=np.int32),
        dense=np.full(groups, -1, dtype=np.int32),
        rows=np.array(rows, dtype=np.uint32),
        bitsets=np.zeros((0, 1), dtype=np.uint8),
        posting_start=posting_start,
        position_start=position_start,
        counts=np.array(counts, dtype=np.uint16),
        positions=np.array(positions, dtype=np.uint16),
    )


@pytest.mark.parametrize("narrow_up_to", [1 << 18, 0])
def test_a_phrase_never_runs_from_one_trial_into_the_next(monkeypatch, narrow_up_to):
    """A left word at PostgreSQL's last position (16,383) ends no phrase: adding the distance to
    its key must not reach the next trial's first positions."""
    monkeypatch.setattr(text_index, "_NARROW_KEYS_UP_TO", narrow_up_to)
    index = _two_rows({"alpha": [16383], "beta": [16382]}, {"alpha": [9], "beta": [1, 7, 11]})
    far = Phrase(Word("alpha"), Word("beta"), 2)
    assert index.matching(far, None).tolist() == [False, True]  # row 1: alpha 9, beta 11
    index = _two_rows({"alpha": [16383], "beta": [16382]}, {"alpha": [9], "beta": [1, 7]})
    assert index.matching(far, None).tolist() == [False, False]  # not row 0's alpha and row 1's beta 1
    near = Phrase(Word("beta"), Word("alpha"), 1)
    assert index.matching(near, None).tolist() == [True, False]  # row 0: beta 16382, alpha 16383


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
