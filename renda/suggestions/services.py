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

Every write is one ``suggestion_<verb>(*, scope, suggestion, ...)`` that runs the action skeleton
(core/actions.py): the transition's permission → the suggestion locked → its statistics
contribution noted (figures.py) → the region rule (suggestions/policy.py) → the state rule
(suggestions/states.py) → the role rule (the caller's signature or assignment, policy.py) and the
change → the changed fields saved → the statistics summary and the messages → the audit event,
in one transaction.
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
from renda.core.actions import Records, Step, perform
from renda.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from renda.core.rules import rule
from renda.core.scoping import Perm, Scope
from renda.core.validation import clean_text
from renda.core.workdays import add_months, add_workdays
from renda.notify.models import Channel
from renda.notify.services import notify_send
from renda.opinions import intake as opinion_intake
from renda.opinions.models import Source
from renda.opinions.selectors import opinion_base
from renda.org.models import Body, BodyKind, Category, Deputy, HandlingUnit
from renda.regions.models import RegionLevel
from renda.suggestions import figures, policy
from renda.suggestions.documents import answer_letter_docx
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
from renda.suggestions.states import MACHINE

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


def _track(rows: Sequence[Suggestion]) -> None:
    for s in rows:
        figures.track(s)  # what it counts for in the statistics before this action changes it


SUGGESTIONS: Records[Suggestion] = Records(
    machine=MACHINE,
    queryset=lambda: Suggestion.objects.select_related("region", "body", "lead_deputy", "category", "lead_unit"),
    audit_prefix="suggestion",
    snapshot=_snapshot,
    label=lambda s: f"{s.number or '未编号'} {s.title}"[:200],
    region_path=lambda s: s.region.path,
    authorize=policy.authorize,
    prepare=_track,
    missing="建议不存在或不在您的管辖范围内",
)


def _counted(step: Step[Suggestion]) -> None:
    """The statistics summary follows the change once it is saved, in the same transaction."""
    step.notify(figures.record, step.row)


def _clean(value: str, label: str, fieldname: str, *, max_length: int = MAX_REASON, required: bool = True) -> str:
    return clean_text(value, label=label, field=fieldname, max_length=max_length, required=required)


def _acting_deputy(scope: Scope) -> Deputy:
    if not scope.deputy_ids:
        raise PermissionDenied("只有人大代表本人可以执行此操作")
    deputy = Deputy.objects.filter(pk__in=scope.deputy_ids).order_by("id").first()
    if deputy is None:
        raise PermissionDenied("只有人大代表本人可以执行此操作")
    return deputy


def _eligible(deputy: Deputy, body: Body) -> bool:
    """A deputy of this congress: holds a mandate of its level and lives inside its region."""
    return (
        deputy.is_active
        and deputy.region.path.startswith(body.region.path)
        and deputy.mandates.filter(level=body.level).exists()
    )


def _set_due(step: Step[Suggestion], due: dt.date | None, *, official: bool = True) -> None:
    step.set(step.row, due_on=due, due_official=official, is_overdue=False, reminded_at=None)


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


def suggestion_draft(*, scope: Scope, data: DraftInput) -> Suggestion:
    """A deputy starts a suggestion (草稿); invited co-signers are asked to confirm."""
    scope.require(Perm.SUGGESTION_DRAFT)
    lead = _acting_deputy(scope)
    body = data.body
    if body.kind != BodyKind.CONGRESS:
        raise ValidationFailed("代表建议须向人民代表大会提出", field="body")
    if not scope.covers_path(body.region.path) and not _eligible(lead, body):  # a higher congress of theirs is theirs
        raise NotFound("人民代表大会不存在或不在您的范围内")
    if not _eligible(lead, body):
        raise ValidationFailed(f"您不是{body.name}的代表，不能向其提出建议", field="body")
    cleaned = _clean_draft(data)
    assert data.category is not None
    linked = _check_opinions(scope, data.opinions, body)
    with transaction.atomic():
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

        def change(step: Step[Suggestion]) -> Suggestion:
            _counted(step)
            if invited:
                step.notify(
                    _tell_deputies,
                    step.row,
                    [d.pk for d in invited],
                    f"{lead.name}代表邀请您联名提出建议“{step.row.title}”，请确认或拒绝。",
                )
            step.audit(
                "draft", before=None, cosigners=[d.name for d in invited], opinions=[o.receipt_code for o in linked]
            )
            return step.row

        # The new draft's own event: the deputy's right was checked above (the transition has none).
        return perform(SUGGESTIONS, "draft", scope=scope, pks=[s.pk], change=change)


def suggestion_edit(*, scope: Scope, suggestion: Suggestion, data: DraftInput) -> Suggestion:
    """The lead deputy revises a draft or a suggestion returned for revision."""

    def change(step: Step[Suggestion]) -> Suggestion:
        s = step.row
        policy.signatory(scope, s, lead=True)
        if data.body.pk != s.body_id:
            raise ValidationFailed("不能更改提交的人民代表大会，请另起草建议", field="body")
        cleaned = _clean_draft(data)
        linked = _check_opinions(scope, data.opinions, s.body)
        before = (s.title, s.content, s.problem, s.proposal, s.category_id)
        step.set(s, **cleaned, category=data.category, period=data.period, wide_or_hard=data.wide_or_hard)
        s.opinions.set(linked)
        reconfirm: list[int] = []
        if before != (s.title, s.content, s.problem, s.proposal, s.category_id):
            # Co-signers put their names to the text they read: a changed text asks them again.
            confirmed = Signatory.objects.filter(suggestion=s, is_lead=False, status=SignatoryStatus.CONFIRMED)
            reconfirm = list(confirmed.values_list("deputy_id", flat=True))
            confirmed.update(status=SignatoryStatus.INVITED, responded_at=None, invited_at=timezone.now())
            if reconfirm:
                step.notify(
                    _tell_deputies,
                    s,
                    reconfirm,
                    f"{s.lead_deputy.name}代表修改了建议“{s.title}”，请重新确认是否联名。",
                )
        _counted(step)
        step.audit("edit", title=s.title, reconfirm=len(reconfirm))
        return s

    return perform(SUGGESTIONS, "edit", scope=scope, pks=[suggestion.pk], change=change)


def suggestion_invite(*, scope: Scope, suggestion: Suggestion, deputies: Sequence[Deputy]) -> Suggestion:
    """The lead deputy invites more co-signers (联名)."""

    def change(step: Step[Suggestion]) -> Suggestion:
        s = step.row
        policy.signatory(scope, s, lead=True)
        if not deputies:
            raise ValidationFailed("请选择要邀请的代表", field="cosigners")
        invited = _invite(scope, s, deputies, s.lead_deputy)
        _counted(step)
        step.notify(
            _tell_deputies,
            s,
            [d.pk for d in invited],
            f"{s.lead_deputy.name}代表邀请您联名提出建议“{s.title}”，请确认或拒绝。",
        )
        step.audit("invite", before=None, cosigners=[d.name for d in invited])
        return s

    return perform(SUGGESTIONS, "invite", scope=scope, pks=[suggestion.pk], change=change)


def _respond(scope: Scope, suggestion: Suggestion, *, accept: bool) -> Suggestion:
    name = "cosign" if accept else "decline"

    def change(step: Step[Suggestion]) -> Suggestion:
        s = step.row
        sig = policy.signatory(scope, s, confirmed=False)
        if sig.is_lead:
            raise ValidationFailed("领衔代表无需确认联名", field="status")
        if sig.status != SignatoryStatus.INVITED:
            raise Conflict(f"您已{sig.get_status_display()}，不能重复操作")
        step.set(
            sig,
            status=SignatoryStatus.CONFIRMED if accept else SignatoryStatus.DECLINED,
            responded_at=timezone.now(),
        )
        _counted(step)
        word = "确认联名" if accept else "拒绝联名"
        step.notify(_tell_deputies, s, [s.lead_deputy_id], f"{sig.deputy.name}代表已{word}建议“{s.title}”")
        step.audit(name, before=None, deputy=sig.deputy.name)
        return s

    return perform(SUGGESTIONS, name, scope=scope, pks=[suggestion.pk], change=change)


def suggestion_cosign(*, scope: Scope, suggestion: Suggestion) -> Suggestion:
    """An invited deputy confirms co-signing; only confirmed co-signers count (联名)."""
    return _respond(scope, suggestion, accept=True)


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


def suggestion_submit(*, scope: Scope, suggestion: Suggestion) -> Suggestion:
    """The lead deputy submits it to the congress office. Every invited co-signer must have
    answered; during the session (大会期间) a submission window must be open."""

    def change(step: Step[Suggestion]) -> Suggestion:
        s = step.row
        policy.signatory(scope, s, lead=True)
        pending = list(
            Signatory.objects.filter(suggestion=s, status=SignatoryStatus.INVITED).values_list(
                "deputy__name", flat=True
            )
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
        step.move(State.SUBMITTED)
        step.set(s, window=window, year=today().year, submitted_at=timezone.now(), return_reason="")
        _counted(step)
        step.notify(_tell_staff, s, f"新的代表建议待审查：{s.title}（{s.lead_deputy.name}代表领衔）")
        step.audit("submit", period=s.period)
        return s

    return perform(SUGGESTIONS, "submit", scope=scope, pks=[suggestion.pk], change=change)


def suggestion_withdraw(*, scope: Scope, suggestion: Suggestion, reason: str) -> Suggestion:
    """The lead deputy asks to withdraw. A joint suggestion is withdrawn only once every confirmed
    co-signer has consented (each on their own page); alone, it is withdrawn at once."""

    def change(step: Step[Suggestion]) -> Suggestion:
        s = step.row
        sig = policy.signatory(scope, s, lead=True)
        text = _clean(reason, "撤回理由", "reason")
        if s.withdraw_requested_at is not None:
            raise Conflict("已申请撤回，正在等待联名代表同意")
        now = timezone.now()
        step.set(s, withdraw_requested_at=now, withdraw_reason=text)
        step.set(sig, withdraw_consent_at=now)
        others = list(
            Signatory.objects.filter(suggestion=s, status=SignatoryStatus.CONFIRMED, is_lead=False).values_list(
                "deputy_id", flat=True
            )
        )
        _counted(step)
        if others:
            step.notify(_tell_deputies, s, others, f"领衔代表申请撤回联名建议“{s.title}”（{text}），需要您的同意。")
        step.audit("withdraw_request", before=None, reason=text, waiting=len(others))
        if others:
            return s
        return _withdrawn(step)

    return perform(SUGGESTIONS, "withdraw", scope=scope, pks=[suggestion.pk], change=change)


def suggestion_consent_withdraw(*, scope: Scope, suggestion: Suggestion) -> Suggestion:
    """A confirmed co-signer consents to withdrawing; the last consent withdraws it."""

    def change(step: Step[Suggestion]) -> Suggestion:
        s = step.row
        sig = policy.signatory(scope, s)
        if s.withdraw_requested_at is None:
            raise Conflict("领衔代表尚未申请撤回")
        if sig.withdraw_consent_at is not None:
            raise Conflict("您已同意撤回")
        step.set(sig, withdraw_consent_at=timezone.now())
        _counted(step)
        step.audit("consent_withdraw", before=None, deputy=sig.deputy.name)
        waiting = (
            Signatory.objects.filter(suggestion=s, status=SignatoryStatus.CONFIRMED, withdraw_consent_at__isnull=True)
            .exclude(pk=sig.pk)  # this consent is saved when the action ends
            .count()
        )
        if waiting:
            return s
        return _withdrawn(step)

    return perform(SUGGESTIONS, "consent_withdraw", scope=scope, pks=[suggestion.pk], change=change)


def _withdrawn(step: Step[Suggestion]) -> Suggestion:
    s = step.row
    units = _active_unit_ids(s)
    step.move(State.WITHDRAWN)
    _set_due(step, None)
    step.notify(_tell_signatories, s, f"建议“{s.title}”已撤回")
    if s.submitted_at is not None:
        step.notify(_tell_staff, s, f"代表建议已撤回：{s.number or s.title}")
    if units:
        step.notify(_tell_units, s, units, f"代表建议已由代表撤回，无需继续办理：{s.number} {s.title}")
    step.audit("withdraw", reason=s.withdraw_reason)
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


def suggestion_accept(
    *, scope: Scope, suggestion: Suggestion, wide_or_hard: bool | None = None, note: str = ""
) -> Suggestion:
    """立案: the congress office accepts the suggestion and gives it its number (〔2026〕第12号);
    the assignment deadline starts."""

    def change(step: Step[Suggestion]) -> Suggestion:
        s = step.row
        text = _clean(note, "审查意见", "note", required=False)
        seq = _next_seq(s.body, s.year)
        step.set(s, seq=seq, number=number_label(s.year, seq))
        if wide_or_hard is not None:
            step.set(s, wide_or_hard=wide_or_hard)
        step.move(State.ACCEPTED)
        deadline = add_workdays(today(), body_rule(s.body, "suggestion.assign_workdays"))
        step.set(s, accepted_at=timezone.now(), assign_by=deadline.date)
        _set_due(step, deadline.date, official=deadline.official)
        _counted(step)
        step.notify(_tell_signatories, s, f"您的建议“{s.title}”已立案，编号{s.number}，将交有关单位办理。")
        step.audit("accept", reason=text)
        return s

    return perform(SUGGESTIONS, "accept", scope=scope, pks=[suggestion.pk], change=change)


def suggestion_return(*, scope: Scope, suggestion: Suggestion, reason: str) -> Suggestion:
    """The office returns it to the deputy for revision, saying why."""

    def change(step: Step[Suggestion]) -> Suggestion:
        s = step.row
        text = _clean(reason, "退回理由", "reason")
        step.move(State.RETURNED)
        step.set(s, return_reason=text)
        _counted(step)
        step.notify(_tell_signatories, s, f"您的建议“{s.title}”被退回修改：{text}")
        step.audit("return", reason=text)
        return s

    return perform(SUGGESTIONS, "return", scope=scope, pks=[suggestion.pk], change=change)


def suggestion_convert(*, scope: Scope, suggestion: Suggestion, reason: str) -> Suggestion:
    """转为一般意见: not a suggestion in substance (a single small matter, a personal request); it
    becomes an ordinary opinion in 民意处理, linked both ways."""

    def change(step: Step[Suggestion]) -> Suggestion:
        s = step.row
        text = _clean(reason, "转为一般意见的理由", "reason")
        lead = s.lead_deputy
        region = lead.region if lead.region.path.startswith(s.region.path) else s.region
        if region.level < RegionLevel.TOWNSHIP:
            raise ValidationFailed("找不到事情所在的乡镇/街道，不能转为一般意见", field="reason")
        home = opinion_intake.deputy_home_station(lead)
        same_town = home is not None and region.path.startswith(home.region.path[:9])
        parts = [f"【由代表建议转为一般意见】{s.title}", s.content, s.problem, s.proposal]
        body = "\n".join(p for p in parts if p.strip())[: int(rule("opinion.max_text"))]
        opinion, _ = opinion_intake.opinion_submit(
            scope=scope,
            data=opinion_intake.OpinionInput(
                text=body,
                region=region,
                category=s.category,
                source=Source.VISIT,
                station=home if same_town else None,
                deputy=lead if same_town else None,
                anonymous=True,
            ),
        )
        step.move(State.CONVERTED)
        step.set(s, converted_opinion=opinion, convert_reason=text)
        _set_due(step, None)
        _counted(step)
        step.notify(
            _tell_signatories,
            s,
            f"您的建议“{s.title}”已转为一般意见办理（回执码 {opinion.receipt_code}）。理由：{text}",
        )
        step.audit("convert", reason=text, opinion=opinion.receipt_code)
        return s

    return perform(SUGGESTIONS, "convert", scope=scope, pks=[suggestion.pk], change=change)


def suggestion_assign(
    *, scope: Scope, suggestion: Suggestion, lead_unit: HandlingUnit, co_units: Sequence[HandlingUnit] = ()
) -> Suggestion:
    """交办: one lead unit (主办) and co-units (协办), all inside the suggestion's region. The
    answer deadline is 3 months from today (6 for wide or hard cases, 代表法 §51)."""

    def change(step: Step[Suggestion]) -> Suggestion:
        s = step.row
        co = list(dict.fromkeys(co_units))
        if lead_unit in co:
            raise ValidationFailed("主办单位不能同时作为协办单位", field="co_units")
        if len(co) > MAX_CO_UNITS:
            raise ValidationFailed(f"协办单位最多 {MAX_CO_UNITS} 个", field="co_units")
        for unit, fieldname in [(lead_unit, "lead_unit"), *[(u, "co_units") for u in co]]:
            if not unit.is_active:
                raise ValidationFailed(f"“{unit.name}”已停用", field=fieldname)
            if not unit.region.path.startswith(s.region.path):
                raise ValidationFailed(
                    f"“{unit.name}”不在本建议所属区划（{s.region.name}）内，不能交办", field=fieldname
                )
        day = today()
        months = body_rule(s.body, "suggestion.answer_months_hard" if s.wide_or_hard else "suggestion.answer_months")
        object_by = add_workdays(day, body_rule(s.body, "suggestion.object_workdays")).date
        co_due = add_months(day, body_rule(s.body, "suggestion.co_unit_months"))
        Assignment.objects.create(suggestion=s, unit=lead_unit, role=UnitRole.LEAD, object_by=object_by)
        for unit in co:
            Assignment.objects.create(suggestion=s, unit=unit, role=UnitRole.CO, object_by=object_by, co_due=co_due)
        answer_by = add_months(day, months)
        step.move(State.ASSIGNED)
        step.set(s, lead_unit=lead_unit, assigned_at=timezone.now(), answer_by=answer_by)
        _set_due(step, answer_by)
        _counted(step)
        step.notify(
            _tell_units,
            s,
            [lead_unit.pk],
            f"交办代表建议 {s.number}“{s.title}”（主办），请于 {answer_by:%Y-%m-%d} 前答复代表。",
        )
        if co:
            step.notify(
                _tell_units,
                s,
                [u.pk for u in co],
                f"交办代表建议 {s.number}“{s.title}”（协办），请于 {co_due:%Y-%m-%d} 前向主办单位提出协办意见。",
            )
        step.notify(
            _tell_signatories, s, f"您的建议 {s.number} 已交{lead_unit.name}主办，答复期限 {answer_by:%Y-%m-%d}。"
        )
        step.audit("assign", co_units=[u.name for u in co], answer_by=answer_by)
        return s

    return perform(SUGGESTIONS, "assign", scope=scope, pks=[suggestion.pk], change=change)


def suggestion_mark_key(
    *, scope: Scope, suggestion: Suggestion, is_key: bool, gov_leader: str = "", congress_leader: str = ""
) -> Suggestion:
    """重点建议: led by a government leader (领办) and supervised by a congress leader (督办)."""

    def change(step: Step[Suggestion]) -> Suggestion:
        s = step.row
        gov = _clean(gov_leader, "领办领导", "gov_leader", max_length=100, required=is_key)
        congress = _clean(congress_leader, "督办领导", "congress_leader", max_length=100, required=is_key)
        step.set(s, is_key=is_key, key_gov_leader=gov if is_key else "", key_congress_leader=congress if is_key else "")
        _counted(step)
        if is_key:
            step.notify(
                _tell_units,
                s,
                _active_unit_ids(s),
                f"建议 {s.number} 已确定为重点建议，由{gov}领办、{congress}督办。",
            )
        step.audit(
            "mark_key" if is_key else "unmark_key",
            gov_leader=s.key_gov_leader,
            congress_leader=s.key_congress_leader,
        )
        return s

    return perform(SUGGESTIONS, "mark_key", scope=scope, pks=[suggestion.pk], change=change)


def suggestion_supervise(
    *, scope: Scope, suggestion: Suggestion, kind: str, note: str, on: dt.date | None = None
) -> Supervision:
    """督办 or 代表督事: a supervision note or follow-up visit, on the timeline."""

    def change(step: Step[Suggestion]) -> Supervision:
        s = step.row
        if kind not in SupervisionKind.values:
            raise ValidationFailed("请选择督办方式", field="kind")
        text = _clean(note, "督办情况", "note", max_length=MAX_NOTE)
        day = on or today()
        if day > today():
            raise ValidationFailed("督办日期不能晚于今天", field="on")
        label = getattr(scope.user, "display_name", "") or str(scope.actor)
        item = Supervision.objects.create(
            suggestion=s, kind=kind, happened_on=day, note=text, recorded_by_label=label[:150]
        )
        _counted(step)
        units = _active_unit_ids(s)
        if units and kind == SupervisionKind.SUPERVISE:
            step.notify(_tell_units, s, units, f"人大对建议 {s.number}“{s.title}”进行督办：{text}")
        step.audit(f"supervise_{kind}", before=None, reason=text, on=day)
        return item

    return perform(SUGGESTIONS, "supervise", scope=scope, pks=[suggestion.pk], change=change)


# ------------------------------------------------------------------ 办: the handling units


def suggestion_object(*, scope: Scope, suggestion: Suggestion, reason: str) -> Suggestion:
    """A unit that was wrongly assigned says so within the objection period; the suggestion goes
    back to the congress office for reassignment."""

    def change(step: Step[Suggestion]) -> Suggestion:
        s = step.row
        a = policy.assignment(scope, s)
        text = _clean(reason, "异议理由", "reason")
        if today() > a.object_by:
            raise ValidationFailed(
                f"已超过提出异议的期限（{a.object_by:%Y-%m-%d}），请按交办办理或与人大办公室联系", field="reason"
            )
        step.set(a, objected_at=timezone.now(), object_reason=text)
        units = _active_unit_ids(s)
        Assignment.objects.filter(suggestion=s, active=True).update(active=False, updated_at=timezone.now())
        deadline = add_workdays(today(), body_rule(s.body, "suggestion.assign_workdays"))
        step.move(State.ACCEPTED)
        step.set(s, lead_unit=None, assign_by=deadline.date, answer_by=None)
        _set_due(step, deadline.date, official=deadline.official)
        _counted(step)
        step.notify(_tell_staff, s, f"{a.unit.name}对建议 {s.number} 的交办提出异议，需重新交办：{text}")
        step.notify(_tell_units, s, [u for u in units if u != a.unit_id], f"建议 {s.number} 将重新交办，请暂停办理。")
        step.audit("object", reason=text, unit=a.unit.name)
        return s

    return perform(SUGGESTIONS, "object", scope=scope, pks=[suggestion.pk], change=change)


def suggestion_co_opinion(*, scope: Scope, suggestion: Suggestion, text: str) -> Assignment:
    """A co-unit sends its opinion to the lead unit (within the co-unit period)."""

    def change(step: Step[Suggestion]) -> Assignment:
        s = step.row
        a = policy.assignment(scope, s, lead=False)
        body = _clean(text, "协办意见", "text", max_length=MAX_ANSWER)
        if len(body) < 5:
            raise ValidationFailed("协办意见太短（至少 5 个字）", field="text")
        step.set(a, co_opinion=body, co_opinion_at=timezone.now())
        late = a.co_due is not None and today() > a.co_due
        _counted(step)
        if s.lead_unit_id:
            step.notify(_tell_units, s, [s.lead_unit_id], f"{a.unit.name}已提交对建议 {s.number} 的协办意见")
        step.audit("co_opinion", before=None, reason=body[:200], unit=a.unit.name, late=late)
        return a

    return perform(SUGGESTIONS, "co_opinion", scope=scope, pks=[suggestion.pk], change=change)


def suggestion_contact(
    *, scope: Scope, suggestion: Suggestion, contacted_on: dt.date | None, way: str, note: str
) -> Contact:
    """联系代表: the lead unit records how it talked with the deputy before answering."""

    def change(step: Step[Suggestion]) -> Contact:
        s = step.row
        a = policy.assignment(scope, s, lead=True)
        if contacted_on is None:
            raise ValidationFailed("请填写联系日期", field="contacted_on")
        if contacted_on > today():
            raise ValidationFailed("联系日期不能晚于今天", field="contacted_on")
        if s.assigned_at is not None and contacted_on < timezone.localtime(s.assigned_at).date():
            raise ValidationFailed("联系日期不能早于交办日期", field="contacted_on")
        if way not in ContactWay.values:
            raise ValidationFailed("请选择联系方式", field="way")
        text = _clean(note, "沟通情况", "note", max_length=MAX_NOTE)
        contact = Contact.objects.create(
            suggestion=s, unit=a.unit, round=s.round, contacted_on=contacted_on, way=way, note=text
        )
        _counted(step)
        step.audit("contact", before=None, reason=text[:200], way=ContactWay(way).label, on=contacted_on)
        return contact

    return perform(SUGGESTIONS, "contact", scope=scope, pks=[suggestion.pk], change=change)


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

    def change(step: Step[Suggestion]) -> Answer:
        s = step.row
        a = policy.assignment(scope, s, lead=True)
        classes = dict(answer_classes())
        if not answer_class:
            raise ValidationFailed("请选择答复类别", field="answer_class")
        if answer_class not in classes:
            raise ValidationFailed(f"答复类别应为 {'、'.join(classes)} 之一", field="answer_class")
        body = _clean(text, "答复内容", "text", max_length=MAX_ANSWER)
        if len(body) < 10:
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
            text=body,
            answered_by=scope.user,
            answered_by_label=label,
            letter_uploaded=uploaded is not None,
        )
        content = uploaded or answer_letter_docx(
            suggestion=s, unit=a.unit, answer_class=answer_class, text=body, on=today()
        )
        answer.letter.save(
            f"{s.number or s.pk}-r{s.round}.docx".replace("〔", "").replace("〕", "-"),
            ContentFile(content),
            save=False,
        )
        answer.save()
        if s.answered_at is None:
            step.set(s, answered_at=now, answered_on_time=s.answer_by is None or today() <= s.answer_by)
            if s.assigned_at is not None:
                step.set(s, answer_days=max(0, (today() - timezone.localtime(s.assigned_at).date()).days))
        step.set(s, answer_class=answer_class, promise_open=answer_class in PROMISE_CLASSES, promise_done_at=None)
        step.move(State.ANSWERED)
        _set_due(step, None)
        _counted(step)
        step.notify(
            _tell_signatories,
            s,
            f"您的建议 {s.number}“{s.title}”已由{a.unit.name}答复（{answer.class_label}），请登录查看并评价。",
            sms=True,
        )
        step.notify(_tell_staff, s, f"建议 {s.number} 已答复（{answer.class_label}）")
        step.audit("answer", unit=a.unit.name, answer_round=answer.round)
        return answer

    return perform(SUGGESTIONS, "answer", scope=scope, pks=[suggestion.pk], change=change)


def suggestion_promise_done(*, scope: Scope, suggestion: Suggestion, note: str) -> Suggestion:
    """承诺事项: the lead unit reports a B/C promise carried out; it leaves the follow-up list."""

    def change(step: Step[Suggestion]) -> Suggestion:
        s = step.row
        policy.lead_unit(scope, s)
        text = _clean(note, "落实情况", "note", max_length=MAX_NOTE)
        if not s.promise_open:
            raise Conflict("该建议没有待落实的承诺事项")
        step.set(s, promise_open=False, promise_done_at=timezone.now())
        _counted(step)
        step.notify(_tell_signatories, s, f"建议 {s.number}“{s.title}”答复中承诺的事项已落实：{text}")
        step.audit("promise_done", reason=text)
        return s

    return perform(SUGGESTIONS, "promise_done", scope=scope, pks=[suggestion.pk], change=change)


# ------------------------------------------------------------------ 评: the deputy's rating


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

    def change(step: Step[Suggestion]) -> RatingRecord:
        s = step.row
        sig = policy.signatory(scope, s)
        if attitude not in Rating.values:
            raise ValidationFailed("请评价办理态度：满意、基本满意或不满意", field="attitude")
        if result not in Rating.values:
            raise ValidationFailed("请评价办理结果：满意、基本满意或不满意", field="result")
        text = _clean(comment, "评价意见", "comment", required=False)
        unsatisfied = Rating.UNSATISFIED in (attitude, result)
        if unsatisfied and not text:
            raise ValidationFailed("选择“不满意”时请写明理由，便于重新办理", field="comment")
        if RatingRecord.objects.filter(suggestion=s, round=s.round).exists():
            raise Conflict("本轮答复已经评价过了，不能重复评价")
        try:
            with transaction.atomic():
                record = RatingRecord.objects.create(
                    suggestion=s, round=s.round, deputy=sig.deputy, attitude=attitude, result=result, comment=text
                )
        except IntegrityError:
            raise Conflict("本轮答复已经评价过了，不能重复评价") from None
        if publish is not None and sig.is_lead:
            step.set(s, publish_consent=publish)
        if unsatisfied and s.round == 1:
            reanswer_by = add_months(today(), body_rule(s.body, "suggestion.reanswer_months"))
            step.set(s, round=2, reanswer_by=reanswer_by)
            step.move(State.REHANDLING)
            _set_due(step, reanswer_by)
            action = "rehandle"
        else:
            step.move(State.CLOSED)
            step.set(s, outcome=result, closed_at=timezone.now())
            action = "close"
        _counted(step)
        if action == "rehandle" and s.lead_unit_id:
            step.notify(
                _tell_units,
                s,
                _active_unit_ids(s),
                f"代表对建议 {s.number} 的答复不满意，请重新办理，并于 {s.reanswer_by:%Y-%m-%d} 前再次答复。理由：{text}",
            )
            step.notify(_tell_staff, s, f"代表对建议 {s.number} 的答复不满意，已退回重新办理")
        step.audit(
            action,
            reason=text,
            attitude=Rating(attitude).label,
            result=Rating(result).label,
        )
        return record

    return perform(SUGGESTIONS, "rate", scope=scope, pks=[suggestion.pk], change=change)


def suggestion_publish(*, scope: Scope, suggestion: Suggestion, publish: bool) -> Suggestion:
    """The lead deputy agrees (or no longer agrees) to publish the answer on the public page."""

    def change(step: Step[Suggestion]) -> Suggestion:
        s = step.row
        policy.signatory(scope, s, lead=True)
        step.set(s, publish_consent=publish)
        _counted(step)
        step.audit("publish" if publish else "unpublish")
        return s

    return perform(SUGGESTIONS, "publish", scope=scope, pks=[suggestion.pk], change=change)


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


def _mark_overdue(pk: int, day: dt.date) -> bool:
    def change(step: Step[Suggestion]) -> bool:
        s = step.row
        if s.is_overdue or s.due_on is None or s.due_on >= day:
            return False
        step.set(s, is_overdue=True)
        _counted(step)
        body = f"代表建议已逾期：{s.number} {s.title}（期限 {s.due_on:%Y-%m-%d}）"
        if s.state in (State.ASSIGNED, State.REHANDLING):
            step.notify(_tell_units, s, _active_unit_ids(s), body)
        step.notify(_tell_staff, s, body)
        step.audit("overdue", before=None)
        return True

    try:
        return perform(SUGGESTIONS, "overdue", scope=None, pks=[pk], actor=SYSTEM_ACTOR, change=change)
    except Conflict:  # it left the deadline states since the query
        return False


def _close_unrated(pk: int, cutoff: dt.datetime) -> bool:
    def change(step: Step[Suggestion]) -> bool:
        s = step.row
        last = Answer.objects.filter(suggestion=s, round=s.round).first()
        if last is None or last.created_at >= cutoff:
            return False
        step.move(State.CLOSED)
        step.set(s, outcome=Outcome.UNRATED, closed_at=timezone.now())
        _counted(step)
        step.audit("close_unrated")
        return True

    try:
        return perform(SUGGESTIONS, "close_unrated", scope=None, pks=[pk], actor=SYSTEM_ACTOR, change=change)
    except Conflict:  # rated (or withdrawn) since the query
        return False


def suggestions_sweep(*, on: dt.date | None = None) -> SweepReport:
    """Mark overdue suggestions, remind before deadlines, close answers nobody rated in time."""
    day = on or today()
    report = SweepReport()
    newly = Suggestion.objects.filter(state__in=DEADLINE_STATES, due_on__lt=day, is_overdue=False)
    for pk in list(newly.values_list("pk", flat=True)[:5000]):
        if _mark_overdue(pk, day):
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
        if _close_unrated(pk, cutoff):
            report.closed_unrated += 1
    return report
