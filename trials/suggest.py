"""Did you mean: a misspelt drug or condition in a query that matched nothing, corrected from
the catalogue's own vocabulary (its drugs' names and synonyms, its conditions' names).

The embedded PostgreSQL has no pg_trgm, so the comparison runs in Python over the vocabulary's
words, kept in the cache under the catalogue's version (so a new drug is suggested as soon as it
is imported); only words of a similar length and the same first letter are compared, which keeps
a lookup to a few milliseconds on a large catalogue. It runs only when a search found nothing.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict

from django.core.cache import cache

from trials.models import Condition, Drug, Trial
from trials.search import search_trials
from trials.search_index import catalogue_version

_TTL_SECONDS = 3600
_WORD = re.compile(r"[^\W\d_][\w-]{3,}", re.UNICODE)


def did_you_mean(text: str) -> str:
    """The query with each unknown word replaced by the closest vocabulary word, when that
    corrected query finds trials; else ""."""
    words = _vocabulary_words()
    corrected, changed = text, False
    for word in set(_WORD.findall(text)):
        folded = word.casefold()
        if folded in words["all"]:
            continue
        pool = [w for w in words["by_initial"].get(folded[0], ()) if abs(len(w) - len(folded)) <= 2]
        match = difflib.get_close_matches(folded, pool, n=1, cutoff=0.75)
        if match:
            corrected = re.sub(rf"\b{re.escape(word)}\b", match[0], corrected)
            changed = True
    if not changed:
        return ""
    return corrected if search_trials(Trial.objects.all(), corrected).exists() else ""


def _vocabulary_words() -> dict:
    return cache.get_or_set(f"suggest-words:{catalogue_version()}", _load_words, _TTL_SECONDS)


def _load_words() -> dict:
    names: set[str] = set()
    for name, synonyms in Drug.objects.values_list("name", "synonyms").iterator():
        names.add(name)
        names.update(synonyms)
    names.update(Condition.objects.values_list("name", flat=True).iterator())
    found = {word.casefold() for name in names for word in _WORD.findall(name)}
    by_initial: dict[str, list[str]] = defaultdict(list)
    for word in sorted(found):
        by_initial[word[0]].append(word)
    return {"all": found, "by_initial": dict(by_initial)}
