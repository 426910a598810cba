"""The life of a meeting (会议): a township 人代会, a 主席团会议 or a street 议政代表会议.

create (with the entitled deputies: by default the body's active deputies) → agenda and
documents → on the day deputies sign in (venue QR scanned on their phone, or staff sign them in)
and staff record approved leave (请假) → 宣布开会 → votes (renda/voting) → 宣布闭会, which
records every deputy neither present nor on leave as absent (缺席). Two unapproved absences
are flagged (代表法 §62; meetings/selectors.absence_flags). A sweep warns the office of a
township that has held fewer sessions this year than the rules ask (地方组织法 §14).

Every write on a meeting is one ``<entity>_<verb>(*, scope, meeting, ...)`` that runs the action
skeleton (core/actions.py): the transition's permission → the meeting locked → scope
(meetings/policy.py) → the state rule (meetings/states.py) → the change → the changed fields
saved → messages → the audit event, in one transaction. ``meeting_create`` has no row to lock
yet and checks the body's region itself; the yearly sweep writes no meeting.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import hashlib
import hmac
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F, Max, QuerySet
from django.utils import timezone

from renda.accounts.selectors import staff_users
from renda.audit.models import AuditEvent
from renda.audit.services import audit_record
from renda.core.actions import Records, Step, perform
from renda.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from renda.core.files import clean_document
from renda.core.rules import rule
from renda.core.scoping import Perm, Scope
from renda.core.validation import clean_text
from renda.meetings import policy
from renda.meetings.models import (
    AgendaItem,
    Attendance,
    Attendee,
    DocumentKind,
    Meeting,
    MeetingDocument,
    MeetingKind,
    MeetingState,
    SignInMethod,
)
from renda.meetings.naming import series_label, session_title
from renda.meetings.quorum import quorum_status
from renda.meetings.selectors import SESSION_KINDS, absence_flags, deputy_pool, session_shortfalls
from renda.meetings.states import MACHINE
from renda.notify.models import Channel
from renda.notify.services import notify_send
from renda.org.models import Body, BodyKind, Deputy
from renda.voting.models import VoteState

KIND_FOR_BODY = {
    BodyKind.CONGRESS: MeetingKind.CONGRESS,
    BodyKind.PRESIDIUM: MeetingKind.PRESIDIUM,
    BodyKind.STREET_DELIBERATION: MeetingKind.DELIBERATION,
}
MAX_DOC_BYTES = 20 * 1024 * 1024
MAX_DAYS = 30  # a session lasts a day or a few; a month is a typing mistake
PARKED = 1000  # numbers are moved here for a moment while a series is renumbered (never > 99 else)
CHECKIN_WINDOW_SECONDS = 60
CHECKIN_WINDOWS_ACCEPTED = 3  # a code shown up to about three minutes ago still signs in


def _snapshot(meeting: Meeting) -> dict[str, Any]:
    return {"state": meeting.state}


MEETINGS: Records[Meeting] = Records(
    machine=MACHINE,
    queryset=lambda: Meeting.objects.select_related("region", "body"),
    audit_prefix="meeting",
    snapshot=_snapshot,
    label=lambda m: m.title,
    region_path=lambda m: m.region.path,
    authorize=policy.authorize,
    missing="会议不存在或不在您的管辖范围内",
)


def default_deputies(body: Body) -> list[Deputy]:
    """A congress or a 议政代表会议: all its active deputies. A presidium: none (staff choose its members)."""
    if body.kind == BodyKind.PRESIDIUM:
        return []
    return list(deputy_pool(body).order_by("name_pinyin", "id"))


def series_of(body: Body, *, term: int | None, year: int) -> QuerySet[Meeting]:
    """The meetings one numbering runs through: the body's term, or the year for a body without one."""
    qs = Meeting.objects.filter(body=body)
    return qs.filter(term=term) if term is not None else qs.filter(term__isnull=True, year=year)


@dataclass(frozen=True)
class Renumbered:
    meeting: Meeting
    number: int
    title: str


def _in_date_order(rows: Sequence[Meeting]) -> list[Meeting]:
    # A new meeting (no pk yet) goes after those already on its day.
    return sorted(rows, key=lambda m: (m.start_date, m.pk or 2**62))


