"""The vocabulary's answers written into the catalogue: drug, drug class and condition rows.

The resolvers (``drugs.py``, ``conditions.py``, ``places.py``) are pure; this is the one place
that turns what they say into rows, called by the loader inside its transaction and by curation.
A curator's decision on a row (a drug's classes, a condition's MeSH mapping) is never overridden.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q

from trials.models import Condition, Drug, DrugClass
from trials.vocab.conditions import ResolvedCondition, condition_vocabulary
from trials.vocab.drugs import ResolvedDrug, drug_vocabulary
from trials.vocab.keys import name_key

_RESOLUTIONS = {choice.value for choice in Drug.Resolution}


def drug_rows(resolved: Iterable[ResolvedDrug]) -> list[Drug]:
    """The Drug rows for resolved drugs, created (with their classes) when new.

    Queries: one to find the drugs, then for each new drug its insert and class links."""
    resolved = list({r.key[:300]: r for r in resolved}.values())
    existing = Drug.objects.in_bulk([r.key[:300] for r in resolved], field_name="key")
    rows = []
    for drug in resolved:
        row = existing.get(drug.key[:300])
        if row is None and drug.via in ("unresolved", "code", "inn_stem"):
            # A name the vocabulary does not know may be a synonym a curator added to a drug.
            row = Drug.objects.filter(name_keys__contains=[drug.key[:300]]).first()
        if row is None:
            row, created = Drug.objects.get_or_create(
                key=drug.key[:300],
                defaults={
                    "name": drug.name[:300],
                    "mesh_id": drug.mesh_id[:12],
                    "synonyms": [s[:300] for s in drug.synonyms],
                    "via": drug.via if drug.via in _RESOLUTIONS else Drug.Resolution.UNRESOLVED,
                    "needs_review": drug.provisional,
                    "name_keys": sorted({drug.key[:300], *(name_key(n)[:300] for n in drug.synonyms)} - {""}),
                },
            )
            if created:
                row.classes.set(class_rows(drug.class_keys))
                refresh_drug_search_text([row])
        rows.append(row)
    return rows


def class_rows(keys: Iterable[str]) -> list[DrugClass]:
    """DrugClass rows for vocabulary class keys, with their parents up the tree."""
    vocabulary = drug_vocabulary()
    rows = []
    for key in keys:
        if key in vocabulary.classes:
            rows.append(_class_row(key))
    return rows


def _class_row(key: str) -> DrugClass:
    info = drug_vocabulary().classes[key]
    row = DrugClass.objects.filter(key=key).first()
    if row is not None:
        return row
    parent = _class_row(info.parent_key) if info.parent_key in drug_vocabulary().classes else None
    row, _ = DrugClass.objects.get_or_create(
        key=key,
        defaults={
            "name": info.name[:200],
            "parent": parent,
            "mesh_id": info.mesh_id[:12],
            "source": DrugClass.Source.MESH if info.source == "mesh" else DrugClass.Source.CURATED,
        },
    )
    return row


def refresh_drug_search_text(drugs: Iterable[Drug]) -> None:
    """What search finds a drug's trials by: its synonyms and its classes with their parents."""
    for drug in drugs:
        names = [*drug.synonyms]
        for drug_class in drug.classes.select_related("parent"):
            names += [c.name for c in drug_class.lineage()]
        text = " ".join(dict.fromkeys(names))
        if text != drug.search_text:
            drug.search_text = text
            Drug.objects.filter(pk=drug.pk).update(search_text=text)


def condition_row(term: str, study_meshes=()) -> tuple[Condition, ResolvedCondition | None]:
    """The Condition row a source's condition term points to: the MeSH descriptor it maps to
    (one row per descriptor), else the wording itself, unmapped (the curators' queue)."""
    wording_key = name_key(term)[:500]
    # A curator's mapping of this wording comes first.
    curated = (
        Condition.objects.filter(mapped_by_curator=True)
        .filter(Q(key=wording_key) | Q(aliases__contains=[wording_key]))
        .first()
    )
    if curated is not None:
        return curated, condition_vocabulary().descriptor(curated.mesh_id) if curated.mesh_id else None
    mapped = condition_vocabulary().resolve(term, study_meshes)
    if mapped:
        best = mapped[0]
        row = Condition.objects.filter(mesh_id=best.mesh_id).first()
        if row is None:
            row, _ = Condition.objects.get_or_create(
                key=name_key(best.name)[:500], defaults={"name": best.name[:500], "mesh_id": best.mesh_id}
            )
            if not row.mesh_id and not row.mapped_by_curator:
                Condition.objects.filter(pk=row.pk).update(mesh_id=best.mesh_id)
                row.mesh_id = best.mesh_id
            refresh_condition_search_text([row])
        return row, best
    wording = " ".join(term.split())
    row, _ = Condition.objects.get_or_create(
        key=name_key(wording)[:500] or wording[:500], defaults={"name": wording[:500]}
    )
    return row, None


def refresh_condition_search_text(conditions: Iterable[Condition]) -> None:
    """A mapped condition is found by its heading, entry terms and abbreviations, and by the
    headings above it; an unmapped one by its wording (already in the trial's text)."""
    vocabulary = condition_vocabulary()
    for condition in conditions:
        if not condition.mesh_id:
            continue
        names = [condition.name, *vocabulary.entry_terms(condition.mesh_id)]
        names += [name for _, name in vocabulary.ancestors(condition.mesh_id)]
        text = " ".join(dict.fromkeys(names))
        if text != condition.search_text:
            condition.search_text = text
            Condition.objects.filter(pk=condition.pk).update(search_text=text)
