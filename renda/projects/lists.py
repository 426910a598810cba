"""代表定单: the candidate list (name, content, estimated budget, lead unit), which must exceed the
seats by the configured margin (差额), fixed by the presidium and put to the vote at a session
(renda/voting); the published result makes the elected candidates projects (apply_vote_result)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from renda.accounts.selectors import unit_users
from renda.core.actions import Step, perform
from renda.core.errors import Conflict, ValidationFailed
from renda.core.locks import lock_rows
from renda.core.rules import rule
from renda.core.scoping import Perm, Scope
from renda.core.validation import ascii_digits, clean_text
from renda.org.models import HandlingUnit
from renda.projects.models import (
    REF_PREFIX,
    Candidate,
    CandidateList,
    CandidateState,
    ListState,
    Project,
    Proposal,
    ProposalState,
    VoteMethod,
)
from renda.projects.services import (
    LISTS,
    MAX_BUDGET,
    MAX_CONTENT,
    PROJECTS,
    PROPOSALS,
    audit_created,
    clean_reason,
    require_in_scope,
    tell,
    voting_body,
)
from renda.projects.states import MACHINE
from renda.regions.models import Region, RegionLevel
from renda.voting.services import OptionInput, vote_create


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
    require_in_scope(scope, region.path, "区划")
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
    audit_created(LISTS, c, actor=scope.actor, action="create")
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


TEN_THOUSAND = Decimal(10000)


def wan_to_yuan(value: object, *, label: str) -> Decimal:
    """An amount typed on a page in 万元 (the unit every list shows: "88", "1,234.5", "12.5万元")
    as the 元 the records keep; clean_budget then checks it as the API's 元 are checked."""
    text = str(value if value is not None else "").strip()
    for noise in (",", "，", " ", "万元", "万"):
        text = text.replace(noise, "")
    if not text:
        raise ValidationFailed(f"{label}不能为空", field="budget")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValidationFailed(f"{label}应为金额（万元），而不是“{text[:20]}”", field="budget") from None
    if not amount.is_finite() or amount < 0 or amount * TEN_THOUSAND > MAX_BUDGET:
        raise ValidationFailed(
            f"{label}应为 0 以上、不超过 {MAX_BUDGET / TEN_THOUSAND:,.0f} 万元的金额", field="budget"
        )
    yuan = amount * TEN_THOUSAND
    if yuan != yuan.quantize(Decimal("0.01")):
        raise ValidationFailed(f"{label}最多精确到分（万元后最多六位小数）", field="budget")
    return yuan.quantize(Decimal("0.01"))


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
            before = PROPOSALS.snapshot(p)
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
        cleaned = clean_reason(reason, label="删除理由")
        found = Candidate.objects.get(pk=candidate.pk, candidate_list=c)
        listed = PROPOSALS.queryset().filter(candidate=found).values_list("pk", flat=True)
        for p in lock_rows(PROPOSALS.queryset(), list(listed), missing=PROPOSALS.missing).values():
            before = PROPOSALS.snapshot(p)
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
        cleaned = clean_reason(reason, label="确定依据", required=False)
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
        cleaned = clean_reason(reason, label="退回理由")
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
        require_in_scope(scope, meeting.region.path, "会议")
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
                description=f"{x.content[:300]}（估算投资 {x.budget / TEN_THOUSAND:,.2f} 万元，责任单位：{x.lead_unit.name}）",
            )
            for x in candidates
        ]
        method_label = "每张选票至多选" if c.method == VoteMethod.CHOOSE_N else "逐项表决，入选"
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
                tell,
                unit_users(x.lead_unit),
                f"{c.year}年民生实事项目“{x.name}”经代表票决入选，由贵单位负责实施，请制定实施计划",
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
