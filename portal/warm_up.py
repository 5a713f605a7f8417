"""What a web process would otherwise build on its first requests, built as it starts
(``portal.wsgi``, before the process takes a request), so that no visitor waits for it:

- the place index behind "near me" and its typeahead (``trials.near.place_index``: 0.6-1.2 s);
- the search snapshot (``trials.engine.warm_up``: mapped from the stored one in under a second,
  else read in the background; without it the first empty search counted 600,000 trials in SQL).

A warm-up that fails (the database down, say) is logged and left to the first requests, which
then do it as they always could.
"""

from __future__ import annotations

import logging

from django.db import connections

log = logging.getLogger(__name__)


def warm_up() -> None:
    from trials.engine import warm_up as warm_up_search
    from trials.near import place_index

    place_index()
    try:
        warm_up_search()
    except Exception:  # an optimisation only: the process must start whatever it meets
        log.exception("the search snapshot was not warmed up; the first searches will load it")
    finally:
        connections.close_all()  # this thread takes no requests: its connections would only idle
