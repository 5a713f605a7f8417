"""Long-lived objects kept out of the cycle collector's full passes.

A web worker holds some 220,000 objects that live as long as it does: Django and the modules, then
what the first searches build and keep (the catalogue's names, facet labels, the place gazetteer).
CPython's full collection walks every one of them: about 140 ms at 600,000 trials, paid by
whichever request happens to trigger it (a p95 of 130 ms on a query whose median is 30 ms). Those
objects are moved to the permanent generation (``gc.freeze``) once the worker has loaded, then
after its 1st, 2nd, 4th ... 1024th request, so caches built on first use follow them; full
collections then walk only what requests leave behind. Freezing skips no reference counting:
frozen objects are still freed when nothing refers to them. What the freeze may keep is the few
reference cycles that are garbage at that instant (never collected): at most eleven times, once
each, a few kilobytes.
"""

from __future__ import annotations

import gc
import threading

FREEZE_AFTER = frozenset(2**n for n in range(11))  # requests 1, 2, 4 ... 1024 of a worker


class FreezeLongLivedObjects:
    """Middleware: freezes the worker's objects after the requests of ``FREEZE_AFTER``."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.served = 0
        self.lock = threading.Lock()

    def __call__(self, request):
        response = self.get_response(request)
        with self.lock:
            self.served += 1
            due = self.served in FREEZE_AFTER
        if due:
            gc.freeze()  # constant time: the generations are moved, not walked
        return response
