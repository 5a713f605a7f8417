"""Write one TrialRecord onto a Trial row and its child rows.

Called only by the loader, inside its transaction. Child rows (arms, interventions, outcomes,
sites, contacts, conditions, identifiers) are replaced as a whole: a record describes the
complete current state of a trial, and positions keep the source's order.

What a curator set in admin is kept: a curated column keeps its value, and a curated part
(``PARTS``: the rows one admin inline edits) is left as it is.
"""

from __future__ import annotations

from django.db import router

from trials.drugs import is_placebo
from trials.ingest.built_once import update_columns
from trials.ingest.records import MeshTerm, PartialDate, RegistryId, TrialRecord
from trials.ingest.site_writer import delete_sites, write_sites_and_contacts
from trials.models import (
    Arm,
    Contact,
    Intervention,
    Organization,
    Outcome,
    Trial,
    TrialCondition,
    TrialMeshTerm,
)
from trials.models import RegistryId as RegistryIdRow
from trials.vocab.conditions import condition_vocabulary
from trials.vocab.drugs import drug_vocabulary
from trials.vocab.rows import condition_row, drug_rows

# Trial columns copied as they are (None -> "" for text columns).
_SCALAR_FIELDS = (
    "brief_title",
    "official_title",
    "acronym",
    "brief_summary",
    "detailed_description",
    "keywords",
    "overall_status",
    "why_stopped",
    "phases",
    "study_type",
    "allocation",
    "intervention_model",
    "masking",
    "primary_purpose",
    "enrollment_count",
    "enrollment_type",
    "has_results",
)
_NULLABLE_COLUMNS = {"enrollment_count", "has_results"}


# The parts of a trial a curator edits as a whole (one admin inline each), and the record
# fields each is written from.
PARTS = {
    "registry_ids": ("registry_ids",),
    "collaborators": ("collaborators",),
    "conditions": ("conditions", "condition_meshes"),
    "arms_interventions": ("arms", "interventions"),
    "outcomes": ("outcomes",),
    "contacts": ("central_contacts", "officials"),
    "sites": ("sites",),
}

# What the writer derives from facts by looking things up (the vocabulary, organization rows):
# when those facts are the same as the rows were written from, the rows stay, without the lookups.
DERIVED = {
    "mesh_terms": ("conditions", "condition_meshes", "intervention_meshes"),
    "lead_sponsor": ("lead_sponsor",),
}


def write_trial(
    trial: Trial,
    record: TrialRecord,
    registry_ids: list[RegistryId],
    *,
    keep=frozenset(),
    is_new=None,
    unchanged=frozenset(),
) -> Trial:
    """Copy every fact of ``record`` onto ``trial`` (saved) and replace its child rows, except
    the columns and parts named in ``keep`` (a curator's) and the parts named in ``unchanged``
    (the same facts as the rows hold: they stay, with the ids a curator's open form refers to;
    ``DERIVED`` names there keep what was derived from the same facts)."""
    if is_new is None:
        is_new = trial._state.adding
    kept_columns = {name: getattr(trial, name) for name in keep if name not in PARTS}
    before = None if is_new else _column_values(trial)
    _set_scalars(trial, record, sponsor=is_new or "lead_sponsor" not in unchanged or trial.lead_sponsor_id is None)
    for name, value in kept_columns.items():
        setattr(trial, name, value)
    if before is None:
        trial.save()
    else:
        update_columns(trial, _changed_columns(trial, before), router.db_for_write(Trial))
    parts = [part for part in PARTS if part not in keep and part not in unchanged]
    # The same MeSH terms and conditions give the same MeSH rows: the conditions' mapping is that
    # of their rows, which stay too.
    mesh_kept = not is_new and "mesh_terms" in unchanged and "conditions" not in keep
    places = {} if is_new else _delete_children(trial, parts, mesh_terms=not mesh_kept)
    if "registry_ids" in parts:
        _write_registry_ids(trial, registry_ids)
    if "collaborators" in parts:
        trial.collaborators.set(_organization(org) for org in record.collaborators)
    if "conditions" in parts:
        mapped = _write_conditions(trial, record)
    elif "conditions" in unchanged and "conditions" not in keep and not mesh_kept:
        mapped = _mapped_conditions(record)
    else:
        mapped = []
    if not mesh_kept:
        _write_mesh_terms(trial, record, mapped)
    if "arms_interventions" in parts:
        _write_arms_and_interventions(trial, record)
    if "outcomes" in parts:
        Outcome.objects.bulk_create(
            Outcome(
                trial=trial,
                kind=o.kind,
                measure=o.measure,
                description=o.description,
                time_frame=o.time_frame,
                position=i,
            )
            for i, o in enumerate(record.outcomes)
        )
    write_sites_and_contacts(trial, record, people="contacts" in parts, sites="sites" in parts, places=places)
    return trial


