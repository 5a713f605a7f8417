"""Worker side of the bulk import: one raw line to the rows the per-record writer would write.

Pure (no database): runs in worker processes forked after Django is set up. Every decision
mirrors ``loader._load`` and ``trial_writer.write_trial`` for a trial that is new to the
catalogue; the vocabulary rows (organizations, conditions, drugs) are named by their keys and
given ids by the main process (``vocab_ids``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field

from trials.drugs import is_placebo
from trials.ingest.detect import detect_format
from trials.ingest.loader import local_id
from trials.ingest.merge import SourceSnapshot, merge
from trials.ingest.parsers import ctgov_json
from trials.ingest.pipeline import RecordReport, _failed
from trials.ingest.readers import Unreadable
from trials.ingest.records import ParseError, RawSource, TrialRecord
from trials.ingest.site_writer import coordinates
from trials.ingest.trial_writer import _set_scalars, mesh_terms
from trials.models import Contact, Trial
from trials.vocab.conditions import condition_vocabulary
from trials.vocab.drugs import ResolvedDrug, drug_vocabulary
from trials.vocab.keys import name_key

# Trial columns in COPY order; the id, the sponsor and the two JSON columns of the merge come first.
TRIAL_COLUMNS = [
    f.column
    for f in Trial._meta.concrete_fields
    if f.attname not in ("id", "lead_sponsor_id", "record_snapshot", "field_sources", "created_at", "updated_at")
]
_TRIAL_ATTNAMES = [
    f.attname for f in Trial._meta.concrete_fields if f.column in TRIAL_COLUMNS
]  # same order as TRIAL_COLUMNS
_JSON_ATTNAMES = {"curated_fields"}

# The wordings a curator mapped to a condition ({name key or alias: MeSH id or ""}), read once by
# the main process before the workers start (``set_curated_conditions``).
_curated_conditions: dict[str, str] = {}


def set_curated_conditions(curated: dict[str, str]) -> None:
    """Pool initializer: the curators' condition mappings as the catalogue holds them now."""
    global _curated_conditions
    _curated_conditions = curated


@dataclass
class ConditionRef:
    """Which Condition row a source term points to, named without its id."""

    key: tuple  # ("curated", wording key) | ("mesh", MeSH id) | ("wording", wording key)
    term: str  # the source's term, for ``condition_row`` when the row is not known yet
    study_meshes: list


