"""The Atom feed of a search (trials.feeds)."""

import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from trials.models import Trial

pytestmark = pytest.mark.django_db


@pytest.fixture
def search_catalogue(search_catalogue_once, db):
    """Every test here reads the same eleven studies: imported once for the module."""
    return search_catalogue_once


ATOM = "{http://www.w3.org/2005/Atom}"


def feed(client, params: dict) -> ET.Element:
    response = client.get(reverse("trials:feed"), params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    return ET.fromstring(response.content)


def test_feed_lists_the_searchs_trials_most_recently_updated_first(client, search_catalogue):
    root = feed(client, {"status": "RECRUITING"})
    titles = [entry.find(f"{ATOM}title").text for entry in root.iter(f"{ATOM}entry")]
    expected = Trial.objects.filter(overall_status="RECRUITING").order_by("-last_update_date")
    assert titles == [t.brief_title for t in expected]
    assert root.find(f"{ATOM}link[@rel='alternate']").get("href").endswith("/?status=RECRUITING")


def test_feed_title_names_the_words(client, search_catalogue):
    assert feed(client, {"q": "glioma"}).find(f"{ATOM}title").text == "Trials matching “glioma”"


def test_source_text_in_a_feed_is_text(client, search_catalogue):
    Trial.objects.filter(registry_ids__value="NCT06482905").update(
        brief_title="Glioma <script>alert(1)</script>", brief_summary="<img src=x onerror=alert(1)> glioma"
    )
    root = feed(client, {"q": "glioma"})
    entry = next(root.iter(f"{ATOM}entry"))
    assert entry.find(f"{ATOM}title").text == "Glioma <script>alert(1)</script>"  # a text element
    # The summary is HTML to feed readers: the markup arrives escaped, shown as text.
    assert entry.find(f"{ATOM}summary").text == "&lt;img src=x onerror=alert(1)&gt; glioma"
