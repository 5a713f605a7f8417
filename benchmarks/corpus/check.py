"""``--check N``: parse the first N generated studies with the portal's own API v2 parser, check ids
and dates, and print their distributions beside those of the real records they came from."""

from __future__ import annotations

import json
import statistics
from collections import Counter
from itertools import islice
from pathlib import Path

from benchmarks.corpus.dates import TODAY, coherence_errors
from benchmarks.corpus.sources import read_lines

CATEGORIES = ("status", "phase", "study type", "has results")
NUMBERS = ("sites", "conditions", "interventions", "kB")


class Figures:
    """Counts of the categorical facts and lists of the numeric ones, over parsed studies."""

    def __init__(self):
        self.categories = {name: Counter() for name in CATEGORIES}
        self.numbers = {name: [] for name in NUMBERS}
        self.count = 0

    def add(self, record, size: int) -> None:
        self.count += 1
        facts = {
            "status": record.overall_status or "-",
            "phase": "/".join(record.phases) or "-",
            "study type": record.study_type or "-",
            "has results": str(record.has_results),
        }
        for name, value in facts.items():
            self.categories[name][value] += 1
        for name, value in zip(
            NUMBERS, (len(record.sites), len(record.conditions), len(record.interventions), size / 1000), strict=True
        ):
            self.numbers[name].append(value)

    def share(self, name: str, value: str) -> str:
        return f"{100 * self.categories[name][value] / max(self.count, 1):.1f}%"

    def summary(self, name: str) -> str:
        values = sorted(self.numbers[name])
        if not values:
            return "-"
        p90 = values[int(0.9 * (len(values) - 1))]
        return f"{statistics.fmean(values):.1f} / {statistics.median(values):g} / {p90:g} / {values[-1]:g}"


def parse_lines(lines, figures: Figures, problems: list[str], ids: set[str] | None = None, today=TODAY) -> None:
    from trials.ingest.parsers import parser_for

    parse = parser_for("ctgov_api_v2_json").parse
    for number, line in enumerate(lines, start=1):
        try:
            record = parse(line)
        except Exception as exc:  # every failure is reported, whatever its kind
            problems.append(f"line {number}: does not parse: {exc}")
            continue
        figures.add(record, len(line) + 1)
        if ids is not None:
            nct = record.registry_ids[0].value
            if nct in ids:
                problems.append(f"line {number}: {nct} again")
            ids.add(nct)
            problems.extend(f"line {number}: {nct}: {error}" for error in coherence_errors(json.loads(line), today))


def table(real: Figures, synthetic: Figures) -> str:
    rows = [f"| | real ({real.count:,}) | synthetic ({synthetic.count:,}) |", "|---|---:|---:|"]
    for name in CATEGORIES:
        values = sorted(
            set(real.categories[name]) | set(synthetic.categories[name]), key=lambda v: -real.categories[name][v]
        )
        rows += [f"| {name}: {v} | {real.share(name, v)} | {synthetic.share(name, v)} |" for v in values]
    for name in NUMBERS:
        rows.append(
            f"| {name} per study (mean / median / p90 / max) | {real.summary(name)} | {synthetic.summary(name)} |"
        )
    return "\n".join(rows)


def check(path: Path, count: int, source: Path, today=TODAY) -> list[str]:
    """Print the comparison; return the problems found (also printed, the first 20)."""
    synthetic, real, problems = Figures(), Figures(), []
    parse_lines(islice(read_lines(path), count), synthetic, problems, ids=set(), today=today)
    parse_lines(read_lines(source), real, [])
    print(table(real, synthetic))
    print(f"checked {synthetic.count:,} studies of {path}: {len(problems)} problems")
    for problem in problems[:20]:
        print("  " + problem)
    return problems
