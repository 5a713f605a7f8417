"""The database going away while the portal serves: 503 with Retry-After, then recovery with no restart.

The outage is real, not mocked: the default connection is pointed at a port nothing listens on, or
PostgreSQL itself is told to terminate this process's backend (``pg_terminate_backend``). These tests
commit (``transaction=True``) because a dropped connection cannot keep a test's transaction open;
pytest-django empties the tables after each. ``scripts/db_restart_check.py`` does the same against a
real PostgreSQL restart under gunicorn.
"""

import contextlib
import logging
import re
import socket

import psycopg
import pytest
from django.db import DataError, IntegrityError, OperationalError, ProgrammingError, connection, transaction
from django.template.loader import render_to_string

from portal import database_outage
from portal.database_outage import RETRY_AFTER_SECONDS, OutageLog, is_database_outage

NCT_ID = "NCT04728893"
PAGES = {  # url -> the content type of its 503
    "/?q=cancer": "text/html; charset=utf-8",
    f"/trials/{NCT_ID}/": "text/html; charset=utf-8",
    "/api/trials/?q=cancer": "application/json",
    f"/api/trials/{NCT_ID}/": "application/json",
    # Downloads read their first rows before answering, so they too are a 503 rather than a cut-off 200.
    "/export.csv?q=cancer": "text/html; charset=utf-8",
}


@pytest.fixture
def one_trial(import_studies):
    run = import_studies(NCT_ID)
    assert run.created == 1


@pytest.fixture
def outage_log(monkeypatch):
    """A fresh log state, so an outage left over by another test does not hide this one's first warning."""
    fresh = OutageLog()
    monkeypatch.setattr(database_outage, "outage_log", fresh)
    return fresh


@contextlib.contextmanager
def pointed_at(**changes):
    """The default connection reconnected with ``changes`` to its settings (HOST, PORT, NAME), then back."""
    saved = {key: connection.settings_dict[key] for key in changes}
    connection.close()
    connection.settings_dict.update(changes)
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)


def database_refused():
    """Point the default connection at a free local port, where connections are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    return pointed_at(HOST="127.0.0.1", PORT=str(free_port))


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def terminate_backend(pid: int) -> None:
    """What a DBA or a failover does to a connection: PostgreSQL ends it from a second connection."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as admin:
        # The timeout (ms) makes it wait until the backend is gone, so the next query meets a dead socket.
        assert admin.execute("SELECT pg_terminate_backend(%s, 5000)", [pid]).fetchone() == (True,)


def get(client, url):
    """The response, its body read to the end (a download streams it) as the server would send it."""
    response = client.get(url)
    if response.streaming:
        response.streamed = b"".join(response.streaming_content)
    response.close()
    return response


def assert_unavailable(response, content_type):
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response["Content-Type"] == content_type
    assert response["Cache-Control"] == "no-store"
    body = response.content.decode()
    assert "Traceback" not in body and "OperationalError" not in body and "5432" not in body
    if content_type == "application/json":
        assert response.json() == {"error": database_outage.MESSAGE}
    else:
        assert "<h1>Temporarily unavailable</h1>" in body


@pytest.mark.django_db(transaction=True)
def test_refused_database_gives_503_then_recovers_without_restart(client, one_trial, outage_log, caplog):
    for url in PAGES:
        assert get(client, url).status_code == 200, url

    with database_refused(), caplog.at_level(logging.WARNING):
        for url, content_type in PAGES.items():
            assert_unavailable(get(client, url), content_type)
    # One line for the whole outage, without a traceback; Django's per-request "Service Unavailable" is left out.
    outage_lines = [(r.name, r.levelname, r.exc_info) for r in caplog.records]
    assert outage_lines == [("portal.database_outage", "WARNING", None)]
    assert caplog.records[0].getMessage().startswith("Database unavailable, answering 503: OperationalError: ")

    caplog.clear()
    with caplog.at_level(logging.WARNING):
        for url in PAGES:
            assert get(client, url).status_code == 200, url
    assert {"scheme": "NCT", "value": NCT_ID} in client.get(f"/api/trials/{NCT_ID}/").json()["registry_ids"]
    # The outage's length depends on how busy the machine is: any number of seconds.
    [message] = [r.getMessage() for r in caplog.records]
    assert re.fullmatch(rf"Database available again after \d+ s \({len(PAGES)} requests answered 503\)", message)


@pytest.mark.django_db(transaction=True)
def test_connection_terminated_by_the_server_is_replaced(client, one_trial, outage_log):
    for url, content_type in PAGES.items():
        assert get(client, url).status_code == 200, url
        dead_pid = backend_pid()
        terminate_backend(dead_pid)

        first = get(client, url)
        if first.status_code != 200:  # the request that meets the dead connection may fail, cleanly
            assert_unavailable(first, content_type)
        assert get(client, url).status_code == 200, url
        assert backend_pid() != dead_pid


@pytest.mark.django_db(transaction=True)
def test_export_losing_the_database_mid_stream_raises_and_the_next_request_recovers(
    client, import_studies, monkeypatch
):
    # A download reads its first chunk of trials before answering; a later chunk is read after the 200
    # is sent, and losing the database then can only cut the download short. The error leaves the
    # iterator, so the WSGI server aborts the chunked body and the client sees a failed download
    # (gunicorn: no terminating chunk; scripts/db_restart_check.py), never a short file that looks whole.
    monkeypatch.setattr("trials.exports.CHUNK", 1)  # two trials, two chunks
    assert import_studies(NCT_ID, "NCT05034276").created == 2
    response = client.get("/export.json")
    assert response.status_code == 200
    stream = iter(response.streaming_content)
    assert next(stream) == b"["
    assert b"NCT" in next(stream)  # the first trial, read in the view
    terminate_backend(backend_pid())
    with pytest.raises(OperationalError):
        list(stream)
    response.close()
    get(client, "/api/trials/?q=cancer")  # may meet the dead connection and 503
    assert get(client, f"/api/trials/{NCT_ID}/").status_code == 200


def test_unavailable_page_needs_no_database_and_no_script():
    # Without the db fixture any query raises: the page renders while the database is down.
    html = render_to_string("503.html")
    assert "<h1>Temporarily unavailable</h1>" in html
    assert "<script" not in html and "<style" not in html and "style=" not in html
    assert '<link rel="stylesheet" href="/static/css/portal.css">' in html


@pytest.mark.django_db
def test_query_errors_are_not_outages():
    """Bad SQL, bad data and broken constraints stay 500s with their traceback: they are bugs, not outages."""
    statements = {
        ProgrammingError: "SELECT no_such_column FROM trials_trial",
        DataError: "SELECT 1 / 0",
        IntegrityError: "INSERT INTO trials_trial (id) VALUES (NULL)",
        OperationalError: "SET LOCAL statement_timeout = 1; SELECT pg_sleep(1)",  # a slow query, not an outage
    }
    for error_class, sql in statements.items():
        with pytest.raises(error_class) as raised, transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
        assert not is_database_outage(raised.value), sql


@pytest.mark.django_db(transaction=True)
def test_refused_connection_is_an_outage():
    with pytest.raises(OperationalError) as raised, database_refused():
        connection.ensure_connection()
    assert is_database_outage(raised.value)
