"""Export the catalogue in ``DATABASE_URL`` to a SQLite file that Datasette serves with the same
facets as the search page (``benchmarks/datasette_compare.py`` times both on one query mix).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/datasette_10k \\
        .venv/bin/python benchmarks/datasette_export.py [--out var/datasette/catalogue.db]

Tables:
- ``trials``: one row per trial (``id`` = the portal's trial id, ``nct_id``), the columns the search
  page filters, facets and sorts on; array columns as JSON arrays (what ``_facet_array`` reads);
  booleans as 1/0/NULL; dates as ISO text. A full-text index (FTS5, porter stemmer, for ``_search``)
  over the titles, acronym, summary, keywords, condition terms and intervention names: the portal's
  weighted vector also holds registry ids, MeSH and drug synonyms, the description and eligibility.
- ``sites``: (trial_id, latitude, longitude) of every site with coordinates, for a radius filter.

Rows are streamed from a server-side cursor in chunks, so memory stays flat on 600,000 trials. The
file is written beside the target and renamed over it at the end: a reader never sees half of it.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_OUT = ROOT / "var" / "datasette" / "catalogue.db"
CHUNK = 2000

# The portal's facet columns, copied as JSON arrays (``to_json`` of a PostgreSQL array).
ARRAY_COLUMNS = (
    "phases",
    "facet_conditions",
    "facet_drugs",
    "facet_drug_classes",
    "facet_intervention_types",
    "facet_countries",
    "std_ages",
)
TEXT_COLUMNS = ("overall_status", "study_type", "facet_sponsor_class", "sex")
SEARCHED_COLUMNS = (
    "brief_title",
    "official_title",
    "acronym",
    "brief_summary",
    "keywords",
    "conditions",
    "interventions",
)
TRIAL_COLUMNS = {
    "id": int,
    "nct_id": str,
    "brief_title": str,
    "official_title": str,
    "acronym": str,
    **dict.fromkeys(TEXT_COLUMNS, str),
    **dict.fromkeys(ARRAY_COLUMNS, str),
    "healthy_volunteers": int,
    "has_results": int,
    "last_update_date": str,
    "start_date": str,
    "enrollment_count": int,
    "brief_summary": str,
    "keywords": str,
    "conditions": str,
    "interventions": str,
}
# Indexes a Datasette publisher would add for the filters and sorts of the query mix (the portal
# has its own for each): equality filters, the default sort, and the sites' bounding box.
INDEXES = (
    ("trials", ("overall_status",)),
    ("trials", ("study_type",)),
    ("trials", ("facet_sponsor_class",)),
    ("trials", ("last_update_date",)),
    ("trials", ("start_date",)),
    ("trials", ("enrollment_count",)),
    ("sites", ("latitude", "longitude")),
    ("sites", ("trial_id",)),
)

_TRIALS_SQL = f"""
SELECT t.id,
       (SELECT r.value FROM trials_registryid r
         WHERE r.trial_id = t.id AND r.scheme = 'NCT' ORDER BY r.id LIMIT 1),
       t.brief_title, t.official_title, t.acronym,
       {", ".join(f"t.{column}" for column in TEXT_COLUMNS)},
       {", ".join(f"to_json(t.{column})::text" for column in ARRAY_COLUMNS)},
       t.healthy_volunteers::int, t.has_results::int,
       t.last_update_date::text, t.start_date::text, t.enrollment_count, t.brief_summary,
       array_to_string(t.keywords, ' '),
       coalesce((SELECT string_agg(tc.source_term, ' ') FROM trials_trialcondition tc
                  WHERE tc.trial_id = t.id), ''),
       coalesce((SELECT string_agg(i.name || ' ' || array_to_string(i.other_names, ' '), ' ')
                   FROM trials_intervention i WHERE i.trial_id = t.id), '')
  FROM trials_trial t ORDER BY t.id
"""
_SITES_SQL = """
SELECT trial_id, latitude, longitude FROM trials_site
 WHERE latitude IS NOT NULL AND longitude IS NOT NULL ORDER BY trial_id, position
"""


@dataclass
class ExportStats:
    trials: int
    sites: int
    seconds: float
    bytes: int


def export(out: Path, connection=None) -> ExportStats:
    """Write the catalogue of ``connection`` (Django's default) to the SQLite file ``out``.

    Queries: one server-side cursor over the trials (two correlated subqueries per row: the
    condition terms and intervention names), one over the sites."""
    import sqlite_utils
    from django.db import connection as default_connection

    connection = connection or default_connection
    started = time.perf_counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    db = sqlite_utils.Database(partial)
    # A file built once and renamed into place: no journal to survive a crash with.
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    db["trials"].create(TRIAL_COLUMNS, pk="id")
    db["sites"].create({"trial_id": int, "latitude": float, "longitude": float}, foreign_keys=[("trial_id", "trials")])
    trials = _copy(connection, _TRIALS_SQL, db["trials"], list(TRIAL_COLUMNS))
    sites = _copy(connection, _SITES_SQL, db["sites"], ["trial_id", "latitude", "longitude"])
    for table, columns in INDEXES:
        db[table].create_index(columns, index_name=f"{table}_{'_'.join(columns)}_idx")
    db["trials"].enable_fts(SEARCHED_COLUMNS, fts_version="FTS5", tokenize="porter")
    db.analyze()
    db.close()
    partial.replace(out)
    return ExportStats(trials, sites, time.perf_counter() - started, out.stat().st_size)


def _copy(connection, sql: str, table, columns: list[str]) -> int:
    """Stream ``sql``'s rows from PostgreSQL into ``table`` in chunks; the number copied."""
    copied = 0
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql)
        while rows := cursor.fetchmany(CHUNK):
            table.insert_all((dict(zip(columns, row, strict=True)) for row in rows), batch_size=CHUNK)
            copied += len(rows)
    return copied


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"SQLite file (default {DEFAULT_OUT})")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        sys.exit("Set DATABASE_URL to the catalogue to export (see --help).")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("DEBUG", "1")  # settings need a SECRET_KEY otherwise; nothing is served
    import django

    django.setup()
    stats = export(args.out)
    print(
        f"{stats.trials:,} trials and {stats.sites:,} sites -> {args.out} "
        f"({stats.bytes / 1e6:,.1f} MB) in {stats.seconds:,.1f} s"
    )


if __name__ == "__main__":
    main()
