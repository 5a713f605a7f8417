from trials.ingest.integrity import catalogue_problems
from trials.models import Arm, Site, SourceRecord, Trial


def test_a_whole_catalogue_has_no_problems(import_studies):
    import_studies("NCT06482905", "NCT05417321")
    assert catalogue_problems() == []


def test_half_written_trials_are_named(import_studies):
    import_studies("NCT06482905", "NCT05417321")
    first, second = Trial.objects.order_by("pk")
    Arm.objects.filter(pk=Arm.objects.filter(trial=first).values("pk")[:1]).delete()
    Site.objects.filter(trial=second).delete()
    Trial.objects.filter(pk=second.pk).update(search_vector=None)
    SourceRecord.objects.filter(trial=first).update(trial=None)

    problems = catalogue_problems()

    arms, sites = len(first.record_snapshot["arms"]), len(second.record_snapshot["sites"])
    assert sorted(problems) == sorted(
        [
            f"trial {first.pk}: {arms - 1} arms rows for {arms} in its record",
            f"trial {second.pk}: 0 sites rows for {sites} in its record",
            f"trial {second.pk} is not indexed for search",
            f"trial {first.pk} has no source record",
            *(
                f"source record {pk} belongs to no trial"
                for pk in SourceRecord.objects.filter(trial=None).values_list("pk", flat=True)
            ),
        ]
    )
