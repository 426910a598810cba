"""The client's address for login lockouts and rate limits."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR, or behind our own nginx (BEHIND_PROXY) the X-Real-IP it sets.

    X-Real-IP is trusted only behind the proxy: nginx overwrites whatever a client sent.
    """
    if settings.SECURE_PROXY_SSL_HEADER is not None:
        real = request.META.get("HTTP_X_REAL_IP", "").strip()
        if real:
            return str(real)[:45]
    return str(request.META.get("REMOTE_ADDR", ""))
