"""The life of a citizen opinion (意见建议) after it was filed (opinions/intake.py files it).

triage by the township (answer directly, route to a handling unit with a working-day deadline,
refer to deputies, merge a duplicate) → the unit accepts or returns it → answers → the citizen
rates it; 不满意 reopens it once, a second 不满意 escalates it to the presidium; no rating within
the configured days closes it as 未评价. A sweep marks overdue cases and reminds before deadlines.

Every write is one ``opinion_<verb>(*, scope, opinion, ...)`` that runs the action skeleton
(core/actions.py): the transition's permission → the case locked (with any other case it needs,
in primary-key order) → its pending after-submit work finished → scope and unit rules
(opinions/policy.py) → the state rule (opinions/states.py) → the change → the changed fields
saved → messages → the audit event, in one transaction.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from renda.accounts.selectors import deputy_users, staff_users, unit_users
from renda.core.actions import Records, Step, perform
from renda.core.errors import Conflict, NotFound, ValidationFailed
from renda.core.files import clean_document
from renda.core.queue import run_after_commit
from renda.core.ratelimit import Limit, check_rates
from renda.core.rules import rule, rule_in
from renda.core.scoping import Scope
from renda.core.validation import clean_phone, clean_text, mask_phone
from renda.core.workdays import Deadline, add_workdays
from renda.notify.models import Channel
from renda.notify.services import notify_send
from renda.opinions import policy
from renda.opinions.intake import complete_pending, opinions_intake_process, public_link, today
from renda.opinions.models import (
    Answer,
    AnswerKind,
    AnswerStatus,
    Extension,
    ExtensionState,
    Follower,
    Opinion,
    Outcome,
    Rating,
    RatingRecord,
    State,
    WebhookDelivery,
)
from renda.opinions.routing import NOT_FOR_OPINIONS
from renda.opinions.states import FOLLOWABLE, MACHINE
from renda.org.models import Deputy, HandlingUnit

MAX_ANSWER = 5000
MAX_REASON = 500
MAX_ATTACHMENT = 10 * 1024 * 1024
SWEEP_ACTOR = "系统（定时检查）"
FOLLOWS_PER_PHONE_DAY = 5  # 附议 texts the phone: a phone follows a handful of cases a day at most

OPINIONS: Records[Opinion] = Records(
    machine=MACHINE,
    queryset=lambda: Opinion.objects.select_related("region", "unit", "category"),
    audit_prefix="opinion",
    snapshot=Opinion.audit_snapshot,
    label=lambda o: f"{o.receipt_code} {o.title}",
    region_path=lambda o: o.region.path,
    authorize=policy.authorize,
    prepare=complete_pending,  # the submit event precedes every later event of the case
    missing="意见不存在或不在您的管辖范围内",
)


def _tell(users: Iterable[Any], opinion: Opinion, body: str) -> None:
    """An inbox message about the case, linking to it, for each of ``users``."""
    link = reverse("opinions:detail", args=[opinion.pk])
    for user in users:
        notify_send(channel=Channel.IN_APP, to_user=user, body=body, link=link, target=opinion)


def _tell_staff(opinion: Opinion, body: str) -> None:
    _tell(staff_users(opinion.region), opinion, body)


def _tell_unit(opinion: Opinion, body: str, *, unit: HandlingUnit | None = None) -> None:
    """The users of the case's unit (or of ``unit``, one it has just left)."""
    unit = unit or opinion.unit
    if unit is not None:
        _tell(unit_users(unit), opinion, body)


def _tell_answered(opinion: Opinion) -> None:
    """The answer, by SMS, to the citizen and everyone following the case. A receipt code is a
    credential: each person gets only their own (a merged case's citizen the code of the case
    they filed), a follower by phone none; and no SMS quotes what a citizen wrote, so the
    platform cannot be used to relay someone's text to a phone."""
    track = public_link(reverse("public:track"))
    sent: set[str] = set()

    def send(phone: str, body: str) -> None:
        if phone and phone not in sent:
            sent.add(phone)
            notify_send(channel=Channel.SMS, to_address=phone, body=body, target=opinion)

    send(opinion.citizen_phone, f"您反映的问题已答复，请凭回执码 {opinion.receipt_code} 查看并评价：{track}")
    for follower in (
        opinion.followers.exclude(phone="").filter(confirmed_at__isnull=False).select_related("from_opinion")
    ):
        if follower.from_opinion is not None:
            code = follower.from_opinion.receipt_code
            send(follower.phone, f"您反映的问题（回执码 {code}）已答复（与同类问题一并办理），请凭回执码查看：{track}")
        else:
            send(follower.phone, "您附议的问题已答复，感谢关注。")


