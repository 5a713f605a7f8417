"""A site written as one line of text: ``Facility, City, State, Zip, Country``.

CT.gov's CSV exports join each study's locations with ``|`` and write each as comma-separated
parts, some of them missing (no state outside a few countries, no zip in older records), while
facility names hold commas of their own. The parts are read from the right, where the text is
most regular.
"""

from __future__ import annotations

import re
from functools import lru_cache

from trials.ingest.normalize import clean_line, country_code
from trials.ingest.records import Site

_POSTAL_CODE = re.compile(r"(?=[A-Z -]*\d)[A-Z0-9][A-Z0-9 -]{1,9}", re.I)


def _fold(name: str) -> str:
    return " ".join(name.casefold().split())


def location_site(item: str) -> Site:
    """``Facility, City, State, Zip, Country`` read from the right: the country is last; before it
    a zip when the part looks like a postal code (has a digit, at most 10 letters, digits, spaces or
    dashes); then a state when the part is one of the country's subdivisions (pycountry) and two
    parts remain before it; then the city; what remains, commas and all, is the facility. A city
    named like its region ("Uppsala") after a facility with a comma may be read as the state."""
    parts = [part.strip() for part in item.split(",")]
    if len(parts) > 2 and country_code(", ".join(parts[-2:])):  # "Korea, Republic of"
        parts[-2:] = [", ".join(parts[-2:])]
    country = parts.pop() if len(parts) > 1 else ""
    code = country_code(country)
    if code is None and country:  # no country written: the last part is the city
        parts.append(country)
        country = ""
    postal_code = parts.pop() if len(parts) > 1 and _POSTAL_CODE.fullmatch(parts[-1]) else ""
    # Only with a facility and a city left: "Istituto Europeo di Oncologia, Milano, Italy" is no state.
    state = parts.pop() if len(parts) > 2 and code and _is_subdivision(parts[-1], code) else ""
    city = parts.pop() if parts else ""
    return Site(
        facility=clean_line(", ".join(parts)),
        city=city,
        state=state,
        postal_code=postal_code,
        country=country,
        country_code=code,
    )


def _is_subdivision(name: str, code: str) -> bool:
    key = _fold(name)
    return any(key == known or known.startswith(key + " ") for known in _subdivisions(code))


@lru_cache(maxsize=256)
def _subdivisions(code: str) -> frozenset[str]:
    import pycountry

    names = set()
    for subdivision in pycountry.subdivisions.get(country_code=code) or ():
        # "Galicia [Galicia]", "Madrid, Comunidad de": every spelling pycountry gives.
        for name in re.split(r"\s*[\[\]]\s*", subdivision.name):
            if name:
                names.add(_fold(name))
                names.add(_fold(name.split(",")[0]))
    return frozenset(names)
