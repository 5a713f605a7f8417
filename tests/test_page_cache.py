"""Whole answers of the search page and the API list, kept under the catalogue's version."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from trials.search_index import catalogue_changed

pytestmark = pytest.mark.django_db


@pytest.fixture
def search_catalogue(search_catalogue_once, db):
    return search_catalogue_once


@pytest.fixture(autouse=True)
def _page_cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 600


@pytest.mark.parametrize("path", ["/", "/api/trials/"])
def test_the_same_search_again_is_one_query(client, search_catalogue, path):
    first = client.get(path, {"phase": "PHASE1", "q": "cancer"})
    with CaptureQueriesContext(connection) as queries:
        again = client.get(path, {"q": "cancer", "phase": "PHASE1"})  # the same search, in another order
    assert again.content == first.content
    assert len(queries) == 1  # the catalogue's version


def test_a_change_to_the_catalogue_is_answered_afresh(client, search_catalogue):
    before = client.get("/api/trials/", {"phase": "PHASE1"}).json()
    catalogue_changed()  # as every import and curator's edit does on commit
    with CaptureQueriesContext(connection) as queries:
        after = client.get("/api/trials/", {"phase": "PHASE1"}).json()
    assert len(queries) > 1 and after == before


def test_a_signed_in_curator_is_never_served_a_kept_answer(client, admin_client, search_catalogue):
    client.get("/", {"phase": "PHASE1"})
    with CaptureQueriesContext(connection) as queries:
        admin_client.get("/", {"phase": "PHASE1"})
    assert len(queries) > 2
