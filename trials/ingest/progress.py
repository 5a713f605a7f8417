"""A progress bar for imports run from a terminal (tqdm); silent otherwise."""

import contextlib
import sys

from tqdm import tqdm


@contextlib.contextmanager
def progress_printer(*, enabled: bool):
    """Yield a callback taking each RecordReport; prints failures to stderr as they happen."""
    bar = tqdm(unit=" records", file=sys.stderr, disable=not enabled, dynamic_ncols=True)

    def on_record(report):
        bar.update(1)
        if report.outcome == "failed":
            # tqdm.write prints even when the bar is disabled (no terminal), so CI logs show failures.
            tqdm.write(f"failed: {report.error}", file=sys.stderr)

    try:
        yield on_record
    finally:
        bar.close()
