"""REST API for 代表建议: lists, one suggestion, drafting and every transition, the supervision
board, statistics, follow-ups, and the public answers.

Each transition is ``POST /suggestions/{id}/<action>`` and runs the row of
renda/suggestions/actions.py the suggestion page runs (rating, 立案 and 交办 call their services
with the API's own reading of the input: an absent ``publish``/``wide_or_hard`` leaves the
setting as it is, units are given by id); the rows the API had no route for are mounted with
``mount_actions``. Refusals come in a fixed order: without the transition's
permission 403; a suggestion the caller does not see (region, or not theirs / not assigned to
them) 404; a state that does not allow it 409; bad input 400/422 — every message in Chinese.
Creating writes accept ``Idempotency-Key``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Field, P, Query, Router
from ninja.params import HeaderEx, PathEx

from renda.api.actions import mount_actions
from renda.api.auth import request_scope
from renda.api.idempotency import HEADER, KEY_DESCRIPTION, render, run_idempotent
from renda.api.pagination import PageParams
from renda.api.schemas import READ_ERRORS, WRITE_ERRORS
from renda.audit.labels import action_label
from renda.core.actions import Action, ActionTable
from renda.core.errors import NotFound, ValidationFailed
from renda.core.inputs import MAX_INT
from renda.core.scoping import Scope
from renda.org.models import Body, BodyKind, Category, Deputy, HandlingUnit
from renda.suggestions import inputs, policy, selectors, services
from renda.suggestions.actions import ACTIONS
from renda.suggestions.models import Suggestion
from renda.suggestions.schemas import (
    AcceptIn,
    AnswerIn,
    AssignIn,
    BoardOut,
    ContactIn,
    CosignIn,
    DraftIn,
    EditIn,
    KeyIn,
    PublicAnswerPage,
    RateIn,
    ReasonIn,
    StatsOut,
    StatsQuery,
    SuggestionDetail,
    SuggestionItem,
    SuggestionPage,
    SuggestionQuery,
    SuperviseIn,
    TextIn,
)
from renda.suggestions.states import MACHINE

router = Router(tags=["代表建议"])
public_router = Router(auth=None, tags=["群众（免登录）"])

SuggestionId = PathEx[int, P(ge=1, le=MAX_INT, title="建议编号（id）")]
Key = HeaderEx[str | None, P(alias=HEADER, description=KEY_DESCRIPTION)]
NOT_FOUND = "建议不存在或不在您的管辖范围内"


def item(s: Suggestion) -> dict[str, Any]:
    return {
        "id": s.pk,
        "number": s.number,
        "title": s.title,
        "body": s.body.name,
        "region": s.region.code,
        "year": s.year,
        "period": s.period,
        "state": s.state,
        "state_label": s.get_state_display(),
        "lead_deputy": s.lead_deputy.name,
        "lead_unit": s.lead_unit.name if s.lead_unit else None,
        "is_key": s.is_key,
        "due_on": s.due_on,
        "due_official": s.due_official,
        "is_overdue": s.is_overdue,
        "round": s.round,
        "answer_class": s.answer_class,
        "outcome": s.outcome,
    }


def detail(scope: Scope, s: Suggestion) -> dict[str, Any]:
    return {
        **item(s),
        "content": s.content,
        "problem": s.problem,
        "proposal": s.proposal,
        "category": str(s.category),
        "wide_or_hard": s.wide_or_hard,
        "key_gov_leader": s.key_gov_leader,
        "key_congress_leader": s.key_congress_leader,
        "assign_by": s.assign_by,
        "answer_by": s.answer_by,
        "reanswer_by": s.reanswer_by,
        "promise_open": s.promise_open,
        "publish_consent": s.publish_consent,
        "opinions": [o.receipt_code for o in s.opinions.all()],
        "converted_opinion": s.converted_opinion.receipt_code if s.converted_opinion else None,
        "signatories": [
            {
                "deputy": g.deputy.name,
                "public_id": g.deputy.public_id,
                "is_lead": g.is_lead,
                "status": g.status,
                "status_label": g.get_status_display(),
            }
            for g in s.signatories.all()
        ],
        "assignments": [
            {
                "unit_id": a.unit_id,
                "unit": a.unit.name,
                "role": a.role,
                "active": a.active,
                "object_by": a.object_by,
                "co_due": a.co_due,
                "co_opinion": a.co_opinion,
            }
            for a in s.assignments.all()
        ],
        "answers": [
            {
                "round": a.round,
                "unit": a.unit.name,
                "answer_class": a.answer_class,
                "class_label": a.class_label,
                "text": a.text,
                "at": a.created_at,
                "letter_url": reverse("suggestions:letter", args=[s.pk, a.pk]),
            }
            for a in s.answers.all()
        ],
        "ratings": [
            {
                "round": r.round,
                "deputy": r.deputy.name,
                "attitude": r.attitude,
                "result": r.result,
                "comment": r.comment,
            }
            for r in s.ratings.all()
        ],
        "actions": ACTIONS.offered(policy.available(scope, s)),
        "timeline": [
            {
                "at": e.created_at,
                "action": e.action,
                "label": action_label(e.action),
                "actor": e.actor_label,
                "reason": e.reason,
            }
            for e in selectors.suggestion_timeline(suggestion=s)
        ],
    }


def _get(scope: Scope, pk: int) -> Suggestion:
    try:
        return selectors.suggestion_detail(scope=scope, pk=pk)
    except NotFound:
        raise NotFound(NOT_FOUND) from None


@router.get("/suggestions", response={200: SuggestionPage, **READ_ERRORS}, summary="建议列表")
def list_suggestions(request: HttpRequest, filters: Query[SuggestionQuery]) -> dict[str, Any]:
    """按角色可见：工作人员为本区划已提交的建议，代表为本人领衔或受邀联名的，承办单位为交办给本单位的。"""
    scope = request_scope(request)
    f = selectors.SuggestionFilter(
        state=filters.state or "",
        queue=filters.queue or "",
        q=filters.q,
        year=filters.year,
        body_id=filters.body,
        unit_id=filters.unit,
    )
    qs = selectors.suggestion_list(scope=scope, filters=f)
    return {"count": qs.count(), "items": [item(s) for s in qs[filters.offset : filters.offset + filters.limit]]}


@router.get("/suggestions/board", response={200: BoardOut, **READ_ERRORS}, summary="督办看板")
def suggestion_board(request: HttpRequest, year: int | None = None) -> dict[str, Any]:
    board = selectors.supervision_board(scope=request_scope(request), year=year)
    return {
        "counts": board.counts,
        "due_soon": [item(s) for s in board.due_soon],
        "overdue": [item(s) for s in board.overdue],
        "unsatisfied": [item(s) for s in board.unsatisfied],
        "key": [item(s) for s in board.key],
        "by_unit": board.by_unit,
        "by_region": board.by_region,
    }


@router.get("/suggestions/stats", response={200: StatsOut, **READ_ERRORS}, summary="办理统计")
def suggestion_stats(request: HttpRequest, query: Query[StatsQuery]) -> dict[str, Any]:
    """按人大、年度、主办单位、区划或分类统计：立案数、按期答复率、办结率、解决率（A类）、满意率、平均答复天数。"""
    f = selectors.SuggestionFilter(year=query.year, body_id=query.body)
    total, rows = selectors.statistics(scope=request_scope(request), dimension=query.by, filters=f)

    def out(r: selectors.StatRow) -> dict[str, Any]:
        return {
            **{k: getattr(r, k) for k in ("label", "count", "answered", "on_time", "closed", "class_a", "rated")},
            "key": str(r.key),
            "satisfied": r.satisfied,
            "on_time_rate": r.on_time_rate,
            "closed_rate": r.closed_rate,
            "a_rate": r.a_rate,
            "satisfied_rate": r.satisfied_rate,
            "avg_days": r.avg_days,
        }

    return {"by": query.by, "total": out(total), "rows": [out(r) for r in rows]}


@router.get("/suggestions/followups", response={200: SuggestionPage, **READ_ERRORS}, summary="承诺事项跟踪")
def suggestion_followups(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    """B/C 类答复中尚未落实的承诺事项，不分年度、届次。"""
    qs = selectors.followups(scope=request_scope(request))
    return {"count": qs.count(), "items": [item(s) for s in qs[page.offset : page.offset + page.limit]]}


@router.get("/suggestions/{suggestion_id}", response={200: SuggestionDetail, **READ_ERRORS}, summary="建议详情")
def get_suggestion(request: HttpRequest, suggestion_id: SuggestionId) -> dict[str, Any]:
    scope = request_scope(request)
    return detail(scope, _get(scope, suggestion_id))


@router.post("/suggestions", response={201: SuggestionDetail, **WRITE_ERRORS}, summary="起草建议")
def draft_suggestion(request: HttpRequest, payload: DraftIn, idempotency_key: Key = None) -> HttpResponse:
    """代表起草建议（可联名、可依据民意）。受邀代表确认后计入联名。"""
    scope = request_scope(request)
    scope.require(MACHINE["submit"].perm or "")

    def create() -> HttpResponse:
        body = Body.objects.filter(pk=payload.body, kind=BodyKind.CONGRESS).select_related("region").first()
        if body is None:
            raise ValidationFailed("人民代表大会不存在", field="body")
        theirs = selectors.congress_bodies_for(scope=scope).filter(pk=body.pk).exists()  # 五级代表: any of theirs
        if not theirs and not scope.covers_path(body.region.path):
            raise NotFound("人民代表大会不存在或不在您的范围内")
        category = Category.objects.filter(pk=payload.category).first()
        if category is None:
            raise ValidationFailed("所选分类不存在", field="category")
        cosigners = list(Deputy.objects.filter(public_id__in=payload.cosigners).select_related("region"))
        if len(cosigners) != len(set(payload.cosigners)):
            raise ValidationFailed("联名代表编号有误", field="cosigners")
        opinions = list(selectors.linkable_opinions(scope=scope).filter(receipt_code__in=payload.opinions))
        if len(opinions) != len(set(payload.opinions)):
            raise ValidationFailed("所选民意不存在或您无权查看", field="opinions")
        s = services.suggestion_draft(
            scope=scope,
            data=services.DraftInput(
                body=body,
                title=payload.title,
                content=payload.content,
                category=category,
                problem=payload.problem,
                proposal=payload.proposal,
                period=payload.period,
                wide_or_hard=payload.wide_or_hard,
                cosigners=cosigners,
                opinions=opinions,
            ),
        )
        return render(request, SuggestionDetail, detail(scope, _get(scope, s.pk)), status=201)

    return run_idempotent(request, idempotency_key, create)


# ---------------------------------------------------------------- transitions


def _act(
    request: HttpRequest, pk: int, transition: str, key: str | None, run: Callable[[Scope, Suggestion], object]
) -> HttpResponse:
    scope = request_scope(request)
    scope.require(MACHINE[transition].perm or "")

    def action() -> HttpResponse:
        try:
            s = selectors.suggestion_to_act_on(scope=scope, pk=pk)
        except NotFound:
            raise NotFound(NOT_FOUND) from None
        run(scope, s)
        # Answered even when the transition took the suggestion out of the actor's view (a unit's objection).
        shown = Suggestion.objects.select_related("body", "region", "lead_deputy", "lead_unit").get(pk=pk)
        return render(request, SuggestionItem, item(shown), status=200)

    return run_idempotent(request, key, action)


ACT: dict[int, Any] = {200: SuggestionItem, **WRITE_ERRORS}


def _row(name: str, data: object) -> Callable[[Scope, Suggestion], object]:
    """The page's row of suggestions/actions.py for ``name``, run with the API's input as the page posts it."""
    action = ACTIONS.by_name[name]
    return lambda scope, s: action.run(scope, s, data, {})


@router.post("/suggestions/{suggestion_id}/submit", response=ACT, summary="提交建议")
def submit_suggestion(request: HttpRequest, suggestion_id: SuggestionId, idempotency_key: Key = None) -> HttpResponse:
    """领衔代表提交。所有受邀联名代表须已答复；大会期间建议须在提交时段内。"""
    return _act(
        request,
        suggestion_id,
        "submit",
        idempotency_key,
        _row("submit", inputs.NoInput()),
    )


@router.post("/suggestions/{suggestion_id}/cosign", response=ACT, summary="确认或拒绝联名")
def cosign_suggestion(
    request: HttpRequest, suggestion_id: SuggestionId, payload: CosignIn, idempotency_key: Key = None
) -> HttpResponse:
    row = _row("cosign" if payload.accept else "decline", inputs.NoInput())
    return _act(request, suggestion_id, "cosign", idempotency_key, row)


@router.post("/suggestions/{suggestion_id}/withdraw", response=ACT, summary="申请撤回")
def withdraw_suggestion(
    request: HttpRequest, suggestion_id: SuggestionId, payload: ReasonIn, idempotency_key: Key = None
) -> HttpResponse:
    """联名建议须全体联名代表同意后撤回。"""
    return _act(
        request,
        suggestion_id,
        "withdraw",
        idempotency_key,
        _row("withdraw", inputs.ReasonIn(reason=payload.reason)),
    )


@router.post("/suggestions/{suggestion_id}/consent-withdraw", response=ACT, summary="联名代表同意撤回")
def consent_withdraw_suggestion(
    request: HttpRequest, suggestion_id: SuggestionId, idempotency_key: Key = None
) -> HttpResponse:
    return _act(
        request,
        suggestion_id,
        "consent_withdraw",
        idempotency_key,
        _row("consent_withdraw", inputs.NoInput()),
    )


@router.post("/suggestions/{suggestion_id}/rate", response=ACT, summary="代表评价")
def rate_suggestion(
    request: HttpRequest, suggestion_id: SuggestionId, payload: RateIn, idempotency_key: Key = None
) -> HttpResponse:
    """办理态度、办理结果分别评价；第一轮不满意退回重新办理一次，第二轮评价后办结。"""
    return _act(
        request,
        suggestion_id,
        "rate",
        idempotency_key,
        lambda sc, s: services.suggestion_rate(
            scope=sc,
            suggestion=s,
            attitude=payload.attitude,
            result=payload.result,
            comment=payload.comment,
            publish=payload.publish,
        ),
    )


@router.post("/suggestions/{suggestion_id}/accept", response=ACT, summary="立案编号")
def accept_suggestion(
    request: HttpRequest, suggestion_id: SuggestionId, payload: AcceptIn, idempotency_key: Key = None
) -> HttpResponse:
    return _act(
        request,
        suggestion_id,
        "accept",
        idempotency_key,
        lambda sc, s: services.suggestion_accept(
            scope=sc, suggestion=s, wide_or_hard=payload.wide_or_hard, note=payload.note
        ),
    )


@router.post("/suggestions/{suggestion_id}/return", response=ACT, summary="退回修改")
def return_suggestion(
    request: HttpRequest, suggestion_id: SuggestionId, payload: ReasonIn, idempotency_key: Key = None
) -> HttpResponse:
    return _act(
        request,
        suggestion_id,
        "return",
        idempotency_key,
        _row("return", inputs.ReasonIn(reason=payload.reason)),
    )


@router.post("/suggestions/{suggestion_id}/convert", response=ACT, summary="转为一般意见")
def convert_suggestion(
    request: HttpRequest, suggestion_id: SuggestionId, payload: ReasonIn, idempotency_key: Key = None
) -> HttpResponse:
    return _act(
        request,
        suggestion_id,
        "convert",
        idempotency_key,
        _row("convert", inputs.ReasonIn(reason=payload.reason)),
    )


@router.post("/suggestions/{suggestion_id}/assign", response=ACT, summary="交办")
def assign_suggestion(
    request: HttpRequest, suggestion_id: SuggestionId, payload: AssignIn, idempotency_key: Key = None
) -> HttpResponse:
    """一个主办单位、若干协办单位，均须在建议所属区划内。"""

    def run(scope: Scope, s: Suggestion) -> object:
        units = HandlingUnit.objects.select_related("region").in_bulk([payload.lead_unit, *payload.co_units])
        if payload.lead_unit not in units:
            raise ValidationFailed("主办单位不存在", field="lead_unit")
        if any(u not in units for u in payload.co_units):
            raise ValidationFailed("协办单位不存在", field="co_units")
        return services.suggestion_assign(
            scope=scope,
            suggestion=s,
            lead_unit=units[payload.lead_unit],
            co_units=[units[u] for u in payload.co_units],
        )

    return _act(request, suggestion_id, "assign", idempotency_key, run)


@router.post("/suggestions/{suggestion_id}/mark-key", response=ACT, summary="确定或取消重点建议")
def mark_key_suggestion(
    request: HttpRequest, suggestion_id: SuggestionId, payload: KeyIn, idempotency_key: Key = None
) -> HttpResponse:
    return _act(
        request,
        suggestion_id,
        "mark_key",
        idempotency_key,
        _row(
            "mark_key",
            inputs.KeyIn(
                is_key="1" if payload.is_key else "0",
                gov_leader=payload.gov_leader,
                congress_leader=payload.congress_leader,
            ),
        ),
    )


@router.post("/suggestions/{suggestion_id}/supervise", response=ACT, summary="记录督办或代表督事")
def supervise_suggestion(
    request: HttpRequest, suggestion_id: SuggestionId, payload: SuperviseIn, idempotency_key: Key = None
) -> HttpResponse:
    return _act(
        request,
        suggestion_id,
        "supervise",
        idempotency_key,
        _row(
            "supervise",
            inputs.SuperviseIn(kind=payload.kind, note=payload.note, on=payload.on.isoformat() if payload.on else ""),
        ),
    )


@router.post("/suggestions/{suggestion_id}/object", response=ACT, summary="承办单位对交办提出异议")
def object_suggestion(
    request: HttpRequest, suggestion_id: SuggestionId, payload: ReasonIn, idempotency_key: Key = None
) -> HttpResponse:
    return _act(
        request,
        suggestion_id,
        "object",
        idempotency_key,
        _row("object", inputs.ReasonIn(reason=payload.reason)),
    )


@router.post("/suggestions/{suggestion_id}/co-opinion", response=ACT, summary="协办单位提出协办意见")
def co_opinion_suggestion(
    request: HttpRequest, suggestion_id: SuggestionId, payload: TextIn, idempotency_key: Key = None
) -> HttpResponse:
    return _act(
        request,
        suggestion_id,
        "co_opinion",
        idempotency_key,
        _row("co_opinion", inputs.TextIn(text=payload.text)),
    )


@router.post("/suggestions/{suggestion_id}/contact", response=ACT, summary="主办单位记录联系代表")
def contact_suggestion(
    request: HttpRequest, suggestion_id: SuggestionId, payload: ContactIn, idempotency_key: Key = None
) -> HttpResponse:
    return _act(
        request,
        suggestion_id,
        "contact",
        idempotency_key,
        _row(
            "contact",
            inputs.ContactIn(contacted_on=payload.contacted_on.isoformat(), way=payload.way, note=payload.note),
        ),
    )


@router.post("/suggestions/{suggestion_id}/answer", response=ACT, summary="主办单位答复")
def answer_suggestion(
    request: HttpRequest, suggestion_id: SuggestionId, payload: AnswerIn, idempotency_key: Key = None
) -> HttpResponse:
    """按答复类别答复，答复函据答复内容自动生成（上传修改稿请用网页）；答复送达每位署名代表。"""
    return _act(
        request,
        suggestion_id,
        "answer",
        idempotency_key,
        _row("answer", inputs.AnswerIn(answer_class=payload.answer_class, text=payload.text)),
    )


@router.post("/suggestions/{suggestion_id}/edit", response=ACT, summary="修改建议")
def edit_suggestion(
    request: HttpRequest, suggestion_id: SuggestionId, payload: EditIn, idempotency_key: Key = None
) -> HttpResponse:
    """领衔代表修改草稿或退回修改的建议（提交的人民代表大会不能更改；联名代表另行邀请）。"""

    def run(scope: Scope, s: Suggestion) -> object:
        category = Category.objects.filter(pk=payload.category).first()
        if category is None:
            raise ValidationFailed("所选分类不存在", field="category")
        opinions = list(selectors.linkable_opinions(scope=scope).filter(receipt_code__in=payload.opinions))
        if len(opinions) != len(set(payload.opinions)):
            raise ValidationFailed("所选民意不存在或您无权查看", field="opinions")
        return services.suggestion_edit(
            scope=scope,
            suggestion=s,
            data=services.DraftInput(
                body=s.body,
                title=payload.title,
                content=payload.content,
                category=category,
                problem=payload.problem,
                proposal=payload.proposal,
                period=payload.period,
                wide_or_hard=payload.wide_or_hard,
                opinions=opinions,
            ),
        )

    return _act(request, suggestion_id, "edit", idempotency_key, run)


def _acted_on(action: Action[Suggestion]) -> Action[Suggestion]:
    """The page's row, answering the suggestion it acted on (the API answers the suggestion)."""

    def run(scope: Scope, s: Suggestion, data: Any, files: Any) -> Suggestion:
        action.run(scope, s, data, files)
        return s

    return Action(
        action.name, action.input, run, action.message, summary=action.summary, description=action.description
    )


