"""Pagination for list pages: a fixed page size and a querystring that keeps the filters."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest

from renda.core.validation import id_or_none

PAGE_SIZE = 50


def paginate(request: HttpRequest, qs: Any, *, per_page: int = PAGE_SIZE) -> tuple[Page[Any], str]:
    """The requested page (out-of-range numbers clamp) and the querystring without ``page``."""
    paginator = Paginator(qs, per_page)
    page = paginator.get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return page, params.urlencode()


def int_param(request: HttpRequest, name: str) -> int | None:
    """An integer filter from the querystring; anything else is ignored (treated as no filter)."""
    return id_or_none(request.GET.get(name, ""))
