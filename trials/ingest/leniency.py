"""Reading saved pages leniently: a wording no reader knows leaves that fact unstated.

Registry data (API JSON, XML, CSV exports) uses a closed vocabulary: a word nobody knows there is
news, and the record fails so that it is noticed. Saved pages and dumps are written for people and
change their wording over the years ("Enrollment paused", "Adults only"); failing the whole page
for one such word would lose everything else it says. Inside ``lenient_wording()`` the readers
marked ``@tolerant`` give "not stated" for a wording they do not know, and log it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from trials.ingest.records import ParseError

log = logging.getLogger(__name__)
_LENIENT: ContextVar[bool] = ContextVar("lenient_wording", default=False)


@contextmanager
def lenient_wording() -> Iterator[None]:
    token = _LENIENT.set(True)
    try:
        yield
    finally:
        _LENIENT.reset(token)


def reads_leniently(parse):
    """Mark a parser of text written for people: inside it, an unknown wording leaves that fact
    unstated rather than failing the record."""

    @functools.wraps(parse)
    def read(data: bytes):
        with lenient_wording():
            return parse(data)

    return read


def tolerant(unstated: Callable[[], object] = lambda: None):
    """Mark a reader whose unknown wording, read leniently, gives ``unstated()``."""

    def wrap(reader):
        @functools.wraps(reader)
        def read(*args, **kwargs):
            try:
                return reader(*args, **kwargs)
            except ParseError as exc:
                if not _LENIENT.get():
                    raise
                log.info("left unstated: %s", exc)
                return unstated()

        return read

    return wrap
