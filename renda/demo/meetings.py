"""This year's congress sessions for the demo townships, built through the services.

- Every town's 人民代表大会 held a session early in the year and another in July, except one town,
  which held only the first (the meetings index and ``meetings.sweep`` warn about it: fewer than
  the usual two a year, 地方组织法 §14). Sessions are named by term and numbered in date order
  within it (白鹭镇第十九届人民代表大会第二次会议). In the towns of the livelihood-project demo
  (renda/demo/projects.py, run before this one) the year's first session is held by that demo
  through ``hold_session`` in January, with the project vote on its agenda, as is last year's.
- Each session: the congress's deputies entitled; about 90% sign in (most by the venue QR, some
  signed in by staff), a few on approved leave (请假), one or two absent without leave; in the demo
  town one deputy missed both sessions without leave and is flagged (代表法 §62).
- At each session the deputies vote, by secret ballot, on the resolutions on the government work
  report and the budget (赞成/反对/弃权), results published. In the demo town the deputies with
  demo accounts vote on their phones and the rest on paper, the tellers' totals entered in one batch.
- Each street's 议政代表会议 met twice.
- The demo town also has its next session planned for the end of December, with its agenda, so the
  sign-in console, the venue QR and phone voting can be tried at once.

Deputies need an account to vote on a phone. The demo gives every deputy of the demo town's
congress a login ``dep01`` … ``depNN`` (password as the other demo logins, ``Renda@2026demo``);
``deputy`` is one of them already. Elsewhere deputies vote on paper in the demo.

The livelihood-project votes (民生实事票决) are taken by renda/demo/projects.py at the session it
holds here (``Business``), through the voting services. Times (sign-in, opening, closing) are back-dated to the session days; audit events are
not (the audit table is append-only): they record when the demo was generated.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from renda.accounts.models import Role, RoleAssignment, User
from renda.accounts.services import role_grant, user_create
from renda.core.scoping import Scope, scope_for_user
from renda.demo.county import DEMO_PASSWORD
from renda.meetings import selectors, services
from renda.meetings.models import Attendance, Attendee, DocumentKind, Meeting, MeetingKind
from renda.org.models import Body, BodyKind, CongressLevel, Deputy
from renda.regions.models import Region
from renda.voting import services as voting
from renda.voting.models import Vote, VoteMethod

RESOLUTIONS: list[tuple[str, str, str]] = [
    ("关于镇人民政府工作报告的决议", DocumentKind.GOVERNMENT_REPORT, "镇人民政府工作报告"),
    ("关于财政预算执行情况和预算草案的决议", DocumentKind.BUDGET, "财政预算执行情况和预算草案的报告"),
]
MID_YEAR: list[tuple[str, str, str]] = [
    ("关于上半年民生实事项目推进情况的决议", DocumentKind.PROJECTS, "上半年民生实事项目推进情况的报告"),
]
REPORT_TEXT = "报告回顾了过去一个时期的工作，提出了下一阶段的目标任务和主要举措，提请会议审议。"


@dataclass
class Summary:
    meetings: int = 0
    votes: int = 0
    phone_ballots: int = 0
    accounts: int = 0


def _demo_town() -> Region | None:
    assignment = RoleAssignment.objects.select_related("region").filter(user__username="township").first()
    return assignment.region if assignment else None


def check_paper(vote: Vote) -> None:
    """复核: another hand of the office (``township2`` or ``township`` in their own town, else the
    county's staff) types every sheet of the vote again, as the rule ``vote.paper_check`` asks
    before 截止投票."""
    hands = []
    for a in RoleAssignment.objects.select_related("user").filter(
        user__username__in=["township2", "township", "county", "city"]
    ):
        if a.role != Role.TOWNSHIP_STAFF or a.region_id == vote.meeting.region_id:
            hands.append(a.user)
    order = ["township2", "township", "county", "city"]
    hands.sort(key=lambda u: order.index(u.username))
    for batch in list(vote.paper_batches.filter(checked_at__isnull=True)):
        checker = next((u for u in hands if u.pk != batch.entered_by_id), None)
        if checker is None:
            return
        voting.paper_batch_check(
            scope=scope_for_user(checker),
            vote=vote,
            batch=batch.pk,
            ballots=batch.ballots,
            invalid=batch.invalid,
            counts=batch.counts,
        )


def _deputy_accounts(scope: Scope, body: Body) -> dict[int, Scope]:
    """Logins ``dep01``… for the deputies of ``body`` (the existing ``deputy`` login kept)."""
    pool = list(selectors.deputy_pool(body).order_by("name_pinyin", "id"))
    taken = {a.deputy_id: a.user for a in RoleAssignment.objects.filter(role=Role.DEPUTY, deputy__in=pool)}
    scopes: dict[int, Scope] = {}
    # Ninety-nine PBKDF2 hashes would take a minute: the published demo password is hashed once,
    # with the installation's own hasher (so that every login verifies), and that hash is given to
    # every new login. The users are created with a fast hash first, then given the real one.
    made: list[int] = []
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        for i, deputy in enumerate(pool, start=1):
            user = taken.get(deputy.pk)
            if user is None:
                username = f"dep{i:02d}"
                user = User.objects.filter(username=username).first()
                if user is None:
                    user = user_create(
                        scope=scope, username=username, password=DEMO_PASSWORD, display_name=deputy.name,
                        check_password=False,
                    )  # fmt: skip
                    made.append(user.pk)
                role_grant(scope=scope, user=user, role=Role.DEPUTY, deputy=deputy)
            scopes[deputy.pk] = scope_for_user(user)
    if made:
        User.objects.filter(pk__in=made).update(password=make_password(DEMO_PASSWORD))
    return scopes


@dataclass
class Cast:
    """Who comes to the demo town's sessions: the deputies with a phone login, and the one who
    stays away without leave (代表法 §62). Elsewhere nobody has a login and nobody is a truant."""

    phones: dict[int, Scope]
    truant: Deputy | None


def session_cast(scope: Scope, body: Body) -> Cast:
    town = _demo_town()
    if town is None or body.region_id != town.pk:
        return Cast(phones={}, truant=None)
    phones = _deputy_accounts(scope, body)
    truant = selectors.deputy_pool(body).exclude(pk__in=phones_with_login()).order_by("-id").first()
    return Cast(phones=phones, truant=truant)


@dataclass(frozen=True)
class Business:
    """A further item a session deals with (the livelihood-project vote, renda/demo/projects.py):
    its agenda line, and what is done under it while the session sits."""

    agenda: str
    run: Callable[[Meeting], object]


@services.replaying_history()  # a past session, recorded as it happened
def hold_session(
    scope: Scope,
    rng: random.Random,
    body: Body,
    day: dt.date,
    items: list[tuple[str, str, str]],
    *,
    summary: Summary | None = None,
    business: Business | None = None,
) -> Meeting:
    """One session of ``body`` on ``day``, from convening to closing: reports heard, deputies signed
    in (by phone in the demo town), leave and absences, ``items``' resolutions voted and published,
    then ``business``, then the close. Its number follows its date within the term."""
    summary = summary if summary is not None else Summary()
    cast = session_cast(scope, body)
    phones, truant = cast.phones, cast.truant
    agenda = [f"听取和审议{doc}" for _title, _kind, doc in items] + [f"表决{t}" for t, _k, _d in items]
    if business is not None:
        agenda.append(business.agenda)
    meeting = services.meeting_create(
        scope=scope,
        body=body,
        start_date=day,
        end_date=day + dt.timedelta(days=1) if body.kind == BodyKind.CONGRESS else day,
        venue=f"{body.region.name}人民政府{'大礼堂' if body.kind == BodyKind.CONGRESS else '会议室'}",
        agenda=agenda,
    )
    for _title, kind, doc in items:
        services.document_add(
            scope=scope, meeting=meeting, kind=kind, title=f"{body.region.name}{doc}", text=REPORT_TEXT
        )
    attendees = list(meeting.attendees.select_related("deputy").order_by("id"))
    rng.shuffle(attendees)
    n_leave = max(1, len(attendees) // 25)
    n_absent = 1 if len(attendees) > 20 and rng.random() < 0.5 else 0
    for a in attendees[:n_leave]:
        if truant is not None and a.deputy_id == truant.pk:
            continue
        services.attendee_leave(
            scope=scope, meeting=meeting, deputy=a.deputy, reason=rng.choice(["外出学习", "病假", "公务出差"])
        )
    away = {a.deputy_id for a in attendees[: n_leave + n_absent]} | ({truant.pk} if truant else set())
    services.meeting_open(scope=scope, meeting=meeting)
    for a in attendees:
        if a.deputy_id in away:
            continue
        if a.deputy_id in phones and rng.random() < 0.9:
            services.attendee_check_in(
                scope=phones[a.deputy_id], meeting=meeting, token=services.checkin_token(meeting)
            )
        else:
            services.attendee_sign_in(scope=scope, meeting=meeting, deputy=a.deputy)
    present = [a.deputy_id for a in attendees if a.deputy_id not in away]
    entitled = len(attendees)
    for title, _kind, _doc in items:
        vote = voting.vote_create(
            scope=scope,
            meeting=meeting,
            title=title,
            method=VoteMethod.YES_NO,
            seats=None,
            options=[voting.OptionInput(label=f"{title}（草案）")],
        )
        vote = voting.vote_open(scope=scope, vote=vote)
        phone_voters = [pk for pk in present if pk in phones]
        for pk in phone_voters:
            mark = rng.choices(["yes", "no", "abstain"], weights=[92, 3, 5])[0]
            voting.vote_cast(scope=phones[pk], vote=vote, choices={"1": mark})
            summary.phone_ballots += 1
        paper = len(present) - len(phone_voters)
        if paper:
            no = rng.randint(0, max(1, paper // 20))
            abstain = rng.randint(0, max(1, paper // 15))
            invalid = 1 if paper > 30 and rng.random() < 0.3 else 0
            yes = paper - invalid - no - abstain
            voting.paper_batch_enter(
                scope=scope,
                vote=vote,
                ballots=paper,
                invalid=invalid,
                counts={"1": {"yes": yes, "no": no, "abstain": abstain}},
                tellers="监票人 王明、计票人 陈芳",
            )
            check_paper(vote)
        vote = voting.vote_close(scope=scope, vote=Vote.objects.get(pk=vote.pk))
        voting.vote_publish(scope=scope, vote=vote)
        summary.votes += 1
    if business is not None:
        business.run(meeting)
    services.meeting_close(scope=scope, meeting=meeting)
    _backdate(meeting, day)
    summary.meetings += 1
    assert entitled == meeting.attendees.count()
    return meeting


def _backdate(meeting: Meeting, day: dt.date) -> None:
    tz = timezone.get_current_timezone()
    opened = dt.datetime.combine(day, dt.time(9, 0), tz)
    closed = dt.datetime.combine(meeting.end_date, dt.time(16, 30), tz)
    Meeting.objects.filter(pk=meeting.pk).update(opened_at=opened, closed_at=closed)
    Attendee.objects.filter(meeting=meeting, status=Attendance.PRESENT).update(
        signed_in_at=dt.datetime.combine(day, dt.time(8, 40), tz)
    )
    Vote.objects.filter(meeting=meeting).update(
        opened_at=opened + dt.timedelta(hours=2),
        closed_at=opened + dt.timedelta(hours=2, minutes=15),
        published_at=opened + dt.timedelta(hours=2, minutes=30),
    )


@transaction.atomic
def build(*, scope: Scope, seed: int = 2026) -> str:
    """Idempotent: a session already there (by the time of year) is not held again."""
    rng = random.Random(seed * 97)
    year = timezone.localdate().year
    summary = Summary()
    town = _demo_town()
    bodies = list(
        Body.objects.filter(kind__in=[BodyKind.CONGRESS, BodyKind.STREET_DELIBERATION], level=CongressLevel.TOWNSHIP)
        .select_related("region")
        .order_by("region__path")
    )
    towns = [b for b in bodies if b.kind == BodyKind.CONGRESS]
    behind = towns[-1] if len(towns) > 1 else None
    for body in bodies:
        held = Meeting.objects.filter(body=body, year=year)
        cast = session_cast(scope, body)
        if cast.phones:
            summary.accounts = len(cast.phones)
        # Each session only if it is not there yet: the livelihood-project demo (run first) may
        # have held a town's first session of the year already, with its project vote.
        if not held.filter(start_date__lt=dt.date(year, 7, 1)).exists():
            spring = dt.date(year, 3, 2 + rng.randint(0, 10))
            items = RESOLUTIONS if body.kind == BodyKind.CONGRESS else RESOLUTIONS[1:]
            hold_session(scope, rng, body, spring, items, summary=summary)
        if body != behind and not held.filter(start_date__month__gte=7, start_date__month__lt=12).exists():
            summer = dt.date(year, 7, 10 + rng.randint(0, 15))
            hold_session(scope, rng, body, summer, MID_YEAR, summary=summary)
        if town is not None and body.region_id == town.pk and not held.filter(start_date__month=12).exists():
            services.meeting_create(
                scope=scope,
                body=body,
                start_date=dt.date(year, 12, 28),
                end_date=dt.date(year, 12, 29),
                venue=f"{town.name}人民政府大礼堂",
                agenda=[
                    "听取和审议镇人民政府关于民生实事项目完成情况的报告",
                    "民生实事项目满意度测评",
                    "票决下一年度民生实事项目",
                ],
            )
            summary.meetings += 1
    kinds = Meeting.objects.filter(year=year).values_list("kind", flat=True)
    streets = sum(1 for k in kinds if k == MeetingKind.DELIBERATION)
    return (
        f"人代会与表决：{summary.meetings} 次会议（其中议政代表会议 {streets} 次），"
        f"{summary.votes} 项表决已公布（手机投票 {summary.phone_ballots} 张），代表演示账号 {summary.accounts} 个"
    )


def phones_with_login() -> list[int]:
    """Deputies who hold the demo ``deputy`` login: the truant is never one of them."""
    return list(RoleAssignment.objects.filter(user__username="deputy").values_list("deputy_id", flat=True))
