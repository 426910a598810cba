"""The whole life of a deputy suggestion (代表建议): 提 → 交 → 办 → 督 → 评.

提: a deputy drafts (alone or with co-signers who each confirm: 联名), possibly from opinions, and
submits it during a session window (大会期间) or between sessions (闭会期间).
交: the congress office accepts it (立案, numbered per congress and year), returns it for revision,
or converts it to an ordinary opinion; assigns a lead unit (主办) and co-units (协办) with the legal
deadlines; marks key suggestions (重点建议: 领办/督办 leaders).
办: a wrongly assigned unit objects within the deadline (back to the office); co-units send their
opinion to the lead unit; the lead unit records its contact with the deputy and answers with a
class (A/B/C/D) and an answer letter (答复函) that reaches every signatory.
督: supervision notes and 代表督事 visits on the timeline; the sweep marks overdue cases and reminds.
评: a signatory rates attitude and result; 不满意 sends it back once with a re-answer deadline;
after that it closes whatever the rating. B/C answers stay on the follow-up list until done.

Every function: permission + scope check, state check (suggestions/states.py), the change, the
audit event, notifications — in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from renda.accounts.models import Role, RoleAssignment
from renda.audit.services import audit_record
from renda.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from renda.core.rules import rule
from renda.core.scoping import Perm, Scope
from renda.core.validation import clean_text
from renda.core.workdays import add_months, add_workdays
from renda.notify.models import Channel
from renda.notify.services import notify_send
from renda.org.models import Body, BodyKind, Category, Deputy, HandlingUnit
from renda.suggestions import figures, states
from renda.suggestions.models import (
    ANSWER_CLASS_LABELS,
    DEADLINE_STATES,
    PROMISE_CLASSES,
    Answer,
    Assignment,
    CongressRules,
    Contact,
    ContactWay,
    NumberCounter,
    Outcome,
    Period,
    Rating,
    RatingRecord,
    Signatory,
    SignatoryStatus,
    State,
    SubmissionWindow,
    Suggestion,
    Supervision,
    SupervisionKind,
    UnitRole,
)

MAX_TITLE = 100
MAX_TEXT = 10_000
MAX_ANSWER = 5000
MAX_REASON = 500
MAX_NOTE = 1000
MAX_COSIGNERS = 30
MAX_CO_UNITS = 5
MAX_LETTER_BYTES = 10 * 1024 * 1024
SYSTEM_ACTOR = "系统（定时检查）"


def today() -> dt.date:
    return timezone.localdate()


def number_label(year: int, seq: int) -> str:
    return f"〔{year}〕第{seq}号"


def detail_link(suggestion: Suggestion) -> str:
    return reverse("suggestions:detail", args=[suggestion.pk])


# ------------------------------------------------------------------ rules (global, or this congress's own)

RULE_FIELDS = {
    "suggestion.answer_months": "answer_months",
    "suggestion.answer_months_hard": "answer_months_hard",
    "suggestion.assign_workdays": "assign_workdays",
    "suggestion.object_workdays": "object_workdays",
    "suggestion.co_unit_months": "co_unit_months",
    "suggestion.reanswer_months": "reanswer_months",
}


def body_rule(body: Body | int, key: str) -> int:
    """A deadline figure for one congress: its own rule (本级人大期限规定) if set, else 规则参数."""
    body_id = body if isinstance(body, int) else body.pk
    override = CongressRules.objects.filter(body_id=body_id).values_list(RULE_FIELDS[key], flat=True).first()
    return int(override) if override is not None else int(rule(key))


def answer_classes() -> list[tuple[str, str]]:
    """The configured answer classes (national default ABCD; some provinces ABC)."""
    letters = [c for c in str(rule("suggestion.answer_classes")).upper() if c in ANSWER_CLASS_LABELS]
    return [(c, f"{c} {ANSWER_CLASS_LABELS[c]}") for c in dict.fromkeys(letters)]


# ------------------------------------------------------------------ shared pieces


def _snapshot(s: Suggestion) -> dict[str, Any]:
    return {
        "state": s.state,
        "number": s.number or None,
        "lead_unit": s.lead_unit.name if s.lead_unit_id and s.lead_unit else None,
        "due_on": s.due_on,
        "round": s.round,
        "answer_class": s.answer_class or None,
        "outcome": s.outcome or None,
        "is_key": s.is_key,
    }


def _audit(
    s: Suggestion, *, actor: Any, action: str, before: dict[str, Any] | None, reason: str = "", **extra: Any
) -> None:
    figures.record(s)  # the statistics summary follows the change, in the same transaction
    audit_record(
        actor=actor,
        action=f"suggestion.{action}",
        target=s,
        target_label=f"{s.number or '未编号'} {s.title}"[:200],
        region_path=s.region.path,
        reason=reason,
        before=before,
        after={**_snapshot(s), **extra},
    )


def _lock(s: Suggestion) -> Suggestion:
    # of=("self",): PostgreSQL refuses FOR UPDATE on the nullable side of the join to lead_unit.
    locked = (
        Suggestion.objects.select_for_update(of=("self",))
        .select_related("region", "body", "lead_deputy", "category", "lead_unit")
        .get(pk=s.pk)
    )
    figures.track(locked)  # what it counts for in the statistics before this service changes it
    return locked


def _clean(value: str, label: str, fieldname: str, *, max_length: int = MAX_REASON, required: bool = True) -> str:
    return clean_text(value, label=label, field=fieldname, max_length=max_length, required=required)


def _acting_deputy(scope: Scope) -> Deputy:
    if not scope.deputy_ids:
        raise PermissionDenied("只有人大代表本人可以执行此操作")
    deputy = Deputy.objects.filter(pk__in=scope.deputy_ids).order_by("id").first()
    if deputy is None:
        raise PermissionDenied("只有人大代表本人可以执行此操作")
    return deputy


def _in_region(scope: Scope, s: Suggestion) -> None:
    if not scope.covers_path(s.region.path):
        raise NotFound("建议不存在或不在您的管辖范围内")


def _require_staff(scope: Scope, s: Suggestion, transition: states.Transition) -> None:
    scope.require(transition.perm)
    _in_region(scope, s)


def _require_signatory(scope: Scope, s: Suggestion, *, lead: bool = False, confirmed: bool = True) -> Signatory:
    scope.require(Perm.SUGGESTION_DRAFT)
    _in_region(scope, s)
    sig = (
        Signatory.objects.select_for_update()
        .select_related("deputy")
        .filter(suggestion=s, deputy_id__in=scope.deputy_ids)
        .order_by("-is_lead", "id")
        .first()
    )
    if sig is None:
        raise NotFound("建议不存在或您不是该建议的署名代表")
    if lead and not sig.is_lead:
        raise PermissionDenied("只有领衔代表可以执行此操作")
    if confirmed and sig.status != SignatoryStatus.CONFIRMED:
        raise PermissionDenied("您尚未确认联名，不能执行此操作")
    return sig


def _require_unit(scope: Scope, s: Suggestion, *, lead: bool | None = None) -> Assignment:
    """The caller's active assignment on this suggestion (lead=True: only the lead unit; False: only a co-unit)."""
    scope.require(Perm.SUGGESTION_HANDLE)
    _in_region(scope, s)
    a = (
        Assignment.objects.select_related("unit")
        .filter(suggestion=s, unit_id__in=scope.unit_ids, active=True)
        .order_by("id")
        .first()
    )
    if a is None:
        raise NotFound("建议不存在或未交办给您的单位")
    if lead is True and a.role != UnitRole.LEAD:
        raise Conflict("本单位是协办单位：联系代表和答复由主办单位办理，协办意见请送主办单位")
    if lead is False and a.role != UnitRole.CO:
        raise Conflict("本单位是主办单位：协办意见由协办单位提出，主办单位请联系代表后答复")
    return a


