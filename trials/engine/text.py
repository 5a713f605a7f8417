"""The trials' search vectors as in-memory postings: which rows hold a word, and in which part.

Read from the stored ``Trial.search_vector`` itself (``unnest``), so a word is the very lexeme
PostgreSQL made of the text: the two engines agree on what matches. Each word's trials are kept
once, under the best weight the trial has it at (A > B > C > D, ``trials.search_query``'s places),
which is all the ranking needs. A list is kept as sorted row numbers (uint32) when short and as a
bitset when longer than an eighth of the rows' count in bytes (a bitset is then smaller).

A phrase (``"small cell"``) is narrowed to the trials with all its words, then read in their
positions (kept too, for each posting in its group's order; at 600,000 trials they are 860 MB,
mapped from the stored snapshot's files, ``trials.engine.stored``, so a phrase reads only its
words' pages). A phrase of another shape (a negated or alternative part) is asked of PostgreSQL.

At 600,000 synthetic trials: 134 million postings (``benchmarks/README.md`` gives the size).
"""

from __future__ import annotations

import hashlib
from array import array
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trials.search_query import RANK_WEIGHTS, And, Node, Not, Or, Phrase, Word

_ONES = np.array([bin(byte).count("1") for byte in range(256)], dtype=np.uint8)  # set bits per byte value
_POSITION_BITS = 14  # PostgreSQL's positions are 1 .. 16,383
_LAST_POSITION = (1 << _POSITION_BITS) - 1
_NARROW_KEYS_UP_TO = 1 << (32 - _POSITION_BITS)  # candidates whose keys fit 32 bits
_PLACES = list(RANK_WEIGHTS)  # "A", "B", "C", "D": a group's place code is its index here
# Aggregates of one group see its rows in the same order: the ids, each one's number of positions
# and the positions themselves line up.
_POSTINGS = """
    SELECT u.lexeme,
           CASE WHEN 'A' = ANY(u.weights) THEN 0 WHEN 'B' = ANY(u.weights) THEN 1
                WHEN 'C' = ANY(u.weights) THEN 2 ELSE 3 END AS place,
           string_agg(t.id::text, ' '),
           string_agg(coalesce(cardinality(u.positions), 0)::text, ' '),
           string_agg(coalesce(array_to_string(u.positions, ' '), ''), ' ')
    FROM trials_trial t, unnest(t.search_vector) u {where}
    GROUP BY 1, 2 ORDER BY 1, 2"""


def word_key(lexeme: str) -> int:
    """A lexeme's 64-bit key (a stable hash: two of the catalogue's words sharing one is a chance
    of about 1 in 10^12 at two million words, and would only merge their postings)."""
    return int.from_bytes(hashlib.blake2b(lexeme.encode(), digest_size=8).digest(), "little", signed=True)


