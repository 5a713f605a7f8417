from django.core.management.base import BaseCommand

from trials.vocab.apply import apply_vocabulary


class Command(BaseCommand):
    help = (
        "Apply data/vocab/ to the trials already in the catalogue (after rebuilding it with "
        "scripts/build_vocabulary.py): re-resolve drugs, map conditions, place sites, rebuild search text."
    )

    def handle(self, *args, **options):
        applied = apply_vocabulary()
        self.stdout.write(
            f"drugs resolved {applied.drugs_resolved}, drugs removed as no drug {applied.drugs_removed}, "
            f"conditions mapped {applied.conditions_mapped}, "
            f"sites placed {applied.sites_placed}, trials refreshed {applied.trials_refreshed}"
        )
