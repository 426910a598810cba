"""Fixtures for 代表建议: the demo township's congress, its deputies and units, and a helper that
drives a suggestion through the services to a given stage."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from renda.accounts.models import Role, RoleAssignment, User
from renda.accounts.services import role_grant, user_create
from renda.core.scoping import Scope, scope_for_user, system_scope
from renda.org import services as org
from renda.org.models import Body, BodyKind, Category, CongressLevel, Deputy, HandlingUnit
from renda.regions.models import Region
from renda.suggestions import services
from renda.suggestions.models import Suggestion


@dataclass
class Town:
    region: Region
    body: Body
    deputy: Deputy  # the demo deputy
    cosigner: Deputy  # another deputy of the same congress, with a login "cosigner"
    clerk_unit: HandlingUnit  # the demo clerk's unit (规划建设办)
    co_unit: HandlingUnit  # another unit of the town
    outside_unit: HandlingUnit  # a unit of a neighbouring township
    category: Category


@pytest.fixture
def town(db: None, user_named: Callable[[str], User]) -> Town:
    deputy = RoleAssignment.objects.get(user__username="deputy").deputy
    clerk_unit = RoleAssignment.objects.get(user__username="clerk").unit
    assert deputy is not None and clerk_unit is not None
    region = clerk_unit.region
    body = Body.objects.get(region=region, kind=BodyKind.CONGRESS)
    cosigner = (
        Deputy.objects.filter(region__path__startswith=region.path, mandates__level=CongressLevel.TOWNSHIP)
        .exclude(pk=deputy.pk)
        .order_by("id")
        .first()
    )
    assert cosigner is not None
    if not User.objects.filter(username="cosigner").exists():
        system = system_scope("测试")
        user = user_create(
            scope=system, username="cosigner", password="x", display_name=cosigner.name, check_password=False
        )
        role_grant(scope=system, user=user, role=Role.DEPUTY, deputy=cosigner)
    co_unit = HandlingUnit.objects.filter(region=region, name__endswith="财政所").first()
    outside_unit = HandlingUnit.objects.exclude(region__path__startswith=region.path).order_by("-id").first()
    assert co_unit is not None and outside_unit is not None
    return Town(
        region=region,
        body=body,
        deputy=deputy,
        cosigner=cosigner,
        clerk_unit=clerk_unit,
        co_unit=co_unit,
        outside_unit=outside_unit,
        category=Category.objects.get(name="路灯"),
    )


@pytest.fixture
def cosigner_scope(town: Town, user_named: Callable[[str], User]) -> Scope:
    return scope_for_user(user_named("cosigner"))


def seat(deputy: Deputy, *levels: int) -> Deputy:
    """Give the deputy exactly these congress levels, through the roster service."""
    d = Deputy.objects.select_related("region").get(pk=deputy.pk)
    org.deputy_update(
        scope=system_scope("测试"),
        deputy=d,
        data=org.DeputyInput(
            name=d.name,
            region=d.region,
            kind=d.kind,
            gender=d.gender,
            birth_year=d.birth_year,
            party=d.party,
            occupation=d.occupation,
            phone=d.phone,
            mandates=tuple(org.MandateInput(level, 18, "测试选区") for level in levels),
        ),
    )
    return d


def draft_input(town: Town, **extra: Any) -> services.DraftInput:
    data: dict[str, Any] = {
        "body": town.body,
        "title": "关于完善村道路灯设施的建议",
        "content": "多个村反映村道夜间照明不足，群众出行不便，存在安全隐患。",
        "category": town.category,
        "problem": "路灯覆盖率低，部分灯具损坏后长期无人维修。",
        "proposal": "一、摸排全镇村道照明；二、建立路灯维护责任制。",
    } | extra
    return services.DraftInput(**data)


class Driver:
    """Moves a suggestion through the services as the demo people would."""

    def __init__(self, town: Town, scope_of: Callable[[str], Scope]) -> None:
        self.town = town
        self.scope_of = scope_of

    def draft(self, *, joint: bool = False, **extra: Any) -> Suggestion:
        cosigners = [self.town.cosigner] if joint else []
        return services.suggestion_draft(
            scope=self.scope_of("deputy"), data=draft_input(self.town, cosigners=cosigners, **extra)
        )

    def submitted(self, *, joint: bool = False, **extra: Any) -> Suggestion:
        s = self.draft(joint=joint, **extra)
        if joint:
            s = services.suggestion_cosign(scope=self.scope_of("cosigner"), suggestion=s)
        return services.suggestion_submit(scope=self.scope_of("deputy"), suggestion=s)

    def accepted(self, **kw: Any) -> Suggestion:
        return services.suggestion_accept(scope=self.scope_of("township"), suggestion=self.submitted(**kw))

    def assigned(self, *, co: bool = True, **kw: Any) -> Suggestion:
        return services.suggestion_assign(
            scope=self.scope_of("township"),
            suggestion=self.accepted(**kw),
            lead_unit=self.town.clerk_unit,
            co_units=[self.town.co_unit] if co else [],
        )

    def contact(self, s: Suggestion) -> None:
        services.suggestion_contact(
            scope=self.scope_of("clerk"),
            suggestion=s,
            contacted_on=dt.date.today(),
            way="phone",
            note="电话听取代表意见",
        )

    def answered(self, answer_class: str = "B", **kw: Any) -> Suggestion:
        s = self.assigned(**kw)
        self.contact(s)
        services.suggestion_answer(
            scope=self.scope_of("clerk"),
            suggestion=s,
            answer_class=answer_class,
            text="已列入明年村道亮化计划，分批实施。",
        )
        s.refresh_from_db()
        return s


@pytest.fixture
def drive(town: Town, scope_of: Callable[[str], Scope], cosigner_scope: Scope) -> Driver:
    return Driver(town, scope_of)
