"""One-line locations as CT.gov's CSV exports write them (items taken from the real fixtures)."""

import pytest

from trials.ingest.location_text import location_site


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "San Diego Sexual Medicine, San Diego, California, 92120, United States",
            ("San Diego Sexual Medicine", "San Diego", "California", "92120", "United States", "US"),
        ),
        ("Possover, Zürich, 8008, Switzerland", ("Possover", "Zürich", "", "8008", "Switzerland", "CH")),
        (
            "Faculty of Medicine Cairo University, Cairo, Egypt",
            ("Faculty of Medicine Cairo University", "Cairo", "", "", "Egypt", "EG"),
        ),
        # A facility name with a comma, no state, a country written with a comma.
        (
            "Samsung Medical Center, Sungkyunkwan University, Seoul, Korea, Republic of",
            ("Samsung Medical Center, Sungkyunkwan University", "Seoul", "", "", "Korea, Republic of", "KR"),
        ),
    ],
)
def test_location_parts_are_read_from_the_right(text, expected):
    site = location_site(text)
    assert (site.facility, site.city, site.state, site.postal_code, site.country, site.country_code) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Real items of the shared CSV exports: a state spelled without its accents, a state code.
        ("Research Site, Pune, Maharashtra, India", ("Research Site", "Pune", "Maharashtra", "IN")),
        ("Research Site, Sao Paulo, SP, Brazil", ("Research Site", "Sao Paulo", "SP", "BR")),
        ("Pune, Maharashtra, India", ("", "Pune", "Maharashtra", "IN")),
    ],
)
def test_states_outside_the_us_are_told_from_cities(text, expected):
    site = location_site(text)
    assert (site.facility, site.city, site.state, site.country_code) == expected