def _queue_webhook(opinion: Opinion, event: str) -> None:
    """The case for the county's governance platform (基层治理四平台): an outbox row, posted
    after commit by ``opinions.deliver_webhook`` (opinions/governance.py)."""
    if not settings.GOVERNANCE_WEBHOOK_URL:
        return
    payload = {
        "event": event,
        "receipt_code": opinion.receipt_code,
        "region_code": opinion.region.code,
        "category": opinion.category.name,
        "title": opinion.title,
        "text": opinion.text,
        "unit": opinion.unit.name if opinion.unit else None,
        "deadline": opinion.deadline.isoformat() if opinion.deadline else None,
    }
    delivery = WebhookDelivery.objects.create(opinion=opinion, event=event, payload=payload)
    run_after_commit("opinions.deliver_webhook", delivery.pk)


def _clean_reason(text: str, *, label: str, required: bool = True, max_length: int = MAX_REASON) -> str:
    return clean_text(text, label=label, field="reason", max_length=max_length, required=required)


def _answer(
    step: Step[Opinion],
    *,
    kind: str,
    text: str,
    unit: HandlingUnit | None,
    attachment: UploadedFile[bytes] | None = None,
    actor_label: str = "",
) -> Opinion:
    """An answer to the citizen (and their followers), who may then rate it. Where the township
    reviews answers (答复审核, ``rule_in("opinion.answer_review")``) a unit's answer waits for it."""
    opinion = step.row
    held = kind == AnswerKind.UNIT and bool(rule_in("opinion.answer_review", opinion.region.path))
    answer = _record_answer(
        step,
        kind=kind,
        text=text,
        unit=unit,
        attachment=attachment,
        actor_label=actor_label,
        status=AnswerStatus.PENDING if held else AnswerStatus.PUBLISHED,
    )
    if held:
        step.move(State.REVIEW)
        step.notify(_tell_staff, opinion, f"承办单位已答复，请审核后告知群众：{opinion.title}")
        step.audit("answer_for_review", kind=kind, round=answer.round)
        return opinion
    return _publish(step, answer, actor_label=actor_label)


def _record_answer(
    step: Step[Opinion],
    *,
    kind: str,
    text: str,
    unit: HandlingUnit | None,
    attachment: UploadedFile[bytes] | None = None,
    actor_label: str = "",
    status: str = AnswerStatus.PUBLISHED,
) -> Answer:
    opinion, scope = step.row, step.scope
    text = clean_text(text, label="答复内容", field="text", max_length=MAX_ANSWER)
    if len(text) < 5:
        raise ValidationFailed("答复内容太短，请写明办理结果（至少 5 个字）", field="text")
    if attachment is not None:
        clean_document(attachment, field="attachment", label="附件", max_bytes=MAX_ATTACHMENT)
    user = scope.user if scope is not None else None
    label = actor_label or (
        str(user) if user is not None else (scope.system_label if scope is not None else "") or "系统"
    )
    return Answer.objects.create(
        opinion=opinion,
        kind=kind,
        status=status,
        unit=unit,
        text=text,
        attachment=attachment or "",
        round=opinion.reopen_count + 1,
        answered_by=user,
        answered_by_label=(
            f"{unit.name} {label}" if unit and kind == AnswerKind.UNIT and unit.name not in label else label
        ),
    )


def _publish(step: Step[Opinion], answer: Answer, *, actor_label: str = "", **extra: Any) -> Opinion:
    """The answer reaches the citizen: the case waits for their rating."""
    opinion, scope = step.row, step.scope
    step.move(State.ANSWERED)
    step.set(opinion, answered_at=timezone.now(), deadline=None, is_overdue=False)
    step.notify(_tell_answered, opinion)
    if opinion.unit_id and answer.kind != AnswerKind.PLATFORM:
        step.notify(_queue_webhook, opinion, "answered")  # the platform's own answer is not echoed back
    actor = scope.actor if scope is not None else (actor_label or "系统")
    step.audit("answer", actor=actor, kind=answer.kind, round=answer.round, **extra)
    return opinion


def _rated_answer_kind(case: Opinion) -> str | None:
    """The kind of the answer a rating is about: the last one the citizen was given."""
    return (
        case.answers.filter(status=AnswerStatus.PUBLISHED)
        .exclude(kind=AnswerKind.INTERIM)
        .order_by("-id")
        .values_list("kind", flat=True)
        .first()
    )


# ------------------------------------------------------------------ citizens (附议, 评价)


