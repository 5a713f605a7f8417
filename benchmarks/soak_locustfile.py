"""Locust users for the soak test (``benchmarks/soak.py`` runs this file; see its docstring).

Each user browses like a patient or a developer would: the search page with and without filters
(real facet values read from the catalogue before the run), a search loaded in place the way
``static/js/search.js`` does it (a facet link of the page just shown, fetched with
``Accept: text/html``), trial pages by internal id and by NCT id, the JSON API's search and trial
detail, and now and then an export, the feed and the place typeahead.

The targets come from the JSON file named by ``SOAK_TARGETS`` (written by ``soak.py``). Every
response's status and time, per request name, go to the JSON file named by ``SOAK_SAMPLES``
when the run stops, with the address and the start of the body of every 5xx, so the report
does not depend on Locust's rounded percentiles.
"""

from __future__ import annotations

import html
import json
import os
import random
import re
from collections import defaultdict
from urllib.parse import urlencode

from locust import HttpUser, events, task

TARGETS = json.loads(open(os.environ["SOAK_TARGETS"], encoding="utf-8").read())  # noqa: SIM115
SAMPLES: dict[str, dict] = defaultdict(lambda: {"times_ms": [], "statuses": defaultdict(int)})
ERRORS: list[dict] = []
FACET_LINK = re.compile(r'href="([^"]*)" class="facet__value')
SORTS = ["relevance", "last_update", "start_date", "enrollment"]
FILTERS = ("condition", "drug", "drug_class", "status", "phase", "country")


@events.request.add_listener
def record(request_type, name, response_time, response_length, response, exception, **kwargs):
    status = getattr(response, "status_code", 0) or 0
    sample = SAMPLES[name]
    sample["times_ms"].append(round(response_time, 1))
    sample["statuses"][str(status)] += 1
    if status >= 500 or status == 0:
        body = getattr(response, "text", "") or ""
        ERRORS.append({"name": name, "url": getattr(response, "url", ""), "status": status,
                       "error": repr(exception) if exception else "", "body": body[:500]})  # fmt: skip


@events.quitting.add_listener
def write_samples(environment, **kwargs):
    with open(os.environ["SOAK_SAMPLES"], "w", encoding="utf-8") as out:
        json.dump({"requests": SAMPLES, "errors": ERRORS}, out)


def one_filter() -> dict[str, str]:
    name = random.choice([f for f in FILTERS if TARGETS["facets"].get(f)])
    return {name: random.choice(TARGETS["facets"][name])}


class Visitor(HttpUser):
    """Concurrency is the number of users: by default each sends its next request as soon as the
    last one is answered (``SOAK_WAIT`` seconds of think time at most, chosen at random)."""

    def wait_time(self):
        return random.uniform(0, float(os.environ.get("SOAK_WAIT", "0")))

    def get(self, name: str, path: str, params: dict | None = None, **kwargs):
        url = f"{path}?{urlencode(params, doseq=True)}" if params else path
        # 4xx are answers, not failures, for this test: only 5xx and broken connections count.
        with self.client.get(url, name=name, catch_response=True, **kwargs) as response:
            if response.status_code < 500:
                response.success()
            return response

    @task(3)
    def search_empty(self):
        self.get("search: no filter", "/")

    @task(10)
    def search_one_filter(self):
        self.get("search: one filter", "/", one_filter())

    @task(4)
    def search_filters(self):
        params = {
            **one_filter(),
            **one_filter(),
            "sort": random.choice(SORTS),
        }
        self.get("search: several filters", "/", params)

    @task(5)
    def search_text(self):
        self.get("search: free text", "/", {"q": random.choice(TARGETS["queries"])})

    @task(3)
    def search_near(self):
        near = random.choice(TARGETS["places"])
        params = {"near": near, "radius_km": random.choice([25, 50, 100, 250]), "sort": "distance"}
        self.get("search: near me", "/", params)

    @task(2)
    def search_deep_page(self):
        self.get("search: deep page", "/", {"page": random.randint(2, TARGETS["last_page"])})

    @task(4)
    def search_in_place(self):
        page = self.get("search: one filter", "/", one_filter())
        links = FACET_LINK.findall(page.text or "")
        if links:
            link = html.unescape(random.choice(links))
            self.get("search: loaded in place", link, headers={"Accept": "text/html"})

    @task(8)
    def trial_page(self):
        self.get("trial page: id", f"/trials/{random.choice(TARGETS['trial_ids'])}/")

    @task(3)
    def trial_page_nct(self):
        self.get("trial page: NCT id", f"/trials/{random.choice(TARGETS['nct_ids'])}/")

    @task(6)
    def api_search(self):
        params = {**one_filter(), "page_size": random.choice([20, 50, 100])}
        self.get("API: search", "/api/trials/", params)

    @task(5)
    def api_detail(self):
        self.get("API: trial", f"/api/trials/{random.choice(TARGETS['nct_ids'])}/")

    @task(1)
    def export(self):
        # A narrow filter, as a download usually follows a search someone refined.
        fmt, name = random.choice(["csv", "json"]), random.choice(["condition", "drug", "drug_class"])
        self.get(f"export: {fmt}", f"/export.{fmt}", {name: random.choice(TARGETS["facets"][name])})

    @task(1)
    def feed(self):
        self.get("feed", "/feed/", one_filter())

    @task(1)
    def place_typeahead(self):
        self.get("place typeahead", "/places/", {"q": random.choice(TARGETS["places"])[:3]})

    @task(2)
    def static_file(self):
        self.get("static file", random.choice(TARGETS["static"]))
