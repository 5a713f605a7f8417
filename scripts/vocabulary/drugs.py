"""Build the drug vocabulary: drug classes and drugs, from our curated tables and open sources.

Reads (``shared`` is ``../shared/data``):
- ``data/vocab/sources/drug_class_tree.tsv``, ``cancer_drug_classes.tsv`` and
  ``other_drug_classes.tsv`` (allergen immunotherapy products and the like; ours, in the repo);
- ``drug_class_synonyms.tsv`` (how records write a class: "ICS", "LABA", "PDE5i", "statins") and
  ``drug_synonyms.tsv`` (abbreviations and brands records use for a drug the sources already
  have, which they do not list: "NAC", "NPH insulin", "Bactrim"; ours, in the repo);
- ``vocab/drug_ner_dictionary_2.0.9.tsv.gz`` (names, brand names, synonyms; MIT);
- ``vocab/mesh2024_*.tsv.gz`` (pharmacological actions, tree numbers, entry terms; NLM MeSH 2024).

Writes ``data/vocab/drug_classes.tsv`` and ``data/vocab/drugs.tsv.gz``. The curated table wins
over the dictionary, the dictionary over MeSH. The dictionary's own ``mesh_id`` is usually a
heading above the drug (fluorouracil -> "Immunosuppressive Agents"), so it only counts as a
class when it is a pharmacological action; a drug's MeSH descriptor is found by name instead.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from trials.vocab.keys import name_key

SOURCES = Path(__file__).resolve().parents[2] / "data" / "vocab" / "sources"
PHARMACOLOGIC_ACTIONS = "D27.505"
MAX_SYNONYM_LENGTH = 60  # longer ones are IUPAC names nobody writes in a trial record
MIN_KEY_LENGTH = 3
# MeSH headings the dictionary lists as drugs although they are groups: an intervention written
# "monoclonal antibody" or "vaccine" names no drug.
NOT_DRUGS = frozenset(
    {"antibodies monoclonal", "antibodies monoclonal humanized", "antibodies", "vaccines", "receptors chimeric antigen"}
)


@dataclass
class Drug:
    key: str
    name: str
    source: str
    mesh_id: str = ""
    class_keys: list[str] = field(default_factory=list)
    synonyms: dict[str, str] = field(default_factory=dict)  # synonym key -> spelling first seen

    def add_synonym(self, text: str, curated: bool = False) -> None:
        key = name_key(text)
        if len(key) < MIN_KEY_LENGTH or len(text) > MAX_SYNONYM_LENGTH or key == self.key:
            return
        # Inverted and qualified index forms ("acid, folinic", "Leucovorin, (DL)-Isomer") are never
        # what a trial record writes; only the curated table may use commas and brackets.
        if not curated and any(mark in text for mark in ",()[]"):
            return
        self.synonyms.setdefault(key, text.strip())

    def add_classes(self, keys) -> None:
        self.class_keys.extend(k for k in keys if k not in self.class_keys)


def _tsv(path: Path):
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)


def snake(name: str) -> str:
    return name_key(name).replace(" ", "_")


def read_classes(shared: Path) -> tuple[list[dict], dict[str, str]]:
    """The class rows (curated first, then MeSH pharmacological actions) and MeSH PA id -> class key."""
    curated = list(_tsv(SOURCES / "drug_class_tree.tsv"))
    by_mesh = {row["mesh_id"]: row["key"] for row in curated if row["mesh_id"]}
    rows = [{**row, "parent_key": row["parent_key"], "source": "curated"} for row in curated]

    actions = {
        row["PharmActionUI"]: row["PharmActionName"]
        for row in _tsv(shared / "vocab" / "mesh2024_pharmacological_actions.tsv.gz")
    }
    trees: dict[str, list[str]] = defaultdict(list)
    at_tree: dict[str, tuple[str, str]] = {}
    for row in _tsv(shared / "vocab" / "mesh2024_tree_numbers.tsv.gz"):
        number = row["tree_location"]
        # Below D27.505.xxx: the three top buckets ("Therapeutic Uses", ...) say nothing to a user.
        if number.startswith(PHARMACOLOGIC_ACTIONS + ".") and number.count(".") >= 3:
            trees[row["DescriptorUI"]].append(number)
            at_tree[number] = (row["DescriptorUI"], row["DescriptorName"])
    wanted = set(actions)
    for mesh_id in list(wanted):
        for number in trees.get(mesh_id, []):
            parts = number.split(".")
            for end in range(4, len(parts)):
                wanted.add(at_tree.get(".".join(parts[:end]), ("", ""))[0])
    wanted.discard("")
    names = {mesh_id: name for _, (mesh_id, name) in at_tree.items()} | actions
    for mesh_id in wanted:
        by_mesh.setdefault(mesh_id, snake(names[mesh_id]))

    entry_terms: dict[str, list[str]] = defaultdict(list)
    for row in _tsv(shared / "vocab" / "mesh2024_descriptor_terms.tsv.gz"):
        # "Antibiotic" for Anti-Bacterial Agents; inverted forms ("Agents, Antibacterial") are never written.
        if row["DescriptorUI"] in by_mesh and row["IsPermutedTermYN"] != "Y" and "," not in row["TermName"]:
            entry_terms[row["DescriptorUI"]].append(row["TermName"])
    for row in rows:
        row["synonyms"] = entry_terms.get(row["mesh_id"], [])
    mesh_rows = []
    for mesh_id in sorted(wanted, key=lambda m: by_mesh[m]):
        if by_mesh[mesh_id] in {row["key"] for row in curated}:
            continue
        parent = ""
        # Prefer the therapeutic-use branch (D27.505.954) for the single parent a facet shows.
        for number in sorted(trees.get(mesh_id, []), key=lambda n: (not n.startswith("D27.505.954"), n)):
            up = at_tree.get(number.rsplit(".", 1)[0])
            if up and up[0] in by_mesh:
                parent = by_mesh[up[0]]
                break
        mesh_rows.append(
            {
                "key": by_mesh[mesh_id],
                "name": names[mesh_id],
                "parent_key": parent,
                "mesh_id": mesh_id,
                "source": "mesh",
                "synonyms": entry_terms.get(mesh_id, []),
            }
        )
    rows += mesh_rows
    _add_class_synonyms(rows)
    return rows, by_mesh


def _add_class_synonyms(rows: list[dict]) -> None:
    by_key = {row["key"]: row for row in rows}
    for extra in _tsv(SOURCES / "drug_class_synonyms.tsv"):
        if extra["key"] not in by_key:
            raise ValueError(f"drug_class_synonyms.tsv: no class {extra['key']!r}")
        row = by_key[extra["key"]]
        row["synonyms"] = [*row["synonyms"], *filter(None, extra["synonyms"].split("|"))]


def read_mesh_drugs(shared: Path, class_of_action: dict[str, str]) -> dict[str, tuple[str, list[str], list[str]]]:
    """MeSH descriptors with pharmacological actions: id -> (name, class keys, entry terms)."""
    classes: dict[str, list[str]] = defaultdict(list)
    names: dict[str, str] = {}
    for row in _tsv(shared / "vocab" / "mesh2024_pharmacological_actions.tsv.gz"):
        names[row["DescriptorUI"]] = row["DescriptorName"]
        key = class_of_action[row["PharmActionUI"]]
        if key not in classes[row["DescriptorUI"]]:
            classes[row["DescriptorUI"]].append(key)
    terms: dict[str, list[str]] = defaultdict(list)
    for row in _tsv(shared / "vocab" / "mesh2024_descriptor_terms.tsv.gz"):
        if row["DescriptorUI"] in names and row["IsPermutedTermYN"] != "Y":
            terms[row["DescriptorUI"]].append(row["TermName"])
    # A pharmacological action is a class, not a drug ("Immune Checkpoint Inhibitors" has actions too).
    return {m: (names[m], classes[m], terms[m]) for m in names if m not in class_of_action}


def build_drugs(shared: Path, class_of_action: dict[str, str], class_names: set[str]) -> tuple[dict[str, Drug], dict]:
    """Drugs by key: the curated table, then the dictionary, then MeSH descriptors left over."""
    drugs: dict[str, Drug] = {}
    curated_claims: dict[str, str] = {}  # synonym key -> curated drug that the table gives it to
    for row in (*_tsv(SOURCES / "cancer_drug_classes.tsv"), *_tsv(SOURCES / "other_drug_classes.tsv")):
        drug = Drug(key=name_key(row["name"]), name=row["name"], source="curated")
        drug.add_classes(row["class_keys"].split("|"))
        for synonym in filter(None, row["synonyms"].split("|")):
            drug.add_synonym(synonym, curated=True)
        drugs[drug.key] = drug
        for key in drug.synonyms:
            curated_claims[key] = drug.key

    def owner(key: str) -> Drug | None:
        return drugs.get(key) or drugs.get(curated_claims.get(key, ""))

    mesh = read_mesh_drugs(shared, class_of_action)
    mesh_by_term: dict[str, set[str]] = defaultdict(set)
    for mesh_id, (name, _, terms) in mesh.items():
        for term in [name, *terms]:
            mesh_by_term[name_key(term)].add(mesh_id)

    def mesh_for(keys) -> str:
        for key in keys:
            found = mesh_by_term.get(key, set())
            if len(found) == 1:
                return next(iter(found))
        return ""

    not_drugs = class_names | NOT_DRUGS
    for row in _tsv(shared / "vocab" / "drug_ner_dictionary_2.0.9.tsv.gz"):
        name = row["name"] or row["canonical"]
        key = name_key(name)
        if len(key) < MIN_KEY_LENGTH or key in not_drugs:
            continue
        drug = owner(key)
        if drug is None:
            drug = drugs[key] = Drug(key=key, name=name, source="dictionary")
        synonyms = [s for s in row["synonyms"].split("|") if s]
        for synonym in synonyms:
            drug.add_synonym(synonym)
        if drug.source == "dictionary" and row["mesh_id"] in class_of_action:
            drug.add_classes([class_of_action[row["mesh_id"]]])

    covered: set[str] = set()
    for drug in drugs.values():
        mesh_id = drug.mesh_id or mesh_for([drug.key, *drug.synonyms])
        if mesh_id and mesh_id not in covered:
            covered.add(mesh_id)
            drug.mesh_id = mesh_id
            if drug.source != "curated":
                drug.add_classes(mesh[mesh_id][1])
            for term in mesh[mesh_id][2]:
                drug.add_synonym(term)
    for mesh_id in sorted(mesh.keys() - covered):
        name, classes, terms = mesh[mesh_id]
        key = name_key(name)
        if key in drugs or key in curated_claims or key in not_drugs or len(key) < MIN_KEY_LENGTH:
            continue
        drug = drugs[key] = Drug(key=key, name=name, source="mesh", mesh_id=mesh_id)
        drug.add_classes(classes)
        for term in terms:
            drug.add_synonym(term)

    _add_drug_synonyms(drugs, curated_claims)
    dropped = resolve_synonym_conflicts(drugs, curated_claims)
    return drugs, {"synonyms_dropped_as_ambiguous": dropped}


def _add_drug_synonyms(drugs: dict[str, Drug], curated_claims: dict[str, str]) -> None:
    """Our abbreviations and brands for drugs the sources have: each must name an existing drug."""
    for row in _tsv(SOURCES / "drug_synonyms.tsv"):
        drug = drugs.get(name_key(row["name"]))
        if drug is None:
            raise ValueError(f"drug_synonyms.tsv: no drug named {row['name']!r}")
        for synonym in filter(None, row["synonyms"].split("|")):
            drug.add_synonym(synonym, curated=True)
            curated_claims[name_key(synonym)] = drug.key


def resolve_synonym_conflicts(drugs: dict[str, Drug], curated_claims: dict[str, str]) -> int:
    """One synonym, one drug: a drug's own name wins, then the curated table; otherwise nobody keeps it."""
    owners: dict[str, list[str]] = defaultdict(list)
    for drug in drugs.values():
        for key in drug.synonyms:
            owners[key].append(drug.key)
    dropped = 0
    for key, claimants in owners.items():
        if len(claimants) == 1 and key not in drugs:
            continue
        keeper = None if key in drugs else curated_claims.get(key)
        for claimant in claimants:
            if claimant != keeper:
                del drugs[claimant].synonyms[key]
        if keeper is None and len(claimants) > 1:
            dropped += 1
    return dropped