def opinion_follow(*, opinion: Opinion, phone: str, name: str = "", client_ip: str = "") -> Follower:
    """附议: a citizen with the same problem follows an open case instead of filing a new one."""
    phone = clean_phone(phone, label="手机", field="phone", required=True)
    name = clean_text(name, label="姓名", field="name", max_length=50, required=False)
    check_rates(
        [
            Limit("follow-ip", client_ip, int(rule("opinion.rate_per_ip_hour")), 3600, "操作过于频繁，请稍后再试"),
            # every endpoint that texts a phone limits that phone, wherever the requests come from
            Limit("follow-phone", phone, FOLLOWS_PER_PHONE_DAY, 86400, "该手机号今日附议次数已达上限，请明天再试"),
        ]
    )

    def change(step: Step[Opinion]) -> Follower:
        case = step.row
        if case.citizen_phone == phone or case.followers.filter(phone=phone).exists():
            raise Conflict("您已经在关注这件事，答复后会短信通知您")
        code = f"{secrets.randbelow(10**6):06d}"
        follower = Follower.objects.create(
            opinion=case, phone=phone, name=name, confirm_hash=_confirm_hash(phone, code)
        )
        step.notify(
            notify_send,
            channel=Channel.SMS,
            to_address=phone,
            target=case,
            # no receipt code (a credential), no citizen's text; nothing more until the code is typed
            body=f"验证码 {code}：在页面输入后确认关注（附议），答复后短信通知您。如非本人操作请忽略。",
        )
        step.audit("follow", before=None, followers=case.followers.count())
        return follower

    return perform(
        OPINIONS, "follow", scope=None, pks=[opinion.pk], actor=f"群众（{mask_phone(phone)}）", change=change
    )


CONFIRM_ATTEMPTS = 5


def _confirm_hash(phone: str, code: str) -> str:
    return salted_hmac("renda.opinions.follow-confirm", f"{phone}|{code}").hexdigest()


def opinion_follow_confirm(*, opinion: Opinion, phone: str, code: str) -> Follower:
    """The follower types the code texted to the phone they gave: from now on that phone hears
    about the case. Five wrong codes and the follow must be started again."""
    phone = clean_phone(phone, label="手机", field="phone", required=True)
    code = str(code).strip()
    follower = Follower.objects.filter(opinion=opinion, phone=phone, from_opinion__isnull=True).first()
    if follower is None:
        raise NotFound("没有找到这个手机号的附议，请先点“我也反映这件事”")
    if follower.confirmed_at is not None:
        return follower
    if follower.confirm_attempts >= CONFIRM_ATTEMPTS:
        raise Conflict("验证码输错次数过多，请明天重新附议")
    ok = len(code) == 6 and code.isdigit() and constant_time_compare(_confirm_hash(phone, code), follower.confirm_hash)
    if not ok:
        Follower.objects.filter(pk=follower.pk).update(confirm_attempts=F("confirm_attempts") + 1)
        raise ValidationFailed("验证码不正确，请核对短信中的 6 位数字", field="code")
    Follower.objects.filter(pk=follower.pk, confirmed_at__isnull=True).update(
        confirmed_at=timezone.now(), confirm_hash=""
    )
    follower.refresh_from_db()
    return follower


def opinion_rate(*, opinion: Opinion, value: str, comment: str = "") -> Opinion:
    """The citizen (already verified by receipt code + phone digits) rates the answer.

    满意/基本满意 close the case. 不满意 reopens it once (same unit, new deadline); a second
    不满意 escalates it to the presidium; after an escalated answer any rating closes it.
    """

    def change(step: Step[Opinion]) -> Opinion:
        case = step.row
        if value not in Rating.values:
            raise ValidationFailed("请选择满意、基本满意或不满意", field="value")
        note = clean_text(comment, label="评价意见", field="comment", max_length=500, required=False)
        if value == Rating.UNSATISFIED and not note:
            raise ValidationFailed("选择“不满意”时请写明原因，便于重新办理", field="comment")
        round_no = case.reopen_count + 1
        try:
            with transaction.atomic():
                RatingRecord.objects.create(opinion=case, round=round_no, value=value, comment=note)
        except IntegrityError:
            raise Conflict("本轮答复已经评价过了") from None
        last_kind = _rated_answer_kind(case)
        if value != Rating.UNSATISFIED or last_kind == AnswerKind.ESCALATED:
            step.move(State.CLOSED)
            step.set(case, outcome=value, closed_at=timezone.now())
            action = "close"
        elif case.reopen_count == 0:
            # Back with the unit: the unit's answer period; back at the township: its own period.
            days = int(rule("opinion.route_workdays" if case.unit_id else "opinion.direct_answer_workdays"))
            deadline = add_workdays(today(), days)
            step.set(case, reopen_count=1, deadline=deadline.date, deadline_official=deadline.official)
            if not case.unit_id:
                step.set(case, triage_due=add_workdays(today(), int(rule("opinion.triage_workdays"))).date)
            step.move(State.IN_PROGRESS if case.unit_id else State.SUBMITTED)
            action = "reopen"
            if case.unit_id:
                step.notify(_tell_unit, case, f"群众对答复不满意，意见已退回重新办理：{case.title}。原因：{note}")
            else:
                step.notify(_tell_staff, case, f"群众对答复不满意，意见重新办理：{case.title}。原因：{note}")
        else:
            deadline = add_workdays(today(), int(rule("opinion.route_workdays")))
            step.set(
                case, reopen_count=case.reopen_count + 1, deadline=deadline.date, deadline_official=deadline.official
            )
            step.move(State.ESCALATED)
            action = "escalate"
            step.notify(_tell_staff, case, f"群众第二次不满意，意见已提级由主席团/工委督办：{case.title}")
        step.set(case, is_overdue=False)
        step.audit(action, reason=note, rating=value)
        return case

    return perform(OPINIONS, "rate", scope=None, pks=[opinion.pk], actor=opinion.citizen_label, change=change)