@dataclass
class TextIndex:
    size: int  # rows
    keys: np.ndarray  # int64 per word, ascending
    first_group: np.ndarray  # int32 per word: its groups are first_group[w] .. + group_count[w]
    group_count: np.ndarray  # int8 per word
    place: np.ndarray  # int8 per group: index into _PLACES
    start: np.ndarray  # int64 per group: offset in ``rows`` (sparse groups)
    length: np.ndarray  # int32 per group: number of rows
    dense: np.ndarray  # int32 per group: row of ``bitsets``, or -1 (sparse)
    rows: np.ndarray  # uint32: rows of the sparse groups, each group's ascending
    bitsets: np.ndarray  # uint8 (dense groups, ceil(size / 8)): packed, little bit order
    # Positions, for phrases: a group's postings (its rows ascending) are postings
    # posting_start[g] .. + length[g]; posting p has counts[p] positions, those of a group's
    # postings one after the other from position_start[g]. Mapped from disk at registry scale.
    posting_start: np.ndarray  # int64 per group
    position_start: np.ndarray  # int64 per group
    counts: np.ndarray  # uint16 per posting
    positions: np.ndarray  # uint16 per position (PostgreSQL's, at most 16,383)

    def nbytes(self) -> int:
        arrays = (self.keys, self.first_group, self.group_count, self.place, self.start, self.length)
        arrays += (self.dense, self.rows, self.bitsets, self.posting_start, self.position_start)
        return sum(a.nbytes for a in (*arrays, self.counts, self.positions))

    def _groups(self, lexeme: str) -> range:
        key = word_key(lexeme)
        word = int(np.searchsorted(self.keys, key))
        if word == len(self.keys) or self.keys[word] != key:
            return range(0)
        first = int(self.first_group[word])
        return range(first, first + int(self.group_count[word]))

    def _add_rows(self, group: int, target: np.ndarray, value) -> None:
        """``target[rows of group] = value`` (a mask) or ``+= value`` (scores)."""
        slot = self.dense[group]
        if slot >= 0:
            mask = np.unpackbits(self.bitsets[slot], count=self.size, bitorder="little").view(bool)
            if target.dtype == bool:
                target |= mask
            else:
                target += mask * np.int32(value)
        else:
            rows = self.rows[self.start[group] : self.start[group] + self.length[group]]
            if target.dtype == bool:
                target[rows] = True
            else:
                target[rows] += value

    def word_mask(self, lexeme: str) -> np.ndarray:
        mask = np.zeros(self.size, dtype=bool)
        for group in self._groups(lexeme):
            self._add_rows(group, mask, True)
        return mask

    def scores(self, words: list[str], rows: np.ndarray | None = None) -> np.ndarray:
        """Per row (of ``rows``, ascending, or of all), the sum over ``words`` of ``RANK_WEIGHTS``
        of the best place it has each. For given rows each list is read at those rows only (a
        bit test, a binary search), not over all the catalogue's."""
        if rows is None:
            scores = np.zeros(self.size, dtype=np.int32)
            for word in words:
                for group in self._groups(word):
                    self._add_rows(group, scores, RANK_WEIGHTS[_PLACES[self.place[group]]])
            return scores
        scores, probe = np.zeros(len(rows), dtype=np.int32), _Probe(rows)
        for word in words:
            for group in self._groups(word):
                weight = np.int32(RANK_WEIGHTS[_PLACES[self.place[group]]])
                slot = self.dense[group]
                if slot >= 0:
                    scores += probe.in_bitset(self.bitsets[slot]) * weight
                else:
                    group_rows = self.rows[self.start[group] : self.start[group] + self.length[group]]
                    at = np.minimum(np.searchsorted(group_rows, rows), max(len(group_rows) - 1, 0))
                    scores += (group_rows[at] == rows) * weight if len(group_rows) else 0
        return scores

    def phrase_rows(self, phrase: Phrase, candidates: np.ndarray) -> np.ndarray | None:
        """Those of the candidate rows holding ``phrase``, from the positions; None for a phrase
        of another shape than words in a row (PostgreSQL then reads it)."""
        # A key is a candidate's rank (not its row) and a position: 32 bits for up to 2^18
        # candidates, so each pass over a common phrase's million positions moves half the bytes.
        dtype = np.uint32 if len(candidates) <= _NARROW_KEYS_UP_TO else np.int64
        keys = self._phrase_keys(phrase, _Probe(candidates), dtype)
        if keys is None:
            return None
        held = np.zeros(len(candidates), dtype=bool)
        held[keys >> _POSITION_BITS] = True
        return candidates[held]

    def _phrase_keys(self, node: Node, candidates: _Probe, dtype) -> np.ndarray | None:
        """``rank << 14 | position`` of each place the node ends at, in the candidate rows (by
        their rank among the candidates): a word's positions, or a phrase's right word where its
        left part ends ``distance`` before (as PostgreSQL reads a phrase)."""
        if isinstance(node, Word):
            return self._position_keys(node.lexeme, candidates, dtype)
        if not isinstance(node, Phrase) or not isinstance(node.right, Word):
            return None
        left = self._phrase_keys(node.left, candidates, dtype)
        if left is None:
            return None
        # A left end too near the last position for the distance can end no phrase (and adding
        # the distance to it would reach the next rank's bits).
        distance = dtype(node.distance)
        left = np.compress((left & _LAST_POSITION) <= _LAST_POSITION - min(node.distance, _LAST_POSITION), left)
        left += distance
        # Keys are unique on each side, so a key in both sorts next to itself. Each side is
        # ascending: timsort merges the two runs in one linear pass.
        both = np.concatenate([left, self._position_keys(node.right.lexeme, candidates, dtype)])
        both.sort(kind="stable")
        return np.compress(both[1:] == both[:-1], both[1:])  # compress: 2-3 times a mask's indexing

    def _position_keys(self, lexeme: str, candidates: _Probe, dtype) -> np.ndarray:
        """``rank << 14 | position`` of each of the word's positions in the candidate rows,
        ascending: a candidate's postings are in one of the word's groups (its best place), so
        each candidate's place in the word's positions is found group by group, then every
        position is read once, in the candidates' order."""
        offset = np.zeros(len(candidates.rows), dtype=np.int64)  # by rank: its first position's index
        taken = np.zeros(len(candidates.rows), dtype=np.int64)  # by rank: its number of positions
        for group in self._groups(lexeme):
            which, index = self._postings_at(group, candidates)
            first, length = int(self.posting_start[group]), int(self.length[group])
            counts = self.counts[first : first + length]
            ends = np.cumsum(counts, dtype=np.int64)
            taken[which] = counts[index]
            offset[which] = ends[index] - taken[which] + int(self.position_start[group])
        held = np.flatnonzero(taken)
        offset, taken = offset[held], taken[held]
        at = np.repeat(offset - (np.cumsum(taken) - taken), taken) + np.arange(int(taken.sum()))
        keys = np.repeat(held.astype(dtype) << dtype(_POSITION_BITS), taken)
        keys |= self.positions[at]
        return keys

    def _postings_at(self, group: int, candidates: _Probe) -> tuple[np.ndarray, np.ndarray]:
        """Which of the candidate rows (ascending; by their rank) are in ``group``, and the index
        of each among the group's postings (its rows ascending): for a bitset, the set bits before it."""
        slot, length = self.dense[group], int(self.length[group])
        if slot >= 0:
            bits = self.bitsets[slot]
            which = np.flatnonzero(candidates.in_bitset(bits))
            byte, bit = candidates.byte[which], candidates.bit[which]
            # Set bits before a row: those of the bytes up to its own, less its byte's from its bit on.
            through = np.cumsum(_ONES[bits], dtype=np.int64)[byte]
            return which, through - _ONES[bits[byte] & ~(bit - np.uint8(1))]
        group_rows, rows = self.rows[self.start[group] : self.start[group] + length], candidates.rows
        if length < len(rows):  # the shorter list's rows looked up in the longer
            which = np.minimum(np.searchsorted(rows, group_rows), len(rows) - 1)
            index = np.flatnonzero(rows[which] == group_rows)
            return which[index], index
        index = np.searchsorted(group_rows, rows)
        which = np.flatnonzero(index < length)
        which = which[group_rows[index[which]] == rows[which]]
        return which, index[which]

    def matching(self, tree: Node | None, phrase_rows) -> np.ndarray:
        """Row mask of a query's tree; ``phrase_rows(tree, candidates)`` gives the candidate rows
        that hold a phrase (PostgreSQL reads the positions)."""
        if tree is None:
            return np.zeros(self.size, dtype=bool)
        if isinstance(tree, Word):
            return self.word_mask(tree.lexeme)
        if isinstance(tree, Not):
            return ~self.matching(tree.operand, phrase_rows)
        if isinstance(tree, Or):
            return self.matching(tree.left, phrase_rows) | self.matching(tree.right, phrase_rows)
        if isinstance(tree, And):
            return self.matching(tree.left, phrase_rows) & self.matching(tree.right, phrase_rows)
        words = _all_words(tree)
        candidates = self.matching(words, phrase_rows) if words is not None else np.ones(self.size, dtype=bool)
        candidates = np.flatnonzero(candidates)
        found = self.phrase_rows(tree, candidates)
        mask = np.zeros(self.size, dtype=bool)
        mask[found if found is not None else phrase_rows(tree, candidates)] = True
        return mask


