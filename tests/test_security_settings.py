"""Production settings at work: login throttling (django-axes), the Content Security Policy header on every
HTML page and templates that keep to it, and request size limits (uploads, form bodies)."""

import re
from pathlib import Path

import pytest
from django.conf import settings as project_settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from tests.conftest import SHARED_DATA, trial_of
from trials.models import ImportFile, ImportRun

pytestmark = pytest.mark.django_db
LOGIN = reverse("admin:login")
PASSWORD = "the-right-long-password"
TEMPLATES = Path(project_settings.BASE_DIR) / "templates"


# Login throttling


@pytest.fixture
def staff_users(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # a quick hash: many logins
    return [User.objects.create_user(name, password=PASSWORD, is_staff=True) for name in ("ana", "ben")]


def _login(client, username, password, **extra):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"}, **extra)


def test_five_failures_lock_the_username_from_that_address_until_reset(client, staff_users):
    assert project_settings.AXES_FAILURE_LIMIT == 5
    for _ in range(4):
        assert _login(client, "ana", "wrong").status_code == 200  # the form again, with its error
    response = _login(client, "ana", "wrong")
    assert response.status_code == 429

    response = _login(client, "ana", PASSWORD)  # the right password, still locked

    assert response.status_code == 429
    html = response.content.decode()
    assert "Sign-in locked" in html and "axes_reset_username" in html
    assert "_auth_user_id" not in client.session
    # Another username from the same address, and the same username from another address, still sign in.
    assert _login(client, "ben", PASSWORD).status_code == 302
    client.logout()
    assert _login(client, "ana", PASSWORD, REMOTE_ADDR="192.0.2.8").status_code == 302
    client.logout()

    call_command("axes_reset", verbosity=0)

    response = _login(client, "ana", PASSWORD)
    assert response.status_code == 302 and response.url == "/admin/"


def test_behind_the_proxy_the_lockout_counts_the_address_the_proxy_saw(client, staff_users, settings):
    settings.BEHIND_TLS_PROXY = True
    for forged in range(5):
        _login(client, "ana", "wrong", HTTP_X_FORWARDED_FOR=f"10.0.0.{forged}, 198.51.100.4")
    assert _login(client, "ana", PASSWORD, HTTP_X_FORWARDED_FOR="10.9.9.9, 198.51.100.4").status_code == 429
    assert _login(client, "ana", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.5").status_code == 302


# Content Security Policy


def test_every_html_page_carries_the_policy(client, admin_client, import_studies):
    import_studies("NCT06482905")
    trial = trial_of("NCT06482905")
    pages = [
        (client, reverse("trials:list")),
        (client, reverse("trials:list") + "?q=glioma"),
        (client, reverse("trials:detail", args=["NCT06482905"])),
        (client, reverse("api:docs")),
        (client, "/no-such-page/"),
        (client, LOGIN),
        (admin_client, reverse("admin:index")),
        (admin_client, reverse("admin:trials_trial_change", args=[trial.pk])),
        (admin_client, reverse("admin:trials_importrun_upload")),
    ]
    for who, url in pages:
        response = who.get(url)
        assert response["Content-Type"].startswith("text/html"), url
        policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
        assert policy["default-src"] == policy["script-src"] == policy["style-src"] == "'self'", url
        assert policy["object-src"] == policy["frame-ancestors"] == "'none'"
        assert "unsafe" not in response["Content-Security-Policy"]


# No inline script, style attribute, <style> element or on*= handler in our templates.
_INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=", re.I)


def test_our_templates_keep_to_the_policy():
    offending = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)}"
        for path in TEMPLATES.rglob("*.html")
        for match in _INLINE.finditer(re.sub(r"{% comment %}.*?{% endcomment %}", "", path.read_text(), flags=re.S))
    ]
    assert offending == []


# Request size limits


def test_an_oversized_upload_is_refused_with_a_message_and_nothing_is_stored(admin_client, settings):
    archive = SHARED_DATA / "ctgov" / "ctgov_csv_exports.tar.gz"  # a real 4.7 MB export
    if not archive.is_file():
        pytest.skip(f"shared data not here: {archive}")
    settings.IMPORT_UPLOAD_MAX_BYTES = 2 * 2**20

    upload = SimpleUploadedFile(archive.name, archive.read_bytes())
    response = admin_client.post(reverse("admin:trials_importrun_upload"), {"files": [upload]})

    assert response.status_code == 200  # the form again
    assert "ctgov_csv_exports.tar.gz is 4.7 MB; the largest upload accepted is 2 MB" in response.content.decode()
    assert not ImportRun.objects.exists() and not ImportFile.objects.exists()


def test_a_form_body_beyond_the_limits_is_a_400_not_a_500(client, staff_users, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    big = {"username": "ana", "password": "x" * 20_000, "next": "/admin/"}
    assert client.post(LOGIN, big).status_code == 400

    many = {f"field{n}": "x" for n in range(project_settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    assert client.post(LOGIN, many).status_code == 400


def test_too_many_files_in_one_upload_is_a_400(admin_client):
    files = [SimpleUploadedFile(f"{n}.json", b"{}") for n in range(project_settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1)]
    response = admin_client.post(reverse("admin:trials_importrun_upload"), {"files": files})
    assert response.status_code == 400
    assert not ImportRun.objects.exists()
