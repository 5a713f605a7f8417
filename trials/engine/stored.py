"""Snapshots kept on disk for the other workers and the next start: read in a second, not minutes.

Reading a snapshot from PostgreSQL takes about three minutes at 600,000 trials (the search
vectors' postings are most of it), and every web worker needs one. The first worker to need a
snapshot reads it and writes its arrays here (``SEARCH_SNAPSHOT_DIR``: one ``.npy`` file an array,
written to a new directory renamed into place, so a reader never sees half of one); the others,
and every worker after a restart, map those files (read-only, shared through the page cache).
A file lock makes the others wait for the first rather than read PostgreSQL too.

A stored snapshot older than the catalogue is still used when the engine can catch it up
(``trials.engine.catching_up``: its changes are known and few); else a new one is read. Stored
snapshots are kept per database (the cluster's system identifier and the database's oid, so a
database dropped and created again never meets the snapshots of the old one); only the newest
stays.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import DatabaseError, connections, transaction

from trials.engine.snapshot import (
    MultiColumn,
    SingleColumn,
    Sites,
    Snapshot,
    bound_malloc_arenas,
    give_back_freed_memory,
    load,
)
from trials.engine.text import TextIndex, read_u16

log = logging.getLogger(__name__)
# What the files hold; a stored snapshot of another format is read again from PostgreSQL. Change it
# whenever the snapshot's arrays change in kind or meaning.
FORMAT = 2
_TEXT_ARRAYS = ("keys", "first_group", "group_count", "place", "start", "length", "dense", "rows", "bitsets")
_TEXT_MORE = ("posting_start", "position_start")
_TEXT_U16 = ("counts", "positions")  # raw uint16 files: written as the load reads them


def stored_or_read(alias: str, usable: Callable[[int, int], bool]) -> Snapshot:
    """The newest stored snapshot of ``alias``'s database if ``usable(its version, its size)``,
    else one read from PostgreSQL (and stored). Without ``SEARCH_SNAPSHOT_DIR``, always read."""
    if not settings.SEARCH_SNAPSHOT_DIR:
        return load(alias)
    directory = Path(settings.SEARCH_SNAPSHOT_DIR) / _database(alias)
    directory.mkdir(parents=True, exist_ok=True)
    with _locked(directory / "lock"):
        if (snapshot := _newest_usable(directory, alias, usable)) is not None:
            return snapshot
        for left in directory.glob("building-*"):  # by a process that died while reading
            shutil.rmtree(left, ignore_errors=True)
        building = directory / f"building-{os.getpid()}"
        building.mkdir()
        snapshot = load(alias, scratch=building)
        path = directory / f"v{snapshot.version}"
        write(snapshot, path, building)
        for older in directory.glob("v*"):
            if older.name != f"v{snapshot.version}":
                shutil.rmtree(older, ignore_errors=True)
        # Mapped like the other workers' copies: the page cache holds one for all, and this
        # worker gives back the memory it read into (about 540 MB at 600,000 trials).
        del snapshot
        mapped = read(path, alias)
        give_back_freed_memory()
        return mapped


def stored_if_ready(alias: str, usable: Callable[[int, int], bool]) -> Snapshot | None:
    """The newest stored snapshot of ``alias``'s database if ``usable(its version, its size)``
    and no other process holds the lock (reading the catalogue from PostgreSQL takes minutes, and
    this does not wait for it), else None. For a process starting up: mapped in under a second."""
    if not settings.SEARCH_SNAPSHOT_DIR:
        return None
    directory = Path(settings.SEARCH_SNAPSHOT_DIR) / _database(alias)
    if not directory.is_dir():
        return None
    with _locked(directory / "lock", wait=False) as held:
        return _newest_usable(directory, alias, usable) if held else None


def _newest_usable(directory: Path, alias: str, usable: Callable[[int, int], bool]) -> Snapshot | None:
    newest = _newest(directory)
    if newest is not None and usable(newest, _size(directory / f"v{newest}")):
        try:
            return read(directory / f"v{newest}", alias)
        except (OSError, ValueError, KeyError) as error:  # damaged: read the catalogue again
            log.warning("stored search snapshot v%s unreadable (%s); reading PostgreSQL", newest, error)
    return None


def _database(alias: str) -> str:
    """The cluster (its system identifier, where the role may read it) and the database's oid."""
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT oid FROM pg_database WHERE datname = current_database()")
        oid = cursor.fetchone()[0]
        try:
            with transaction.atomic(using=alias):
                cursor.execute("SELECT system_identifier FROM pg_control_system()")
                system = cursor.fetchone()[0]
        except DatabaseError:  # not granted to this role: the host and port name the cluster
            database = connections[alias].settings_dict
            system = f"{database.get('HOST') or 'local'}:{database.get('PORT') or 5432}"
    return f"{system}-{oid}".replace("/", "_")