# ------------------------------------------------------------------ triage (分级分类)


def opinion_answer_directly(*, scope: Scope, opinion: Opinion, text: str) -> Opinion:
    """The township answers a small matter itself."""
    return perform(
        OPINIONS,
        "answer_directly",
        scope=scope,
        pks=[opinion.pk],
        change=lambda step: _answer(step, kind=AnswerKind.DIRECT, text=text, unit=None),
    )


STANDARD_REFERRAL = (
    "您反映的问题涉及政策调整，已转交人大代表，作为代表建议的素材向有关部门提出。建议办理结果将另行告知。"
)
MAX_REFERRED = 10


def opinion_refer(*, scope: Scope, opinion: Opinion, deputies: Sequence[Deputy], text: str = "") -> Opinion:
    """转代表: a matter that needs a policy change goes to the deputies chosen, as material for a
    suggestion. The citizen is told (a 阶段性答复, not an answer to rate); the case is rated once
    the township tells them what became of it (``opinion_referral_answer``)."""

    def change(step: Step[Opinion]) -> Opinion:
        case = step.row
        chosen = _referral_deputies(case, deputies)
        message = clean_text(text, label="告知群众的内容", field="text", max_length=MAX_ANSWER, required=False)
        _record_answer(step, kind=AnswerKind.INTERIM, text=message or STANDARD_REFERRAL, unit=None)
        step.move(State.REFERRED)
        step.set(case, referred_to_deputies=True, deadline=None, is_overdue=False)
        case.referred_deputies.set(chosen)
        step.notify(_tell_referred, case, chosen)
        step.notify(_tell_interim, case)
        step.audit("refer", deputies=[d.name for d in chosen])
        return case

    return perform(OPINIONS, "refer", scope=scope, pks=[opinion.pk], change=change)


def _referral_deputies(case: Opinion, deputies: Sequence[Deputy]) -> list[Deputy]:
    chosen = list({d.pk: d for d in deputies}.values())
    if not chosen:
        raise ValidationFailed("请选择转交的代表", field="deputies")
    if len(chosen) > MAX_REFERRED:
        raise ValidationFailed(f"一次最多转交 {MAX_REFERRED} 位代表", field="deputies")
    county = case.region.path[:6]
    for deputy in chosen:
        if not (deputy.is_active and deputy.region.path.startswith(county)):
            raise ValidationFailed(f"“{deputy.name}”不是本地在任代表", field="deputies")
    return chosen


def _tell_referred(opinion: Opinion, deputies: Sequence[Deputy]) -> None:
    _tell(deputy_users(deputies), opinion, f"群众意见转交您作为代表建议的素材：{opinion.title}")


def _tell_interim(opinion: Opinion) -> None:
    """A 阶段性答复 by SMS: only that there is one (the text stays on the tracking page)."""
    if opinion.citizen_phone:
        track = public_link(reverse("public:track"))
        notify_send(
            channel=Channel.SMS,
            to_address=opinion.citizen_phone,
            target=opinion,
            body=f"您反映的问题（回执码 {opinion.receipt_code}）有阶段性答复，请凭回执码查看：{track}",
        )


def opinion_referral_answer(*, scope: Scope, opinion: Opinion, text: str) -> Opinion:
    """The township tells the citizen what became of a referred case (the deputies' suggestion
    and its answer): this is the answer the citizen rates."""
    return perform(
        OPINIONS,
        "referral_answer",
        scope=scope,
        pks=[opinion.pk],
        change=lambda step: _publish(step, _record_answer(step, kind=AnswerKind.REFERRAL, text=text, unit=None)),
    )


