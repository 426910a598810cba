"""The whole life of a citizen opinion (意见建议), and of appointments (预约见面).

submit (QR page, web, or entered offline) → triage by the township (answer directly, route
to a handling unit with a working-day deadline, refer to deputies, merge a duplicate) → the
unit accepts or returns it → answers → the citizen rates it; 不满意 reopens it once, a second
不满意 escalates it to the presidium; no rating within the configured days closes it as 未评价.
A sweep marks overdue cases and reminds before deadlines.

Every function: permission + scope check, state check (opinions/states.py), change, audit
event, notifications — in one transaction.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.urls import reverse
from django.utils import timezone

from renda.accounts.models import Role, RoleAssignment
from renda.accounts.selectors import staff_users, unit_users
from renda.audit.services import AuditBatch, AuditEntry, audit_batch, audit_record
from renda.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from renda.core.inserts import insert_one
from renda.core.ratelimit import Limit, RateLimited, check_rate, check_rates, claim, release, uncount_rates
from renda.core.rules import rule
from renda.core.scoping import Perm, Scope
from renda.core.validation import clean_phone, clean_text, mask_name, mask_phone
from renda.core.workdays import Deadline, add_workdays, forget_on_change
from renda.notify.models import Channel
from renda.notify.services import Message, notify_send, notify_send_many
from renda.opinions import states
from renda.opinions.models import (
    Answer,
    AnswerKind,
    Appointment,
    AppointmentState,
    Follower,
    InboundEvent,
    Opinion,
    OpinionPhoto,
    Outcome,
    Rating,
    RatingRecord,
    ReceptionSlot,
    Source,
    State,
    WebhookDelivery,
)
from renda.opinions.photos import clean_photo
from renda.org.models import Category, Deputy, HandlingUnit, Station
from renda.regions.models import Region, RegionLevel

MAX_ANSWER = 5000
MAX_REASON = 500


def today() -> dt.date:
    return timezone.localdate()


def citizen_label(opinion: Opinion) -> str:
    return f"群众（回执码 {opinion.receipt_code}）"


def public_link(path: str) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


def _snapshot(opinion: Opinion) -> dict[str, Any]:
    """What audit events keep of a case: never the citizen's name or phone in clear."""
    return {
        "state": opinion.state,
        "unit": opinion.unit.name if opinion.unit_id and opinion.unit else None,
        "deadline": opinion.deadline,
        "category": opinion.category_id,
        "outcome": opinion.outcome or None,
    }


def _audit(
    opinion: Opinion, *, actor: Any, action: str, before: dict[str, Any] | None, reason: str = "", **extra: Any
) -> None:
    after = {**_snapshot(opinion), **extra}
    audit_record(
        actor=actor,
        action=f"opinion.{action}",
        target=opinion,
        target_label=f"{opinion.receipt_code} {opinion.title}",
        region_path=opinion.region.path,
        reason=reason,
        before=before,
        after=after,
    )


def _lock(opinion: Opinion, *, complete: bool = True) -> Opinion:
    """The case row, locked for this transaction; a submission whose after-work has not run yet
    gets it first (``complete``), so its submit event precedes every later event of the case."""
    # of=("self",): lock the case row only; PostgreSQL refuses FOR UPDATE on the nullable
    # side of the outer join to unit, and the joined rows need no lock.
    locked = (
        Opinion.objects.select_for_update(of=("self",)).select_related("region", "unit", "category").get(pk=opinion.pk)
    )
    if complete:
        _complete_pending(locked)
    return locked


def _complete_pending(*opinions: Opinion) -> None:
    """Run the after-submit work now for those of these locked cases still waiting for it."""
    pending = [o for o in opinions if o.intake_pending]
    if pending:
        with audit_batch() as chain:
            _complete_intake(pending, chain=chain)


def _tell_staff(opinion: Opinion, body: str) -> None:
    for user in staff_users(opinion.region):
        notify_send(
            channel=Channel.IN_APP,
            to_user=user,
            body=body,
            link=reverse("opinions:detail", args=[opinion.pk]),
            target=opinion,
        )


def _tell_unit(opinion: Opinion, body: str) -> None:
    if opinion.unit is None:
        return
    for user in unit_users(opinion.unit):
        notify_send(
            channel=Channel.IN_APP,
            to_user=user,
            body=body,
            link=reverse("opinions:detail", args=[opinion.pk]),
            target=opinion,
        )


def _tell_citizen(opinion: Opinion, body: str) -> None:
    phones = [opinion.citizen_phone] if opinion.citizen_phone else []
    phones += [p for p in opinion.followers.exclude(phone="").values_list("phone", flat=True)]
    for phone in dict.fromkeys(phones):
        notify_send(channel=Channel.SMS, to_address=phone, body=body, target=opinion)


def _require(scope: Scope, opinion: Opinion, transition: states.Transition) -> None:
    """Permission, scope and (for units) assignment checks for a staff transition."""
    assert transition.perm is not None
    scope.require(transition.perm)
    if not scope.covers_path(opinion.region.path):
        raise NotFound("意见不存在或不在您的管辖范围内")
    if transition.perm == Perm.OPINION_HANDLE and opinion.unit_id not in scope.unit_ids:
        raise NotFound("意见不存在或未交办给您的单位")


def _clean_reason(text: str, *, label: str, required: bool = True, max_length: int = MAX_REASON) -> str:
    return clean_text(text, label=label, field="reason", max_length=max_length, required=required)


# ------------------------------------------------------------------ intake (群众反映 / 代表、联络员录入)


@dataclass
class OpinionInput:
    text: str
    region: Region
    category: Category | None = None
    source: str = Source.QR
    station: Station | None = None
    deputy: Deputy | None = None
    citizen_name: str = ""
    citizen_phone: str = ""
    anonymous: bool = False
    consent: bool = False
    photos: Sequence[UploadedFile[bytes]] = field(default_factory=list)


