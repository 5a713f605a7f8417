"""Ranked full-text search over the stored, weighted vector (trials.search)."""

import json

import pytest

from trials.models import Trial
from trials.search import search_trials

pytestmark = pytest.mark.django_db


def _ncts(queryset):
    return [t.primary_registry_id().value for t in queryset.prefetch_related("registry_ids")]


@pytest.fixture
def catalogue(import_paths, ctgov_fixture):
    import_paths(ctgov_fixture("NCT00242138.json").parent)


def test_title_word_outranks_the_same_word_in_descriptions(catalogue):
    # "Glioma" is in the title/conditions of NCT06482905; other trials do not mention it at all.
    assert _ncts(search_trials(Trial.objects.all(), "glioma")) == ["NCT06482905"]


def test_websearch_syntax_phrases_and_exclusions(catalogue):
    headache = _ncts(search_trials(Trial.objects.all(), "cluster headache"))
    assert sorted(headache) == ["NCT02440776", "NCT02782533"]
    assert _ncts(search_trials(Trial.objects.all(), '"cluster headache" -obesity')) == ["NCT02440776"]
    assert _ncts(search_trials(Trial.objects.all(), "glioma OR atopy")) != []


def test_registry_ids_are_searchable(catalogue):
    assert _ncts(search_trials(Trial.objects.all(), "NCT04728893")) == ["NCT04728893"]
    assert _ncts(search_trials(Trial.objects.all(), "2020-002324-36")) == ["NCT04728893"]


def test_drug_names_from_interventions_are_searchable(catalogue, ctgov_fixture):
    study = json.loads(ctgov_fixture("NCT04728893.json").read_bytes())
    drug = study["protocolSection"]["armsInterventionsModule"]["interventions"][0]["name"]
    assert "NCT04728893" in _ncts(search_trials(Trial.objects.all(), drug))


def test_query_with_no_matches_and_only_stop_words(catalogue):
    assert _ncts(search_trials(Trial.objects.all(), "zzzzqqq")) == []
    assert _ncts(search_trials(Trial.objects.all(), "the of and")) == []


def test_ranking_is_stable_for_equal_ranks(catalogue):
    first = list(search_trials(Trial.objects.all(), "study").values_list("id", flat=True))
    second = list(search_trials(Trial.objects.all(), "study").values_list("id", flat=True))
    # Ordering ends on id, so trials with equal rank never shuffle between pages.
    assert first == second
    assert len(first) == len(set(first)) > 1


def test_relevance_is_the_best_place_of_each_word(catalogue):
    """A word in a title (A) outranks it in a condition or drug (B), a summary (C), a description
    (D); each word adds its own; equal scores go to the newest update."""
    from trials.search import rank

    ranked = search_trials(Trial.objects.all(), "cluster headache").annotate(score=rank("cluster headache"))
    scores = list(ranked.values_list("score", flat=True))
    assert scores == sorted(scores, reverse=True)
    assert scores[0] == 20  # both words in the title of the first
    title_only = search_trials(Trial.objects.all(), "glioma").annotate(score=rank("glioma"))
    assert list(title_only.values_list("score", flat=True)) == [10]
