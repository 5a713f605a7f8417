"""Rate limits per client address: the search page, exports, feed and place suggestions (django-ratelimit),
and the API (DRF throttling); 429 with Retry-After beyond the limit, other addresses unaffected.

Rates here are per hour, so a test never straddles the end of a counting window."""

import pytest
from django.core.cache import caches
from django.urls import reverse

pytestmark = pytest.mark.django_db
OTHER = {"REMOTE_ADDR": "192.0.2.7"}


@pytest.fixture(autouse=True)
def limits(settings):
    settings.RATE_LIMITS_ENABLED = True
    settings.SEARCH_RATE_LIMIT = "3/h"
    settings.EXPORT_RATE_LIMIT = "2/h"
    settings.API_RATE_LIMIT = "2/h"
    caches["ratelimit"].clear()
    yield settings
    caches["ratelimit"].clear()


def _retry_after(response) -> int:
    seconds = int(response["Retry-After"])
    assert 1 <= seconds <= 3600
    return seconds


def _exhaust(client, url, allowed, **extra):
    for _ in range(allowed):
        assert client.get(url, **extra).status_code == 200
    return client.get(url, **extra)


@pytest.mark.parametrize(
    ("url", "allowed"),
    [(reverse("trials:list"), 3), (reverse("trials:feed"), 3), (reverse("trials:export", args=["csv"]), 2)],
)
def test_a_page_beyond_its_limit_is_a_friendly_429_and_other_clients_still_get_in(client, url, allowed):
    response = _exhaust(client, url, allowed)

    assert response.status_code == 429
    seconds = _retry_after(response)
    html = response.content.decode()
    assert "Too many requests" in html and f"wait {seconds} second" in html
    assert client.get(url, **OTHER).status_code == 200


def test_each_limit_counts_its_own_requests(client):
    assert _exhaust(client, reverse("trials:list"), 3).status_code == 429
    # The same address may still download and read the feed: separate counters.
    assert client.get(reverse("trials:export", args=["json"])).status_code == 200
    assert client.get(reverse("trials:feed")).status_code == 200


def test_place_suggestions_beyond_the_limit_answer_json(client):
    response = _exhaust(client, reverse("trials:places"), 3, data={"q": "Bos"})

    assert response.status_code == 429
    _retry_after(response)
    assert response["Content-Type"] == "application/json"
    assert "Too many requests" in response.json()["error"]


def test_the_api_beyond_its_limit_answers_json_429(client):
    url = reverse("api:trial-list")
    response = _exhaust(client, url, 2)

    assert response.status_code == 429
    _retry_after(response)
    assert response["Content-Type"] == "application/json"
    assert "throttled" in response.json()["error"].lower()
    assert client.get(url, **OTHER).status_code == 200


def test_the_api_schema_counts_too_and_answers_in_its_own_format(client):
    # Generating the schema is the API's costliest answer; its 429 comes as the format asked for.
    response = _exhaust(client, reverse("api:schema"), 2, data={"format": "json"})

    assert response.status_code == 429
    _retry_after(response)
    assert "throttled" in response.json()["error"].lower()


def test_behind_the_proxy_the_address_it_appended_counts_not_what_the_client_sent(client, settings):
    settings.BEHIND_TLS_PROXY = True
    url = reverse("trials:list")
    for forged in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        # The client forges the first X-Forwarded-For entry; our proxy appends the real address.
        assert client.get(url, HTTP_X_FORWARDED_FOR=f"{forged}, 198.51.100.4").status_code == 200
    assert client.get(url, HTTP_X_FORWARDED_FOR="10.0.0.9, 198.51.100.4").status_code == 429
    assert client.get(url, HTTP_X_FORWARDED_FOR="198.51.100.5").status_code == 200


def test_rate_limits_off_turns_every_limit_off(client, settings):
    settings.RATE_LIMITS_ENABLED = False
    for url in (reverse("trials:list"), reverse("trials:export", args=["csv"]), reverse("api:trial-list")):
        assert [client.get(url).status_code for _ in range(5)] == [200] * 5
