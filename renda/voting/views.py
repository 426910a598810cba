"""Pages of 表决: a vote (the deputy's ballot on their phone; staff open, paper totals, close,
publish, runoff), and the public receipt check.

The cast view answers the receipt in the response itself: no redirect, no flash message, no
session entry, so nothing stored on the server ties the voter to their receipt.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from renda.accounts.client_ip import client_ip
from renda.core.errors import RendaError
from renda.core.pages import page_action
from renda.core.scoping import Perm, Scope, scope_for_user
from renda.meetings.models import Attendance
from renda.meetings.quorum import MAJORITY_LABELS, quorum_status
from renda.meetings.selectors import my_attendance
from renda.voting import policy, selectors, services
from renda.voting.actions import ACTIONS
from renda.voting.models import Mark, Vote, VoteMethod, VoteState


def _context(scope: Scope, vote: Vote, **extra: Any) -> dict[str, Any]:
    options = selectors.options_of(vote)
    mine = my_attendance(scope, vote.meeting)
    voted = mine is not None and selectors.has_voted(vote, scope.deputy_ids)
    context: dict[str, Any] = {
        "vote": vote,
        "meeting": vote.meeting,
        "options": options,
        "marks": Mark.choices,
        "quorum": quorum_status(vote.meeting),
        "phone_ballots": selectors.phone_ballots(vote),
        "paper_batches": list(vote.paper_batches.select_related("entered_by", "checked_by")),
        "paper_check": services.paper_check_required(vote),
        "show_result": policy.result_visible(vote, scope),
        "unfilled": selectors.seats_unfilled(vote, options),
        "runoff": selectors.runoff_of(vote),
        "rounds": selectors.question_rounds(vote) if vote.round > 1 or vote.state == VoteState.PUBLISHED else [vote],
        "majority_label": MAJORITY_LABELS.get(vote.majority_rule or "", ""),
        "actions": {t.name for t in policy.available(scope, vote)},
        "can_print": scope.has(Perm.MEETING_MANAGE),
        "mine": mine,
        "can_cast": mine is not None
        and mine.status == Attendance.PRESENT
        and vote.state == VoteState.OPEN
        and not vote.paper_only
        and not voted,
        "has_voted": voted,
        "min_phone": settings.VOTE_MIN_PHONE_BALLOTS,
        "score_range": range(0, vote.score_max + 1),
        "is_choose": vote.method == VoteMethod.CHOOSE_N,
        "is_yes_no": vote.method == VoteMethod.YES_NO,
        "is_score": vote.method == VoteMethod.SCORE,
    }
    if vote.state in (VoteState.CLOSED, VoteState.PUBLISHED) and scope.has(Perm.MEETING_MANAGE):
        context["recount"] = selectors.vote_recount(vote)
    context.update(extra)
    return context


@login_required
@require_GET
@never_cache
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for_user(request.user)
    vote = selectors.vote_detail(scope=scope, pk=pk)
    return render(request, "voting/detail.html", _context(scope, vote))


@login_required
@require_GET
def printed(request: HttpRequest, pk: int, what: str, fmt: str) -> HttpResponse:
    """纸质选票 (for those who run the meeting) and, once published, the 表决结果公告, as Word or PDF."""
    from renda.core.errors import Conflict, PermissionDenied
    from renda.core.official import serve
    from renda.voting import documents

    scope = scope_for_user(request.user)
    if what == "ballot" and not scope.has(Perm.MEETING_MANAGE):
        raise PermissionDenied("只有会议工作人员可以打印选票")
    vote = selectors.vote_detail(scope=scope, pk=pk)
    if what == "ballot":
        doc, name = documents.paper_ballot(vote), f"{vote.title}-纸质选票"
    else:
        if vote.state != VoteState.PUBLISHED:
            raise Conflict("表决结果公布后才能生成公告")
        doc, name = documents.result_notice(vote), f"{vote.title}-表决结果公告"
    response: HttpResponse = serve(doc, name, fmt)
    return response


@login_required
@require_GET
@never_cache
def live(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx fragment, polled by staff while a vote is open: ballots received (never interim results)."""
    scope = scope_for_user(request.user)
    scope.require(Perm.MEETING_MANAGE)
    vote = selectors.vote_detail(scope=scope, pk=pk)
    context = {"vote": vote, "phone_ballots": selectors.phone_ballots(vote), "quorum": quorum_status(vote.meeting)}
    return render(request, "voting/_live.html", context)


