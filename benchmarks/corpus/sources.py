"""The real records a corpus is recombined from, read once and held in memory with small tables.

Each record becomes a ``Donor``: its parsed study, the modules that every synthetic copy keeps as
they are already serialized (so a copy costs a few small ``json.dumps`` and string joins), and the
size bucket of its locations list, so that a skeleton takes its sites from a record of similar size.
"""

from __future__ import annotations

import bisect
import gzip
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED_STUDIES = ROOT.parent / "shared" / "data" / "ctgov" / "ctgov_api_v2_studies.jsonl.gz"
DEMO_STUDIES = ROOT / "data" / "demo" / "ctgov_demo_studies.jsonl.gz"

# The modules a synthetic study changes; every other module and section is copied verbatim.
VARIED_MODULES = {"identificationModule", "statusModule", "designModule", "contactsLocationsModule"}
VARIED_SECTIONS = {"protocolSection", "documentSection", "annotationSection", "derivedSection", "hasResults"}
# Upper bounds of the site-count buckets: 0, 1, 2-3, 4-9, 10-29, 30-99, 100 and more.
SITE_BUCKETS = (0, 1, 3, 9, 29, 99)


def dumps(value) -> str:
    """JSON as CT.gov writes it: compact, UTF-8 text unescaped."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def site_bucket(count: int) -> int:
    return bisect.bisect_left(SITE_BUCKETS, count)


@dataclass
class Donor:
    study: dict
    protocol: list[tuple[str, str | None]]  # (module key, its JSON; None for the varied ones)
    sections: list[tuple[str, str | None]]  # top-level sections after protocolSection, likewise
    derived: list[tuple[str, str | None]]  # derivedSection's modules, likewise (miscInfoModule varies)
    sites: list[dict]
    bucket: int
    version_shift: int = 0  # months from the record's data version to the corpus's today

    @property
    def status(self) -> dict:
        return self.study["protocolSection"]["statusModule"]


@dataclass
class Sources:
    donors: list[Donor]
    by_bucket: dict[int, list[int]]
    acronyms: list[str]
    site_statuses: list[tuple[str, int]]  # site statuses seen in RECRUITING studies, with counts
    nct_ids: set[str] = field(default_factory=set)


def read_lines(path: Path):
    """The non-empty lines of a JSON lines file, gzipped or not, as bytes."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        for line in handle:
            if line.strip():
                yield line.rstrip(b"\r\n")


def load(path: Path, today_index: int) -> Sources:
    """Read every real study of ``path``; ``today_index`` is the corpus's today as a month index."""
    donors, acronyms, site_statuses, nct_ids = [], [], Counter(), set()
    for line in read_lines(path):
        study = json.loads(line)
        protocol = study["protocolSection"]
        nct_ids.add(protocol["identificationModule"]["nctId"])
        if acronym := protocol["identificationModule"].get("acronym"):
            acronyms.append(acronym)
        sites = protocol.get("contactsLocationsModule", {}).get("locations", [])
        if protocol["statusModule"].get("overallStatus") == "RECRUITING":
            site_statuses.update(site["status"] for site in sites if "status" in site)
        version = study.get("derivedSection", {}).get("miscInfoModule", {}).get("versionHolder", "")
        year, month = (int(version[:4]), int(version[5:7])) if len(version) >= 7 else divmod(today_index, 12)
        donors.append(
            Donor(
                study=study,
                protocol=[(key, None if key in VARIED_MODULES else dumps(value)) for key, value in protocol.items()],
                sections=[
                    (key, None if key in VARIED_SECTIONS else dumps(value))
                    for key, value in study.items()
                    if key != "protocolSection"
                ],
                derived=[
                    (key, None if key == "miscInfoModule" else dumps(value))
                    for key, value in study.get("derivedSection", {}).items()
                ],
                sites=sites,
                bucket=site_bucket(len(sites)),
                version_shift=today_index - (year * 12 + month - 1),
            )
        )
    if not donors:
        raise SystemExit(f"{path}: no studies")
    by_bucket: dict[int, list[int]] = {}
    for number, donor in enumerate(donors):
        by_bucket.setdefault(donor.bucket, []).append(number)
    return Sources(
        donors=donors,
        by_bucket=by_bucket,
        acronyms=sorted(set(acronyms)),
        site_statuses=sorted(site_statuses.items()) or [("RECRUITING", 1)],
        nct_ids=nct_ids,
    )
