import gzip
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from trials.ingest.pipeline import import_units, start_run
from trials.ingest.readers import read_paths

FIXTURES = Path(__file__).parent / "fixtures"
# Real public records shared by the team's machines and CI (next to the checkout, or named by
# SHARED_DATA); never on a user's machine, where the tests that need them are skipped.
SHARED_DATA = Path(os.environ.get("SHARED_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")


@pytest.fixture(autouse=True)
def rate_limits_off(settings):
    """Tests make many requests from one address: no rate limits but in tests/test_rate_limits.py."""
    settings.RATE_LIMITS_ENABLED = False


@pytest.fixture
def import_paths(db):
    """Import files through the whole pipeline, as ``import_trials`` does; returns the ImportRun."""

    def run(*paths, format=None):
        reports = []
        import_run = import_units(read_paths(paths), run=start_run("test"), format=format, on_record=reports.append)
        import_run.reports = reports
        return import_run

    return run


@pytest.fixture
def ctgov_fixture():
    """Path of a real CT.gov API v2 study saved under tests/fixtures/ctgov_api_v2/."""

    def path(name: str) -> Path:
        return FIXTURES / "ctgov_api_v2" / name

    return path


@pytest.fixture
def import_studies(import_paths, ctgov_fixture):
    """Import real CT.gov studies by NCT id from tests/fixtures/ctgov_api_v2/."""

    def run(*nct_ids):
        return import_paths(*(ctgov_fixture(f"{nct_id}.json") for nct_id in nct_ids))

    return run


def trial_of(nct_id: str):
    from trials.models import Trial

    return Trial.objects.get(registry_ids__value=nct_id)


class CtgovReplay:
    """A local stand-in for the ClinicalTrials.gov API v2 that answers only the recorded requests.

    ``tests/fixtures/ctgov_api_replay/manifest.json`` pairs each recorded answer with the exact query
    that gets it (built by ``scripts/build_ctgov_replay.py``); any other query is a 400 and any other
    path a 404, so a test passes only when the client sends the right request. ``fail`` queues
    answers (an error status, a non-JSON body) served before the recordings, one per request.
    """

    PATH = "/api/v2/studies"

    def __init__(self):
        folder = FIXTURES / "ctgov_api_replay"
        manifest = json.loads((folder / "manifest.json").read_text())
        self.recorded = [(entry["query"], folder / entry["file"]) for entry in manifest["responses"]]
        self.requests = []  # (query, headers) of every request received, in order
        self.faults = []
        self.sleeps = []  # the client's backoff waits, recorded instead of slept
        self.delay = 0.0  # seconds to wait before answering (to provoke a timeout)

    def fail(self, status, body=b"", *, times=1, content_type="text/plain"):
        self.faults.extend([(status, body, content_type)] * times)

    def queries(self):
        return [query for query, _ in self.requests]

    def answer(self, path, query):
        if self.faults:
            return self.faults.pop(0)
        if path != self.PATH:
            return 404, b"Not Found", "text/plain"
        for recorded_query, file in self.recorded:
            if recorded_query == query:
                return 200, file.read_bytes(), "application/json"
        return 400, f"replay: no recorded answer for {query}".encode(), "text/plain"


class _ReplayHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        replay = self.server.replay
        url = urlsplit(self.path)
        query = {k: v[0] if len(v) == 1 else v for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        replay.requests.append((query, dict(self.headers)))
        time.sleep(replay.delay)
        status, body, content_type = replay.answer(url.path, query)
        gzipped = status == 200 and "gzip" in self.headers.get("Accept-Encoding", "")
        if gzipped:  # as the real API does when asked
            body = gzip.compress(body)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if gzipped:
            self.send_header("Content-Encoding", "gzip")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class _ReplayServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a client that timed out and hung up is what the timeout test wants


@pytest.fixture
def ctgov_replay(settings, monkeypatch):
    """Serve recorded ClinicalTrials.gov API v2 answers on 127.0.0.1 and point CTGOV_API_URL at them."""
    from trials.ingest import ctgov_api

    replay = CtgovReplay()
    server = _ReplayServer(("127.0.0.1", 0), _ReplayHandler)
    server.replay = replay
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    settings.CTGOV_API_URL = f"http://127.0.0.1:{server.server_port}/api/v2"
    monkeypatch.setattr(ctgov_api, "sleep", replay.sleeps.append)
    try:
        yield replay
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# Real CT.gov studies: eight in tests/fixtures/ctgov_api_v2, three in tests/fixtures/vocab_studies.
SEARCH_STUDIES = sorted(
    [p.stem for p in (FIXTURES / "ctgov_api_v2").glob("NCT*.json")]
    + [p.stem for p in (FIXTURES / "vocab_studies").glob("NCT*.json")]
)


SEARCH_PATHS = [*(FIXTURES / "ctgov_api_v2").glob("NCT*.json"), FIXTURES / "vocab_studies"]


@pytest.fixture
def search_catalogue(import_paths):
    """The eleven fixture studies imported: the catalogue the search tests ask questions of."""
    run = import_paths(*SEARCH_PATHS)
    assert (run.created, run.failed) == (len(SEARCH_STUDIES), 0)
    return run


@pytest.fixture(scope="module")
def search_catalogue_once(django_db_setup, django_db_blocker):
    """``search_catalogue`` imported once for a whole module and emptied after it: for modules
    whose every test reads these studies and changes nothing beyond its own rolled-back
    transaction. Such a module opts in by overriding ``search_catalogue`` with this."""
    from django.core.management import call_command
    from django.db import connection

    with django_db_blocker.unblock():
        assert connection.settings_dict["NAME"].startswith("test_"), "the catalogue goes in the test database only"
        run = import_units(read_paths(SEARCH_PATHS), run=start_run("test"))
        assert (run.created, run.failed) == (len(SEARCH_STUDIES), 0)
        try:
            yield run
        finally:
            call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with no cached facet counts: a test's rolled-back transaction never moves
    the catalogue's version on (that happens on commit), so counts could outlive its data. Nor
    does any test inherit another's rate-limit counters."""
    from django.core.cache import caches

    for alias in ("default", "ratelimit"):
        caches[alias].clear()


@pytest.fixture(autouse=True)
def _forget_catalogue_names():
    """Nor any drug and class names read by another test's searches: they are kept per version."""
    from trials import catalogue_names

    catalogue_names.forget()


@pytest.fixture(autouse=True)
def _fresh_search_snapshot(settings):
    """Searches count with SQL unless a test asks for the in-memory engine (tests/engine/ does, and
    compares the two); its snapshot is then of the test's own data, loaded in the request (a
    background thread could not see the test's uncommitted rows)."""
    from trials.engine import forget

    settings.SEARCH_ENGINE = "postgresql"
    settings.SEARCH_ENGINE_BACKGROUND = False
    settings.SEARCH_SNAPSHOT_DIR = ""  # tests/engine/test_stored.py gives it a directory
    settings.PAGE_CACHE_SECONDS = 0  # tests/test_page_cache.py turns it on
    forget()
    yield
    forget()
