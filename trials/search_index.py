"""Keeping each trial's search document current: its weighted text vector and its facet columns.

Called explicitly after anything writes a trial or the vocabulary rows its document reads (the
loader, curators' edits in admin, vocabulary curation, ``apply_vocabulary``); never from signals
and never per request. Both parts are rebuilt from the trial's rows in a few statements for any
number of trials.

Weights follow ClinicalTrials.gov's own ranking: identifiers and acronym (A) > titles (A) >
conditions, interventions and drugs (B) > keywords and brief summary (C) > detailed
description and eligibility criteria (D). Synonyms work at index time: a drug's text holds its
brand names, codes and classes with their parents, a condition's its MeSH heading, entry terms,
abbreviations and the headings above it (``Drug.search_text``, ``Condition.search_text``).
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import partial

from django.db import connection, connections, router, transaction

from trials.models import Trial
from trials.search import SEARCH_CONFIG
from trials.vocab.conditions import condition_vocabulary

# A trial's weighted vector, from its row and children, each list in a fixed order: the same rows
# give the same vector (positions included), so an unchanged document is not written again.
_VECTOR = f"""
    setweight(to_tsvector('simple', coalesce((
        SELECT string_agg(r.value, ' ' ORDER BY r.id) FROM trials_registryid r WHERE r.trial_id = t.id), '')
        || ' ' || t.acronym), 'A')
 || setweight(to_tsvector('{SEARCH_CONFIG}', t.brief_title || ' ' || t.official_title || ' ' || t.acronym), 'A')
 || setweight(to_tsvector('{SEARCH_CONFIG}', coalesce((
        SELECT string_agg(tc.source_term || ' ' || c.name || ' ' || c.search_text, ' ' ORDER BY tc.position, tc.id)
        FROM trials_trialcondition tc JOIN trials_condition c ON c.id = tc.condition_id
        WHERE tc.trial_id = t.id), '')
     || ' ' || coalesce((
        SELECT string_agg(i.name || ' ' || array_to_string(i.other_names, ' '), ' ' ORDER BY i.position, i.id)
        FROM trials_intervention i WHERE i.trial_id = t.id), '')
     || ' ' || coalesce((
        SELECT string_agg(DISTINCT d.name || ' ' || d.search_text, ' ' ORDER BY d.name || ' ' || d.search_text)
        FROM trials_intervention i
        JOIN trials_intervention_drugs idr ON idr.intervention_id = i.id
        JOIN trials_drug d ON d.id = idr.drug_id
        WHERE i.trial_id = t.id), '')), 'B')
 || setweight(to_tsvector('{SEARCH_CONFIG}', array_to_string(t.keywords, ' ') || ' ' || t.brief_summary), 'C')
 || setweight(to_tsvector('{SEARCH_CONFIG}', t.detailed_description || ' ' || t.eligibility_criteria), 'D')"""

# The facet columns that SQL alone can derive: sponsor class, drugs, drug classes with every
# class above them (a recursive walk up the class tree), intervention types, site countries.
# A name no vocabulary knows and that is no development code ("Blood samples for Chemistry",
# typed BIOLOGICAL by its sponsor) waits in the curators' queue but is not listed as a drug.
_FACET_COLUMNS = {
    "facet_sponsor_class": """coalesce(
        (SELECT o.agency_class FROM trials_organization o WHERE o.id = t.lead_sponsor_id), '')""",
    "facet_drugs": """ARRAY(
        SELECT DISTINCT d.key FROM trials_intervention i
        JOIN trials_intervention_drugs idr ON idr.intervention_id = i.id
        JOIN trials_drug d ON d.id = idr.drug_id
        WHERE i.trial_id = t.id AND d.via <> 'unresolved' ORDER BY 1)""",
    "facet_drug_classes": """ARRAY(
        WITH RECURSIVE up(id) AS (
            SELECT dc.drugclass_id FROM trials_intervention i
            JOIN trials_intervention_drugs idr ON idr.intervention_id = i.id
            JOIN trials_drug_classes dc ON dc.drug_id = idr.drug_id
            WHERE i.trial_id = t.id
            UNION
            SELECT c.parent_id FROM trials_drugclass c JOIN up ON c.id = up.id WHERE c.parent_id IS NOT NULL
        )
        SELECT DISTINCT c.key FROM trials_drugclass c JOIN up ON c.id = up.id ORDER BY 1)""",
    "facet_intervention_types": """ARRAY(
        SELECT DISTINCT i.type FROM trials_intervention i WHERE i.trial_id = t.id AND i.type <> '' ORDER BY 1)""",
    "facet_countries": """ARRAY(
        SELECT DISTINCT s.country_code FROM trials_site s
        WHERE s.trial_id = t.id AND s.country_code <> '' ORDER BY 1)""",
}
# The MeSH condition descriptors a trial names: CT.gov's own (derivedSection) and those its
# conditions were mapped to (by the vocabulary or a curator).
_CONDITION_IDS_SQL = """
SELECT m.trial_id, m.mesh_id FROM trials_trialmeshterm m
WHERE m.trial_id = ANY(%s) AND m.branch = 'CONDITION' AND m.mesh_id <> ''
UNION
SELECT tc.trial_id, c.mesh_id FROM trials_trialcondition tc JOIN trials_condition c ON c.id = tc.condition_id
WHERE tc.trial_id = ANY(%s) AND c.mesh_id <> ''
"""

# The whole document, each column's expression over the trial as ``t`` and its condition facets as
# ``v.joined`` (``condition_facets``). The bulk import computes it the same way as it inserts its
# staged trials (``bulk.batch``).
DOCUMENT = {
    "search_vector": _VECTOR,
    **_FACET_COLUMNS,
    "facet_conditions": "string_to_array(v.joined, ' ')::varchar[]",
}
# All in one UPDATE, which writes only the trials whose document changed: each write is a new
# version of the row with an entry in each of its indexes (the vector's GIN index the largest),
# and most changes to a trial (a status, an enrollment) leave its document as it was.
_REFRESH_SQL = f"""
UPDATE trials_trial AS t SET {", ".join(f"{column} = new.{column}" for column in DOCUMENT)}
FROM (
    SELECT t.id, {", ".join(f"{expression} AS {column}" for column, expression in DOCUMENT.items())}
    FROM trials_trial t JOIN unnest(%s::bigint[], %s::text[]) AS v(id, joined) ON t.id = v.id
) AS new
WHERE t.id = new.id
    AND ({", ".join(f"t.{column}" for column in DOCUMENT)})
    IS DISTINCT FROM ({", ".join(f"new.{column}" for column in DOCUMENT)})
