"""An incremental day: changed versions of existing corpus studies, plus a few new ones.

The corpus is streamed twice: once to count its studies and note every NCT id (a bitmap of the
10**8 possible ids, 12.5 MB), once to rewrite the studies whose line numbers were drawn from the
seed. Each changed study gets the day as its last update and one or more of the changes CT.gov sees
every weekday: a status moved on, an enrollment revised, a site's status changed, a site added.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import time
from collections import Counter
from pathlib import Path

from benchmarks.corpus import dates
from benchmarks.corpus.sources import dumps, read_lines
from benchmarks.corpus.synth import NCT_BASE, NCT_SPACE, Generator, with_status

_NCT = re.compile(rb'"nctId":"NCT(\d{8})"')
# The next status of a study whose status moves on, and what it then means for its dates.
NEXT_STATUS = {
    "NOT_YET_RECRUITING": "RECRUITING",
    "RECRUITING": "ACTIVE_NOT_RECRUITING",
    "ENROLLING_BY_INVITATION": "ACTIVE_NOT_RECRUITING",
    "ACTIVE_NOT_RECRUITING": "COMPLETED",
    "SUSPENDED": "RECRUITING",
    "UNKNOWN": "COMPLETED",
}


def scan(corpus: Path) -> tuple[int, bytearray]:
    """How many studies the corpus holds, and a bitmap of their NCT numbers."""
    taken, count = bytearray(10**8 // 8), 0
    for line in read_lines(corpus):
        count += 1
        if match := _NCT.search(line, 0, 200):
            number = int(match.group(1))
            taken[number >> 3] |= 1 << (number & 7)
    return count, taken


def write_day(generator: Generator, corpus: Path, out: Path, *, changes: int, new: int, day: int) -> None:
    started = time.perf_counter()
    today = dates.TODAY + dt.timedelta(days=day)
    rng = random.Random(f"day:{generator.seed}:{day}")
    count, taken = scan(corpus)
    picked = set(rng.sample(range(count), min(changes, count)))
    kinds: Counter[str] = Counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8") as writer:
        for number, line in enumerate(read_lines(corpus)):
            if number in picked:
                study = json.loads(line)
                kinds.update(change(study, generator, today, rng))
                writer.write(dumps(study) + "\n")
        for j in range(new):
            writer.write(dumps(new_study(generator, taken, today, rng, count + j)) + "\n")
    seconds = time.perf_counter() - started
    summary = ", ".join(f"{kind} {n:,}" for kind, n in kinds.most_common())
    print(f"day {day} ({today}): {len(picked):,} changed studies ({summary}) and {new:,} new in {seconds:,.1f} s")


def change(study: dict, generator: Generator, today: dt.date, rng: random.Random) -> list[str]:
    """Change one study in place as a day's update would; the kinds of change made."""
    protocol = study["protocolSection"]
    status = protocol["statusModule"]
    made = []
    if status.get("overallStatus") in NEXT_STATUS and rng.random() < 0.3:
        made.append(move_status(status, protocol, today))
    sites = protocol.get("contactsLocationsModule", {}).get("locations", [])
    recruiting = status.get("overallStatus") == "RECRUITING"
    if recruiting and sites and rng.random() < 0.3:
        at = rng.randrange(len(sites))
        old = sites[at].get("status")
        sites[at] = with_status(sites[at], "RECRUITING" if old != "RECRUITING" else "ACTIVE_NOT_RECRUITING")
        made.append("site status")
    if recruiting and rng.random() < 0.1:
        donors = generator.sources.donors
        donor = donors[rng.randrange(len(donors))]
        if donor.sites:
            site = with_status(rng.choice(donor.sites), "RECRUITING")
            protocol.setdefault("contactsLocationsModule", {}).setdefault("locations", []).append(site)
            made.append("new site")
    enrollment = protocol.get("designModule", {}).get("enrollmentInfo")
    if enrollment and isinstance(enrollment.get("count"), int) and (not made or rng.random() < 0.4):
        enrollment["count"] = max(1, enrollment["count"] + rng.randint(-20, 60))
        made.append("enrollment")
    made = made or ["last update only"]
    status["statusVerifiedDate"] = today.isoformat()[:7]
    status["lastUpdateSubmitDate"] = (today - dt.timedelta(days=1)).isoformat()
    status["lastUpdatePostDateStruct"] = {"date": today.isoformat(), "type": "ACTUAL"}
    return made


def move_status(status: dict, protocol: dict, today: dt.date) -> str:
    old = status["overallStatus"]
    new = status["overallStatus"] = NEXT_STATUS[old]
    status.pop("lastKnownStatus", None)
    if new == "RECRUITING" and old == "NOT_YET_RECRUITING":
        status["startDateStruct"] = {"date": today.isoformat(), "type": "ACTUAL"}
    end = status.get("completionDateStruct")
    if new in dates.ONGOING and end and dates.as_date(end["date"]) <= today:
        status["completionDateStruct"] = {"date": (today + dt.timedelta(days=365)).isoformat(), "type": "ESTIMATED"}
    if new == "COMPLETED":
        for key in ("primaryCompletionDateStruct", "completionDateStruct"):
            if key in status and dates.as_date(status[key]["date"]) > today:
                status[key] = {"date": today.isoformat(), "type": "ACTUAL"}
            elif key in status:
                status[key] = {**status[key], "type": "ACTUAL"}
        if info := protocol.get("designModule", {}).get("enrollmentInfo"):
            info["type"] = "ACTUAL"
    sites = protocol.get("contactsLocationsModule", {}).get("locations", [])
    for at, site in enumerate(sites):
        if new == "RECRUITING":
            sites[at] = with_status(site, "RECRUITING")
        else:
            site.pop("status", None)
    return f"status {old} -> {new}"


def new_study(generator: Generator, taken: bytearray, today: dt.date, rng: random.Random, index: int) -> dict:
    """A study first posted on the day: a synthetic recruiting or not-yet-recruiting study with a
    fresh NCT id, its registry dates on the day."""
    while True:
        number = NCT_BASE + rng.randrange(NCT_SPACE)
        if not taken[number >> 3] & (1 << (number & 7)):
            break
    taken[number >> 3] |= 1 << (number & 7)
    for attempt in range(1000):
        study = json.loads(generator.line(index + attempt * 10**7, nct_id=f"NCT{number:08d}"))
        status = study["protocolSection"]["statusModule"]
        if status.get("overallStatus") not in ("RECRUITING", "NOT_YET_RECRUITING"):
            continue
        submitted = (today - dt.timedelta(days=3)).isoformat()
        status.update(
            statusVerifiedDate=today.isoformat()[:7],
            studyFirstSubmitDate=submitted,
            studyFirstSubmitQcDate=(today - dt.timedelta(days=1)).isoformat(),
            studyFirstPostDateStruct={"date": today.isoformat(), "type": "ACTUAL"},
            lastUpdateSubmitDate=submitted,
            lastUpdatePostDateStruct={"date": today.isoformat(), "type": "ACTUAL"},
        )
        if not dates.coherence_errors(study, today):
            return study
    raise RuntimeError("no recruiting skeleton among the source records")
