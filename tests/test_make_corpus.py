"""benchmarks/make_corpus.py: a synthetic CT.gov corpus recombined from the repo's 300 real demo studies.

The generator runs as the command a benchmark would run it; its output must be reproducible, carry
unique NCT ids and coherent dates, parse with the portal's own parser and import.
"""

import datetime
import gzip
import hashlib
import json
import subprocess
import sys

import pytest

from benchmarks.corpus.dates import TODAY, coherence_errors
from benchmarks.corpus.sources import DEMO_STUDIES, ROOT
from tests.conftest import trial_of
from trials.ingest.parsers import parser_for

STUDIES = 200


def make(*args):
    command = [sys.executable, str(ROOT / "benchmarks" / "make_corpus.py"), "--source", str(DEMO_STUDIES), *args]
    return subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT).stdout


def lines(path):
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        return [line.rstrip(b"\n") for line in handle]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    make("--studies", str(STUDIES), "--seed", "7", "--out", str(folder / "a.jsonl.gz"))
    return folder


def test_same_seed_same_bytes_and_a_smaller_size_is_a_prefix(corpus):
    make("--studies", str(STUDIES), "--seed", "7", "--out", str(corpus / "b.jsonl.gz"))
    make("--studies", "50", "--seed", "7", "--out", str(corpus / "prefix.jsonl"))
    make("--studies", "50", "--seed", "8", "--out", str(corpus / "other.jsonl"))
    digest = [hashlib.md5((corpus / name).read_bytes()).hexdigest() for name in ("a.jsonl.gz", "b.jsonl.gz")]
    assert digest[0] == digest[1]
    assert lines(corpus / "prefix.jsonl") == lines(corpus / "a.jsonl.gz")[:50]
    assert lines(corpus / "other.jsonl") != lines(corpus / "a.jsonl.gz")[:50]


def test_ids_are_unique_synthetic_and_dates_coherent(corpus):
    studies = [json.loads(line) for line in lines(corpus / "a.jsonl.gz")]
    real = {json.loads(line)["protocolSection"]["identificationModule"]["nctId"] for line in lines(DEMO_STUDIES)}
    ids = [study["protocolSection"]["identificationModule"]["nctId"] for study in studies]
    assert len(ids) == STUDIES == len(set(ids))
    assert all(len(nct) == 11 and nct.startswith("NCT8") and nct[3:].isdigit() for nct in ids)
    assert not set(ids) & real
    assert {
        nct: coherence_errors(study) for nct, study in zip(ids, studies, strict=True) if coherence_errors(study)
    } == {}
    titles = {study["protocolSection"]["identificationModule"]["briefTitle"] for study in studies}
    assert len(titles) > 0.9 * STUDIES


def test_every_study_parses_and_keeps_its_skeleton_together(corpus):
    parse = parser_for("ctgov_api_v2_json").parse
    real = set()
    for line in lines(DEMO_STUDIES):
        record = parse(line)
        real.add((tuple(record.conditions), str(record.condition_meshes), str(record.interventions)))
    for line in lines(corpus / "a.jsonl.gz"):
        record = parse(line)
        # Conditions come with their own MeSH terms and interventions, from one real study.
        assert (tuple(record.conditions), str(record.condition_meshes), str(record.interventions)) in real
        assert record.overall_status in ("RECRUITING", "NOT_YET_RECRUITING")  # the demo studies' statuses
        if record.overall_status == "RECRUITING" and record.sites:
            assert any(site.status == "RECRUITING" for site in record.sites)
        assert all(site.latitude is not None or site.city for site in record.sites)


def test_an_incremental_day_changes_studies_of_the_corpus_and_adds_new_ones(corpus):
    out = corpus / "day1.jsonl"
    printed = make("--changes", "30", "--new", "3", "--from", str(corpus / "a.jsonl.gz"), "--out", str(out))
    assert "30 changed studies" in printed
    existing = {
        json.loads(line)["protocolSection"]["identificationModule"]["nctId"] for line in lines(corpus / "a.jsonl.gz")
    }
    day = [json.loads(line) for line in lines(out)]
    ids = [study["protocolSection"]["identificationModule"]["nctId"] for study in day]
    assert len(ids) == len(set(ids)) == 33
    assert set(ids[:30]) <= existing and not set(ids[30:]) & existing
    tomorrow = TODAY + datetime.timedelta(days=1)
    for study in day:
        status = study["protocolSection"]["statusModule"]
        assert status["lastUpdatePostDateStruct"]["date"] == tomorrow.isoformat()
        assert coherence_errors(study, tomorrow) == []


def test_the_check_passes_and_twenty_studies_import(corpus, import_paths):
    printed = make("--check", str(STUDIES), "--out", str(corpus / "a.jsonl.gz"))
    assert f"checked {STUDIES} studies" in printed and ": 0 problems" in printed
    twenty = corpus / "twenty.jsonl"
    twenty.write_bytes(b"\n".join(lines(corpus / "a.jsonl.gz")[:20]) + b"\n")
    run = import_paths(twenty)
    assert (run.created, run.failed) == (20, 0)
    first = json.loads(lines(twenty)[0])["protocolSection"]
    trial = trial_of(first["identificationModule"]["nctId"])
    assert trial.brief_title == first["identificationModule"]["briefTitle"]
    assert trial.sites.count() == len(first.get("contactsLocationsModule", {}).get("locations", []))
