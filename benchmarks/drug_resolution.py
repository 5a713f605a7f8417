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
    .venv/bin/python benchmarks/drug_resolution.py --xml [PATH]   # the legacy XML studies: held out

The rules were tuned on the API v2 studies' unresolved names; the 7,063 legacy XML studies (other
sponsors, mostly older) were not looked at while tuning, so their figures say how the rules carry
to records nobody read. Legacy XML gives MeSH intervention terms without ids, so the study-MeSH
step does not run there.
"""

import argparse
import gzip
import json
import re
import sys
import tarfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from trials.drugs import drug_names, is_placebo  # noqa: E402
from trials.vocab.drugs import ResolvedDrug, drug_vocabulary  # noqa: E402
from trials.vocab.record_text import development_code  # noqa: E402

DEFAULT_STUDIES = ROOT.parent / "shared" / "data" / "ctgov" / "ctgov_api_v2_studies.jsonl.gz"
DEFAULT_XML = ROOT.parent / "shared" / "data" / "ctgov" / "ctgov_legacy_xml.tar.gz"
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


def api_v2_interventions(path: Path):
    """(is cancer trial, study MeSH pairs, [(type, name, other names, description, arm texts)]) per study."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            study = json.loads(line)
            meshes = [
                (m["id"], m["term"])
                for m in study.get("derivedSection", {}).get("interventionBrowseModule", {}).get("meshes", [])
            ]
            module = study["protocolSection"].get("armsInterventionsModule", {})
            interventions = [
                (
                    i.get("type"),
                    i.get("name", ""),
                    i.get("otherNames", []),
                    i.get("description", ""),
                    arm_descriptions(module, i),
                )
                for i in module.get("interventions", [])
            ]
            yield is_cancer_trial(study), meshes, interventions


def legacy_xml_interventions(path: Path):
    """The same from the legacy ``<clinical_study>`` XML files of a tar archive."""
    with tarfile.open(path) as archive:
        for member in archive:
            if not member.name.endswith(".xml"):
                continue
            root = ET.parse(archive.extractfile(member)).getroot()
            texts = [c.text or "" for c in root.iter("condition")] + [
                t.text or "" for t in root.findall("condition_browse/mesh_term")
            ]
            arms = {a.findtext("arm_group_label", ""): a.findtext("description", "") for a in root.iter("arm_group")}
            interventions = [
                (
                    (i.findtext("intervention_type") or "").upper(),
                    i.findtext("intervention_name") or "",
                    [o.text or "" for o in i.findall("other_name")],
                    i.findtext("description") or "",
                    [arms.get(label.text or "", "") for label in i.findall("arm_group_label")],
                )
                for i in root.iter("intervention")
            ]
            meshes = [("", t.text or "") for t in root.findall("intervention_browse/mesh_term")]
            yield any(CANCER.search(text) or text == "Neoplasms" for text in texts), meshes, interventions


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
    parser.add_argument("--xml", nargs="?", const=DEFAULT_XML, type=Path, help="legacy XML tar instead (held out)")
    args = parser.parse_args()

    started = time.perf_counter()
    vocabulary = drug_vocabulary()
    loaded = time.perf_counter() - started
    tallies = {reading: Tally() for reading in (*READINGS, "names only")}
    studies = 0
    via: Counter = Counter()
    no_drug: Counter = Counter()
    started = time.perf_counter()
    records = legacy_xml_interventions(args.xml) if args.xml else api_v2_interventions(args.studies)
    for cancer, meshes, interventions in records:
        studies += 1
        for kind, name, other_names, description, arm_texts in interventions:
            if kind not in {"DRUG", "BIOLOGICAL"} or is_placebo(name):
                continue
            drugs = vocabulary.resolve(kind, name, other_names, meshes, description, arm_texts)
            if not drugs:  # "standard of care", "blood draw" and the like: not a drug
                if drug_names(kind, name):  # left out by the resolver's wording rules, not as placebo
                    no_drug[name.strip().lower()] += 1
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
    strict = tallies["identified"]
    total = strict.total + sum(no_drug.values())
    print(
        f"    {sum(no_drug.values())} more left out as no drug by their wording (activities, unnamed treatments);"
        f" counted as unresolved instead: (a) {strict.resolved:,} / {total:,} = {strict.resolved / total:.1%}"
    )
    print("    left out:", "; ".join(f"{name} ({n})" if n > 1 else name for name, n in no_drug.most_common()))
    chosen = tallies["identified"]
    print(f"(c) {args.top} most frequent unresolved names (identified reading):")
    for name, count in chosen.unresolved.most_common(args.top):
        print(f"    {count:3d}  {name}")
    print("    most frequent classless resolved names in cancer trials:")
    for name, count in chosen.classless.most_common(args.top):
        print(f"    {count:3d}  {name}")


if __name__ == "__main__":
    main()
