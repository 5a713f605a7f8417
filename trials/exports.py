"""Downloads of a search's trials, streamed: CSV (one row a trial) and JSON (the trial JSON).

Both take the search page's parameters, so "Download" gives exactly the trials the page counts.
Rows are read in chunks with their children prefetched per chunk (a fixed number of queries per
``CHUNK`` trials) and written as they are read, so memory stays flat whatever the size.
"""

from __future__ import annotations

import csv
import itertools
import json
from collections.abc import Iterator

from django.http import Http404, StreamingHttpResponse
from django.urls import reverse
from django.views.decorators.http import require_safe

from trials.search_results import matching_trials
from trials.trial_json import trial_json, trial_queryset
from trials.views import query_checked

# Trials per chunk: a chunk's trials with all their children are in memory at once. At 200 one export
# peaked near 50 MB of Python objects, and a worker's RSS keeps its highest concurrent peak (soak test).
CHUNK = 50
CSV_COLUMNS = (
    "nct_id", "registry_ids", "brief_title", "acronym", "overall_status", "phases", "study_type",
    "conditions", "condition_mesh_ids", "interventions", "drugs", "drug_classes", "sponsor", "sponsor_class",
    "enrollment", "start_date", "primary_completion_date", "completion_date", "last_update_date",
    "sex", "minimum_age", "maximum_age", "healthy_volunteers", "countries", "site_count", "has_results", "url",
)  # fmt: skip
# A cell a spreadsheet would run as a formula ("=HYPERLINK(...)") is written as text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    def write(self, value):
        return value


@require_safe
@query_checked
def export_trials(request, fmt: str):
    if fmt not in ("csv", "json"):
        raise Http404("Export as csv or json")
    _, trials = matching_trials(request.GET, trial_queryset())
    trials = _read_first(trial_json(trial) for trial in trials.iterator(chunk_size=CHUNK))
    if fmt == "csv":
        response = StreamingHttpResponse(_csv_rows(trials, request), content_type="text/csv; charset=utf-8")
    else:
        response = StreamingHttpResponse(_json_array(trials), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="trials.{fmt}"'
    return response


def _read_first(trials: Iterator[dict]) -> Iterator[dict]:
    """Read the first chunk in the view, before the 200 is sent: a database that is down then gives the
    503 of portal.database_outage, not a download that breaks off after its first line."""
    first = next(trials, None)
    return itertools.chain([first], trials) if first is not None else iter(())


def _json_array(trials: Iterator[dict]) -> Iterator[str]:
    yield "["
    for index, trial in enumerate(trials):
        yield ("," if index else "") + "\n" + json.dumps(trial, ensure_ascii=False)
    yield "\n]\n"


def _csv_rows(trials: Iterator[dict], request) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for trial in trials:
        yield writer.writerow([_cell(value) for value in csv_row(trial, request).values()])


def csv_row(trial: dict, request=None) -> dict:
    """One trial JSON flattened to ``CSV_COLUMNS`` (lists joined with "; ")."""
    ids = trial["registry_ids"]
    drugs = [drug for iv in trial["interventions"] for drug in iv["drugs"]]
    url = reverse("trials:detail", args=[trial["id"]])
    return {
        "nct_id": next((r["value"] for r in ids if r["scheme"] == "NCT"), ""),
        "registry_ids": _join(f"{r['scheme']}:{r['value']}" for r in ids),
        "brief_title": trial["brief_title"],
        "acronym": trial["acronym"] or "",
        "overall_status": trial["overall_status"] or "",
        "phases": _join(trial["phases"]),
        "study_type": trial["study_type"] or "",
        "conditions": _join(c["source_term"] for c in trial["conditions"]),
        "condition_mesh_ids": _join(c["mesh_id"] for c in trial["conditions"] if c["mesh_id"]),
        "interventions": _join(f"{iv['type'] or 'OTHER'}: {iv['name']}" for iv in trial["interventions"]),
        "drugs": _join(dict.fromkeys(d["name"] for d in drugs)),
        "drug_classes": _join(dict.fromkeys(c for d in drugs for c in d["classes"])),
        "sponsor": (trial["sponsor"] or {}).get("name", ""),
        "sponsor_class": (trial["sponsor"] or {}).get("class") or "",
        "enrollment": trial["enrollment"]["count"] if trial["enrollment"]["count"] is not None else "",
        **{f"{name}_date": (trial["dates"][name] or {}).get("date", "") for name in _DATES},
        "sex": trial["eligibility"]["sex"] or "",
        "minimum_age": trial["eligibility"]["minimum_age"] or "",
        "maximum_age": trial["eligibility"]["maximum_age"] or "",
        "healthy_volunteers": _flag(trial["eligibility"]["healthy_volunteers"]),
        "countries": _join(dict.fromkeys(s["country"] for s in trial["sites"] if s["country"])),
        "site_count": len(trial["sites"]),
        "has_results": _flag(trial["has_results"]),
        "url": request.build_absolute_uri(url) if request else url,
    }


_DATES = ("start", "primary_completion", "completion", "last_update")


def _join(values) -> str:
    return "; ".join(str(value) for value in values)


def _flag(value) -> str:
    return "" if value is None else "yes" if value else "no"


def _cell(value):
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