def _numbering(rows: Sequence[Meeting]) -> list[Renumbered]:
    """The rows (one series, already locked) whose number must change so that numbers follow the
    dates; refused if one of them has already been held: its number is on its documents."""
    changes = []
    for n, m in enumerate(_in_date_order(rows), start=1):
        if n > 99:
            raise ValidationFailed("同一届（年度）最多 99 次会议", field="start_date")
        if m.pk is None or m.number == n:
            continue
        if m.state != MeetingState.PLANNED:
            raise Conflict(
                f"{m.title}（{m.start_date:%Y年%m月%d日}）已经召开，次数不能改动：请把会议日期定在它之后",
                field="start_date",
            )
        generated = session_title(m.body, term=m.term, year=m.year, number=m.number)
        changes.append(
            Renumbered(
                m, n, session_title(m.body, term=m.term, year=m.year, number=n) if m.title == generated else m.title
            )
        )
    return changes


def _apply_numbering(changes: Sequence[Renumbered]) -> None:
    """Save the new numbers (and generated titles) of planned meetings. Their numbers are parked
    out of range first: two rows may swap numbers, and the unique constraint holds at every row."""
    if not changes:
        return
    Meeting.objects.filter(pk__in=[c.meeting.pk for c in changes]).update(number=F("number") + PARKED)
    for c in changes:
        Meeting.objects.filter(pk=c.meeting.pk).update(number=c.number, title=c.title, updated_at=timezone.now())


def _renumber_audit(change: Renumbered, actor: Any) -> dict[str, Any]:
    m = change.meeting
    return {
        "actor": actor,
        "action": "meeting.renumber",
        "target": m,
        "target_label": change.title,
        "region_path": m.region.path,
        "before": {"number": m.number, "title": m.title},
        "after": {"number": change.number, "title": change.title},
    }


@transaction.atomic
def meeting_create(
    *,
    scope: Scope,
    body: Body,
    start_date: dt.date,
    end_date: dt.date | None = None,
    title: str = "",
    venue: str = "",
    deputies: Sequence[Deputy] | None = None,
    agenda: Sequence[str] = (),
) -> Meeting:
    """Convene a meeting of ``body``: its number within the term (or the year) by date, the entitled
    deputies (default: all the body's active deputies) and the agenda. Dated before meetings still
    planned, those move one number on (their generated titles with them); dated before one already
    held, it is refused."""
    scope.check_path(body.region.path, perm=Perm.MEETING_MANAGE)
    kind = KIND_FOR_BODY.get(BodyKind(body.kind))
    if kind is None:
        raise ValidationFailed("只有乡镇人民代表大会、乡镇人大主席团和街道议政代表会议可以召开会议", field="body")
    end_date = end_date or start_date
    if end_date < start_date:
        raise ValidationFailed("结束日期不能早于开始日期", field="end_date")
    if (end_date - start_date).days > MAX_DAYS:
        raise ValidationFailed(f"会议时间不能超过 {MAX_DAYS + 1} 天", field="end_date")
    year = start_date.year
    venue = clean_text(venue, label="会场", field="venue", max_length=120, required=False)
    custom_title = clean_text(title, label="会议名称", field="title", max_length=120, required=False)
    pool = deputy_pool(body)
    if deputies is None:
        chosen = default_deputies(body)
    else:
        chosen = list({d.pk: d for d in deputies}.values())
        allowed_ids = set(pool.filter(pk__in=[d.pk for d in chosen]).values_list("pk", flat=True))
        if len(allowed_ids) != len(chosen):
            raise ValidationFailed("所选代表中有人不属于该机构或不在任", field="deputies")
    if not chosen:
        raise ValidationFailed("请选择应出席会议的代表（主席团会议请选择主席团成员）", field="deputies")
    items = [clean_text(x, label="议题", field="agenda", max_length=200) for x in agenda if str(x).strip()]
    # The body's row serialises numbering: two meetings created at once get consecutive numbers.
    Body.objects.select_for_update().filter(pk=body.pk).first()
    series = list(
        series_of(body, term=body.term, year=year)
        .select_for_update(of=("self",))
        .select_related("body__region", "region")
        .order_by("pk")
    )
    meeting = Meeting(
        body=body,
        region=body.region,
        kind=kind,
        year=year,
        term=body.term,
        start_date=start_date,
        end_date=end_date,
        venue=venue,
    )
    changes = _numbering([*series, meeting])
    meeting.number = next(n for n, m in enumerate(_in_date_order([*series, meeting]), start=1) if m is meeting)
    meeting.title = custom_title or session_title(body, term=body.term, year=year, number=meeting.number)
    _apply_numbering(changes)
    try:
        with transaction.atomic():
            meeting.save(force_insert=True)
    except IntegrityError:
        label = series_label(body, term=body.term, year=year)
        raise Conflict(
            f"{body.name}{label}第{meeting.number}次会议刚被他人创建，请刷新后重试", field="start_date"
        ) from None
    Attendee.objects.bulk_create([Attendee(meeting=meeting, deputy=d) for d in chosen])
    AgendaItem.objects.bulk_create(
        [AgendaItem(meeting=meeting, position=i + 1, title=text) for i, text in enumerate(items)]
    )
    audit_record(
        actor=scope.actor,
        action="meeting.create",
        target=meeting,
        target_label=meeting.title,
        region_path=meeting.region.path,
        after={**_snapshot(meeting), "entitled": len(chosen), "agenda": items, "number": meeting.number},
    )
    for c in changes:
        audit_record(**_renumber_audit(c, scope.actor))
    return meeting


