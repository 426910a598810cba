"""The whole life of a livelihood project (民生实事项目票决制, 四单).

群众点单  citizens (public page, no account), stations, deputies and staff propose projects for a
          township's year; staff merge duplicates and screen each proposal with a reason.
代表定单  the presidium fixes the candidate list (name, content, estimated budget, lead unit),
          which must exceed the seats by the configured margin (差额), and puts it to the vote at
          a session (renda/voting); the published result makes the elected candidates projects.
政府买单  the lead unit records the plan (budget, weighted milestones, completion date) and
          reports progress with photos; a sweep flags projects behind their milestones.
人大验单  at year end the body's deputies rate each project once; below the threshold it goes to
          rectification (整改), the unit reports, and a second rating follows (回头看).

Every write of an existing record is one ``<entity>_<verb>(*, scope, ...)`` that runs the action
skeleton (core/actions.py): the transition's permission → the rows locked in primary-key order →
scope and role rules (projects/policy.py) → the state rule (projects/states.py) → the change →
the changed fields saved → messages → the audit events, in one transaction. Creating a record
(a proposal, a list) has no row to lock and writes its first event itself; a deputy's rating
keeps its own path (project_rate).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Max, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from renda.accounts.models import Role, RoleAssignment
from renda.accounts.selectors import staff_users, unit_users
from renda.audit.services import audit_record
from renda.core.actions import Records, Step, perform
from renda.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from renda.core.locks import lock_rows
from renda.core.ratelimit import check_rate
from renda.core.rules import rule
from renda.core.scoping import Perm, Scope
from renda.core.validation import ascii_digits, clean_phone, clean_text, mask_name, mask_phone
from renda.core.workdays import add_months
from renda.meetings.selectors import deputy_pool
from renda.notify.models import Channel
from renda.notify.services import notify_send
from renda.opinions.photos import clean_photo
from renda.org.models import Body, BodyKind, Deputy, HandlingUnit, Station
from renda.projects import policy
from renda.projects.models import (
    REF_PREFIX,
    Candidate,
    CandidateList,
    CandidateState,
    Grade,
    ListState,
    Milestone,
    ProgressPhoto,
    ProgressReport,
    Project,
    ProjectRating,
    ProjectState,
    Proposal,
    ProposalSource,
    ProposalState,
    RatingMode,
    Rectification,
    VoteMethod,
)
from renda.projects.selectors import expected_progress, rating_summary
from renda.projects.states import MACHINE
from renda.regions.models import Region, RegionLevel
from renda.voting.services import OptionInput, vote_create

MAX_REASON = 500
MAX_CONTENT = 2000
MAX_BUDGET = Decimal("999999999999.99")
SYSTEM_SWEEP = "系统（定时检查）"


def today() -> dt.date:
    return timezone.localdate()


def township_of(region: Region) -> Region:
    if region.level == RegionLevel.TOWNSHIP:
        return region
    if region.level < RegionLevel.TOWNSHIP:
        raise ValidationFailed("请选择乡镇/街道或其下的村/社区", field="region")
    return Region.objects.get(path=region.path[:9])


def voting_body(township: Region) -> Body:
    """Who votes a township's projects: the township congress (人代会), or in a street the
    议政代表会议."""
    body = (
        Body.objects.filter(region=township, kind__in=[BodyKind.CONGRESS, BodyKind.STREET_DELIBERATION])
        .order_by("kind")
        .first()
    )
    if body is None:
        raise ValidationFailed(f"{township.name}没有人代会或议政代表会议，不能票决民生实事项目", field="region")
    return body


def entitled_deputies(body: Body) -> QuerySet[Deputy]:
    """The deputies who vote and rate for ``body``: whom renda/meetings entitles to attend it."""
    return deputy_pool(body)


def proposal_year(on: dt.date | None = None) -> int:
    """The year proposals are collected for: from the configured month on, the next year."""
    day = on or today()
    return day.year + 1 if day.month >= int(rule("project.next_year_from_month")) else day.year


def _tell(users: Iterable[Any], body: str, link: str, target: Any) -> None:
    for user in dict.fromkeys(users):
        notify_send(channel=Channel.IN_APP, to_user=user, body=body, link=link, target=target)


def _reason(text: str, *, label: str, required: bool = True, max_length: int = MAX_REASON) -> str:
    return clean_text(text, label=label, field="reason", max_length=max_length, required=required)


def _in_scope(scope: Scope, path: str, what: str) -> None:
    if not scope.covers_path(path):
        raise NotFound(f"{what}不存在或不在您的管辖范围内")


# ================================================================== 群众点单: proposals


@dataclass
class ProposalInput:
    title: str
    text: str
    region: Region  # the township, or a village in it
    citizen_name: str = ""
    citizen_phone: str = ""
    consent: bool = False
    station: Station | None = None
    deputy: Deputy | None = None


def _proposal_snapshot(p: Proposal) -> dict[str, Any]:
    return {
        "state": p.state,
        "year": p.year,
        "merged_into": p.merged_into.code if p.merged_into_id and p.merged_into else None,
        "candidate": p.candidate_id,
    }


PROPOSALS: Records[Proposal] = Records(
    machine=MACHINE,
    queryset=lambda: Proposal.objects.select_related("region"),
    audit_prefix="proposal",
    snapshot=_proposal_snapshot,
    label=lambda p: f"{p.code} {p.title}",
    region_path=lambda p: p.region.path,
    authorize=policy.authorize_proposal,
    missing="项目建议不存在或不在您的管辖范围内",
)


def _audit_created(records: Records[Any], record: Any, *, actor: Any, action: str, **extra: Any) -> None:
    """A record's first event: there was no row to lock, so no action skeleton (core/actions.py)."""
    audit_record(
        actor=actor,
        action=f"{records.audit_prefix}.{action}",
        target=record,
        target_label=records.label(record),
        region_path=records.region_path(record),
        before=None,
        after={**records.snapshot(record), **extra},
    )


