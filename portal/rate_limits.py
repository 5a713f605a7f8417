"""Rate limits per client address: pages through ``rate_limited`` (django-ratelimit), the API through
DRF's throttling (``ApiRateThrottle``). Both read the settings on each request, so RATE_LIMITS=off (or a
test's ``settings``) switches them without a restart of the URL configuration.
"""

from functools import wraps

from django.conf import settings
from django.core.cache import caches
from django.http import JsonResponse
from django.shortcuts import render
from django_ratelimit.core import get_usage
from rest_framework.throttling import AnonRateThrottle

from portal.client_ip import client_ip

MESSAGE = "Too many requests from your address; please wait a moment and try again."


def _client_key(group, request) -> str:
    return client_ip(request)


def rate_limited(view, rate_setting: str, group: str, *, json: bool = False):
    """``view`` counting requests per address in ``group``: beyond ``settings.<rate_setting>`` it answers
    429 with Retry-After, as a short page (or ``{"error": ...}`` when ``json``)."""

    @wraps(view)
    def limited_view(request, *args, **kwargs):
        if settings.RATE_LIMITS_ENABLED:
            rate = getattr(settings, rate_setting)
            usage = get_usage(request, group=group, key=_client_key, rate=rate, increment=True)
            if usage and usage["should_limit"]:
                return too_many_requests(request, retry_after=max(usage["time_left"], 1), json=json)
        return view(request, *args, **kwargs)

    return limited_view


def too_many_requests(request, *, retry_after: int, json: bool = False):
    if json:
        response = JsonResponse({"error": MESSAGE}, status=429)
    else:
        response = render(request, "429.html", {"retry_after": retry_after}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


class ApiRateThrottle(AnonRateThrottle):
    """API_RATE_LIMIT per client address (the same address as the pages' limits count)."""

    @property
    def cache(self):
        return caches[settings.RATELIMIT_USE_CACHE]  # the pages' counters' cache, not the facet counts'

    def get_rate(self):
        return settings.API_RATE_LIMIT

    def allow_request(self, request, view):
        if not settings.RATE_LIMITS_ENABLED:
            return True
        return super().allow_request(request, view)

    def get_ident(self, request):
        return client_ip(request)