def _fingerprint(data: OpinionInput) -> str:
    raw = json.dumps(
        [
            data.text.strip(),
            data.region.pk,
            data.category.pk if data.category else None,
            data.citizen_phone.strip(),
            data.station.pk if data.station else None,
            data.deputy.pk if data.deputy else None,
            data.citizen_name.strip(),
            data.anonymous,
            data.consent,
            len(data.photos),
        ],
        ensure_ascii=False,
    )
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _validate_intake(data: OpinionInput) -> dict[str, Any]:
    max_text = int(rule("opinion.max_text"))
    text = clean_text(data.text, label="反映内容", field="text", max_length=max_text)
    if len(text) < 5:
        raise ValidationFailed("反映内容太短，请把事情说清楚（至少 5 个字）", field="text")
    if data.category is None:
        raise ValidationFailed("请选择问题分类", field="category")
    if data.region.level < RegionLevel.TOWNSHIP:
        raise ValidationFailed("请选择事情发生的乡镇/街道或村/社区", field="region")
    home = data.station or (data.deputy and deputy_home_station(data.deputy))
    if home is not None and not data.region.path.startswith(home.region.path[:9]):
        raise ValidationFailed("所选村/社区不属于该联络站所在的乡镇/街道", field="region")
    if data.anonymous:
        if data.citizen_name.strip() or data.citizen_phone.strip():
            raise ValidationFailed("匿名反映时请不要填写姓名和电话", field="anonymous")
        name, phone = "", ""
    else:
        name = clean_text(data.citizen_name, label="姓名", field="citizen_name", max_length=50, required=False)
        phone = clean_phone(data.citizen_phone, label="手机", field="citizen_phone", required=False)
        if not phone:
            raise ValidationFailed("请填写手机号以便答复时通知您；不愿留电话可选择匿名反映", field="citizen_phone")
        if not data.consent:
            raise ValidationFailed("请勾选同意：您的姓名和电话仅用于办理和答复本件意见", field="consent")
    if len(data.photos) > int(rule("opinion.max_photos")):
        raise ValidationFailed(f"最多上传 {rule('opinion.max_photos')} 张照片", field="photos")
    return {"text": text, "name": name, "phone": phone}


def deputy_home_station(deputy: Deputy) -> Station | None:
    membership = deputy.memberships.filter(end_date__isnull=True).select_related("station__region").first()
    return membership.station if membership else None


def _title(text: str) -> str:
    first = text.strip().splitlines()[0]
    return first[:28] + ("…" if len(first) > 28 else "")


def opinion_submit(
    *,
    data: OpinionInput,
    scope: Scope | None = None,
    idempotency_key: str = "",
    client_ip: str = "",
) -> tuple[Opinion, bool]:
    """A citizen (scope=None) or a liaison/deputy entering an offline opinion files a case.

    Returns (opinion, created). A retried submission with the same idempotency key returns
    the first case (created=False); the same key with different content is refused.

    What must happen before the citizen is told "received" happens here: validation, both rate
    limits (IP and phone, one Redis round trip) and one INSERT, in autocommit when there are no
    photos (a single statement needs no BEGIN/COMMIT of its own). The unique idempotency key
    tells a replay without a query of its own; a replay's rate-limit hit is given back, so a
    retry is never refused for the limit its first attempt used up. The rest (audit event with
    the submission's time, category suggestion, messages to staff and citizen) is done by the
    worker (``opinions_intake_process``): the row is the outbox (``intake_pending``), polled
    every second by the ``opinions.intake`` task, in submission order, and completed before any
    later change of the case (``_lock``). In the embedded default (tasks eager) it runs right
    after commit. A liaison's or deputy's entry does it all in its own transaction.
    """
    if scope is not None:
        scope.require(Perm.OPINION_ENTER)
        if not scope.covers_path(data.region.path):
            raise NotFound("区划不存在或不在您的管辖范围内")
    elif data.source not in (Source.QR, Source.WEB, Source.API):
        raise PermissionDenied("群众只能通过扫码或网页反映")
    key = (idempotency_key or "").strip()[:64]
    cleaned = _validate_intake(data)
    assert data.category is not None  # _validate_intake refuses a missing category
    photos = [clean_photo(p, index=i + 1) for i, p in enumerate(data.photos)]
    fingerprint = _fingerprint(data)
    deadline = _intake_deadline()
    limits = _intake_limits(client_ip, cleaned["phone"]) if scope is None else []
    try:
        check_rates(limits)
    except RateLimited:
        # Refused, unless it is the retry of a submission stored before: answer with that one.
        if (replay := _stored_replay(key, data, limits)) is None:
            raise
        return replay
    opinion = Opinion(
        idempotency_key=key or None,
        source=data.source,
        region=data.region,
        station=data.station,
        deputy=data.deputy,
        category=data.category,
        title=_title(cleaned["text"]),
        text=cleaned["text"],
        citizen_name=cleaned["name"],
        citizen_phone=cleaned["phone"],
        anonymous=data.anonymous,
        consent=data.consent,
        deadline=deadline.date,
        deadline_official=deadline.official,
        created_by=scope.user if scope is not None else None,
        intake_pending=True,
        submit_fingerprint=fingerprint,
    )
    # One statement needs no transaction; photos, a staff entry's after-submit work, or a caller's
    # own transaction (a savepoint, so that a replay's IntegrityError leaves it usable) do.
    atomic = bool(photos) or scope is not None or transaction.get_connection().in_atomic_block
    try:
        with transaction.atomic() if atomic else contextlib.nullcontext():
            insert_one(opinion)  # the INSERT create() sends, compiled once per process
            for content, width, height in photos:
                OpinionPhoto.objects.create(opinion=opinion, image=content, width=width, height=height)
            if scope is not None:
                with audit_batch() as chain:
                    _complete_intake([opinion], chain=chain, actor=scope.actor)
            elif _tasks_eager():
                # Embedded default: the after-submit work right after commit. With a worker nothing
                # is asked per submission: ``opinions.intake`` polls the outbox every second.
                from renda.opinions.tasks import intake

                transaction.on_commit(intake.delay)
    except IntegrityError:
        # The key was used before (a retry, or two identical retries racing): answer with that case.
        if (replay := _stored_replay(key, data, limits)) is None:
            raise
        return replay
    return opinion, True


