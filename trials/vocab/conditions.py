"""Condition vocabulary: a registry's condition wording to MeSH disease descriptors and their tree.

Reads ``data/vocab/conditions.tsv.gz`` (MeSH 2024 branches C and F03, built by
``scripts/vocabulary/conditions.py``) and the hand-written
``data/vocab/sources/condition_abbreviations.tsv``. A term resolves only through an exact match,
after folding with ``name_key`` and a few equivalences (plurals, "cancer" / "carcinoma" /
"tumor" / "neoplasms", wrappers such as "Advanced" or "Stage IV"): unmapped is better than wrong,
and the source wording is kept elsewhere.
"""

from __future__ import annotations

import csv
import gzip
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from trials.vocab.keys import name_key
from trials.vocab.stored import stored

DATA = Path(__file__).resolve().parents[2] / "data" / "vocab"
CONDITIONS = DATA / "conditions.tsv.gz"
ABBREVIATIONS = DATA / "sources" / "condition_abbreviations.tsv"

# Words around a disease name that say which patients, not which disease ("Advanced", "Stage
# IV", "Relapsed or Refractory", "Extensive-stage"); stripped only when the whole term is unknown.
_LEADING = re.compile(
    r"^(?:(?:locally|newly|previously|histologically|recurrent|relapsed|refractory|advanced|metastatic|"
    r"unresectable|resectable|inoperable|operable|untreated|treated|diagnosed|confirmed|early|late|"
    r"extensive|limited|stage|stages|disease|or|and|with|r|high|low|risk|grade|adult|adults|"
    r"pediatric|primary|progressive|persistent|acute|severe|moderate|mild|moderately|severely|to|"
    r"[ivx]+[abc]?\d?|\d[abc]?)\s+)+"
)
_TRAILING = re.compile(r"(?:\s+(?:adult|adults|in adults|in children|stage [ivx]+[abc]?\d?|nos))+$")
# A clause after the disease that narrows the patients ("Erectile Dysfunction Following Radical
# Prostatectomy", "... With Diabetes Mellitus"): the disease before it is the broader answer.
_CLAUSE = re.compile(r"\s+(?:following|after|due to|secondary to|associated with|with|in patients with)\s+.*$")
# Equivalent head words: MeSH names most cancers "X Neoplasms" and lists "X Cancer" as an entry
# term, but not always the other spellings.
_HEADS = {
    "cancer": ("neoplasms", "carcinoma", "cancers"),
    "cancers": ("neoplasms", "cancer"),
    "carcinoma": ("cancer", "neoplasms", "carcinomas"),
    "carcinomas": ("carcinoma", "neoplasms"),
    "tumor": ("neoplasms", "tumors", "cancer"),
    "tumors": ("neoplasms", "tumor"),
    "tumour": ("tumor", "neoplasms"),
    "tumours": ("tumors", "neoplasms"),
    "neoplasm": ("neoplasms",),
}
_PADDED_ID = re.compile(r"D\d{6,9}")
# Tokens of an abbreviation as written inside a term ("ES-SCLC", "PD-L1", "HIV-1").
_TOKENS = re.compile(r"[A-Za-z0-9+]+(?:-[A-Za-z0-9+]+)*")


@dataclass(frozen=True)
class ResolvedCondition:
    mesh_id: str
    name: str
    tree_numbers: tuple[str, ...]
    via: str  # "study_mesh" | "entry_term" | "abbreviation" | "partial"