def _eligible(deputy: Deputy, body: Body) -> bool:
    """A deputy of this congress: holds a mandate of its level and lives inside its region."""
    return (
        deputy.is_active
        and deputy.region.path.startswith(body.region.path)
        and deputy.mandates.filter(level=body.level).exists()
    )


def _set_due(s: Suggestion, due: dt.date | None, *, official: bool = True) -> None:
    s.due_on = due
    s.due_official = official
    s.is_overdue = False
    s.reminded_at = None


def _confirmed_deputy_ids(s: Suggestion) -> list[int]:
    return list(
        Signatory.objects.filter(suggestion=s, status=SignatoryStatus.CONFIRMED).values_list("deputy_id", flat=True)
    )


def _tell_deputies(s: Suggestion, deputy_ids: Sequence[int], body: str, *, sms: bool = False) -> None:
    users = RoleAssignment.objects.filter(role=Role.DEPUTY, deputy_id__in=list(deputy_ids)).select_related("user")
    for a in users:
        notify_send(channel=Channel.IN_APP, to_user=a.user, body=body, link=detail_link(s), target=s)
    if sms:
        for phone in Deputy.objects.filter(pk__in=list(deputy_ids)).exclude(phone="").values_list("phone", flat=True):
            notify_send(channel=Channel.SMS, to_address=phone, body=body, target=s)


def _tell_signatories(s: Suggestion, body: str, *, sms: bool = False) -> None:
    _tell_deputies(s, _confirmed_deputy_ids(s), body, sms=sms)


def _tell_staff(s: Suggestion, body: str) -> None:
    roles = [Role.TOWNSHIP_STAFF, Role.COUNTY_STAFF, Role.CITY_STAFF]
    for a in RoleAssignment.objects.filter(role__in=roles, region_id=s.region_id).select_related("user"):
        notify_send(channel=Channel.IN_APP, to_user=a.user, body=body, link=detail_link(s), target=s)


def _tell_units(s: Suggestion, unit_ids: Sequence[int], body: str) -> None:
    for a in RoleAssignment.objects.filter(role=Role.UNIT_CLERK, unit_id__in=list(unit_ids)).select_related("user"):
        notify_send(channel=Channel.IN_APP, to_user=a.user, body=body, link=detail_link(s), target=s)


def _active_unit_ids(s: Suggestion) -> list[int]:
    return list(Assignment.objects.filter(suggestion=s, active=True).values_list("unit_id", flat=True))


# ------------------------------------------------------------------ 提: drafting, co-signing, submitting


@dataclass
class DraftInput:
    body: Body
    title: str
    content: str
    category: Category | None
    problem: str = ""
    proposal: str = ""
    period: str = Period.RECESS
    wide_or_hard: bool = False
    cosigners: Sequence[Deputy] = field(default_factory=list)
    opinions: Sequence[Any] = field(default_factory=list)  # opinions.Opinion the deputy may see


def _clean_draft(data: DraftInput) -> dict[str, Any]:
    title = _clean(data.title, "标题", "title", max_length=MAX_TITLE)
    if len(title) < 4:
        raise ValidationFailed("标题太短，请写明建议的事项（至少 4 个字）", field="title")
    content = _clean(data.content, "建议内容", "content", max_length=MAX_TEXT)
    if len(content) < 10:
        raise ValidationFailed("建议内容太短，请把情况写清楚（至少 10 个字）", field="content")
    if data.category is None:
        raise ValidationFailed("请选择建议分类", field="category")
    if data.period not in Period.values:
        raise ValidationFailed("请选择提出时间：大会期间或闭会期间", field="period")
    return {
        "title": title,
        "content": content,
        "problem": _clean(data.problem, "存在的问题", "problem", max_length=MAX_TEXT, required=False),
        "proposal": _clean(data.proposal, "具体建议", "proposal", max_length=MAX_TEXT, required=False),
    }


def _check_opinions(scope: Scope, opinions: Sequence[Any], body: Body) -> list[Any]:
    from renda.opinions.selectors import opinion_base

    ids = [o.pk for o in opinions]
    if not ids:
        return []
    if len(ids) > 50:
        raise ValidationFailed("一件建议最多关联 50 条民意", field="opinions")
    visible = list(opinion_base(scope=scope).filter(pk__in=ids).select_related("region"))
    if len(visible) != len(set(ids)):
        raise ValidationFailed("所选民意不存在或您无权查看", field="opinions")
    for o in visible:
        if not o.region.path.startswith(body.region.path):
            raise ValidationFailed(f"民意“{o.title}”不在本级人大所辖区划内", field="opinions")
    return visible


