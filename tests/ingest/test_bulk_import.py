"""The bulk path (``import_trials --bulk``) writes the catalogue the per-record path writes.

The same real studies (50 of the shared API v2 set and 50 of the repo's demo studies, in small
batches) are imported once each way into the same test database, and everything a user or the
next import reads is compared: each trial's JSON, its merged record, child rows, facet columns,
search vector, search results, source records and import outcomes.
"""

import gzip
import json
import re
from itertools import islice
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import OuterRef

from tests.conftest import SHARED_DATA
from trials.ingest.bulk.run import bulk_import
from trials.ingest.pipeline import import_units, start_run
from trials.ingest.readers import read_paths
from trials.models import (
    Arm,
    CatalogueChange,
    Condition,
    Contact,
    ImportOutcome,
    ImportRun,
    Intervention,
    Outcome,
    RegistryId,
    Site,
    SourceRecord,
    Trial,
    TrialCondition,
    TrialMeshTerm,
)
from trials.search import search_trials
from trials.trial_json import trial_json, trial_queryset
from trials.vocab.keys import name_key

SHARED = SHARED_DATA / "ctgov" / "ctgov_api_v2_studies.jsonl.gz"
DEMO = Path(__file__).resolve().parents[2] / "data" / "demo" / "ctgov_demo_studies.jsonl.gz"
QUERIES = ["cancer", "breast cancer", 'lung "small cell" -pediatric', "pembrolizumab", "diabetes OR asthma", "NCT"]
CHILDREN = (RegistryId, TrialCondition, TrialMeshTerm, Arm, Intervention, Outcome, Site, Contact)

pytestmark = [
    pytest.mark.skipif(not SHARED.exists(), reason="shared CT.gov data not on this machine"),
    pytest.mark.django_db(transaction=False),
]


@pytest.fixture
def studies(tmp_path) -> Path:
    """100 real studies as JSON lines: 50 of the shared set, then 50 demo studies."""
    path = tmp_path / "studies.jsonl"
    with path.open("wb") as out:
        for source in (SHARED, DEMO):
            with gzip.open(source) as lines:
                out.writelines(islice(lines, 50))
    return path


def _bulk(*paths, batch_size=17):
    return bulk_import(read_paths(paths), run=start_run("bulk test"), workers=1, batch_size=batch_size)


def _per_record(*paths):
    return import_units(read_paths(paths), run=start_run("per-record test"))


def _catalogue() -> dict:
    """Everything the two paths must agree on, keyed by NCT id (row ids left out)."""
    shas = dict(SourceRecord.objects.values_list("pk", "sha256"))
    trials = {}
    for trial in trial_queryset().order_by("pk"):
        data = trial_json(trial)
        nct = next(r["value"] for r in data["registry_ids"] if r["scheme"] == "NCT")
        data.pop("id")
        for source in data["sources"]:
            source.pop("id"), source.pop("imported_at")
        data["fact_sources"] = {key: shas[pk] for key, pk in data["fact_sources"].items()}
        trials[nct] = data
    stored = Trial.objects.values(
        "record_snapshot",
        "facet_sponsor_class",
        "facet_conditions",
        "facet_drugs",
        "facet_drug_classes",
        "facet_intervention_types",
        "facet_countries",
        "search_vector",
        nct=RegistryId.objects.filter(trial=OuterRef("pk"), scheme="NCT").values("value")[:1],
    )
    return {
        "trials": trials,
        "stored": {row.pop("nct"): {**row, "search_vector": _lexemes(row["search_vector"])} for row in stored},
        "children": {model.__name__: model.objects.count() for model in CHILDREN},
        "mesh_terms": sorted(
            TrialMeshTerm.objects.values_list(
                "trial__registry_ids__value", "branch", "mesh_id", "term", "is_ancestor"
            ).filter(trial__registry_ids__scheme="NCT")
        ),
        "searches": {q: [_nct(t) for t in search_trials(Trial.objects.all(), q)] for q in QUERIES},
        "sources": sorted(SourceRecord.objects.values_list("sha256", "format", "origin", "parser_version", "snapshot")),
        "outcomes": sorted(
            ImportOutcome.objects.values_list("source", "outcome", "registry_ids", "changed_fields", "error")
        ),
    }


def _lexemes(vector: str) -> dict[str, list[str]]:
    """Each lexeme of a search vector with the weight of each of its occurrences.

    Positions are left out: ``search_index`` joins a trial's conditions and interventions with
    ``string_agg`` in the order the rows are read, so positions follow the rows' physical order,
    which differs between rows copied in one batch and rows written and updated one trial at a
    time. The lexemes, their weights and their counts are what matching and ranking read."""
    found: dict[str, list[str]] = {}
    for lexeme, positions in re.findall(r"'((?:[^']|'')*)'(?::(\S+))?", vector):
        found[lexeme] = sorted(p.lstrip("0123456789") or "D" for p in positions.split(",")) if positions else []
    return found


