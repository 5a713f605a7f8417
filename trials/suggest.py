""" "Did you mean": a misspelt drug or condition in a query that matched nothing, corrected from
the catalogue's own vocabulary (its drugs' names and synonyms, its conditions' names).

The embedded PostgreSQL has no pg_trgm, so the comparison runs in Python over the vocabulary's
words, loaded once and kept for ``_TTL_SECONDS``; only words of a similar length and the same
first letter are compared, which keeps a lookup to a few milliseconds on a large catalogue.
"""

from __future__ import annotations

import difflib
import re
import time
from collections import defaultdict

from trials.models import Condition, Drug, Trial
from trials.search import search_trials

_TTL_SECONDS = 600
_WORD = re.compile(r"[^\W\d_][\w-]{3,}", re.UNICODE)
_cache: dict[str, object] = {"at": 0.0, "words": None}


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
    if _cache["words"] is None or time.monotonic() - _cache["at"] > _TTL_SECONDS:
        names: set[str] = set()
        for name, synonyms in Drug.objects.values_list("name", "synonyms").iterator():
            names.add(name)
            names.update(synonyms)
        names.update(Condition.objects.values_list("name", flat=True).iterator())
        found = {word.casefold() for name in names for word in _WORD.findall(name)}
        by_initial: dict[str, list[str]] = defaultdict(list)
        for word in sorted(found):
            by_initial[word[0]].append(word)
        _cache.update(at=time.monotonic(), words={"all": found, "by_initial": dict(by_initial)})
    return _cache["words"]  # type: ignore[return-value]
