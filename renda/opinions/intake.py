"""A citizen's submission (群众反映) and a liaison's or deputy's offline entry (录入), and the
work done after it: the intake outbox.

What must happen before the citizen is told "received" happens in :func:`opinion_submit`:
validation, the rate limits and one INSERT. The row itself is the outbox (``intake_pending``):
the worker (:func:`opinions_intake_process`, polled every second by the ``opinions.intake`` task)
suggests a category, tells the township's staff and the citizen, and appends the submit event
with the submission's time. Any later change of the case finishes it first
(:func:`complete_pending`, the action skeleton's ``prepare`` step), so the submit event always
precedes every later event of the case.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Case, IntegerField, Value, When
from django.urls import reverse
from django.utils import timezone

from renda.accounts.models import Role, RoleAssignment
from renda.audit.models import AuditEvent
from renda.audit.services import AuditBatch, AuditEntry, audit_batch
from renda.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from renda.core.inserts import insert_one
from renda.core.queue import run_after_commit, tasks_eager
from renda.core.ratelimit import Limit, RateLimited, check_rates, claim, release, renew, uncount_rates
from renda.core.rules import rule
from renda.core.scoping import Perm, Scope
from renda.core.validation import FieldErrors, clean_phone, clean_text, mask_name, mask_phone
from renda.core.workdays import Deadline, add_workdays, forget_on_change
from renda.notify.models import Channel
from renda.notify.services import Message, notify_send_many
from renda.opinions.models import Opinion, OpinionPhoto, Source, State
from renda.opinions.photos import clean_photo
from renda.opinions.text import suggest_category_ids
from renda.org.models import Category, Deputy, Station
from renda.regions.models import Region, RegionLevel


def today() -> dt.date:
    return timezone.localdate()


def public_link(path: str) -> str:
    """An absolute link for a text message (the citizen's phone is not on this site)."""
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


def complete_pending(opinions: Sequence[Opinion]) -> None:
    """Run the after-submit work now for those of these locked cases still waiting for it."""
    pending = [o for o in opinions if o.intake_pending]
    if pending:
        with audit_batch() as chain:
            _complete_intake(pending, chain=chain)


@dataclass
class OpinionInput:
    text: str
    region: Region | None  # None: not chosen (refused with the input's other errors)
    category: Category | None = None
    source: str = Source.QR
    station: Station | None = None
    deputy: Deputy | None = None
    citizen_name: str = ""
    citizen_phone: str = ""
    anonymous: bool = False
    consent: bool = False
    photos: Sequence[UploadedFile[bytes]] = field(default_factory=list)
    # Offline entry (录入): who received the citizen, and when (not the day it is typed in).
    received_by: str = ""
    received_on: dt.date | None = None


def _fingerprint(data: OpinionInput) -> str:
    raw = json.dumps(
        [
            data.text.strip(),
            data.region.pk if data.region else None,
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
    """Every wrong field at once (one ValidationFailed naming them all), in the form's order."""
    problems = FieldErrors()
    max_text = int(rule("opinion.max_text"))
    text, name, phone, received_by = "", "", "", ""
    with problems.checking():
        text = clean_text(data.text, label="反映内容", field="text", max_length=max_text)
        if len(text) < 5:
            problems.add("text", "反映内容太短，请把事情说清楚（至少 5 个字）")
    if data.category is None:
        problems.add("category", "请选择问题分类")
    home = data.station or (data.deputy and deputy_home_station(data.deputy))
    if data.region is None:
        problems.add("region", "请选择事情发生的村/社区")
    elif data.region.level < RegionLevel.TOWNSHIP:
        problems.add("region", "请选择事情发生的乡镇/街道或村/社区")
    elif home is not None and not data.region.path.startswith(home.region.path[:9]):
        problems.add("region", "所选村/社区不属于该联络站所在的乡镇/街道")
    if len(data.photos) > int(rule("opinion.max_photos")):
        problems.add("photos", f"最多上传 {rule('opinion.max_photos')} 张照片")
    if data.anonymous:
        if data.citizen_name.strip() or data.citizen_phone.strip():
            problems.add("anonymous", "匿名反映时请不要填写姓名和电话")
    else:
        with problems.checking():
            name = clean_text(data.citizen_name, label="姓名", field="citizen_name", max_length=50, required=False)
        with problems.checking():
            phone = clean_phone(data.citizen_phone, label="手机", field="citizen_phone", required=False)
            if not phone:
                problems.add("citizen_phone", "请填写手机号以便答复时通知您；不愿留电话可选择匿名反映")
        if not data.consent:
            problems.add("consent", "请勾选同意：您的姓名和电话仅用于办理和答复本件意见")
    with problems.checking():
        received_by = clean_text(data.received_by, label="接待人", field="received_by", max_length=50, required=False)
    if data.received_on is not None and not today() - dt.timedelta(days=366) <= data.received_on <= today():
        problems.add("received_on", "接待日期应在一年内，且不晚于今天")
    problems.raise_any()
    return {"text": text, "name": name, "phone": phone, "received_by": received_by}


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
    later change of the case (``complete_pending``). In the embedded default (tasks eager) it runs right
    after commit. A liaison's or deputy's entry does it all in its own transaction.
    """
    if scope is not None:
        scope.require(Perm.OPINION_ENTER)
        if data.region is not None and not scope.covers_path(data.region.path):
            raise NotFound("区划不存在或不在您的管辖范围内")
    elif data.source not in (Source.QR, Source.WEB, Source.API):
        raise PermissionDenied("群众只能通过扫码或网页反映")
    key = (idempotency_key or "").strip()[:64]
    cleaned = _validate_intake(data)
    assert data.category is not None and data.region is not None  # _validate_intake refuses them missing
    fingerprint = _fingerprint(data)
    triage_due, deadline = _intake_deadlines()
    limits = _intake_limits(client_ip, cleaned["phone"]) if scope is None else []
    try:
        check_rates(limits)  # before any photo is decoded: a refused sender costs no decoding
    except RateLimited:
        # Refused, unless it is the retry of a submission stored before: answer with that one.
        if (replay := _stored_replay(key, data, limits)) is None:
            raise
        return replay
    try:
        photos = [clean_photo(p, index=i + 1) for i, p in enumerate(data.photos)]
    except ValidationFailed:
        # Counted, not given back: each refused photo cost reading the whole body and its
        # headers, and an address that keeps sending them must reach the upload guard's 429,
        # which refuses on the headers alone (bench/faults.py: refunded, one address sent 3,783
        # oversized photos in 20 s and the citizens' p95 more than doubled).
        raise
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
        triage_due=triage_due.date,
        deadline=deadline.date,
        deadline_official=deadline.official,
        received_by=cleaned["received_by"],
        received_on=data.received_on,
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
            elif tasks_eager():
                # Embedded default: the after-submit work right after commit. With a worker nothing
                # is asked per submission: ``opinions.intake`` polls the outbox every second.
                run_after_commit("opinions.intake")
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
_deadlines: dict[tuple[dt.date, int, int], tuple[float, tuple[Deadline, Deadline]]] = {}
forget_on_change(_deadlines.clear)  # a calendar edit reaches this process's submissions at once


def _intake_deadlines() -> tuple[Deadline, Deadline]:
    """The two deadlines of a case filed today: the township's 分办期限 and the 答复期限 the
    receipt promises the citizen. Kept a few seconds per process: every submission of a day has
    the same ones, and each computation reads the whole calendar."""
    key = (today(), int(rule("opinion.triage_workdays")), int(rule("opinion.reply_workdays")))
    now = time.monotonic()
    hit = _deadlines.get(key)
    if hit is not None and now - hit[0] < DEADLINE_TTL:
        return hit[1]
    pair = (add_workdays(key[0], key[1]), add_workdays(key[0], key[2]))
    _deadlines.clear()
    _deadlines[key] = (now, pair)
    return pair


def ip_limit(client_ip: str) -> Limit:
    """A citizen's submissions per IP (also read, uncounted, by opinions/middleware.py)."""
    return Limit("opinion-ip", client_ip, int(rule("opinion.rate_per_ip_hour")), 3600, "提交过于频繁，请稍后再试")


def _intake_limits(client_ip: str, phone: str) -> list[Limit]:
    """A citizen's submissions per IP and per phone (both counted in one Redis round trip)."""
    return [
        ip_limit(client_ip),
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
# A loop renews its claim after every batch; one killed while holding it (kill -9 of the worker)
# stops blocking the others within this many seconds (bench/faults.py: it was 300, and the
# restarted worker then did no after-submit work for five minutes).
INTAKE_RUNNING_SECONDS = 15


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
    guarded = not tasks_eager()
    if guarded and not claim(INTAKE_RUNNING, INTAKE_RUNNING_SECONDS):
        return None
    beat = (lambda: renew(INTAKE_RUNNING, INTAKE_RUNNING_SECONDS)) if guarded else None
    try:
        done = _intake_batches(batch=batch, max_batches=max_batches, heartbeat=beat)
        until = time.monotonic() + linger
        found = done
        while found and time.monotonic() + INTAKE_POLL_SECONDS < until:
            time.sleep(INTAKE_POLL_SECONDS)
            found = _intake_batches(batch=batch, max_batches=max_batches, heartbeat=beat)
            done += found
        return done
    finally:
        if guarded:
            release(INTAKE_RUNNING)


def _intake_batches(*, batch: int, max_batches: int, heartbeat: Callable[[], object] | None = None) -> int:
    done = 0
    for _ in range(max_batches):
        if heartbeat is not None:
            heartbeat()
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
                actor=actor if actor is not None else opinion.citizen_label,
                action="opinion.submit",
                target=opinion,
                target_label=f"{opinion.receipt_code} {opinion.title}",
                region_path=opinion.region.path,
                after={
                    **opinion.audit_snapshot(),
                    "source": opinion.source,
                    "citizen": mask_name(opinion.citizen_name) or "匿名",
                    "phone": mask_phone(opinion.citizen_phone),
                    "fingerprint": opinion.submit_fingerprint,
                },
                at=opinion.created_at,
            )
        )
