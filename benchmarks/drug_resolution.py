"""How well the drug vocabulary resolves the interventions of real CT.gov records.

Over the API v2 studies in ../shared/data/ctgov/: (a) the share of DRUG and BIOLOGICAL
interventions (placebo aside) that resolve to a drug, (b) in cancer trials, the share of those
resolved interventions that carry a drug class, (c) the most frequent names left unresolved and
the most frequent classless names in cancer trials.

"Resolves to a drug" is read one way for (a) and (b) alike: the intervention is identified as a
drug or a drug class, by the vocabulary (curated table, dictionary, MeSH), the study's own MeSH
terms, an INN stem or class wording, or as a sponsor's development code (a product of its own
that no open vocabulary lists). The two other readings are printed for comparison: only names
the vocabulary knows, and any drug row at all (an unknown name kept as an unclassified drug).

    .venv/bin/python benchmarks/drug_resolution.py [--studies PATH] [--top 30]
"""

import argparse
import gzip
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from trials.drugs import is_placebo  # noqa: E402
from trials.vocab.drugs import ResolvedDrug, drug_vocabulary  # noqa: E402
from trials.vocab.record_text import development_code  # noqa: E402

DEFAULT_STUDIES = ROOT.parent / "shared" / "data" / "ctgov" / "ctgov_api_v2_studies.jsonl.gz"
CANCER = re.compile(
    r"cancer|tumou?r|carcinoma|lymphoma|leuka?emia|neoplasm|melanoma|sarcoma|mesothelioma|myeloma|glioma"
    r"|\bNSCLC\b|\bSCLC\b|\bAML\b|\bCLL\b",
    re.I,
)
READINGS = ("identified", "vocabulary", "any row")


def is_cancer_trial(study: dict) -> bool:
    conditions = study["protocolSection"].get("conditionsModule", {}).get("conditions", [])
    if any(CANCER.search(condition) for condition in conditions):
        return True
    browse = study.get("derivedSection", {}).get("conditionBrowseModule", {})
    leaves = browse.get("browseBranches", [])
    return any(branch.get("abbrev") == "BC04" for branch in leaves) or any(
        term.get("id") == "D009369" for term in browse.get("ancestors", []) + browse.get("meshes", [])
    )


def identified(drug: ResolvedDrug) -> bool:
    return drug.via != "unresolved" or development_code(drug.name) == drug.name


def arm_descriptions(module: dict, intervention: dict) -> list[str]:
    """The descriptions of the arms that give this intervention ("Drug: HB0030 injection")."""
    return [
        arm.get("description", "")
        for arm in module.get("armGroups", [])
        if any(label.split(": ", 1)[-1] == intervention["name"] for label in arm.get("interventionNames", []))
    ]


class Tally:
    def __init__(self):
        self.total = self.resolved = self.cancer_resolved = self.cancer_classed = 0
        self.unresolved: Counter = Counter()
        self.classless: Counter = Counter()

    def add(self, name: str, cancer: bool, resolved: list[ResolvedDrug]) -> None:
        self.total += 1
        if not resolved:
            self.unresolved[name.strip().lower()] += 1
            return
        self.resolved += 1
        if cancer:
            self.cancer_resolved += 1
            if any(d.class_keys for d in resolved):
                self.cancer_classed += 1
            else:
                self.classless[name.strip().lower()] += 1

    def figures(self) -> str:
        a = f"(a) {self.resolved:,} / {self.total:,} = {self.resolved / self.total:.1%}"
        b = f"(b) {self.cancer_classed:,} / {self.cancer_resolved:,} = {self.cancer_classed / self.cancer_resolved:.1%}"
        return f"{a}   {b}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=Path, default=DEFAULT_STUDIES)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()

    started = time.perf_counter()
    vocabulary = drug_vocabulary()
    loaded = time.perf_counter() - started
    tallies = {reading: Tally() for reading in (*READINGS, "names only")}
    studies = 0
    via: Counter = Counter()
    started = time.perf_counter()
    with gzip.open(args.studies, "rt", encoding="utf-8") as handle:
        for line in handle:
            study = json.loads(line)
            studies += 1
            cancer = is_cancer_trial(study)
            meshes = [
                (m["id"], m["term"])
                for m in study.get("derivedSection", {}).get("interventionBrowseModule", {}).get("meshes", [])
            ]
            module = study["protocolSection"].get("armsInterventionsModule", {})
            for intervention in module.get("interventions", []):
                if intervention.get("type") not in {"DRUG", "BIOLOGICAL"} or is_placebo(intervention["name"]):
                    continue
                kind, name, other_names = intervention["type"], intervention["name"], intervention.get("otherNames", [])
                drugs = vocabulary.resolve(
                    kind,
                    name,
                    other_names,
                    meshes,
                    intervention.get("description", ""),
                    arm_descriptions(module, intervention),
                )
                if not drugs:  # "standard of care" and the like: not a drug
                    continue
                via.update({d.via for d in drugs})
                tallies["identified"].add(name, cancer, [d for d in drugs if identified(d)])
                tallies["vocabulary"].add(name, cancer, [d for d in drugs if d.via not in ("unresolved", "code")])
                tallies["any row"].add(name, cancer, drugs)
                # What the loader gives today: it passes no descriptions to the resolver yet.
                plain = vocabulary.resolve(kind, name, other_names, meshes)
                tallies["names only"].add(name, cancer, [d for d in plain if identified(d)])
    seconds = time.perf_counter() - started

    print(f"{studies:,} studies; vocabulary loaded in {loaded:.2f} s; resolved (twice) in {seconds:.2f} s")
    print("(a) DRUG/BIOLOGICAL interventions resolving to a drug; (b) in cancer trials, those with a class")
    for reading, tally in tallies.items():
        print(f"    {reading:<11} {tally.figures()}")
    print("    drugs found via:", ", ".join(f"{k} {v:,}" for k, v in via.most_common()))
    chosen = tallies["identified"]
    print(f"(c) {args.top} most frequent unresolved names (identified reading):")
    for name, count in chosen.unresolved.most_common(args.top):
        print(f"    {count:3d}  {name}")
    print("    most frequent classless resolved names in cancer trials:")
    for name, count in chosen.classless.most_common(args.top):
        print(f"    {count:3d}  {name}")


if __name__ == "__main__":
    main()
