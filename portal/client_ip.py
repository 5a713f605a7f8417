"""The client's address, as login throttling (django-axes) and the rate limits count it."""

from django.conf import settings


def client_ip(request) -> str:
    """``REMOTE_ADDR``; behind our TLS proxy (BEHIND_TLS_PROXY) the address the proxy appended to
    X-Forwarded-For, the last entry. Earlier entries come from the client and could be forged.
    """
    if settings.BEHIND_TLS_PROXY:
        appended = request.META.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1].strip()
        if appended:
            return appended
    return request.META.get("REMOTE_ADDR", "")