def _stored_replay(key: str, data: OpinionInput, limits: list[Limit]) -> tuple[Opinion, bool] | None:
    """The case a retried submission stored before, its rate-limit hit given back; None if no
    case has this key. The same key with other content is refused (``_replayed``)."""
    existing = Opinion.objects.filter(idempotency_key=key).first() if key else None
    if existing is None:
        return None
    uncount_rates(limits)
    return _replayed(existing, data), False


DEADLINE_TTL = 10.0  # seconds, as rule values: a calendar edit reaches every process within this
_deadlines: dict[tuple[dt.date, int], tuple[float, Deadline]] = {}
forget_on_change(_deadlines.clear)  # a calendar edit reaches this process's submissions at once


def _intake_deadline() -> Deadline:
    """The township's answer deadline of a case filed today, kept a few seconds per process:
    every submission of a day has the same one, and each computation reads the whole calendar."""
    key = (today(), int(rule("opinion.direct_answer_workdays")))
    now = time.monotonic()
    hit = _deadlines.get(key)
    if hit is not None and now - hit[0] < DEADLINE_TTL:
        return hit[1]
    deadline = add_workdays(*key)
    _deadlines.clear()
    _deadlines[key] = (now, deadline)
    return deadline


def _intake_limits(client_ip: str, phone: str) -> list[Limit]:
    """A citizen's submissions per IP and per phone (both counted in one Redis round trip)."""
    return [
        Limit("opinion-ip", client_ip, int(rule("opinion.rate_per_ip_hour")), 3600, "提交过于频繁，请稍后再试"),
        Limit(
            "opinion-phone",
            phone,
            int(rule("opinion.rate_per_phone_day")),
            86400,
            "该手机号今日提交次数已达上限，请明天再试或到联络站当面反映",
        ),
    ]


def _replayed(existing: Opinion, data: OpinionInput) -> Opinion:
    first_fingerprint: str | None = existing.submit_fingerprint
    if not first_fingerprint:  # a case stored before the fingerprint had its column
        from renda.audit.models import AuditEvent

        event = AuditEvent.objects.filter(
            target_type="opinions.opinion", target_id=str(existing.pk), action="opinion.submit"
        ).first()
        first_fingerprint = (event.after or {}).get("fingerprint") if event else None
    if first_fingerprint != _fingerprint(data):
        raise Conflict("该提交编号已使用过且内容不同：请刷新页面后重新填写")
    return existing


# ------------------------------------------------------------------ after a submission (提交后处理)

INTAKE_BATCH = 100
# While cases keep coming, the loop looks again this often. Short, so that each look finds a small
# batch: a run over everything gathered in 0.25 s took a core for tens of milliseconds at a time,
# and the citizens' requests waiting behind it made the latency tail (bench/README.md, stop 9).
INTAKE_POLL_SECONDS = 0.1
INTAKE_LOOP_SECONDS = 30.0  # then it returns, and the next tick (every second) goes on
INTAKE_RUNNING = "opinions:intake:running"
INTAKE_RUNNING_SECONDS = 300  # a loop that died holding it stops blocking the others after this


def _tasks_eager() -> bool:
    from renda.celery import app

    return bool(app.conf.task_always_eager)


def opinions_intake_process(*, batch: int = INTAKE_BATCH, max_batches: int = 1000, linger: float = 0.0) -> int | None:
    """Do the after-submit work of the waiting cases, oldest first; returns how many, or None
    when another worker's loop is running (the next tick tries again).

    Run every second by the ``opinions.intake`` task (with ``linger``: while cases keep
    arriving it looks again every ``INTAKE_POLL_SECONDS``, up to ``linger`` seconds, so under
    load one loop serves them as they come, in batches), eagerly after each submission in the
    embedded default, and by the sweep. Category suggestions are computed before any lock; then
    each batch takes the audit chain head first and only the case rows it can lock without
    waiting, appends their submit events with the submission's time and writes their messages
    in one transaction. Two loops would do no harm (each row is re-checked under its lock),
    only wait on the chain head: with a worker, one runs at a time.
    """
    guarded = not _tasks_eager()
    if guarded and not claim(INTAKE_RUNNING, INTAKE_RUNNING_SECONDS):
        return None
    try:
        done = _intake_batches(batch=batch, max_batches=max_batches)
        until = time.monotonic() + linger
        found = done
        while found and time.monotonic() + INTAKE_POLL_SECONDS < until:
            time.sleep(INTAKE_POLL_SECONDS)
            found = _intake_batches(batch=batch, max_batches=max_batches)
            done += found
        return done
    finally:
        if guarded:
            release(INTAKE_RUNNING)


def _intake_batches(*, batch: int, max_batches: int) -> int:
    from renda.opinions.text import suggest_category_ids

    done = 0
    for _ in range(max_batches):
        waiting = list(
            Opinion.objects.filter(intake_pending=True).order_by("id").values_list("id", "text", "category_id")[:batch]
        )
        if not waiting:
            break
        suggested = dict(zip([w[0] for w in waiting], suggest_category_ids([w[1] for w in waiting]), strict=True))
        with transaction.atomic(), audit_batch() as chain:
            rows = list(
                Opinion.objects.select_for_update(of=("self",), skip_locked=True)
                .filter(pk__in=list(suggested), intake_pending=True)
                .select_related("region")
                .order_by("id")
            )
            if rows:
                _complete_intake(rows, chain=chain, suggested=suggested)
        done += len(rows)
        if len(waiting) < batch:
            break  # a partial batch: the rest has not arrived yet
    return done


