import argparse
import datetime as dt
import getpass
import json
import re
import sys
import time

from django.core.management.base import BaseCommand, CommandError

from trials.engine import store_snapshot
from trials.ingest.bulk.run import bulk_import
from trials.ingest.ctgov_api import fetch_studies, fetch_updated_since, normalize_nct_id
from trials.ingest.parsers import PARSERS
from trials.ingest.pipeline import import_units, start_run
from trials.ingest.progress import progress_printer
from trials.ingest.readers import read_paths
from trials.ingest.run_liveness import mark_interrupted_runs


class Command(BaseCommand):
    help = (
        "Import trial records from files, folders, .zip/.gz archives or JSON lines, "
        "or fetch them from the ClinicalTrials.gov API v2 (--ctgov, --ctgov-since)."
    )
    # The system checks import every URL module and view (0.45 s of CPU at each start): a daily
    # incremental import of a thousand studies must take seconds, and the checks run with the server.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", help="Files or folders to import")
        parser.add_argument(
            "--ctgov",
            nargs="+",
            type=_nct_id,
            metavar="NCT_ID",
            help="Fetch these studies from the ClinicalTrials.gov API (CTGOV_API_URL) instead of reading paths",
        )
        parser.add_argument(
            "--ctgov-since",
            type=_date,
            metavar="YYYY-MM-DD",
            help="Fetch every study whose last update ClinicalTrials.gov posted on or after this date",
        )
        parser.add_argument("--format", choices=sorted(PARSERS), help="Skip detection and parse as this format")
        parser.add_argument("--report", help="Write one JSON line per record to this file")
        parser.add_argument(
            "--bulk",
            action="store_true",
            help="Registry-scale load of CT.gov API v2 JSON lines: new studies are written with COPY in batches "
            "by worker processes; studies already in the catalogue and other records go the per-record way",
        )

        parser.add_argument(
            "--workers",
            type=int,
            default=2,
            help="Processes that parse and load records at once on the per-record path (default 2, a core each; "
            "1: this process loads while another parses)",
        )

    def handle(
        self, *args, paths, ctgov=None, ctgov_since=None, format=None, report=None, bulk=False, workers=2, **options
    ):
        if sum([bool(paths), ctgov is not None, ctgov_since is not None]) != 1:
            raise CommandError("give exactly one source: files or folders, --ctgov NCT_ID ..., or --ctgov-since DATE")
        if workers < 1:
            raise CommandError("--workers must be 1 or more")
        if bulk and (not paths or format):
            raise CommandError("--bulk reads files (API v2 JSON lines) and detects each record's format itself")
        if ctgov:
            units, origin = fetch_studies(ctgov), "ClinicalTrials.gov API: " + " ".join(ctgov)
        elif ctgov_since:
            units, origin = fetch_updated_since(ctgov_since), f"ClinicalTrials.gov API: updated since {ctgov_since}"
        else:
            units, origin = read_paths(paths), " ".join(paths)
        interrupted = mark_interrupted_runs()
        if interrupted:
            self.stderr.write(
                f"{interrupted} earlier import run(s) had stopped without finishing (marked interrupted); "
                "importing their files again is safe: nothing is duplicated."
            )
        run = start_run(f"import_trials by {getpass.getuser()}: {origin}")
        report_file = open(report, "w", encoding="utf-8") if report else None  # noqa: SIM115
        with progress_printer(enabled=sys.stderr.isatty() and options["verbosity"] > 0) as progress:

            def on_record(rec):
                progress(rec)
                if report_file:
                    report_file.write(json.dumps(rec.as_dict()) + "\n")

            try:
                if bulk:
                    bulk_import(units, run=run, on_record=on_record)
                else:
                    # Workers parse and load chunks of the records, or (one worker) one process parses
                    # the records while this one loads them: a core each.
                    import_units(units, run=run, format=format, on_record=on_record, parse_workers=1, loaders=workers)
            finally:
                if report_file:
                    report_file.close()
        self.stdout.write(
            f"created {run.created}, updated {run.updated}, unchanged {run.unchanged}, failed {run.failed}"
        )
        if bulk and run.created + run.updated:
            self._store_search_snapshot()
        if run.failed:
            raise CommandError(f"{run.failed} record(s) failed; see the messages above or --report")

    def _store_search_snapshot(self) -> None:
        """The import is committed by now: a snapshot that cannot be stored (a full disk) is
        reported, and the web processes read their own as they did before."""
        started = time.monotonic()
        try:
            snapshot = store_snapshot()
        except Exception as exc:
            self.stderr.write(f"search snapshot not stored ({exc}); the web processes will read it themselves")
            return
        if snapshot is not None:
            self.stdout.write(
                f"search snapshot v{snapshot.version} ({snapshot.size:,} trials) stored for the web processes "
                f"in {time.monotonic() - started:.1f} s"
            )


def _nct_id(value: str) -> str:
    try:
        return normalize_nct_id(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _date(value: str) -> dt.date:
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            return dt.date.fromisoformat(value.strip())
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"{value!r} is not a date in the form YYYY-MM-DD (such as 2025-01-31)")
