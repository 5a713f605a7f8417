"""Strict readers for deploy-time settings.

Each helper raises ImproperlyConfigured on a value it cannot read, so a typo in the
environment stops the process at start-up instead of silently changing behaviour
(``bool("False")`` is True).
"""

import os
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envbool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use one of 1/0, true/false, yes/no, on/off)")


def envint(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from None


def envlist(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def envurl(name: str, default: str) -> str:
    """An http(s) URL without a trailing slash; anything else (a bare host, a typo'd scheme) is refused."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an http(s) URL such as https://host/path")
    return value


def envsecret(name: str, *, debug: bool, debug_default: str) -> str:
    """A secret comes from the environment; only debug mode has a default.

    Outside debug an unset secret is empty, never a default: Django refuses an empty
    SECRET_KEY wherever it is used, and ``portal.wsgi`` refuses to serve without one, while
    commands that sign nothing (migrate, makemigrations, import_trials) still run.
    """
    raw = os.environ.get(name, "")
    if raw:
        return raw
    return debug_default if debug else ""
