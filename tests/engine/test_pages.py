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


@pytest.mark.parametrize("path", ["/", "/api/trials/"])
@pytest.mark.parametrize("page_size", [1, 3])  # three trials are in phase 2
def test_an_in_memory_page_reads_its_trials_in_one_query(
    client, search_catalogue, django_assert_num_queries, path, page_size
):
    query = f"{path}?phase=PHASE2&page_size={page_size}"
    client.get(query)  # the snapshot read, the facet counts cached, the drug names of this version read
    # 1. the catalogue's version (the key of the cached facet counts and of the names read so far)
    # 2. the page's trials with their sponsors, registry ids and conditions (trials.result_rows)
    with django_assert_num_queries(2):
        response = client.get(query)
    listed = response.json()["results"] if path != "/" else response.context["page"].object_list
    assert len(listed) == (page_size if path != "/" else 3)  # the page lists 20 at a time