def _complete_intake(
    opinions: Sequence[Opinion],
    *,
    chain: AuditBatch,
    actor: Any = None,
    suggested: dict[int, int | None] | None = None,
) -> None:
    """The after-submit work of these cases (locked, ``intake_pending``), in one transaction:
    category suggestion, a message to the township's staff, the SMS receipt, the submit event."""
    from renda.opinions.text import suggest_category_ids

    if suggested is None or any(o.pk not in suggested for o in opinions):
        suggested = dict(zip([o.pk for o in opinions], suggest_category_ids([o.text for o in opinions]), strict=True))
    # The township staff of every case in one query (the staff of a region and of its ancestors).
    paths = {p for o in opinions for p in o.region.ancestor_paths(include_self=True)}
    staff = [
        (path, a.user)
        for a in RoleAssignment.objects.filter(role=Role.TOWNSHIP_STAFF, region__path__in=paths).select_related(
            "user", "region"
        )
        if (path := a.region.path if a.region is not None else "")
    ]
    messages: list[Message] = []
    track_url = public_link(reverse("public:track"))
    for_user: dict[int, tuple[Any, list[Opinion]]] = {}
    for opinion in opinions:
        opinion.suggested_category_id = suggested[opinion.pk]
        opinion.intake_pending = False
        here = set(opinion.region.ancestor_paths(include_self=True))
        for path, user in staff:
            if path in here:
                for_user.setdefault(user.pk, (user, []))[1].append(opinion)
        if opinion.citizen_phone:
            messages.append(
                Message(
                    channel=Channel.SMS,
                    to_address=opinion.citizen_phone,
                    target=opinion,
                    body=f"您反映的问题已受理，回执码 {opinion.receipt_code}。可凭回执码和手机尾号查询办理进度：{track_url}",
                )
            )
    # One inbox message per staff member and batch: a case, or how many arrived together.
    new_cases = reverse("opinions:queue") + f"?state={State.SUBMITTED}"
    for user, cases in for_user.values():
        first = cases[0]
        if len(cases) == 1:
            body = f"新意见待分办：{first.title}（{first.region.name}）"
            message = Message(
                Channel.IN_APP, body, to_user=user, link=reverse("opinions:detail", args=[first.pk]), target=first
            )
        else:
            body = f"新意见待分办 {len(cases)} 件：{first.title}（{first.region.name}）等"
            message = Message(Channel.IN_APP, body, to_user=user, link=new_cases)
        messages.append(message)
    notify_send_many(messages)
    # One UPDATE for the batch: a branch per suggested category (a few dozen at most), not per case.
    by_suggestion: dict[int | None, list[int]] = {}
    for opinion in opinions:
        by_suggestion.setdefault(opinion.suggested_category_id, []).append(opinion.pk)
    Opinion.objects.filter(pk__in=[o.pk for o in opinions]).update(
        suggested_category_id=Case(
            *(When(pk__in=ids, then=Value(cat)) for cat, ids in by_suggestion.items() if cat is not None),
            default=Value(None),
            output_field=IntegerField(),
        ),
        intake_pending=False,
    )
    # The audit appends come last: the chain head is held until commit.
    for opinion in opinions:
        chain.add(
            AuditEntry(
                actor=actor if actor is not None else citizen_label(opinion),
                action="opinion.submit",
                target=opinion,
                target_label=f"{opinion.receipt_code} {opinion.title}",
                region_path=opinion.region.path,
                after={
                    **_snapshot(opinion),
                    "source": opinion.source,
                    "citizen": mask_name(opinion.citizen_name) or "匿名",
                    "phone": mask_phone(opinion.citizen_phone),
                    "fingerprint": opinion.submit_fingerprint,
                },
                at=opinion.created_at,
            )
        )


def opinion_follow(*, opinion: Opinion, phone: str, name: str = "", client_ip: str = "") -> Follower:
    """附议: a citizen with the same problem follows an open case instead of filing a new one."""
    phone = clean_phone(phone, label="手机", field="phone", required=True)
    name = clean_text(name, label="姓名", field="name", max_length=50, required=False)
    check_rate(
        bucket="follow-ip",
        subject=client_ip,
        limit=int(rule("opinion.rate_per_ip_hour")),
        window_seconds=3600,
        message="操作过于频繁，请稍后再试",
    )
    with transaction.atomic():
        opinion = _lock(opinion)
        states.check("follow", opinion.state)
        if opinion.citizen_phone == phone or opinion.followers.filter(phone=phone).exists():
            raise Conflict("您已经在关注这件事，答复后会短信通知您")
        follower = Follower.objects.create(opinion=opinion, phone=phone, name=name)
        _audit(
            opinion,
            actor=f"群众（{mask_phone(phone)}）",
            action="follow",
            before=None,
            followers=opinion.followers.count(),
        )
        notify_send(
            channel=Channel.SMS,
            to_address=phone,
            target=opinion,
            body=f"您已附议“{opinion.title}”（回执码 {opinion.receipt_code}），答复后将短信通知您。",
        )
    return follower


# ------------------------------------------------------------------ triage (分级分类)


@transaction.atomic
def opinion_answer_directly(*, scope: Scope, opinion: Opinion, text: str) -> Opinion:
    """The township answers a small matter itself."""
    opinion = _lock(opinion)
    _require(scope, opinion, states.check("answer_directly", opinion.state))
    return _answered(scope, opinion, kind=AnswerKind.DIRECT, text=text, unit=None)


