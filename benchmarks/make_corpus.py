"""A registry-sized synthetic ClinicalTrials.gov corpus (API v2 JSON lines) from real records.

    .venv/bin/python benchmarks/make_corpus.py --studies 600000 --seed 1 --out var/corpus/ctgov-600k.jsonl.gz
    .venv/bin/python benchmarks/make_corpus.py --studies 10000 --out var/corpus/ctgov-10k.jsonl.gz --check 10000
    .venv/bin/python benchmarks/make_corpus.py --changes 1000 --day 1 --seed 1 \\
        --from var/corpus/ctgov-600k.jsonl.gz --out var/corpus/day1.jsonl
    .venv/bin/python benchmarks/make_corpus.py --check 2000 --out var/corpus/ctgov-600k.jsonl.gz

Each synthetic study recombines modules of real records (``benchmarks/corpus/synth.py``); the
output is streamed (memory holds the real records and small tables only), gzipped when the name
ends in .gz, and byte-identical for the same seed, size and source. ``--check N`` parses the first
N studies of ``--out`` with the portal's parser and prints their distributions beside the real ones.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.corpus import check, dates, day, sources  # noqa: E402
from benchmarks.corpus.synth import Generator  # noqa: E402

GZIP_LEVEL = 1  # level 1 writes ~4x faster than the default 9, for a file ~15% larger


class Output:
    """A binary writer; gzip with no file name or time in its header, so runs compare byte for byte."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.raw = open(path, "wb")  # noqa: SIM115 (closed in close())
        gz = path.suffix == ".gz"
        self.writer = gzip.GzipFile("", "wb", GZIP_LEVEL, self.raw, mtime=0) if gz else self.raw

    def write(self, data: bytes) -> None:
        self.writer.write(data)

    def close(self) -> None:
        self.writer.close()
        self.raw.close()


def generate(generator: Generator, count: int, out: Path) -> None:
    started, written = time.perf_counter(), 0
    writer = Output(out)
    try:
        for index in range(count):
            data = (generator.line(index) + "\n").encode()
            writer.write(data)
            written += len(data)
            if (index + 1) % 50_000 == 0 and index + 1 < count:
                report(index + 1, written, started, out, final=False)
    finally:
        writer.close()
    report(count, written, started, out, final=True)


def report(count: int, written: int, started: float, out: Path, *, final: bool) -> None:
    seconds = time.perf_counter() - started
    size = f", {out.stat().st_size / 1e6:,.1f} MB on disk" if final else ""
    print(
        f"{count:,} studies in {seconds:,.1f} s: {count / seconds:,.0f} studies/s, "
        f"{written / 1e6:,.1f} MB of JSON ({written / count / 1e3:.1f} kB a study){size}",
        flush=True,
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--studies", type=int, help="how many synthetic studies to write")
    parser.add_argument("--seed", type=int, default=1, help="the same seed and size give the same bytes")
    parser.add_argument("--out", type=Path, required=True, help="JSON lines file, gzipped when it ends in .gz")
    parser.add_argument(
        "--source",
        type=Path,
        help=f"real API v2 studies to recombine (JSON lines; default {sources.SHARED_STUDIES}, "
        f"else {sources.DEMO_STUDIES.relative_to(ROOT)})",
    )
    parser.add_argument("--changes", type=int, help="incremental day: this many changed versions of --from studies")
    parser.add_argument("--new", type=int, help="incremental day: new studies to add (default changes / 50)")
    parser.add_argument("--day", type=int, default=1, help="incremental day: days after the corpus's today")
    parser.add_argument("--from", dest="corpus", type=Path, help="incremental day: the corpus to change")
    parser.add_argument("--check", type=int, metavar="N", help="parse the first N studies of --out and compare")
    args = parser.parse_args(argv)

    source = args.source or (sources.SHARED_STUDIES if sources.SHARED_STUDIES.exists() else sources.DEMO_STUDIES)
    if args.studies is None and args.changes is None and args.check is None:
        parser.error("give --studies, --changes or --check")
    real = sources.load(source, dates.month_index(dates.TODAY))
    print(f"source: {source} ({len(real.donors):,} real studies)", flush=True)
    generator = Generator(real, args.seed)
    if args.studies is not None:
        generate(generator, args.studies, args.out)
    elif args.changes is not None:
        if not args.corpus:
            parser.error("--changes needs --from")
        new = args.changes // 50 if args.new is None else args.new
        day.write_day(generator, args.corpus, args.out, changes=args.changes, new=new, day=args.day)
    if args.check:
        today = dates.TODAY + dt.timedelta(days=args.day if args.changes is not None else 0)
        failures = check.check(args.out, args.check, source, today)
        sys.exit(1 if failures else 0)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    main()
