"""How well the drug vocabulary resolves the interventions of real CT.gov records.

Over the API v2 studies in ../shared/data/ctgov/: (a) the share of DRUG and BIOLOGICAL
interventions (placebo aside) that resolve to at least one drug, (b) in cancer trials, the share
of resolved interventions that carry a drug class, (c) the most frequent names left unresolved and
the most frequent classless names in cancer trials.

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
from trials.vocab.drugs import drug_vocabulary  # noqa: E402

DEFAULT_STUDIES = ROOT.parent / "shared" / "data" / "ctgov" / "ctgov_api_v2_studies.jsonl.gz"
CANCER = re.compile(
    r"cancer|tumou?r|carcinoma|lymphoma|leuka?emia|neoplasm|melanoma|sarcoma|mesothelioma|myeloma|glioma"
    r"|\bNSCLC\b|\bSCLC\b|\bAML\b|\bCLL\b",
    re.I,
)
# "HB0030", "PF-04965842", "LM-108 injection": sponsors' codes, which no open vocabulary lists.
DEVELOPMENT_CODE = re.compile(r"^[a-z]{1,6}[- ]?\d{2,}[a-z0-9-]*\b")


def is_cancer_trial(study: dict) -> bool:
    conditions = study["protocolSection"].get("conditionsModule", {}).get("conditions", [])
    if any(CANCER.search(condition) for condition in conditions):
        return True
    browse = study.get("derivedSection", {}).get("conditionBrowseModule", {})
    leaves = browse.get("browseBranches", [])
    return any(branch.get("abbrev") == "BC04" for branch in leaves) or any(
        term.get("id") == "D009369" for term in browse.get("ancestors", []) + browse.get("meshes", [])
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=Path, default=DEFAULT_STUDIES)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()

    started = time.perf_counter()
    vocabulary = drug_vocabulary()
    loaded = time.perf_counter() - started
    total = resolved = cancer_resolved = cancer_classed = studies = 0
    via: Counter = Counter()
    unresolved: Counter = Counter()
    classless: Counter = Counter()
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
            interventions = study["protocolSection"].get("armsInterventionsModule", {}).get("interventions", [])
            for intervention in interventions:
                if intervention.get("type") not in {"DRUG", "BIOLOGICAL"} or is_placebo(intervention["name"]):
                    continue
                drugs = vocabulary.resolve(
                    intervention["type"], intervention["name"], intervention.get("otherNames", []), meshes
                )
                if not drugs:  # "standard of care" and the like: not a drug
                    continue
                total += 1
                known = [d for d in drugs if d.via != "unresolved"]
                via.update({d.via for d in drugs})
                if not known:
                    unresolved[intervention["name"].strip().lower()] += 1
                    continue
                resolved += 1
                if cancer:
                    cancer_resolved += 1
                    if any(d.class_keys for d in known):
                        cancer_classed += 1
                    else:
                        classless[intervention["name"].strip().lower()] += 1
    seconds = time.perf_counter() - started

    print(f"{studies:,} studies; vocabulary loaded in {loaded:.2f} s; resolved in {seconds:.2f} s")
    print(f"(a) DRUG/BIOLOGICAL interventions resolving to a drug: {resolved:,} / {total:,} = {resolved / total:.1%}")
    print(
        f"(b) cancer trials, resolved interventions with a class: {cancer_classed:,} / {cancer_resolved:,}"
        f" = {cancer_classed / cancer_resolved:.1%}"
    )
    print("    drugs found via:", ", ".join(f"{k} {v:,}" for k, v in via.most_common()))
    codes = sum(count for name, count in unresolved.items() if DEVELOPMENT_CODE.match(name))
    print(f"    unresolved: {total - resolved:,}, of which {codes:,} start with a development code")
    print(f"(c) {args.top} most frequent unresolved names:")
    for name, count in unresolved.most_common(args.top):
        print(f"    {count:3d}  {name}")
    print("    most frequent classless resolved names in cancer trials:")
    for name, count in classless.most_common(args.top):
        print(f"    {count:3d}  {name}")


if __name__ == "__main__":
    main()
