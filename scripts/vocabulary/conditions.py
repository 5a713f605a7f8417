"""Build the condition vocabulary ``data/vocab/conditions.tsv.gz`` from MeSH 2024.

Keeps the descriptors of the disease branches (C, and F03 mental disorders) with their tree
numbers in those branches (the hierarchy a condition facet drills down) and their entry terms,
deduplicated by ``name_key`` (so "Lung Neoplasms" and "Neoplasms, Lung" are stored once).
Also checks ``data/vocab/sources/condition_abbreviations.tsv`` (written by hand): every id must
be a descriptor kept here and its name must be MeSH's.
"""

from __future__ import annotations

import csv
import gzip
from collections import defaultdict
from pathlib import Path

from trials.vocab.keys import name_key

COLUMNS = ("mesh_id", "name", "tree_numbers", "entry_terms")
BRANCHES = ("C", "F03")
ABBREVIATIONS = Path(__file__).resolve().parents[2] / "data" / "vocab" / "sources" / "condition_abbreviations.tsv"


def build(shared: Path, out: Path) -> dict:
    vocab = shared / "vocab"
    names: dict[str, str] = {}
    trees: dict[str, list[str]] = defaultdict(list)
    roots: dict[str, str] = {}  # branch root tree number ("C04") -> its name ("Neoplasms")
    for row in _tsv(vocab / "mesh2024_tree_numbers.tsv.gz"):
        if row["tree_location"].startswith(BRANCHES):
            names[row["DescriptorUI"]] = row["DescriptorName"]
            trees[row["DescriptorUI"]].append(row["tree_location"])
            roots[row["tree1"]] = row["mesh1"]
    # The source lists no rows for the branch roots themselves (Neoplasms, C04): they are found
    # by name among the descriptors and given their one tree number.
    root_ids = {}
    for row in _tsv(vocab / "mesh2024_descriptor_terms.tsv.gz"):
        if row["RecordPreferredTermYN"] == "Y" and row["DescriptorName"] in roots.values():
            root_ids[row["DescriptorName"]] = row["DescriptorUI"]
    for tree, name in roots.items():
        if tree.startswith(BRANCHES) and name in root_ids:
            names[root_ids[name]] = name
            trees[root_ids[name]].append(tree)
    terms: dict[str, dict[str, str]] = defaultdict(dict)  # mesh id -> key -> first term with that key
    for row in _tsv(vocab / "mesh2024_descriptor_terms.tsv.gz"):
        mesh_id = row["DescriptorUI"]
        if mesh_id in names:
            key = name_key(row["TermName"])
            if key and key != name_key(names[mesh_id]):
                terms[mesh_id].setdefault(key, row["TermName"])
    rows = [
        (mesh_id, names[mesh_id], "|".join(sorted(trees[mesh_id])), "|".join(sorted(terms[mesh_id].values())))
        for mesh_id in sorted(names)
    ]
    path = out / "conditions.tsv.gz"
    _write_tsv(path, rows)
    abbreviations = check_abbreviations(names)
    return {
        "descriptors": len(rows),
        "branch_roots": sum(1 for tree in roots if tree.startswith(BRANCHES)),
        "branch_roots_missing": sorted(set(roots.values()) - set(root_ids)),
        "tree_numbers": sum(len(t) for t in trees.values()),
        "entry_terms": sum(len(t) for t in terms.values()),
        "abbreviations": abbreviations,
        "bytes": path.stat().st_size,
    }


def check_abbreviations(names: dict[str, str]) -> int:
    with ABBREVIATIONS.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    for row in rows:
        if names.get(row["mesh_id"]) != row["mesh_name"]:
            raise SystemExit(f"{ABBREVIATIONS.name}: {row} is not a MeSH 2024 disease descriptor by that name")
    return len({row["abbreviation"] for row in rows})


def _tsv(path: Path):
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)


def _write_tsv(path: Path, rows) -> None:
    """Gzip with no timestamp or file name in the header, so a rebuild is byte-identical."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join("\t".join(row) for row in [COLUMNS, *rows]) + "\n"
    with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
        gz.write(text.encode("utf-8"))
