"""Who may do what: the public side is read-only; admin needs a login; the Curators group may import and
edit trials and vocabularies but not manage users; staff without the group see nothing."""

import re

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.conftest import FIXTURES, trial_of
from tests.test_admin import save_in_admin
from trials.curators import CURATORS, sync_curator_permissions
from trials.models import Condition, Drug, ImportRun, Trial

pytestmark = pytest.mark.django_db
NCT = "NCT06482905"
# A value for each URL parameter; a new parameter fails test_every_route_parameter_has_a_sample.
SAMPLES = {"identifier": NCT, "fmt": "csv", "object_id": "1", "pk": "1", "id": "1", "content_type_id": "1"}
_PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def _url(route: str) -> str:
    route = route.replace("^", "").replace("$", "")
    route = re.sub(r"\(\?P<app_label>[^)]*\)", "trials", route)
    route = re.sub(r"\(\?P<url>[^)]*\)", "no-such-page/", route)
    return "/" + _PARAMETER.sub(lambda m: SAMPLES[m.group(1)], route)


PUBLIC_ROUTES = [route for route in _walk(get_resolver().url_patterns) if not route.startswith("admin/")]
# All but the login page itself and logging out (which sends anyone to the index, and so to the login).
ADMIN_ROUTES = [r for r in _walk(admin.site.get_urls(), "admin/") if r not in ("admin/login/", "admin/logout/")]


def test_every_route_parameter_has_a_sample():
    names = {name for route in PUBLIC_ROUTES + ADMIN_ROUTES for name in _PARAMETER.findall(route)}
    assert names <= set(SAMPLES) | {"app_label", "url"}
    assert {"", "export.<str:fmt>", "feed/", "places/", "api/schema/", "api/docs/"} <= set(PUBLIC_ROUTES)


# The public side


@pytest.mark.parametrize("route", [*PUBLIC_ROUTES, "api/docs/?script"])
def test_public_urls_answer_only_reads(client, import_studies, route):
    import_studies(NCT)
    trial = trial_of(NCT)
    before = (Trial.objects.count(), trial.updated_at, ImportRun.objects.count())
    url = _url(route.split("?")[0]) + ("?script" if "?" in route else "")

    assert client.get(url).status_code == 200
    assert client.head(url).status_code == 200
    for method in ("post", "put", "patch", "delete"):
        response = getattr(client, method)(url, data={"brief_title": "changed"}, content_type="application/json")
        assert response.status_code == 405, (method, url)
    # The API describes itself to OPTIONS; the pages (Swagger UI's too) refuse it like any method they do not serve.
    is_api = route.startswith("api/") and not route.startswith("api/docs/")
    assert client.options(url).status_code == (200 if is_api else 405)

    trial.refresh_from_db()
    assert (Trial.objects.count(), trial.updated_at, ImportRun.objects.count()) == before


# Admin: login, the Curators group, staff without it


@pytest.fixture
def curator(client):
    user = User.objects.create_user("curator", password="a-long-curator-password", is_staff=True)
    user.groups.add(sync_curator_permissions())
    client.force_login(user)
    return user


@pytest.fixture
def staff(client):
    user = User.objects.create_user("staff", password="a-long-staff-password", is_staff=True)
    client.force_login(user)
    return user


def test_the_curators_group_has_every_trials_permission_and_none_of_auth():
    sync_curator_permissions()
    call_command("sync_curator_permissions")  # again: same group, same permissions
    group = Group.objects.get(name=CURATORS)
    apps = set(group.permissions.values_list("content_type__app_label", flat=True))
    assert apps == {"trials", "django_tasks_database"}
    codenames = set(group.permissions.values_list("codename", flat=True))
    for model in ("trial", "arm", "site", "drug", "condition", "drugclass", "importrun", "sourcerecord"):
        assert {f"{action}_{model}" for action in ("add", "change", "delete", "view")} <= codenames
    assert "view_dbtaskresult" in codenames
    # A permission given by hand to the group (here: to manage users) is taken away by the next sync.
    group.permissions.add(Permission.objects.get(codename="change_user"))
    sync_curator_permissions()
    assert not group.permissions.filter(content_type__app_label="auth").exists()
    assert Group.objects.filter(name=CURATORS).count() == 1


@pytest.mark.parametrize("route", ADMIN_ROUTES)
def test_anonymous_visitors_are_sent_to_the_admin_login(client, route):
    url = _url(route)
    response = client.get(url)
    assert response.status_code == 302, url
    assert response.url.startswith(reverse("admin:login") + "?next=")


