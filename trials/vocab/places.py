"""Offline gazetteer: a site's city, country and state to coordinates, for "trials near me".

Reads ``data/vocab/cities.tsv.gz`` (GeoNames cities of 500 people and more, built by
``scripts/vocabulary/places.py``). The file is sorted by country; loading cuts it into one text
block per country and a country's names are indexed only when a site there is first located, so
the loader pays for the countries it meets, not for all 235,000 cities.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from trials.vocab.keys import name_key

DATA = Path(__file__).resolve().parents[2] / "data" / "vocab" / "cities.tsv.gz"

# Words written either way in site cities ("St. Louis" / "Saint Louis", "Ft. Myers"): both sides
# are folded to the short form.
_SHORT_FORMS = {"saint": "st", "sainte": "ste", "fort": "ft", "mount": "mt", "mont": "mt"}
# Words registries add around a city's name ("Hangzhou City", "Chaoyang District", "City of
# London"); dropped only when the name as written matches no city.
_WRAPPER_WORDS = {
    *("city", "town", "district", "county", "province", "prefecture", "municipality", "cedex"),
    *("shi", "qu", "xian", "ku", "ken", "gu", "gun", "si", "do"),  # Chinese, Japanese, Korean suffixes
    # "Greater London", "City of Zagreb", "National Capital Territory of Delhi", "Seoul Teukbyeolsi"
    *("greater", "of", "metropolitan", "national", "capital", "territory", "teukbyeolsi", "teugbyeolsi"),
}
# Names registries use for a city that are not among the gazetteer's names for it.
_CITY_ALIASES = {
    "caba": "buenos aires",
    "ciudad autonoma de buenos aires": "buenos aires",
    "ciudad autonoma de buenos aire": "buenos aires",
}
# A same-name city this large is taken even in another state than the one written: registries
# name capital districts and renamed states their own way ("Bogotá, Cundinamarca", "Hyderabad,
# Andhra Pradesh"), while a small namesake elsewhere is another place ("Commerce, Michigan").
_METROPOLIS = 1_000_000
# Places a registry may file under another country than GeoNames does.
_ALSO_IN = {"CN": ("HK", "MO")}
_GLUED_SUFFIX = re.compile(r"(\w{3,}?)(?:ku|shi|ken|gun|do)")
_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
# Postal codes and house numbers some registries leave in the city field ("75013 Paris").
_DIGITS = re.compile(r"\b[\d-]+\b")


@dataclass(frozen=True, slots=True)
class _City:
    latitude: float
    longitude: float
    population: int
    admin1_code: str
    admin1_name: str


@dataclass(frozen=True)
class Place:
    """Where a site is: a city's point, or for ``precision == "admin1"`` the point of the largest
    city of the state or province the registry wrote in the city field ("Kanagawa", "Shandong")."""

    latitude: float
    longitude: float
    precision: str  # "city" | "admin1"


@dataclass
class _CountryIndex:
    cities: dict[str, list[_City]]  # place key -> cities of that name
    admin1: dict[str, list[_City]]  # admin1 name or code key -> its cities, largest first


class Gazetteer:
    def __init__(self, path: Path = DATA):
        # Kept as UTF-8 bytes (18 MB), not str: one accented letter past Latin-1 would make the
        # whole str two bytes a character.
        self._data = gzip.decompress(path.read_bytes())
        self._blocks: dict[str, tuple[int, int]] = {}
        start = self._data.index(b"\n") + 1  # past the header
        while start < len(self._data):
            country = _country_at(self._data, start)
            end = _block_end(self._data, start, country)
            self._blocks[country] = (start, end)
            start = end
        self._indexes: dict[str, _CountryIndex] = {}

    def locate(self, city: str, country_code: str, state: str = "") -> tuple[float, float] | None:
        """(latitude, longitude) of the site's city, or None; see ``match``."""
        place = self.match(city, country_code, state)
        return None if place is None else (place.latitude, place.longitude)

    def match(self, city: str, country_code: str, state: str = "") -> Place | None:
        """The city of that name in that country (or Hong Kong and Macao for China).

        Among cities of the same name, the one in the given state (name or code: "California" or
        "CA") wins, else the most populous. A state the country has but none of the same-name
        cities is in gives None: the city is one the gazetteer lacks, not the namesake elsewhere.
        A city field that names a state or province instead is located at its largest city.
        """
        country = (country_code or "").upper()
        if not city or not city.strip():
            return None
        countries = [code for code in (country, *_ALSO_IN.get(country, ())) if code in self._blocks]
        keys = _city_keys(city)
        for code in countries:
            index = self._index(code)
            for key in keys:
                if found := index.cities.get(key):
                    best = _choose(found, state, index)
                    return None if best is None else Place(best.latitude, best.longitude, "city")
        for code in countries:
            index = self._index(code)
            for key in keys:
                region = index.admin1.get(key)
                # Only when the state, if any, is that region: "LA, California" is not Louisiana.
                if region and (not state or _state_keys(state) & _admin1_keys(region[0])):
                    return Place(region[0].latitude, region[0].longitude, "admin1")
        return None

    def _index(self, country: str) -> _CountryIndex:
        if (index := self._indexes.get(country)) is None:
            start, end = self._blocks[country]
            index = self._indexes[country] = _build_index(self._data[start:end].decode("utf-8"))
        return index


