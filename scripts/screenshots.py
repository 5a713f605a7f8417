#!/usr/bin/env python3
"""Take the screenshots in docs/ of a running portal holding the demo trials.

    DATABASE_URL=postgres://.../portal_shots DEBUG=1 python manage.py migrate
    DATABASE_URL=postgres://.../portal_shots DEBUG=1 python manage.py load_demo_data
    DATABASE_URL=postgres://.../portal_shots DEBUG=1 python manage.py runserver 127.0.0.1:8041
    python scripts/screenshots.py [--url http://127.0.0.1:8041] [--out docs]

Uses the system's chromium through Playwright (as the browser tests do); nothing is downloaded.
"""

import argparse
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.browser.chromium import CHROMIUM, launch  # noqa: E402  (started as the browser tests start it)

# (file, path, window size): the top of each page, as a window that size shows it.
SHOTS = [
    ("search-1280.png", "/?q=lung+cancer&drug_class=immunotherapy", (1280, 1500)),
    ("search-360.png", "/?q=lung+cancer&drug_class=immunotherapy", (360, 1400)),
    (
        "search-near-me-1280.png",
        "/?q=lung+cancer&near=Paris%2C+Ile-de-France%2C+France&radius_km=50&sort=distance",
        (1280, 1200),
    ),
    ("trial-1280.png", "/trials/NCT06780137/", (1280, 1600)),
    ("trial-360.png", "/trials/NCT06780137/", (360, 1400)),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8041", help="the running portal")
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="folder for the PNG files")
    parser.add_argument("--chromium", type=Path, default=CHROMIUM, help="the chromium to drive")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = launch(playwright, args.chromium)
        for name, path, (width, height) in SHOTS:
            # Phone-sized shots at a phone's pixel density, so the text stays readable.
            scale = 2 if width < 600 else 1
            context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=scale)
            page = context.new_page()
            page.goto(args.url + path)
            page.screenshot(path=args.out / name)
            context.close()
            print(args.out / name)
        browser.close()


if __name__ == "__main__":
    main()
