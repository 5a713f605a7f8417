#!/usr/bin/env python3
"""Build the demo catalogue shipped with the portal from the team's real CT.gov records.

Reads ../shared/data/ctgov/ctgov_api_v2_studies.jsonl.gz (never present on a user's machine)
and writes data/demo/ctgov_demo_studies.jsonl.gz: a few hundred real API v2 studies, about two
thirds of them oncology, chosen deterministically so the file is reproducible byte for byte.

    python scripts/build_demo_data.py [--source PATH] [--size 300]
"""

import argparse
import gzip
import hashlib
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = ROOT.parent / "shared" / "data" / "ctgov" / "ctgov_api_v2_studies.jsonl.gz"
OUTPUT = ROOT / "data" / "demo" / "ctgov_demo_studies.jsonl.gz"
NEOPLASMS = "D009369"  # MeSH "Neoplasms"; CT.gov lists it among a cancer study's condition ancestors
CANCER_WORDS = ("cancer", "tumor", "carcinoma", "lymphoma", "leukemia", "neoplasm", "melanoma", "sarcoma", "nsclc")


def is_oncology(study: dict) -> bool:
    browse = study.get("derivedSection", {}).get("conditionBrowseModule", {})
    if any(term.get("id") == NEOPLASMS for term in browse.get("ancestors", []) + browse.get("meshes", [])):
        return True
    conditions = study["protocolSection"].get("conditionsModule", {}).get("conditions", [])
    return any(word in c.lower() for c in conditions for word in CANCER_WORDS)


def richness(study: dict) -> int:
    """Prefer records that show what the portal does: arms, interventions, sites, open status."""
    protocol = study["protocolSection"]
    arms = protocol.get("armsInterventionsModule", {})
    score = 2 * bool(arms.get("armGroups")) + 2 * bool(arms.get("interventions"))
    score += 2 * bool(protocol.get("contactsLocationsModule", {}).get("locations"))
    score += protocol.get("statusModule", {}).get("overallStatus") in {"RECRUITING", "NOT_YET_RECRUITING"}
    return score


def stable_key(line: str) -> str:
    return hashlib.sha256(line.encode()).hexdigest()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--size", type=int, default=300)
    args = parser.parse_args()

    oncology, other = [], []
    with gzip.open(args.source, "rt", encoding="utf-8") as lines:
        for line in lines:
            study = json.loads(line)
            (oncology if is_oncology(study) else other).append((-richness(study), stable_key(line), line))
    oncology.sort()
    other.sort()
    n_onc = min(len(oncology), args.size * 2 // 3)
    chosen = oncology[:n_onc] + other[: args.size - n_onc]
    chosen.sort(key=lambda item: json.loads(item[2])["protocolSection"]["identificationModule"]["nctId"])

    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0 keeps the gzip bytes identical between runs.
    with open(OUTPUT, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
        for _, _, line in chosen:
            out.write(line.rstrip("\n").encode("utf-8") + b"\n")
    print(f"wrote {len(chosen)} studies ({n_onc} oncology) to {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
