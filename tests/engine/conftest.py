import pytest


@pytest.fixture(autouse=True)
def _in_memory_engine(settings, _fresh_search_snapshot):
    settings.SEARCH_ENGINE = "memory"
