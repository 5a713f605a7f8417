"""Curators' work on the vocabularies, applied to the catalogue at once (no re-import).

A curator sets a drug's classes or adds a synonym, or maps a condition to a MeSH descriptor. The
drug or condition is then the curator's (imports never override it), drugs the new synonym names
are folded into it, and every affected trial's search text is rebuilt in the same transaction.
"""

from __future__ import annotations

from django.db import transaction

from trials.models import Condition, Drug, Intervention, TrialCondition
from trials.search_index import refresh_search_index
from trials.vocab.keys import name_key
from trials.vocab.rows import refresh_condition_search_text, refresh_drug_search_text


def drug_curated(drug: Drug) -> list[int]:
    """After a curator saved ``drug`` (name, synonyms, classes): it is the curator's; unresolved
    drugs one of its names now names are merged into it; search text follows. Returns the trials
    touched."""
    with transaction.atomic():
        keys = sorted({name_key(drug.name), *(name_key(s) for s in drug.synonyms)} - {""})
        twins = list(Drug.objects.filter(key__in=keys).exclude(pk=drug.pk).values_list("pk", flat=True))
        twins += list(
            Drug.objects.filter(name_keys__overlap=keys, via__in=(Drug.Resolution.UNRESOLVED, Drug.Resolution.CODE))
            .exclude(pk=drug.pk)
            .values_list("pk", flat=True)
        )
        fold_drugs_into(drug, set(twins))
        Drug.objects.filter(pk=drug.pk).update(via=Drug.Resolution.CURATOR, needs_review=False, name_keys=keys)
        drug.via, drug.needs_review, drug.name_keys = Drug.Resolution.CURATOR, False, keys
        refresh_drug_search_text([drug])
        trial_ids = list(Intervention.objects.filter(drugs=drug).values_list("trial_id", flat=True).distinct())
        refresh_search_index(trial_ids)
    return trial_ids


def fold_drugs_into(drug: Drug, others: set[int]) -> None:
    """Interventions that pointed to ``others`` point to ``drug``; the others go."""
    if not others:
        return
    links = Intervention.drugs.through.objects
    already = set(links.filter(drug=drug).values_list("intervention_id", flat=True))
    links.filter(drug_id__in=others, intervention_id__in=already).delete()
    links.filter(drug_id__in=others).update(drug=drug)
    Drug.objects.filter(pk__in=others).delete()


def condition_mapped(condition: Condition, mesh_id: str, *, by_curator: bool = True) -> Condition:
    """A curator (or, with ``by_curator=False``, the vocabulary) maps ``condition`` to a MeSH
    descriptor. When another condition already stands for that descriptor, this one's trials move
    there and its wording becomes that row's alias, so a later import of the same wording lands
    there too. Returns the condition the trials now use."""
    with transaction.atomic():
        target = Condition.objects.filter(mesh_id=mesh_id).exclude(pk=condition.pk).first()
        if target is None:
            Condition.objects.filter(pk=condition.pk).update(mesh_id=mesh_id, mapped_by_curator=by_curator)
            condition.mesh_id, condition.mapped_by_curator = mesh_id, by_curator
            target = condition
        else:
            aliases = sorted({*target.aliases, *condition.aliases, condition.key})
            TrialCondition.objects.filter(condition=condition).update(condition=target)
            Condition.objects.filter(pk=target.pk).update(
                aliases=aliases, mapped_by_curator=target.mapped_by_curator or by_curator
            )
            target.aliases = aliases
            condition.delete()
        refresh_condition_search_text([target])
        refresh_search_index(
            list(TrialCondition.objects.filter(condition=target).values_list("trial_id", flat=True).distinct())
        )
    return target