def _nct(trial: Trial) -> str:
    return trial.registry_ids.get(scheme="NCT").value


def _clear_catalogue():
    ImportOutcome.objects.all().delete()
    SourceRecord.objects.all().delete()
    Trial.objects.all().delete()


def test_bulk_writes_what_the_per_record_path_writes(studies):
    run = _bulk(studies)
    assert (run.status, run.total, run.created, run.failed) == ("COMPLETED", 100, 100, 0)
    bulk = _catalogue()
    _clear_catalogue()
    _per_record(studies)
    per_record = _catalogue()

    assert bulk["children"] == per_record["children"]
    assert bulk["children"]["Site"] > 100 and bulk["children"]["Intervention"] > 100
    assert bulk["trials"].keys() == per_record["trials"].keys()
    for nct, data in per_record["trials"].items():
        assert bulk["trials"][nct] == data, nct
        assert bulk["stored"][nct] == per_record["stored"][nct], nct
    assert bulk["mesh_terms"] == per_record["mesh_terms"]
    assert bulk["searches"] == per_record["searches"]
    assert all(bulk["searches"][q] for q in QUERIES[:2])
    assert bulk["sources"] == per_record["sources"]
    assert bulk["outcomes"] == per_record["outcomes"]


def test_bulk_again_on_the_same_file_duplicates_nothing(studies):
    _bulk(studies)
    before = _catalogue()
    again = _bulk(studies)
    assert (again.total, again.created, again.updated, again.unchanged, again.failed) == (100, 0, 0, 100, 0)
    after = _catalogue()
    assert after["trials"] == before["trials"]
    assert after["children"] == before["children"]
    assert Trial.objects.count() == 100 and SourceRecord.objects.count() == 100
    # Counted unchanged in bulk, with the outcomes the per-record path gives the same file.
    per_record = _per_record(studies)
    assert per_record.unchanged == 100
    fields = ("source", "outcome", "trial_id", "source_record_id", "registry_ids", "changed_fields", "error")
    assert _outcomes(again, fields) == _outcomes(per_record, fields)


def _outcomes(run, fields):
    return sorted(ImportOutcome.objects.filter(run=run).values_list(*fields))


def test_bulk_after_per_record_leaves_known_studies_to_the_per_record_path(studies, tmp_path):
    """Studies already in the catalogue are merged the per-record way; only new ones are copied."""
    first = tmp_path / "first.jsonl"
    first.write_bytes(b"".join(studies.read_bytes().splitlines(keepends=True)[:30]))
    _per_record(first)
    run = _bulk(studies)
    assert (run.total, run.created, run.unchanged, run.failed) == (100, 70, 30, 0)
    assert Trial.objects.count() == 100
    assert RegistryId.objects.filter(scheme="NCT").values("value").distinct().count() == 100


def test_a_malformed_line_fails_alone_and_the_rest_loads(studies, tmp_path):
    lines = studies.read_bytes().splitlines(keepends=True)
    damaged = tmp_path / "damaged.jsonl"
    damaged.write_bytes(
        b"".join([*lines[:10], b'{"protocolSection": {"identificationModule": \n', *lines[10:20], lines[3]])
    )
    run = _bulk(damaged, batch_size=8)
    assert (run.total, run.created, run.unchanged, run.failed) == (22, 20, 1, 1)
    failed = ImportOutcome.objects.get(outcome="failed")
    assert failed.source.endswith(":line 11") and failed.trial_id is None
    assert Trial.objects.count() == 20
    # The per-record path gives the same outcomes for the same file.
    bulk_outcomes = sorted(ImportOutcome.objects.values_list("source", "outcome", "error"))
    _clear_catalogue()
    _per_record(damaged)
    assert sorted(ImportOutcome.objects.values_list("source", "outcome", "error")) == bulk_outcomes


def test_a_load_stopped_between_batches_keeps_whole_batches_and_resumes(studies):
    def stop_after_first_batch(report):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        bulk_import(
            read_paths([studies]), run=start_run("stopped"), workers=1, batch_size=30, on_record=stop_after_first_batch
        )
    assert ImportRun.objects.get(origin="stopped").status == ImportRun.Status.INTERRUPTED
    # The first batch, whole: every trial with its rows, its search document and its outcome.
    assert Trial.objects.count() == 30
    assert not Trial.objects.filter(search_vector__isnull=True).exists()
    assert ImportOutcome.objects.filter(outcome="created").count() == 30
    run = _bulk(studies)
    assert (run.created, run.unchanged) == (70, 30)
    assert Trial.objects.count() == 100