def _validate_proposal(data: ProposalInput) -> dict[str, Any]:
    title = clean_text(data.title, label="项目名称", field="title", max_length=60)
    if len(title) < 4:
        raise ValidationFailed("项目名称太短，请写明要办的事（至少 4 个字）", field="title")
    text = clean_text(data.text, label="内容与理由", field="text", max_length=int(rule("project.max_text")))
    if len(text) < 10:
        raise ValidationFailed("内容与理由太短，请写明在哪里、办什么、为什么（至少 10 个字）", field="text")
    if data.region.level < RegionLevel.TOWNSHIP:
        raise ValidationFailed("请选择项目所在的乡镇/街道或村/社区", field="region")
    township = township_of(data.region)
    home = data.station or None
    if home is not None and not home.region.path.startswith(township.path):
        raise ValidationFailed("所选村/社区不属于该联络站所在的乡镇/街道", field="region")
    if data.deputy is not None and not data.deputy.region.path.startswith(township.path):
        raise ValidationFailed("所选村/社区不属于该代表所在的乡镇/街道", field="region")
    name = clean_text(data.citizen_name, label="姓名", field="citizen_name", max_length=50, required=False)
    phone = clean_phone(data.citizen_phone, label="手机", field="citizen_phone", required=False)
    if phone and not data.consent:
        raise ValidationFailed("请勾选同意：您的姓名和电话仅用于联系本项目建议", field="consent")
    return {
        "title": title,
        "text": text,
        "township": township,
        "village": data.region if data.region.level > RegionLevel.TOWNSHIP else None,
        "name": name,
        "phone": phone,
    }


def _create_proposal(
    data: ProposalInput, cleaned: dict[str, Any], *, source: str, key: str, user: Any, actor: Any, action: str
) -> Proposal:
    proposal = Proposal.objects.create(
        idempotency_key=key or None,
        region=cleaned["township"],
        village=cleaned["village"],
        year=proposal_year(),
        source=source,
        station=data.station,
        deputy=data.deputy,
        title=cleaned["title"],
        text=cleaned["text"],
        citizen_name=cleaned["name"],
        citizen_phone=cleaned["phone"],
        created_by=user,
    )
    _tell(
        staff_users(proposal.region),
        f"新的民生实事项目建议：{proposal.title}（{proposal.region.name}）",
        reverse("projects:proposal", args=[proposal.pk]),
        proposal,
    )
    _audit_created(
        PROPOSALS,
        proposal,
        actor=actor,
        action=action,
        source=source,
        citizen=mask_name(cleaned["name"]) or None,
        phone=mask_phone(cleaned["phone"]) or None,
    )
    return proposal


def proposal_submit(*, data: ProposalInput, idempotency_key: str = "", client_ip: str = "") -> tuple[Proposal, bool]:
    """A citizen (no account) proposes a project on the public page. Returns (proposal, created):
    a retry with the same idempotency key answers the first proposal; the same key with
    different content is refused."""
    key = (idempotency_key or "").strip()[:64]
    cleaned = _validate_proposal(data)
    if key:
        existing = Proposal.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return _replayed(existing, cleaned), False
    check_rate(
        bucket="project-ip",
        subject=client_ip,
        limit=int(rule("project.rate_per_ip_hour")),
        window_seconds=3600,
        message="提交过于频繁，请稍后再试",
    )
    check_rate(
        bucket="project-phone",
        subject=cleaned["phone"],
        limit=int(rule("project.rate_per_phone_day")),
        window_seconds=86400,
        message="该手机号今日提交项目建议的次数已达上限，请明天再试",
    )
    try:
        with transaction.atomic():
            proposal = _create_proposal(
                data,
                cleaned,
                source=ProposalSource.CITIZEN,
                key=key,
                user=None,
                actor="群众（项目建议）",
                action="submit",
            )
    except IntegrityError:
        existing = Proposal.objects.filter(idempotency_key=key).first() if key else None
        if existing is None:
            raise
        return _replayed(existing, cleaned), False
    return proposal, True


def _replayed(existing: Proposal, cleaned: dict[str, Any]) -> Proposal:
    same = (
        existing.title == cleaned["title"]
        and existing.text == cleaned["text"]
        and existing.region_id == cleaned["township"].pk
        and existing.citizen_phone == cleaned["phone"]
    )
    if not same:
        raise Conflict("该提交编号已使用过且内容不同：请刷新页面后重新填写")
    return existing


@transaction.atomic
def proposal_enter(*, scope: Scope, data: ProposalInput, idempotency_key: str = "") -> Proposal:
    """A station, deputy or staff member enters a proposal gathered from the people."""
    scope.require(Perm.PROJECT_PROPOSE)
    _in_scope(scope, data.region.path, "区划")
    if data.station is not None:
        _in_scope(scope, data.station.region.path, "联络站")
        if scope.station_ids and not scope.has(Perm.PROJECT_MANAGE) and data.station.pk not in scope.station_ids:
            raise PermissionDenied("只能以本站名义录入项目建议")
    if data.deputy is not None and not scope.has(Perm.PROJECT_MANAGE) and data.deputy.pk not in scope.deputy_ids:
        raise PermissionDenied("只能以本人名义提出项目建议")
    key = (idempotency_key or "").strip()[:64]
    cleaned = _validate_proposal(data)
    if key and (existing := Proposal.objects.filter(idempotency_key=key).first()) is not None:
        return _replayed(existing, cleaned)
    if data.deputy is not None:
        source = ProposalSource.DEPUTY
    elif data.station is not None:
        source = ProposalSource.STATION
    else:
        source = ProposalSource.STAFF
    return _create_proposal(data, cleaned, source=source, key=key, user=scope.user, actor=scope.actor, action="enter")


