"""Facet counts computed straight from CT.gov API v2 JSON, without the catalogue: the yardstick the
search's counts are checked against (tests/search/test_counts_match_sources.py,
benchmarks/search_counts.py).

Deliberately written apart from the parsers and the loader: it reads the registry's own fields
with plain dict access and applies the search's documented meaning of each filter (values of one
parameter OR'ed, parameters AND'ed, "sex=FEMALE" = trials that accept women, "age=70" = trials
whose age range includes 70).
"""

from __future__ import annotations

import gzip
import json
import math
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import pycountry

_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(year|month|week|day|hour|minute)s?\s*$", re.I)
_UNIT_YEARS = {"year": 1, "month": 1 / 12, "week": 7 / 365.25, "day": 1 / 365.25, "hour": 1 / 8766,
               "minute": 1 / 525960}  # fmt: skip
# CT.gov's spellings pycountry's lookup does not take.
_COUNTRIES = {"Korea, Republic of": "KR", "Turkey": "TR", "Türkiye": "TR", "Russian Federation": "RU",
              "Iran, Islamic Republic of": "IR", "Taiwan": "TW", "Czechia": "CZ", "Vietnam": "VN"}  # fmt: skip


def read_studies(path: Path) -> Iterator[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def study_facts(study: dict) -> dict:
    """The facts of one study the search filters on, as sets of filter values."""
    protocol = study["protocolSection"]
    design = protocol.get("designModule", {})
    eligibility = protocol.get("eligibilityModule", {})
    sponsor = protocol.get("sponsorCollaboratorsModule", {}).get("leadSponsor", {})
    interventions = protocol.get("armsInterventionsModule", {}).get("interventions", [])
    locations = protocol.get("contactsLocationsModule", {}).get("locations", [])
    sex = eligibility.get("sex", "")
    healthy = eligibility.get("healthyVolunteers")
    return {
        "nct_id": protocol["identificationModule"]["nctId"],
        "phase": set(design.get("phases", [])),
        "status": {protocol["statusModule"].get("overallStatus", "")} - {""},
        "study_type": {design.get("studyType", "")} - {""},
        "sponsor_class": {sponsor.get("class", "")} - {""},
        "intervention_type": {i["type"] for i in interventions if i.get("type")},
        "country": {code for loc in locations if (code := _country(loc.get("country")))},
        "sex": {"FEMALE", "MALE"} if sex == "ALL" else {sex} - {""},
        "age": set(eligibility.get("stdAges", [])),
        "healthy_volunteers": set() if healthy is None else {"true" if healthy else "false"},
        "has_results": {"true" if study.get("hasResults") else "false"},
        "age_range": (_years(eligibility.get("minimumAge")), _years(eligibility.get("maximumAge"))),
        "points": [(loc["geoPoint"]["lat"], loc["geoPoint"]["lon"]) for loc in locations if loc.get("geoPoint")],
    }


def matches(facts: dict, filters: dict[str, list[str]]) -> bool:
    for name, values in filters.items():
        if name == "age" and any(_is_number(v) for v in values):
            low, high = facts["age_range"]
            numbers = [float(v) for v in values if _is_number(v)]
            groups = {v for v in values if not _is_number(v)}
            in_range = any((low is None or low <= n) and (high is None or n <= high) for n in numbers)
            if not (in_range or facts["age"] & groups):
                return False
        elif name == "near":
            (latitude, longitude), radius = values
            if not any(haversine_km(latitude, longitude, *point) <= radius for point in facts["points"]):
                return False
        elif not facts[name] & set(values):
            return False
    return True


def count(studies: Iterable[dict], filters: dict[str, list[str]]) -> int:
    return sum(1 for facts in studies if matches(facts, filters))


def facet_count(studies: list[dict], filters: dict[str, list[str]], name: str, value: str) -> int:
    """What the facet ``name`` shows beside ``value``: every other filter applied, not its own."""
    others = {key: values for key, values in filters.items() if key != name}
    return count(studies, {**others, name: [value]})


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = math.radians(lat2 - lat1), math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(a)))


def _country(name: str | None) -> str | None:
    if not name:
        return None
    if name in _COUNTRIES:
        return _COUNTRIES[name]
    try:
        return pycountry.countries.lookup(name).alpha_2
    except LookupError:
        return None


def _years(text: str | None) -> float | None:
    match = _AGE.match(text or "")
    return float(match[1]) * _UNIT_YEARS[match[2].lower()] if match else None


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True
