"""One trial, many sources: combine the records of a trial's sources into the facts it shows.

A trial may be known from several shapes at once: the registry's API JSON or legacy XML, a CSV
export, a saved ClinicalTrials.gov or ClinicalTrials.Veeva page, a field dump. Each source
states some facts and leaves others unsaid. For every fact the source with the highest priority
that states it wins: structured registry data (API JSON, XML) over CSV exports, those over
saved pages, and saved pages over field dumps. Within one priority the newer registry version
(last update date), then the later import, wins. Of the registry's whole records (API JSON, XML)
only each format's newest takes part, so an older version never brings back a fact the newer one
dropped; partial records (CSV rows of chosen columns, pages saved partly) all add what they hold.

Facts that belong together travel together: arms with the interventions they link to, the
criteria text with the items split from it, an age text with its value in years. Registry ids
are the union of every source's ids. Pure functions over snapshots (``TrialRecord.snapshot()``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from trials.choices import SourceFormat

# Higher wins. CSV exports come from the registry but flatten it (no arms, no criteria lists,
# ambiguous outcome text), so they rank below the registry's structured records.
SOURCE_PRIORITY = {
    SourceFormat.CTGOV_API_V2_JSON: 40,
    SourceFormat.CTGOV_LEGACY_XML: 40,
    SourceFormat.CTGOV_CSV: 30,
    SourceFormat.CTGOV_PAGE: 20,
    SourceFormat.VEEVA_PAGE: 20,
    SourceFormat.FIELD_DUMP: 10,
}

# Record fields taken together from one source; every other field is taken on its own.
FIELD_GROUPS = (
    ("arms", "interventions"),
    ("enrollment_count", "enrollment_type"),
    ("overall_status", "why_stopped"),
    ("conditions", "condition_meshes"),
    ("eligibility.criteria", "eligibility.inclusion", "eligibility.exclusion"),
    ("eligibility.minimum_age", "eligibility.min_age_years"),
    ("eligibility.maximum_age", "eligibility.max_age_years"),
)
_UNION_FIELDS = ("registry_ids",)


@dataclass(frozen=True)
class SourceSnapshot:
    """One source's reading of a trial: its source record id, format and parsed snapshot."""

    source_id: int
    format: str
    snapshot: dict

    @property
    def rank(self) -> tuple:
        last_update = (self.snapshot.get("last_update_date") or {}).get("date") or ""
        return (SOURCE_PRIORITY.get(self.format, 0), last_update, self.source_id)


# Formats whose every record is the registry's whole record of a study: a newer one replaces an
# older one entirely. The others hold part of a study (the columns a user exported, the part of
# a page that was saved), so each of their records adds what the others lack.
WHOLE_RECORD_FORMATS = frozenset({SourceFormat.CTGOV_API_V2_JSON, SourceFormat.CTGOV_LEGACY_XML})


def ranked(sources: list[SourceSnapshot]) -> list[SourceSnapshot]:
    """The sources that take part, best first: the newest record of each whole-record format (by
    registry update date, then import order) and every record of the partial formats."""
    best: dict[str, SourceSnapshot] = {}
    partial = []
    for source in sources:
        if source.format not in WHOLE_RECORD_FORMATS:
            partial.append(source)
        elif source.format not in best or source.rank > best[source.format].rank:
            best[source.format] = source
    return sorted([*best.values(), *partial], key=lambda s: s.rank, reverse=True)


def merge(sources: list[SourceSnapshot]) -> tuple[dict, dict[str, int]]:
    """``(merged snapshot, {field: source id that gave it})`` of a trial's sources."""
    taking_part = ranked(sources)
    if not taking_part:
        return {}, {}
    flat = [(source, _flatten(source.snapshot)) for source in taking_part]
    keys = tuple(flat[0][1])
    merged_flat: dict = {}
    field_sources: dict[str, int] = {}
    for group in _groups(keys):
        for source, values in flat:
            if any(_stated(values.get(key)) for key in group):
                for key in group:
                    merged_flat[key] = values.get(key)
                    if _stated(values.get(key)):
                        field_sources[key] = source.source_id
                break
        else:
            for key in group:
                merged_flat[key] = flat[0][1].get(key)
    for key in _UNION_FIELDS:
        merged_flat[key] = _union([values.get(key) or [] for _, values in flat])
        for source, values in flat:
            if values.get(key):
                field_sources.setdefault(key, source.source_id)
    return _unflatten(merged_flat), field_sources


def _flatten(snapshot: dict) -> dict:
    flat = {key: value for key, value in snapshot.items() if key != "eligibility"}
    for key, value in (snapshot.get("eligibility") or {}).items():
        flat[f"eligibility.{key}"] = value
    return flat


def _unflatten(flat: dict) -> dict:
    snapshot = {key: value for key, value in flat.items() if not key.startswith("eligibility.")}
    eligibility = {key.split(".", 1)[1]: value for key, value in flat.items() if key.startswith("eligibility.")}
    snapshot["eligibility"] = eligibility if any(_stated(v) for v in eligibility.values()) else None
    return snapshot


@lru_cache(maxsize=64)  # the same keys for every record of a format
def _groups(keys: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    grouped = {key for group in FIELD_GROUPS for key in group}
    groups = [group for group in FIELD_GROUPS if any(key in keys for key in group)]
    groups += [(key,) for key in keys if key not in grouped and key not in _UNION_FIELDS]
    return tuple(groups)


def _stated(value) -> bool:
    return value not in (None, "", [], {})


def _union(lists: list[list]) -> list:
    seen, result = set(), []
    for items in lists:
        for item in items:
            key = repr(sorted(item.items())) if isinstance(item, dict) else repr(item)
            if key not in seen:
                seen.add(key)
                result.append(item)
    return result
