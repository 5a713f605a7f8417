"""While the database is unreachable, answer 503 with Retry-After instead of a 500, and recover by itself.

``DatabaseOutageMiddleware`` turns an error that says the connection to PostgreSQL is refused, lost or
closed (raised by any view) into a 503: ``templates/503.html`` (which needs no database) or, under
/api/, the API's JSON error shape. Any other database error (bad SQL, bad data, a deadlock, a statement
timeout) is a bug or a load problem, not an outage, and stays a 500 with its traceback.

The broken connection is closed at once, so the next request connects afresh; Django's
``CONN_HEALTH_CHECKS`` (portal/database.py) already replaces a persistent connection that died between
requests, such as after a database restart. A streamed download (trials/exports.py) that loses the
database half-way has already sent its 200: the error then propagates to the WSGI server, which cuts
the chunked response short (no terminating chunk) so the client sees a failed download, not a short one.

One WARNING is logged when an outage starts, one a minute while it lasts, and one when a request
succeeds again, per process: no traceback per request.
"""

from __future__ import annotations

import logging
import threading
import time

from django.db import InterfaceError, OperationalError, connections
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
API_PREFIX = "/api/"
MESSAGE = "The trial database is unavailable for a moment. Please try again in a minute."
# SQLSTATEs that mean "no usable connection": class 08 (connection exception), 57P01-57P03 (the server
# is shutting down, crashed, or is starting), 53300 (too many connections). psycopg gives none (None)
# when it could not reach the server at all or lost the socket.
_OUTAGE_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300")


def is_database_outage(exc: BaseException) -> bool:
    """True when ``exc`` says the database cannot be reached, as opposed to a query that went wrong."""
    if isinstance(exc, InterfaceError):  # the connection was already closed or broken
        return True
    if not isinstance(exc, OperationalError):
        return False
    sqlstate = getattr(exc.__cause__, "sqlstate", None)
    return sqlstate is None or sqlstate.startswith(_OUTAGE_SQLSTATES)


class DatabaseOutageMiddleware:
    """Sits last in MIDDLEWARE, so its ``process_exception`` sees every exception a view raises."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code != 503:
            outage_log.succeeded()
        return response

    def process_exception(self, request, exception):
        if not is_database_outage(exception):
            return None
        discard_broken_connections()
        outage_log.failed(exception)
        return unavailable_response(request)


def discard_broken_connections() -> None:
    """Close every connection of this thread that can no longer run a query, so the next use reconnects."""
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None and not connection.is_usable():
            connection.close()


def unavailable_response(request) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        response = JsonResponse({"error": MESSAGE}, status=503)
    else:
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"  # a proxy must not keep serving the outage after it ends
    response._has_been_logged = True  # OutageLog speaks for the outage, not django.request once per request
    return response


class OutageLog:
    """Logs an outage as it starts, once a minute while it lasts, and as it ends (this process only)."""

    REPEAT_SECONDS = 60

    def __init__(self):
        self._lock = threading.Lock()
        self.started = None  # time.monotonic() of the first failure of the current outage
        self.failures = 0
        self._last_logged = 0.0

    def failed(self, exc: BaseException) -> None:
        now = time.monotonic()
        with self._lock:
            first = self.started is None
            if first:
                self.started = now
            self.failures += 1
            if not first and now - self._last_logged < self.REPEAT_SECONDS:
                return
            self._last_logged = now
            failures, duration = self.failures, now - self.started
        reason = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
        if first:
            logger.warning("Database unavailable, answering 503: %s", reason)
        else:
            logger.warning(
                "Database still unavailable after %.0f s (%d requests answered 503): %s", duration, failures, reason
            )

    def succeeded(self) -> None:
        if self.started is None:  # the usual case, without taking the lock
            return
        with self._lock:
            if self.started is None:
                return
            failures, duration = self.failures, time.monotonic() - self.started
            self.started, self.failures = None, 0
        logger.warning("Database available again after %.0f s (%d requests answered 503)", duration, failures)


outage_log = OutageLog()
