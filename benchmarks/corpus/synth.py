"""One synthetic study: the protocol of one real record, the sites of another, new ids and dates.

``Generator.line(index)`` is a pure function of the seed and the index (each study has its own
``random.Random``), so a corpus is reproducible byte for byte and the first N studies of a larger
corpus are the corpus of size N.

What a copy keeps together from its skeleton record: design, arms and interventions, outcomes,
eligibility, conditions and keywords with the derivedSection's condition and intervention MeSH
modules, description, sponsors, status (with whyStopped / lastKnownStatus), results. What it takes
from another real record with a similar number of sites: the locations, each site with its own
facility, city, country and geoPoint. What it varies: NCT id, org study id, the global secondary ids
(EudraCT, CTIS, ISRCTN, which must name one trial), the acronym and titles, enrollment, and every date
(one shift in whole months, chosen so the dates agree with the status on the corpus's today).
"""

from __future__ import annotations

import itertools
import math
import random
import re

from benchmarks.corpus import dates
from benchmarks.corpus.sources import Donor, Sources, dumps

NCT_BASE = 80_000_000  # synthetic NCT ids are NCT8xxxxxxx: real ids are below NCT08000000
NCT_SPACE = 10_000_000
JITTER_MONTHS = 24  # a copy's dates move up to two years away from its skeleton's (as of today)
SITE_CLOSED_KEYS = {"status", "contacts"}  # a closed study's sites list neither (as CT.gov's do)

_NCT_SECONDARY = re.compile(r"NCT\s*\d{8}", re.I)
_EU_NUMBER = re.compile(r"(\d{4}-)(\d{6})(-\d{2}(?:-\d{2})?)")
_ISRCTN = re.compile(r"(ISRCTN\s*)(\d+)", re.I)


