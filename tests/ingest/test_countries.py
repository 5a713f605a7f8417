import gzip
import html
import json
import re
import tarfile

import pytest

from tests.conftest import SHARED_DATA
from trials.ingest.countries import country_code

API_V2 = SHARED_DATA / "ctgov" / "ctgov_api_v2_studies.jsonl.gz"
LEGACY_XML = SHARED_DATA / "ctgov" / "ctgov_legacy_xml.tar.gz"


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("United States", "US"),
        ("Korea, Republic of", "KR"),
        ("South Korea", "KR"),
        ("Russian Federation", "RU"),
        ("Russia", "RU"),
        ("Iran, Islamic Republic of", "IR"),
        ("Taiwan", "TW"),
        ("Turkey", "TR"),
        ("Türkiye", "TR"),
        ("Turkey (Türkiye)", "TR"),
        ("Czech Republic", "CZ"),
        ("Czechia", "CZ"),
        ("Congo, The Democratic Republic of the", "CD"),
        ("Macedonia, The Former Yugoslav Republic of", "MK"),
        ("North Macedonia", "MK"),
        ("Virgin Islands (U.S.)", "VI"),
        ("Hong Kong", "HK"),
        ("Vietnam", "VN"),
        ("Viet Nam", "VN"),
        ("Moldova, Republic of", "MD"),
        ("Moldova", "MD"),
        ("Tanzania", "TZ"),
        ("Bolivia", "BO"),
        ("Venezuela", "VE"),
        ("Syrian Arab Republic", "SY"),
        ("Lao People's Democratic Republic", "LA"),
        ("Côte D'Ivoire", "CI"),
        ("Cote D'Ivoire", "CI"),
        ("Côte d\u2019Ivoire", "CI"),
        ("Palestinian Territory, occupied", "PS"),
        ("Palestinian Territories, Occupied", "PS"),
        ("Palestine", "PS"),
        ("Libyan Arab Jamahiriya", "LY"),
        ("Holy See (Vatican City State)", "VA"),
        ("Réunion", "RE"),
        ("Georgia", "GE"),
        # Dissolved states keep their former code rather than a guessed successor.
        ("Former Serbia and Montenegro", "CS"),
        ("Former Yugoslavia", "YU"),
        ("Netherlands Antilles", "AN"),
    ],
)
def test_country_code(name, code):
    assert country_code(name) == code


def test_unknown_country_is_none():
    assert country_code("Atlantis") is None
    assert country_code("") is None


@pytest.mark.skipif(not (API_V2.exists() and LEGACY_XML.exists()), reason="shared CT.gov data not on this machine")
def test_every_country_name_in_the_real_data_maps_to_a_code():
    names = set()
    with gzip.open(API_V2, "rt", encoding="utf-8") as lines:
        for line in lines:
            locations = json.loads(line)["protocolSection"].get("contactsLocationsModule", {}).get("locations", [])
            names.update(location["country"] for location in locations if location.get("country"))
    country = re.compile(rb"<country>(.*?)</country>", re.S)  # <location> and <location_countries>
    with tarfile.open(LEGACY_XML) as archive:
        for member in archive:
            if member.isfile():
                data = archive.extractfile(member).read()
                names.update(html.unescape(found.decode().strip()) for found in country.findall(data))
    assert len(names) > 120
    assert sorted(name for name in names if country_code(name) is None) == []