@transaction.atomic
def opinion_refer(*, scope: Scope, opinion: Opinion, text: str = "") -> Opinion:
    """A matter that needs a policy change goes to deputies as material for a suggestion;
    the citizen is told so (this is the answer they rate)."""
    opinion = _lock(opinion)
    _require(scope, opinion, states.check("refer", opinion.state))
    opinion.referred_to_deputies = True
    message = text.strip() or (
        "您反映的问题涉及政策调整，已转交人大代表，作为代表建议的素材向有关部门提出。建议办理结果将另行告知。"
    )
    return _answered(scope, opinion, kind=AnswerKind.REFERRAL, text=message, unit=None)


@transaction.atomic
def opinion_merge(*, scope: Scope, opinion: Opinion, into: Opinion, reason: str) -> Opinion:
    """Merge a duplicate into an open case; its citizen follows that case from now on."""
    # Both rows locked before either's pending after-submit work takes the audit chain head.
    opinion = _lock(opinion, complete=False)
    _require(scope, opinion, states.check("merge", opinion.state))
    reason = _clean_reason(reason, label="合并理由")
    into = _lock(into, complete=False) if into.pk != opinion.pk else opinion
    _complete_pending(opinion, into)
    if into.pk == opinion.pk or into.merged_into_id == opinion.pk:
        raise ValidationFailed("不能合并到自身", field="into")
    if not scope.covers_path(into.region.path):
        raise NotFound("目标意见不存在或不在您的管辖范围内")
    if into.state not in states.TRANSITIONS["follow"].sources:
        raise ValidationFailed(
            f"目标意见“{into.receipt_code}”已{into.get_state_display()}，只能合并到尚在办理的意见", field="into"
        )
    before = _snapshot(opinion)
    opinion.state = State.MERGED
    opinion.merged_into = into
    opinion.deadline = None
    opinion.is_overdue = False
    opinion.save()
    # The merged case's citizen follows the target (a case is merged once: the state check above).
    already_told = opinion.citizen_phone in (into.citizen_phone, *into.followers.values_list("phone", flat=True))
    Follower.objects.create(
        from_opinion=opinion,
        opinion=into,
        name=opinion.citizen_name,
        phone="" if already_told else opinion.citizen_phone,
    )
    _audit(opinion, actor=scope.actor, action="merge", before=before, reason=reason, merged_into=into.receipt_code)
    _audit(into, actor=scope.actor, action="absorb", before=None, reason=reason, absorbed=opinion.receipt_code)
    if opinion.citizen_phone:
        notify_send(
            channel=Channel.SMS,
            to_address=opinion.citizen_phone,
            target=opinion,
            body=f"您反映的问题（回执码 {opinion.receipt_code}）与已受理的同类问题合并办理（回执码 {into.receipt_code}），答复后将通知您。",
        )
    return opinion


@transaction.atomic
def opinion_route(
    *, scope: Scope, opinion: Opinion, unit: HandlingUnit, workdays: int | None = None, note: str = ""
) -> Opinion:
    """分流: hand a small matter to a handling unit with a working-day deadline."""
    opinion = _lock(opinion)
    _require(scope, opinion, states.check("route", opinion.state))
    if not unit.is_active:
        raise ValidationFailed(f"“{unit.name}”已停用", field="unit")
    township = opinion.region.path[:9]
    if not (opinion.region.path.startswith(unit.region.path) or unit.region.path.startswith(township)):
        raise ValidationFailed("承办单位须是本乡镇/街道或其上级（县、市）的单位", field="unit")
    days = workdays if workdays is not None else int(rule("opinion.route_workdays"))
    if not 1 <= days <= 60:
        raise ValidationFailed("办理期限应为 1 至 60 个工作日", field="workdays")
    note = _clean_reason(note, label="交办说明", required=False)
    before = _snapshot(opinion)
    deadline = add_workdays(today(), days)
    opinion.state = State.ROUTED
    opinion.unit = unit
    opinion.deadline = deadline.date
    opinion.deadline_official = deadline.official
    opinion.is_overdue = False
    opinion.reminded_at = None
    opinion.save()
    _audit(opinion, actor=scope.actor, action="route", before=before, reason=note, workdays=days)
    _tell_unit(opinion, f"新交办意见：{opinion.title}，请于 {deadline.date:%Y-%m-%d} 前答复")
    if settings.GOVERNANCE_WEBHOOK_URL:
        _queue_webhook(opinion, "routed")
    return opinion


# ------------------------------------------------------------------ handling unit (承办)


@transaction.atomic
def opinion_accept(*, scope: Scope, opinion: Opinion) -> Opinion:
    opinion = _lock(opinion)
    _require(scope, opinion, states.check("accept", opinion.state))
    before = _snapshot(opinion)
    opinion.state = State.IN_PROGRESS
    opinion.save()
    _audit(opinion, actor=scope.actor, action="accept", before=before)
    return opinion


@transaction.atomic
def opinion_return(*, scope: Scope, opinion: Opinion, reason: str) -> Opinion:
    """退回: the unit says the case is not theirs; it goes back to the township's queue."""
    opinion = _lock(opinion)
    _require(scope, opinion, states.check("return", opinion.state))
    reason = _clean_reason(reason, label="退回理由")
    before = _snapshot(opinion)
    returned_by = opinion.unit
    opinion.state = State.SUBMITTED
    opinion.unit = None
    deadline = add_workdays(today(), int(rule("opinion.direct_answer_workdays")))
    opinion.deadline, opinion.deadline_official = deadline.date, deadline.official
    opinion.is_overdue = False
    opinion.save()
    _audit(
        opinion,
        actor=scope.actor,
        action="return",
        before=before,
        reason=reason,
        returned_by=returned_by.name if returned_by else None,
    )
    _tell_staff(
        opinion, f"意见被{returned_by.name if returned_by else '承办单位'}退回：{opinion.title}。理由：{reason}"
    )
    return opinion


