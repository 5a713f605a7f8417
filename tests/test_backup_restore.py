"""Backup and restore as docs/backup.md says: ``pg_dump -Fc --no-owner``, ``pg_restore`` into an empty database.

The catalogue is imported from real sources of every kind and committed, dumped, restored into a new
database, and compared with the original: the row count of every table of the trials app, the
catalogue's version (a sequence, which facet caches are keyed by), the indexes, every trial's JSON,
and searches with their facet counts. The restored database is dropped afterwards.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.apps import apps
from django.core.cache import cache
from django.db import connection
from django.http import QueryDict

from tests.conftest import FIXTURES
from tests.test_db_outage import pointed_at
from trials.search_index import VERSION_SEQUENCE
from trials.search_results import search
from trials.trial_json import trial_json, trial_queryset

SOURCES = [  # API v2 JSON, a legacy XML record, a CSV export, a saved classic page
    FIXTURES / "ctgov_api_v2" / "NCT04728893.json",
    FIXTURES / "ctgov_api_v2" / "NCT05034276.json",
    FIXTURES / "ctgov_api_v2" / "NCT02440776.json",
    FIXTURES / "vocab_studies",
    FIXTURES / "ctgov_legacy_xml" / "NCT00004296.xml",
    FIXTURES / "ctgov_csv" / "urology_ctg-studies.csv",
    FIXTURES / "ctgov_page" / "NCT05289856_classic.html",
]
SEARCHES = ["", "q=cancer", "status=RECRUITING&phase=PHASE3", "q=pd-1 inhibitor&country=US"]


def postgres_tool(name: str, server_major: int) -> Path | None:
    """The client tool of the server's major version (Debian's, on PATH, or pgserver's); a newer one will do."""
    import pgserver._commands

    candidates = [Path(f"/usr/lib/postgresql/{server_major}/bin/{name}"), shutil.which(name)]
    candidates += sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)
    candidates.append(pgserver._commands.POSTGRES_BIN_PATH / name)
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            version = subprocess.run([candidate, "--version"], capture_output=True, text=True).stdout
            major = re.search(r"\) ([0-9]+)", version)
            if major and int(major.group(1)) >= server_major:
                return Path(candidate)
    return None


def client_args(settings: dict, database: str) -> tuple[list[str], dict]:
    args = ["--host", settings["HOST"] or "localhost", "--port", str(settings["PORT"] or 5432)]
    args += ["--username", settings["USER"], "--dbname", database]
    return args, {"PGPASSWORD": settings["PASSWORD"] or ""}


def catalogue_state() -> dict:
    """What a restore must reproduce: rows, sequence, indexes, trial JSON (read through the app)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT last_value, is_called FROM {VERSION_SEQUENCE}")
        version = cursor.fetchone()
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1")
        # A partial index's predicate comes back deparsed in another (equivalent) spelling of its casts:
        # compare each index up to its WHERE, and that it has one.
        indexes = [(name, *definition.partition(" WHERE ")[:2]) for name, definition in cursor.fetchall()]
    models = apps.get_app_config("trials").get_models()
    return {
        "rows": {model._meta.db_table: model.objects.count() for model in models},
        "catalogue_version": version,
        "indexes": indexes,
        "trials": [trial_json(trial) for trial in trial_queryset().order_by("pk")],
    }


def search_state(query: str) -> tuple:
    """A search through the app (default connection): the count, the page's trials and every facet."""
    cache.clear()  # facet counts are cached under the catalogue version, which both databases share
    results = search(QueryDict(query), per_page=50)
    return results.total, [trial.pk for trial in results.page.object_list], results.facets


@pytest.mark.django_db(transaction=True)
def test_pg_dump_restored_into_an_empty_database_gives_the_same_catalogue(import_paths, tmp_path):
    run = import_paths(*SOURCES)
    assert (run.created, run.failed) == (11, 0)
    server_major = connection.pg_version // 10000
    pg_dump, pg_restore = postgres_tool("pg_dump", server_major), postgres_tool("pg_restore", server_major)
    if not (pg_dump and pg_restore):
        pytest.skip(f"no pg_dump/pg_restore of PostgreSQL {server_major} or newer (Debian's or pgserver's)")

    settings, original = dict(connection.settings_dict), connection.settings_dict["NAME"]
    restored = f"{original}_restore"
    dump = tmp_path / "catalogue.dump"
    args, env = client_args(settings, original)
    subprocess.run([pg_dump, "--format=custom", "--no-owner", f"--file={dump}", *args], env=env, check=True)
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{restored}"')
        cursor.execute(f'CREATE DATABASE "{restored}"')
    try:
        args, env = client_args(settings, restored)
        restore = [pg_restore, "--no-owner", "--exit-on-error", "--single-transaction", *args, str(dump)]
        subprocess.run(restore, env=env, check=True)

        # The restored database is read through the app's own connection, pointed at it for a while.
        before, searches = catalogue_state(), [search_state(query) for query in SEARCHES]
        with pointed_at(NAME=restored):
            with connection.cursor() as cursor:
                cursor.execute("SELECT current_database()")
                assert cursor.fetchone() == (restored,)
            after, searches_after = catalogue_state(), [search_state(query) for query in SEARCHES]
        assert after["rows"] == before["rows"]
        assert before["rows"]["trials_trial"] == run.created and before["rows"]["trials_sourcerecord"] >= run.created
        assert after["catalogue_version"] == before["catalogue_version"] and before["catalogue_version"][1]
        assert after["indexes"] == before["indexes"]
        assert any("USING gin" in definition for _, definition, _ in after["indexes"])  # the search vector's
        assert after["trials"] == before["trials"]

        assert searches[0][0] == run.created and searches[1][0] > 0
        assert searches_after == searches
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)')
