#!/usr/bin/env python3
"""Build the recorded ClinicalTrials.gov API v2 answers that the tests' replay server serves.

Reads real API v2 study objects from tests/fixtures/ctgov_api_v2/NCT*.json and writes, under
tests/fixtures/ctgov_api_replay/, ``/studies`` responses shaped as the API shapes them: compact JSON
``{"studies": [...], "nextPageToken": "..."}`` for a page with more to come, ``{"studies": [...]}``
for the last page, ``totalCount`` on the first page when the request asked ``countTotal=true``, and
nothing at all for an id CT.gov does not have. ``manifest.json`` pairs each file with the exact
query that gets it, so the replay answers only the requests the client should send. The pages are
cut smaller than the ``pageSize`` asked, so paging is exercised with a handful of studies.

    python scripts/build_ctgov_replay.py
"""

import base64
import hashlib
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STUDIES = ROOT / "tests" / "fixtures" / "ctgov_api_v2"
OUTPUT = ROOT / "tests" / "fixtures" / "ctgov_api_replay"

MISSING_ID = "NCT09999999"  # no such study: the API simply leaves it out of the page
SINCE = "2023-01-01"


def load_studies() -> dict[str, dict]:
    studies = {}
    for path in sorted(STUDIES.glob("NCT*.json")):
        study = json.loads(path.read_text(encoding="utf-8"))
        studies[study["protocolSection"]["identificationModule"]["nctId"]] = study
    return studies


def page_token(*parts: str) -> str:
    """A stable token that looks like the API's (20 URL-safe characters)."""
    digest = hashlib.sha256("|".join(parts).encode()).digest()
    return base64.b64encode(digest).decode().translate(str.maketrans("", "", "+/="))[:20]


def file_name(page: dict) -> str:
    """Name a page by what it holds: ``page_NCT04728893_NCT05034276_total4_more.json``."""
    ids = [study["protocolSection"]["identificationModule"]["nctId"] for study in page["studies"]]
    parts = ["page", *ids] if ids else ["page", "empty"]
    if "totalCount" in page:
        parts.append(f"total{page['totalCount']}")
    if "nextPageToken" in page:
        parts.append("more")
    return "_".join(parts) + ".json"


def paged(name: str, query: dict, studies: list[dict], per_page: int, *, count_total=False, written=None) -> list[dict]:
    """Manifest entries and files for a query answered in pages of ``per_page`` studies.

    ``written`` maps the text of pages already written to their file, so identical answers share one file.
    """
    written = {} if written is None else written
    chunks = [studies[i : i + per_page] for i in range(0, len(studies), per_page)] or [[]]
    entries, token = [], None
    for number, chunk in enumerate(chunks, start=1):
        page = {}
        if count_total and number == 1:
            page["totalCount"] = len(studies)
        page["studies"] = chunk
        next_token = page_token(name, str(number)) if number < len(chunks) else None
        if next_token:
            page["nextPageToken"] = next_token
        text = json.dumps(page, ensure_ascii=False, separators=(",", ":"))
        if text not in written:
            written[text] = file_name(page)
            (OUTPUT / written[text]).write_text(text, encoding="utf-8")
        file = written[text]
        entries.append({"query": {**query, "pageToken": token} if token else query, "file": file})
        token = next_token
    return entries


def main():
    studies = load_studies()
    written = {}
    OUTPUT.mkdir(parents=True, exist_ok=True)
    for old in OUTPUT.glob("*.json"):
        old.unlink()

    def by_ids(name, ids, page_size):
        query = {"filter.ids": ",".join(ids), "pageSize": str(page_size), "format": "json"}
        return paged(name, query, [studies[i] for i in ids if i in studies], per_page=page_size, written=written)

    def updated(study):
        return study["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"]

    since_query = {
        "filter.advanced": f"AREA[LastUpdatePostDate]RANGE[{SINCE},MAX]",
        "pageSize": "1000",
        "format": "json",
        "countTotal": "true",
    }
    recent = [study for _, study in sorted(studies.items()) if updated(study) >= SINCE]
    responses = [
        # import_trials --ctgov NCT05417321 NCT06482905 NCT09999999 (one request of up to 50 ids)
        *by_ids("ids", ["NCT05417321", "NCT06482905", MISSING_ID], 50),
        # the same ids two per request
        *by_ids("ids_batch1", ["NCT05417321", "NCT06482905"], 2),
        *by_ids("ids_batch2", [MISSING_ID], 2),
        # import_trials --ctgov-since 2023-01-01: two pages joined by nextPageToken / pageToken
        *paged("since", since_query, recent, per_page=2, count_total=True, written=written),
    ]
    manifest = {
        "about": "Recorded ClinicalTrials.gov API v2 /studies answers; rebuild with scripts/build_ctgov_replay.py",
        "responses": responses,
    }
    (OUTPUT / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {len(responses)} responses to {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