def _invite(scope: Scope, s: Suggestion, deputies: Sequence[Deputy], lead: Deputy) -> list[Deputy]:
    existing = set(Signatory.objects.filter(suggestion=s).values_list("deputy_id", flat=True))
    invited: list[Deputy] = []
    for d in dict.fromkeys(deputies):
        if d.pk == lead.pk:
            raise ValidationFailed("领衔代表不需要邀请自己联名", field="cosigners")
        if d.pk in existing:
            raise ValidationFailed(f"{d.name}代表已在署名名单中", field="cosigners")
        if not _eligible(d, s.body):
            raise ValidationFailed(f"{d.name}不是{s.body.name}的代表，不能联名", field="cosigners")
        invited.append(d)
    if len(existing) + len(invited) - 1 > MAX_COSIGNERS:
        raise ValidationFailed(f"联名代表最多 {MAX_COSIGNERS} 位", field="cosigners")
    now = timezone.now()
    for d in invited:
        Signatory.objects.create(suggestion=s, deputy=d, status=SignatoryStatus.INVITED, invited_at=now)
    return invited


@transaction.atomic
def suggestion_draft(*, scope: Scope, data: DraftInput) -> Suggestion:
    """A deputy starts a suggestion (草稿); invited co-signers are asked to confirm."""
    scope.require(Perm.SUGGESTION_DRAFT)
    lead = _acting_deputy(scope)
    body = data.body
    if body.kind != BodyKind.CONGRESS:
        raise ValidationFailed("代表建议须向人民代表大会提出", field="body")
    if not scope.covers_path(body.region.path):
        raise NotFound("人民代表大会不存在或不在您的范围内")
    if not _eligible(lead, body):
        raise ValidationFailed(f"您不是{body.name}的代表，不能向其提出建议", field="body")
    cleaned = _clean_draft(data)
    assert data.category is not None
    linked = _check_opinions(scope, data.opinions, body)
    s = Suggestion.objects.create(
        body=body,
        region=body.region,
        year=today().year,
        period=data.period,
        lead_deputy=lead,
        category=data.category,
        wide_or_hard=data.wide_or_hard,
        created_by=scope.user,
        **cleaned,
    )
    Signatory.objects.create(
        suggestion=s,
        deputy=lead,
        is_lead=True,
        status=SignatoryStatus.CONFIRMED,
        invited_at=timezone.now(),
        responded_at=timezone.now(),
    )
    invited = _invite(scope, s, data.cosigners, lead)
    if linked:
        s.opinions.set(linked)
    s = _lock(s)
    _audit(
        s,
        actor=scope.actor,
        action="draft",
        before=None,
        cosigners=[d.name for d in invited],
        opinions=[o.receipt_code for o in linked],
    )
    if invited:
        _tell_deputies(s, [d.pk for d in invited], f"{lead.name}代表邀请您联名提出建议“{s.title}”，请确认或拒绝。")
    return s


@transaction.atomic
def suggestion_edit(*, scope: Scope, suggestion: Suggestion, data: DraftInput) -> Suggestion:
    """The lead deputy revises a draft or a suggestion returned for revision."""
    s = _lock(suggestion)
    states.check("edit", s.state)
    _require_signatory(scope, s, lead=True)
    if data.body.pk != s.body_id:
        raise ValidationFailed("不能更改提交的人民代表大会，请另起草建议", field="body")
    cleaned = _clean_draft(data)
    linked = _check_opinions(scope, data.opinions, s.body)
    before = _snapshot(s)
    for key, value in cleaned.items():
        setattr(s, key, value)
    s.category = data.category  # type: ignore[assignment]
    s.period = data.period
    s.wide_or_hard = data.wide_or_hard
    s.save()
    s.opinions.set(linked)
    _audit(s, actor=scope.actor, action="edit", before=before, title=s.title)
    return s


@transaction.atomic
def suggestion_invite(*, scope: Scope, suggestion: Suggestion, deputies: Sequence[Deputy]) -> Suggestion:
    """The lead deputy invites more co-signers (联名)."""
    s = _lock(suggestion)
    states.check("invite", s.state)
    _require_signatory(scope, s, lead=True)
    if not deputies:
        raise ValidationFailed("请选择要邀请的代表", field="cosigners")
    invited = _invite(scope, s, deputies, s.lead_deputy)
    _audit(s, actor=scope.actor, action="invite", before=None, cosigners=[d.name for d in invited])
    _tell_deputies(s, [d.pk for d in invited], f"{s.lead_deputy.name}代表邀请您联名提出建议“{s.title}”，请确认或拒绝。")
    return s


def _respond(scope: Scope, suggestion: Suggestion, *, accept: bool) -> Suggestion:
    s = _lock(suggestion)
    states.check("cosign" if accept else "decline", s.state)
    sig = _require_signatory(scope, s, confirmed=False)
    if sig.is_lead:
        raise ValidationFailed("领衔代表无需确认联名", field="status")
    if sig.status != SignatoryStatus.INVITED:
        raise Conflict(f"您已{sig.get_status_display()}，不能重复操作")
    sig.status = SignatoryStatus.CONFIRMED if accept else SignatoryStatus.DECLINED
    sig.responded_at = timezone.now()
    sig.save(update_fields=["status", "responded_at", "updated_at"])
    _audit(s, actor=scope.actor, action="cosign" if accept else "decline", before=None, deputy=sig.deputy.name)
    word = "确认联名" if accept else "拒绝联名"
    _tell_deputies(s, [s.lead_deputy_id], f"{sig.deputy.name}代表已{word}建议“{s.title}”")
    return s


@transaction.atomic
def suggestion_cosign(*, scope: Scope, suggestion: Suggestion) -> Suggestion:
    """An invited deputy confirms co-signing; only confirmed co-signers count (联名)."""
    return _respond(scope, suggestion, accept=True)


@transaction.atomic
def suggestion_decline(*, scope: Scope, suggestion: Suggestion) -> Suggestion:
    """An invited deputy declines; they drop off the signatories."""
    return _respond(scope, suggestion, accept=False)


