"""WCAG 2.1 AA checked with axe-core in the browser, on wide and narrow screens; no sideways scrolling at 360 px.

axe-core comes from node_modules (``npm ci``) and is added to each page as a script file, as a
strict Content-Security-Policy (no inline scripts) allows.
"""

import pytest

pytest.importorskip("playwright.sync_api", reason="Browser tests skipped: the playwright package is not installed")

from tests.browser.chromium import DESKTOP, NARROW
from tests.browser.search_page import result_count, tick

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING_IMPACTS = {"serious", "critical"}
PAGES = {
    "search": "/",
    "search-with-facets": "/?q=cancer&drug_class=immunotherapy&status=RECRUITING",
    "search-near-me": "/?near=Toronto%2C+Ontario%2C+Canada&radius_km=100",
    "trial": "/trials/NCT05417321/",
}
VIEWPORTS = pytest.mark.parametrize("viewport", [DESKTOP, NARROW], ids=["1280px", "360px"])


def axe_violations(page, axe_script) -> list[dict]:
    """Run axe-core on the page as it is now; returns its violations of WCAG 2.0/2.1 A and AA rules."""
    page.add_script_tag(path=str(axe_script))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_21_AA)
    assert result["passes"], "axe checked nothing"
    return result["violations"]


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['impact']}: {violation['id']} ({violation['help']}) {violation['helpUrl']}")
        lines.extend(f"    {node['target']}: {node['failureSummary']}" for node in violation["nodes"][:5])
    return "\n".join(lines)


def assert_no_serious_violation(page, axe_script):
    failing = [v for v in axe_violations(page, axe_script) if v["impact"] in FAILING_IMPACTS]
    assert not failing, f"axe-core on {page.url}:\n{describe(failing)}"


@VIEWPORTS
@pytest.mark.parametrize("path", PAGES.values(), ids=PAGES.keys())
def test_no_serious_or_critical_accessibility_violation(new_page, axe_script, path, viewport):
    page = new_page(viewport=viewport, bypass_csp=True)  # axe-core is added inline; test_csp.py checks the CSP
    page.goto(path)
    if path != PAGES["trial"]:
        assert result_count(page) > 0
    assert_no_serious_violation(page, axe_script)


@VIEWPORTS
def test_no_serious_or_critical_violation_after_results_load_in_place(new_page, axe_script, viewport):
    page = new_page(viewport=viewport, bypass_csp=True)  # axe-core is added inline; test_csp.py checks the CSP
    page.goto("/")
    tick(page, "Drug class", "immunotherapy")
    tick(page, "Recruitment status", "Recruiting")
    assert_no_serious_violation(page, axe_script)


@pytest.mark.parametrize("path", PAGES.values(), ids=PAGES.keys())
def test_a_360px_screen_needs_no_sideways_scrolling(new_page, path):
    page = new_page(viewport=NARROW)
    page.goto(path)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= NARROW["width"]
    # The search box and its button fit the width, and the text is not shrunk to fit.
    search = page.get_by_label("Search trials").bounding_box()
    assert search["x"] >= 0 and search["x"] + search["width"] <= NARROW["width"]
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 16