def opinion_merge(*, scope: Scope, opinion: Opinion, into: Opinion, reason: str) -> Opinion:
    """Merge a duplicate into an open case; its citizen follows that case from now on.

    Both cases are locked in primary-key order (two crossing merges cannot deadlock), before
    either's pending after-submit work takes the audit chain head."""

    def change(step: Step[Opinion]) -> Opinion:
        case, target = step.row, step.rows[into.pk]
        note = _clean_reason(reason, label="合并理由")
        if target.pk == case.pk or target.merged_into_id == case.pk:
            raise ValidationFailed("不能合并到自身", field="into")
        if step.scope is not None and not step.scope.covers_path(target.region.path):
            raise NotFound("目标意见不存在或不在您的管辖范围内")
        if target.state not in FOLLOWABLE:
            raise ValidationFailed(
                f"目标意见“{target.receipt_code}”已{target.get_state_display()}，只能合并到尚在办理的意见",
                field="into",
            )
        step.move(State.MERGED)
        step.set(case, merged_into=target, deadline=None, is_overdue=False)
        # The merged case's citizen follows the target (a case is merged once: the state rule).
        already_told = case.citizen_phone in (target.citizen_phone, *target.followers.values_list("phone", flat=True))
        Follower.objects.create(
            from_opinion=case,
            opinion=target,
            name=case.citizen_name,
            phone="" if already_told else case.citizen_phone,
            confirmed_at=timezone.now(),  # their own phone, given with their own case
        )
        if case.citizen_phone:
            step.notify(
                notify_send,
                channel=Channel.SMS,
                to_address=case.citizen_phone,
                target=case,
                body=f"您反映的问题（回执码 {case.receipt_code}）与已受理的同类问题合并办理，答复后将通知您，仍可凭此回执码查询。",
            )
        step.audit("merge", reason=note, merged_into=target.receipt_code)
        step.audit("absorb", record=target, before=None, reason=note, absorbed=case.receipt_code)
        return case

    return perform(OPINIONS, "merge", scope=scope, pks=[opinion.pk, into.pk], change=change)


def _routing_days(case: Opinion, unit: HandlingUnit, workdays: int | None) -> int | None:
    """The working days a unit is given (None: by the rule), once the unit is one this case may go to."""
    if not unit.is_active:
        raise ValidationFailed(f"“{unit.name}”已停用", field="unit")
    if unit.kind in NOT_FOR_OPINIONS:
        raise ValidationFailed(f"“{unit.name}”不承办群众意见，请选择政府部门或站所", field="unit")
    township = case.region.path[:9]
    if not (case.region.path.startswith(unit.region.path) or unit.region.path.startswith(township)):
        raise ValidationFailed("承办单位须是本乡镇/街道或其上级（县、市）的单位", field="unit")
    if workdays is not None and not 1 <= workdays <= 60:
        raise ValidationFailed("办理期限应为 1 至 60 个工作日", field="workdays")
    return workdays


def _hand_to(step: Step[Opinion], unit: HandlingUnit, workdays: int | None) -> tuple[dt.date, dt.date | None]:
    """The case goes to ``unit`` (交办 and 改派) and the unit answers by the 答复期限.

    Without a number of days the unit gets at least the rule's period and never less than the
    promise; a number the staff chose counts from today. A 答复期限 that moves later than the
    citizen was told is texted to them and said on their tracking page (never silently): the
    second value is the earlier promise then, for the caller's ``_audit_moved`` after its own event."""
    case = step.row
    promised = case.deadline
    if workdays is None:
        due = add_workdays(today(), int(rule("opinion.route_workdays")))
        if promised is not None and promised >= due.date:
            due = Deadline(promised, case.deadline_official)
    else:
        due = add_workdays(today(), workdays)
    step.move(State.ROUTED)
    step.set(case, unit=unit, deadline=due.date, deadline_official=due.official, is_overdue=False, reminded_at=None)
    if promised is not None and due.date > promised:
        step.notify(_tell_deadline_moved, case, promised)
        return due.date, promised
    return due.date, None


def _audit_moved(step: Step[Opinion], promised: dt.date | None, reason: str = "") -> None:
    if promised is not None:
        step.audit("deadline_moved", before=None, reason=reason, deadline_from=promised, deadline_to=step.row.deadline)


def _tell_deadline_moved(opinion: Opinion, promised: dt.date) -> None:
    """The citizen hears that the 答复期限 they were given is now later (by SMS, with their own code)."""
    if opinion.citizen_phone:
        notify_send(
            channel=Channel.SMS,
            to_address=opinion.citizen_phone,
            target=opinion,
            body=(
                f"您反映的问题（回执码 {opinion.receipt_code}）答复期限由 {promised:%m月%d日} 调整为 "
                f"{opinion.deadline:%m月%d日}，可凭回执码查询办理进度。"
            ),
        )


