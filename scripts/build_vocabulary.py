#!/usr/bin/env python3
"""Build the vocabularies shipped in data/vocab/ from open sources.

Each module under scripts/vocabulary/ has ``build(shared, out) -> dict``; they run in turn (or only
those named with --only) and print what they wrote. The output is committed; tests/vocab/ checks
that it is what this script makes.

    python scripts/build_vocabulary.py [--shared PATH] [--out PATH] [--only places drugs ...]
"""

import argparse
import importlib
import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# In build order; a module not written yet is skipped.
MODULES = ("places", "conditions", "drugs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data", help="the shared data folder")
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "vocab", help="where the vocabulary files go")
    parser.add_argument("--only", nargs="+", choices=MODULES, help="build only these vocabularies")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.only or MODULES:
        if importlib.util.find_spec(f"scripts.vocabulary.{name}") is None:
            print(f"{name}: no builder yet, skipped")
            continue
        counts = importlib.import_module(f"scripts.vocabulary.{name}").build(args.shared, args.out)
        print(
            f"{name}:",
            ", ".join(
                f"{key}={value:,}" if isinstance(value, int) else f"{key}={value}" for key, value in counts.items()
            ),
        )


if __name__ == "__main__":
    main()