def meeting_edit(
    *,
    scope: Scope,
    meeting: Meeting,
    title: str | None = None,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    venue: str | None = None,
) -> Meeting:
    """修改会议安排 while the meeting is still planned: its title (empty: the generated one), dates
    and venue. A new date renumbers the planned meetings of its term as ``meeting_create`` does;
    a date before a meeting already held is refused."""

    def change(step: Step[Meeting]) -> Meeting:
        row = step.row
        new_start = start_date or row.start_date
        new_end = end_date or (new_start + (row.end_date - row.start_date) if start_date else row.end_date)
        if new_end < new_start:
            raise ValidationFailed("结束日期不能早于开始日期", field="end_date")
        if (new_end - new_start).days > MAX_DAYS:
            raise ValidationFailed(f"会议时间不能超过 {MAX_DAYS + 1} 天", field="end_date")
        new_venue = (
            row.venue
            if venue is None
            else clean_text(venue, label="会场", field="venue", max_length=120, required=False)
        )
        generated_now = session_title(row.body, term=row.term, year=row.year, number=row.number)
        custom = (
            (row.title if row.title != generated_now else "")
            if title is None
            else clean_text(title, label="会议名称", field="title", max_length=120, required=False)
        )
        before = {
            "title": row.title,
            "start_date": str(row.start_date),
            "end_date": str(row.end_date),
            "venue": row.venue,
        }
        old_series = [m for m in _series_rows(step, row, year=row.year) if m.pk != row.pk]
        row.start_date, row.end_date, row.year = new_start, new_end, new_start.year
        new_series = [m for m in _series_rows(step, row, year=row.year) if m.pk != row.pk]
        changes = _numbering([*new_series, row])
        mine = next((c for c in changes if c.meeting is row), None)
        others = [c for c in changes if c.meeting is not row]
        if old_series and row.term is None and old_series[0].year != row.year:
            others += _numbering(old_series)  # the year it left closes its gap
        number = mine.number if mine else row.number
        # The row's own number is saved with the others (parked first), the rest by the skeleton.
        _apply_numbering([*others, *([Renumbered(row, number, row.title)] if mine else [])])
        row.number = number
        new_title = custom or session_title(row.body, term=row.term, year=row.year, number=number)
        step.set(row, title=new_title, venue=new_venue)
        step.changed(row, "start_date", "end_date", "year", "number")
        step.audit(
            "edit",
            before={**_snapshot(row), **before},
            title=new_title,
            start_date=str(new_start),
            end_date=str(new_end),
            venue=new_venue,
            number=number,
        )
        for c in others:
            step.audit(
                "renumber",
                record=c.meeting,
                before={"number": c.meeting.number, "title": c.meeting.title},
                number=c.number,
                title=c.title,
            )
        return row

    scope.require(Perm.MEETING_MANAGE)  # before any lock (perform checks it again, with the scope)
    with transaction.atomic():
        # As meeting_create: the body's row first, then the body's meetings in pk order.
        Body.objects.select_for_update().filter(pk=meeting.body_id).first()
        series_pks = list(
            Meeting.objects.filter(body_id=meeting.body_id).exclude(pk=meeting.pk).values_list("pk", flat=True)
        )
        return perform(MEETINGS, "edit", scope=scope, pks=[meeting.pk, *series_pks], change=change)