"""

_BATCH = 1000
# The catalogue's version: a sequence (migration 0004), read by every search, moved on after each
# commit that changed trials, so caches keyed by it (facet counts) are never stale.
VERSION_SEQUENCE = "trials_catalogue_version"
# Two-key advisory lock (first key: what the second names) serialising moves of the version.
VERSION_LOCK = (0x7472_6932, 1)  # "tri2"


def refresh_search_index(trial_ids: Iterable[int]) -> int:
    """Rebuild the search vector and facet columns of these trials (two queries per 1,000);
    returns how many trials' documents changed (only those are written).

    Inside ``deferred_refresh()`` the trials are only noted, and rebuilt together when it ends."""
    trial_ids = list(dict.fromkeys(trial_ids))
    pending = _deferred.get()
    if pending is not None:
        pending.trial_ids.update(trial_ids)
        return 0
    rewritten = 0
    for start in range(0, len(trial_ids), _BATCH):
        batch = trial_ids[start : start + _BATCH]
        with connection.cursor() as cursor:
            conditions = condition_facets(cursor, batch)
            cursor.execute(_REFRESH_SQL, [list(conditions), list(conditions.values())])
            rewritten += cursor.rowcount
    if trial_ids:
        catalogue_touched(trial_ids)
    return rewritten


def catalogue_touched(trial_ids: Iterable[int]) -> None:
    """These trials changed (their own columns, such as a status, are filters too): move the
    catalogue's version on after the commit, not before, or a search between the two would
    cache old counts under the new version."""
    trial_ids = list(trial_ids)
    pending = _deferred.get()
    if pending is not None:
        pending.touched.update(trial_ids)
    else:
        transaction.on_commit(partial(catalogue_changed, trial_ids))


@dataclass
class _Pending:
    trial_ids: set[int] = field(default_factory=set)  # to rebuild
    touched: set[int] = field(default_factory=set)  # changed, their documents the same


_deferred: ContextVar[_Pending | None] = ContextVar("deferred_search_refresh", default=None)


@contextmanager
def deferred_refresh():
    """Trials written inside are rebuilt in one go when it ends (unless it ends by an error), so an
    import refreshes a batch of records in two statements; end it before the batch's commit, so
    they are searchable as soon as they are visible. A trial noted in a savepoint that was then
    rolled back is rebuilt from the rows it has: the same document as before."""
    pending = _Pending()
    token = _deferred.set(pending)
    try:
        yield
    finally:
        _deferred.reset(token)
    if pending.trial_ids:
        refresh_search_index(sorted(pending.trial_ids))
    if pending.touched - pending.trial_ids:
        catalogue_touched(sorted(pending.touched - pending.trial_ids))


# Versions whose trials stay listed in trials_cataloguechange: a snapshot older than that is read
# again whole (a day of per-record imports is about 1,000 versions).
CHANGES_KEPT = 20_000


def catalogue_changed(trial_ids: Iterable[int] | None = None) -> None:
    """Move the version on by one, and note which trials it is about (None: not a known set).

    ``setval``, not ``nextval``: ``nextval`` logs to the WAL only every 32 values, and logs the
    value 32 ahead, so a streaming replica would read a version that stays put while trials change
    (its facet caches stale); ``setval`` logs the exact value each time. The lock makes
    read-and-set one step between concurrent imports."""
    with transaction.atomic(using="default"), connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", VERSION_LOCK)
        cursor.execute(f"SELECT setval(%s, ({_CURRENT_VERSION_SQL}) + 1)", [VERSION_SEQUENCE])
        version = cursor.fetchone()[0]
        ids = sorted(set(trial_ids)) if trial_ids is not None else None
        cursor.execute("INSERT INTO trials_cataloguechange (version, trial_ids) VALUES (%s, %s)", [version, ids])
        cursor.execute("DELETE FROM trials_cataloguechange WHERE version <= %s", [version - CHANGES_KEPT])


_CURRENT_VERSION_SQL = f"SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {VERSION_SEQUENCE}"


def catalogue_version() -> int:
    """One cheap query: the sequence's current value (0 before its first move), on the server that
    this request reads trials from (the primary, or the replica its facet counts come from)."""
    with connections[router.db_for_read(Trial)].cursor() as cursor:
        cursor.execute(_CURRENT_VERSION_SQL)
        return cursor.fetchone()[0]


def condition_facets(cursor, trial_ids: list[int]) -> dict[int, str]:
    """facet_conditions of each trial, space-joined: each descriptor in MeSH's own id form, with
    every heading above it.

    Done in Python because the tree lives in the vocabulary file, not in the database; CT.gov
    writes old ids padded to nine digits, which ``canonical_id`` undoes so each descriptor counts once.
    """
    vocabulary = condition_vocabulary()
    found: dict[int, set[str]] = {trial_id: set() for trial_id in trial_ids}
    cursor.execute(_CONDITION_IDS_SQL, [trial_ids, trial_ids])
    for trial_id, mesh_id in cursor.fetchall():
        mesh_id = vocabulary.canonical_id(mesh_id)
        found[trial_id].add(mesh_id)
        found[trial_id].update(parent for parent, _ in vocabulary.ancestors(mesh_id))
    return {trial_id: " ".join(sorted(ids)) for trial_id, ids in found.items()}