def open_window(body: Body | int, on: dt.date | None = None) -> SubmissionWindow | None:
    day = on or today()
    body_id = body if isinstance(body, int) else body.pk
    return (
        SubmissionWindow.objects.filter(body_id=body_id, starts_on__lte=day, ends_on__gte=day)
        .order_by("-starts_on")
        .first()
    )


@transaction.atomic
def suggestion_submit(*, scope: Scope, suggestion: Suggestion) -> Suggestion:
    """The lead deputy submits it to the congress office. Every invited co-signer must have
    answered; during the session (大会期间) a submission window must be open."""
    s = _lock(suggestion)
    states.check("submit", s.state)
    _require_signatory(scope, s, lead=True)
    pending = list(
        Signatory.objects.filter(suggestion=s, status=SignatoryStatus.INVITED).values_list("deputy__name", flat=True)
    )
    if pending:
        raise ValidationFailed(
            f"还有 {len(pending)} 位联名代表尚未确认：{'、'.join(pending)}。请等待确认，或在修改中撤销邀请后再提交",
            field="cosigners",
        )
    window = None
    if s.period == Period.SESSION:
        window = open_window(s.body)
        if window is None:
            raise ValidationFailed(
                "当前不在本次大会的建议提交时段内，不能以“大会期间”提交；请改为闭会期间建议，或在大会期间提交",
                field="period",
            )
    before = _snapshot(s)
    s.state = State.SUBMITTED
    s.window = window
    s.year = today().year
    s.submitted_at = timezone.now()
    s.return_reason = ""
    s.save()
    _audit(s, actor=scope.actor, action="submit", before=before, period=s.period)
    _tell_staff(s, f"新的代表建议待审查：{s.title}（{s.lead_deputy.name}代表领衔）")
    return s


@transaction.atomic
def suggestion_withdraw(*, scope: Scope, suggestion: Suggestion, reason: str) -> Suggestion:
    """The lead deputy asks to withdraw. A joint suggestion is withdrawn only once every confirmed
    co-signer has consented (each on their own page); alone, it is withdrawn at once."""
    s = _lock(suggestion)
    states.check("withdraw", s.state)
    sig = _require_signatory(scope, s, lead=True)
    reason = _clean(reason, "撤回理由", "reason")
    if s.withdraw_requested_at is not None:
        raise Conflict("已申请撤回，正在等待联名代表同意")
    now = timezone.now()
    s.withdraw_requested_at = now
    s.withdraw_reason = reason
    sig.withdraw_consent_at = now
    sig.save(update_fields=["withdraw_consent_at", "updated_at"])
    others = list(
        Signatory.objects.filter(suggestion=s, status=SignatoryStatus.CONFIRMED, is_lead=False).values_list(
            "deputy_id", flat=True
        )
    )
    s.save()
    _audit(s, actor=scope.actor, action="withdraw_request", before=None, reason=reason, waiting=len(others))
    if others:
        _tell_deputies(s, others, f"领衔代表申请撤回联名建议“{s.title}”（{reason}），需要您的同意。")
        return s
    return _withdrawn(scope, s)


@transaction.atomic
def suggestion_consent_withdraw(*, scope: Scope, suggestion: Suggestion) -> Suggestion:
    """A confirmed co-signer consents to withdrawing; the last consent withdraws it."""
    s = _lock(suggestion)
    states.check("consent_withdraw", s.state)
    sig = _require_signatory(scope, s)
    if s.withdraw_requested_at is None:
        raise Conflict("领衔代表尚未申请撤回")
    if sig.withdraw_consent_at is not None:
        raise Conflict("您已同意撤回")
    sig.withdraw_consent_at = timezone.now()
    sig.save(update_fields=["withdraw_consent_at", "updated_at"])
    _audit(s, actor=scope.actor, action="consent_withdraw", before=None, deputy=sig.deputy.name)
    waiting = Signatory.objects.filter(
        suggestion=s, status=SignatoryStatus.CONFIRMED, withdraw_consent_at__isnull=True
    ).count()
    if waiting:
        return s
    return _withdrawn(scope, s)


def _withdrawn(scope: Scope, s: Suggestion) -> Suggestion:
    before = _snapshot(s)
    units = _active_unit_ids(s)
    s.state = State.WITHDRAWN
    _set_due(s, None)
    s.save()
    _audit(s, actor=scope.actor, action="withdraw", before=before, reason=s.withdraw_reason)
    _tell_signatories(s, f"建议“{s.title}”已撤回")
    if s.submitted_at is not None:
        _tell_staff(s, f"代表建议已撤回：{s.number or s.title}")
    if units:
        _tell_units(s, units, f"代表建议已由代表撤回，无需继续办理：{s.number} {s.title}")
    return s


# ------------------------------------------------------------------ 交: review, numbering, assignment


def _next_seq(body: Body, year: int) -> int:
    """The next number of this congress and year. The counter row is locked until commit, so two
    concurrent acceptances wait for each other instead of taking the same number."""
    counter = NumberCounter.objects.select_for_update().filter(body=body, year=year).first()
    if counter is None:
        try:
            with transaction.atomic():
                NumberCounter.objects.create(body=body, year=year, last=0)
        except IntegrityError:
            pass  # created by a concurrent acceptance, which has committed by now
        counter = NumberCounter.objects.select_for_update().get(body=body, year=year)
    counter.last += 1
    counter.save(update_fields=["last", "updated_at"])
    return counter.last


@transaction.atomic
def suggestion_accept(
    *, scope: Scope, suggestion: Suggestion, wide_or_hard: bool | None = None, note: str = ""
) -> Suggestion:
    """立案: the congress office accepts the suggestion and gives it its number (〔2026〕第12号);
    the assignment deadline starts."""
    s = _lock(suggestion)
    _require_staff(scope, s, states.check("accept", s.state))
    note = _clean(note, "审查意见", "note", required=False)
    before = _snapshot(s)
    seq = _next_seq(s.body, s.year)
    s.seq = seq
    s.number = number_label(s.year, seq)
    if wide_or_hard is not None:
        s.wide_or_hard = wide_or_hard
    s.state = State.ACCEPTED
    s.accepted_at = timezone.now()
    deadline = add_workdays(today(), body_rule(s.body, "suggestion.assign_workdays"))
    s.assign_by = deadline.date
    _set_due(s, deadline.date, official=deadline.official)
    s.save()
    _audit(s, actor=scope.actor, action="accept", before=before, reason=note)
    _tell_signatories(s, f"您的建议“{s.title}”已立案，编号{s.number}，将交有关单位办理。")
    return s