def _series_rows(step: Step[Meeting], row: Meeting, *, year: int) -> list[Meeting]:
    """The row's series among the rows the step has locked (the body's meetings)."""
    return [
        m
        for m in step.rows.values()
        if m.body_id == row.body_id
        and (m.term == row.term if row.term is not None else (m.term is None and m.year == year))
    ]


def meeting_set_attendees(*, scope: Scope, meeting: Meeting, deputies: Sequence[Deputy], reason: str = "") -> Meeting:
    """Change who is entitled to attend (before the meeting opens)."""

    def change(step: Step[Meeting]) -> Meeting:
        row = step.row
        chosen = {d.pk for d in deputies}
        if not chosen:
            raise ValidationFailed("应出席代表不能为空", field="deputies")
        if deputy_pool(row.body).filter(pk__in=chosen).count() != len(chosen):
            raise ValidationFailed("所选代表中有人不属于该机构或不在任", field="deputies")
        current = set(row.attendees.values_list("deputy_id", flat=True))
        row.attendees.filter(deputy_id__in=current - chosen).delete()
        Attendee.objects.bulk_create([Attendee(meeting=row, deputy_id=pk) for pk in chosen - current])
        step.audit("attendees", before=None, reason=reason, added=len(chosen - current), removed=len(current - chosen))
        return row

    return perform(MEETINGS, "edit", scope=scope, pks=[meeting.pk], change=change)


def agenda_add(*, scope: Scope, meeting: Meeting, title: str, description: str = "") -> AgendaItem:
    """Add an item at the end of the agenda."""

    def change(step: Step[Meeting]) -> AgendaItem:
        row = step.row
        clean_title = clean_text(title, label="议题", field="title", max_length=200)
        clean_description = clean_text(description, label="说明", field="description", max_length=2000, required=False)
        position = int(row.agenda.aggregate(n=Max("position"))["n"] or 0) + 1
        item = AgendaItem.objects.create(
            meeting=row, position=position, title=clean_title, description=clean_description
        )
        step.audit("agenda", before=None, item=clean_title, position=position)
        return item

    return perform(MEETINGS, "agenda", scope=scope, pks=[meeting.pk], change=change)


def _agenda_item(meeting: Meeting, item_id: int | None) -> AgendaItem:
    item = (
        AgendaItem.objects.select_for_update(of=("self",)).filter(meeting=meeting, pk=item_id).first()
        if item_id is not None
        else None
    )
    if item is None:
        raise NotFound("议程不存在或不属于本次会议", field="item")
    return item


def agenda_edit(
    *, scope: Scope, meeting: Meeting, item_id: int | None, title: str, description: str = ""
) -> AgendaItem:
    """Reword an agenda item (its place in the agenda stays)."""

    def change(step: Step[Meeting]) -> AgendaItem:
        item = _agenda_item(step.row, item_id)
        clean_title = clean_text(title, label="议题", field="title", max_length=200)
        clean_description = clean_text(description, label="说明", field="description", max_length=2000, required=False)
        before = {"item": item.title, "position": item.position}
        step.set(item, title=clean_title, description=clean_description)
        step.audit("agenda_edit", before=before, item=clean_title, position=item.position)
        return item

    return perform(MEETINGS, "agenda", scope=scope, pks=[meeting.pk], change=change)


