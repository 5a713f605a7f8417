"""portal/db_router.py: public reads on a replica, everything else on the primary.

The replica is the alias ``replica1`` configured as a test mirror of ``default`` (Django's way:
``TEST = {"MIRROR": "default"}``): its own connection to the same test database, so it sees what
was committed, as a streaming replica would. Tests that read through it commit (transaction=True).
A real streaming replica: scripts/replica_check.py.
"""

import os
import subprocess
import sys

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connections, router, transaction
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.db_router import PIN_COOKIE, ReplicaReadsMiddleware, ReplicaRouter
from tests.conftest import FIXTURES, trial_of
from tests.test_admin import save_in_admin
from trials.models import Trial

REPLICA = "replica1"
ROUTER = "portal.db_router.ReplicaRouter"
MIDDLEWARE = "portal.db_router.ReplicaReadsMiddleware"
READS_BOTH = pytest.mark.django_db(transaction=True, databases=["default", REPLICA])


@pytest.fixture(scope="module", autouse=True)
def replica_alias(django_db_setup):
    """``replica1``: a mirror of the (test) default database, as settings would make from
    DATABASE_REPLICA_URLS; the settings' DATABASES gains it too, which is where the router looks."""
    default = connections["default"].settings_dict
    connections.settings[REPLICA] = {**default, "TEST": {**default["TEST"], "MIRROR": "default"}}
    yield
    connections[REPLICA].close()
    del connections[REPLICA]
    del connections.settings[REPLICA]


@pytest.fixture
def replicas_on(settings):
    settings.DATABASE_ROUTERS = [ROUTER]
    settings.MIDDLEWARE = [MIDDLEWARE, *settings.MIDDLEWARE]


def read_alias(request, model=Trial) -> str:
    """Where the router sends a read of ``model`` during ``request``."""
    seen = {}

    def view(request):
        seen["alias"] = router.db_for_read(model)
        return HttpResponse()

    ReplicaReadsMiddleware(view)(request)
    return seen["alias"]


def queries(alias: str, client, path: str) -> list[str]:
    """The SQL sent to ``alias`` while ``client`` gets ``path`` (a streamed body read to its end)."""
    with CaptureQueriesContext(connections[alias]) as captured:
        response = client.get(path)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return [query["sql"] for query in captured.captured_queries]


# Where reads go, request by request.


def test_a_public_read_goes_to_a_replica_and_an_admin_read_or_a_post_to_the_primary(replicas_on):
    requests = RequestFactory()
    assert read_alias(requests.get("/?q=lung")) == REPLICA
    assert read_alias(requests.get("/api/trials/NCT04728893/")) == REPLICA
    assert read_alias(requests.head("/trials/1/")) == REPLICA
    assert read_alias(requests.get(reverse("admin:trials_trial_changelist"))) == "default"
    assert read_alias(requests.post("/")) == "default"


def test_users_and_sessions_are_read_from_the_primary_even_by_a_public_page(replicas_on):
    # A session written at login must be found by the very next request, whatever the replica's lag.
    assert read_alias(RequestFactory().get("/"), model=User) == "default"


def test_a_browser_that_wrote_reads_the_primary_for_a_while(replicas_on, settings):
    def writes(request):
        router.db_for_write(Trial)
        return HttpResponse()

    response = ReplicaReadsMiddleware(writes)(RequestFactory().post("/admin/trials/trial/1/change/"))
    pin = response.cookies[PIN_COOKIE]
    assert (pin["max-age"], pin["httponly"]) == (settings.REPLICA_PIN_SECONDS, True)
    assert read_alias(RequestFactory().get("/", headers={"cookie": f"{PIN_COOKIE}=1"})) == "default"
    assert PIN_COOKIE not in ReplicaReadsMiddleware(lambda request: HttpResponse())(RequestFactory().get("/")).cookies


def test_after_a_write_or_inside_a_transaction_the_request_reads_the_primary(replicas_on, transactional_db):
    seen = []

    def view(request):
        seen.append(router.db_for_read(Trial))
        with transaction.atomic():
            seen.append(router.db_for_read(Trial))
        router.db_for_write(Trial)
        seen.append(router.db_for_read(Trial))
        return HttpResponse()

    ReplicaReadsMiddleware(view)(RequestFactory().get("/"))
    assert seen == [REPLICA, "default", "default"]


def test_outside_a_request_commands_and_the_worker_read_and_write_the_primary(replicas_on):
    assert router.db_for_read(Trial) == router.db_for_write(Trial) == "default"


def test_only_the_primary_is_migrated():
    replica_router = ReplicaRouter()
    assert replica_router.allow_migrate("default", "trials")
    assert not replica_router.allow_migrate(REPLICA, "trials")
    assert not replica_router.allow_migrate(REPLICA, "auth", model_name="user")


# The portal through the router, on the mirror.


@READS_BOTH
def test_search_page_api_trial_page_and_export_read_only_the_replica(replicas_on, client, import_studies):
    import_studies("NCT04728893", "NCT05417321")
    trial = trial_of("NCT04728893")
    for path in ["/?q=cancer", "/api/trials/?q=cancer", f"/trials/{trial.pk}/", "/export.csv?q=cancer"]:
        with CaptureQueriesContext(connections["default"]) as on_primary:
            on_replica = queries(REPLICA, client, path)
        assert on_replica and not on_primary.captured_queries, path
    found = client.get("/api/trials/?q=cancer").json()
    assert trial.pk in [result["id"] for result in found["results"]]


@READS_BOTH
def test_an_import_and_an_admin_save_write_the_primary_and_pin_the_curator(replicas_on, admin_client):
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        call_command("import_trials", str(FIXTURES / "ctgov_api_v2" / "NCT06482905.json"), verbosity=0)
        trial = Trial.objects.get()
        save_in_admin(admin_client, trial, brief_title="Saved by a curator")
    assert not on_replica.captured_queries
    assert PIN_COOKIE in admin_client.cookies
    # The curator's next public page reads the primary, which already has the save.
    assert queries("default", admin_client, f"/api/trials/{trial.pk}/")
    assert admin_client.get(f"/api/trials/{trial.pk}/").json()["brief_title"] == "Saved by a curator"


# Settings.


def test_replica_urls_install_the_router_and_the_middleware_and_none_leaves_both_out():
    code = (
        "import portal.settings as s; "
        "print(sorted(s.DATABASES), s.DATABASE_ROUTERS, s.MIDDLEWARE[0] == 'portal.db_router.ReplicaReadsMiddleware')"
    )
    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": "postgres://portal@primary/portal"}
    env.pop("DATABASE_REPLICA_URLS", None)
    without = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    env["DATABASE_REPLICA_URLS"] = "postgres://portal@replica-a/portal,postgres://portal@replica-b/portal"
    with_replicas = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert without.stdout.split("\n")[0] == "['default'] [] False"
    assert with_replicas.stdout.split("\n")[0] == f"['default', 'replica1', 'replica2'] ['{ROUTER}'] True"