@transaction.atomic
def suggestion_return(*, scope: Scope, suggestion: Suggestion, reason: str) -> Suggestion:
    """The office returns it to the deputy for revision, saying why."""
    s = _lock(suggestion)
    _require_staff(scope, s, states.check("return", s.state))
    reason = _clean(reason, "退回理由", "reason")
    before = _snapshot(s)
    s.state = State.RETURNED
    s.return_reason = reason
    s.save()
    _audit(s, actor=scope.actor, action="return", before=before, reason=reason)
    _tell_signatories(s, f"您的建议“{s.title}”被退回修改：{reason}")
    return s


@transaction.atomic
def suggestion_convert(*, scope: Scope, suggestion: Suggestion, reason: str) -> Suggestion:
    """转为一般意见: not a suggestion in substance (a single small matter, a personal request); it
    becomes an ordinary opinion in 民意处理, linked both ways."""
    from renda.opinions import intake as opinion_intake
    from renda.opinions.models import Source
    from renda.regions.models import RegionLevel

    s = _lock(suggestion)
    _require_staff(scope, s, states.check("convert", s.state))
    reason = _clean(reason, "转为一般意见的理由", "reason")
    lead = s.lead_deputy
    region = lead.region if lead.region.path.startswith(s.region.path) else s.region
    if region.level < RegionLevel.TOWNSHIP:
        raise ValidationFailed("找不到事情所在的乡镇/街道，不能转为一般意见", field="reason")
    home = opinion_intake.deputy_home_station(lead)
    same_town = home is not None and region.path.startswith(home.region.path[:9])
    parts = [f"【由代表建议转为一般意见】{s.title}", s.content, s.problem, s.proposal]
    text = "\n".join(p for p in parts if p.strip())[: int(rule("opinion.max_text"))]
    opinion, _ = opinion_intake.opinion_submit(
        scope=scope,
        data=opinion_intake.OpinionInput(
            text=text,
            region=region,
            category=s.category,
            source=Source.VISIT,
            station=home if same_town else None,
            deputy=lead if same_town else None,
            anonymous=True,
        ),
    )
    before = _snapshot(s)
    s.state = State.CONVERTED
    s.converted_opinion = opinion
    s.convert_reason = reason
    _set_due(s, None)
    s.save()
    _audit(s, actor=scope.actor, action="convert", before=before, reason=reason, opinion=opinion.receipt_code)
    _tell_signatories(s, f"您的建议“{s.title}”已转为一般意见办理（回执码 {opinion.receipt_code}）。理由：{reason}")
    return s


@transaction.atomic
def suggestion_assign(
    *, scope: Scope, suggestion: Suggestion, lead_unit: HandlingUnit, co_units: Sequence[HandlingUnit] = ()
) -> Suggestion:
    """交办: one lead unit (主办) and co-units (协办), all inside the suggestion's region. The
    answer deadline is 3 months from today (6 for wide or hard cases, 代表法 §51)."""
    s = _lock(suggestion)
    _require_staff(scope, s, states.check("assign", s.state))
    co = list(dict.fromkeys(co_units))
    if lead_unit in co:
        raise ValidationFailed("主办单位不能同时作为协办单位", field="co_units")
    if len(co) > MAX_CO_UNITS:
        raise ValidationFailed(f"协办单位最多 {MAX_CO_UNITS} 个", field="co_units")
    for unit, fieldname in [(lead_unit, "lead_unit"), *[(u, "co_units") for u in co]]:
        if not unit.is_active:
            raise ValidationFailed(f"“{unit.name}”已停用", field=fieldname)
        if not unit.region.path.startswith(s.region.path):
            raise ValidationFailed(f"“{unit.name}”不在本建议所属区划（{s.region.name}）内，不能交办", field=fieldname)
    before = _snapshot(s)
    day = today()
    months = body_rule(s.body, "suggestion.answer_months_hard" if s.wide_or_hard else "suggestion.answer_months")
    object_by = add_workdays(day, body_rule(s.body, "suggestion.object_workdays")).date
    co_due = add_months(day, body_rule(s.body, "suggestion.co_unit_months"))
    Assignment.objects.create(suggestion=s, unit=lead_unit, role=UnitRole.LEAD, object_by=object_by)
    for unit in co:
        Assignment.objects.create(suggestion=s, unit=unit, role=UnitRole.CO, object_by=object_by, co_due=co_due)
    s.state = State.ASSIGNED
    s.lead_unit = lead_unit
    s.assigned_at = timezone.now()
    s.answer_by = add_months(day, months)
    _set_due(s, s.answer_by)
    s.save()
    _audit(s, actor=scope.actor, action="assign", before=before, co_units=[u.name for u in co], answer_by=s.answer_by)
    _tell_units(
        s, [lead_unit.pk], f"交办代表建议 {s.number}“{s.title}”（主办），请于 {s.answer_by:%Y-%m-%d} 前答复代表。"
    )
    if co:
        _tell_units(
            s,
            [u.pk for u in co],
            f"交办代表建议 {s.number}“{s.title}”（协办），请于 {co_due:%Y-%m-%d} 前向主办单位提出协办意见。",
        )
    _tell_signatories(s, f"您的建议 {s.number} 已交{lead_unit.name}主办，答复期限 {s.answer_by:%Y-%m-%d}。")
    return s


@transaction.atomic
def suggestion_mark_key(
    *, scope: Scope, suggestion: Suggestion, is_key: bool, gov_leader: str = "", congress_leader: str = ""
) -> Suggestion:
    """重点建议: led by a government leader (领办) and supervised by a congress leader (督办)."""
    s = _lock(suggestion)
    _require_staff(scope, s, states.check("mark_key", s.state))
    gov_leader = _clean(gov_leader, "领办领导", "gov_leader", max_length=100, required=is_key)
    congress_leader = _clean(congress_leader, "督办领导", "congress_leader", max_length=100, required=is_key)
    before = _snapshot(s)
    s.is_key = is_key
    s.key_gov_leader = gov_leader if is_key else ""
    s.key_congress_leader = congress_leader if is_key else ""
    s.save()
    _audit(
        s,
        actor=scope.actor,
        action="mark_key" if is_key else "unmark_key",
        before=before,
        gov_leader=s.key_gov_leader,
        congress_leader=s.key_congress_leader,
    )
    if is_key:
        _tell_units(
            s, _active_unit_ids(s), f"建议 {s.number} 已确定为重点建议，由{gov_leader}领办、{congress_leader}督办。"
        )
    return s


