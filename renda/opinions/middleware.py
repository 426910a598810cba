"""Refuse a citizen's upload before its body is read (issue #12: "one client cannot stall intake").

Django reads a multipart body as soon as anything asks for ``request.POST`` (the CSRF check
does, before the view), and the photos in it are then decoded by the intake service. A request
that is too large, or that comes from an address which has already used up its hourly
submissions, is refused here from its headers alone: 413 or 429, in Chinese, before a byte of
the body is read or a pixel decoded.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from renda.accounts.client_ip import client_ip
from renda.core.ratelimit import over_limit
from renda.opinions.intake import ip_limit
from renda.opinions.photos import MAX_BYTES

# The routes that take a citizen's photos: the QR-code form and the multipart API.
INTAKE_PATHS = re.compile(r"^/(?:[ds]/[^/]+/opinion/|api/v1/public/opinions/with-photos)$")
MAX_PHOTOS_BODY = 4 * MAX_BYTES + 512 * 1024  # four photos at their limit and the form's text
TOO_LARGE = "提交的内容过大：每张照片不超过 5MB，最多 4 张，请压缩后再试"


class IntakeUploadGuard:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and INTAKE_PATHS.match(request.path_info):
            refused = self._refusal(request)
            if refused is not None:
                return refused
        return self.get_response(request)

    def _refusal(self, request: HttpRequest) -> HttpResponse | None:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_PHOTOS_BODY:
            return self._answer(request, 413, TOO_LARGE)
        limit = ip_limit(client_ip(request))
        if length > 64 * 1024 and over_limit(limit):  # photos attached, and this address has no submission left
            return self._answer(request, 429, limit.message)
        return None

    @staticmethod
    def _answer(request: HttpRequest, status: int, message: str) -> HttpResponse:
        if request.path_info.startswith("/api/"):
            response: HttpResponse = JsonResponse({"detail": message}, status=status)
        else:
            response = render(request, "core/400.html", {"message": message}, status=status)
        response["Connection"] = "close"  # the unread body is not waited for
        return response
