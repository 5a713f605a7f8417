"""How the browser tests and scripts/screenshots.py start chromium: the system's, never a downloaded one."""

import os
from pathlib import Path

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # CI runs as root, where chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Nothing but the page under test: no update checks, sync or other calls home.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The window sizes the pages are checked at: a desktop, and the narrowest phone the portal supports.
DESKTOP = {"width": 1280, "height": 900}
NARROW = {"width": 360, "height": 740}


def launch(playwright, executable: Path = CHROMIUM):
    """Start headless chromium through Playwright's sync API."""
    return playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