class _Probe:
    """Rows (ascending) to be looked up in many of the words' lists: each one's byte and bit in
    a bitset, computed once."""

    def __init__(self, rows: np.ndarray):
        self.rows = rows
        self.byte = rows >> 3
        self.bit = np.left_shift(np.uint8(1), (rows & 7).astype(np.uint8))

    def in_bitset(self, bits: np.ndarray) -> np.ndarray:
        return (bits[self.byte] & self.bit) != 0


def _all_words(phrase: Phrase) -> Node | None:
    """What a phrase needs besides positions: each of its parts (as PostgreSQL's index does), or
    None when nothing narrows it (a negated part may still be in the text elsewhere)."""
    parts = []
    for side in (phrase.left, phrase.right):
        if isinstance(side, Phrase):
            if (words := _all_words(side)) is not None:
                parts.append(words)
        elif not isinstance(side, Not):
            parts.append(side)
    if not parts:
        return None
    node = parts[0]
    for part in parts[1:]:
        node = And(node, part)
    return node


def load_text(
    cursor, ids: np.ndarray, where: str = "", params: list | None = None, scratch: Path | None = None
) -> TextIndex:
    """Read the postings of the trials ``ids`` (all, or those ``where`` selects of ``t``) on
    ``cursor`` (a server-side cursor: a batch of words at a time). The positions go to files in
    ``scratch`` as they come, and are mapped from there (at 600,000 trials they are 860 MB, more
    than all the rest), or stay in memory without it."""
    size = len(ids)
    threshold = max(size // 32, 1)  # a uint32 list of more rows is larger than a bitset
    keys, first_group, group_count = array("q"), array("i"), array("b")
    place, start, length, dense = array("b"), array("q"), array("i"), array("i")
    rows, bitsets = array("I"), bytearray()
    posting_start, position_start = array("q"), array("q")
    counts, positions = _Sink(scratch, "text.counts.u16"), _Sink(scratch, "text.positions.u16")
    current = None
    cursor.execute(_POSTINGS.format(where=where), params or [])
    while batch := cursor.fetchmany(200):  # a common word's group is tens of MB of text
        for lexeme, code, trial_ids, group_counts, group_positions in batch:
            if lexeme != current:
                current = lexeme
                keys.append(word_key(lexeme))
                first_group.append(len(place))
                group_count.append(0)
            group_count[-1] += 1
            group_rows = np.searchsorted(ids, np.fromstring(trial_ids, dtype=np.int64, sep=" "))
            place.append(code)
            length.append(len(group_rows))
            order = np.argsort(group_rows, kind="stable")
            posting_start.append(counts.written)
            position_start.append(positions.written)
            _add_positions(order, group_counts, group_positions, counts, positions)
            if len(group_rows) > threshold:
                start.append(-1)
                dense.append(len(bitsets) // ((size + 7) // 8))
                member = np.zeros(size, dtype=bool)
                member[group_rows] = True
                bitsets += np.packbits(member, bitorder="little").tobytes()
            else:
                start.append(len(rows))
                dense.append(-1)
                rows.frombytes(group_rows[order].astype(np.uint32).tobytes())
    order = np.argsort(np.frombuffer(keys, dtype=np.int64), kind="stable")
    width = (size + 7) // 8
    return TextIndex(
        size=size,
        keys=np.frombuffer(keys, dtype=np.int64)[order],
        first_group=np.frombuffer(first_group, dtype=np.int32)[order],
        group_count=np.frombuffer(group_count, dtype=np.int8)[order],
        place=np.frombuffer(place, dtype=np.int8),
        start=np.frombuffer(start, dtype=np.int64),
        length=np.frombuffer(length, dtype=np.int32),
        dense=np.frombuffer(dense, dtype=np.int32),
        rows=np.frombuffer(rows, dtype=np.uint32),
        bitsets=np.frombuffer(bitsets, dtype=np.uint8).reshape(-1, width) if width else np.zeros((0, 0), np.uint8),
        posting_start=np.frombuffer(posting_start, dtype=np.int64),
        position_start=np.frombuffer(position_start, dtype=np.int64),
        counts=counts.array(),
        positions=positions.array(),
    )


def _add_positions(order: np.ndarray, group_counts: str, group_positions: str, counts, positions) -> None:
    """A group's postings' positions, put in the order of its rows."""
    per_posting = np.fromstring(group_counts, dtype=np.int64, sep=" ")
    values = np.fromstring(group_positions, dtype=np.uint16, sep=" ")
    taken = per_posting[order]
    first = (np.cumsum(per_posting) - per_posting)[order]
    at = np.repeat(first - (np.cumsum(taken) - taken), taken) + np.arange(int(taken.sum()))
    counts.add(taken.astype(np.uint16))
    positions.add(values[at])


class _Sink:
    """uint16 values appended to a file (then mapped) or kept in memory."""

    def __init__(self, directory: Path | None, name: str):
        self.path = directory / name if directory is not None else None
        self._file = open(self.path, "wb") if self.path is not None else None  # noqa: SIM115 (closed in array())
        self._memory = array("H")
        self.written = 0

    def add(self, values: np.ndarray) -> None:
        if self._file is not None:
            self._file.write(values.tobytes())
        else:
            self._memory.frombytes(values.tobytes())
        self.written += len(values)

    def array(self) -> np.ndarray:
        if self._file is None:
            return np.frombuffer(self._memory, dtype=np.uint16)
        self._file.close()
        return read_u16(self.path)


def read_u16(path: Path) -> np.ndarray:
    """A file of uint16 values, mapped read-only (an empty file maps to nothing)."""
    if path.stat().st_size == 0:
        return np.zeros(0, dtype=np.uint16)
    return np.memmap(path, dtype=np.uint16, mode="r")
