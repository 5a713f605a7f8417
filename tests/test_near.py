"""Near me (trials.near): places from the shipped gazetteer, and sites within a radius in SQL."""

import pytest

from tests.source_counts import haversine_km
from trials.models import Site
from trials.near import place_index, sites_within
from trials.vocab.keys import name_key


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Boston", "Boston, Massachusetts, United States"),  # the largest of its name
        ("boston", "Boston, Massachusetts, United States"),
        ("Boston, United Kingdom", "Boston, England, United Kingdom"),
        ("Springfield, Illinois", "Springfield, Illinois, United States"),
        ("São Paulo", "São Paulo, Sao Paulo, Brazil"),
        ("Sao Paulo", "São Paulo, Sao Paulo, Brazil"),  # accents optional
        ("Lyon, Rhone-Alpes, France", "Lyon, Rhone-Alpes, France"),  # a typeahead label
        ("48.8566, 2.3522", "48.8566, 2.3522"),
        ("-33.9,151.2", "-33.9000, 151.2000"),
    ],
)
def test_places_a_person_can_name(text, label):
    assert place_index().find(text).label == label


@pytest.mark.parametrize("text", ["Xyzzyville", "", "   ", "91,10", "10,181", "Boston, France"])
def test_places_that_are_not_known(text):
    assert place_index().find(text) is None


def test_suggestions_start_with_the_text_largest_first():
    labels = [p.label for p in place_index().suggest("mun")]
    assert labels[0] == "Munich, Bavaria, Germany"
    assert all(name_key(label).startswith("mun") for label in labels)  # Münster too
    assert len(labels) <= 8
    assert place_index().suggest("") == []


@pytest.mark.django_db
def test_sites_within_a_radius_match_the_haversine_distance(search_catalogue):
    grenoble = place_index().find("Grenoble")
    for radius in (1, 50, 250, 700, 20_000):
        found = {site.pk: site.distance for site in sites_within(Site.objects.all(), grenoble, radius)}
        for site in Site.objects.exclude(latitude=None):
            distance = haversine_km(grenoble.latitude, grenoble.longitude, site.latitude, site.longitude)
            if distance <= radius - 0.01:
                assert found[site.pk] == pytest.approx(distance, abs=0.01)
            elif distance > radius + 0.01:
                assert site.pk not in found


@pytest.mark.django_db
def test_sites_near_the_poles_and_the_antimeridian(search_catalogue):
    # Whole-circle boxes: no longitude bound is applied, and nothing fails.
    north = place_index().find("89.9,0")
    assert list(sites_within(Site.objects.all(), north, 100)) == []
    fiji = place_index().find("-17.7,179.9")
    assert list(sites_within(Site.objects.all(), fiji, 500)) == []