# Set by the loader before the writer runs: always saved.
_ALWAYS_SAVED = ("record_snapshot", "field_sources", "curated_fields", "updated_at")


def _column_values(trial: Trial) -> dict:
    """The trial's loaded columns (as read from the database) that the writer may set."""
    deferred = trial.get_deferred_fields()
    return {
        f.name: getattr(trial, f.attname)
        for f in Trial._meta.concrete_fields
        if not f.primary_key and f.attname not in deferred and f.name not in _ALWAYS_SAVED
    }


def _changed_columns(trial: Trial, before: dict) -> list[str]:
    """Only the columns whose value changed are saved: an unchanged long text is neither sent
    nor stored again (each is a new copy in the table's TOAST storage)."""
    changed = [name for name, value in before.items() if getattr(trial, Trial._meta.get_field(name).attname) != value]
    return [*changed, *_ALWAYS_SAVED]


def curated_source_values(trial: Trial, record: TrialRecord, curated) -> dict:
    """For each curated column, what the sources say now (JSON-ready), so admin can show where
    a curator's value and the sources part ways."""
    columns = [name for name in curated if name not in PARTS]
    if not columns:
        return {}
    probe = Trial()
    _set_scalars(probe, record)
    return {name: column_json(getattr(probe, name, None)) for name in columns}


def column_json(value):
    """A column's value as the curation notes keep it: a related row by its name, a date in ISO."""
    if hasattr(value, "pk"):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _set_scalars(trial: Trial, record: TrialRecord, *, sponsor: bool = True) -> None:
    """The trial's columns from ``record``; with ``sponsor`` False its lead sponsor stays as it is."""
    for name in _SCALAR_FIELDS:
        value = getattr(record, name)
        if value is None and name not in _NULLABLE_COLUMNS:
            value = ""
        setattr(trial, name, value)
    trial.phases = sorted(set(record.phases), key=_phase_order)
    for name in Trial.DATE_FIELDS:
        _set_date(trial, name, getattr(record, f"{name}_date"))
    if sponsor:
        trial.lead_sponsor = _organization(record.lead_sponsor) if record.lead_sponsor else None
    party = record.responsible_party
    trial.responsible_party_type = (party.type or "") if party else ""
    trial.responsible_party_name = party.name if party else ""
    trial.responsible_party_title = party.title if party else ""
    trial.responsible_party_affiliation = party.affiliation if party else ""
    el = record.eligibility
    trial.eligibility_criteria = el.criteria if el else ""
    trial.inclusion_criteria = list(el.inclusion) if el else []
    trial.exclusion_criteria = list(el.exclusion) if el else []
    trial.sex = (el.sex or "") if el else ""
    trial.minimum_age = el.minimum_age if el else ""
    trial.maximum_age = el.maximum_age if el else ""
    trial.min_age_years = el.min_age_years if el else None
    trial.max_age_years = el.max_age_years if el else None
    trial.healthy_volunteers = el.healthy_volunteers if el else None
    trial.std_ages = list(el.std_ages) if el else []


def _phase_order(phase: str) -> int:
    order = [choice.value for choice in Trial.Phase]
    return order.index(phase) if phase in order else len(order)


def _set_date(trial: Trial, name: str, value: PartialDate | None) -> None:
    setattr(trial, f"{name}_date", value.date if value else None)
    setattr(trial, f"{name}_date_precision", value.precision if value else "")
    setattr(trial, f"{name}_date_type", (value.type or "") if value else "")


def _delete_children(trial: Trial, parts: list[str], *, mesh_terms: bool = True) -> dict:
    """Delete the rows of ``parts`` (and the MeSH terms); returns where the deleted sites were
    placed by the gazetteer, {(city, country code, state): coordinates}, for the sites written anew."""
    places = delete_sites(trial) if "sites" in parts else {}
    if "contacts" in parts:
        Contact.objects.filter(trial=trial, site__isnull=True).delete()
    if "outcomes" in parts:
        Outcome.objects.filter(trial=trial).delete()
    if "arms_interventions" in parts:
        Intervention.objects.filter(trial=trial).delete()
        Arm.objects.filter(trial=trial).delete()
    if "conditions" in parts:
        TrialCondition.objects.filter(trial=trial).delete()
    if "registry_ids" in parts:
        RegistryIdRow.objects.filter(trial=trial).delete()
    if mesh_terms:
        TrialMeshTerm.objects.filter(trial=trial).delete()
    return places


def _organization(org) -> Organization:
    obj, _ = Organization.objects.get_or_create(name=org.name[:500], agency_class=org.agency_class or "")
    return obj


def _write_registry_ids(trial: Trial, registry_ids: list[RegistryId]) -> None:
    seen = set()
    rows = []
    for rid in registry_ids:
        key = (rid.scheme, rid.value, rid.issuer)
        if key not in seen:
            seen.add(key)
            rows.append(RegistryIdRow(trial=trial, scheme=rid.scheme, value=rid.value, issuer=rid.issuer[:500]))
    RegistryIdRow.objects.bulk_create(rows)


