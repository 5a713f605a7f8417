"""Names misspelt by one letter ("erythomycin", "azactidine", "papavarine"), found by their deletions.

A symmetric-deletion index (the SymSpell idea): every one-word name of the vocabulary is stored
with the strings it becomes with one letter deleted; a written word meets a name when the two
share the word itself or one of those strings. That finds one letter missing, one too many, one
changed, or two swapped, with a dictionary lookup per deletion instead of a scan. Only words long
enough for one slip not to make another drug's name (INNs are chosen to differ by more), only a
true one-letter slip (the deletion index also pairs words that differ by a moved letter), and only
a single answer counts.
"""

from __future__ import annotations

from collections.abc import Iterable

MIN_LENGTH = 9
_AMBIGUOUS = -1


def _variants(word: str) -> set[str]:
    return {word, *(word[:i] + word[i + 1 :] for i in range(len(word)))}


class SpellingIndex:
    def __init__(self, names: Iterable[tuple[str, int]]):
        """``names``: (one-word name key, the vocabulary row it names)."""
        self._rows: dict[str, int] = {}
        self._words: dict[int, list[str]] = {}
        for word, row in names:
            if len(word) < MIN_LENGTH or not word.isalpha():
                continue
            self._words.setdefault(row, []).append(word)
            for variant in _variants(word):
                known = self._rows.setdefault(variant, row)
                if known != row:
                    self._rows[variant] = _AMBIGUOUS

    def row_of(self, word: str) -> int | None:
        """The one vocabulary row ``word`` is a one-letter slip of, or None (none, or several)."""
        if len(word) < MIN_LENGTH or not word.isalpha():
            return None
        rows = {self._rows.get(variant) for variant in _variants(word)} - {None}
        if len(rows) != 1 or _AMBIGUOUS in rows:
            return None
        row = rows.pop()
        return row if any(one_slip(word, name) for name in self._words[row]) else None


def one_slip(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by one letter left out, added, changed, or two neighbours swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) != len(b):
        short, long = sorted((a, b), key=len)
        return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))
    diffs = [i for i in range(len(a)) if a[i] != b[i]]
    if len(diffs) == 1:
        return True
    i, j = diffs if len(diffs) == 2 else (0, 0)
    return j == i + 1 and a[i] == b[j] and a[j] == b[i]
