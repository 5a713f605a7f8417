"""Reading and operating the search page as a person does: by headings, labels and the visible count."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit


def result_count(page) -> int:
    """The number of trials the page says it found (0 when it says none match)."""
    status = page.locator("#search-status .result-count")
    strong = status.locator("strong")
    return int(strong.inner_text()) if strong.count() else 0


def facet(page, title: str):
    """The facet section whose heading is ``title`` ("Recruitment status", "Drug class" ...)."""
    return page.locator("section.facet").filter(has=page.get_by_role("heading", name=title, exact=True))


def facet_value(page, title: str, label: str):
    """The link of one value in a facet, found by its visible label."""
    exact_label = page.locator(".facet__label", has_text=re.compile(rf"^{re.escape(label)}\b"))
    return facet(page, title).locator("a.facet__value").filter(has=exact_label)


def facet_count(link) -> int:
    """The count a facet value shows beside its label."""
    return int(re.match(r"\d+", link.locator(".facet__count").inner_text().strip())[0])


def query_params(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def tick(page, title: str, label: str) -> int:
    """Click a facet value and wait until the page shows its result; returns the count the value showed."""
    link = facet_value(page, title, label)
    shown = facet_count(link)
    href = link.get_attribute("href")
    link.click()
    wait_for_query(page, href)
    return shown


def wait_for_query(page, href: str):
    """Wait until the address bar holds ``href``'s query and the page shows its results."""
    wanted = parse_qs(urlsplit(href).query)
    page.wait_for_url(lambda url: parse_qs(urlsplit(url).query) == wanted)
    page.wait_for_function("() => !document.getElementById('main').hasAttribute('aria-busy')")


def result_titles(page) -> list[str]:
    return [title.strip() for title in page.locator("li.result .result__title").all_inner_texts()]


def chips(page) -> list[str]:
    """The selected filters shown above the results, as their visible labels."""
    texts = page.locator("a.chip").all_inner_texts()
    return [re.sub(r"^Remove filter\s*|\s*×$", "", " ".join(text.split())) for text in texts]
