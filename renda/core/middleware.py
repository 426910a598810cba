"""Turn domain errors raised anywhere in a view into the right page, in Chinese."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from renda.core.errors import NotFound, PermissionDenied, RendaError


class RendaErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if request.path.startswith("/api/"):
            return None  # the API renders its own JSON errors
        if isinstance(exception, RendaError):
            template = {NotFound: "core/404.html", PermissionDenied: "core/403.html"}.get(
                type(exception), "core/400.html"
            )
            return render(request, template, {"message": exception.message}, status=exception.status_code)
        return None