class ConditionVocabulary:
    def __init__(self, conditions: Path = CONDITIONS, abbreviations: Path = ABBREVIATIONS):
        self._descriptors: dict[str, tuple[str, tuple[str, ...]]] = {}  # id -> (name, tree numbers)
        self._by_key: dict[str, list[str]] = {}  # folded name or entry term -> descriptor ids
        self._by_tree: dict[str, str] = {}
        self._keys_of: dict[str, set[str]] = {}
        self._children: dict[str, list[str]] | None = None  # built on first use (facet drill-down)
        self._roots: list[str] | None = None
        with gzip.open(conditions, "rt", encoding="utf-8") as handle:
            next(handle)
            for line in handle:
                mesh_id, name, trees, terms = line.rstrip("\n").split("\t")
                tree_numbers = tuple(trees.split("|"))
                self._descriptors[mesh_id] = (name, tree_numbers)
                self._by_tree.update(dict.fromkeys(tree_numbers, mesh_id))
                keys = {name_key(name), *(name_key(term) for term in terms.split("|") if term)}
                self._keys_of[mesh_id] = keys
                for key in keys:
                    self._by_key.setdefault(key, []).append(mesh_id)
        # abbreviation -> readings, each a tuple of descriptor ids (GEJ: stomach and oesophagus)
        self._abbreviations: dict[str, list[tuple[str, ...]]] = {}
        with abbreviations.open(encoding="utf-8", newline="") as handle:
            readings: dict[tuple[str, str], list[str]] = {}
            for row in csv.DictReader(handle, delimiter="\t"):
                readings.setdefault((row["abbreviation"], row["reading"]), []).append(row["mesh_id"])
        for (abbreviation, _), ids in sorted(readings.items()):
            self._abbreviations.setdefault(abbreviation, []).append(tuple(ids))

    def descriptor(self, mesh_id: str, via: str = "entry_term") -> ResolvedCondition | None:
        mesh_id = self.canonical_id(mesh_id)
        if (found := self._descriptors.get(mesh_id)) is None:
            return None
        return ResolvedCondition(mesh_id, found[0], found[1], via)

    def resolve(self, term: str, study_meshes: Iterable = ()) -> list[ResolvedCondition]:
        """MeSH descriptors a condition term names; [] when it names none for sure.

        ``study_meshes`` are the study's own condition MeSH terms (CT.gov's
        ``conditionBrowseModule.meshes``: dicts with ``id`` and ``term``, or (id, term) pairs);
        when the term is one of them by name or entry term, that descriptor is the answer.
        """
        if not term or not term.strip():
            return []
        meshes = [(self.canonical_id(mesh_id), mesh_term) for mesh_id, mesh_term in map(_mesh_pair, study_meshes)]
        exact = _variants(name_key(term))
        loose = _unwrapped(name_key(term))
        for keys in (*exact, *loose):
            chosen = [mesh_id for mesh_id, mesh_term in meshes if keys & self._mesh_keys(mesh_id, mesh_term)]
            if chosen:
                return self._resolved(chosen, "study_mesh")
        if found := self._lookup(exact):
            return self._resolved(found, "entry_term")
        if found := self._abbreviation(term, {mesh_id for mesh_id, _ in meshes}):
            return self._resolved(found, "abbreviation")
        if found := self._lookup(loose):
            return self._resolved(found, "partial")
        return []

    def entry_terms(self, mesh_id: str) -> list[str]:
        """The descriptor's entry terms (folded) and the abbreviations that name it alone, for
        the search text of its trials ("SCLC", "oat cell carcinoma of lung")."""
        mesh_id = self.canonical_id(mesh_id)
        abbreviations = [
            abbreviation
            for abbreviation, readings in self._abbreviations.items()
            if any(reading == (mesh_id,) for reading in readings) and len(readings) == 1
        ]
        return sorted(self._keys_of.get(mesh_id, ())) + sorted(abbreviations)

    def canonical_id(self, mesh_id: str) -> str:
        """MeSH's own form of a descriptor id: CT.gov pads old ids to nine digits ("D000007172"
        for "D007172"), while ids issued since 2014 have nine anyway ("D000086002")."""
        if mesh_id in self._descriptors or not _PADDED_ID.fullmatch(mesh_id):
            return mesh_id
        number = int(mesh_id[1:])
        return next((form for form in (f"D{number:06d}", f"D{number:09d}") if form in self._descriptors), mesh_id)

    def ancestors(self, mesh_id: str) -> list[tuple[str, str]]:
        """(mesh_id, name) of every broader descriptor, nearest first, up to each branch root.

        A descriptor with several tree numbers (Small Cell Lung Carcinoma is under Lung Neoplasms
        and under Carcinoma, Small Cell) has the ancestors of all of them, by distance.
        """
        mesh_id = self.canonical_id(mesh_id)
        if mesh_id not in self._descriptors:
            return []
        found: dict[str, int] = {}
        for tree in self._descriptors[mesh_id][1]:
            parts = tree.split(".")
            for distance in range(1, len(parts)):
                parent = self._by_tree.get(".".join(parts[:-distance]))
                if parent and parent != mesh_id and distance < found.get(parent, 99):
                    found[parent] = distance
        ordered = sorted(found, key=lambda parent: (found[parent], self._descriptors[parent][0]))
        return [(parent, self._descriptors[parent][0]) for parent in ordered]

    def name(self, mesh_id: str) -> str:
        found = self._descriptors.get(self.canonical_id(mesh_id))
        return found[0] if found else mesh_id

    def roots(self) -> list[str]:
        """The descriptors at the top of the tree (Neoplasms C04, Mental Disorders F03 ...)."""
        if self._roots is None:
            self._roots = [mesh_id for tree, mesh_id in sorted(self._by_tree.items()) if "." not in tree]
        return self._roots

    def children(self, mesh_id: str) -> list[str]:
        """The descriptors one level under this one, under any of its tree numbers."""
        if self._children is None:
            self._children = {}
            for tree, child in self._by_tree.items():
                parent = self._by_tree.get(tree.rpartition(".")[0]) if "." in tree else None
                if parent and child not in self._children.setdefault(parent, []):
                    self._children[parent].append(child)
        return self._children.get(self.canonical_id(mesh_id), [])

    def path(self, mesh_id: str) -> list[str]:
        """The headings from the top of the tree down to this descriptor, along its first tree number."""
        mesh_id = self.canonical_id(mesh_id)
        if mesh_id not in self._descriptors:
            return []
        parts = self._descriptors[mesh_id][1][0].split(".")
        heads = (".".join(parts[:n]) for n in range(1, len(parts) + 1))
        return [self._by_tree[head] for head in heads if head in self._by_tree]

    def _mesh_keys(self, mesh_id: str, mesh_term: str) -> set[str]:
        return self._keys_of.get(mesh_id) or {name_key(mesh_term)}

    def _lookup(self, tiers: list[set[str]]) -> list[str]:
        """Descriptors of the first tier of keys that names any."""
        for keys in tiers:
            found: list[str] = []
            for key in sorted(keys):
                found += [mesh_id for mesh_id in self._by_key.get(key, ()) if mesh_id not in found]
            if found:
                return found
        return []

    def _abbreviation(self, term: str, study_ids: set[str]) -> list[str]:
        """Descriptors of the abbreviations written in the term, as written ("ALL", not "all").

        An abbreviation with several readings (UC: urothelial carcinoma or ulcerative colitis)
        counts only when the study's own MeSH terms say which."""
        found: list[str] = []
        for token in _TOKENS.findall(term):
            readings = self._abbreviations.get(token)
            if not readings:
                continue
            if len(readings) > 1:
                readings = [ids for ids in readings if study_ids & self._with_ancestors(ids)]
                if len(readings) != 1:
                    continue
            found += [mesh_id for mesh_id in readings[0] if mesh_id not in found]
        return found

    def _with_ancestors(self, ids: tuple[str, ...]) -> set[str]:
        return {*ids, *(parent for mesh_id in ids for parent, _ in self.ancestors(mesh_id))}

    def _resolved(self, ids: list[str], via: str) -> list[ResolvedCondition]:
        return [resolved for mesh_id in ids if (resolved := self.descriptor(mesh_id, via))]


