"""A site written as one line of text: ``Facility, City, State, Zip, Country``.

CT.gov's CSV exports join each study's locations with ``|`` and write each as comma-separated
parts, some of them missing (no state outside a few countries, no zip in older records), while
facility names hold commas of their own. The parts are read from the right, where the text is
most regular.
"""

from __future__ import annotations

import re
from functools import lru_cache

from trials.ingest.countries import country_code
from trials.ingest.normalize import clean_line
from trials.ingest.records import Site
from trials.vocab.keys import name_key
from trials.vocab.places import gazetteer

_POSTAL_CODE = re.compile(r"(?=[A-Z -]*\d)[A-Z0-9][A-Z0-9 -]{1,9}", re.I)


def _fold(name: str) -> str:
    return name_key(name)


def location_site(item: str) -> Site:
    """``Facility, City, State, Zip, Country`` read from the right: the country is last; before it
    a zip when the part looks like a postal code (has a digit, at most 10 letters, digits, spaces or
    dashes); then a state when the part is one of the country's subdivisions (pycountry: names,
    accents folded, and codes such as "SP") and not, here, a city of that name after a part that
    is no city (the offline gazetteer tells); then the city; what remains,
    commas and all, is the facility. A city named like its region ("Uppsala") after a facility
    with a comma may be read as the state."""
    parts = [part.strip() for part in item.split(",")]
    if len(parts) > 2 and country_code(", ".join(parts[-2:])):  # "Korea, Republic of"
        parts[-2:] = [", ".join(parts[-2:])]
    country = parts.pop() if len(parts) > 1 else ""
    code = country_code(country)
    if code is None and country:  # no country written: the last part is the city
        parts.append(country)
        country = ""
    postal_code = parts.pop() if len(parts) > 1 and _POSTAL_CODE.fullmatch(parts[-1]) else ""
    # Only with a facility and a city left: "Istituto Europeo di Oncologia, Milano, Italy" is no state;
    # with two parts left, "Pune, Maharashtra" is a city and its state (no facility written).
    state = ""
    if code and len(parts) > 1 and _is_subdivision(parts[-1], code) and not _city_state(parts[-2], parts[-1], code):
        state = parts.pop()
    city = parts.pop() if parts else ""
    return Site(
        facility=clean_line(", ".join(parts)),
        city=city,
        state=state,
        postal_code=postal_code,
        country=country,
        country_code=code,
    )


def _city_state(before: str, candidate: str, code: str) -> bool:
    """Whether ``candidate``, a state's name, is here the city: when it is a city too ("Zürich",
    "Seoul") and the part before it is no city ("Possover", "Samsung Medical Center")."""
    places = gazetteer()
    as_city = places.match(candidate, code)
    before_city = places.match(before, code)
    return (
        as_city is not None and as_city.precision == "city" and (before_city is None or before_city.precision != "city")
    )


def _is_subdivision(name: str, code: str) -> bool:
    key = _fold(name)
    return any(key == known or known.startswith(key + " ") for known in _subdivisions(code))


@lru_cache(maxsize=256)
def _subdivisions(code: str) -> frozenset[str]:
    import pycountry

    names = set()
    for subdivision in pycountry.subdivisions.get(country_code=code) or ():
        names.add(_fold(subdivision.code.split("-", 1)[1]))  # "BR-SP": "SP"
        # "Galicia [Galicia]", "Madrid, Comunidad de": every spelling pycountry gives.
        for name in re.split(r"\s*[\[\]]\s*", subdivision.name):
            if name:
                names.add(_fold(name))
                names.add(_fold(name.split(",")[0]))
    return frozenset(names)