@transaction.atomic
def suggestion_supervise(
    *, scope: Scope, suggestion: Suggestion, kind: str, note: str, on: dt.date | None = None
) -> Supervision:
    """督办 or 代表督事: a supervision note or follow-up visit, on the timeline."""
    s = _lock(suggestion)
    _require_staff(scope, s, states.check("supervise", s.state))
    if kind not in SupervisionKind.values:
        raise ValidationFailed("请选择督办方式", field="kind")
    note = _clean(note, "督办情况", "note", max_length=MAX_NOTE)
    day = on or today()
    if day > today():
        raise ValidationFailed("督办日期不能晚于今天", field="on")
    label = getattr(scope.user, "display_name", "") or str(scope.actor)
    item = Supervision.objects.create(
        suggestion=s, kind=kind, happened_on=day, note=note, recorded_by_label=label[:150]
    )
    _audit(s, actor=scope.actor, action=f"supervise_{kind}", before=None, reason=note, on=day)
    units = _active_unit_ids(s)
    if units and kind == SupervisionKind.SUPERVISE:
        _tell_units(s, units, f"人大对建议 {s.number}“{s.title}”进行督办：{note}")
    return item


# ------------------------------------------------------------------ 办: the handling units


@transaction.atomic
def suggestion_object(*, scope: Scope, suggestion: Suggestion, reason: str) -> Suggestion:
    """A unit that was wrongly assigned says so within the objection period; the suggestion goes
    back to the congress office for reassignment."""
    s = _lock(suggestion)
    states.check("object", s.state)
    a = _require_unit(scope, s)
    reason = _clean(reason, "异议理由", "reason")
    if today() > a.object_by:
        raise ValidationFailed(
            f"已超过提出异议的期限（{a.object_by:%Y-%m-%d}），请按交办办理或与人大办公室联系", field="reason"
        )
    before = _snapshot(s)
    a.objected_at = timezone.now()
    a.object_reason = reason
    a.save(update_fields=["objected_at", "object_reason", "updated_at"])
    units = _active_unit_ids(s)
    Assignment.objects.filter(suggestion=s, active=True).update(active=False, updated_at=timezone.now())
    s.state = State.ACCEPTED
    s.lead_unit = None
    deadline = add_workdays(today(), body_rule(s.body, "suggestion.assign_workdays"))
    s.assign_by = deadline.date
    s.answer_by = None
    _set_due(s, deadline.date, official=deadline.official)
    s.save()
    _audit(s, actor=scope.actor, action="object", before=before, reason=reason, unit=a.unit.name)
    _tell_staff(s, f"{a.unit.name}对建议 {s.number} 的交办提出异议，需重新交办：{reason}")
    _tell_units(s, [u for u in units if u != a.unit_id], f"建议 {s.number} 将重新交办，请暂停办理。")
    return s


@transaction.atomic
def suggestion_co_opinion(*, scope: Scope, suggestion: Suggestion, text: str) -> Assignment:
    """A co-unit sends its opinion to the lead unit (within the co-unit period)."""
    s = _lock(suggestion)
    states.check("co_opinion", s.state)
    a = _require_unit(scope, s, lead=False)
    text = _clean(text, "协办意见", "text", max_length=MAX_ANSWER)
    if len(text) < 5:
        raise ValidationFailed("协办意见太短（至少 5 个字）", field="text")
    a.co_opinion = text
    a.co_opinion_at = timezone.now()
    a.save(update_fields=["co_opinion", "co_opinion_at", "updated_at"])
    late = a.co_due is not None and today() > a.co_due
    _audit(s, actor=scope.actor, action="co_opinion", before=None, reason=text[:200], unit=a.unit.name, late=late)
    if s.lead_unit_id:
        _tell_units(s, [s.lead_unit_id], f"{a.unit.name}已提交对建议 {s.number} 的协办意见")
    return a


@transaction.atomic
def suggestion_contact(
    *, scope: Scope, suggestion: Suggestion, contacted_on: dt.date | None, way: str, note: str
) -> Contact:
    """联系代表: the lead unit records how it talked with the deputy before answering."""
    s = _lock(suggestion)
    states.check("contact", s.state)
    a = _require_unit(scope, s, lead=True)
    if contacted_on is None:
        raise ValidationFailed("请填写联系日期", field="contacted_on")
    if contacted_on > today():
        raise ValidationFailed("联系日期不能晚于今天", field="contacted_on")
    if s.assigned_at is not None and contacted_on < timezone.localtime(s.assigned_at).date():
        raise ValidationFailed("联系日期不能早于交办日期", field="contacted_on")
    if way not in ContactWay.values:
        raise ValidationFailed("请选择联系方式", field="way")
    note = _clean(note, "沟通情况", "note", max_length=MAX_NOTE)
    contact = Contact.objects.create(
        suggestion=s, unit=a.unit, round=s.round, contacted_on=contacted_on, way=way, note=note
    )
    _audit(
        s,
        actor=scope.actor,
        action="contact",
        before=None,
        reason=note[:200],
        way=ContactWay(way).label,
        on=contacted_on,
    )
    return contact


def _clean_letter(letter: UploadedFile[bytes] | None) -> bytes | None:
    if letter is None:
        return None
    if letter.size is not None and letter.size > MAX_LETTER_BYTES:
        raise ValidationFailed("答复函不能超过 10MB", field="letter")
    if not str(letter.name or "").lower().endswith(".docx"):
        raise ValidationFailed("答复函请上传 Word 文档（.docx）", field="letter")
    content: bytes = letter.read()
    if not content.startswith(b"PK"):
        raise ValidationFailed("答复函不是有效的 Word 文档（.docx）", field="letter")
    return content