@transaction.atomic
def opinion_progress(*, scope: Scope, opinion: Opinion, note: str) -> Opinion:
    opinion = _lock(opinion)
    _require(scope, opinion, states.check("progress", opinion.state))
    note = _clean_reason(note, label="办理进展", max_length=1000)
    _audit(opinion, actor=scope.actor, action="progress", before=None, reason=note)
    return opinion


@transaction.atomic
def opinion_unit_answer(
    *, scope: Scope, opinion: Opinion, text: str, attachment: UploadedFile[bytes] | None = None
) -> Opinion:
    opinion = _lock(opinion)
    _require(scope, opinion, states.check("unit_answer", opinion.state))
    return _answered(scope, opinion, kind=AnswerKind.UNIT, text=text, unit=opinion.unit, attachment=attachment)


@transaction.atomic
def opinion_escalated_answer(*, scope: Scope, opinion: Opinion, text: str) -> Opinion:
    """The presidium answers a case escalated after two 不满意 ratings."""
    opinion = _lock(opinion)
    _require(scope, opinion, states.check("escalated_answer", opinion.state))
    return _answered(scope, opinion, kind=AnswerKind.ESCALATED, text=text, unit=opinion.unit)


ATTACHMENT_TYPES = {".pdf", ".jpg", ".jpeg", ".png", ".doc", ".docx", ".xls", ".xlsx"}


def _answered(
    scope: Scope | None,
    opinion: Opinion,
    *,
    kind: str,
    text: str,
    unit: HandlingUnit | None,
    attachment: UploadedFile[bytes] | None = None,
    actor_label: str = "",
) -> Opinion:
    text = clean_text(text, label="答复内容", field="text", max_length=MAX_ANSWER)
    if len(text) < 5:
        raise ValidationFailed("答复内容太短，请写明办理结果（至少 5 个字）", field="text")
    if attachment is not None:
        name = (attachment.name or "").lower()
        if not any(name.endswith(ext) for ext in ATTACHMENT_TYPES) or (attachment.size or 0) > 10 * 1024 * 1024:
            raise ValidationFailed("附件只能是 10MB 以内的 PDF、图片、Word 或 Excel 文件", field="attachment")
    before = _snapshot(opinion)
    round_no = opinion.reopen_count + 1
    user = scope.user if scope is not None else None
    label = actor_label or (
        str(user) if user is not None else (scope.system_label if scope is not None else "") or "系统"
    )
    Answer.objects.create(
        opinion=opinion,
        kind=kind,
        unit=unit,
        text=text,
        attachment=attachment or "",
        round=round_no,
        answered_by=user,
        answered_by_label=(
            f"{unit.name} {label}" if unit and kind == AnswerKind.UNIT and unit.name not in label else label
        ),
    )
    opinion.state = State.ANSWERED
    opinion.answered_at = timezone.now()
    opinion.deadline = None
    opinion.is_overdue = False
    opinion.save()
    _audit(
        opinion,
        actor=scope.actor if scope is not None else label,
        action="answer",
        before=before,
        kind=kind,
        round=round_no,
    )
    _tell_citizen(
        opinion,
        f"您反映的“{opinion.title}”已答复，请凭回执码 {opinion.receipt_code} 查看并评价："
        f"{public_link(reverse('public:track'))}",
    )
    if settings.GOVERNANCE_WEBHOOK_URL and opinion.unit_id and kind != AnswerKind.PLATFORM:
        _queue_webhook(opinion, "answered")  # the platform's own answer is not echoed back
    return opinion


# ------------------------------------------------------------------ rating (满意度)


@transaction.atomic
def opinion_rate(*, opinion: Opinion, value: str, comment: str = "") -> Opinion:
    """The citizen (already verified by receipt code + phone digits) rates the answer.

    满意/基本满意 close the case. 不满意 reopens it once (same unit, new deadline); a second
    不满意 escalates it to the presidium; after an escalated answer any rating closes it.
    """
    opinion = _lock(opinion)
    states.check("rate", opinion.state)
    if value not in Rating.values:
        raise ValidationFailed("请选择满意、基本满意或不满意", field="value")
    comment = clean_text(comment, label="评价意见", field="comment", max_length=500, required=False)
    if value == Rating.UNSATISFIED and not comment:
        raise ValidationFailed("选择“不满意”时请写明原因，便于重新办理", field="comment")
    round_no = opinion.reopen_count + 1
    try:
        with transaction.atomic():
            RatingRecord.objects.create(opinion=opinion, round=round_no, value=value, comment=comment)
    except IntegrityError:
        raise Conflict("本轮答复已经评价过了") from None
    before = _snapshot(opinion)
    last_kind = opinion.answers.order_by("-id").values_list("kind", flat=True).first()
    if value != Rating.UNSATISFIED or last_kind == AnswerKind.ESCALATED:
        opinion.state = State.CLOSED
        opinion.outcome = value
        opinion.closed_at = timezone.now()
        action = "close"
    elif opinion.reopen_count == 0:
        opinion.reopen_count = 1
        # Back with the unit: the unit's answer period; back at the township: its own period.
        days = int(rule("opinion.route_workdays" if opinion.unit_id else "opinion.direct_answer_workdays"))
        deadline = add_workdays(today(), days)
        opinion.deadline, opinion.deadline_official = deadline.date, deadline.official
        opinion.state = State.IN_PROGRESS if opinion.unit_id else State.SUBMITTED
        action = "reopen"
    else:
        opinion.reopen_count += 1
        deadline = add_workdays(today(), int(rule("opinion.route_workdays")))
        opinion.deadline, opinion.deadline_official = deadline.date, deadline.official
        opinion.state = State.ESCALATED
        action = "escalate"
    opinion.is_overdue = False
    opinion.save()
    _audit(opinion, actor=citizen_label(opinion), action=action, before=before, reason=comment, rating=value)
    if action == "reopen":
        if opinion.unit_id:
            _tell_unit(opinion, f"群众对答复不满意，意见已退回重新办理：{opinion.title}。原因：{comment}")
        else:
            _tell_staff(opinion, f"群众对答复不满意，意见重新办理：{opinion.title}。原因：{comment}")
    elif action == "escalate":
        _tell_staff(opinion, f"群众第二次不满意，意见已提级由主席团/工委督办：{opinion.title}")
    return opinion


