"""Full-text search configuration: the weighted document of a trial and how queries meet it.

The vector is stored on ``Trial.search_vector`` (GIN-indexed) and rebuilt explicitly by the
loader after it writes a trial; it is never computed per request.

Weights follow ClinicalTrials.gov's own ranking: identifiers and acronym (A) > titles (A) >
conditions, interventions and drugs (B) > keywords and brief summary (C) > detailed
description and eligibility criteria (D). Synonyms work at index time: a drug's text holds its
brand names, codes and classes with their parents, a condition's its MeSH heading, entry terms,
abbreviations and the headings above it (``Drug.search_text``, ``Condition.search_text``).
"""

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import F, QuerySet

SEARCH_CONFIG = "english"

# One UPDATE rebuilds the vectors of the given trials from their rows and children.
_REFRESH_SQL = f"""
UPDATE trials_trial AS t SET search_vector =
    setweight(to_tsvector('simple', coalesce((
        SELECT string_agg(r.value, ' ') FROM trials_registryid r WHERE r.trial_id = t.id), '')
        || ' ' || t.acronym), 'A')
 || setweight(to_tsvector('{SEARCH_CONFIG}', t.brief_title || ' ' || t.official_title || ' ' || t.acronym), 'A')
 || setweight(to_tsvector('{SEARCH_CONFIG}', coalesce((
        SELECT string_agg(tc.source_term || ' ' || c.name || ' ' || c.search_text, ' ')
        FROM trials_trialcondition tc JOIN trials_condition c ON c.id = tc.condition_id
        WHERE tc.trial_id = t.id), '')
     || ' ' || coalesce((
        SELECT string_agg(i.name || ' ' || array_to_string(i.other_names, ' '), ' ')
        FROM trials_intervention i WHERE i.trial_id = t.id), '')
     || ' ' || coalesce((
        SELECT string_agg(DISTINCT d.name || ' ' || d.search_text, ' ')
        FROM trials_intervention i
        JOIN trials_intervention_drugs idr ON idr.intervention_id = i.id
        JOIN trials_drug d ON d.id = idr.drug_id
        WHERE i.trial_id = t.id), '')), 'B')
 || setweight(to_tsvector('{SEARCH_CONFIG}', array_to_string(t.keywords, ' ') || ' ' || t.brief_summary), 'C')
 || setweight(to_tsvector('{SEARCH_CONFIG}', t.detailed_description || ' ' || t.eligibility_criteria), 'D')
WHERE t.id = ANY(%s)
"""


def refresh_search_vectors(trial_ids: list[int]) -> None:
    if trial_ids:
        with connection.cursor() as cursor:
            cursor.execute(_REFRESH_SQL, [list(trial_ids)])


def search_trials(queryset: QuerySet, text: str) -> QuerySet:
    """Trials matching web-search syntax (``lung "small cell" -pediatric``), best first."""
    query = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
    return (
        queryset.filter(search_vector=query)
        .alias(rank=SearchRank(F("search_vector"), query))
        .order_by("-rank", "-last_update_date", "id")
    )