def _load(scope: Scope, pk: int) -> Suggestion:
    try:
        return selectors.suggestion_to_act_on(scope=scope, pk=pk)
    except NotFound:
        raise NotFound(NOT_FOUND) from None


def _answer(scope: Scope, s: Suggestion) -> dict[str, Any]:
    # Answered even when the action took the suggestion out of the actor's view.
    return item(Suggestion.objects.select_related("body", "region", "lead_deputy", "lead_unit").get(pk=s.pk))


# The actions the page offers that had no route of their own (``actions`` advertised them): the
# page's rows, mounted as POST /suggestions/{id}/<route>.
mount_actions(
    router,
    ActionTable(
        MACHINE,
        [_acted_on(a) for a in ACTIONS if a.name in ("invite", "decline", "publish", "promise_done")],
        noun="suggestion",
    ),
    prefix="/suggestions/{suggestion_id}",
    id_name="suggestion_id",
    id_title="建议编号（id）",
    load=_load,
    answer=_answer,
    response=SuggestionItem,
    empty_input=inputs.NoInput,
)


# ---------------------------------------------------------------- public (no login)


class PublicAnswerQuery(PageParams):
    body: int | None = Field(None, ge=1, title="人大机构", description="人大机构编号：只看向该机构提出的建议")


@public_router.get("/public/suggestion-answers", response={200: PublicAnswerPage}, summary="代表建议办理结果公开")
def public_suggestion_answers(request: HttpRequest, page: Query[PublicAnswerQuery]) -> dict[str, Any]:
    """代表同意公开的建议答复。"""
    qs = selectors.public_answers(body_id=page.body)
    items = []
    for s in qs[page.offset : page.offset + page.limit]:
        answers = list(s.answers.all())
        last = answers[-1] if answers else None
        items.append(
            {
                "number": s.number,
                "title": s.title,
                "body": s.body.name,
                "deputy": s.lead_deputy.name,
                "unit": s.lead_unit.name if s.lead_unit else None,
                "answer_class": s.answer_class,
                "answer": last.text if last else "",
                "answered_at": s.answered_at,
            }
        )
    return {"count": qs.count(), "items": items}


router.add_router("", public_router)
