import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.env import envbool, envint, envlist, envsecret


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("true", True), ("On", True), ("0", False), ("False", False), ("no", False), ("", False)],
)
def test_envbool_reads_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("FLAG", raw)
    assert envbool("FLAG", not expected) is expected


def test_envbool_refuses_what_it_cannot_read(monkeypatch):
    # bool("False") is True: the classic bug this helper exists to prevent.
    monkeypatch.setenv("FLAG", "Flase")
    with pytest.raises(ImproperlyConfigured, match="FLAG='Flase' is not a boolean"):
        envbool("FLAG", False)


def test_envbool_and_envint_defaults(monkeypatch):
    monkeypatch.delenv("FLAG", raising=False)
    assert envbool("FLAG", True) is True
    assert envint("FLAG", 7) == 7


def test_envint_refuses_non_integers(monkeypatch):
    monkeypatch.setenv("N", "ten")
    with pytest.raises(ImproperlyConfigured, match="not an integer"):
        envint("N", 1)


def test_envlist_splits_on_commas(monkeypatch):
    monkeypatch.setenv("HOSTS", "a.org, b.org,,")
    assert envlist("HOSTS", []) == ["a.org", "b.org"]


def test_secret_has_no_default_outside_debug_and_serving_refuses_it(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    assert envsecret("SECRET_KEY", debug=False, debug_default="dev") == ""
    assert envsecret("SECRET_KEY", debug=True, debug_default="dev") == "dev"
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert envsecret("SECRET_KEY", debug=False, debug_default="dev") == "from-the-environment"


def test_wsgi_application_refuses_to_start_without_a_secret():
    import subprocess
    import sys

    env = {"PATH": "/usr/bin:/bin", "DEBUG": "0", "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"}
    result = subprocess.run(
        [sys.executable, "-c", "import portal.wsgi"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "The SECRET_KEY setting must not be empty" in result.stderr
