import getpass
import json
import sys

from django.core.management.base import BaseCommand, CommandError

from trials.ingest.parsers import PARSERS
from trials.ingest.pipeline import import_units, start_run
from trials.ingest.progress import progress_printer
from trials.ingest.readers import read_paths


class Command(BaseCommand):
    help = "Import trial records from files, folders, .zip/.gz archives or JSON lines."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="Files or folders to import")
        parser.add_argument("--format", choices=sorted(PARSERS), help="Skip detection and parse as this format")
        parser.add_argument("--report", help="Write one JSON line per record to this file")

    def handle(self, *args, paths, format=None, report=None, **options):
        run = start_run(f"import_trials by {getpass.getuser()}: " + " ".join(paths))
        report_file = open(report, "w", encoding="utf-8") if report else None  # noqa: SIM115
        with progress_printer(enabled=sys.stderr.isatty() and options["verbosity"] > 0) as progress:

            def on_record(rec):
                progress(rec)
                if report_file:
                    report_file.write(json.dumps(rec.as_dict()) + "\n")

            try:
                import_units(read_paths(paths), run=run, format=format, on_record=on_record)
            finally:
                if report_file:
                    report_file.close()
        self.stdout.write(
            f"created {run.created}, updated {run.updated}, unchanged {run.unchanged}, failed {run.failed}"
        )
        if run.failed:
            raise CommandError(f"{run.failed} record(s) failed; see the messages above or --report")