class Generator:
    def __init__(self, sources: Sources, seed: int, today=dates.TODAY):
        self.sources, self.seed, self.today = sources, seed, today
        ids = random.Random(f"nct:{seed}")
        # An affine map modulo 10**7 with a multiplier prime to 10: one distinct id per index.
        self.multiplier = next(m for m in iter(lambda: ids.randrange(1_000_001, NCT_SPACE), None) if m % 2 and m % 5)
        self.offset = ids.randrange(NCT_SPACE)
        clashing = sorted(nct for nct in sources.nct_ids if nct.startswith(("NCT8", "NCT9")))
        if clashing:
            raise SystemExit(f"real NCT ids in the synthetic range: {clashing[:5]}")
        values, counts = zip(*sources.site_statuses, strict=True)
        self.site_status_values, self.site_status_cum = values, list(itertools.accumulate(counts))
        self.acronyms = sources.acronyms

    def nct_id(self, index: int) -> str:
        if not 0 <= index < NCT_SPACE:
            raise ValueError(f"index {index}: at most {NCT_SPACE:,} synthetic studies")
        return f"NCT{NCT_BASE + (self.multiplier * index + self.offset) % NCT_SPACE:08d}"

    def line(self, index: int, nct_id: str | None = None) -> str:
        """Study number ``index`` of the corpus as one line of JSON (no newline)."""
        rng = random.Random(f"{self.seed}:{index}")
        donors = self.sources.donors
        skeleton = donors[rng.randrange(len(donors))]
        site_donor = donors[rng.choice(self.sources.by_bucket[skeleton.bucket])]
        months, status = self._status(skeleton, rng)
        protocol = skeleton.study["protocolSection"]
        varied = {
            "identificationModule": self._identification(protocol["identificationModule"], index, nct_id, rng),
            "statusModule": status,
            "designModule": self._design(protocol.get("designModule"), rng),
            "contactsLocationsModule": self._contacts(protocol.get("contactsLocationsModule"), site_donor, status, rng),
        }
        proto = ",".join(
            f'"{key}":{dumps(varied[key]) if fragment is None else fragment}' for key, fragment in skeleton.protocol
        )
        parts = [f'"protocolSection":{{{proto}}}']
        for key, fragment in skeleton.sections:
            if fragment is None:
                fragment = self._section(skeleton, key, months)
            parts.append(f'"{key}":{fragment}')
        return "{" + ",".join(parts) + "}"

    # -----------------------------------------------------------------------------------------

    def _status(self, skeleton: Donor, rng: random.Random) -> tuple[int, dict]:
        low, high = dates.shift_bounds(skeleton.status, self.today)
        want = skeleton.version_shift
        near_low, near_high = max(low, want - JITTER_MONTHS), min(high, want + JITTER_MONTHS)
        # Near the skeleton's own dates when the status allows it; else the nearest shift that does
        # (or the highest one, when no shift does: a stale real record, repaired below).
        near = near_low <= near_high
        months = rng.randint(near_low, near_high) if near else min(max(want, low), high)
        module = dates.shift_module(skeleton.status, months)
        if low > high:
            dates.repair(module, lambda: rng.randint(6, 36), self.today)
        return months, module

    def _identification(self, module: dict, index: int, nct_id: str | None, rng: random.Random) -> dict:
        ident = dict(module)
        ident["nctId"] = nct_id or self.nct_id(index)
        if (org := ident.get("orgStudyIdInfo")) and org.get("id"):
            ident["orgStudyIdInfo"] = {**org, "id": f"{org['id']}-{rng.randrange(100, 1000)}"}
        if "secondaryIdInfos" in ident:
            ident["secondaryIdInfos"] = [
                {**info, "id": unique_secondary_id(info["id"], index, number)}
                for number, info in enumerate(ident["secondaryIdInfos"])
                if not _NCT_SECONDARY.search(info.get("id", ""))
            ]
        if self.acronyms and rng.random() < 0.95:
            acronym, old = rng.choice(self.acronyms), ident.get("acronym")
            for key in ("briefTitle", "officialTitle"):
                if title := ident.get(key):
                    if old and title.endswith(f"({old})"):
                        title = title[: -len(old) - 2].rstrip()
                    ident[key] = f"{title} ({acronym})"
            ident["acronym"] = acronym
        return ident

    @staticmethod
    def _design(module: dict | None, rng: random.Random) -> dict | None:
        if not module:
            return module
        info = module.get("enrollmentInfo")
        count = info.get("count") if info else None
        if not isinstance(count, int) or count <= 0:
            return module
        count = max(1, round(count * math.exp(rng.gauss(0, 0.2))))
        return {**module, "enrollmentInfo": {**info, "count": count}}

    def _contacts(self, module: dict | None, site_donor: Donor, status: dict, rng: random.Random) -> dict | None:
        if module is None:
            return None
        module = {key: value for key, value in module.items() if key != "locations"}
        if site_donor.sites:
            module["locations"] = self._sites(site_donor.sites, status.get("overallStatus"), rng)
        return module

    def _sites(self, sites: list[dict], overall: str | None, rng: random.Random) -> list[dict]:
        if overall == "UNKNOWN":  # CT.gov keeps the last known site statuses
            return sites
        if overall != "RECRUITING":
            drop = SITE_CLOSED_KEYS if overall != "NOT_YET_RECRUITING" else {"status"}
            return [{key: value for key, value in site.items() if key not in drop} for site in sites]
        adapted = [
            site
            if "status" in site
            else with_status(site, rng.choices(self.site_status_values, cum_weights=self.site_status_cum)[0])
            for site in sites
        ]
        if not any(site["status"] == "RECRUITING" for site in adapted):
            adapted[0] = with_status(adapted[0], "RECRUITING")
        return adapted

    def _section(self, skeleton: Donor, key: str, months: int) -> str:
        study = skeleton.study
        if key == "hasResults":
            return dumps(study["hasResults"])
        if key == "derivedSection":
            misc = dates.shift_other(study[key].get("miscInfoModule", {}), months)
            misc["versionHolder"] = self.today.isoformat()
            parts = (f'"{k}":{dumps(misc) if v is None else v}' for k, v in skeleton.derived)
            return "{" + ",".join(parts) + "}"
        return dumps(dates.shift_other(study[key], months))


def with_status(site: dict, status: str) -> dict:
    """A site with ``status`` placed after its facility, where CT.gov writes it."""
    items = [(key, value) for key, value in site.items() if key != "status"]
    at = 1 if items and items[0][0] == "facility" else 0
    return dict([*items[:at], ("status", status), *items[at:]])


def unique_secondary_id(value: str, index: int, number: int) -> str:
    """A global secondary id made the study's own, in the same shape: a EudraCT or EU CT number gets
    a serial from the index (100000-999999: above the real ones' serials, one per index up to
    900,000 studies); an ISRCTN eight digits from it. Other ids (grants, org ids) stay shared."""
    serial = 100_000 + (index * 7919 + number * 104_729) % 900_000
    value = _EU_NUMBER.sub(lambda m: f"{m.group(1)}{serial:06d}{m.group(3)}", value)
    return _ISRCTN.sub(lambda m: f"{m.group(1)}{(index * 7919 + number) % 10**8:08d}", value)
