"""Apply the current vocabulary to a catalogue imported before it (or before its last rebuild).

Imports resolve each record as it arrives; this brings everything already in the catalogue up
to date without re-importing: drugs are re-resolved by name (a curator's drugs are left alone;
a name the vocabulary now reads as no drug, "Blood draw", stops being one),
unmapped conditions are mapped, sites without coordinates are placed, and search text rebuilt.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from trials.models import Condition, Drug, Site, Trial, TrialCondition
from trials.search_index import refresh_search_index
from trials.vocab.curation import condition_mapped, fold_drugs_into
from trials.vocab.drugs import drug_vocabulary
from trials.vocab.places import gazetteer
from trials.vocab.rows import class_rows, refresh_drug_search_text


@dataclass
class Applied:
    drugs_resolved: int = 0
    drugs_removed: int = 0
    conditions_mapped: int = 0
    sites_placed: int = 0
    trials_refreshed: int = 0


def apply_vocabulary() -> Applied:
    applied = Applied()
    with transaction.atomic():
        applied.drugs_resolved, applied.drugs_removed = _drugs()
        applied.conditions_mapped = _conditions()
        applied.sites_placed = _sites()
    trial_ids = list(Trial.objects.values_list("pk", flat=True))
    refresh_search_index(trial_ids)
    applied.trials_refreshed = len(trial_ids)
    return applied


def _drugs() -> tuple[int, int]:
    vocabulary = drug_vocabulary()
    resolved = 0
    no_drugs: list[int] = []
    for drug in Drug.objects.exclude(via=Drug.Resolution.CURATOR).prefetch_related("classes"):
        # The drug's name resolved as the loader resolves an intervention of that name.
        everything = vocabulary.resolve("DRUG", drug.name)
        if not everything:  # no drug at all: its interventions keep their type, without a drug
            no_drugs.append(drug.pk)
            continue
        answers = [r for r in everything if r.via != Drug.Resolution.UNRESOLVED]
        if len(answers) != 1:
            continue
        found = answers[0]
        current = (drug.key, drug.via, drug.needs_review, sorted(c.key for c in drug.classes.all()))
        if current == (found.key[:300], found.via, found.provisional, sorted(found.class_keys)):
            continue
        twin = Drug.objects.filter(key=found.key[:300]).exclude(pk=drug.pk).first()
        if twin is not None:  # another row already stands for this drug: fold this one into it
            fold_drugs_into(twin, {drug.pk})
            resolved += 1
            continue
        drug.key, drug.name, drug.mesh_id = found.key[:300], found.name[:300], found.mesh_id[:12]
        drug.synonyms = [s[:300] for s in found.synonyms]
        drug.via, drug.needs_review = found.via, found.provisional
        drug.save(update_fields=["key", "name", "mesh_id", "synonyms", "via", "needs_review"])
        drug.classes.set(class_rows(found.class_keys))
        refresh_drug_search_text([drug])
        resolved += 1
    Drug.objects.filter(pk__in=no_drugs).delete()
    return resolved, len(no_drugs)


def _conditions() -> int:
    from trials.vocab.conditions import condition_vocabulary

    vocabulary = condition_vocabulary()
    mapped = 0
    for condition in Condition.objects.filter(mesh_id="", mapped_by_curator=False):
        found = vocabulary.resolve(condition.name)
        if found and TrialCondition.objects.filter(condition=condition).exists():
            condition_mapped(condition, found[0].mesh_id, by_curator=False)
            mapped += 1
    return mapped


def _sites() -> int:
    places = gazetteer()
    placed = 0
    for site in Site.objects.filter(latitude__isnull=True).exclude(city="").iterator():
        point = places.locate(site.city, site.country_code, site.state)
        if point is not None:
            Site.objects.filter(pk=site.pk).update(
                latitude=point[0], longitude=point[1], coordinates_from=Site.CoordinatesFrom.GAZETTEER
            )
            placed += 1
    return placed
