"""Records parsed in a worker process while the loader writes the ones before them (or parsed and
loaded by worker processes, each on its own connection: ``pipeline``'s ``loaders``).

The per-record loader spends most of its time waiting on PostgreSQL, with the machine's other core
idle; parsing (about 1 ms of CPU a CT.gov study, a tenth of an update's cost) moves there. The
worker is forked from this process (Django set up, the parsers imported) before the import takes
its run's lock, with no database connection open: a child must not share this process's
connection, and parsing needs none. Reading ahead is bounded (a few chunks of records), so memory
holds the same few records whatever the file's size.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from itertools import islice

from django.db import connection, connections

# Records a worker parses in one go (each chunk is one round trip through the pipe), and how many
# chunks may be in flight ahead of the loader.
CHUNK_RECORDS = 16
CHUNKS_AHEAD = 4

# prctl's option: the signal a process gets when the thread that forked it ends (Linux).
_PR_SET_PDEATHSIG = 1


class ParsingAhead:
    """A context in which ``map`` applies a function to chunks of items in ``workers`` forked
    processes, items in order. With no workers, or inside a transaction (whose connection
    cannot be closed to fork), ``map`` hands the items on as they are."""

    def __init__(self, workers: int):
        self.workers = workers
        self.executor: ProcessPoolExecutor | None = None

    def __enter__(self) -> ParsingAhead:
        if self.workers > 0 and not connection.in_atomic_block:
            connections.close_all()  # reopened by the next query, after the fork
            context = multiprocessing.get_context("fork")
            self.executor = ProcessPoolExecutor(
                self.workers, mp_context=context, initializer=_exit_with_parent, initargs=(os.getpid(),)
            )
            self.executor.submit(int).result()  # forked now, while no connection is open
        return self

    def __exit__(self, *exc) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)

    def map(self, function: Callable[[list], list], items: Iterable, chunk: int = CHUNK_RECORDS) -> Iterator:
        """``function`` over consecutive chunks of ``items`` (``chunk`` items each), flattened, in
        order; ``function`` and the items must pickle (a module-level function, dataclasses)."""
        if self.executor is None:
            yield from items
            return
        items = iter(items)
        in_flight: deque = deque()
        while True:
            while len(in_flight) < CHUNKS_AHEAD * self.workers and (chunk_items := list(islice(items, chunk))):
                in_flight.append(self.executor.submit(function, chunk_items))
            if not in_flight:
                return
            yield from in_flight.popleft().result()


def _exit_with_parent(parent: int) -> None:
    """Worker initializer: end when the loader's process is gone. A loader killed (``kill -9``, the
    OOM killer) cannot tell its worker, which would wait for records forever (the pipe it reads
    from stays open in the worker itself), or, loading, go on committing records for a run that
    shows as interrupted. On Linux the kernel kills the worker with its parent; elsewhere a thread
    looks every second."""
    if _killed_with_parent() and os.getppid() == parent:
        return

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, name="parent watch", daemon=True).start()


def _killed_with_parent() -> bool:
    """Ask Linux for SIGKILL when the thread that forked this process ends (``prctl(PR_SET_PDEATHSIG)``):
    the importing thread, which waits for its workers before it returns."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False
