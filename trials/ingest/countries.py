"""Country names as registries write them, to ISO 3166-1 alpha-2 codes (pycountry plus CT.gov's own
spellings). A pure helper shared by every parser, like ``normalize.py``."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from trials.ingest.normalize import clean_line

# CT.gov spellings that pycountry does not know, folded as ``_fold_country`` folds them.
_COUNTRY_ALIASES = {
    "turkey": "TR",
    "russia": "RU",
    "macedonia": "MK",
    "macedonia, the former yugoslav republic of": "MK",
    "palestine": "PS",
    "palestinian territory, occupied": "PS",
    "palestinian territories, occupied": "PS",
    "libyan arab jamahiriya": "LY",
    "virgin islands (u.s.)": "VI",
    "virgin islands (british)": "VG",
    "korea, democratic people's republic": "KP",
    "north korea": "KP",
    "swaziland": "SZ",
    "burma": "MM",
    "cape verde": "CV",
    "saint martin": "MF",
    "macau": "MO",
    "zaire": "CD",
    "the netherlands": "NL",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "great britain": "GB",
    "uk": "GB",
    # Not an ISO 3166-1 country; XK is the code the EU, CLDR and most registries use for Kosovo.
    "kosovo": "XK",
    # States that no longer exist get their former ISO 3166-1 code (now "transitionally reserved"),
    # not a successor's: a site listed under "Serbia and Montenegro" may be in either of today's
    # countries, and the Netherlands Antilles split into three. pycountry.historic_countries names them.
    "former serbia and montenegro": "CS",
    "serbia and montenegro": "CS",
    "former yugoslavia": "YU",
    "yugoslavia": "YU",
    "netherlands antilles": "AN",
}


def country_code(name: str | None) -> str | None:
    """ISO 3166-1 alpha-2 code of a country as a registry writes it: ``"Korea, Republic of"`` -> ``"KR"``.

    ``"Turkey (Türkiye)"`` is read as either name. None when the name is unknown.
    """
    if not name:
        return None
    return _country_code(clean_line(name))


@lru_cache(maxsize=4096)
def _country_code(name: str) -> str | None:
    index = _country_index()
    code = index.get(_fold_country(name))
    if code is None and "(" in name:
        # "Turkey (Türkiye)": either the name outside the brackets or the one inside.
        outside, _, inside = name.partition("(")
        code = index.get(_fold_country(outside)) or index.get(_fold_country(inside.rstrip(")")))
    return code


@lru_cache(maxsize=1)
def _country_index() -> dict[str, str]:
    import pycountry  # imported on first use: loading its database takes a moment

    index: dict[str, str] = {}
    for country in pycountry.countries:
        for attr in ("alpha_2", "alpha_3", "name", "official_name", "common_name"):
            if value := getattr(country, attr, None):
                index.setdefault(_fold_country(value), country.alpha_2)
    index.update(_COUNTRY_ALIASES)
    return index


def _fold_country(name: str) -> str:
    """Case-, accent- and apostrophe-insensitive key: "Côte d'Ivoire" with a curly apostrophe
    and "Cote D'Ivoire" fold alike."""
    name = name.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    name = unicodedata.normalize("NFKD", name)
    name = "".join(ch for ch in name if not unicodedata.combining(ch))
    return " ".join(name.split()).casefold().strip(" .")