def proposal_screen(*, scope: Scope, proposal: Proposal, decision: str, reason: str) -> Proposal:
    """筛选: record the screening decision (拟列入候选 / 不予列入) and its reason."""
    if decision not in ("accept", "reject"):
        raise ValidationFailed("请选择筛选结果：拟列入候选或不予列入", field="decision")

    def change(step: Step[Proposal]) -> Proposal:
        p = step.row
        cleaned = _reason(reason, label="筛选意见")
        step.move(ProposalState.ACCEPTED if decision == "accept" else ProposalState.REJECTED)
        step.set(p, screening_reason=cleaned, screened_at=timezone.now())
        step.audit(decision, reason=cleaned)
        return p

    return perform(PROPOSALS, f"proposal.{decision}", scope=scope, pks=[proposal.pk], change=change)


def proposal_merge(*, scope: Scope, proposal: Proposal, into: Proposal, reason: str) -> Proposal:
    """Merge a duplicate into another proposal of the same township and year (linked both ways)."""

    def change(step: Step[Proposal]) -> Proposal:
        p, target = step.row, step.rows[into.pk]
        cleaned = _reason(reason, label="合并理由")
        if target.pk == p.pk:
            raise ValidationFailed("不能合并到自身", field="into")
        _in_scope(scope, target.region.path, "目标建议")
        if target.region_id != p.region_id or target.year != p.year:
            raise ValidationFailed("只能合并同一乡镇/街道、同一年度的项目建议", field="into")
        if target.state == ProposalState.MERGED:
            raise ValidationFailed(f"目标建议 {target.code} 本身已合并，请合并到它所并入的建议", field="into")
        step.move(ProposalState.MERGED)
        step.set(p, merged_into=target, screening_reason=cleaned, screened_at=timezone.now())
        Proposal.objects.filter(merged_into=p).update(merged_into=target)  # what was merged here follows
        step.audit("merge", reason=cleaned)
        step.audit("absorb", record=target, before=None, reason=cleaned, absorbed=p.code)
        return p

    return perform(PROPOSALS, "proposal.merge", scope=scope, pks=[proposal.pk, into.pk], change=change)


# ================================================================== 代表定单: the candidate list


def _list_snapshot(c: CandidateList) -> dict[str, Any]:
    return {
        "state": c.state,
        "year": c.year,
        "seats": c.seats,
        "method": c.method,
        "candidates": c.candidates.count(),
        "meeting": c.meeting_id,
        "vote": c.vote_id,
    }


LISTS: Records[CandidateList] = Records(
    machine=MACHINE,
    queryset=lambda: CandidateList.objects.select_related("region", "body"),
    audit_prefix="list",
    snapshot=_list_snapshot,
    label=lambda c: c.title,
    region_path=lambda c: c.region.path,
    authorize=policy.authorize_list,
    missing="候选项目清单不存在或不在您的管辖范围内",
)


def _clean_seats(seats: object) -> int:
    if isinstance(seats, bool) or not ascii_digits(str(seats).strip()) or len(str(seats).strip()) > 3:
        raise ValidationFailed("应选项目数应为 1 至 50 的整数", field="seats")
    number = int(str(seats).strip())
    if not 1 <= number <= 50:
        raise ValidationFailed("应选项目数应为 1 至 50 的整数", field="seats")
    return number


def _clean_method(method: str) -> str:
    if method not in VoteMethod.values:
        raise ValidationFailed("表决方式应为差额选择或逐项表决", field="method")
    return method


def _clean_year(year: object) -> int:
    text = str(year).strip()
    if not ascii_digits(text) or not 2000 <= int(text) <= 2100:
        raise ValidationFailed("实施年度应为四位年份", field="year")
    return int(text)


@transaction.atomic
def list_create(
    *, scope: Scope, region: Region, year: object, seats: object, method: str, title: str = ""
) -> CandidateList:
    """Start the year's candidate list for a township (one per township and year)."""
    scope.require(Perm.PROJECT_MANAGE)  # states.py: list.create
    _in_scope(scope, region.path, "区划")
    if region.level != RegionLevel.TOWNSHIP:
        raise ValidationFailed("候选项目清单按乡镇/街道拟定，请选择乡镇/街道", field="region")
    year = _clean_year(year)
    seats = _clean_seats(seats)
    method = _clean_method(method)
    body = voting_body(region)
    title = clean_text(
        title or f"{region.name}{year}年民生实事候选项目", label="清单名称", field="title", max_length=100
    )
    if CandidateList.objects.filter(region=region, year=year).exists():
        raise Conflict(f"{region.name}{year}年的候选项目清单已经存在")
    try:
        with transaction.atomic():
            c = CandidateList.objects.create(
                region=region, body=body, year=year, seats=seats, method=method, title=title
            )
    except IntegrityError:
        raise Conflict(f"{region.name}{year}年的候选项目清单已经存在") from None
    _audit_created(LISTS, c, actor=scope.actor, action="create")
    return c


def list_update(*, scope: Scope, candidate_list: CandidateList, seats: object, method: str) -> CandidateList:
    def change(step: Step[CandidateList]) -> CandidateList:
        c = step.row
        step.set(c, seats=_clean_seats(seats), method=_clean_method(method))
        step.audit("edit")
        return c

    return perform(LISTS, "list.edit", scope=scope, pks=[candidate_list.pk], change=change)


