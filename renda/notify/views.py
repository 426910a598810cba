"""The in-app inbox (站内消息): what the services told this user."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from renda.core.paging import paginate
from renda.notify.models import Channel, Notification


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    qs = Notification.objects.filter(to_user_id=request.user.pk, channel=Channel.IN_APP).order_by("-id")
    page, querystring = paginate(request, qs)
    return render(request, "notify/inbox.html", {"page": page, "querystring": querystring})


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    Notification.objects.filter(to_user_id=request.user.pk, read_at__isnull=True).update(read_at=timezone.now())
    return redirect("notify:inbox")
