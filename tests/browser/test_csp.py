"""Every kind of page keeps to the Content Security Policy in a real browser: no violation reported (the
``securitypolicyviolation`` events and chromium's console), and each page still works under it."""

import pytest

pytest.importorskip("playwright.sync_api", reason="Browser tests skipped: the playwright package is not installed")
from playwright.sync_api import expect

from tests.browser.search_page import chips, result_count, tick

PASSWORD = "a-long-password-for-the-browser"
# Collects what the browser refused; an init script runs before the page's own and is not subject to the CSP.
COLLECT_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${where}`);
});
"""


@pytest.fixture(scope="module")
def curator_login(site_url, django_db_blocker):
    """A superuser committed for the live server (site_url flushes the database after the module)."""
    from django.contrib.auth.models import User

    with django_db_blocker.unblock():
        User.objects.create_superuser("csp-admin", password=PASSWORD)
    return "csp-admin", PASSWORD


@pytest.fixture
def csp_page(new_page):
    page = new_page()
    page.add_init_script(COLLECT_VIOLATIONS)
    console = []
    page.on("console", lambda message: console.append(message.text))
    yield page
    reported = [text for text in console if "Content Security Policy" in text]
    assert reported == [], reported


def violations(page) -> list[str]:
    return page.evaluate("window.cspViolations")


def test_the_search_page_filtered_and_loaded_in_place_by_search_js(csp_page):
    page = csp_page
    response = page.goto("/?q=cancer")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert result_count(page) == 7  # a filter in the URL
    page.goto("/")

    shown = tick(page, "Drug class", "immunotherapy")  # search.js loads the filtered results in place

    assert result_count(page) == shown == 3
    assert chips(page) == ["immunotherapy"]
    assert violations(page) == []


def test_a_trial_page(csp_page):
    page = csp_page
    page.goto("/trials/NCT06482905/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert violations(page) == []


def test_swagger_ui_renders_the_operations(csp_page):
    page = csp_page
    page.goto("/api/docs/")
    expect(page.locator(".opblock-summary-path", has_text="/api/trials/").first).to_be_visible()
    assert violations(page) == []


def test_admin_login_trial_form_and_import_upload(csp_page, curator_login):
    page = csp_page
    username, password = curator_login
    page.goto("/admin/login/?next=/admin/trials/trial/")
    assert violations(page) == []
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()

    expect(page.locator("#result_list")).to_be_visible()  # the changelist with its filters
    assert violations(page) == []
    page.locator("#result_list tbody a[href*='/change/']").first.click()
    expect(page.locator("#trial_form")).to_be_visible()
    page.locator("#registry_ids-group").scroll_into_view_if_needed()
    assert violations(page) == []

    page.goto("/admin/trials/importrun/upload/")
    expect(page.get_by_label("Files")).to_be_visible()
    assert violations(page) == []
    page.goto("/admin/trials/sourcerecord/")
    page.locator("#result_list tbody a[href*='/change/']").first.click()
    expect(page.locator("pre.source-text").first).to_be_visible()
    assert violations(page) == []


def test_the_checks_above_would_see_a_violation(new_page):
    """The collector works: an inline style added to a page is refused and reported."""
    page = new_page()
    page.add_init_script(COLLECT_VIOLATIONS)
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.goto("/")
    page.evaluate("""document.body.insertAdjacentHTML("beforeend", '<p style="color: red">refused</p>')""")
    page.wait_for_function("window.cspViolations.length > 0")
    assert violations(page)[0].startswith("style-src")
    assert any("Content Security Policy" in text for text in console)