def _choices_from(vote: Vote, request: HttpRequest) -> object:
    data = request.POST
    if vote.method == VoteMethod.CHOOSE_N:
        return [x for x in data.getlist("choice") if x.strip()]
    result: dict[str, object] = {}
    for option in vote.options.all():
        value = data.get(f"option-{option.position}", "")
        if vote.method == VoteMethod.SCORE:
            result[str(option.position)] = (
                int(value) if (value.strip().isascii() and value.strip().isdigit()) and len(value) < 6 else value
            )
        elif value:
            result[str(option.position)] = value
    return result


def _read_back(vote: Vote, canonical: Any) -> list[tuple[str, str]]:
    """(option, what the deputy chose) for every option, in the words of the ballot."""
    options = selectors.options_of(vote)
    if vote.method == VoteMethod.CHOOSE_N:
        chosen = set(canonical)
        return [(f"{o.position}. {o.label}", "选择" if o.position in chosen else "不选") for o in options]
    if vote.method == VoteMethod.YES_NO:
        labels = dict(Mark.choices)
        return [(f"{o.position}. {o.label}", str(labels[canonical[str(o.position)]])) for o in options]
    return [(f"{o.position}. {o.label}", f"{canonical[str(o.position)]} 分") for o in options]


@login_required
@require_POST
@never_cache
def review(request: HttpRequest, pk: int) -> HttpResponse:
    """The ballot read back before it is cast: nothing is stored until the deputy confirms."""
    scope = scope_for_user(request.user)
    scope.require(Perm.VOTE_CAST)
    vote = selectors.vote_detail(scope=scope, pk=pk)
    choices = _choices_from(vote, request)
    try:
        canonical = services.vote_review(scope=scope, vote=vote, choices=choices)
    except RendaError as exc:
        if exc.status_code in (403, 404):
            raise
        return render(request, "voting/detail.html", _context(scope, vote, error=exc.message), status=exc.status_code)
    hidden: list[tuple[str, str]] = []
    if vote.method == VoteMethod.CHOOSE_N:
        hidden = [("choice", str(p)) for p in canonical]
    else:
        hidden = [(f"option-{k}", str(v)) for k, v in sorted(canonical.items(), key=lambda kv: int(kv[0]))]
    abstain = vote.method == VoteMethod.CHOOSE_N and not canonical
    context = {"vote": vote, "rows": _read_back(vote, canonical), "hidden": hidden, "abstain": abstain}
    response = render(request, "voting/review.html", context)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
@never_cache
def cast(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for_user(request.user)
    scope.require(Perm.VOTE_CAST)
    vote = selectors.vote_detail(scope=scope, pk=pk)
    try:
        receipt = services.vote_cast(scope=scope, vote=vote, choices=_choices_from(vote, request))
    except RendaError as exc:
        if exc.status_code in (403, 404):
            raise
        return render(request, "voting/detail.html", _context(scope, vote, error=exc.message), status=exc.status_code)
    response = render(request, "voting/receipt_issued.html", {"vote": vote, "receipt": receipt})
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Run one staff action of the vote page (voting/actions.py, core/pages.py). Errors re-show
    the vote page; nothing is half-written."""

    def refused(scope: Scope, vote: Vote, entry: Any, exc: RendaError) -> HttpResponse:
        context = _context(scope, vote, error=exc.message, error_action=action, posted=request.POST)
        return render(request, "voting/detail.html", context, status=exc.status_code)

    def done(vote: Vote, result: Any, entry: Any) -> HttpResponse:
        # A runoff answers the new round, shown next.
        return redirect("voting:detail", pk=result.pk if isinstance(result, Vote) else vote.pk)

    return page_action(
        request,
        ACTIONS,
        action,
        pk,
        load=lambda scope, key: selectors.vote_detail(scope=scope, pk=key),
        refused=refused,
        done=done,
    )


@require_http_methods(["GET", "POST"])
@never_cache
def receipt(request: HttpRequest) -> HttpResponse:
    """Public: a voter checks their ballot is in the count. POST keeps the code out of access logs."""
    context: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        try:
            context["check"] = services.receipt_check(code=request.POST.get("code", ""), client_ip=client_ip(request))
        except RendaError as exc:
            context["error"] = exc.message
            status = exc.status_code if exc.status_code in (400, 429) else 404
    return render(request, "voting/receipt.html", context, status=status)
