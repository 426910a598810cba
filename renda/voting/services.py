"""The life of a vote (表决事项) taken at a meeting, by secret ballot.

create (yes/no/abstain on each option, choose at most N of M candidates 差额, or a score per
option 测评) → open (only with a quorum present; the entitled count and the majority are frozen)
→ deputies who signed in cast one phone ballot each, and tellers' paper-ballot totals are entered
in batches; more ballots than signed-in voters is refused → close (tally written from the stored
ballots and batches; the ballots rewritten in shuffled order) → publish (frozen; shown on the
meeting page). When seats stay unfilled (a tie at the cut, or candidates without the majority)
staff open a runoff round among the tied/unelected candidates for the remaining seats. When the
last round of a question is published, ``voting.signals.vote_decided`` is sent once.

Secrecy (voting/sealing.py): a phone ballot is stored only sealed, to a key the database does not
hold, padded to one length per vote; ``Participation`` (who voted) and the sealed ballot are
written together so that "已投票" always means a ballot in the box. At close the box is opened
once: plain ``Ballot`` rows and the receipt trackers are written in two independent shuffled
orders, the sealed rows deleted, the key's salt erased, the participations rewritten shuffled and
(PostgreSQL) the tables vacuumed, so that no stored row, key, time or order ties a deputy to a
choice. No audit event or log line names a deputy together with a choice. The voter keeps a
receipt code that proves their ballot was counted, never what it said. Phone ballots are
published only merged with paper ones, and only when there are at least
``settings.VOTE_MIN_PHONE_BALLOTS`` of them beside a paper batch: fewer could be recovered by
subtracting the tellers' paper totals.

Contract with renda/projects (keep stable): ``OptionInput``, ``vote_create(*, scope, meeting,
title, method, seats, options)`` (extra keyword arguments are optional), ``Vote``/``VoteOption``
with ``ref`` copied into runoff rounds, and the ``vote_decided`` signal (voting/signals.py).

Every staff write is one ``vote_<verb>(*, scope, vote, ...)`` that runs the action skeleton
(core/actions.py): the transition's permission → the vote locked (with the first round when a
publication concludes a question, in primary-key order) → scope (voting/policy.py) → the state
rule (voting/states.py) → the change → the changed fields saved → the audit event, in one
transaction. ``vote_cast`` keeps its own path: it locks nothing exclusively (casts run side by
side under a shared lock) and writes no audit event, so no log ties a deputy to a ballot.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone

from renda.audit.services import audit_record
from renda.core.actions import Records, Step, perform
from renda.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from renda.core.ratelimit import check_rate
from renda.core.rules import rule_in
from renda.core.scoping import Perm, Scope
from renda.core.sqlite import truncate_wal
from renda.core.validation import clean_text
from renda.meetings.models import AgendaItem, Attendance, Attendee, Meeting, MeetingState
from renda.meetings.quorum import MAJORITY_LABELS, majority_rule, majority_threshold, quorum_status
from renda.meetings.services import MEETINGS
from renda.meetings.states import MACHINE as MEETING_MACHINE
from renda.voting import policy, sealing
from renda.voting.models import (
    Ballot,
    BallotTracker,
    Mark,
    Outcome,
    PaperBatch,
    Participation,
    SealedBallot,
    Vote,
    VoteMethod,
    VoteOption,
    VoteState,
)
from renda.voting.selectors import (
    compute_tally,
    first_round,
    forget_cast_votes,
    rounds_of,
    threshold_for,
    vote_for_cast,
)
from renda.voting.selectors import seats_unfilled as seats_unfilled  # callers of the old name
from renda.voting.signals import vote_decided
from renda.voting.states import MACHINE
from renda.voting.tally import Tally, decide

MAX_OPTIONS = 100
MAX_TITLE = 200
MAX_DESCRIPTION = 2000
MAX_SCORE = 1000
MAX_PAPER_BALLOTS = 10000
RECEIPT_CODE_LENGTH = 16


@dataclass(frozen=True)
class OptionInput:
    label: str
    ref: str = ""
    description: str = ""


def _snapshot(vote: Vote) -> dict[str, Any]:
    """What an audit event keeps of a vote: totals only, never a deputy together with a choice."""
    return {"state": vote.state, "round": vote.round}


VOTES: Records[Vote] = Records(
    machine=MACHINE,
    queryset=lambda: Vote.objects.select_related("meeting", "meeting__region", "meeting__body"),
    audit_prefix="vote",
    snapshot=_snapshot,
    label=str,
    region_path=lambda v: v.meeting.region.path,
    authorize=policy.authorize,
    missing="表决事项不存在或不在您的管辖范围内",
)


# ---------------------------------------------------------------- helpers


def _clean_options(method: str, seats: int | None, options: Sequence[OptionInput]) -> list[OptionInput]:
    if not options:
        raise ValidationFailed("请至少列出一个表决选项", field="options")
    if len(options) > MAX_OPTIONS:
        raise ValidationFailed(f"表决选项不能超过 {MAX_OPTIONS} 项", field="options")
    cleaned: list[OptionInput] = []
    refs: set[str] = set()
    labels: set[str] = set()
    for i, option in enumerate(options, start=1):
        if not isinstance(option, OptionInput):
            raise ValidationFailed("表决选项格式不正确", field="options")
        label = clean_text(option.label, label=f"第 {i} 项名称", field="options", max_length=200)
        description = clean_text(
            option.description, label=f"第 {i} 项说明", field="options", max_length=MAX_DESCRIPTION, required=False
        )
        ref = clean_text(option.ref, label=f"第 {i} 项关联对象", field="options", max_length=64, required=False)
        if ref and ref in refs:
            raise ValidationFailed(f"第 {i} 项的关联对象与前面的选项重复", field="options")
        if label in labels:
            raise ValidationFailed(f"第 {i} 项“{label}”与前面的选项重名", field="options")
        refs.add(ref)
        labels.add(label)
        cleaned.append(OptionInput(label=label, ref=ref, description=description))
    if method == VoteMethod.CHOOSE_N:
        if seats is None or seats < 1:
            raise ValidationFailed("差额票决须填写应选名额（至少 1 名）", field="seats")
        if len(cleaned) <= seats:
            raise ValidationFailed(
                f"差额票决的候选项应多于应选名额（现有 {len(cleaned)} 项，应选 {seats} 项）", field="seats"
            )
    elif method == VoteMethod.YES_NO:
        if seats is not None and not 1 <= seats <= len(cleaned):
            raise ValidationFailed(f"应选名额应为 1–{len(cleaned)}，或不设名额（逐项表决）", field="seats")
    elif seats is not None:
        raise ValidationFailed("评分表决不设应选名额", field="seats")
    return cleaned


def _create(
    *,
    meeting: Meeting,
    title: str,
    description: str,
    method: str,
    seats: int | None,
    score_max: int,
    options: Sequence[OptionInput],
    agenda_item: AgendaItem | None,
    round_number: int = 1,
    parent: Vote | None = None,
) -> Vote:
    vote = Vote.objects.create(
        meeting=meeting,
        agenda_item=agenda_item,
        title=title,
        description=description,
        method=method,
        seats=seats,
        score_max=score_max,
        round=round_number,
        parent=parent,
    )
    VoteOption.objects.bulk_create(
        [
            VoteOption(vote=vote, label=o.label, description=o.description, ref=o.ref, position=i)
            for i, o in enumerate(options, start=1)
        ]
    )
    return vote


# ---------------------------------------------------------------- create, open


def vote_create(
    *,
    scope: Scope,
    meeting: Meeting,
    title: str,
    method: str,
    seats: int | None,
    options: Sequence[OptionInput],
    description: str = "",
    agenda_item: AgendaItem | None = None,
    score_max: int = 100,
) -> Vote:
    """Put a question to the meeting's deputies (a draft until staff open it).

    ``choose_n``: choose at most ``seats`` of the options (more options than seats: 差额);
    ``yes_no``: 赞成/反对/弃权 on each option (``seats`` optional: then at most that many pass);
    ``score``: a score from 0 to ``score_max`` per option (测评). ``ref`` on an option is the
    caller's opaque key, unique within a vote and carried into runoff rounds.
    """

    def change(step: Step[Meeting]) -> Vote:
        locked = step.row
        if method not in VoteMethod.values:
            raise ValidationFailed("表决方式无效", field="method")
        if seats is not None and (isinstance(seats, bool) or not isinstance(seats, int)):
            raise ValidationFailed("应选名额应为整数", field="seats")
        if not isinstance(score_max, int) or not 1 <= score_max <= MAX_SCORE:
            raise ValidationFailed(f"满分应为 1–{MAX_SCORE} 的整数", field="score_max")
        clean_title = clean_text(title, label="表决事项", field="title", max_length=MAX_TITLE)
        clean_description = clean_text(
            description, label="说明", field="description", max_length=MAX_DESCRIPTION, required=False
        )
        if agenda_item is not None and agenda_item.meeting_id != locked.pk:
            raise ValidationFailed("议程不属于本次会议", field="agenda_item")
        cleaned = _clean_options(method, seats, options)
        vote = _create(
            meeting=locked,
            title=clean_title,
            description=clean_description,
            method=method,
            seats=seats,
            score_max=score_max,
            options=cleaned,
            agenda_item=agenda_item,
        )
        vote.meeting = locked
        # The event is the new vote's, not the meeting's (the step's records): written here, as
        # the meeting itself changes nothing to save.
        audit_record(
            actor=step.actor,
            action="vote.create",
            target=vote,
            target_label=str(vote),
            region_path=locked.region.path,
            after={**_snapshot(vote), "method": method, "seats": seats, "options": [o.label for o in cleaned]},
        )
        return vote

    return perform(MEETINGS, "add_vote", scope=scope, pks=[meeting.pk], change=change)


def vote_open(*, scope: Scope, vote: Vote) -> Vote:
    """开始表决: the meeting must be in session with a quorum present (地方组织法 §14). The number of
    entitled deputies and the majority rule are frozen now (地方组织法 §25)."""

    def change(step: Step[Vote]) -> Vote:
        row = step.row
        meeting = Meeting.objects.select_for_update(of=("self",)).get(pk=row.meeting_id)
        if meeting.state != MeetingState.IN_SESSION:
            raise Conflict("会议尚未宣布开会（或已闭会），不能开始表决")
        q = quorum_status(meeting)
        if not q.reached:
            raise Conflict(
                f"出席代表 {q.present} 人，未达到法定人数 {q.needed} 人（全体 {q.entitled} 人），不能开始表决",
                field="quorum",
            )
        rule_name = majority_rule()
        salt = sealing.new_salt()
        step.move(VoteState.OPEN)
        step.set(
            row,
            seal_salt=salt,
            seal_public=sealing.public_key_hex(row.pk, salt),
            opened_at=timezone.now(),
            entitled_count=q.entitled,
            present_at_open=q.present,
            majority_rule=rule_name,
            threshold=majority_threshold(rule_name, entitled=q.entitled, present=q.present, valid_ballots=0),
        )
        step.audit(
            "open",
            before=None,
            entitled=q.entitled,
            present=q.present,
            majority=MAJORITY_LABELS[row.majority_rule],
            threshold=row.threshold,
        )
        return row

    return perform(VOTES, "open", scope=scope, pks=[vote.pk], change=change)


# ---------------------------------------------------------------- casting a ballot (secret)


def clean_choices(vote: Vote, option_positions: Sequence[int], raw: object) -> Any:
    """The canonical form of one ballot over the vote's option positions, or ValidationFailed
    (in Chinese)."""
    positions = set(option_positions)

    def position_of(value: object) -> int:
        try:
            if isinstance(value, bool):
                raise TypeError
            position = int(str(value))
        except (TypeError, ValueError):
            raise ValidationFailed("选项编号应为整数", field="choices") from None
        if position not in positions:
            raise ValidationFailed(f"没有第 {position} 项", field="choices")
        return position

    if vote.method == VoteMethod.CHOOSE_N:
        if not isinstance(raw, (list, tuple)):
            raise ValidationFailed("请勾选候选项（可不选，即弃权）", field="choices")
        chosen = [position_of(x) for x in raw]
        if len(set(chosen)) != len(chosen):
            raise ValidationFailed("同一候选项只能选一次", field="choices")
        assert vote.seats is not None
        if len(chosen) > vote.seats:
            raise ValidationFailed(f"最多只能选 {vote.seats} 项，您选了 {len(chosen)} 项", field="choices")
        return sorted(chosen)
    if not isinstance(raw, Mapping):
        raise ValidationFailed("选票格式不正确", field="choices")
    marks: dict[str, Any] = {}
    for key, value in raw.items():
        position = position_of(key)
        if str(position) in marks:
            raise ValidationFailed(f"第 {position} 项重复", field="choices")
        if vote.method == VoteMethod.YES_NO:
            if value not in Mark.values:
                raise ValidationFailed(f"第 {position} 项应为赞成、反对或弃权", field="choices")
            marks[str(position)] = value
        else:
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= vote.score_max:
                raise ValidationFailed(f"第 {position} 项的评分应为 0–{vote.score_max} 的整数", field="choices")
            marks[str(position)] = value
    missing = positions - {int(k) for k in marks}
    if missing:
        what = "表明赞成、反对或弃权" if vote.method == VoteMethod.YES_NO else "评分"
        raise ValidationFailed(f"请对每一项{what}（第 {min(missing)} 项未填）", field="choices")
    if vote.method == VoteMethod.YES_NO and vote.seats is not None:
        yes = sum(1 for v in marks.values() if v == Mark.YES)
        if yes > vote.seats:
            raise ValidationFailed(f"最多只能赞成 {vote.seats} 项，您赞成了 {yes} 项", field="choices")
    return dict(sorted(marks.items(), key=lambda kv: int(kv[0])))


def receipt_code(tracker: str) -> str:
    """What the voter is shown: the tracker's 16 hex digits, in groups of four."""
    code = tracker[:RECEIPT_CODE_LENGTH].upper()
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalise_receipt_code(text: str) -> str:
    code = "".join(ch for ch in str(text) if ch.isalnum()).lower()
    if len(code) != RECEIPT_CODE_LENGTH or any(ch not in "0123456789abcdef" for ch in code):
        raise ValidationFailed("回执码应为 16 位（0–9、A–F），如 1A2B-3C4D-5E6F-7A8B", field="code")
    return code


