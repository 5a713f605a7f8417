"""Full-text search: how a query meets the trials' stored, weighted search vectors.

The vector is stored on ``Trial.search_vector`` (GIN-indexed) and rebuilt by
``trials.search_index`` whenever a trial changes; it is never computed per request.
"""

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db.models import F, QuerySet

SEARCH_CONFIG = "english"


def search_trials(queryset: QuerySet, text: str) -> QuerySet:
    """Trials matching web-search syntax (``lung "small cell" -pediatric``), best first."""
    query = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
    return (
        queryset.filter(search_vector=query)
        .alias(rank=SearchRank(F("search_vector"), query))
        .order_by("-rank", "-last_update_date", "id")
    )
