"""The search page and the API are the same, byte for byte, whichever engine answers: counts,
order, pages, ranked and nearest-first lists included."""

import pytest
from django.core.cache import caches

from trials.engine import forget

pytestmark = pytest.mark.django_db
QUERIES = [
    "",
    "phase=PHASE1&phase=PHASE2",
    "status=RECRUITING&country=US&sort=start_date",
    "condition=D009369&expand=drug",
    "drug_class=pd1_inhibitor&sort=enrollment",
    "q=cancer",
    "q=lymphoma&phase=PHASE2",
    "near=Madrid&radius_km=3000&sort=distance",
    "page=2&page_size=3",
    "sex=FEMALE&age=OLDER_ADULT&healthy_volunteers=false",
]


@pytest.fixture
def search_catalogue(search_catalogue_once, db):
    return search_catalogue_once


def answers(client, settings, engine: str, path: str) -> list[bytes]:
    settings.SEARCH_ENGINE = engine
    found = []
    for query in QUERIES:
        for _ in range(2):  # the second time from the caches of this version
            response = client.get(f"{path}?{query}")
            assert response.status_code == 200, query
            found.append(response.content)
    for alias in ("default", "ratelimit"):
        caches[alias].clear()
    forget()
    return found


@pytest.mark.parametrize("path", ["/", "/api/trials/"])
def test_both_engines_give_the_same_pages(client, settings, search_catalogue, path):
    sql = answers(client, settings, "postgresql", path)
    memory = answers(client, settings, "memory", path)
    for query, left, right in zip([q for q in QUERIES for _ in range(2)], sql, memory, strict=True):
        assert left == right, query
