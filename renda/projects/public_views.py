"""民生实事 for citizens (no login, mobile-first): every year's projects of a township with the
votes, progress and ratings, and the 群众点单 form (linked from a station's or deputy's page
with ``?station=<public id>`` or ``?deputy=<public id>``)."""

from __future__ import annotations

import secrets
from typing import Any

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from renda.accounts.client_ip import client_ip
from renda.core.errors import NotFound, RendaError, ValidationFailed
from renda.core.ratelimit import RateLimited
from renda.core.rules import rule
from renda.core.validation import ascii_digits
from renda.org.models import Deputy, Station
from renda.projects import proposals, selectors, services
from renda.projects.models import ProgressPhoto, Proposal
from renda.regions.models import Region, RegionLevel
from renda.regions.paths import subtree_q

SESSION_PROPOSED = "project_proposals"


def _township(code: str) -> Region:
    return get_object_or_404(Region, code=code[:15], level=RegionLevel.TOWNSHIP)


@require_GET
def public_index(request: HttpRequest) -> HttpResponse:
    return render(request, "projects/public_index.html", {"townships": selectors.public_townships()})


@require_GET
def public_township(request: HttpRequest, code: str) -> HttpResponse:
    township = _township(code)
    years = selectors.public_years(township=township)
    ratings = {p.pk: selectors.public_rating(p) for y in years for p in y.projects}
    return render(
        request,
        "projects/public_township.html",
        {"township": township, "years": years, "ratings": ratings, "collect_year": services.proposal_year()},
    )


def _owner(request: HttpRequest, township: Region) -> tuple[Station | None, Deputy | None]:
    params = request.POST if request.method == "POST" else request.GET
    station = deputy = None
    if sid := params.get("station", "").strip()[:32]:
        station = Station.objects.select_related("region").filter(public_id=sid, is_active=True).first()
    if did := params.get("deputy", "").strip()[:32]:
        deputy = Deputy.objects.select_related("region").filter(public_id=did, is_active=True).first()
    if station is not None and not station.region.path.startswith(township.path):
        station = None
    if deputy is not None and not deputy.region.path.startswith(township.path):
        deputy = None
    return station, deputy


@require_http_methods(["GET", "POST"])
def public_propose(request: HttpRequest, code: str) -> HttpResponse:
    """群众点单: a citizen proposes a project for the township's next year."""
    township = _township(code)
    station, deputy = _owner(request, township)
    context: dict[str, Any] = {
        "township": township,
        "station": station,
        "deputy": deputy,
        "villages": Region.objects.filter(subtree_q(township.path), level=RegionLevel.VILLAGE).order_by("path"),
        "year": services.proposal_year(),
        "data": {},
        "errors": {},
        "idempotency_key": secrets.token_urlsafe(16),
        "max_text": rule("project.max_text"),
    }
    if request.method == "GET":
        return render(request, "projects/public_propose.html", context)
    data = request.POST
    region: Region = township
    village_id = data.get("village", "")
    try:
        if village_id:
            found = (
                Region.objects.filter(pk=int(village_id), path__startswith=township.path).first()
                if ascii_digits(village_id) and len(village_id) < 12
                else None
            )
            if found is None:
                raise ValidationFailed("请选择本乡镇/街道的村/社区", field="village")
            region = found
        proposal, _created = proposals.proposal_submit(
            data=proposals.ProposalInput(
                title=data.get("title", ""),
                text=data.get("text", ""),
                region=region,
                citizen_name=data.get("citizen_name", ""),
                citizen_phone=data.get("citizen_phone", ""),
                consent=data.get("consent") == "on",
                station=station,
                deputy=deputy,
            ),
            idempotency_key=data.get("idempotency_key", ""),
            client_ip=client_ip(request),
        )
    except RendaError as exc:
        context["errors"] = {exc.field or "general": exc.message}
        context["data"] = data.dict()
        context["idempotency_key"] = data.get("idempotency_key") or context["idempotency_key"]
        status = 429 if isinstance(exc, RateLimited) else exc.status_code
        return render(request, "projects/public_propose.html", context, status=status)
    remembered = list(request.session.get(SESSION_PROPOSED, []))
    if proposal.code not in remembered:
        request.session[SESSION_PROPOSED] = (remembered + [proposal.code])[-20:]
    return redirect("projects:public_proposed", code=proposal.code)


@require_GET
def public_proposed(request: HttpRequest, code: str) -> HttpResponse:
    if code not in request.session.get(SESSION_PROPOSED, []):
        return redirect("projects:public_index")
    proposal = get_object_or_404(Proposal.objects.select_related("region"), code=code)
    return render(request, "projects/public_proposed.html", {"proposal": proposal})


@require_GET
def public_photo(request: HttpRequest, photo_id: int) -> FileResponse:
    """A progress photo (a worksite, its metadata stripped on upload): public, like the progress."""
    item = ProgressPhoto.objects.filter(pk=photo_id).first()
    if item is None:
        raise NotFound("照片不存在")
    response = FileResponse(
        item.image.open("rb"), content_type="image/png" if str(item.image.name).endswith(".png") else "image/jpeg"
    )
    response["Cache-Control"] = "public, max-age=86400"
    return response
