"""Pages and downloads of the codes (二码): QR images, posters, and a region's posters in bulk."""

from __future__ import annotations

import io
from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from renda.codes import selectors, services
from renda.codes.posters import render_pdf, render_png
from renda.codes.qr import qr_png
from renda.codes.selectors import CodeTarget, Poster, safe_filename
from renda.core.paging import paginate
from renda.core.scoping import Perm, Scope, scope_for_user

KIND_LABELS = {"deputy": "代表码", "station": "站点码"}


def _file(content: bytes, content_type: str, filename: str, *, attachment: bool) -> FileResponse:
    response = FileResponse(io.BytesIO(content), as_attachment=attachment, filename=filename, content_type=content_type)
    response["Cache-Control"] = "private, max-age=300"
    return response


def _qr(request: HttpRequest, lookup: Callable[..., CodeTarget], public_id: str) -> FileResponse:
    code = lookup(scope=scope_for_user(request.user), public_id=public_id)
    filename = f"{KIND_LABELS[code.kind]}-{safe_filename(code.name)}-{code.public_id}.png"
    return _file(qr_png(code.url), "image/png", filename, attachment=False)


def _poster(request: HttpRequest, lookup: Callable[..., Poster], public_id: str, fmt: str) -> FileResponse:
    poster = lookup(scope=scope_for_user(request.user), public_id=public_id)
    filename = f"二码海报-{poster.filename_stem}.{fmt}"
    if fmt == "pdf":
        return _file(render_pdf(poster), "application/pdf", filename, attachment=True)
    return _file(render_png(poster), "image/png", filename, attachment=True)


@login_required
@require_GET
def deputy_qr(request: HttpRequest, public_id: str) -> FileResponse:
    return _qr(request, selectors.deputy_code, public_id)


@login_required
@require_GET
def deputy_poster_pdf(request: HttpRequest, public_id: str) -> FileResponse:
    return _poster(request, selectors.deputy_poster, public_id, "pdf")


@login_required
@require_GET
def deputy_poster_png(request: HttpRequest, public_id: str) -> FileResponse:
    return _poster(request, selectors.deputy_poster, public_id, "png")


@login_required
@require_GET
def station_qr(request: HttpRequest, public_id: str) -> FileResponse:
    return _qr(request, selectors.station_code, public_id)


@login_required
@require_GET
def station_poster_pdf(request: HttpRequest, public_id: str) -> FileResponse:
    return _poster(request, selectors.station_poster, public_id, "pdf")


@login_required
@require_GET
def station_poster_png(request: HttpRequest, public_id: str) -> FileResponse:
    return _poster(request, selectors.station_poster, public_id, "png")


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    scope: Scope = scope_for_user(request.user)
    page, querystring = paginate(request, selectors.township_list(scope=scope))
    context = {
        "page": page,
        "querystring": querystring,
        "rows": selectors.region_counts(scope=scope, regions=list(page)),
        "can_bulk": scope.has(Perm.ORG_MANAGE),
    }
    return render(request, "codes/index.html", context)


@login_required
@require_GET
def region(request: HttpRequest, code: str) -> HttpResponse:
    scope = scope_for_user(request.user)
    found = selectors.code_region(scope=scope, code=code)
    batch = selectors.region_posters(scope=scope, region=found)
    context = {
        "region": found,
        "batch": batch,
        "total": len(batch.deputies) + len(batch.stations),
        "can_bulk": scope.has(Perm.ORG_MANAGE),
    }
    return render(request, "codes/region.html", context)


@login_required
@require_GET
def region_zip(request: HttpRequest, code: str) -> StreamingHttpResponse:
    archive = services.posters_bulk_download(scope=scope_for_user(request.user), region_code=code)
    response = StreamingHttpResponse(archive.chunks, content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(True, archive.filename) or "attachment"
    response["Cache-Control"] = "no-store"
    return response
