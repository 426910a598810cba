"""What the life of a livelihood project (民生实事项目票决制, 四单) shares: its three kinds of record
as the action skeleton handles them (``PROPOSALS``, ``LISTS``, ``PROJECTS``: what an audit event
keeps of each, how it is named), and the township, body and year every step asks about.

The life itself is in three modules, one per stage:

群众点单  projects/proposals.py  citizens, stations, deputies and staff propose; staff merge and screen.
代表定单  projects/lists.py      the candidate list with its 差额 margin, fixed and put to the vote;
                                 the published result makes the elected candidates projects.
政府买单  projects/delivery.py   the lead unit plans and reports progress; a sweep flags those behind;
人大验单                          deputies rate each project at year end; rectification and 回头看.

Every write of an existing record is one ``<entity>_<verb>(*, scope, ...)`` that runs the action
skeleton (core/actions.py): the transition's permission → the rows locked in primary-key order →
scope and role rules (projects/policy.py) → the state rule (projects/states.py) → the change →
the changed fields saved → messages → the audit events, in one transaction. Creating a record
(a proposal, a list) has no row to lock and writes its first event itself (``audit_created``); a
deputy's rating keeps its own path (delivery.project_rate).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from renda.audit.services import audit_record
from renda.core.actions import Records
from renda.core.errors import NotFound, ValidationFailed
from renda.core.rules import rule
from renda.core.scoping import Scope
from renda.core.validation import clean_text
from renda.meetings.selectors import deputy_pool
from renda.notify.models import Channel
from renda.notify.services import notify_send
from renda.org.models import Body, BodyKind, Deputy
from renda.projects import policy
from renda.projects.models import (
    CandidateList,
    Project,
    Proposal,
)
from renda.projects.states import MACHINE
from renda.regions.models import Region, RegionLevel

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


def tell(users: Iterable[Any], body: str, link: str, target: Any) -> None:
    for user in dict.fromkeys(users):
        notify_send(channel=Channel.IN_APP, to_user=user, body=body, link=link, target=target)


def clean_reason(text: str, *, label: str, required: bool = True, max_length: int = MAX_REASON) -> str:
    return clean_text(text, label=label, field="reason", max_length=max_length, required=required)


def require_in_scope(scope: Scope, path: str, what: str) -> None:
    if not scope.covers_path(path):
        raise NotFound(f"{what}不存在或不在您的管辖范围内")


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


def audit_created(records: Records[Any], record: Any, *, actor: Any, action: str, **extra: Any) -> None:
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
