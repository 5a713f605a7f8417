from django.conf import settings
from django.core.management.base import BaseCommand

from trials.ingest.pipeline import import_units, start_run
from trials.ingest.readers import read_paths
from trials.models import Trial


class Command(BaseCommand):
    help = "Load the demo trials shipped in data/demo/ when the catalogue is empty."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Load even when the catalogue has trials")

    def handle(self, *args, force=False, **options):
        if Trial.objects.exists() and not force:
            self.stdout.write("Catalogue already has trials; demo data not loaded.")
            return
        path = settings.BASE_DIR / "data" / "demo" / "ctgov_demo_studies.jsonl.gz"
        run = import_units(read_paths([path]), run=start_run(f"load_demo_data {path.name}"))
        self.stdout.write(f"Demo data: created {run.created}, updated {run.updated}, failed {run.failed}")