@dataclass
class PreparedTrial:
    """One study: what tells whether the catalogue knows it, then (``with_rows``) every row of it
    ready to COPY, vocabulary rows named by key."""

    origin: str
    raw: bytes
    sha256: str
    snapshot_json: str  # what the parser read (the source record's snapshot)
    merged_json: str  # the merge of the trial's one source (the trial's record_snapshot)
    field_keys: list[str]
    changed_fields: list[str]
    outcome_ids: list[str]  # the record's registry ids as the per-record path reports them
    unique_ids: list[tuple[str, str]]  # (scheme, value) naming one trial: who else may hold them
    record: TrialRecord  # the merged record, for ``with_rows``
    # The rows, built by ``with_rows`` once the study is known to be new.
    trial: tuple | None = None  # TRIAL_COLUMNS values
    sponsor: tuple[str, str] | None = None
    collaborators: list[tuple[str, str]] = field(default_factory=list)
    registry_ids: list[tuple[str, str, str]] = field(default_factory=list)
    conditions: list[tuple[str, ConditionRef]] = field(default_factory=list)
    mesh_terms: list[tuple] = field(default_factory=list)
    arms: list[tuple] = field(default_factory=list)
    interventions: list[tuple] = field(
        default_factory=list
    )  # (type, name, description, other_names, position, placebo)
    intervention_drugs: list[list[ResolvedDrug]] = field(default_factory=list)
    arm_links: list[tuple[int, int]] = field(default_factory=list)  # (intervention index, arm index)
    outcomes: list[tuple] = field(default_factory=list)
    contacts: list[tuple] = field(default_factory=list)  # trial-level: (kind, name, role, phone, email, ...)
    sites: list[tuple] = field(default_factory=list)
    site_contacts: list[list[tuple]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class Fallback:
    """A unit the bulk path leaves to the per-record path (not a single API v2 study)."""

    unit: RawSource | Unreadable


def prepare(unit: RawSource | Unreadable) -> PreparedTrial | RecordReport | Fallback:
    """What one unit becomes: a parsed study (rows not yet built), a failed outcome, or a unit for
    the per-record path."""
    if isinstance(unit, Unreadable) or not _detected(unit):
        return Fallback(unit)
    try:
        record = ctgov_json.parse(unit.data)
    except ParseError as exc:
        return _failed(unit.origin, str(exc)) if _one_study(unit) else Fallback(unit)
    except Exception:  # a parser bug: the per-record path reports it as it always does
        return Fallback(unit)
    # A study that parses is one JSON object: the splitter gives it back as it is, unless it is
    # UTF-16 (stored re-encoded). Its JSON is decoded once here, not once more by the splitter.
    if not unit.data.startswith(b"{") and not _one_study(unit):
        return Fallback(unit)
    try:
        return _prepared(record, unit)
    except ParseError as exc:
        return _failed(unit.origin, str(exc), [rid.value for rid in record.registry_ids])


def _detected(unit: RawSource) -> bool:
    try:
        return detect_format(unit) == ctgov_json.FORMAT
    except (ParseError, ValueError):
        return False


def _one_study(unit: RawSource) -> bool:
    """Whether the per-record path would find this unit to be one record (itself) to parse."""
    try:
        return list(ctgov_json.split(unit)) == [unit]
    except (ParseError, ValueError):
        return False


def _prepared(record: TrialRecord, unit: RawSource) -> PreparedTrial:
    outcome_ids = [rid.value for rid in record.registry_ids]
    if not record.global_ids():
        record.registry_ids = [*record.registry_ids, local_id(record)]
    snapshot = record.snapshot()
    merged, field_sources = merge([SourceSnapshot(0, ctgov_json.FORMAT, snapshot)])
    if merged != snapshot:  # one source merges to itself but for rare shapes; read back only then
        record = TrialRecord.from_snapshot(merged)
    snapshot_json = json.dumps(snapshot)
    return PreparedTrial(
        origin=unit.origin[:1000],
        raw=unit.data,
        sha256=hashlib.sha256(unit.data).hexdigest(),
        snapshot_json=snapshot_json,
        merged_json=snapshot_json if merged == snapshot else json.dumps(merged),
        field_keys=list(field_sources),
        changed_fields=sorted(key for key, value in merged.items() if value is not None),
        outcome_ids=outcome_ids,
        unique_ids=sorted({(rid.scheme, rid.value) for rid in record.registry_ids if _is_unique(rid.scheme)}),
        record=record,
    )


def with_rows(t: PreparedTrial) -> PreparedTrial:
    """``t`` with its rows, as ``trial_writer.write_trial`` writes them for a new trial."""
    if t.trial is not None:
        return t
    record = t.record
    probe = Trial()
    _set_scalars(probe, dataclasses.replace(record, lead_sponsor=None))
    t.trial = tuple(_column_value(probe, name) for name in _TRIAL_ATTNAMES)
    t.sponsor = _org_key(record.lead_sponsor) if record.lead_sponsor else None
    t.collaborators = list(dict.fromkeys(_org_key(org) for org in record.collaborators))
    t.registry_ids = list(dict.fromkeys((rid.scheme, rid.value, rid.issuer[:500]) for rid in record.registry_ids))
    t.conditions, mapped = _conditions(record)
    t.mesh_terms = [(branch.value, m.mesh_id, m.term[:300], m.is_ancestor) for branch, m in mesh_terms(record, mapped)]
    t.arms = [(a.label[:500], a.type or "", a.description, i) for i, a in enumerate(record.arms)]
    t.interventions, t.intervention_drugs = _interventions(record)
    t.arm_links = [(j, i) for i, j in sorted(record.arm_intervention_links())]
    t.outcomes = [(o.kind, o.measure, o.description, o.time_frame, i) for i, o in enumerate(record.outcomes)]
    t.contacts = [
        _contact(kind, c, i)
        for kind, persons in (
            (Contact.Kind.CENTRAL, record.central_contacts),
            (Contact.Kind.OFFICIAL, record.officials),
        )
        for i, c in enumerate(persons)
    ]
    t.sites, t.site_contacts = _sites(record)
    return t


def _is_unique(scheme: str) -> bool:
    from trials.choices import UNIQUE_ID_SCHEMES

    return scheme in UNIQUE_ID_SCHEMES


def _column_value(probe: Trial, name: str):
    value = getattr(probe, name)
    return json.dumps(value) if name in _JSON_ATTNAMES else value


def _org_key(org) -> tuple[str, str]:
    return (org.name[:500], org.agency_class or "")


def _conditions(record: TrialRecord) -> tuple[list[tuple[str, ConditionRef]], list]:
    """As ``trial_writer._condition_rows`` and ``rows.condition_row``: a curator's mapping of the
    wording first, then the vocabulary's descriptor, else the wording itself."""
    vocabulary = condition_vocabulary()
    study_meshes = [(m.mesh_id, m.term) for m in record.condition_meshes if not m.is_ancestor and m.mesh_id]
    rows, mapped = [], []
    for term in record.conditions:
        wording_key = name_key(term)[:500]
        if wording_key in _curated_conditions:
            mesh_id = _curated_conditions[wording_key]
            key, descriptor = ("curated", wording_key), vocabulary.descriptor(mesh_id) if mesh_id else None
        else:
            found = vocabulary.resolve(term, study_meshes)
            descriptor = found[0] if found else None
            if descriptor is not None:
                key = ("mesh", descriptor.mesh_id)
            else:
                wording = " ".join(term.split())
                key = ("wording", name_key(wording)[:500] or wording[:500])
        if descriptor is not None:
            mapped.append(descriptor)
        rows.append((term[:500], ConditionRef(key, term, study_meshes)))
    return rows, mapped


def _interventions(record: TrialRecord) -> tuple[list[tuple], list[list[ResolvedDrug]]]:
    """As ``trial_writer._write_arms_and_interventions``: each intervention resolved with its other
    names, the study's MeSH terms, its description and the descriptions of its arms."""
    study_meshes = [(m.mesh_id, m.term) for m in record.intervention_meshes if m.mesh_id]
    arm_texts: dict[int, list[str]] = {}
    for arm_index, iv_index in record.arm_intervention_links():
        arm_texts.setdefault(iv_index, []).append(record.arms[arm_index].description or "")
    rows, drugs = [], []
    for index, iv in enumerate(record.interventions):
        resolved = drug_vocabulary().resolve(
            iv.type, iv.name, iv.other_names, study_meshes, iv.description or "", arm_texts.get(index, ())
        )
        placebo = not resolved and is_placebo(iv.name)
        rows.append((iv.type or "", iv.name[:500], iv.description, [n[:500] for n in iv.other_names], index, placebo))
        drugs.append(list({r.key[:300]: r for r in resolved}.values()))
    return rows, drugs


def _sites(record: TrialRecord) -> tuple[list[tuple], list[list[tuple]]]:
    sites, contacts = [], []
    for i, s in enumerate(record.sites):
        point = coordinates(s)
        sites.append(
            (
                s.facility[:500],
                s.city[:200],
                s.state[:200],
                s.postal_code[:40],
                s.country[:200],
                s.country_code or "",
                s.status or "",
                point["latitude"],
                point["longitude"],
                point["coordinates_from"],
                i,
            )
        )
        contacts.append([_contact(Contact.Kind.SITE, c, j) for j, c in enumerate(s.contacts)])
    return sites, contacts


def _contact(kind, c, position) -> tuple:
    return (kind.value, c.name[:300], c.role or "", c.phone[:100], c.email[:300], c.affiliation[:500], position)
