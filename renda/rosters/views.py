"""Roster pages: the list of rosters, template and export downloads, and the import form."""

from __future__ import annotations

import io

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from renda.core.errors import PermissionDenied
from renda.core.scoping import Perm, scope_for_user
from renda.rosters.columns import ROSTERS, roster_spec
from renda.rosters.forms import RosterUploadForm
from renda.rosters.services import RosterFile, roster_export, roster_import, roster_template
from renda.rosters.spreadsheets import XLSX_CONTENT_TYPE

SHOWN_ERRORS = 500


def _download(file: RosterFile) -> FileResponse:
    response = FileResponse(
        io.BytesIO(file.content), as_attachment=True, filename=file.filename, content_type=XLSX_CONTENT_TYPE
    )
    response["Cache-Control"] = "no-store"  # exports hold personal data
    return response


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    scope = scope_for_user(request.user)
    if not (scope.has(Perm.ORG_MANAGE) or scope.has(Perm.ORG_EXPORT)):
        raise PermissionDenied("您没有导入或导出名册的权限")
    return render(
        request,
        "rosters/index.html",
        {
            "rosters": list(ROSTERS.values()),
            "can_import": scope.has(Perm.ORG_MANAGE),
            "can_export": scope.has(Perm.ORG_EXPORT),
        },
    )


@login_required
@require_GET
def template(request: HttpRequest, kind: str) -> FileResponse:
    return _download(roster_template(scope=scope_for_user(request.user), kind=kind))


@login_required
@require_GET
def export(request: HttpRequest, kind: str) -> FileResponse:
    return _download(roster_export(scope=scope_for_user(request.user), kind=kind))


@login_required
@require_http_methods(["GET", "POST"])
def import_roster(request: HttpRequest, kind: str) -> HttpResponse:
    scope = scope_for_user(request.user)
    scope.require(Perm.ORG_MANAGE)
    spec = roster_spec(kind)
    form = RosterUploadForm(request.POST, request.FILES) if request.method == "POST" else RosterUploadForm()
    result = None
    if form.is_bound and form.is_valid():
        result = roster_import(scope=scope, kind=kind, upload=form.cleaned_data["file"])
        if result.ok:
            form = RosterUploadForm()
    context = {
        "spec": spec,
        "form": form,
        "result": result,
        "shown_errors": result.errors[:SHOWN_ERRORS] if result else [],
        "more_errors": max(0, len(result.errors) - SHOWN_ERRORS) if result else 0,
        "max_rows": settings.ROSTER_MAX_ROWS,
        "max_mb": settings.ROSTER_MAX_UPLOAD_BYTES // (1024 * 1024),
    }
    return render(request, "rosters/import.html", context)
