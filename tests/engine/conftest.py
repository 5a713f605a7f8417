import threading

import pytest


@pytest.fixture(autouse=True)
def _in_memory_engine(settings, _fresh_search_snapshot):
    settings.SEARCH_ENGINE = "memory"
    yield
    # A background load a test started must end before the test's data is flushed.
    for thread in threading.enumerate():
        if thread.name == "search-snapshot":
            thread.join(30)
