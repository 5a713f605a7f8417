"""The one way names are folded for lookup, shared by the vocabulary build and every resolver.

"Keytruda®", "KEYTRUDA" and "keytruda" meet; "PD-1" and "PD 1" meet; "5-FU" and "5 FU" meet;
Greek letters are spelled out ("TNF-alpha" and the Greek letter meet), as registries write them either way.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_GREEK = {"α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "κ": "kappa", "λ": "lambda", "μ": "mu"}
_MARKS = re.compile(r"[®™©℠]")
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—_/,.;:'\"`´’‘“”()\[\]{}]+")


# The same names come back study after study ("Placebo", countries, cities, common drugs and
# conditions): the resolvers fold about 40 names a CT.gov study, a tenth of its import's parse.
@lru_cache(maxsize=1 << 16)
def name_key(name: str) -> str:
    """Case-, accent-, punctuation- and spacing-insensitive key of a drug, class or place name."""
    text = _MARKS.sub("", name)
    for letter, word in _GREEK.items():
        text = text.replace(letter, f" {word} ")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(_SEPARATORS.sub(" ", text.casefold()).split())
