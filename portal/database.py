"""Choose the database: DATABASE_URL when set, otherwise an embedded PostgreSQL under var/.

``DATABASE_REPLICA_URLS`` adds streaming replicas of that server as aliases ``replica1``..``replicaN``,
which ``portal.db_router`` reads public pages from (docs/scaling.md).

The embedded server (the ``pgserver`` package) lets a machine with nothing but Python run
the portal and its tests. It is started on first use and stopped when the last process
using it exits; its data stays in ``var/pgdata`` (or ``EMBEDDED_PGDATA``) between runs.
"""

import os
import signal
import sys
import threading
import warnings
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from portal.env import envlist

CONNECT_TIMEOUT_SECONDS = 5


def database_config(base_dir: Path, *, conn_max_age: int) -> dict:
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        config = _server_config(url, conn_max_age)
    else:
        pgdata = os.environ.get("EMBEDDED_PGDATA") or base_dir / "var" / "pgdata"
        config = _embedded_config(Path(pgdata))
    config.setdefault("TEST", {})
    return config


def replica_configs(*, conn_max_age: int) -> dict[str, dict]:
    """``DATABASE_REPLICA_URLS`` (comma-separated) as aliases ``replica1``, ``replica2``...; none when unset.

    Replicas copy the server of ``DATABASE_URL``, so they need it: the embedded server has none."""
    urls = envlist("DATABASE_REPLICA_URLS", [])
    if urls and not os.environ.get("DATABASE_URL", "").strip():
        raise ImproperlyConfigured("DATABASE_REPLICA_URLS needs DATABASE_URL: the primary the replicas copy")
    replicas = {}
    for number, url in enumerate(urls, start=1):
        config = _server_config(url, conn_max_age)
        if config["ENGINE"] != "django.db.backends.postgresql":
            raise ImproperlyConfigured(f"DATABASE_REPLICA_URLS: {url!r} is not a postgres:// URL")
        replicas[f"replica{number}"] = config
    return replicas


def _server_config(url: str, conn_max_age: int) -> dict:
    try:
        config = dj_database_url.parse(url, conn_max_age=conn_max_age, conn_health_checks=True)
    except ValueError as exc:  # an unknown scheme
        raise ImproperlyConfigured(f"{url!r} is not a database URL: {exc}") from None
    # A server that stops answering (rather than refusing) would hold each request for the
    # system's TCP timeout, minutes; a few seconds then a 503 (portal.database_outage) is kinder.
    # ``?connect_timeout=N`` in the URL wins.
    config.setdefault("OPTIONS", {}).setdefault("connect_timeout", CONNECT_TIMEOUT_SECONDS)
    return config


def _embedded_config(pgdata: Path) -> dict:
    # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); harmless here.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
    import pgserver

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    # pgserver stops the server from an atexit hook, which Python skips on SIGTERM (``kill``,
    # process managers). Turn SIGTERM into a normal exit so the hook runs.
    in_main_thread = threading.current_thread() is threading.main_thread()
    if in_main_thread and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    socket_dir = server._postmaster_info.socket_dir
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "postgres",
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": str(socket_dir),
        "PORT": "",
        "CONN_MAX_AGE": 0,
    }
