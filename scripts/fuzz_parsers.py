#!/usr/bin/env python3
"""Coverage-guided fuzzing of one source parser with atheris (libFuzzer for Python).

Every input is run the way an import runs it: ``split`` the unit, then ``parse`` each record it
holds (with ``--format any``: ``detect_format`` first). The only acceptable outcomes are records
and ``ParseError``; anything else (another exception, a hang past ``-timeout``, memory past
``-rss_limit_mb``) is a crash, and libFuzzer writes the input to ``var/fuzz/<format>/crash-*``.

    .venv/bin/python scripts/fuzz_parsers.py --format ctgov_legacy_xml -max_total_time=300
    .venv/bin/python scripts/fuzz_parsers.py --format ctgov_csv -runs=100000
    .venv/bin/python scripts/fuzz_parsers.py --format any -max_total_time=60
    .venv/bin/python scripts/fuzz_parsers.py --pathological

``--pathological`` runs no fuzzer: it times the known hostile shapes at full size (50,000 nested
elements, a 5 MB line in each text format, 1 MB runs of regex-trap characters) and prints one
line per case; ``tests/ingest/test_fuzz_limits.py`` checks the same shapes, smaller, in the suite.

``--format`` takes a format name (``ctgov_api_v2_json``, ``ctgov_legacy_xml``, ``ctgov_csv``,
``ctgov_page``, ``veeva_page``, ``field_dump``), a parser module name (``ctgov_json``,
``ctgov_xml``) or ``any``. Every other argument goes to libFuzzer. The corpus is seeded from the
real records in ``tests/fixtures/<format dir>/`` and the regression corpus
``tests/fixtures/fuzz/<format>/``; libFuzzer writes the new inputs it finds into the first corpus
folder, the scratch folder ``var/fuzz/<format>/corpus/``, so the fixtures are never modified.
Defaults added unless given: ``-rss_limit_mb=1024 -timeout=10 -max_len=262144``.

The parsers need no database and no settings (they import ``TextChoices`` only); Django's
settings are configured empty so that anything reaching for them fails loudly here too.
A crash found here belongs in ``tests/fixtures/fuzz/<format>/`` named by what it broke, where
``tests/ingest/test_fuzz_corpus.py`` replays it in the suite.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

with atheris.instrument_imports(include=["trials"]):
    from trials.ingest.detect import detect_format
    from trials.ingest.parsers import PARSERS, parser_for
    from trials.ingest.records import ParseError, RawSource

# The folders of real records under tests/fixtures/ that seed each format's corpus.
SEED_DIRS = {
    "ctgov_api_v2_json": ["ctgov_api_v2", "vocab_studies"],
    "ctgov_legacy_xml": ["ctgov_legacy_xml"],
    "ctgov_csv": ["ctgov_csv"],
    "ctgov_page": ["ctgov_page"],
    "veeva_page": ["veeva_page"],
    "field_dump": ["field_dump"],
    "any": ["ctgov_api_v2", "ctgov_legacy_xml", "ctgov_csv", "ctgov_page", "veeva_page", "field_dump"],
}
ALIASES = {"ctgov_json": "ctgov_api_v2_json", "ctgov_xml": "ctgov_legacy_xml"}
LIBFUZZER_DEFAULTS = {"-rss_limit_mb": "1024", "-timeout": "10", "-max_len": "262144"}


def run_one(data: bytes, format: str, errors: list[str] | None = None) -> int:
    """Records read from ``data``; raises only on a parser bug (ParseError is an expected outcome,
    its message appended to ``errors`` when given)."""
    unit = RawSource("fuzz", data)
    try:
        parser = parser_for(detect_format(unit) if format == "any" else format)
        records = list(parser.split(unit))
    except ParseError as exc:
        _check_message(exc, errors)
        return 0
    count = 0
    for raw in records:
        try:
            parser.parse(raw.data)
            count += 1
        except ParseError as exc:
            _check_message(exc, errors)
    return count


def _check_message(exc: ParseError, errors: list[str] | None) -> None:
    message = str(exc)
    if errors is not None:
        errors.append(message)
    if not message.strip() or "Traceback" in message or " object at 0x" in message:
        raise AssertionError(f"unclear ParseError message: {message!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], add_help=True)
    parser.add_argument("--format", help="format to fuzz: " + ", ".join([*SEED_DIRS, *ALIASES]))
    parser.add_argument("--pathological", action="store_true", help="time the known hostile shapes instead")
    args, libfuzzer_args = parser.parse_known_args()
    if args.pathological:
        _configure_django()
        return pathological()
    if not args.format:
        parser.error("--format is required")
    format = ALIASES.get(args.format, args.format)
    if format not in SEED_DIRS:
        parser.error(f"unknown format {args.format!r}")
    assert format == "any" or format in PARSERS

    scratch = ROOT / "var" / "fuzz" / format
    (scratch / "corpus").mkdir(parents=True, exist_ok=True)
    flags = [a for a in libfuzzer_args if a.startswith("-")]
    dirs = [a for a in libfuzzer_args if not a.startswith("-")]
    given = {flag.split("=", 1)[0] for flag in flags}
    flags += [f"{name}={value}" for name, value in LIBFUZZER_DEFAULTS.items() if name not in given]
    if "-artifact_prefix" not in given:
        flags.append(f"-artifact_prefix={scratch}/")
    if not dirs:
        dirs = [str(scratch / "corpus"), *(str(ROOT / "tests" / "fixtures" / d) for d in SEED_DIRS[format])]
        regression = ROOT / "tests" / "fixtures" / "fuzz" / format
        if regression.is_dir():
            dirs.append(str(regression))

    _configure_django()
    atheris.Setup([sys.argv[0], *flags, *dirs], lambda data: run_one(data, format))
    atheris.Fuzz()


def pathological() -> None:
    """Time each hostile shape once (CPU seconds) and say what it became."""
    fixtures = ROOT / "tests" / "fixtures"
    xml = (fixtures / "ctgov_legacy_xml/NCT00000246.xml").read_text()
    study = (fixtures / "ctgov_api_v2/NCT00444327.json").read_text()
    html = (fixtures / "ctgov_page/NCT05289856_classic.html").read_text()
    deep = 50_000
    cases = [
        (
            "xml: 50,000 nested elements in a title",
            "ctgov_legacy_xml",
            xml.replace("<brief_title>", "<brief_title>" + "<b>" * deep + "x" + "</b>" * deep, 1),
        ),
        (
            "json: 50,000 nested lists",
            "ctgov_api_v2_json",
            study.replace('"protocolSection"', '"x": ' + "[" * deep + "]" * deep + ', "protocolSection"', 1),
        ),
        ("html: 50,000 unclosed <li>", "ctgov_page", html.replace("<body", "<ul><li>" * deep + "<body", 1)),
        (
            "json: a 5 MB status",
            "ctgov_api_v2_json",
            study.replace('"overallStatus":"', '"overallStatus":"' + "7" * 5_000_000, 1),
        ),
    ]
    for format, name in [
        ("ctgov_csv", "ctgov_csv/urology_ctg-studies.csv"),
        ("ctgov_page", "ctgov_page/NCT05289856_pipe_tables.txt"),
        ("veeva_page", "veeva_page/001_6d5f8ce496a4989a.txt"),
        ("field_dump", "field_dump/ivonescimab.txt"),
    ]:
        lines = (fixtures / name).read_text(encoding="utf-8-sig").split("\n")
        for label, line in [
            ("a 5 MB word", "x" * 5_000_000),
            ("a 5 MB line of words", "a " * 2_500_000),
            ('1 MB of "a@"', "a@" * 500_000),
            ("1 MB of spaces", " " * 1_000_000 + "x"),
        ]:
            middle = len(lines) // 2
            cases.append((f"{format}: {label}", format, "\n".join([*lines[:middle], line, *lines[middle:]])))
    run_one((fixtures / "ctgov_csv/urology_ctg-studies.csv").read_bytes(), "ctgov_csv")  # vocabularies load
    run_one(html.encode(), "ctgov_page")
    for label, format, text in cases:
        start = time.process_time()
        try:
            errors: list[str] = []
            outcome = f"{run_one(text.encode(), format, errors)} record(s)"
            if errors:
                outcome += f", {len(errors)} ParseError ({len(errors[0]):,} characters): {errors[0][:70]!r}"
        except Exception as exc:  # a crash is reported, not raised: the point is to see them all
            outcome = f"CRASH {type(exc).__name__}: {str(exc)[:100]}"
        print(f"{time.process_time() - start:7.2f} s  {len(text) / 1e6:5.1f} MB  {label}: {outcome}", flush=True)


def _configure_django() -> None:
    # portal.settings would start the embedded PostgreSQL; the parsers need no settings at all.
    from django.conf import settings

    if not settings.configured:
        settings.configure()


if __name__ == "__main__":
    main()