CAST_REFUSALS: dict[str, str] = {
    VoteState.DRAFT: "表决尚未开始，请等待会议主持人宣布开始表决",
    VoteState.CLOSED: "投票已截止，不能再投票",
    VoteState.PUBLISHED: "投票已截止，结果已公布，不能再投票",
}
PAPER_ONLY = "本事项已改为纸质票表决，请向监票人领取纸质选票"
ALREADY_VOTED = "您已对该事项投过票，每位代表只能投一票"


@dataclass(frozen=True)
class CastReceipt:
    """Shown to the voter once: the code proves the ballot is counted, not what it says."""

    vote: Vote
    code: str


def _voting_deputy(scope: Scope, vote: Vote) -> int:
    if not scope.deputy_ids:
        raise PermissionDenied("只有代表本人可以投票")
    attendee = (
        Attendee.objects.filter(meeting_id=vote.meeting_id, deputy_id__in=scope.deputy_ids)
        .order_by()  # one row at most per deputy: no sort (the model orders by the deputy's name)
        .values_list("deputy_id", "status")
        .first()
    )
    if attendee is None:
        raise PermissionDenied("您不是本次会议的应出席代表，不能投票")
    if attendee[1] != Attendance.PRESENT:
        raise Conflict("请先在会场签到，签到后才能投票", field="sign_in")
    return int(attendee[0])


