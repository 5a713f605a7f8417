"""What curators do to trials beyond editing them: keep their edits, hand facts back, merge twins.

A curator's edit in admin marks the edited columns and parts as curated (``Trial.curated_fields``);
imports then leave them as the curator left them (``trial_writer.write_trial(keep=...)``) and note
what the sources say instead. Releasing a curated fact hands it back to the sources. Merging two
trials that turned out to be one (a field dump and the registry record of the same study) moves
every source of one onto the other, keeps both ids, and rebuilds the trial from all its sources.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F, JSONField, Q, Value
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Lower
from django.utils import timezone

from trials.ingest.loader import apply_sources
from trials.ingest.trial_writer import PARTS, column_json
from trials.models import (
    Arm,
    Contact,
    Intervention,
    Outcome,
    RegistryId,
    Site,
    SourceRecord,
    Trial,
    TrialChange,
    TrialCondition,
)
from trials.search_index import catalogue_touched, refresh_search_index

# The part of a trial each child model belongs to, for edits made through inlines or part pages.
PART_OF_MODEL = {
    RegistryId: "registry_ids",
    TrialCondition: "conditions",
    Arm: "arms_interventions",
    Intervention: "arms_interventions",
    Outcome: "outcomes",
    Site: "sites",
}


def part_of(model, instance=None) -> str | None:
    """The curated part an edit of ``instance`` (of ``model``) touches."""
    if model is Contact:
        return "sites" if instance is not None and instance.site_id else "contacts"
    return PART_OF_MODEL.get(model)


def lock_trials(trial_ids) -> None:
    """Lock these trials' rows until the transaction ends. A curator's save takes the lock an import
    takes (``loader._match``): whichever comes second waits and then reads what the first wrote, so
    neither writes back a stale copy over the other."""
    ids = sorted({int(pk) for pk in trial_ids if pk is not None})  # one order everywhere: no deadlock
    list(Trial.objects.select_for_update().filter(pk__in=ids).values_list("pk", flat=True))


def mark_curated(trial: Trial, keys, user) -> None:
    """Record that ``user`` set these columns or parts: imports will keep them."""
    keys = [key for key in keys if key in PARTS or key in _EDITABLE_COLUMNS]
    if not keys:
        return
    now = timezone.now().isoformat(timespec="seconds")
    by = user.get_username() if user else ""
    marks = {key: {"by": by, "at": now, "source_value": None} for key in keys}
    trial.curated_fields.update(marks)
    # Merged into the stored value in the statement, so marks written meanwhile are kept too.
    Trial.objects.filter(pk=trial.pk).update(
        curated_fields=CombinedExpression(F("curated_fields"), "||", Value(marks, output_field=JSONField()))
    )


def release_curated(trial: Trial, keys, user) -> list[str]:
    """Hand curated facts back to the sources: they show what the sources say again."""
    with transaction.atomic():
        trial = Trial.objects.select_for_update().get(pk=trial.pk)
        released = [key for key in keys if key in trial.curated_fields]
        for key in released:
            del trial.curated_fields[key]
        if released:
            Trial.objects.filter(pk=trial.pk).update(curated_fields=trial.curated_fields)
            apply_sources(trial, changed_by=user, force=True)
            TrialChange.objects.create(
                trial=trial, changed_by=user, changes={"released to sources": {"old": released, "new": None}}
            )
    return released


def disagreements(trial: Trial) -> list[dict]:
    """Curated columns whose sources now say something else: ``{field, curated, sources, by, at}``."""
    rows = []
    for key, note in sorted(trial.curated_fields.items()):
        if key in PARTS:
            continue
        current = column_json(getattr(trial, key, None))
        if note.get("source_value") is not None and note["source_value"] != current:
            rows.append(
                {"field": key, "curated": current, "sources": note["source_value"], "by": note["by"], "at": note["at"]}
            )
    return rows


def possible_duplicates(trial: Trial):
    """Other trials with the same title (ignoring case), which may be the same study.

    One query on the title; a trial without a title has none."""
    title = (trial.brief_title or trial.official_title).strip()
    if not title:
        return Trial.objects.none()
    folded = title.casefold()
    return (
        Trial.objects.annotate(brief=Lower("brief_title"), official=Lower("official_title"))
        .filter(Q(brief=folded) | Q(official=folded))
        .exclude(pk=trial.pk)
        .only("pk", "brief_title")
    )


def merge_trials(keep: Trial, other: Trial, user) -> Trial:
    """Make ``other`` part of ``keep``: its sources, ids and curated facts move over, then
    ``keep`` is rebuilt from all of its sources and ``other`` is deleted."""
    if keep.pk == other.pk:
        raise ValueError("a trial cannot be merged with itself")
    with transaction.atomic():
        keep, other = (Trial.objects.select_for_update().get(pk=t.pk) for t in (keep, other))
        other_pk = other.pk
        moved = list(SourceRecord.objects.filter(trial=other).values_list("pk", flat=True))
        SourceRecord.objects.filter(trial=other).update(trial=keep)
        other_ids = list(other.registry_ids.values_list("scheme", "value", "issuer"))
        for key, note in other.curated_fields.items():
            keep.curated_fields.setdefault(key, note)
        other.delete()
        keep.curated_fields.pop("registry_ids", None)  # both trials' ids must survive the rebuild
        Trial.objects.filter(pk=keep.pk).update(curated_fields=keep.curated_fields)
        apply_sources(keep, changed_by=user, force=True)
        existing = set(keep.registry_ids.values_list("scheme", "value", "issuer"))
        RegistryId.objects.bulk_create(
            RegistryId(trial=keep, scheme=s, value=v, issuer=i) for s, v, i in other_ids if (s, v, i) not in existing
        )
        refresh_search_index([keep.pk])
        catalogue_touched([other_pk])  # gone: in-memory snapshots drop it
        TrialChange.objects.create(
            trial=keep,
            changed_by=user,
            changes={"merged": {"old": {"trial": other_pk, "sources": moved}, "new": keep.pk}},
        )
    return keep


_EDITABLE_COLUMNS = {f.name for f in Trial._meta.concrete_fields if f.editable and not f.primary_key} | {
    "collaborators"
}