def agenda_remove(*, scope: Scope, meeting: Meeting, item_id: int | None) -> Meeting:
    """Take an item off the agenda; the items after it move up. Refused once a vote was put under
    it (its result names the item); a document filed under it stays with the meeting."""

    def change(step: Step[Meeting]) -> Meeting:
        row = step.row
        item = _agenda_item(row, item_id)
        if row.votes.filter(agenda_item=item).exists():
            raise Conflict(f"议程“{item.title}”下已有表决事项，不能删除", field="item")
        position, removed = item.position, item.title
        item.delete()
        # Close the gap from the top down: each item moves into the place just freed.
        for later in row.agenda.filter(position__gt=position).order_by("position"):
            AgendaItem.objects.filter(pk=later.pk).update(position=later.position - 1, updated_at=timezone.now())
        step.audit("agenda_remove", before={"item": removed, "position": position}, item=removed)
        return row

    return perform(MEETINGS, "agenda", scope=scope, pks=[meeting.pk], change=change)


def document_add(
    *,
    scope: Scope,
    meeting: Meeting,
    kind: str,
    title: str,
    text: str = "",
    file: UploadedFile[bytes] | None = None,
    agenda_item: AgendaItem | None = None,
) -> MeetingDocument:
    """Attach a document heard at the meeting (政府工作报告, 预算执行, 项目进展, 决议草案…)."""

    def change(step: Step[Meeting]) -> MeetingDocument:
        row = step.row
        if kind not in DocumentKind.values:
            raise ValidationFailed("文件类别无效", field="kind")
        clean_title = clean_text(title, label="标题", field="title", max_length=200)
        clean_body = clean_text(text, label="正文/摘要", field="text", max_length=20000, required=False)
        if agenda_item is not None and agenda_item.meeting_id != row.pk:
            raise ValidationFailed("议程不属于本次会议", field="agenda_item")
        if file is not None and (file.size or 0) > MAX_DOC_BYTES:
            raise ValidationFailed("附件不能超过 20 MB", field="file")
        if file is not None:
            clean_document(file, field="file", label="附件", max_bytes=MAX_DOC_BYTES)
        if not clean_body and file is None:
            raise ValidationFailed("请填写正文摘要或上传附件", field="text")
        doc = MeetingDocument(
            meeting=row,
            kind=kind,
            title=clean_title,
            text=clean_body,
            agenda_item=agenda_item,
            uploaded_by=scope.user if scope.user_id else None,
        )
        if file is not None:
            doc.file.save(file.name or "document", file, save=False)
        doc.save()
        step.audit("document", before=None, document=clean_title, kind=kind)
        return doc

    return perform(MEETINGS, "document", scope=scope, pks=[meeting.pk], change=change)


def meeting_open(*, scope: Scope, meeting: Meeting) -> Meeting:
    """宣布开会. Deputies may sign in before; votes can be opened only once the meeting is in session."""

    def change(step: Step[Meeting]) -> Meeting:
        step.move(MeetingState.IN_SESSION)
        step.set(step.row, opened_at=timezone.now())
        q = quorum_status(step.row)
        step.audit("open", before=None, present=q.present, entitled=q.entitled, needed=q.needed)
        return step.row

    return perform(MEETINGS, "open", scope=scope, pks=[meeting.pk], change=change)


def _tell_absences(meeting: Meeting) -> None:
    """The township office is told of each deputy this session brought to the §62 limit."""
    flagged = [f for f in absence_flags(region=meeting.region) if f.last_meeting_id == meeting.pk]
    staff = staff_users(meeting.region, above=False) if flagged else []
    for flag in flagged:
        for user in staff:
            notify_send(
                channel=Channel.IN_APP,
                to_user=user,
                subject="代表未经批准缺席",
                body=(
                    f"代表{flag.deputy.name}已{flag.count}次未经批准不出席{meeting.body.name}会议，"
                    "依照代表法第六十二条，其代表资格终止，请依法处理。"
                ),
                target=meeting,
            )


def meeting_close(*, scope: Scope, meeting: Meeting) -> Meeting:
    """宣布闭会: every vote must be finished; deputies neither signed in nor on leave are recorded 缺席."""

    def change(step: Step[Meeting]) -> Meeting:
        row = step.row
        if row.votes.filter(state__in=[VoteState.OPEN, VoteState.CLOSED]).exists():
            raise Conflict("还有表决正在进行或尚未公布结果，不能闭会")
        absent = row.attendees.filter(status=Attendance.EXPECTED).update(
            status=Attendance.ABSENT, updated_at=timezone.now()
        )
        step.move(MeetingState.CLOSED)
        step.set(row, closed_at=timezone.now())
        if row.kind in SESSION_KINDS and absent:
            step.notify(_tell_absences, row)  # after the state is saved: the flags count closed sessions
        step.audit("close", before=None, absent=absent)
        return row

    return perform(MEETINGS, "close", scope=scope, pks=[meeting.pk], change=change)