BOX_LOCK = 0x52454E44  # the advisory-lock namespace of ballot boxes ("REND")


def _box_for_cast(vote_id: int) -> tuple[str, str, bool] | None:
    """The vote's state, public key and paper-only flag, read under a shared lock held to commit.

    PostgreSQL: casts take a shared advisory lock on the vote (side by side, and without the
    multixact a shared row lock costs under hundreds of casts); close and the switch to paper
    take it exclusively, so they wait for the casts in flight and every later cast sees the vote
    closed. SQLite has one writer at a time, so the plain read cannot interleave with a close.
    """
    table = connection.ops.quote_name(Vote._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock_shared(%s, %s)", [BOX_LOCK, vote_id])
        cursor.execute(f"SELECT state, seal_public, paper_only FROM {table} WHERE id = %s", [vote_id])  # noqa: S608
        row = cursor.fetchone()
    return None if row is None else (str(row[0]), str(row[1]), bool(row[2]))


def _lock_box(vote_id: int) -> None:
    """Wait for the casts in flight and keep new ones out until commit (PostgreSQL). Taken
    before the vote's row lock: a cast holding the shared lock still needs a key-share lock on
    the vote row for its foreign keys, so the other order could deadlock."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [BOX_LOCK, vote_id])


_POSITIONS: dict[tuple[int, str], tuple[int, ...]] = {}


def option_positions(vote: Vote) -> tuple[int, ...]:
    """A vote's option positions, kept in this process while it is open (keyed by its box's
    public key, new at every opening): options never change once created, and 500 deputies
    pressing 表决 together would otherwise read them 500 times."""
    key = (vote.pk, vote.seal_public)
    positions = _POSITIONS.get(key) if vote.seal_public else None
    if positions is None:
        query = VoteOption.objects.filter(vote_id=vote.pk).order_by("position")
        positions = tuple(query.values_list("position", flat=True))
        if vote.seal_public:
            if len(_POSITIONS) > 1000:
                _POSITIONS.clear()
            _POSITIONS[key] = positions
    return positions


def _insert_cast(vote_id: int, deputy_id: int, sealed: bytes, tracker: str) -> None:
    """Who voted and their sealed ballot (SQLite: one writer at a time, so the reads before it
    cannot interleave with a close)."""
    Participation.objects.create(vote_id=vote_id, deputy_id=deputy_id)
    SealedBallot.objects.create(vote_id=vote_id, sealed=sealed, tracker=tracker)


def _cast_statement() -> str:
    """PostgreSQL: the whole cast in one round trip. Two statements in one query string are one
    implicit transaction; the first takes the vote's shared box lock (``_lock_box`` takes it
    exclusively to close), and the second, under a snapshot taken once the lock is held, inserts
    who voted and the sealed ballot only if the vote is still open by phone, sealed to the key the
    ballot was sealed with, and the deputy is signed in. It answers (eligible, taken): eligible 0
    means one of those failed and ``_refusal`` says which; eligible 1 and taken 0 means the unique
    constraint found the deputy's ballot already there (also when two arrive at once: the second
    waits for the first to commit), which is answered without an error on the server."""
    q = connection.ops.quote_name
    vote, attendee = q(Vote._meta.db_table), q(Attendee._meta.db_table)
    participation, box = q(Participation._meta.db_table), q(SealedBallot._meta.db_table)
    # Table names from the models, values as parameters.
    return (
        "SELECT pg_advisory_xact_lock_shared(%(lock)s, %(vote)s); "  # noqa: S608
        f"WITH ok AS (SELECT a.deputy_id FROM {vote} v JOIN {attendee} a ON a.meeting_id = v.meeting_id "
        "WHERE v.id = %(vote)s AND v.state = %(open)s AND NOT v.paper_only AND v.seal_public = %(key)s "
        "AND a.deputy_id = ANY(%(deputies)s) AND a.status = %(present)s LIMIT 1), "
        f"p AS (INSERT INTO {participation} (vote_id, deputy_id) SELECT %(vote)s, deputy_id FROM ok "
        "ON CONFLICT (vote_id, deputy_id) DO NOTHING RETURNING vote_id), "
        f"b AS (INSERT INTO {box} (id, vote_id, sealed, tracker) SELECT %(id)s, vote_id, %(sealed)s, %(tracker)s "
        "FROM p RETURNING 1) "
        "SELECT (SELECT count(*) FROM ok), (SELECT count(*) FROM b)"
    )


def _cast_pg(vote: Vote, deputy_ids: set[int], sealed: bytes, tracker: str) -> tuple[bool, bool]:
    """(eligible, taken): see ``_cast_statement``."""
    params: dict[str, Any] = {
        "lock": BOX_LOCK,
        "vote": vote.pk,
        "open": VoteState.OPEN,
        "key": vote.seal_public,
        "deputies": sorted(deputy_ids),
        "present": Attendance.PRESENT,
        "id": uuid.uuid4(),
        "sealed": sealed,
        "tracker": tracker,
    }
    with connection.cursor() as cursor:
        cursor.execute(_cast_statement(), params)
        cursor.nextset()  # the lock's row, then the answer
        eligible, taken = cursor.fetchone()
    return bool(eligible), bool(taken)


def _box_refusal(box: tuple[str, str, bool] | None) -> Conflict | None:
    """Why the box (``_box_for_cast``: state, key, paper only) takes no phone ballot, or None."""
    state, _key, paper_only = box or ("", "", False)
    if state != VoteState.OPEN:
        return Conflict(CAST_REFUSALS.get(state, "表决事项不存在"))
    if paper_only:
        return Conflict(PAPER_ONLY)
    return None


def _refusal(scope: Scope, vote: Vote) -> Exception:
    """Why a ballot was not taken, in the order a deputy would want to hear it, from a fresh read
    (the vote given may be the cast path's few-seconds-old copy, voting/selectors.py)."""
    vote = vote_for_cast(scope=scope, pk=vote.pk, fresh=True)  # raises NotFound outside the scope
    _voting_deputy(scope, vote)  # raises: not entitled, not signed in
    return _box_refusal(_box_for_cast(vote.pk)) or Conflict("表决已重新开始，请刷新页面后重新投票")


def vote_review(*, scope: Scope, vote: Vote, choices: object) -> Any:
    """The ballot read back before it is cast (the phone page's 确认 step): the same checks as
    ``vote_cast`` (entitled, signed in, the vote open by phone, the choices valid), nothing
    stored. Returns the canonical choices."""
    scope.check_path(vote.meeting.region.path, perm=Perm.VOTE_CAST)
    if not scope.deputy_ids:
        raise PermissionDenied("只有代表本人可以投票")
    canonical = clean_choices(vote, option_positions(vote), choices)
    _voting_deputy(scope, vote)
    if (refused := _box_refusal(_box_for_cast(vote.pk))) is not None:
        raise refused
    if Participation.objects.filter(vote_id=vote.pk, deputy_id__in=scope.deputy_ids).exists():
        raise Conflict(ALREADY_VOTED, field="choices")
    return canonical


def vote_cast(*, scope: Scope, vote: Vote, choices: object) -> CastReceipt:
    """A signed-in entitled deputy casts their one secret ballot on their phone.

    The ballot is sealed before it is stored (voting/sealing.py); the voter is given the receipt
    code, which proves that the ballot is counted and nothing about what it says. A second ballot
    by the same deputy is refused by the database constraint, also when two arrive at once.
    """
    scope.check_path(vote.meeting.region.path, perm=Perm.VOTE_CAST)
    if not scope.deputy_ids:
        raise PermissionDenied("只有代表本人可以投票")
    positions = option_positions(vote)
    canonical = clean_choices(vote, positions, choices)
    if connection.vendor == "postgresql":
        if vote.state != VoteState.OPEN or vote.paper_only or not vote.seal_public:
            raise _refusal(scope, vote)
        sealed, tracker = sealing.seal(vote.seal_public, canonical, n_options=len(positions))
        eligible, taken = _cast_pg(vote, scope.deputy_ids, sealed, tracker)  # its own implicit transaction
        if not eligible:
            raise _refusal(scope, vote)
        if not taken:
            raise Conflict(ALREADY_VOTED, field="choices")
        return CastReceipt(vote=vote, code=receipt_code(tracker))
    deputy_id = _voting_deputy(scope, vote)
    try:
        with transaction.atomic():
            box = _box_for_cast(vote.pk)
            if (refused := _box_refusal(box)) is not None or box is None:
                forget_cast_votes(vote.pk)
                raise refused or Conflict("表决事项不存在")
            sealed, tracker = sealing.seal(box[1], canonical, n_options=len(positions))
            _insert_cast(vote.pk, deputy_id, sealed, tracker)
    except IntegrityError:
        raise Conflict(ALREADY_VOTED, field="choices") from None
    return CastReceipt(vote=vote, code=receipt_code(tracker))


# ---------------------------------------------------------------- paper ballots (纸质选票)


def _present(meeting_id: int) -> int:
    return Attendee.objects.filter(meeting_id=meeting_id, status=Attendance.PRESENT).count()


def _paper_total(vote: Vote) -> int:
    return int(vote.paper_batches.aggregate(n=Sum("ballots"))["n"] or 0)


def _as_count(value: object, *, label: str) -> int:
    if isinstance(value, bool):
        raise ValidationFailed(f"{label}应为非负整数", field="counts")
    try:
        number = int(str(value).strip() or "0")
    except ValueError:
        raise ValidationFailed(f"{label}应为非负整数", field="counts") from None
    if number < 0 or number > MAX_PAPER_BALLOTS * MAX_SCORE:
        raise ValidationFailed(f"{label}应为非负整数", field="counts")
    return number


def clean_paper_counts(vote: Vote, options: Sequence[VoteOption], valid: int, raw: object) -> dict[str, Any]:
    """Per-option totals for ``valid`` ballots; refuses totals no set of valid ballots can give."""
    if not isinstance(raw, Mapping):
        raise ValidationFailed("请填写各项票数", field="counts")
    by_position = {o.position: o for o in options}
    counts: dict[str, Any] = {}
    for key, value in raw.items():
        try:
            position = int(str(key))
        except ValueError:
            raise ValidationFailed("选项编号应为整数", field="counts") from None
        if position not in by_position:
            raise ValidationFailed(f"没有第 {position} 项", field="counts")
        label = by_position[position].label
        if vote.method == VoteMethod.YES_NO:
            if not isinstance(value, Mapping):
                raise ValidationFailed(f"“{label}”请分别填写赞成、反对、弃权票数", field="counts")
            marks = {m: _as_count(value.get(m, 0), label=f"“{label}”{Mark(m).label}票数") for m in Mark.values}
            if sum(marks.values()) != valid:
                raise ValidationFailed(
                    f"“{label}”的赞成、反对、弃权合计 {sum(marks.values())} 票，应等于有效票 {valid} 张",
                    field="counts",
                )
            counts[str(position)] = marks
        else:
            number = _as_count(value, label=f"“{label}”票数")
            limit = valid if vote.method == VoteMethod.CHOOSE_N else valid * vote.score_max
            if number > limit:
                what = "得票" if vote.method == VoteMethod.CHOOSE_N else "总分"
                raise ValidationFailed(f"“{label}”{what} {number} 超过有效票可能的最大值 {limit}", field="counts")
            counts[str(position)] = number
    for position, option in by_position.items():
        if str(position) not in counts:
            if vote.method == VoteMethod.YES_NO and valid:
                raise ValidationFailed(f"“{option.label}”请填写票数", field="counts")
            counts[str(position)] = {m: 0 for m in Mark.values} if vote.method == VoteMethod.YES_NO else 0
    if vote.method == VoteMethod.CHOOSE_N:
        assert vote.seats is not None
        total = sum(int(v) for v in counts.values())
        if total > valid * vote.seats:
            raise ValidationFailed(
                f"各项得票合计 {total}，超过有效票 {valid} 张 × 每票最多 {vote.seats} 项 = {valid * vote.seats}；"
                "多选的选票应计为废票",
                field="counts",
            )
    if vote.method == VoteMethod.YES_NO and vote.seats is not None:
        total_yes = sum(int(v[Mark.YES]) for v in counts.values())
        if total_yes > valid * vote.seats:
            raise ValidationFailed(
                f"赞成票合计 {total_yes}，超过有效票 {valid} 张 × 每票最多赞成 {vote.seats} 项", field="counts"
            )
    return dict(sorted(counts.items(), key=lambda kv: int(kv[0])))


def paper_check_required(vote: Vote) -> bool:
    """复核 (rule ``vote.paper_check``, per township): a batch counts once another member of staff
    has typed the same sheet again and every item and candidate agrees."""
    return bool(rule_in("vote.paper_check", vote.meeting.region.path))


def _paper_sheet(
    vote: Vote, options: Sequence[VoteOption], ballots: object, invalid: object, counts: object
) -> tuple[int, int, dict[str, Any]]:
    """A tellers' sheet as typed, cleaned: (ballots, invalid, per-option counts)."""
    n_ballots = _as_count(ballots, label="收回选票数")
    n_invalid = _as_count(invalid, label="废票数")
    if n_ballots < 1:
        raise ValidationFailed("收回选票数应至少为 1", field="ballots")
    if n_invalid > n_ballots:
        raise ValidationFailed("废票数不能多于收回选票数", field="invalid")
    return n_ballots, n_invalid, clean_paper_counts(vote, options, n_ballots - n_invalid, counts)


def paper_batch_enter(
    *, scope: Scope, vote: Vote, ballots: object, invalid: object, counts: object, tellers: str
) -> PaperBatch:
    """Enter the totals the tellers (监票人、计票人) counted for a batch of paper ballots.

    Refused when phone and paper ballots together would exceed the deputies signed in. Where
    复核 applies the batch waits for a second entry (paper_batch_check) before it may be counted.
    """

    def change(step: Step[Vote]) -> PaperBatch:
        row = step.row
        options = list(row.options.all())
        n_ballots, n_invalid, cleaned = _paper_sheet(row, options, ballots, invalid, counts)
        clean_tellers = clean_text(tellers, label="监票、计票人", field="tellers", max_length=200)
        phone = row.participations.count()
        paper = _paper_total(row)
        present = _present(row.meeting_id)
        if phone + paper + n_ballots > present:
            raise ValidationFailed(
                f"电子票 {phone} 张、纸质票 {paper + n_ballots} 张，合计 {phone + paper + n_ballots} 张，"
                f"多于已签到代表 {present} 人，请核对",
                field="ballots",
            )
        checked = not paper_check_required(row)
        batch = PaperBatch.objects.create(
            vote=row,
            ballots=n_ballots,
            invalid=n_invalid,
            counts=cleaned,
            tellers=clean_tellers,
            entered_by=scope.user if scope.user_id else None,
            checked_at=timezone.now() if checked else None,
        )
        step.audit(
            "paper",
            before=None,
            batch=batch.pk,
            ballots=n_ballots,
            invalid=n_invalid,
            counts=cleaned,
            tellers=clean_tellers,
            awaits_check=not checked,
        )
        return batch

    return perform(VOTES, "paper", scope=scope, pks=[vote.pk], change=change)


def _batch_of(vote: Vote, batch_id: object) -> PaperBatch:
    try:
        pk = int(str(batch_id))
    except ValueError:
        raise ValidationFailed("请选择要处理的一批纸质票", field="batch") from None
    batch = PaperBatch.objects.select_for_update().filter(vote=vote, pk=pk).first()
    if batch is None:
        raise NotFound("本事项没有这一批纸质票")
    return batch


def paper_differences(
    vote: Vote, options: Sequence[VoteOption], batch: PaperBatch, ballots: int, invalid: int, counts: Mapping[str, Any]
) -> list[str]:
    """Every figure where the check disagrees with the first entry, item by item and candidate by
    candidate, in the words the tellers use."""
    found = []
    if batch.ballots != ballots:
        found.append(f"收回选票数：原录入 {batch.ballots}，复核 {ballots}")
    if batch.invalid != invalid:
        found.append(f"废票数：原录入 {batch.invalid}，复核 {invalid}")
    for option in options:
        first, second = batch.counts.get(str(option.position)), counts.get(str(option.position))
        if vote.method == VoteMethod.YES_NO:
            for mark in Mark.values:
                a, b = int((first or {}).get(mark, 0)), int((second or {}).get(mark, 0))
                if a != b:
                    found.append(f"“{option.label}”{Mark(mark).label}票：原录入 {a}，复核 {b}")
        elif int(first or 0) != int(second or 0):
            what = "得票" if vote.method == VoteMethod.CHOOSE_N else "总分"
            found.append(f"“{option.label}”{what}：原录入 {int(first or 0)}，复核 {int(second or 0)}")
    return found


def paper_batch_check(
    *, scope: Scope, vote: Vote, batch: object, ballots: object, invalid: object, counts: object
) -> PaperBatch:
    """复核: another member of staff types the same sheet again. Every item and candidate must
    agree with the first entry; any difference is named and nothing is recorded (the tellers
    recount, or the batch is withdrawn and entered afresh)."""

    def change(step: Step[Vote]) -> PaperBatch:
        row = step.row
        found = _batch_of(row, batch)
        if found.checked_at is not None:
            raise Conflict("这一批纸质票已经复核一致，无需再次复核")
        if found.entered_by_id is not None and found.entered_by_id == scope.user_id:
            raise ValidationFailed("复核须由另一名工作人员录入：录入人不能复核自己录入的结果", field="batch")
        options = list(row.options.all())
        n_ballots, n_invalid, cleaned = _paper_sheet(row, options, ballots, invalid, counts)
        differences = paper_differences(row, options, found, n_ballots, n_invalid, cleaned)
        if differences:
            raise ValidationFailed(
                f"复核与原录入有 {len(differences)} 处不一致，请监票、计票人重新清点后再复核，"
                f"或撤销这一批后重新录入：{'；'.join(differences)}",
                field="counts",
            )
        found.checked_by = scope.user if scope.user_id else None
        found.checked_at = timezone.now()
        found.save(update_fields=["checked_by", "checked_at", "updated_at"])
        step.audit("paper_check", before=None, batch=found.pk, ballots=n_ballots, invalid=n_invalid)
        return found

    return perform(VOTES, "paper_check", scope=scope, pks=[vote.pk], change=change)


def paper_batch_withdraw(*, scope: Scope, vote: Vote, batch: object, reason: str) -> Vote:
    """撤销 a batch entered wrongly, before 截止投票 (the tellers enter it afresh). Its figures stay
    in the audit log."""

    def change(step: Step[Vote]) -> Vote:
        row = step.row
        found = _batch_of(row, batch)
        clean_reason = clean_text(reason, label="撤销原因", field="reason", max_length=200)
        step.audit(
            "paper_withdraw",
            before=None,
            batch=found.pk,
            ballots=found.ballots,
            invalid=found.invalid,
            counts=found.counts,
            tellers=found.tellers,
            reason=clean_reason,
        )
        found.delete()
        return row

    return perform(VOTES, "paper_withdraw", scope=scope, pks=[vote.pk], change=change)


# ---------------------------------------------------------------- tally and result


def _write_tally(step: Step[Vote], options: list[VoteOption]) -> Tally:
    """The result frozen on the options, counted from the stored ballots and batches."""
    vote = step.row
    tally = compute_tally(vote, options)
    threshold = threshold_for(vote, tally)
    outcomes = decide(vote.method, vote.seats, tally, threshold)
    for option in options:
        t = tally.options[option.position]
        option.count_yes, option.count_no, option.count_abstain = t.yes, t.no, t.abstain
        option.score_total, option.score_count = t.score_total, t.score_count
        option.outcome = outcomes[option.position]
    VoteOption.objects.bulk_update(
        options, ["count_yes", "count_no", "count_abstain", "score_total", "score_count", "outcome"]
    )
    step.set(
        vote,
        threshold=threshold,
        ballots_phone=tally.phone,
        ballots_paper=tally.paper,
        ballots_invalid=tally.invalid,
    )
    return tally


def _open_box(vote: Vote) -> None:
    """Open the sealed box once: the plain ballots and the trackers in two independent shuffled
    orders, the sealed rows gone, the participations rewritten shuffled, the salt erased."""
    shuffle = random.SystemRandom().shuffle
    box = sealing.opener(vote.pk, vote.seal_salt) if vote.seal_salt else None
    sealed = list(SealedBallot.objects.filter(vote=vote).values_list("sealed", "tracker"))
    if sealed and box is None:
        raise Conflict("该事项的电子票箱缺少启封密钥，请联系系统管理员核查")
    choices = [sealing.unseal(box, s) for s, _t in sealed] if box is not None else []
    trackers = [t for _s, t in sealed]
    voters = list(Participation.objects.filter(vote=vote).values_list("deputy_id", flat=True))
    for rows in (choices, trackers, voters):
        shuffle(rows)
    SealedBallot.objects.filter(vote=vote).delete()
    Participation.objects.filter(vote=vote).delete()
    Ballot.objects.bulk_create([Ballot(vote=vote, choices=c) for c in choices], batch_size=500)
    BallotTracker.objects.bulk_create([BallotTracker(vote=vote, tracker=t) for t in trackers], batch_size=500)
    Participation.objects.bulk_create([Participation(vote=vote, deputy_id=d) for d in voters], batch_size=500)
    transaction.on_commit(_sweep_box_tables)


BOX_TABLES = (SealedBallot, Participation, Ballot, BallotTracker, Vote)


def _sweep_box_tables() -> None:
    """After the box is opened, leave no old row version behind: PostgreSQL's VACUUM removes the
    dead tuples (sealed ballots, the salt, participations in casting order); SQLite's
    secure_delete has zeroed them already and a checkpoint folds the WAL back into the file
    (renda/core/sqlite.py: with a short wait of its own, retried by core.sweep while readers
    hold an older snapshot, so that closing a vote never stalls everyone else's writes)."""
    if connection.vendor == "sqlite":
        truncate_wal()
        return
    if connection.vendor != "postgresql" or connection.in_atomic_block:  # pragma: no cover - on_commit runs outside
        return
    with connection.cursor() as cursor:
        for model in BOX_TABLES:
            cursor.execute(f"VACUUM {connection.ops.quote_name(model._meta.db_table)}")


def _too_few_phone(phone: int) -> bool:
    """Fewer phone ballots than may be published merged with paper ones (VOTE_MIN_PHONE_BALLOTS)."""
    return 0 < phone < int(settings.VOTE_MIN_PHONE_BALLOTS)


def _phone_merge_refusal(phone: int, paper: int) -> str:
    minimum = int(settings.VOTE_MIN_PHONE_BALLOTS)
    if paper and _too_few_phone(phone):
        return (
            f"电子票只有 {phone} 张，少于 {minimum} 张：与纸质票合并公布后，减去纸质票计票结果即可推知电子票的内容。"
            "请先“改为纸质票表决”，请已在手机上投票的代表改投纸质票"
        )
    return ""


def vote_close(*, scope: Scope, vote: Vote) -> Vote:
    """截止投票: no ballot is accepted after this; the box is opened and the tally written."""

    def change(step: Step[Vote]) -> Vote:
        row = step.row
        phone = row.participations.count()
        if SealedBallot.objects.filter(vote=row).count() != phone:
            raise Conflict("电子选票数与投票记录数不一致，请联系系统管理员核查")
        present = _present(row.meeting_id)
        paper = _paper_total(row)
        if phone + paper > present:
            raise Conflict(f"电子票 {phone} 张、纸质票 {paper} 张，合计多于已签到代表 {present} 人，请核对")
        refusal = _phone_merge_refusal(phone, paper)
        if refusal:
            raise Conflict(refusal, field="phone")
        unchecked = row.paper_batches.filter(checked_at__isnull=True).count()
        if unchecked and paper_check_required(row):
            raise Conflict(
                f"还有 {unchecked} 批纸质票计票结果未复核：须由另一名工作人员再录入一遍、逐项核对一致，"
                "或撤销录错的一批，才能截止投票",
                field="paper",
            )
        _open_box(row)
        step.move(VoteState.CLOSED)
        step.set(row, closed_at=timezone.now(), present_at_close=present, seal_salt="", seal_public="")
        tally = _write_tally(step, list(row.options.all()))
        step.audit(
            "close",
            before=None,
            phone=tally.phone,
            paper=tally.paper,
            invalid=tally.invalid,
            present=present,
            threshold=row.threshold,
        )
        return row

    with transaction.atomic():
        _lock_box(vote.pk)  # before the row lock, as casts take it: waits for the casts in flight
        return perform(VOTES, "close", scope=scope, pks=[vote.pk], change=change)


def vote_to_paper(*, scope: Scope, vote: Vote) -> Vote:
    """改为纸质票表决: too few phone ballots to publish merged with paper ones. The phone ballots
    cast so far are voided unopened (their deputies vote again on paper) and no more are taken."""

    def change(step: Step[Vote]) -> Vote:
        row = step.row
        if row.paper_only:
            raise Conflict("本事项已经改为纸质票表决")
        phone = row.participations.count()
        if phone and not _too_few_phone(phone):
            minimum = int(settings.VOTE_MIN_PHONE_BALLOTS)
            raise Conflict(f"已有电子票 {phone} 张（不少于 {minimum} 张），可以与纸质票合并计票，无需改为纸质票")
        SealedBallot.objects.filter(vote=row).delete()
        Participation.objects.filter(vote=row).delete()
        step.set(row, paper_only=True)
        step.audit("to_paper", before=None, voided_phone_ballots=phone)
        transaction.on_commit(_sweep_box_tables)
        return row

    with transaction.atomic():
        _lock_box(vote.pk)  # before the row lock, as in vote_close
        return perform(VOTES, "to_paper", scope=scope, pks=[vote.pk], change=change)


def _decided_refs(chain: Sequence[Vote]) -> tuple[list[str], list[str]]:
    elected: list[str] = []
    seen: list[str] = []
    for round_vote in chain:
        for option in round_vote.options.all():
            if option.ref and option.ref not in seen:
                seen.append(option.ref)
            if option.ref and option.outcome == Outcome.ELECTED and option.ref not in elected:
                elected.append(option.ref)
    return elected, [ref for ref in seen if ref not in elected]


@transaction.atomic  # the signal below goes out in the transaction that publishes
def vote_publish(*, scope: Scope, vote: Vote, conclude: bool = False) -> Vote:
    """公布结果: the round's result is frozen and shown on the meeting page.

    The question is decided when no seat is left unfilled, or when staff ``conclude`` it without
    a further round; then ``vote_decided`` is sent (once) with the refs elected across rounds.
    """
    root_pk = first_round(vote).pk  # locked with this round, in primary-key order

    def change(step: Step[Vote]) -> tuple[Vote, bool]:
        row = step.row
        options = list(row.options.all())
        unfilled = seats_unfilled(row, options)
        decided = unfilled == 0 or conclude
        step.move(VoteState.PUBLISHED)
        step.set(row, published_at=timezone.now(), concluded=decided)
        step.audit(
            "publish",
            before=None,
            result={o.label: _result_text(row, o) for o in options},
            unfilled=unfilled,
            concluded=decided,
        )
        if decided and root_pk != row.pk:
            root = step.rows[root_pk]
            if root.concluded:
                raise Conflict("该事项的表决已经结束")
            step.set(root, concluded=True)
        return row, decided

    published, decided = perform(VOTES, "publish", scope=scope, pks=[vote.pk, root_pk], change=change)
    if decided:
        chain = rounds_of(published)
        elected, not_elected = _decided_refs(chain)
        vote_decided.send(sender=Vote, vote=chain[0], elected_refs=elected, not_elected_refs=not_elected)
    return published


def _result_text(vote: Vote, option: VoteOption) -> str:
    if vote.method == VoteMethod.YES_NO:
        text = f"赞成 {option.count_yes}、反对 {option.count_no}、弃权 {option.count_abstain}"
    elif vote.method == VoteMethod.CHOOSE_N:
        text = f"得票 {option.count_yes}"
    else:
        avg = option.score_total / option.score_count if option.score_count else 0
        text = f"平均 {avg:.1f} 分（{option.score_count} 票）"
    return f"{text}，{Outcome(option.outcome).label}" if option.outcome else text


def vote_runoff(*, scope: Scope, vote: Vote, positions: Sequence[int] | None = None) -> Vote:
    """另行表决: a new round among the tied / unelected options of a published round, for the seats
    it left unfilled. ``positions`` narrows the candidates (default: every tied/unelected one)."""

    def change(step: Step[Vote]) -> Vote:
        row = step.row
        MEETING_MACHINE.check("add_vote", row.meeting.state)
        if row.concluded:
            raise Conflict("该事项的表决已经结束，不能另行表决")
        if Vote.objects.filter(parent=row).exists():
            raise Conflict("已经为该轮安排了另行表决")
        options = list(row.options.all())
        unfilled = seats_unfilled(row, options)
        if unfilled == 0:
            raise Conflict("名额已经选满，无需另行表决")
        pool = [o for o in options if o.outcome in (Outcome.TIED, Outcome.UNFILLED)]
        if positions is not None:
            wanted = set(positions)
            unknown = wanted - {o.position for o in pool}
            if unknown:
                raise ValidationFailed(f"第 {min(unknown)} 项不是票数相同或未当选的候选项", field="positions")
            pool = [o for o in pool if o.position in wanted]
        if row.method == VoteMethod.CHOOSE_N and len(pool) <= unfilled:
            raise ValidationFailed(
                f"另行表决的候选项应多于剩余名额（现有 {len(pool)} 项，剩余 {unfilled} 名）", field="positions"
            )
        if not pool:
            raise ValidationFailed("请选择另行表决的候选项", field="positions")
        runoff = _create(
            meeting=row.meeting,
            title=row.title,
            description=row.description,
            method=row.method,
            seats=unfilled,
            score_max=row.score_max,
            options=[OptionInput(label=o.label, ref=o.ref, description=o.description) for o in pool],
            agenda_item=row.agenda_item,
            round_number=row.round + 1,
            parent=row,
        )
        runoff.meeting = row.meeting
        step.audit("runoff", record=runoff, before=None, seats=unfilled, options=[o.label for o in pool])
        return runoff

    return perform(VOTES, "runoff", scope=scope, pks=[vote.pk], change=change)


# ---------------------------------------------------------------- receipts and recount


@dataclass(frozen=True)
class ReceiptCheck:
    vote: Vote
    counted: bool  # False: in the sealed box, counted when the vote closes
    published: bool


RECEIPT_CHECKS_PER_HOUR = 30


def receipt_check(*, code: str, client_ip: str = "") -> ReceiptCheck:
    """Public: is the ballot with this receipt code in the box (open) or in the count (closed)?
    It proves inclusion and nothing about the choices. The public page and the API count the
    caller's checks against one hourly limit (RateLimited, 429)."""
    check_rate(
        bucket="receipt-check",
        subject=client_ip,
        limit=RECEIPT_CHECKS_PER_HOUR,
        window_seconds=3600,
        message="查询过于频繁，请一小时后再试",
    )
    tracker = normalise_receipt_code(code)
    counted = BallotTracker.objects.select_related("vote", "vote__meeting").filter(tracker=tracker).first()
    if counted is not None:
        return ReceiptCheck(vote=counted.vote, counted=True, published=counted.vote.state == VoteState.PUBLISHED)
    sealed = SealedBallot.objects.select_related("vote", "vote__meeting").filter(tracker=tracker).first()
    if sealed is None:
        raise NotFound("没有找到该回执码对应的选票；请核对回执码，投票截止前后均可查询")
    return ReceiptCheck(vote=sealed.vote, counted=False, published=False)