# ------------------------------------------------------------------ sweep (scheduled)


@dataclass
class SweepReport:
    overdue: int = 0
    reminded: int = 0
    closed_unrated: int = 0
    intake: int = 0


def opinions_sweep(*, on: dt.date | None = None) -> SweepReport:
    """Mark overdue cases, remind before deadlines, close answers nobody rated in time."""
    day = on or today()
    report = SweepReport()
    report.intake = opinions_intake_process() or 0  # submissions whose after-work task was lost
    newly_overdue = Opinion.objects.filter(
        state__in=states.TRANSITIONS["follow"].sources, deadline__lt=day, is_overdue=False
    )
    for opinion in newly_overdue.select_related("region", "unit")[:5000]:
        with transaction.atomic():
            locked = _lock(opinion)
            if locked.is_overdue or locked.deadline is None or locked.deadline >= day:
                continue
            locked.is_overdue = True
            locked.save(update_fields=["is_overdue", "updated_at"])
            _audit(locked, actor="系统（定时检查）", action="overdue", before=None)
            body = f"意见已逾期：{locked.title}（期限 {locked.deadline:%Y-%m-%d}）"
            if locked.unit_id and locked.state in (State.ROUTED, State.IN_PROGRESS):
                _tell_unit(locked, body)
            _tell_staff(locked, body)
            report.overdue += 1
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
    for opinion in Opinion.objects.filter(state=State.ANSWERED, answered_at__lt=cutoff).select_related("region")[:5000]:
        with transaction.atomic():
            locked = _lock(opinion)
            if locked.state != State.ANSWERED:
                continue
            before = _snapshot(locked)
            locked.state = State.CLOSED
            locked.outcome = Outcome.UNRATED
            locked.closed_at = timezone.now()
            locked.save()
            _audit(locked, actor="系统（定时检查）", action="close_unrated", before=before)
            report.closed_unrated += 1
    return report


# ------------------------------------------------------------------ governance platform (基层治理四平台)


def _queue_webhook(opinion: Opinion, event: str) -> None:
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
    from renda.opinions.tasks import deliver_webhook

    transaction.on_commit(lambda: deliver_webhook.delay(delivery.pk))


PLATFORM_ACTOR = "基层治理四平台"


def platform_event_apply(*, event_id: str, receipt_code: str, kind: str, text: str = "") -> tuple[Opinion, bool]:
    """Apply a status update from the governance platform (signature already checked).

    Idempotent by event_id: a replay answers (opinion, False) and changes nothing.
    """
    event_id = clean_text(event_id, label="事件编号", field="event_id", max_length=64)
    if kind not in {"accepted", "progress", "answered"}:
        raise ValidationFailed("事件类型只能是 accepted、progress 或 answered", field="type")
    with transaction.atomic():
        if InboundEvent.objects.filter(event_id=event_id).exists():
            existing = InboundEvent.objects.get(event_id=event_id)
            if existing.opinion is None:
                raise NotFound("回执码不存在")
            return existing.opinion, False
        opinion = Opinion.objects.filter(receipt_code=receipt_code).first()
        if opinion is None:
            raise NotFound("回执码不存在")
        opinion = _lock(opinion)
        if not opinion.webhooks.exists():
            raise NotFound("该回执码的意见未推送至基层治理四平台")
        try:
            with transaction.atomic():
                InboundEvent.objects.create(event_id=event_id, opinion=opinion, body={"type": kind, "text": text})
        except IntegrityError:
            return opinion, False
        if kind == "accepted":
            states.check("accept", opinion.state)
            before = _snapshot(opinion)
            opinion.state = State.IN_PROGRESS
            opinion.save()
            _audit(opinion, actor=PLATFORM_ACTOR, action="accept", before=before)
        elif kind == "progress":
            states.check("progress", opinion.state)
            note = clean_text(text, label="办理进展", field="text", max_length=1000)
            _audit(opinion, actor=PLATFORM_ACTOR, action="progress", before=None, reason=note)
        else:
            states.check("unit_answer", opinion.state)
            _answered(None, opinion, kind=AnswerKind.PLATFORM, text=text, unit=opinion.unit, actor_label=PLATFORM_ACTOR)
        return opinion, True


# ------------------------------------------------------------------ reception slots and appointments (预约见面)


@transaction.atomic
def slot_create(
    *,
    scope: Scope,
    station: Station,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    capacity: int = 3,
    deputy: Deputy | None = None,
    repeat_weeks: int = 1,
) -> list[ReceptionSlot]:
    """Open reception slots at a station (optionally with a deputy on duty), weekly for N weeks."""
    scope.require(Perm.OPINION_ENTER)
    if not scope.covers_path(station.region.path):
        raise NotFound("站点不存在或不在您的管辖范围内")
    if (
        scope.station_ids
        and not scope.has(Perm.OPINION_TRIAGE)
        and station.pk not in scope.station_ids
        and not scope.deputy_ids
    ):
        raise PermissionDenied("只能为本站安排接待时段")
    if ends_at <= starts_at:
        raise ValidationFailed("结束时间应晚于开始时间", field="ends_at")
    if starts_at <= timezone.now():
        raise ValidationFailed("只能安排将来的接待时段", field="starts_at")
    if not 1 <= capacity <= 50:
        raise ValidationFailed("可预约人数应为 1 至 50", field="capacity")
    if not 1 <= repeat_weeks <= 26:
        raise ValidationFailed("重复周数应为 1 至 26", field="repeat_weeks")
    if deputy is not None and not deputy.memberships.filter(station=station, end_date__isnull=True).exists():
        raise ValidationFailed(f"{deputy.name}未在该站进站，不能安排值班", field="deputy")
    slots = []
    for week in range(repeat_weeks):
        shift = dt.timedelta(weeks=week)
        slot = ReceptionSlot.objects.create(
            station=station, deputy=deputy, starts_at=starts_at + shift, ends_at=ends_at + shift, capacity=capacity
        )
        slots.append(slot)
    audit_record(
        actor=scope.actor,
        action="slot.create",
        target=station,
        region_path=station.region.path,
        after={
            "starts_at": starts_at,
            "weeks": repeat_weeks,
            "capacity": capacity,
            "deputy": deputy.name if deputy else None,
        },
    )
    return slots


