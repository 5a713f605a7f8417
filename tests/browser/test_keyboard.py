"""The search page with the keyboard only: skip link, search box, facets, the refine form; focus always visible."""

import pytest

pytest.importorskip("playwright.sync_api", reason="Browser tests skipped: the playwright package is not installed")
from playwright.sync_api import expect

from tests.browser.search_page import facet_count, query_params, result_count, wait_for_query

FOCUS_OUTLINE = """() => {
  const element = document.activeElement;
  const style = getComputedStyle(element);
  return {tag: element.tagName, text: (element.id || element.textContent).trim().slice(0, 40),
          style: style.outlineStyle, width: parseFloat(style.outlineWidth), color: style.outlineColor};
}"""


def focused_outline(page) -> dict:
    return page.evaluate(FOCUS_OUTLINE)


def assert_focus_visible(page):
    outline = focused_outline(page)
    assert outline["style"] != "none" and outline["width"] >= 2, f"focus not visible on {outline}"


def tab_until(page, selector: str, limit: int = 150):
    """Press Tab until the focused element matches ``selector``, checking each stop shows its focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        assert_focus_visible(page)
        if page.evaluate("selector => document.activeElement.matches(selector)", selector):
            return
    raise AssertionError(f"{selector} not reached with {limit} presses of Tab")


def test_search_and_tick_a_facet_with_the_keyboard_only(page):
    page.goto("/")

    # The first Tab reaches the skip link, shown on the page once focused.
    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Skip to main content")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()
    assert_focus_visible(page)

    # Then the site's name, then the search box.
    page.keyboard.press("Tab")
    assert_focus_visible(page)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Search trials")).to_be_focused()
    assert_focus_visible(page)
    page.keyboard.type("cancer")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "q=cancer" in url)
    assert result_count(page) == 7

    # The skip link jumps over the header into the results.
    page.keyboard.press("Tab")
    expect(skip_link).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    # ...and nothing takes the focus away again (the results are not reloaded for the #main fragment).
    page.wait_for_load_state("networkidle")
    expect(page.locator("main")).to_be_focused()

    # Every control on the way to the first facet value shows where the focus is.
    tab_until(page, "a.facet__value")
    link = page.locator("a.facet__value:focus")
    shown, href = facet_count(link), link.get_attribute("href")
    page.keyboard.press("Enter")
    wait_for_query(page, href)
    assert result_count(page) == shown
    # The page says what changed: focus is on the new count, which is a live region.
    expect(page.locator("#search-status")).to_be_focused()
    expect(page.locator("#search-status")).to_have_attribute("role", "status")


def test_the_refine_form_with_the_keyboard_only(page):
    page.goto("/")
    healthy = page.locator("a.facet__value", has_text="Accepts healthy volunteers")
    promised = facet_count(healthy)

    tab_until(page, "#healthy")
    page.keyboard.press("Space")
    expect(page.get_by_label("Accepts healthy volunteers")).to_be_checked()
    tab_until(page, "form.refine button[type=submit]")
    page.keyboard.press("Enter")

    page.wait_for_url(lambda url: "healthy_volunteers=true" in url)
    page.wait_for_function("() => !document.getElementById('main').hasAttribute('aria-busy')")
    assert query_params(page)["healthy_volunteers"] == ["true"]
    assert result_count(page) == promised
