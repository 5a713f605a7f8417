from django.core.management.base import BaseCommand

from trials.curators import CURATOR_APPS, sync_curator_permissions


class Command(BaseCommand):
    help = (
        f"Create the Curators group if missing and give it exactly every permission of {', '.join(CURATOR_APPS)} "
        "(none of auth). Safe to run again, e.g. after adding a model."
    )

    def handle(self, *args, **options):
        group = sync_curator_permissions()
        self.stdout.write(f"{group.name}: {group.permissions.count()} permissions")