def opinion_route(
    *, scope: Scope, opinion: Opinion, unit: HandlingUnit, workdays: int | None = None, note: str = ""
) -> Opinion:
    """分流: hand a small matter to a handling unit with a working-day deadline."""

    def change(step: Step[Opinion]) -> Opinion:
        case = step.row
        days = _routing_days(case, unit, workdays)
        text = _clean_reason(note, label="交办说明", required=False)
        due, moved = _hand_to(step, unit, days)
        step.notify(_tell_unit, case, f"新交办意见：{case.title}，请于 {due:%Y-%m-%d} 前答复")
        step.notify(_queue_webhook, case, "routed")
        step.audit("route", reason=text, workdays=days)
        _audit_moved(step, moved, f"交办{unit.name}")
        return case

    return perform(OPINIONS, "route", scope=scope, pks=[opinion.pk], change=change)


def opinion_reassign(
    *, scope: Scope, opinion: Opinion, unit: HandlingUnit, reason: str, workdays: int | None = None
) -> Opinion:
    """改派: the township moves a routed case to another unit, with a new deadline; both units
    are told, and the new one must accept it again."""

    def change(step: Step[Opinion]) -> Opinion:
        case, before = step.row, step.row.unit
        if unit.pk == case.unit_id:
            raise ValidationFailed("请选择另一个承办单位", field="unit")
        days = _routing_days(case, unit, workdays)
        text = _clean_reason(reason, label="改派理由")
        if before is not None:
            step.notify(_tell_unit, case, f"意见已改派给{unit.name}，贵单位不再承办：{case.title}", unit=before)
        due, moved = _hand_to(step, unit, days)
        step.notify(_tell_unit, case, f"新交办意见（改派）：{case.title}，请于 {due:%Y-%m-%d} 前答复")
        step.notify(_queue_webhook, case, "routed")
        step.audit("reassign", reason=text, workdays=days, from_unit=before.name if before else None)
        _audit_moved(step, moved, f"改派{unit.name}")
        return case

    return perform(OPINIONS, "reassign", scope=scope, pks=[opinion.pk], change=change)


def opinion_escalated_answer(*, scope: Scope, opinion: Opinion, text: str) -> Opinion:
    """The presidium answers a case escalated after two 不满意 ratings."""
    return perform(
        OPINIONS,
        "escalated_answer",
        scope=scope,
        pks=[opinion.pk],
        change=lambda step: _answer(step, kind=AnswerKind.ESCALATED, text=text, unit=step.row.unit),
    )


# ------------------------------------------------------------------ handling unit (承办)


def _accepted(step: Step[Opinion]) -> Opinion:
    step.move(State.IN_PROGRESS)
    step.audit("accept")
    return step.row


def _progressed(step: Step[Opinion], note: str) -> Opinion:
    text = _clean_reason(note, label="办理进展", max_length=1000)
    step.audit("progress", before=None, reason=text)
    return step.row


def opinion_accept(*, scope: Scope, opinion: Opinion) -> Opinion:
    """The unit takes the case on (受理); its deadline keeps running."""
    return perform(OPINIONS, "accept", scope=scope, pks=[opinion.pk], change=_accepted)


def opinion_return(*, scope: Scope, opinion: Opinion, reason: str) -> Opinion:
    """退回: the unit says the case is not theirs; it goes back to the township's queue."""

    def change(step: Step[Opinion]) -> Opinion:
        case = step.row
        text = _clean_reason(reason, label="退回理由")
        returned_by = case.unit
        # Back in the township's queue with a new 分办期限; the 答复期限 promised to the citizen stands.
        triage = add_workdays(today(), int(rule("opinion.triage_workdays")))
        step.move(State.SUBMITTED)
        step.set(case, unit=None, triage_due=triage.date)
        step.notify(
            _tell_staff,
            case,
            f"意见被{returned_by.name if returned_by else '承办单位'}退回：{case.title}。理由：{text}",
        )
        step.audit("return", reason=text, returned_by=returned_by.name if returned_by else None)
        return case

    return perform(OPINIONS, "return", scope=scope, pks=[opinion.pk], change=change)


def opinion_progress(*, scope: Scope, opinion: Opinion, note: str) -> Opinion:
    """A progress note on the case's timeline (the state stays 办理中)."""
    return perform(OPINIONS, "progress", scope=scope, pks=[opinion.pk], change=lambda step: _progressed(step, note))


