"""Snapshots kept on disk (trials.engine.stored): written once, mapped by the next reader, and
searched exactly as the snapshot read from PostgreSQL."""

import fcntl
import logging
from pathlib import Path

import numpy as np
import pytest

from trials.engine import _holder, engine, forget, stored
from trials.engine.snapshot import load
from trials.facet_labels import FacetLabels
from trials.facets import _counts
from trials.filters import TrialFilterSet
from trials.search_index import catalogue_version
from trials.search_results import ordered
from trials.selectors import trial_list

pytestmark = pytest.mark.django_db


@pytest.fixture
def search_catalogue(search_catalogue_once, db):
    return search_catalogue_once


@pytest.fixture
def snapshot_dir(settings, tmp_path):
    settings.SEARCH_SNAPSHOT_DIR = str(tmp_path)
    settings.SEARCH_ENGINE = "memory"
    return tmp_path


def _no_postgresql(*args, **kwargs):
    raise AssertionError("read from PostgreSQL")


def _stored(directory: Path) -> list[Path]:
    return sorted(path for path in directory.glob("*/v*") if path.is_dir())


def test_the_first_reader_stores_it_and_the_next_maps_it(search_catalogue, snapshot_dir, monkeypatch):
    version = catalogue_version()
    read = stored.stored_or_read("default", lambda v, size: v == version)
    [kept] = _stored(snapshot_dir)
    assert kept.name == f"v{version}" and (kept / "meta.json").exists()
    monkeypatch.setattr(stored, "load", _no_postgresql)
    mapped = stored.stored_or_read("default", lambda v, size: v == version)
    assert isinstance(mapped.ids.base, np.memmap) and not mapped.ids.flags.writeable
    assert mapped.version == read.version and (mapped.ids == read.ids).all()
    for name, column in read.multi.items():
        assert mapped.multi[name].values == column.values
        assert (mapped.multi[name].row_codes == column.row_codes).all()
    assert (mapped.text.rows == read.text.rows).all() and (mapped.text.bitsets == read.text.bitsets).all()
    assert (mapped.text.positions == read.text.positions).all() and (mapped.text.counts == read.text.counts).all()
    assert isinstance(mapped.text.positions.base, np.memmap) and len(mapped.text.positions) > len(mapped.text.counts)
    assert all((mapped.orders[name] == order).all() for name, order in read.orders.items())


@pytest.mark.parametrize("data", [{}, {"q": "cancer", "phase": ["PHASE2"]}, {"near": "Boston", "radius_km": "3000"}])
def test_a_mapped_snapshot_searches_as_sql(search_catalogue, snapshot_dir, data):
    engine(TrialFilterSet({}), catalogue_version())  # stores it
    forget()
    filterset = TrialFilterSet(data)
    search = engine(filterset, catalogue_version())  # maps it
    assert isinstance(_holder.snapshot.ids.base, np.memmap)
    labels = FacetLabels(filterset)
    assert _counts(filterset, labels, search) == _counts(filterset, labels, None)
    expected = list(ordered(filterset, filterset.filter_queryset(trial_list())).values_list("pk", flat=True))
    assert search.page(filterset.sort_order, 0, 100) == expected


def test_one_not_usable_is_read_again_and_replaces_it(search_catalogue, snapshot_dir):
    stored.stored_or_read("default", lambda v, size: True)
    [first] = _stored(snapshot_dir)
    (first.parent / "v1").mkdir()  # an older one, left by an earlier run: removed
    stored.stored_or_read("default", lambda v, size: False)
    assert _stored(snapshot_dir) == [first]


def test_a_damaged_one_is_read_again(search_catalogue, snapshot_dir, caplog):
    stored.stored_or_read("default", lambda v, size: True)
    [kept] = _stored(snapshot_dir)
    (kept / "text.rows.npy").write_bytes(b"not an array")
    with caplog.at_level(logging.WARNING, logger="trials.engine.stored"):
        snapshot = stored.stored_or_read("default", lambda v, size: True)
    assert "unreadable" in caplog.text
    assert (snapshot.text.rows == load("default").text.rows).all()


def test_one_of_another_format_is_read_again(search_catalogue, snapshot_dir, monkeypatch, caplog):
    stored.stored_or_read("default", lambda v, size: True)
    monkeypatch.setattr(stored, "FORMAT", stored.FORMAT + 1)
    with caplog.at_level(logging.WARNING, logger="trials.engine.stored"):
        stored.stored_or_read("default", lambda v, size: True)
    assert "format" in caplog.text
    [kept] = _stored(snapshot_dir)
    assert f'"format": {stored.FORMAT}' in (kept / "meta.json").read_text()


def test_a_starting_process_maps_a_stored_one_and_waits_for_no_reader(search_catalogue, snapshot_dir, monkeypatch):
    version = catalogue_version()
    assert stored.stored_if_ready("default", lambda v, size: True) is None  # nothing stored yet
    assert list(snapshot_dir.iterdir()) == []  # and nothing made
    read = stored.stored_or_read("default", lambda v, size: v == version)
    monkeypatch.setattr(stored, "load", _no_postgresql)
    mapped = stored.stored_if_ready("default", lambda v, size: v == version)
    assert isinstance(mapped.ids.base, np.memmap) and (mapped.ids == read.ids).all()
    assert stored.stored_if_ready("default", lambda v, size: False) is None  # too old: not used
    # Another process holds the lock (it is reading the catalogue): not waited for.
    [lock] = snapshot_dir.glob("*/lock")
    with open(lock, "a") as other:
        fcntl.flock(other, fcntl.LOCK_EX)
        assert stored.stored_if_ready("default", lambda v, size: True) is None
        fcntl.flock(other, fcntl.LOCK_UN)
    assert stored.stored_if_ready("default", lambda v, size: True) is not None


def test_without_a_directory_a_starting_process_maps_nothing(search_catalogue, settings):
    settings.SEARCH_SNAPSHOT_DIR = ""
    assert stored.stored_if_ready("default", lambda v, size: True) is None
