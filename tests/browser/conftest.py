"""Browser tests: Playwright drives Debian's chromium against a live server holding real studies.

Each test module gets its own catalogue, imported once (the eleven fixture studies take a few
seconds) and served by its own live server for the whole module. pytest-django's ``live_server``
fixture would force ``transactional_db`` on every test, which empties the database after each one,
so the catalogue would have to be imported again per test. Instead the catalogue is committed to
the test database for the module and the database is flushed, as ``transactional_db`` would, when
the module ends, so the tests after it start from an empty catalogue as they expect. Tests here
read the catalogue only through the server; none of them writes to the database.

Nothing is downloaded: the browser is the system's chromium and axe-core comes from
``node_modules`` (``npm ci``). Without either, the tests that need it are skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.browser.chromium import CHROMIUM, DESKTOP, launch
from tests.conftest import FIXTURES, SEARCH_STUDIES
from trials.ingest.pipeline import import_units, start_run
from trials.ingest.readers import read_paths
from trials.near import place_index

AXE_SCRIPT = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items):
    # The django_db mark makes pytest-django create the test database (the catalogue goes there, not
    # into DATABASE_URL's); each test's own transaction is unused, as tests only read through the server.
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.django_db)


def _browser_missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -r requirements.txt)"
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        return f"no chromium at {CHROMIUM} (apt-get install chromium, or set CHROMIUM=/path/to/chromium)"
    return None


@pytest.fixture(scope="session")
def browser():
    """The system's chromium, headless; the tests are skipped when it or Playwright is missing."""
    if reason := _browser_missing():
        pytest.skip(f"Browser tests skipped: {reason}")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an asyncio loop in this thread, and Django refuses database calls
    # from a thread with a running loop (the flush after each module). Only while the browser runs.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = launch(playwright)
        yield chromium
        chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="module")
def site_url(browser, django_db_setup, django_db_blocker):
    """URL of a live server over the eleven fixture studies (``search_catalogue``'s), for this module."""
    from django.db import connection
    from pytest_django.live_server_helper import LiveServer

    with django_db_blocker.unblock():
        assert connection.settings_dict["NAME"].startswith("test_"), "the catalogue goes in the test database only"
        paths = [*(FIXTURES / "ctgov_api_v2").glob("NCT*.json"), FIXTURES / "vocab_studies"]
        run = import_units(read_paths(paths), run=start_run("browser tests"))
        assert (run.created, run.failed) == (len(SEARCH_STUDIES), 0)
        # The gazetteer is read on the first place lookup (seconds); read it now so that the first
        # typeahead request answers as quickly as the others.
        place_index()
        server = LiveServer("127.0.0.1")
        server._live_server_modified_settings.enable()  # ALLOWED_HOSTS, as the live_server fixture does
        try:
            yield server.url
        finally:
            server._live_server_modified_settings.disable()
            server.stop()
            call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def new_page(browser, site_url):
    """Open pages in fresh browser contexts (own cookies and history) that fail the test on a script error."""
    contexts, errors = [], []

    def open_page(viewport=DESKTOP, **options):
        context = browser.new_context(base_url=site_url, viewport=viewport, accept_downloads=True, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not errors, f"script errors on the page: {errors}"


@pytest.fixture
def page(new_page):
    """A desktop-sized page with JavaScript on."""
    return new_page()


@pytest.fixture(scope="session")
def axe_script() -> Path:
    if not AXE_SCRIPT.is_file():
        npm = "npm ci" if shutil.which("npm") else "npm ci (Node.js is not installed)"
        pytest.skip(f"Accessibility tests skipped: axe-core is not installed; run `{npm}` at the repository root")
    return AXE_SCRIPT