def test_a_load_stopped_inside_a_batch_leaves_nothing_of_that_batch(studies, monkeypatch):
    from trials.ingest.bulk import batch

    calls = []
    index_and_publish = batch._index_and_publish

    def stop_in_second_batch(cursor, trial_ids):
        calls.append(trial_ids)
        if len(calls) == 2:
            raise KeyboardInterrupt
        index_and_publish(cursor, trial_ids)

    monkeypatch.setattr(batch, "_index_and_publish", stop_in_second_batch)
    with pytest.raises(KeyboardInterrupt):
        _bulk(studies, batch_size=40)
    # The second batch's rows were copied before the stop: all of them are gone with it.
    assert Trial.objects.count() == 40
    for model in (SourceRecord, ImportOutcome):
        assert model.objects.count() == 40
    assert Site.objects.count() == Site.objects.filter(trial__in=Trial.objects.all()).count()


def test_a_curators_condition_mapping_is_followed_as_the_per_record_path_follows_it(studies):
    with gzip.open(SHARED) as lines:
        term = json.loads(next(lines))["protocolSection"]["conditionsModule"]["conditions"][0]
    curated = Condition.objects.create(
        name="Curated wording", key="curated wording", mapped_by_curator=True, aliases=[name_key(term)[:500]]
    )
    _bulk(studies)
    bulk = _catalogue()
    assert TrialCondition.objects.filter(condition=curated, source_term=term).exists()
    _clear_catalogue()
    _per_record(studies)
    per_record = _catalogue()
    assert bulk["trials"] == per_record["trials"]
    assert bulk["stored"] == per_record["stored"]


def test_a_worker_stores_with_lz4_where_the_server_has_it(studies, monkeypatch):
    from trials.ingest import session
    from trials.ingest.bulk import chunk

    with connection.cursor() as cursor:
        has_lz4 = session.LZ4_COMPRESSION in session.toast_compressions(cursor)
    # A worker's session (as a forked worker sets its own); bulk_import's workers=1 then keeps it.
    chunk.start_worker(0, {}, own_connection=True)
    _bulk(studies)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT pg_column_compression(s.raw), pg_column_compression(s.snapshot) "
            "FROM trials_sourcerecord s WHERE octet_length(s.raw) > 4000"
        )
        assert cursor.fetchall() == [("lz4", "lz4") if has_lz4 else ("pglz", "pglz")]
    with gzip.open(SHARED) as lines:
        first = next(lines).rstrip(b"\n")
    assert SourceRecord.objects.filter(raw=first).count() == 1

    # A server built without lz4 (an embedded one): the default stays, nothing fails.
    monkeypatch.setattr(session, "toast_compressions", lambda cursor: ["pglz"])
    with connection.cursor() as cursor:
        cursor.execute("RESET default_toast_compression")
        chunk.start_worker(0, {}, own_connection=True)
        cursor.execute("SHOW default_toast_compression")
        assert cursor.fetchone()[0] == "pglz"


def test_each_batch_notes_its_new_trials_for_the_search_snapshots(studies, django_capture_on_commit_callbacks):
    """The version each batch moves to lists that batch's trials (trials.engine.catching_up reads
    only those again), not 'every trial'."""
    with django_capture_on_commit_callbacks(execute=True):
        _bulk(studies)
    changes = list(CatalogueChange.objects.order_by("version"))
    assert len(changes) == 6 and all(change.trial_ids is not None for change in changes)  # 100 in batches of 17
    noted = [trial for change in changes for trial in change.trial_ids]
    assert sorted(noted) == sorted(Trial.objects.values_list("pk", flat=True))


def test_the_load_analyzes_the_columns_its_statements_look_rows_up_by(studies):
    """After its first batch the load gives the planner the tables' row counts and the statistics
    of their keys and match columns, and skips the costly ones it does not use (the trial table's
    search vector and facet arrays, left to autovacuum)."""
    _bulk(studies)
    with connection.cursor() as cursor:
        # pg_statistic's rows that this transaction wrote, i.e. the columns the load analyzed.
        cursor.execute(
            "SELECT c.relname, a.attname FROM pg_statistic s "
            "JOIN pg_class c ON c.oid = s.starelid "
            "JOIN pg_attribute a ON a.attrelid = s.starelid AND a.attnum = s.staattnum "
            "WHERE s.xmin::text = (txid_current() % 4294967296)::text"
        )
        analyzed = set(cursor.fetchall())
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relname = ANY(%s) AND reltuples > 0",
            [["trials_trial", "trials_intervention", "trials_intervention_drugs", "trials_site"]],
        )
        counted = {row[0] for row in cursor.fetchall()}
    keys = {("trials_trial", "id"), ("trials_intervention", "trial_id"), ("trials_intervention_drugs", "drug_id")}
    assert keys | {("trials_registryid", "value"), ("trials_sourcerecord", "sha256")} <= analyzed
    assert {column for table, column in analyzed if table == "trials_trial"} == {"id", "lead_sponsor_id"}
    assert counted == {"trials_trial", "trials_intervention", "trials_intervention_drugs", "trials_site"}