def test_a_curator_imports_a_real_record_and_applies_it(client, curator):
    study = FIXTURES / "ctgov_api_v2" / f"{NCT}.json"
    response = client.post(
        reverse("admin:trials_importrun_upload"), {"files": [SimpleUploadedFile(study.name, study.read_bytes())]}
    )
    preview = ImportRun.objects.get()
    assert response.status_code == 302 and (preview.dry_run, preview.created) == (True, 1)

    response = client.post(reverse("admin:trials_importrun_apply", args=[preview.pk]))

    assert response.status_code == 302
    assert trial_of(NCT).brief_title
    assert ImportRun.objects.get(preview_of=preview).started_by == curator


def test_a_curator_edits_a_trial_a_drug_and_a_condition(client, curator, import_studies):
    import_studies(NCT)
    trial = trial_of(NCT)
    save_in_admin(client, trial, brief_title="Edited by a curator")
    trial.refresh_from_db()
    assert trial.brief_title == "Edited by a curator"

    drug = Drug.objects.create(name="Curatorumab", key="curatorumab")
    save_in_admin(client, drug, mesh_id="D000001")
    drug.refresh_from_db()
    assert drug.mesh_id == "D000001"

    condition = Condition.objects.order_by("pk").first()  # one of the imported trial's conditions
    save_in_admin(client, condition, name="Glioma, curated")
    condition.refresh_from_db()
    assert condition.name == "Glioma, curated"


def test_a_curator_cannot_manage_users_or_give_themselves_more(client, curator):
    group = Group.objects.get(name=CURATORS)
    for url in (
        reverse("admin:auth_user_changelist"),
        reverse("admin:auth_user_change", args=[curator.pk]),
        reverse("admin:auth_user_add"),
        reverse("admin:auth_group_changelist"),
        reverse("admin:auth_group_change", args=[group.pk]),
    ):
        assert client.get(url).status_code == 403, url

    own = reverse("admin:auth_user_change", args=[curator.pk])
    data = {"username": "curator", "is_staff": "on", "is_superuser": "on", "groups": [group.pk], "_save": "Save"}
    assert client.post(own, data).status_code == 403
    group_page = reverse("admin:auth_group_change", args=[group.pk])
    everything = list(Permission.objects.values_list("pk", flat=True))
    assert client.post(group_page, {"name": CURATORS, "permissions": everything}).status_code == 403

    curator.refresh_from_db()
    assert not curator.is_superuser
    assert not group.permissions.filter(content_type__app_label="auth").exists()
    assert "auth" not in {app["app_label"] for app in client.get(reverse("admin:index")).context["app_list"]}


def test_staff_without_the_group_see_nothing(client, staff, import_studies):
    import_studies(NCT)
    trial = trial_of(NCT)
    runs = ImportRun.objects.count()
    assert client.get(reverse("admin:index")).context["app_list"] == []
    for url in (
        reverse("admin:trials_trial_changelist"),
        reverse("admin:trials_trial_change", args=[trial.pk]),
        reverse("admin:trials_drug_changelist"),
        reverse("admin:trials_importrun_changelist"),
        reverse("admin:trials_importrun_upload"),
        reverse("admin:auth_user_changelist"),
    ):
        assert client.get(url).status_code == 403, url
    study = FIXTURES / "ctgov_api_v2" / f"{NCT}.json"
    upload = {"files": [SimpleUploadedFile(study.name, study.read_bytes())]}
    assert client.post(reverse("admin:trials_importrun_upload"), upload).status_code == 403
    assert client.post(reverse("admin:trials_importrun_apply", args=[1])).status_code == 403
    assert client.post(reverse("admin:trials_importrun_rerun", args=[1])).status_code == 403
    merge = {"action": "merge_selected", "_selected_action": [trial.pk]}
    assert client.post(reverse("admin:trials_trial_changelist"), merge).status_code == 403
    assert ImportRun.objects.count() == runs and Trial.objects.count() == 1


def test_view_only_staff_get_no_merge_or_release_action(client, staff, import_studies):
    import_studies(NCT)
    staff.user_permissions.add(Permission.objects.get(codename="view_trial"))
    response = client.get(reverse("admin:trials_trial_changelist"))
    assert response.status_code == 200
    form = response.context["action_form"]
    actions = [value for value, _ in form.fields["action"].choices] if form else []
    assert "merge_selected" not in actions and "release_curated_facts" not in actions
