"""群众点单: proposals for a township's year, from citizens (the public page, no account),
stations, deputies and staff; staff merge duplicates and screen each with a reason."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from renda.accounts.selectors import staff_users
from renda.core.actions import Step, perform
from renda.core.errors import Conflict, PermissionDenied, ValidationFailed
from renda.core.ratelimit import check_rate
from renda.core.rules import rule
from renda.core.scoping import Perm, Scope
from renda.core.validation import clean_phone, clean_text, mask_name, mask_phone
from renda.org.models import Deputy, Station
from renda.projects.models import (
    Proposal,
    ProposalSource,
    ProposalState,
)
from renda.projects.services import (
    PROPOSALS,
    audit_created,
    clean_reason,
    proposal_year,
    require_in_scope,
    tell,
    township_of,
)
from renda.regions.models import Region, RegionLevel


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
    tell(
        staff_users(proposal.region),
        f"新的民生实事项目建议：{proposal.title}（{proposal.region.name}）",
        reverse("projects:proposal", args=[proposal.pk]),
        proposal,
    )
    audit_created(
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
    require_in_scope(scope, data.region.path, "区划")
    if data.station is not None:
        require_in_scope(scope, data.station.region.path, "联络站")
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
        cleaned = clean_reason(reason, label="筛选意见")
        step.move(ProposalState.ACCEPTED if decision == "accept" else ProposalState.REJECTED)
        step.set(p, screening_reason=cleaned, screened_at=timezone.now())
        step.audit(decision, reason=cleaned)
        return p

    return perform(PROPOSALS, f"proposal.{decision}", scope=scope, pks=[proposal.pk], change=change)


def proposal_merge(*, scope: Scope, proposal: Proposal, into: Proposal, reason: str) -> Proposal:
    """Merge a duplicate into another proposal of the same township and year (linked both ways)."""

    def change(step: Step[Proposal]) -> Proposal:
        p, target = step.row, step.rows[into.pk]
        cleaned = clean_reason(reason, label="合并理由")
        if target.pk == p.pk:
            raise ValidationFailed("不能合并到自身", field="into")
        require_in_scope(scope, target.region.path, "目标建议")
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