def opinion_unit_answer(
    *, scope: Scope, opinion: Opinion, text: str, attachment: UploadedFile[bytes] | None = None
) -> Opinion:
    """The unit's answer to the citizen, with an optional document."""
    return perform(
        OPINIONS,
        "unit_answer",
        scope=scope,
        pks=[opinion.pk],
        change=lambda step: _answer(step, kind=AnswerKind.UNIT, text=text, unit=step.row.unit, attachment=attachment),
    )


def opinion_review_answer(*, scope: Scope, opinion: Opinion, approve: bool, note: str = "") -> Opinion:
    """答复审核: the township lets a unit's answer reach the citizen, or sends it back to the
    unit with what to change (the case is 办理中 again, its 答复期限 running)."""

    def change(step: Step[Opinion]) -> Opinion:
        case = step.row
        answer = case.answers.filter(status=AnswerStatus.PENDING).order_by("-id").first()
        if answer is None:
            raise Conflict("没有待审核的答复")
        text = _clean_reason(note, label="审核意见", required=not approve)
        if approve:
            Answer.objects.filter(pk=answer.pk).update(status=AnswerStatus.PUBLISHED, review_note=text)
            return _publish(step, answer, reviewed=True)
        Answer.objects.filter(pk=answer.pk).update(status=AnswerStatus.RETURNED, review_note=text)
        step.move(State.IN_PROGRESS)
        step.notify(_tell_unit, case, f"答复未通过审核，请修改后重新答复：{case.title}。意见：{text}")
        step.audit("review_return", reason=text)
        return case

    return perform(OPINIONS, "review_answer", scope=scope, pks=[opinion.pk], change=change)


def opinion_interim_reply(*, scope: Scope, opinion: Opinion, text: str) -> Opinion:
    """阶段性答复: the unit tells the citizen where things stand before the answer (a matter that
    takes longer: a budget, a construction season). The citizen sees it; it is not rated."""

    def change(step: Step[Opinion]) -> Opinion:
        _record_answer(step, kind=AnswerKind.INTERIM, text=text, unit=step.row.unit)
        step.notify(_tell_interim, step.row)
        step.audit("interim", before=None)
        return step.row

    return perform(OPINIONS, "interim_reply", scope=scope, pks=[opinion.pk], change=change)


MAX_EXTENSION_WORKDAYS = 30


def opinion_extend_request(*, scope: Scope, opinion: Opinion, workdays: int, reason: str) -> Extension:
    """延期: the unit asks the township for more working days, with a reason."""

    def change(step: Step[Opinion]) -> Extension:
        case = step.row
        if not isinstance(workdays, int) or not 1 <= workdays <= MAX_EXTENSION_WORKDAYS:
            raise ValidationFailed(f"延长期限应为 1 至 {MAX_EXTENSION_WORKDAYS} 个工作日", field="workdays")
        text = _clean_reason(reason, label="延期理由")
        if case.extensions.filter(state=ExtensionState.PENDING).exists():
            raise Conflict("已有一份延期申请在等待审批")
        if case.unit is None:
            raise Conflict("意见尚未交办给承办单位")
        base = case.deadline or today()
        extension = Extension.objects.create(
            opinion=case,
            unit=case.unit,
            workdays=workdays,
            reason=text,
            deadline_before=base,
            deadline_after=add_workdays(base, workdays).date,
            requested_by=step.scope.user if step.scope is not None else None,
        )
        step.notify(
            _tell_staff,
            case,
            f"{case.unit.name if case.unit else '承办单位'}申请延期 {workdays} 个工作日：{case.title}",
        )
        step.audit("extend_request", before=None, reason=text, workdays=workdays, to=extension.deadline_after)
        return extension

    return perform(OPINIONS, "extend_request", scope=scope, pks=[opinion.pk], change=change)


def opinion_extend_decide(*, scope: Scope, opinion: Opinion, approve: bool, note: str = "") -> Opinion:
    """The township approves a 延期 (the new 答复期限 is texted to the citizen and shown on their
    page) or refuses it with a reason (the unit is told; the deadline stands)."""

    def change(step: Step[Opinion]) -> Opinion:
        case = step.row
        extension = case.extensions.filter(state=ExtensionState.PENDING).first()
        if extension is None:
            raise Conflict("没有待审批的延期申请")
        text = _clean_reason(note, label="审批意见", required=not approve)
        user = step.scope.user if step.scope is not None else None
        decided = {"decision_note": text, "decided_at": timezone.now(), "decided_by": user}
        if not approve:
            Extension.objects.filter(pk=extension.pk).update(state=ExtensionState.REFUSED, **decided)
            step.notify(_tell_unit, case, f"延期申请未获批准：{case.title}。意见：{text}")
            step.audit("extend_refuse", before=None, reason=text)
            return case
        Extension.objects.filter(pk=extension.pk).update(state=ExtensionState.APPROVED, **decided)
        promised = case.deadline
        step.set(case, deadline=extension.deadline_after, is_overdue=False, reminded_at=None)
        step.notify(_tell_unit, case, f"延期已批准，请于 {extension.deadline_after:%Y-%m-%d} 前答复：{case.title}")
        step.audit("extend_approve", reason=text, workdays=extension.workdays)
        if promised is not None and extension.deadline_after > promised:
            step.notify(_tell_deadline_moved, case, promised)
            _audit_moved(step, promised, "承办单位申请延期，经乡镇/街道批准")
        return case

    return perform(OPINIONS, "extend_decide", scope=scope, pks=[opinion.pk], change=change)


