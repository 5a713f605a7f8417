"""portal.long_lived: a worker's long-lived objects leave the cycle collector's full passes."""

import gc

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from portal.long_lived import FREEZE_AFTER, FreezeLongLivedObjects


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_objects_are_frozen_after_the_first_requests_then_never_again(unfrozen):
    middleware = FreezeLongLivedObjects(lambda request: HttpResponse("ok"))
    request = RequestFactory().get("/")
    frozen_after = []
    for _ in range(1100):
        gc.unfreeze()
        assert middleware(request).content == b"ok"
        frozen_after.append(gc.get_freeze_count() > 0)
    assert [n for n, frozen in enumerate(frozen_after, start=1) if frozen] == sorted(FREEZE_AFTER)


def test_frozen_objects_are_still_freed_when_nothing_refers_to_them(unfrozen):
    import weakref

    class Held:
        pass

    held = Held()
    gone = weakref.ref(held)
    FreezeLongLivedObjects(lambda request: HttpResponse())(RequestFactory().get("/"))
    assert gc.get_freeze_count() > 0
    del held
    assert gone() is None  # reference counting still frees it


def test_the_middleware_wraps_the_others(settings):
    middleware = settings.MIDDLEWARE
    assert middleware.index("portal.long_lived.FreezeLongLivedObjects") < middleware.index(
        "django.middleware.security.SecurityMiddleware"
    )