def _write_conditions(trial: Trial, record: TrialRecord) -> list:
    """Each source term points to its MeSH descriptor's condition (the vocabulary, helped by the
    study's own MeSH terms) or, unmapped, to its wording. Returns the descriptors mapped."""
    rows, mapped = [], []
    for position, (term, condition, descriptor) in enumerate(_condition_rows(record)):
        if descriptor is not None:
            mapped.append(descriptor)
        rows.append(TrialCondition(trial=trial, condition=condition, source_term=term[:500], position=position))
    TrialCondition.objects.bulk_create(rows)
    return mapped


def _mapped_conditions(record: TrialRecord) -> list:
    """The descriptors the record's conditions map to, for conditions whose rows stay as they are."""
    return [descriptor for _, _, descriptor in _condition_rows(record) if descriptor is not None]


def _condition_rows(record: TrialRecord):
    study_meshes = [(m.mesh_id, m.term) for m in record.condition_meshes if not m.is_ancestor and m.mesh_id]
    for term in record.conditions:
        yield (term, *condition_row(term, study_meshes))


def _write_mesh_terms(trial: Trial, record: TrialRecord, mapped=()) -> None:
    TrialMeshTerm.objects.bulk_create(
        TrialMeshTerm(
            trial=trial, branch=branch, mesh_id=mesh.mesh_id, term=mesh.term[:300], is_ancestor=mesh.is_ancestor
        )
        for branch, mesh in mesh_terms(record, mapped)
    )


def mesh_terms(record: TrialRecord, mapped=()) -> list[tuple[str, MeshTerm]]:
    """The trial's MeSH terms as (branch, term): the source's own, and the descriptors its
    conditions map to with the headings above them (the condition tree's drill-down). Pure: the
    bulk import builds the same rows."""
    derived = [MeshTerm(d.mesh_id, d.name) for d in mapped]
    for descriptor in mapped:
        derived += [
            MeshTerm(mesh_id, name, is_ancestor=True)
            for mesh_id, name in condition_vocabulary().ancestors(descriptor.mesh_id)
        ]
    rows: dict[tuple[str, str], tuple[str, MeshTerm]] = {}
    for branch, terms in (
        (TrialMeshTerm.Branch.CONDITION, [*record.condition_meshes, *derived]),
        (TrialMeshTerm.Branch.INTERVENTION, record.intervention_meshes),
    ):
        for mesh in terms:
            key = (branch, mesh.mesh_id or mesh.term.casefold())
            # A descriptor listed both as the study's own term and as an ancestor is the study's own.
            if key not in rows or (rows[key][1].is_ancestor and not mesh.is_ancestor):
                rows[key] = (branch, mesh)
    return list(rows.values())


def _write_arms_and_interventions(trial: Trial, record: TrialRecord) -> None:
    arms = Arm.objects.bulk_create(
        Arm(trial=trial, label=a.label[:500], type=a.type or "", description=a.description, position=i)
        for i, a in enumerate(record.arms)
    )
    interventions = Intervention.objects.bulk_create(
        Intervention(
            trial=trial,
            type=iv.type or "",
            name=iv.name[:500],
            description=iv.description,
            other_names=[n[:500] for n in iv.other_names],
            position=i,
        )
        for i, iv in enumerate(record.interventions)
    )
    Intervention.arms.through.objects.bulk_create(
        Intervention.arms.through(intervention_id=interventions[j].pk, arm_id=arms[i].pk)
        for i, j in sorted(record.arm_intervention_links())
    )
    study_meshes = [(m.mesh_id, m.term) for m in record.intervention_meshes if m.mesh_id]
    # The arms' descriptions of each intervention classify a development code no vocabulary lists
    # ("HB0030 is an anti-TIGIT antibody").
    arm_texts: dict[int, list[str]] = {}
    for arm_index, iv_index in record.arm_intervention_links():
        arm_texts.setdefault(iv_index, []).append(record.arms[arm_index].description or "")
    links, placebos = [], []
    for index, (row, iv) in enumerate(zip(interventions, record.interventions, strict=True)):
        resolved = drug_vocabulary().resolve(
            iv.type, iv.name, iv.other_names, study_meshes, iv.description or "", arm_texts.get(index, ())
        )
        if not resolved and is_placebo(iv.name):
            placebos.append(row.pk)
        for drug in drug_rows(resolved):
            links.append(Intervention.drugs.through(intervention_id=row.pk, drug_id=drug.pk))
    Intervention.drugs.through.objects.bulk_create(links, ignore_conflicts=True)
    if placebos:
        Intervention.objects.filter(pk__in=placebos).update(is_placebo=True)
