""" "Near me": places a person can name, and trials with a site within some kilometres of one.

Places come from the shipped GeoNames gazetteer (``data/vocab/cities.tsv.gz``): every city of at
least ``MIN_POPULATION`` people, so that a typeahead over them stays small (about 35,000 names,
a few MB) and a place typed without its state finds the city most people mean. A place is also
accepted as "latitude,longitude". Distances are great-circle (haversine) kilometres computed in
SQL with core PostgreSQL functions, after a bounding box the site coordinates index serves.
"""

from __future__ import annotations

import bisect
import gzip
import math
import re
from dataclasses import dataclass
from functools import cache

import pycountry
from django.db.models import F, FloatField, QuerySet, Value
from django.db.models.functions import ASin, Cos, Least, Power, Radians, Sin, Sqrt

from trials.vocab.keys import name_key
from trials.vocab.places import DATA

MIN_POPULATION = 15_000
EARTH_RADIUS_KM = 6371.0088
_LAT_LON = re.compile(r"^\s*(-?\d{1,2}(?:\.\d+)?)\s*,\s*(-?\d{1,3}(?:\.\d+)?)\s*$")


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float
    label: str


class PlaceIndex:
    """Cities by folded name, for prefix lookup and for reading back a label the typeahead gave."""

    def __init__(self, rows: list[tuple[str, str, str, float, float, int]]):
        # (name, admin1 name, country code, latitude, longitude, population), largest first.
        self._points: list[Point] = []
        self._keys: list[tuple[str, int]] = []  # (folded name, index into _points), sorted
        self._by_label: dict[str, int] = {}
        for name, admin1, country, latitude, longitude, _ in rows:
            label = ", ".join(part for part in (name, admin1, country_name(country)) if part)
            index = len(self._points)
            self._points.append(Point(latitude, longitude, label))
            self._keys.append((name_key(name), index))
            self._by_label.setdefault(name_key(label), index)
        self._keys.sort()

    def suggest(self, text: str, limit: int = 8) -> list[Point]:
        """Places whose name starts with ``text``, largest first (rows come largest first)."""
        key = name_key(text)
        if not key:
            return []
        start = bisect.bisect_left(self._keys, (key, -1))
        found = []
        for name, index in self._keys[start:]:
            if not name.startswith(key):
                break
            found.append(index)
        return [self._points[index] for index in sorted(found)[:limit]]

    def find(self, text: str) -> Point | None:
        """The place ``text`` names: "lat,lon", a label the typeahead gave ("Lyon, Auvergne-Rhône-Alpes,
        France"), or a city name, optionally followed by its state or country ("Springfield, Illinois")."""
        if match := _LAT_LON.match(text):
            latitude, longitude = float(match[1]), float(match[2])
            if -90 <= latitude <= 90 and -180 <= longitude <= 180:
                return Point(latitude, longitude, f"{latitude:.4f}, {longitude:.4f}")
            return None
        key = name_key(text)
        if key in self._by_label:
            return self._points[self._by_label[key]]
        city, _, rest = text.partition(",")
        qualifiers = {name_key(part) for part in rest.split(",") if part.strip()}
        start = bisect.bisect_left(self._keys, (name_key(city), -1))
        candidates = []
        for name, index in self._keys[start:]:
            if name != name_key(city):
                break
            candidates.append(index)
        for index in sorted(candidates):  # largest first
            label_parts = {name_key(part) for part in self._points[index].label.split(",")}
            if qualifiers <= label_parts:
                return self._points[index]
        return None


@cache
def country_name(code: str) -> str:
    """The short English name of an ISO 3166 alpha-2 code ("United States", "Korea, Republic of")."""
    country = pycountry.countries.get(alpha_2=code) if code else None
    if country is None:
        return code
    return getattr(country, "common_name", None) or country.name


@cache
def place_index() -> PlaceIndex:
    """The shipped gazetteer's larger cities, loaded once per process (about 1 s, 10 MB)."""
    rows = []
    with gzip.open(DATA, "rt", encoding="utf-8") as handle:
        next(handle)
        for line in handle:
            name, _, _, country, _, admin1, latitude, longitude, population = line.rstrip("\n").split("\t")
            if int(population) >= MIN_POPULATION:
                rows.append((name, admin1, country, float(latitude), float(longitude), int(population)))
    rows.sort(key=lambda row: -row[5])
    return PlaceIndex(rows)


def distance_km(origin: Point):
    """The haversine distance in km from ``origin`` to a site row (``latitude``, ``longitude``)."""
    lat0, lon0 = Value(origin.latitude), Value(origin.longitude)
    half_dlat = Radians(F("latitude") - lat0) / 2
    half_dlon = Radians(F("longitude") - lon0) / 2
    chord = Power(Sin(half_dlat), 2) + Cos(Radians(lat0)) * Cos(Radians(F("latitude"))) * Power(Sin(half_dlon), 2)
    # least(1, ...) guards asin against rounding just above 1 for antipodal points.
    return Value(2 * EARTH_RADIUS_KM) * ASin(Sqrt(Least(chord, Value(1.0))), output_field=FloatField())


def bounding_box(origin: Point, radius_km: float) -> tuple[float, float, float | None, float | None]:
    """South, north, west, east (inclusive) of a box around the circle; west and east are None
    when the box crosses the antimeridian or covers the whole circle of latitude (left open)."""
    dlat = math.degrees(radius_km / EARTH_RADIUS_KM)
    south, north = origin.latitude - dlat, origin.latitude + dlat
    cos_lat = math.cos(math.radians(origin.latitude))
    if cos_lat > 1e-6:
        dlon = math.degrees(radius_km / (EARTH_RADIUS_KM * cos_lat))
        if dlon < 180 and origin.longitude - dlon >= -180 and origin.longitude + dlon <= 180:
            return south, north, origin.longitude - dlon, origin.longitude + dlon
    return south, north, None, None


def sites_within(sites: QuerySet, origin: Point, radius_km: float) -> QuerySet:
    """Sites within ``radius_km`` of ``origin``, annotated with ``distance``; the bounding box
    first, so the coordinates index does the narrowing and the formula runs on few rows."""
    south, north, west, east = bounding_box(origin, radius_km)
    sites = sites.filter(latitude__gte=south, latitude__lte=north)
    if west is not None:
        sites = sites.filter(longitude__gte=west, longitude__lte=east)
    return sites.annotate(distance=distance_km(origin)).filter(distance__lte=radius_km)
