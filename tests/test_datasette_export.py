"""benchmarks/datasette_export.py: the catalogue of real fixture studies as the SQLite file Datasette serves."""

import json
import sqlite3

import pytest

from tests.conftest import SEARCH_STUDIES, trial_of

pytest.importorskip("sqlite_utils")  # a benchmark-only dependency (requirements-scripts.txt)

from benchmarks.datasette_export import ARRAY_COLUMNS, export
from trials.models import Site, Trial


@pytest.fixture
def exported(search_catalogue, tmp_path):
    path = tmp_path / "catalogue.db"
    stats = export(path)
    assert [file.name for file in tmp_path.iterdir()] == ["catalogue.db"]  # the partial file renamed
    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        yield stats, db


def test_every_trial_and_site_with_coordinates_is_exported(exported):
    stats, db = exported
    sites = Site.objects.filter(latitude__isnull=False, longitude__isnull=False).count()
    assert (stats.trials, stats.sites) == (len(SEARCH_STUDIES), sites)
    assert db.execute("SELECT count(*) FROM trials").fetchone()[0] == len(SEARCH_STUDIES)
    assert db.execute("SELECT count(*) FROM sites").fetchone()[0] == sites > 0
    assert sorted(row[0] for row in db.execute("SELECT nct_id FROM trials")) == SEARCH_STUDIES
    assert stats.bytes > 0


def test_array_columns_are_the_facet_arrays_as_json(exported):
    _, db = exported
    for trial in Trial.objects.all():
        row = db.execute("SELECT * FROM trials WHERE id = ?", [trial.pk]).fetchone()
        assert {column: json.loads(row[column]) for column in ARRAY_COLUMNS} == {
            column: getattr(trial, column) for column in ARRAY_COLUMNS
        }
        assert (row["overall_status"], row["has_results"]) == (trial.overall_status, trial.has_results)
        assert row["last_update_date"] == (trial.last_update_date and trial.last_update_date.isoformat())
    # What Datasette's _facet_array counts: one row per value of each trial's array.
    phases = dict(db.execute("SELECT j.value, count(*) FROM trials, json_each(trials.phases) j GROUP BY 1"))
    assert sum(phases.values()) == sum(len(t.phases) for t in Trial.objects.all())


def test_full_text_index_finds_a_trial_by_its_title_words(exported):
    _, db = exported
    trial = trial_of(SEARCH_STUDIES[0])
    word = max(trial.brief_title.split(), key=len).strip(",.:;()")
    found = [
        row[0]
        for row in db.execute(
            "SELECT t.nct_id FROM trials_fts JOIN trials t ON t.rowid = trials_fts.rowid WHERE trials_fts MATCH ?",
            [f'"{word}"'],
        )
    ]
    assert SEARCH_STUDIES[0] in found
    # Porter stemming, as the portal's english configuration: a plural finds the singular.
    assert db.execute("SELECT count(*) FROM trials_fts WHERE trials_fts MATCH 'trials'").fetchone()[0] > 0
