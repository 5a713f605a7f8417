"""Full-text search: how a query meets the trials' stored, weighted search vectors.

The vector is stored on ``Trial.search_vector`` (GIN-indexed) and rebuilt by
``trials.search_index`` whenever a trial changes; it is never computed per request. Relevance is
``trials.search_query``'s score: each word of the query adds the weight of the best part of the
trial it is found in (title over condition or drug, over summary, over description); the
in-memory engine (``trials.engine.text``) ranks by the same score.
"""

from django.contrib.postgres.search import SearchQuery
from django.db.models import F, IntegerField, QuerySet, Value
from django.db.models.expressions import RawSQL

SEARCH_CONFIG = "english"


def search_trials(queryset: QuerySet, text: str) -> QuerySet:
    """Trials matching web-search syntax (``lung "small cell" -pediatric``), best first."""
    query = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
    return (
        queryset.filter(search_vector=query)
        .alias(rank=rank(text))
        .order_by("-rank", F("last_update_date").desc(nulls_last=True), "id")
    )


def rank(text: str):
    """The score of ``trials.search_query``: per ranking word, the weight of its best place."""
    from trials.search_query import RANK_WEIGHTS, UnreadableQuery, Word, to_text, websearch

    try:
        words = websearch(text).words
    except UnreadableQuery:  # websearch_to_tsquery makes no such query; all then rank alike
        words = []
    if not words:
        return Value(0, output_field=IntegerField())
    best_place = (
        "CASE "
        + " ".join(f"WHEN trials_trial.search_vector @@ %s::tsquery THEN {weight}" for weight in RANK_WEIGHTS.values())
        + " ELSE 0 END"
    )
    params = [f"{to_text(Word(word))}:{place}" for word in words for place in RANK_WEIGHTS]
    return RawSQL(" + ".join([best_place] * len(words)), params, output_field=IntegerField())
