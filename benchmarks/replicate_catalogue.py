"""Scale a catalogue up in SQL: every trial copied ``--times - 1`` more times with new ids, with
what the search page and API read of it (registry ids, conditions, sites, interventions and their
drugs), its facet columns and search vector as they are. For search benchmarks at registry size
when the import of that many studies does not fit the time at hand; an import gives a catalogue
of distinct studies, this one repeats each study of its source ``--times`` times.

    createdb -T scale10k scale600k
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scale600k \
        .venv/bin/python benchmarks/replicate_catalogue.py --times 60

Copies get ids ``id + k * STRIDE`` and registry ids ``value.k``; arms, outcomes, contacts, MeSH term
rows and source records are not copied (no search reads them), so a copy's trial page is thinner
than its original's. Non-unique indexes are dropped first and built again after, then VACUUM ANALYZE.
"""

from __future__ import annotations

import argparse
import os
import time

import psycopg

TABLES = {  # table -> (its trial column, or how it reaches the trial)
    "trials_trial": "id",
    "trials_registryid": "trial_id",
    "trials_trialcondition": "trial_id",
    "trials_site": "trial_id",
    "trials_intervention": "trial_id",
}
STRIDE = 10_000_000  # ids of copy k: id + k * STRIDE (each table's ids stay below it)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--times", type=int, default=60)
    args = parser.parse_args()
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as db:
        for table in [*TABLES, "trials_intervention_drugs"]:
            top = db.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0]
            assert top < STRIDE, f"{table} ids reach {top}: copies would collide"
        indexes = db.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) AND indexdef NOT LIKE '%%UNIQUE%%'",
            [[*TABLES, "trials_intervention_drugs"]],
        ).fetchall()
        for name, _ in indexes:
            db.execute(f"DROP INDEX {name}")
        started = time.monotonic()
        for k in range(1, args.times):
            _copy(db, k)
            print(f"copy {k}: {time.monotonic() - started:.0f} s", flush=True)
        print(f"copied in {time.monotonic() - started:.0f} s")
        db.execute("SET maintenance_work_mem = '1GB'")
        for _, definition in indexes:
            db.execute(definition)
        print(f"indexes built: {time.monotonic() - started:.0f} s")
        for table in [*TABLES, "trials_intervention_drugs"]:
            db.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            db.execute(f"VACUUM ANALYZE {table}")
        db.execute("SELECT setval('trials_catalogue_version', (SELECT last_value FROM trials_catalogue_version) + 1)")
        total = db.execute("SELECT count(*) FROM trials_trial").fetchone()[0]
        print(f"{total:,} trials; done in {time.monotonic() - started:.0f} s")


def _columns(db, table: str) -> list[str]:
    rows = db.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position", [table]
    ).fetchall()
    return [row[0] for row in rows]


def _copy(db, k: int) -> None:
    shift = k * STRIDE
    with db.transaction():
        for table, trial_column in TABLES.items():
            columns = _columns(db, table)
            values = []
            for column in columns:
                if column == "id" or column == trial_column or column == "intervention_id":
                    values.append(f"{column} + {shift}")
                elif table == "trials_registryid" and column == "value":
                    values.append(f"value || '.{k}'")
                else:
                    values.append(f'"{column}"')
            quoted = ", ".join(f'"{c}"' for c in columns)
            db.execute(f"INSERT INTO {table} ({quoted}) SELECT {', '.join(values)} FROM {table} WHERE id < {STRIDE}")
        db.execute(
            f"INSERT INTO trials_intervention_drugs (id, intervention_id, drug_id) SELECT id + {shift}, "
            f"intervention_id + {shift}, drug_id FROM trials_intervention_drugs WHERE id < {STRIDE}"
        )


if __name__ == "__main__":
    main()