def write_classes(rows: list[dict], path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write("key\tname\tparent_key\tmesh_id\tsource\tsynonyms\n")
        for row in rows:
            synonyms = "|".join(dict.fromkeys(t for t in row["synonyms"] if name_key(t) != name_key(row["name"])))
            handle.write(
                f"{row['key']}\t{row['name']}\t{row['parent_key']}\t{row['mesh_id']}\t{row['source']}\t{synonyms}\n"
            )


def write_drugs(drugs: dict[str, Drug], path: Path) -> None:
    text = io.StringIO()
    text.write("key\tname\tmesh_id\tclass_keys\tsynonyms\tsource\n")
    for key in sorted(drugs):
        drug = drugs[key]
        synonyms = "|".join(sorted(drug.synonyms.values(), key=str.casefold))
        text.write(f"{key}\t{drug.name}\t{drug.mesh_id}\t{'|'.join(drug.class_keys)}\t{synonyms}\t{drug.source}\n")
    # mtime=0 so that the same data gives the same bytes (the test rebuilds and compares).
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=9) as handle:
        handle.write(text.getvalue().encode("utf-8"))


def build(shared: Path, out: Path) -> dict:
    """Write drug_classes.tsv and drugs.tsv.gz into ``out``; return what was written."""
    out.mkdir(parents=True, exist_ok=True)
    class_rows, class_of_action = read_classes(shared)
    class_names = {name_key(row["name"]) for row in class_rows}
    drugs, report = build_drugs(shared, class_of_action, class_names)
    known = {row["key"] for row in class_rows}
    unknown = {k for drug in drugs.values() for k in drug.class_keys} - known
    if unknown:
        raise ValueError(f"drug classes missing from the class tree: {sorted(unknown)}")
    write_classes(class_rows, out / "drug_classes.tsv")
    write_drugs(drugs, out / "drugs.tsv.gz")
    by_source: dict[str, int] = defaultdict(int)
    for drug in drugs.values():
        by_source[drug.source] += 1
    return {
        "classes": len(class_rows),
        "classes_curated": sum(row["source"] == "curated" for row in class_rows),
        "drugs": len(drugs),
        **{f"drugs_{source}": n for source, n in sorted(by_source.items())},
        "drugs_with_class": sum(bool(d.class_keys) for d in drugs.values()),
        "synonyms": sum(len(d.synonyms) for d in drugs.values()),
        **report,
    }