def clean_budget(value: object) -> Decimal:
    text = str(value if value is not None else "").strip().replace(",", "").replace("，", "")
    if not text:
        raise ValidationFailed("估算投资不能为空", field="budget")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValidationFailed(f"估算投资应为金额（元），而不是“{text[:20]}”", field="budget") from None
    if not amount.is_finite() or amount < 0 or amount > MAX_BUDGET:
        raise ValidationFailed("估算投资应为 0 以上的金额（元）", field="budget")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationFailed("金额最多保留两位小数（元）", field="budget")
    return amount.quantize(Decimal("0.01"))


def _check_unit(unit: HandlingUnit, township: Region) -> None:
    if not unit.is_active:
        raise ValidationFailed(f"“{unit.name}”已停用", field="lead_unit")
    if not unit.region.path.startswith(township.path):
        raise ValidationFailed("责任单位须是本乡镇/街道的单位", field="lead_unit")


def candidate_add(
    *,
    scope: Scope,
    candidate_list: CandidateList,
    name: str,
    content: str,
    budget: object,
    lead_unit: HandlingUnit,
    proposals: Sequence[Proposal] = (),
) -> Candidate:
    """Add a candidate project to a draft list, optionally from screened proposals (列入候选)."""

    def change(step: Step[CandidateList]) -> Candidate:
        c = step.row
        cleaned_name = clean_text(name, label="项目名称", field="name", max_length=60)
        cleaned_content = clean_text(content, label="建设内容", field="content", max_length=MAX_CONTENT)
        amount = clean_budget(budget)
        _check_unit(lead_unit, c.region)
        if c.candidates.filter(name=cleaned_name).exists():
            raise ValidationFailed(f"清单中已有名为“{cleaned_name}”的候选项目", field="name")
        picked = list(lock_rows(PROPOSALS.queryset(), [p.pk for p in proposals], missing=PROPOSALS.missing).values())
        for p in picked:
            if p.region_id != c.region_id or p.year != c.year:
                raise ValidationFailed(f"建议 {p.code} 不是{c.region.name}{c.year}年的项目建议", field="proposals")
            MACHINE.check("proposal.list", p.state)
        position = (c.candidates.aggregate(n=Max("position"))["n"] or 0) + 1
        candidate = Candidate.objects.create(
            candidate_list=c,
            position=position,
            name=cleaned_name,
            content=cleaned_content,
            budget=amount,
            lead_unit=lead_unit,
        )
        for p in picked:
            before = _proposal_snapshot(p)
            MACHINE.move(p, "proposal.list", ProposalState.LISTED)
            step.changed(p, "state")
            step.set(p, candidate=candidate)
            if not p.screening_reason:
                step.set(p, screening_reason=f"列入候选项目“{cleaned_name}”", screened_at=timezone.now())
            step.audit_other(PROPOSALS, p, "list", before=before, candidate_name=cleaned_name)
        step.audit(
            "add_candidate",
            before=None,
            candidate=cleaned_name,
            budget=amount,
            lead_unit=lead_unit.name,
            proposals=[p.code for p in picked],
        )
        return candidate

    return perform(LISTS, "list.edit", scope=scope, pks=[candidate_list.pk], change=change)


def candidate_remove(*, scope: Scope, candidate: Candidate, reason: str) -> CandidateList:
    def change(step: Step[CandidateList]) -> CandidateList:
        c = step.row
        cleaned = _reason(reason, label="删除理由")
        found = Candidate.objects.get(pk=candidate.pk, candidate_list=c)
        listed = PROPOSALS.queryset().filter(candidate=found).values_list("pk", flat=True)
        for p in lock_rows(PROPOSALS.queryset(), list(listed), missing=PROPOSALS.missing).values():
            before = _proposal_snapshot(p)
            MACHINE.move(p, "proposal.unlist", ProposalState.ACCEPTED)
            step.changed(p, "state")
            step.set(p, candidate=None)
            step.audit_other(PROPOSALS, p, "unlist", before=before, reason=cleaned)
        name = found.name
        found.delete()
        step.audit("remove_candidate", before=None, reason=cleaned, candidate=name)
        return c

    return perform(LISTS, "list.edit", scope=scope, pks=[candidate.candidate_list_id], change=change)