def _size(path: Path) -> int:
    try:
        return json.loads((path / "meta.json").read_text())["size"]
    except (OSError, ValueError, KeyError):
        return 0


def _newest(directory: Path) -> int | None:
    versions = [int(path.name[1:]) for path in directory.glob("v*") if path.name[1:].isdigit()]
    return max(versions, default=None)


@contextmanager
def _locked(path: Path, wait: bool = True):
    """Holds the directory's lock, waiting for it (or, with ``wait`` False, yields whether it was free)."""
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write(snapshot: Snapshot, path: Path, building: Path) -> None:
    """The snapshot's arrays as ``.npy`` files (the positions as raw uint16, perhaps already
    there: the load's scratch) and its value lists as JSON, in ``building``, then renamed into
    place as ``path`` once complete."""
    arrays = {"ids": snapshot.ids}
    arrays |= {f"keys.{name}": key for name, key in snapshot.keys.items()}
    arrays |= {f"single.{name}": column.codes for name, column in snapshot.single.items()}
    for name, column in snapshot.multi.items():
        for part in ("codes", "rows", "starts", "row_codes", "row_starts"):
            arrays[f"multi.{name}.{part}"] = getattr(column, part)
    arrays |= {f"sites.{part}": getattr(snapshot.sites, part) for part in ("rows", "latitude", "longitude")}
    arrays |= {f"text.{part}": getattr(snapshot.text, part) for part in (*_TEXT_ARRAYS, *_TEXT_MORE)}
    for name, array in arrays.items():
        np.save(building / f"{name}.npy", array, allow_pickle=False)
    for part in _TEXT_U16:
        values, target = getattr(snapshot.text, part), building / f"text.{part}.u16"
        if not (isinstance(values, np.memmap) and Path(values.filename) == target.resolve()):
            values.astype(np.uint16).tofile(target)
    meta = {
        "format": FORMAT,
        "version": snapshot.version,
        "size": snapshot.size,
        "single": {name: column.values for name, column in snapshot.single.items()},
        "multi": {name: column.values for name, column in snapshot.multi.items()},
    }
    (building / "meta.json").write_text(json.dumps(meta))
    if path.exists():  # the same version read again: the old files stay mapped where they are
        replaced = path.with_name(path.name + f".replaced-{os.getpid()}")
        os.replace(path, replaced)
        shutil.rmtree(replaced, ignore_errors=True)
    os.replace(building, path)


def read(path: Path, alias: str) -> Snapshot:
    """A stored snapshot, its arrays mapped read-only from their files."""
    bound_malloc_arenas()
    meta = json.loads((path / "meta.json").read_text())
    if meta.get("format") != FORMAT:
        raise ValueError(f"format {meta.get('format')}, not {FORMAT}")

    # Plain arrays over the mappings (np.asarray: a view, the map kept alive as its base): a
    # slice of an np.memmap costs microseconds of subclass bookkeeping, and a search takes hundreds.
    def array(name: str) -> np.ndarray:
        return np.asarray(np.load(path / f"{name}.npy", mmap_mode="r", allow_pickle=False))

    ids = array("ids")
    size = len(ids)
    multi = {
        name: MultiColumn(
            values,
            *(array(f"multi.{name}.{part}") for part in ("codes", "rows", "starts")),
            size,
            row_codes=array(f"multi.{name}.row_codes"),
            row_starts=array(f"multi.{name}.row_starts"),
        )
        for name, values in meta["multi"].items()
    }
    single = {name: SingleColumn(values, array(f"single.{name}")) for name, values in meta["single"].items()}
    keys = {path.name[5:-4]: array(path.name[:-4]) for path in sorted(path.glob("keys.*.npy"))}
    sites = Sites(*(array(f"sites.{part}") for part in ("rows", "latitude", "longitude")))
    text = TextIndex(
        size,
        *(array(f"text.{part}") for part in (*_TEXT_ARRAYS, *_TEXT_MORE)),
        *(np.asarray(read_u16(path / f"text.{part}.u16")) for part in _TEXT_U16),
    )
    return Snapshot(alias, meta["version"], ids, multi, single, keys, sites, text)