def appointment_book(
    *, slot: ReceptionSlot, name: str, phone: str, topic: str, idempotency_key: str = "", client_ip: str = ""
) -> tuple[Appointment, bool]:
    """A citizen books a free place in a slot; confirmed by SMS. Replays return the first booking."""
    key = (idempotency_key or "").strip()[:64]
    if key:
        existing = Appointment.objects.filter(idempotency_key=key).first()
        if existing is not None:
            cleaned_phone = clean_phone(phone, label="手机", field="phone", required=True)
            if existing.slot_id != slot.pk or existing.citizen_phone != cleaned_phone:
                raise Conflict("该提交编号已使用过且内容不同：请刷新页面后重新填写")
            return existing, False
    name = clean_text(name, label="姓名", field="name", max_length=50)
    phone = clean_phone(phone, label="手机", field="phone", required=True)
    topic = clean_text(topic, label="想谈的事", field="topic", max_length=300)
    check_rate(
        bucket="book-ip",
        subject=client_ip,
        limit=int(rule("opinion.rate_per_ip_hour")),
        window_seconds=3600,
        message="操作过于频繁，请稍后再试",
    )
    check_rate(
        bucket="book-phone",
        subject=phone,
        limit=int(rule("appointment.rate_per_phone_day")),
        window_seconds=86400,
        message="该手机号今日预约次数已达上限",
    )
    try:
        with transaction.atomic():
            locked = (
                ReceptionSlot.objects.select_for_update(of=("self",))
                .select_related("station__region", "deputy")
                .get(pk=slot.pk)
            )
            if locked.cancelled or locked.starts_at <= timezone.now():
                raise ValidationFailed("该时段已不可预约，请选择其他时段", field="slot")
            if locked.booked >= locked.capacity:
                raise ValidationFailed("该时段已约满，请选择其他时段", field="slot")
            if Appointment.objects.filter(slot=locked, citizen_phone=phone, state=AppointmentState.BOOKED).exists():
                raise Conflict("您已预约了这个时段")
            appointment = Appointment.objects.create(
                slot=locked, citizen_name=name, citizen_phone=phone, topic=topic, idempotency_key=key or None
            )
            ReceptionSlot.objects.filter(pk=locked.pk).update(booked=F("booked") + 1)
            audit_record(
                actor=f"群众（{mask_phone(phone)}）",
                action="appointment.book",
                target=appointment,
                target_label=f"{appointment.code} {locked}",
                region_path=locked.station.region.path,
                after={"slot": locked.pk, "name": mask_name(name), "phone": mask_phone(phone)},
            )
            who = f"{locked.deputy.name}代表" if locked.deputy else locked.station.name
            local = timezone.localtime(locked.starts_at)
            notify_send(
                channel=Channel.SMS,
                to_address=phone,
                target=appointment,
                body=f"预约成功：{local:%m月%d日 %H:%M} 在{locked.station.name}（{locked.station.address}）与{who}见面，预约码 {appointment.code}。",
            )
    except IntegrityError:
        if key and (existing := Appointment.objects.filter(idempotency_key=key).first()) is not None:
            return existing, False
        raise Conflict("您已预约了这个时段") from None
    return appointment, True


@transaction.atomic
def appointment_set_state(*, scope: Scope, appointment: Appointment, state: str) -> Appointment:
    """Staff record the meeting outcome or cancel a booking (the place is freed)."""
    scope.require(Perm.OPINION_ENTER)
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("slot__station__region")
        .get(pk=appointment.pk)
    )
    if not scope.covers_path(appointment.slot.station.region.path):
        raise NotFound("预约不存在或不在您的管辖范围内")
    if state not in AppointmentState.values or state == AppointmentState.BOOKED:
        raise ValidationFailed("状态无效", field="state")
    if appointment.state != AppointmentState.BOOKED:
        raise Conflict(f"该预约已是“{appointment.get_state_display()}”")
    appointment.state = state
    appointment.save(update_fields=["state", "updated_at"])
    if state == AppointmentState.CANCELLED:
        ReceptionSlot.objects.filter(pk=appointment.slot_id).update(booked=F("booked") - 1)
    audit_record(
        actor=scope.actor,
        action=f"appointment.{state}",
        target=appointment,
        region_path=appointment.slot.station.region.path,
        after={"state": state},
    )
    return appointment


def visible_opinions_q(scope: Scope) -> Q:
    """Which opinions inside the scope's regions a user sees, by role: staff all of them; a
    unit its own; a liaison their station's; a deputy those addressed to them or their station."""
    if scope.has(Perm.OPINION_TRIAGE):
        return Q()
    q = Q(pk__in=[])
    if scope.unit_ids:
        q |= Q(unit_id__in=scope.unit_ids)
    if scope.station_ids:
        q |= Q(station_id__in=scope.station_ids)
    if scope.deputy_ids:
        stations = Station.objects.filter(
            memberships__deputy_id__in=scope.deputy_ids, memberships__end_date__isnull=True
        )
        q |= Q(deputy_id__in=scope.deputy_ids) | Q(station__in=stations)
    return q