def margin_problem(*, candidates: int, seats: int) -> str:
    """Why ``candidates`` for ``seats`` is not a 差额 list under the configured rules ("" if it is)."""
    extra = int(rule("project.min_extra_candidates"))
    try:
        ratio = Fraction(str(rule("project.min_candidate_ratio")))
    except (ValueError, ZeroDivisionError):
        ratio = Fraction(1)
    needed = max(seats + max(extra, 1), -(-seats * ratio.numerator // ratio.denominator))
    if candidates < needed:
        reason = f"候选项目 {candidates} 个，应选 {seats} 个：差额票决要求候选项目至少 {needed} 个"
        if ratio > 1:
            reason += f"（至少多 {max(extra, 1)} 个，且不少于应选数的 {float(ratio):g} 倍）"
        else:
            reason += f"（至少比应选数多 {max(extra, 1)} 个）"
        return reason
    return ""


def list_fix(*, scope: Scope, candidate_list: CandidateList, reason: str = "") -> CandidateList:
    """主席团确定: the list is fixed for the vote. Refused without the 差额 margin."""

    def change(step: Step[CandidateList]) -> CandidateList:
        c = step.row
        cleaned = _reason(reason, label="确定依据", required=False)
        problem = margin_problem(candidates=c.candidates.count(), seats=c.seats)
        if problem:
            raise ValidationFailed(problem, field="seats")
        step.move(ListState.FIXED)
        step.set(c, fixed_at=timezone.now())
        step.audit("fix", reason=cleaned)
        return c

    return perform(LISTS, "list.fix", scope=scope, pks=[candidate_list.pk], change=change)


def list_reopen(*, scope: Scope, candidate_list: CandidateList, reason: str) -> CandidateList:
    def change(step: Step[CandidateList]) -> CandidateList:
        c = step.row
        cleaned = _reason(reason, label="退回理由")
        step.move(ListState.DRAFT)
        step.set(c, fixed_at=None)
        step.audit("reopen", reason=cleaned)
        return c

    return perform(LISTS, "list.reopen", scope=scope, pks=[candidate_list.pk], change=change)


def list_put_to_vote(*, scope: Scope, candidate_list: CandidateList, meeting: Any) -> CandidateList:
    """提交大会票决: create the vote at ``meeting`` (renda/voting), one option per candidate.
    The voting pages open, close and publish it; the published result comes back through
    the ``vote_decided`` signal (apply_vote_result)."""

    def change(step: Step[CandidateList]) -> CandidateList:
        c = step.row
        _in_scope(scope, meeting.region.path, "会议")
        if meeting.body_id != c.body_id:
            raise ValidationFailed(f"请选择{c.body.name}的会议", field="meeting")
        if meeting.year != c.year and meeting.year != c.year - 1:
            raise ValidationFailed(f"会议年度与清单年度（{c.year}）不符", field="meeting")
        problem = margin_problem(candidates=c.candidates.count(), seats=c.seats)
        if problem:  # the rules may have changed since the list was fixed
            raise ValidationFailed(problem, field="seats")
        candidates = list(c.candidates.select_related("lead_unit").order_by("position"))
        options = [
            OptionInput(
                label=x.name,
                ref=x.ref,
                description=f"{x.content[:300]}（估算投资 {x.budget:,.2f} 元，责任单位：{x.lead_unit.name}）",
            )
            for x in candidates
        ]
        method_label = "每张选票至多选" if c.method == VoteMethod.CHOOSE_N else "逐项表决，当选"
        vote = vote_create(
            scope=scope,
            meeting=meeting,
            title=f"{c.year}年民生实事项目票决（{len(candidates)} 选 {c.seats}，{method_label} {c.seats} 项）",
            method=c.method,
            seats=c.seats,
            options=options,
        )
        step.move(ListState.VOTING)
        step.set(c, meeting=meeting, vote=vote)
        step.audit("put_to_vote", meeting_title=str(meeting))
        return c

    return perform(LISTS, "list.put_to_vote", scope=scope, pks=[candidate_list.pk], change=change)


def _option_counts(vote: Any) -> dict[str, list[dict[str, Any]]]:
    """Each candidate ref's figures in every round of the vote (first round and runoffs)."""
    rounds: dict[str, list[dict[str, Any]]] = {}
    current = vote
    seen = 0
    while current is not None and seen < 20:
        for option in current.options.all():
            if not option.ref.startswith(REF_PREFIX):
                continue
            rounds.setdefault(option.ref, []).append(
                {
                    "round": current.round,
                    "yes": option.count_yes,
                    "no": option.count_no,
                    "abstain": option.count_abstain,
                    "outcome": option.outcome,
                }
            )
        current = current.runoffs.first()
        seen += 1
    return rounds


def _candidate_id(ref: str) -> int | None:
    if not ref.startswith(REF_PREFIX):
        return None
    tail = ref[len(REF_PREFIX) :]
    return int(tail) if ascii_digits(tail) else None


def apply_vote_result(
    *, vote: Any, elected_refs: Sequence[str], not_elected_refs: Sequence[str]
) -> CandidateList | None:
    """代表定单: the published result of a project vote. Elected candidates become the year's
    projects (state 已票决待制定计划, the lead unit told); the rest are recorded as not elected
    with their votes. Runs inside the voting app's publishing transaction; refs that are not
    candidates are ignored, and a list already decided is left alone (idempotent)."""
    elected_ids = [i for i in map(_candidate_id, elected_refs) if i is not None]
    other_ids = [i for i in map(_candidate_id, not_elected_refs) if i is not None]
    if not elected_ids and not other_ids:
        return None
    pk = CandidateList.objects.filter(vote_id=vote.pk).values_list("pk", flat=True).first()
    if pk is None:
        # The ballot carries our refs but the list was not put to the vote through us.
        pk = (
            CandidateList.objects.filter(candidates__pk__in=elected_ids + other_ids)
            .values_list("pk", flat=True)
            .first()
        )
        if pk is None:
            return None

    def change(step: Step[CandidateList]) -> CandidateList:
        c = step.row
        counts = _option_counts(vote)
        locked = lock_rows(
            Candidate.objects.select_related("lead_unit").filter(candidate_list=c),
            list(c.candidates.values_list("pk", flat=True)),
        )
        candidates = {x.pk: x for x in sorted(locked.values(), key=lambda y: (y.position, y.pk))}
        elected: list[Candidate] = []
        for x_pk, x in candidates.items():
            if x_pk in elected_ids:
                step.set(x, result={"rounds": counts.get(x.ref, [])}, state=CandidateState.ELECTED)
                elected.append(x)
            else:
                step.set(x, result={"rounds": counts.get(x.ref, [])}, state=CandidateState.NOT_ELECTED)
        for x in sorted(elected, key=lambda y: y.position):
            project = Project.objects.create(
                candidate=x,
                region=c.region,
                year=c.year,
                name=x.name,
                content=x.content,
                lead_unit=x.lead_unit,
                budget=x.budget,
            )
            step.audit_other(PROJECTS, project, "elect", before=None, votes=x.result["rounds"])
            step.notify(
                _tell,
                unit_users(x.lead_unit),
                f"{c.year}年民生实事项目“{x.name}”经代表票决当选，由贵单位负责实施，请制定实施计划",
                reverse("projects:project", args=[project.pk]),
                project,
            )
        step.move(ListState.DECIDED)
        step.set(c, decided_at=timezone.now(), vote=c.vote or vote)
        step.audit(
            "decide",
            elected=[x.name for x in elected],
            not_elected=[x.name for x_pk, x in candidates.items() if x_pk not in elected_ids],
        )
        return c

    try:
        return perform(LISTS, "list.decide", scope=None, pks=[pk], change=change, actor="大会票决结果")
    except Conflict:
        decided = CandidateList.objects.select_related("region").get(pk=pk)
        if decided.state == ListState.DECIDED:
            return decided
        raise


def on_vote_decided(
    sender: Any, *, vote: Any, elected_refs: Sequence[str], not_elected_refs: Sequence[str], **kwargs: Any
) -> None:
    """Receiver of renda.voting.signals.vote_decided (connected in apps.py)."""
    apply_vote_result(vote=vote, elected_refs=list(elected_refs), not_elected_refs=list(not_elected_refs))


# ================================================================== 政府买单: plan and progress


def _project_snapshot(p: Project) -> dict[str, Any]:
    return {
        "state": p.state,
        "progress": p.progress,
        "budget": p.budget,
        "completion_date": p.completion_date,
        "is_behind": p.is_behind,
        "rating_round": p.rating_round,
        "satisfaction": p.satisfaction,
    }


PROJECTS: Records[Project] = Records(
    machine=MACHINE,
    queryset=lambda: Project.objects.select_related("region", "lead_unit"),
    audit_prefix="project",
    snapshot=_project_snapshot,
    label=str,
    region_path=lambda p: p.region.path,
    authorize=policy.authorize_project,
    missing="项目不存在或不在您的管辖范围内",
)


@dataclass
class MilestoneInput:
    title: str
    due_date: dt.date | None
    weight: int | None


def _behind(project: Project, on: dt.date) -> bool:
    if project.state not in (ProjectState.IN_PROGRESS, ProjectState.ELECTED):
        return False
    expected = expected_progress(
        milestones=list(project.milestones.all()), completion_date=project.completion_date, on=on
    )
    return project.progress < expected


def project_plan(
    *,
    scope: Scope,
    project: Project,
    budget: object,
    plan_text: str,
    completion_date: dt.date | None,
    milestones: Sequence[MilestoneInput],
) -> Project:
    """The lead unit records the implementation plan: budget, milestones (their weights add up
    to 100%) and completion date. A plan can be revised while the project is in progress."""

    def change(step: Step[Project]) -> Project:
        p = step.row
        policy.require_lead_unit(scope, p, step.transition)
        amount = clean_budget(budget)
        text = clean_text(plan_text, label="实施计划", field="plan_text", max_length=MAX_CONTENT)
        if completion_date is None:
            raise ValidationFailed("请填写计划完成日期", field="completion_date")
        if not p.year - 1 <= completion_date.year <= p.year + 1:
            raise ValidationFailed(f"计划完成日期应在 {p.year} 年前后", field="completion_date")
        rows = [m for m in milestones if m.title.strip() or m.due_date or m.weight]
        if not rows:
            raise ValidationFailed("请至少填写一个实施节点", field="milestones")
        if len(rows) > 20:
            raise ValidationFailed("实施节点最多 20 个", field="milestones")
        cleaned: list[tuple[str, dt.date, int]] = []
        for i, m in enumerate(rows, start=1):
            title = clean_text(m.title, label=f"第 {i} 个节点名称", field="milestones", max_length=100)
            if m.due_date is None:
                raise ValidationFailed(f"请填写第 {i} 个节点的计划完成日期", field="milestones")
            if m.due_date > completion_date:
                raise ValidationFailed(f"第 {i} 个节点的日期晚于计划完成日期", field="milestones")
            if m.weight is None or not 1 <= m.weight <= 100:
                raise ValidationFailed(f"第 {i} 个节点的权重应为 1 至 100（%）", field="milestones")
            cleaned.append((title, m.due_date, m.weight))
        total = sum(w for _, _, w in cleaned)
        if total != 100:
            raise ValidationFailed(f"各节点权重合计应为 100%，现为 {total}%", field="milestones")
        p.milestones.all().delete()
        Milestone.objects.bulk_create(
            [Milestone(project=p, title=t, due_date=d, weight=w) for t, d, w in sorted(cleaned, key=lambda r: r[1])]
        )
        step.set(p, budget=amount, plan_text=text, completion_date=completion_date)
        if p.state == ProjectState.ELECTED:
            step.move(ProjectState.IN_PROGRESS)
        step.set(p, is_behind=_behind(p, today()))
        step.notify(
            _tell,
            staff_users(p.region),
            f"{p.lead_unit.name}已报送“{p.name}”实施计划",
            reverse("projects:project", args=[p.pk]),
            p,
        )
        step.audit("plan", milestones=[f"{t}（{d:%Y-%m-%d}，{w}%）" for t, d, w in cleaned])
        return p

    return perform(PROJECTS, "project.plan", scope=scope, pks=[project.pk], change=change)


def _photos(photos: Sequence[UploadedFile[bytes]]) -> list[tuple[Any, int, int]]:
    if len(photos) > int(rule("project.max_photos")):
        raise ValidationFailed(f"每次最多上传 {rule('project.max_photos')} 张照片", field="photos")
    return [clean_photo(p, index=i + 1) for i, p in enumerate(photos)]


def _clean_percent(percent: object) -> int:
    text = str(percent if percent is not None else "").strip().rstrip("%")
    if isinstance(percent, bool) or not ascii_digits(text) or not 0 <= int(text) <= 100:
        raise ValidationFailed("完成进度应为 0 至 100 的整数（%）", field="percent")
    return int(text)


def _add_report(
    scope: Scope, project: Project, *, percent: int, text: str, photos: list[tuple[Any, int, int]], rectification: bool
) -> ProgressReport:
    report = ProgressReport.objects.create(
        project=project,
        percent=percent,
        text=text,
        is_rectification=rectification,
        reported_by=scope.user,
        reported_by_label=f"{project.lead_unit.name} {scope.user.display_name or scope.user.username}"
        if scope.user is not None
        else str(scope.actor),
    )
    for content, width, height in photos:
        ProgressPhoto.objects.create(report=report, image=content, width=width, height=height)
    return report


def project_report(
    *, scope: Scope, project: Project, percent: object, text: str, photos: Sequence[UploadedFile[bytes]] = ()
) -> ProgressReport:
    """The lead unit reports progress (percentage, text, photos with their metadata stripped).
    At 100% the project is completed and waits for the year-end rating."""

    def change(step: Step[Project]) -> ProgressReport:
        p = step.row
        policy.require_lead_unit(scope, p, step.transition)
        value = _clean_percent(percent)
        cleaned_text = clean_text(text, label="进展情况", field="text", max_length=MAX_CONTENT)
        if len(cleaned_text) < 5:
            raise ValidationFailed("进展情况太短，请写明已完成的工作（至少 5 个字）", field="text")
        if value < p.progress:
            raise ValidationFailed(f"完成进度不能低于上次报告的 {p.progress}%", field="percent")
        cleaned = _photos(photos)
        report = _add_report(scope, p, percent=value, text=cleaned_text, photos=cleaned, rectification=False)
        step.set(p, progress=value, last_reported_at=timezone.now())
        if value == 100:
            step.move(ProjectState.COMPLETED)
        was_behind = p.is_behind
        step.set(p, is_behind=_behind(p, today()))
        step.audit("report", reason=cleaned_text[:200], photos=len(cleaned))
        if value == 100:
            step.audit("complete", before=None)
        if was_behind and not p.is_behind:
            step.audit("caught_up", before=None)
        return report

    return perform(PROJECTS, "project.report", scope=scope, pks=[project.pk], change=change)


# ================================================================== 人大验单: rating, rectification, 回头看


def project_open_rating(*, scope: Scope, project: Project) -> Project:
    """Open the year-end 满意度测评 (or, after rectification, the 回头看 round); the body's
    deputies with an account are told."""

    def change(step: Step[Project]) -> Project:
        p = step.row
        mode = str(rule("project.rating_mode"))
        step.move(ProjectState.RATING)
        step.set(
            p,
            rating_round=p.rating_round + 1,
            rating_mode=mode if mode in RatingMode.values else RatingMode.GRADE,
            satisfaction=None,
        )
        second = p.rating_round > 1
        step.audit("open_rating", round=p.rating_round)
        body = voting_body(p.region)
        deputies = entitled_deputies(body).values_list("pk", flat=True)
        users = [
            a.user
            for a in RoleAssignment.objects.filter(role=Role.DEPUTY, deputy_id__in=deputies).select_related("user")
        ]
        step.notify(
            _tell,
            users,
            f"请对{p.year}年民生实事项目“{p.name}”进行{'整改回头看' if second else '满意度'}测评",
            reverse("projects:project", args=[p.pk]),
            p,
        )
        return p

    return perform(PROJECTS, "project.open_rating", scope=scope, pks=[project.pk], change=change)


def project_rate(
    *,
    scope: Scope,
    project: Project,
    grade: str = "",
    score: object = None,
    comment: str = "",
    deputy: Deputy | None = None,
) -> ProjectRating:
    """A deputy of the body rates a project once per round (a database constraint): 满意 /
    基本满意 / 不满意, or a score out of 100 when the round is scored."""
    with transaction.atomic():
        project = Project.objects.select_related("region").get(pk=project.pk)
        # Not through the action skeleton: a rating is a ballot of sorts. The project row is not
        # locked (deputies rate at once; the database keeps one rating per deputy and round) and
        # the audit event says who rated, never what they chose.
        transition = MACHINE.check("project.rate", project.state)
        scope.require(Perm.PROJECT_RATE)
        policy.authorize_project(scope, project, transition)
        if deputy is None:
            if len(scope.deputy_ids) != 1:
                raise PermissionDenied("只有代表本人可以测评")
            deputy = Deputy.objects.get(pk=next(iter(scope.deputy_ids)))
        elif deputy.pk not in scope.deputy_ids:
            raise PermissionDenied("只有代表本人可以测评")
        if not entitled_deputies(voting_body(project.region)).filter(pk=deputy.pk).exists():
            raise PermissionDenied(f"{deputy.name}不是本级代表，不能参加测评")
        comment = clean_text(comment, label="意见", field="comment", max_length=500, required=False)
        value_grade, value_score = "", None
        if project.rating_mode == RatingMode.SCORE:
            text = str(score if score is not None else "").strip()
            # isdigit() is true for "²" or "٣" too, which int() refuses or reads differently
            if not ascii_digits(text) or len(text) > 3 or not 0 <= int(text) <= 100:
                raise ValidationFailed("评分应为 0 至 100 的整数", field="score")
            value_score = int(text)
        else:
            if grade not in Grade.values:
                raise ValidationFailed("请选择满意、基本满意或不满意", field="grade")
            value_grade = grade
        if (value_grade == Grade.UNSATISFIED or (value_score is not None and value_score < 60)) and not comment:
            raise ValidationFailed("评价为不满意时请写明意见，便于整改", field="comment")
        try:
            with transaction.atomic():
                rating = ProjectRating.objects.create(
                    project=project,
                    round=project.rating_round,
                    deputy=deputy,
                    grade=value_grade,
                    score=value_score,
                    comment=comment,
                )
        except IntegrityError:
            raise Conflict("您已经测评过这个项目了，每位代表每轮只能测评一次") from None
        # Who rated is audited; what they chose is in the rating row, shown to staff only as totals.
        audit_record(
            actor=scope.actor,
            action="project.rate",
            target=project,
            target_label=str(project),
            region_path=project.region.path,
            after={"round": project.rating_round},
        )
    return rating


def pass_threshold(mode: str) -> Decimal:
    if mode == RatingMode.SCORE:
        return Decimal(int(rule("project.score_threshold"))) / 100
    return Decimal(str(rule("project.satisfaction_threshold")))


def project_close_rating(
    *, scope: Scope, project: Project, requirement: str = "", due_date: dt.date | None = None
) -> Project:
    """Close the round: at or above the threshold the project is accepted (验收通过); below it,
    it goes to rectification (整改) with a requirement and a deadline, and the unit is told."""

    def change(step: Step[Project]) -> Project:
        p = step.row
        summary = rating_summary(project=p)
        share = summary.share
        if share is None:
            raise Conflict("尚无代表测评，不能结束测评")
        threshold = pass_threshold(p.rating_mode)
        step.set(p, satisfaction=share)
        figures: dict[str, Any] = {
            "round": summary.round,
            "rated": summary.total,
            "satisfied": summary.satisfied,
            "basic": summary.basic,
            "unsatisfied": summary.unsatisfied,
            "threshold": threshold,
        }
        if share >= threshold:
            step.move(ProjectState.ACCEPTED)
            step.audit("accept", **figures)
            return p
        cleaned = clean_text(
            requirement or "；".join(summary.comments[:5]) or "测评满意率低于规定，请限期整改",
            label="整改要求",
            field="requirement",
            max_length=MAX_CONTENT,
        )
        due = due_date or add_months(today(), int(rule("project.rectify_months")))
        if due <= today():
            raise ValidationFailed("整改期限应晚于今天", field="due_date")
        step.move(ProjectState.RECTIFYING)
        Rectification.objects.create(
            project=p, round=summary.round, satisfaction=share, requirement=cleaned, due_date=due
        )
        step.notify(
            _tell,
            unit_users(p.lead_unit),
            f"民生实事项目“{p.name}”测评满意率 {share:.0%}，低于 {threshold:.0%}，请于 {due:%Y-%m-%d} 前整改并报告",
            reverse("projects:project", args=[p.pk]),
            p,
        )
        step.audit("rectify", reason=cleaned, due_date=due, **figures)
        return p

    return perform(PROJECTS, "project.close_rating", scope=scope, pks=[project.pk], change=change)


def project_rectify_report(
    *, scope: Scope, project: Project, text: str, percent: object = None, photos: Sequence[UploadedFile[bytes]] = ()
) -> ProgressReport:
    """The lead unit reports what it rectified; staff then open the second rating (回头看)."""

    def change(step: Step[Project]) -> ProgressReport:
        p = step.row
        policy.require_lead_unit(scope, p, step.transition)
        cleaned_text = clean_text(text, label="整改情况", field="text", max_length=MAX_CONTENT)
        if len(cleaned_text) < 10:
            raise ValidationFailed("整改情况太短，请写明整改了什么（至少 10 个字）", field="text")
        value = p.progress if percent in (None, "") else _clean_percent(percent)
        if value < p.progress:
            raise ValidationFailed(f"完成进度不能低于上次报告的 {p.progress}%", field="percent")
        cleaned = _photos(photos)
        rectification = p.rectifications.select_for_update().order_by("-round").first()
        assert rectification is not None
        report = _add_report(scope, p, percent=value, text=cleaned_text, photos=cleaned, rectification=True)
        step.set(rectification, report=report)
        step.set(p, progress=value, last_reported_at=timezone.now())
        step.move(ProjectState.RECTIFIED)
        step.notify(
            _tell,
            staff_users(p.region),
            f"{p.lead_unit.name}已报告“{p.name}”整改情况，可组织回头看测评",
            reverse("projects:project", args=[p.pk]),
            p,
        )
        step.audit("rectify_report", reason=cleaned_text[:200])
        return report

    return perform(PROJECTS, "project.rectify_report", scope=scope, pks=[project.pk], change=change)


# ================================================================== sweep (scheduled)


@dataclass
class SweepReport:
    flagged: int = 0
    cleared: int = 0


def projects_sweep(*, on: dt.date | None = None) -> SweepReport:
    """Flag projects behind their milestones (the unit and the township staff are told once);
    clear the flag of those that caught up."""
    day = on or today()
    report = SweepReport()
    qs = (
        Project.objects.filter(Q(state=ProjectState.IN_PROGRESS) | Q(is_behind=True))
        .select_related("region", "lead_unit")
        .prefetch_related("milestones")
    )

    def change(step: Step[Project]) -> int:
        locked = step.row
        behind = _behind(locked, day)
        if behind == locked.is_behind:
            return 0
        step.set(locked, is_behind=behind, behind_flagged_on=day if behind else None)
        expected = expected_progress(
            milestones=list(locked.milestones.all()), completion_date=locked.completion_date, on=day
        )
        if not behind:
            step.audit("caught_up")
            return -1
        step.notify(
            _tell,
            unit_users(locked.lead_unit) + staff_users(locked.region),
            f"民生实事项目“{locked.name}”进度滞后：计划应完成 {expected}%，已报告 {locked.progress}%",
            reverse("projects:project", args=[locked.pk]),
            locked,
        )
        step.audit("behind", expected=expected)
        return 1

    for project in qs[:5000]:
        if _behind(project, day) == project.is_behind:
            continue
        outcome = perform(
            PROJECTS, "project.flag_behind", scope=None, pks=[project.pk], change=change, actor=SYSTEM_SWEEP
        )
        if outcome > 0:
            report.flagged += 1
        elif outcome < 0:
            report.cleared += 1
    return report