@cache
def gazetteer() -> Gazetteer:
    """The shipped gazetteer, loaded once per process."""
    return Gazetteer()


def place_key(name: str) -> str:
    return " ".join(_SHORT_FORMS.get(word, word) for word in name_key(name).split())


def _loose(key: str) -> str:
    """German and Nordic spellings without umlauts ("Wuerttemberg", "Muenster") meet the folded ones."""
    return key.replace("ae", "a").replace("oe", "o").replace("ue", "u")


def _country_at(data: bytes, line_start: int) -> str:
    line_end = data.find(b"\n", line_start)
    return data[line_start:line_end].split(b"\t", 4)[3].decode("ascii")


def _line_start_from(data: bytes, position: int) -> int:
    """Start of the first line that begins at or after ``position``."""
    if position == 0 or data[position - 1 : position] == b"\n":
        return position
    newline = data.find(b"\n", position)
    return len(data) if newline == -1 else newline + 1


def _block_end(data: bytes, start: int, country: str) -> int:
    """Where the rows of ``country`` (which begin at ``start``) end: a binary search over byte
    offsets, as rows are sorted by country, so loading never parses the rows of other countries."""
    low, high = start, len(data)
    while low < high:
        middle = (low + high) // 2
        line = _line_start_from(data, middle)
        if line >= len(data) or _country_at(data, line) > country:
            high = middle
        else:
            low = middle + 1
    return _line_start_from(data, low)


def _build_index(block: str) -> _CountryIndex:
    index = _CountryIndex({}, {})
    for line in block.splitlines():
        name, ascii_name, alternates, _, admin1_code, admin1_name, lat, lon, population = line.split("\t")
        city = _City(float(lat), float(lon), int(population), admin1_code, admin1_name)
        keys = {place_key(name), place_key(ascii_name)}
        keys.update(place_key(alternate) for alternate in alternates.split("|") if alternate)
        keys |= {_loose(key) for key in keys}
        for key in keys:
            if key:
                index.cities.setdefault(key, []).append(city)
        # Rows come largest first, so each region's list starts with its largest city.
        for key in _admin1_keys(city):
            index.admin1.setdefault(key, []).append(city)
    return index


def _admin1_keys(city: _City) -> set[str]:
    key = place_key(city.admin1_name)
    keys = {key, _loose(key), _trim(key)}
    # Numeric GeoNames codes ("02") are no one's way of writing a state; letter codes ("CA") are.
    if city.admin1_code.isalpha():
        keys.add(place_key(city.admin1_code))
    keys.discard("")
    return keys


def _city_keys(city: str) -> list[str]:
    """Keys to try, best first: the name as written, then without postal codes, brackets, the
    parts around a comma or spaced dash ("Beijing, Beijing", "Bruxelles - Brussel"), wrapper
    words ("Hangzhou City", "Chuo-ku", "Lyon Cedex 03") and a postal district letter ("Aarhus N")."""
    variants = [city, _DIGITS.sub(" ", city), _BRACKETS.sub(" ", city)]
    for text in list(variants):
        variants += [part for part in re.split(r"[,/;]| - ", text) if part.strip()]
    keys = []
    for text in variants:
        key = place_key(text)
        key = _CITY_ALIASES.get(key, key)
        words = key.split()
        trimmed = [word for word in words if word not in _WRAPPER_WORDS] or words
        # Japanese ward and city suffixes written glued on ("Chuoku", "Sakaishi", "Aichiken").
        unglued = _GLUED_SUFFIX.fullmatch(key) if len(words) == 1 else None
        if len(trimmed) > 1 and len(trimmed[-1]) == 1:
            trimmed = trimmed[:-1]
        if words[:2] == ["ciudad", "de"] and len(words) > 2:
            trimmed = words[2:]
        for candidate in (key, " ".join(trimmed), _loose(key), unglued and unglued.group(1)):
            if candidate and candidate not in keys:
                keys.append(candidate)
    return keys


def _state_keys(state: str) -> set[str]:
    key = place_key(state)
    return {key, _loose(key), _trim(key)} - {""}


def _trim(key: str) -> str:
    words = key.split()
    return " ".join(word for word in words if word not in _WRAPPER_WORDS) or key


def _choose(cities: list[_City], state: str, index: _CountryIndex) -> _City | None:
    wanted = _state_keys(state)
    if wanted:
        in_state = [city for city in cities if wanted & _admin1_keys(city)]
        if in_state:
            cities = in_state
        elif any(key in index.admin1 for key in wanted) and max(city.population for city in cities) < _METROPOLIS:
            return None
    return max(cities, key=lambda city: city.population)