@transaction.atomic
def suggestion_answer(
    *,
    scope: Scope,
    suggestion: Suggestion,
    answer_class: str,
    text: str,
    letter: UploadedFile[bytes] | None = None,
) -> Answer:
    """The lead unit answers with a class (A/B/C/D as configured) and text; the answer letter
    (答复函) is generated from it unless the unit uploads its edited version. One answer reaches
    every confirmed signatory of a joint suggestion."""
    from renda.suggestions.documents import answer_letter_docx

    s = _lock(suggestion)
    states.check("answer", s.state)
    a = _require_unit(scope, s, lead=True)
    classes = dict(answer_classes())
    if not answer_class:
        raise ValidationFailed("请选择答复类别", field="answer_class")
    if answer_class not in classes:
        raise ValidationFailed(f"答复类别应为 {'、'.join(classes)} 之一", field="answer_class")
    text = _clean(text, "答复内容", "text", max_length=MAX_ANSWER)
    if len(text) < 10:
        raise ValidationFailed("答复内容太短，请写明办理情况（至少 10 个字）", field="text")
    if not Contact.objects.filter(suggestion=s, round=s.round).exists():
        raise ValidationFailed("答复前请先与代表沟通，并记录联系代表情况", field="contact")
    uploaded = _clean_letter(letter)
    if Answer.objects.filter(suggestion=s, round=s.round).exists():
        raise Conflict("本轮已经答复过了")
    now = timezone.now()
    label = (getattr(scope.user, "display_name", "") or str(scope.actor))[:150]
    answer = Answer(
        suggestion=s,
        round=s.round,
        unit=a.unit,
        answer_class=answer_class,
        text=text,
        answered_by=scope.user,
        answered_by_label=label,
        letter_uploaded=uploaded is not None,
    )
    content = uploaded or answer_letter_docx(
        suggestion=s, unit=a.unit, answer_class=answer_class, text=text, on=today()
    )
    answer.letter.save(
        f"{s.number or s.pk}-r{s.round}.docx".replace("〔", "").replace("〕", "-"), ContentFile(content), save=False
    )
    answer.save()
    before = _snapshot(s)
    if s.answered_at is None:
        s.answered_at = now
        s.answered_on_time = s.answer_by is None or today() <= s.answer_by
        if s.assigned_at is not None:
            s.answer_days = max(0, (today() - timezone.localtime(s.assigned_at).date()).days)
    s.answer_class = answer_class
    s.promise_open = answer_class in PROMISE_CLASSES
    s.promise_done_at = None
    s.state = State.ANSWERED
    _set_due(s, None)
    s.save()
    _audit(s, actor=scope.actor, action="answer", before=before, unit=a.unit.name, answer_round=answer.round)
    _tell_signatories(
        s,
        f"您的建议 {s.number}“{s.title}”已由{a.unit.name}答复（{answer.class_label}），请登录查看并评价。",
        sms=True,
    )
    _tell_staff(s, f"建议 {s.number} 已答复（{answer.class_label}）")
    return answer


@transaction.atomic
def suggestion_promise_done(*, scope: Scope, suggestion: Suggestion, note: str) -> Suggestion:
    """承诺事项: the lead unit reports a B/C promise carried out; it leaves the follow-up list."""
    s = _lock(suggestion)
    states.check("promise_done", s.state)
    _require_unit_or_past_lead(scope, s)
    note = _clean(note, "落实情况", "note", max_length=MAX_NOTE)
    if not s.promise_open:
        raise Conflict("该建议没有待落实的承诺事项")
    before = _snapshot(s)
    s.promise_open = False
    s.promise_done_at = timezone.now()
    s.save()
    _audit(s, actor=scope.actor, action="promise_done", before=before, reason=note)
    _tell_signatories(s, f"建议 {s.number}“{s.title}”答复中承诺的事项已落实：{note}")
    return s


def _require_unit_or_past_lead(scope: Scope, s: Suggestion) -> None:
    scope.require(Perm.SUGGESTION_HANDLE)
    _in_region(scope, s)
    if s.lead_unit_id not in scope.unit_ids:
        raise NotFound("建议不存在或不是您的单位主办")


# ------------------------------------------------------------------ 评: the deputy's rating


@transaction.atomic
def suggestion_rate(
    *,
    scope: Scope,
    suggestion: Suggestion,
    attitude: str,
    result: str,
    comment: str = "",
    publish: bool | None = None,
) -> RatingRecord:
    """A signatory rates the answer: attitude and result separately. 不满意 (either) sends it back
    to the lead unit once with a re-answer deadline; after the second answer it closes whatever
    the rating says."""
    s = _lock(suggestion)
    states.check("rate", s.state)
    sig = _require_signatory(scope, s)
    if attitude not in Rating.values:
        raise ValidationFailed("请评价办理态度：满意、基本满意或不满意", field="attitude")
    if result not in Rating.values:
        raise ValidationFailed("请评价办理结果：满意、基本满意或不满意", field="result")
    comment = _clean(comment, "评价意见", "comment", required=False)
    unsatisfied = Rating.UNSATISFIED in (attitude, result)
    if unsatisfied and not comment:
        raise ValidationFailed("选择“不满意”时请写明理由，便于重新办理", field="comment")
    if RatingRecord.objects.filter(suggestion=s, round=s.round).exists():
        raise Conflict("本轮答复已经评价过了，不能重复评价")
    try:
        with transaction.atomic():
            record = RatingRecord.objects.create(
                suggestion=s, round=s.round, deputy=sig.deputy, attitude=attitude, result=result, comment=comment
            )
    except IntegrityError:
        raise Conflict("本轮答复已经评价过了，不能重复评价") from None
    before = _snapshot(s)
    if publish is not None and sig.is_lead:
        s.publish_consent = publish
    if unsatisfied and s.round == 1:
        s.round = 2
        s.state = State.REHANDLING
        s.reanswer_by = add_months(today(), body_rule(s.body, "suggestion.reanswer_months"))
        _set_due(s, s.reanswer_by)
        action = "rehandle"
    else:
        s.state = State.CLOSED
        s.outcome = result
        s.closed_at = timezone.now()
        action = "close"
    s.save()
    _audit(
        s,
        actor=scope.actor,
        action=action,
        before=before,
        reason=comment,
        attitude=Rating(attitude).label,
        result=Rating(result).label,
    )
    if action == "rehandle" and s.lead_unit_id:
        _tell_units(
            s,
            _active_unit_ids(s),
            f"代表对建议 {s.number} 的答复不满意，请重新办理，并于 {s.reanswer_by:%Y-%m-%d} 前再次答复。理由：{comment}",
        )
        _tell_staff(s, f"代表对建议 {s.number} 的答复不满意，已退回重新办理")
    return record