# ---------------------------------------------------------------- sign-in (签到) and leave (请假)


def checkin_token(meeting: Meeting, *, at: float | None = None, back: int = 0) -> str:
    """The venue code shown as a QR on the staff page; it changes every minute, so a photo of it
    sent to an absent colleague stops working within minutes."""
    window = int((at if at is not None else time.time()) // CHECKIN_WINDOW_SECONDS) - back
    message = f"{meeting.pk}:{window}".encode()
    return hmac.new(meeting.checkin_secret.encode(), message, hashlib.sha256).hexdigest()[:16]


def checkin_token_valid(meeting: Meeting, token: str, *, at: float | None = None) -> bool:
    return any(
        hmac.compare_digest(checkin_token(meeting, at=at, back=b), token) for b in range(CHECKIN_WINDOWS_ACCEPTED)
    )


def _attendee(meeting: Meeting, deputy_id: int) -> Attendee:
    attendee = (
        Attendee.objects.select_for_update(of=("self",))
        .select_related("deputy")
        .filter(meeting=meeting, deputy_id=deputy_id)
        .first()
    )
    if attendee is None:
        raise NotFound("该代表不是本次会议的应出席代表")
    return attendee


_REPLAYING: contextvars.ContextVar[bool] = contextvars.ContextVar("meetings_replaying", default=False)


@contextlib.contextmanager
def replaying_history() -> Iterator[None]:
    """Record past sessions as they happened (the demo's year, an import of earlier records):
    sign-ins are not held to today's window."""
    token = _REPLAYING.set(True)
    try:
        yield
    finally:
        _REPLAYING.reset(token)


def _signin_window(meeting: Meeting) -> None:
    """Sign-in opens ``session.signin_days_before`` days before the start (报到) and ends with the meeting."""
    today = timezone.localdate()
    opens = meeting.start_date - dt.timedelta(days=int(rule("session.signin_days_before")))
    if today < opens:
        raise Conflict(
            f"签到自{opens.month}月{opens.day}日起开放（会议{meeting.start_date.month}月{meeting.start_date.day}日开始）"
        )
    if today > meeting.end_date:
        raise Conflict("会议已经结束，不能再签到")


def _mark_present(step: Step[Meeting], attendee: Attendee, method: str) -> Attendee:
    if attendee.status == Attendance.PRESENT:
        return attendee  # signing in twice is harmless: the first time stands
    if not _REPLAYING.get():
        _signin_window(step.row)
    if attendee.status == Attendance.LEAVE and method == SignInMethod.STAFF:
        # Nobody signs in for a colleague on leave: if they came after all, the leave goes first.
        raise Conflict(f"{attendee.deputy.name}已请假（{attendee.leave_reason}），如已到会，请先撤销请假再签到")
    step.set(attendee, status=Attendance.PRESENT, signed_in_at=timezone.now(), sign_in_method=method)
    step.audit("check_in" if method == SignInMethod.QR else "sign_in", before=None, deputy=attendee.deputy.name)
    return attendee


def attendee_sign_in(*, scope: Scope, meeting: Meeting, deputy: Deputy) -> Attendee:
    """Staff sign a deputy in (代签), e.g. one without a phone."""
    return perform(
        MEETINGS,
        "sign_in",
        scope=scope,
        pks=[meeting.pk],
        change=lambda step: _mark_present(step, _attendee(step.row, deputy.pk), SignInMethod.STAFF),
    )


def attendees_sign_in(*, scope: Scope, meeting: Meeting, deputies: Sequence[Deputy]) -> list[Attendee]:
    """代签 for several deputies at once (a delegation arriving together); all or none."""

    def change(step: Step[Meeting]) -> list[Attendee]:
        if not deputies:
            raise ValidationFailed("请勾选要代签到的代表", field="deputies")
        return [_mark_present(step, _attendee(step.row, d.pk), SignInMethod.STAFF) for d in deputies]

    return perform(MEETINGS, "sign_in", scope=scope, pks=[meeting.pk], change=change)


def attendee_leave_withdraw(*, scope: Scope, meeting: Meeting, deputy: Deputy) -> Attendee:
    """撤销请假: a deputy on leave came after all; they are expected again (and can sign in)."""

    def change(step: Step[Meeting]) -> Attendee:
        attendee = _attendee(step.row, deputy.pk)
        if attendee.status != Attendance.LEAVE:
            raise Conflict(f"{attendee.deputy.name}没有请假")
        step.set(attendee, status=Attendance.EXPECTED, leave_reason="")
        step.audit("leave_withdraw", before=None, deputy=attendee.deputy.name, reason=attendee.leave_reason)
        return attendee

    return perform(MEETINGS, "leave", scope=scope, pks=[meeting.pk], change=change)


def attendee_check_in(*, scope: Scope, meeting: Meeting, token: str) -> Attendee:
    """A deputy signs themself in by scanning the venue QR on their logged-in phone."""
    scope.require(Perm.VOTE_CAST)
    if not scope.deputy_ids:
        raise PermissionDenied("只有代表本人可以扫码签到")

    def change(step: Step[Meeting]) -> Attendee:
        attendee = (
            Attendee.objects.select_for_update(of=("self",))
            .select_related("deputy")
            .filter(meeting=step.row, deputy_id__in=scope.deputy_ids)
            .first()
        )
        if attendee is None:
            raise PermissionDenied("您不是本次会议的应出席代表")
        if attendee.status == Attendance.PRESENT:
            return attendee  # scanning again later (an old photo of the code) changes nothing
        if not checkin_token_valid(step.row, str(token)):
            raise ValidationFailed("签到码已过期，请重新扫描会场大屏上的二维码", field="token")
        return _mark_present(step, attendee, SignInMethod.QR)

    return perform(MEETINGS, "check_in", scope=scope, pks=[meeting.pk], change=change)


def attendee_leave(*, scope: Scope, meeting: Meeting, deputy: Deputy, reason: str) -> Attendee:
    """Record an approved leave (请假经批准): the absence does not count under 代表法 §62."""

    def change(step: Step[Meeting]) -> Attendee:
        clean_reason = clean_text(reason, label="请假事由", field="reason", max_length=200)
        attendee = _attendee(step.row, deputy.pk)
        if attendee.status == Attendance.PRESENT:
            raise Conflict(f"{attendee.deputy.name}已签到，不能登记请假")
        step.set(attendee, status=Attendance.LEAVE, leave_reason=clean_reason)
        step.audit("leave", before=None, reason=clean_reason, deputy=attendee.deputy.name)
        return attendee

    return perform(MEETINGS, "leave", scope=scope, pks=[meeting.pk], change=change)


# ---------------------------------------------------------------- the yearly count (地方组织法 §14)


@dataclass
class SweepReport:
    behind: int = 0
    warned: int = 0


def meetings_sweep(*, today: dt.date | None = None) -> SweepReport:
    """Warn each township office (in-app, once per year and shortfall) whose sessions held or
    scheduled this year are fewer than ``session.expected_per_year`` (or the legal minimum)."""
    today = today or timezone.localdate()
    report = SweepReport()
    for shortfall in session_shortfalls(scope=None, year=today.year, today=today):
        report.behind += 1
        action = f"meeting.behind:{today.year}:{shortfall.count}"
        if AuditEvent.objects.filter(
            action="meeting.behind", region_path=shortfall.region.path, reason=action
        ).exists():
            continue
        with transaction.atomic():
            audit_record(
                actor="会议次数检查",
                action="meeting.behind",
                target=shortfall.body,
                target_label=shortfall.body.name,
                region_path=shortfall.region.path,
                reason=action,
                after={"year": today.year, "count": shortfall.count, "expected": shortfall.expected},
            )
            # The township's own office: county staff see the shortfall on their meetings index.
            for user in staff_users(shortfall.region, above=False):
                notify_send(
                    channel=Channel.IN_APP,
                    to_user=user,
                    subject="人代会次数提醒",
                    body=shortfall.message,
                    target=shortfall.body,
                )
        report.warned += 1
    return report