# ------------------------------------------------------------------ the governance platform reports (四平台回传)

PLATFORM_ACTOR = "基层治理四平台"


def opinion_platform_report(*, opinion: Opinion, kind: str, text: str, record: Callable[[], bool]) -> bool:
    """The governance platform reports for the unit (受理 / 进展 / 答复); ``record`` stores the
    platform's event inside the transaction and says False for one already applied."""
    name = {"accepted": "platform_accept", "progress": "platform_progress"}.get(kind, "platform_answer")

    def change(step: Step[Opinion]) -> bool:
        if not record():
            return False
        if kind == "accepted":
            _accepted(step)
        elif kind == "progress":
            _progressed(step, text)
        else:
            _answer(step, kind=AnswerKind.PLATFORM, text=text, unit=step.row.unit, actor_label=PLATFORM_ACTOR)
        return True

    return perform(OPINIONS, name, scope=None, pks=[opinion.pk], actor=PLATFORM_ACTOR, change=change)


# ------------------------------------------------------------------ sweep (scheduled)


@dataclass
class SweepReport:
    overdue: int = 0
    reminded: int = 0
    closed_unrated: int = 0
    intake: int = 0


def _mark_overdue(step: Step[Opinion], day: dt.date) -> bool:
    case = step.row
    if case.is_overdue or case.deadline is None or case.deadline >= day:
        return False
    step.set(case, is_overdue=True)
    body = f"意见已逾期：{case.title}（期限 {case.deadline:%Y-%m-%d}）"
    if case.unit_id and case.state in (State.ROUTED, State.IN_PROGRESS):
        step.notify(_tell_unit, case, body)
    step.notify(_tell_staff, case, body)
    step.audit("overdue", before=None)
    return True


def _close_unrated(step: Step[Opinion]) -> bool:
    step.move(State.CLOSED)
    step.set(step.row, outcome=Outcome.UNRATED, closed_at=timezone.now())
    step.audit("close_unrated")
    return True


def opinions_sweep(*, on: dt.date | None = None) -> SweepReport:
    """Mark overdue cases, remind before deadlines, close answers nobody rated in time."""
    day = on or today()
    report = SweepReport()
    report.intake = opinions_intake_process() or 0  # submissions whose after-work task was lost
    newly_overdue = Opinion.objects.filter(state__in=FOLLOWABLE, deadline__lt=day, is_overdue=False)
    for pk in newly_overdue.values_list("pk", flat=True)[:5000]:
        try:
            marked = perform(
                OPINIONS, "overdue", scope=None, pks=[pk], actor=SWEEP_ACTOR, change=lambda s: _mark_overdue(s, day)
            )
        except Conflict:  # answered or merged since the query
            continue
        report.overdue += marked
    soon = add_workdays(day, int(rule("opinion.due_soon_workdays"))).date
    due_soon = Opinion.objects.filter(
        state__in=[State.ROUTED, State.IN_PROGRESS], deadline__gte=day, deadline__lte=soon, reminded_at__isnull=True
    )
    for opinion in due_soon.select_related("region", "unit")[:5000]:
        with transaction.atomic():
            updated = Opinion.objects.filter(pk=opinion.pk, reminded_at__isnull=True).update(reminded_at=timezone.now())
            if updated:
                _tell_unit(opinion, f"意见即将到期：{opinion.title}，请于 {opinion.deadline:%Y-%m-%d} 前答复")
                report.reminded += 1
    cutoff = timezone.now() - dt.timedelta(days=int(rule("opinion.rating_days")))
    if on is not None:
        cutoff = timezone.make_aware(dt.datetime.combine(on, dt.time())) - dt.timedelta(
            days=int(rule("opinion.rating_days"))
        )
    for pk in Opinion.objects.filter(state=State.ANSWERED, answered_at__lt=cutoff).values_list("pk", flat=True)[:5000]:
        try:
            report.closed_unrated += perform(
                OPINIONS, "close_unrated", scope=None, pks=[pk], actor=SWEEP_ACTOR, change=_close_unrated
            )
        except Conflict:  # rated since the query
            continue
    return report
