"""The process's snapshot: loaded for the catalogue's version, in a background thread in
production, with PostgreSQL answering until it is in place."""

import hashlib
import json
import threading
import time

import numpy as np
import pytest
from django.core.cache import cache

from trials.engine import _holder, engine, forget, warm_up
from trials.engine.snapshot import load
from trials.filters import TrialFilterSet
from trials.search_index import catalogue_version

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_snapshot_holds_the_catalogue(search_catalogue):
    snapshot = load("default")
    assert snapshot.size == 11 and list(snapshot.ids) == sorted(snapshot.ids)
    assert snapshot.version == catalogue_version()
    phases = snapshot.multi["phase"]
    assert phases.values == sorted(phases.values) and len(phases.codes) == len(phases.rows)
    assert set(snapshot.orders) == {"last_update", "start_date", "enrollment"}
    assert sorted(snapshot.orders["last_update"].tolist()) == list(range(11))
    assert list(snapshot.rows_of([snapshot.ids[3], 10**12])) == [3]  # an unknown id is dropped


def test_background_load_answers_with_postgresql_until_it_is_in_place(search_catalogue, settings):
    settings.SEARCH_ENGINE_BACKGROUND = True
    version = catalogue_version()
    assert engine(TrialFilterSet({}), version) is None  # the load has only started
    deadline = time.monotonic() + 20
    while _holder.snapshot is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert engine(TrialFilterSet({}), version) is not None
    _wait_for_the_loader()
    # The loader counted the empty search into the facet cache for this version.
    empty = hashlib.sha256(json.dumps({}, sort_keys=True).encode()).hexdigest()  # as trials.facets keys it
    assert cache.get(f"facets:{version}:{empty}") is not None
    # A newer version: PostgreSQL again, and a new load.
    assert engine(TrialFilterSet({}), version + 1) is None
    _wait_for_the_loader()


def test_an_engine_set_to_postgresql_never_loads(search_catalogue, settings):
    settings.SEARCH_ENGINE = "postgresql"
    assert engine(TrialFilterSet({}), catalogue_version()) is None
    assert _holder.snapshot is None


def _wait_for_the_loader() -> None:
    for thread in threading.enumerate():
        if thread.name == "search-snapshot":
            thread.join(20)


def test_long_number_lists_parse_a_window_at_a_time():
    import numpy as np

    from trials.engine.snapshot import _numbers

    text = " ".join(str(i) for i in range(100_000))
    assert (_numbers(text, np.int64, window=1000) == np.arange(100_000)).all()
    assert _numbers("1.5 -2.25 3", np.float64, window=4).tolist() == [1.5, -2.25, 3.0]
    assert _numbers("", np.int64).size == 0 and _numbers(None, np.float64).size == 0


def test_warm_up_maps_the_stored_snapshot_and_counts_the_empty_search(search_catalogue, settings, tmp_path):
    settings.SEARCH_SNAPSHOT_DIR = str(tmp_path)
    version = catalogue_version()
    engine(TrialFilterSet({}), version)  # the first worker reads and stores it
    forget()
    cache.clear()
    warm_up()
    assert _holder.snapshot is not None and _holder.snapshot.version == version
    assert isinstance(_holder.snapshot.ids.base, np.memmap)  # mapped, not read from PostgreSQL
    empty = hashlib.sha256(json.dumps({}, sort_keys=True).encode()).hexdigest()
    assert cache.get(f"facets:{version}:{empty}") is not None
    assert engine(TrialFilterSet({}), version) is not None


def test_warm_up_without_a_stored_snapshot_begins_the_background_read(search_catalogue, settings):
    settings.SEARCH_ENGINE_BACKGROUND = True
    warm_up()
    _wait_for_the_loader()
    assert _holder.snapshot is not None and _holder.snapshot.version == catalogue_version()


def test_warm_up_does_nothing_more_without_background_loading_or_in_memory_engine(search_catalogue, settings):
    warm_up()  # tests' settings: no stored snapshots, no background loads
    assert _holder.snapshot is None
    settings.SEARCH_ENGINE, settings.SEARCH_ENGINE_BACKGROUND = "postgresql", True
    warm_up()
    assert _holder.snapshot is None and not any(t.name == "search-snapshot" for t in threading.enumerate())
