"""How much of the real CT.gov data the shipped vocabularies resolve, and how well.

    python benchmarks/vocab_coverage.py [--shared PATH] [--only places|conditions]

Places: every site of the API v2, legacy XML and CSV sets that has a city and a country is
located with the gazetteer alone (the API's own geoPoint is ignored), then the point is compared
with the geoPoint where the API gives one. Conditions: every condition term of the API v2 studies
is resolved to MeSH descriptors (with the study's own condition MeSH, as the loader will).
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import resource
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DEBUG", "1")

SETS = {
    "API v2 JSON": "ctgov_api_v2_studies.jsonl.gz",
    "legacy XML": "ctgov_legacy_xml.tar.gz",
    "CSV exports": "ctgov_csv_exports.tar.gz",
}


def sites(path: Path):
    """(city, state, country code, geoPoint or None) of every site the parsers read from a set."""
    from trials.ingest.detect import detect_format
    from trials.ingest.parsers import PARSERS
    from trials.ingest.readers import Unreadable, read_path
    from trials.ingest.records import ParseError

    for unit in read_path(path):
        if isinstance(unit, Unreadable):
            continue
        try:
            parser = PARSERS[detect_format(unit)]
            records = [parser.parse(raw.data) for raw in parser.split(unit)]
        except ParseError:
            continue
        for record in records:
            for site in record.sites:
                point = (site.latitude, site.longitude) if site.latitude is not None else None
                yield site.city, site.state, site.country_code or "", point


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def places(shared: Path) -> None:
    from trials.vocab.places import gazetteer

    start = time.perf_counter()
    places = gazetteer()
    print(f"gazetteer load {time.perf_counter() - start:.2f} s")
    distances: list[float] = []
    far: list[tuple[float, str]] = []
    start = time.perf_counter()
    for name, filename in SETS.items():
        with_city = located = 0
        missed: Counter = Counter()
        for city, state, country, point in sites(shared / "ctgov" / filename):
            if not city.strip() or not country:
                continue
            with_city += 1
            found = places.locate(city, country, state)
            if found is None:
                missed[(city, state, country)] += 1
                continue
            located += 1
            if point is not None:
                distances.append(distance_km(found, point))
                if distances[-1] > 50:
                    far.append((round(distances[-1]), f"{city} / {state} / {country}"))
        print(f"{name}: {located:,} of {with_city:,} sites with a city and country located ({located / with_city:.2%})")
        print("  most frequent misses:", missed.most_common(25))
    distances.sort()
    p95 = distances[int(0.95 * (len(distances) - 1))]
    print(f"vs API geoPoint: {len(distances):,} sites, median {statistics.median(distances):.1f} km, p95 {p95:.1f} km")
    print("  farthest:", sorted(far, reverse=True)[:15])
    print(f"locate time {time.perf_counter() - start:.1f} s (all sets, parsing included)")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def conditions(shared: Path) -> None:
    from trials.vocab.conditions import condition_vocabulary

    start = time.perf_counter()
    vocabulary = condition_vocabulary()
    print(f"condition vocabulary load {time.perf_counter() - start:.2f} s")
    terms = mapped = mapped_without_study = 0
    via: Counter = Counter()
    unmapped: Counter = Counter()
    with gzip.open(shared / "ctgov" / SETS["API v2 JSON"], "rt", encoding="utf-8") as lines:
        for line in lines:
            study = json.loads(line)
            conditions = study["protocolSection"].get("conditionsModule", {}).get("conditions", [])
            meshes = study.get("derivedSection", {}).get("conditionBrowseModule", {}).get("meshes", [])
            study_meshes = [(mesh["id"], mesh["term"]) for mesh in meshes]
            for term in conditions:
                terms += 1
                resolved = vocabulary.resolve(term, study_meshes)
                mapped_without_study += bool(vocabulary.resolve(term))
                if resolved:
                    mapped += 1
                    via[resolved[0].via] += 1
                else:
                    unmapped[term] += 1
    print(f"condition terms: {terms:,}; mapped {mapped:,} ({mapped / terms:.2%}); by route {dict(via)}")
    print(f"  without the study's MeSH: {mapped_without_study:,} ({mapped_without_study / terms:.2%})")
    print("  30 most frequent unmapped:", unmapped.most_common(30))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data", help="shared data folder")
    parser.add_argument("--only", choices=["places", "conditions"], help="run one half only")
    args = parser.parse_args()
    import django

    django.setup()
    if args.only in (None, "conditions"):
        conditions(args.shared)
    if args.only in (None, "places"):
        places(args.shared)


if __name__ == "__main__":
    main()
