"""Checks that the catalogue holds only whole trials: what a crash mid-import must never break.

Used by the fault tests and by ``scripts/kill_imports.py`` after each kill; an operator can run
``catalogue_problems()`` after any incident. Each check is one query, whatever the catalogue's size.
"""

from __future__ import annotations

from django.db.models import Count, F, Func, IntegerField, Q

from trials.choices import UNIQUE_ID_SCHEMES
from trials.models import Arm, Intervention, Outcome, RegistryId, Site, SourceRecord, Trial

# The merged record's lists and the rows written from them: a whole trial has one row per item.
PART_ROWS = {"arms": Arm, "interventions": Intervention, "outcomes": Outcome, "sites": Site}


def catalogue_problems(using: str = "default") -> list[str]:
    """What is not whole in the catalogue: empty when every trial is fully in."""
    trials = Trial.objects.using(using)
    problems = [
        f"trial {pk} has no merged record" for pk in trials.filter(record_snapshot={}).values_list("pk", flat=True)
    ]
    problems += [
        f"trial {pk} has no source record"
        for pk in trials.annotate(n=Count("sources")).filter(n=0).values_list("pk", flat=True)
    ]
    problems += [
        f"trial {pk} is not indexed for search"
        for pk in trials.filter(search_vector__isnull=True).values_list("pk", flat=True)
    ]
    problems += [
        f"source record {pk} belongs to no trial"
        for pk in SourceRecord.objects.using(using).filter(trial__isnull=True).values_list("pk", flat=True)
    ]
    for key, model in PART_ROWS.items():
        listed = Func(F(f"record_snapshot__{key}"), function="jsonb_array_length", output_field=IntegerField())
        counted = trials.annotate(
            rows=Count(model._meta.get_field("trial").related_query_name(), distinct=True), listed=listed
        ).exclude(Q(rows=F("listed")) | Q(listed__isnull=True, rows=0))
        problems += [
            f"trial {pk}: {rows} {key} rows for {listed} in its record"
            for pk, rows, listed in counted.values_list("pk", "rows", "listed")
        ]
    duplicated = (
        RegistryId.objects.using(using)
        .filter(scheme__in=UNIQUE_ID_SCHEMES)  # a sponsor's own ids may repeat across its trials
        .values("scheme", "value")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    problems += [f"{row['scheme']} {row['value']} names {row['n']} trials" for row in duplicated]
    return problems