@cache
def condition_vocabulary() -> ConditionVocabulary:
    """The shipped vocabulary, loaded once per process."""
    return stored("conditions", [CONDITIONS, ABBREVIATIONS], ConditionVocabulary)


def _mesh_pair(mesh) -> tuple[str, str]:
    if isinstance(mesh, dict):
        return mesh.get("id") or "", mesh.get("term") or ""
    mesh_id, mesh_term = mesh
    return mesh_id, mesh_term


def _variants(key: str) -> list[set[str]]:
    """Tiers of keys to try, best first: the key itself; its singular or plural and the cancer
    head words swapped; then the same prefixed with "malignant"."""
    words = key.split()
    if not words:
        return []
    variants = {key}
    for i, word in enumerate(words):
        for other in _HEADS.get(word, ()):
            variants.add(" ".join([*words[:i], other, *words[i + 1 :]]))
    for variant in list(variants):
        *head, last = variant.split()
        if last.endswith("s") and len(last) > 3 and not last.endswith("ss"):
            variants.add(" ".join([*head, last[:-1]]))
        elif not last.endswith("s"):
            variants.add(" ".join([*head, last + "s"]))
    # MeSH 2024 files the malignant forms some registries name bare: "Pleural Mesothelioma" is an
    # entry term of "Mesothelioma, Malignant" (under Pleural Neoplasms) only as "Malignant Pleural
    # Mesothelioma". Tried last, so "Pleural Effusion" never becomes "Pleural Effusion, Malignant".
    malignant = {f"malignant {variant}" for variant in variants if not variant.startswith("malignant")}
    return [{key}, variants - {key}, malignant]


def _unwrapped(key: str) -> list[set[str]]:
    stripped = _TRAILING.sub("", _CLAUSE.sub("", _LEADING.sub("", key))).strip()
    if not stripped or stripped == key:
        return []
    return _variants(stripped)