@transaction.atomic
def suggestion_publish(*, scope: Scope, suggestion: Suggestion, publish: bool) -> Suggestion:
    """The lead deputy agrees (or no longer agrees) to publish the answer on the public page."""
    s = _lock(suggestion)
    states.check("publish", s.state)
    _require_signatory(scope, s, lead=True)
    before = _snapshot(s)
    s.publish_consent = publish
    s.save(update_fields=["publish_consent", "updated_at"])
    _audit(s, actor=scope.actor, action="publish" if publish else "unpublish", before=before)
    return s


# ------------------------------------------------------------------ session windows (staff)


@transaction.atomic
def window_create(*, scope: Scope, body: Body, label: str, starts_on: dt.date, ends_on: dt.date) -> SubmissionWindow:
    """Open a submission window (大会期间) for a congress."""
    scope.check_path(body.region.path, perm=Perm.SUGGESTION_MANAGE)
    if body.kind != BodyKind.CONGRESS:
        raise ValidationFailed("只能为人民代表大会设置建议提交时段", field="body")
    label = _clean(label, "名称", "label", max_length=100)
    if ends_on < starts_on:
        raise ValidationFailed("截止日期不能早于开始日期", field="ends_on")
    if (ends_on - starts_on).days > 60:
        raise ValidationFailed("大会期间提交时段一般不超过 60 天", field="ends_on")
    overlap = SubmissionWindow.objects.filter(body=body, starts_on__lte=ends_on, ends_on__gte=starts_on).first()
    if overlap is not None:
        raise ValidationFailed(f"与已有时段“{overlap.label}”重叠", field="starts_on")
    window = SubmissionWindow.objects.create(body=body, label=label, starts_on=starts_on, ends_on=ends_on)
    audit_record(
        actor=scope.actor,
        action="suggestion.window_create",
        target=window,
        region_path=body.region.path,
        after={"label": label, "starts_on": starts_on, "ends_on": ends_on, "body": body.name},
    )
    return window


@transaction.atomic
def window_delete(*, scope: Scope, window: SubmissionWindow) -> None:
    body = Body.objects.select_related("region").get(pk=window.body_id)
    scope.check_path(body.region.path, perm=Perm.SUGGESTION_MANAGE)
    if window.suggestions.exists():
        raise ValidationFailed("该时段内已有提交的建议，不能删除", field="window")
    audit_record(
        actor=scope.actor,
        action="suggestion.window_delete",
        target=window,
        region_path=body.region.path,
        before={"label": window.label, "starts_on": window.starts_on, "ends_on": window.ends_on},
    )
    window.delete()


# ------------------------------------------------------------------ sweep (scheduled)


@dataclass
class SweepReport:
    overdue: int = 0
    reminded: int = 0
    closed_unrated: int = 0


def suggestions_sweep(*, on: dt.date | None = None) -> SweepReport:
    """Mark overdue suggestions, remind before deadlines, close answers nobody rated in time."""
    day = on or today()
    report = SweepReport()
    newly = Suggestion.objects.filter(state__in=DEADLINE_STATES, due_on__lt=day, is_overdue=False)
    for pk in list(newly.values_list("pk", flat=True)[:5000]):
        with transaction.atomic():
            s = _lock(Suggestion(pk=pk))
            if s.is_overdue or s.due_on is None or s.due_on >= day or s.state not in DEADLINE_STATES:
                continue
            s.is_overdue = True
            s.save(update_fields=["is_overdue", "updated_at"])
            _audit(s, actor=SYSTEM_ACTOR, action="overdue", before=None)
            body = f"代表建议已逾期：{s.number} {s.title}（期限 {s.due_on:%Y-%m-%d}）"
            if s.state in (State.ASSIGNED, State.REHANDLING):
                _tell_units(s, _active_unit_ids(s), body)
            _tell_staff(s, body)
            report.overdue += 1
    soon = day + dt.timedelta(days=int(rule("suggestion.remind_days")))
    due_soon = Suggestion.objects.filter(
        state__in=DEADLINE_STATES, due_on__gte=day, due_on__lte=soon, reminded_at__isnull=True
    )
    for s in due_soon.select_related("region")[:5000]:
        with transaction.atomic():
            if Suggestion.objects.filter(pk=s.pk, reminded_at__isnull=True).update(reminded_at=timezone.now()):
                if s.state == State.ACCEPTED:
                    _tell_staff(s, f"代表建议 {s.number} 即将超过交办期限（{s.due_on:%Y-%m-%d}），请尽快交办")
                else:
                    _tell_units(
                        s, _active_unit_ids(s), f"代表建议 {s.number} 即将到期，请于 {s.due_on:%Y-%m-%d} 前答复代表"
                    )
                report.reminded += 1
    cutoff = timezone.make_aware(dt.datetime.combine(day, dt.time())) - dt.timedelta(
        days=int(rule("suggestion.rating_days"))
    )
    stale = Suggestion.objects.filter(state=State.ANSWERED, answers__created_at__lt=cutoff, answers__round=F("round"))
    for pk in list(stale.values_list("pk", flat=True).distinct()[:5000]):
        with transaction.atomic():
            s = _lock(Suggestion(pk=pk))
            last = Answer.objects.filter(suggestion=s, round=s.round).first()
            if s.state != State.ANSWERED or last is None or last.created_at >= cutoff:
                continue
            before = _snapshot(s)
            s.state = State.CLOSED
            s.outcome = Outcome.UNRATED
            s.closed_at = timezone.now()
            s.save()
            _audit(s, actor=SYSTEM_ACTOR, action="close_unrated", before=before)
            report.closed_unrated += 1
    return report
