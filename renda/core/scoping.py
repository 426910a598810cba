"""The one region-scoping layer.

Every list, detail, export and API query for region-bound data goes through ``Scope``:
``scope.filter(qs)`` narrows a queryset to the regions the user may see, and
``scope.get(qs, **lookup)`` answers a single record or raises NotFound (404) — a record
outside scope is indistinguishable from one that does not exist.

A model takes part by being listed in ``SCOPED_PATHS`` with the lookup that reaches its
region path. A queryset of an unlisted model is refused, so nothing slips through unscoped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Q, QuerySet

from renda.core.errors import NotFound, PermissionDenied
from renda.regions.paths import subtree_q

if TYPE_CHECKING:
    from renda.accounts.models import RoleAssignment

M = TypeVar("M", bound=models.Model)

# model label -> lookup reaching the region path. Apps register their models here.
SCOPED_PATHS: dict[str, str] = {
    "regions.region": "path",
    "org.body": "region__path",
    "org.deputy": "region__path",
    "org.mandate": "deputy__region__path",
    "org.station": "region__path",
    "org.stationofficer": "station__region__path",
    "org.stationmembership": "station__region__path",
    "org.deputygroup": "region__path",
    "org.handlingunit": "region__path",
    "accounts.roleassignment": "region__path",
    "audit.auditevent": "region_path",
    "core.rulesetting": "region__path",  # a region's own value of a rule (the installation's: region null)
    "opinions.opinion": "region__path",
    "opinions.receptionslot": "station__region__path",
    "opinions.appointment": "slot__station__region__path",
}


class Perm:
    """Capabilities. Roles map to sets of these in ROLE_PERMS."""

    ORG_VIEW = "org.view"  # see the registry of one's region
    ORG_MANAGE = "org.manage"  # create, edit, import rosters
    ORG_EXPORT = "org.export"  # export rosters (personal data)
    PERSONAL_DATA = "personal.view"  # see phones unmasked
    AUDIT_VIEW = "audit.view"  # see timelines and the audit log
    OPINION_VIEW = "opinion.view"  # see opinions of one's region (units: only their own)
    OPINION_ENTER = "opinion.enter"  # enter offline opinions, manage reception slots
    OPINION_TRIAGE = "opinion.triage"  # answer, route, merge, refer, handle escalations
    OPINION_HANDLE = "opinion.handle"  # a handling unit accepts, returns, answers
    # 代表建议
    SUGGESTION_VIEW = "suggestion.view"  # staff: their region; deputies: own and co-signed; units: assigned
    SUGGESTION_DRAFT = "suggestion.draft"  # a deputy drafts, co-signs, submits, rates, withdraws
    SUGGESTION_MANAGE = "suggestion.manage"  # congress office: review, number, assign, mark key, supervise
    SUGGESTION_HANDLE = "suggestion.handle"  # a handling unit: co-unit opinion, contact, answer
    # 人代会、表决
    MEETING_VIEW = "meeting.view"  # see sessions, agendas, attendance, published results
    MEETING_MANAGE = "meeting.manage"  # create sessions, sign deputies in, open/close votes, enter paper totals
    VOTE_CAST = "vote.cast"  # a deputy signs in and casts a secret ballot
    # 民生实事
    PROJECT_VIEW = "project.view"  # see proposals, candidate lists, projects and their progress
    PROJECT_PROPOSE = "project.propose"  # stations and deputies propose candidate projects (群众点单)
    PROJECT_MANAGE = "project.manage"  # screen, fix the candidate list, put it to the vote, order rectification
    PROJECT_REPORT = "project.report"  # the lead unit records the plan and reports progress (政府买单)
    PROJECT_RATE = "project.rate"  # a deputy inspects and rates a project at year end (人大验单)
    RULES_LOCAL = "rule.local"  # 规则参数: read them, set the regional ones for one's own region
    ADMIN = "admin"  # Django admin, users and roles, installation-wide rules, the calendar


STAFF_PERMS = {
    Perm.ORG_VIEW,
    Perm.ORG_MANAGE,
    Perm.ORG_EXPORT,
    Perm.PERSONAL_DATA,
    Perm.AUDIT_VIEW,
    Perm.OPINION_VIEW,
    Perm.OPINION_ENTER,
    Perm.OPINION_TRIAGE,
    Perm.SUGGESTION_VIEW,
    Perm.SUGGESTION_MANAGE,
    Perm.MEETING_VIEW,
    Perm.MEETING_MANAGE,
    Perm.PROJECT_VIEW,
    Perm.PROJECT_PROPOSE,
    Perm.PROJECT_MANAGE,
    Perm.RULES_LOCAL,
}
ROLE_PERMS: dict[str, set[str]] = {
    "admin": STAFF_PERMS | {Perm.ADMIN},
    "city_staff": set(STAFF_PERMS),
    "county_staff": set(STAFF_PERMS),
    "township_staff": set(STAFF_PERMS),
    "station_staff": {Perm.ORG_VIEW, Perm.OPINION_VIEW, Perm.OPINION_ENTER, Perm.PROJECT_VIEW, Perm.PROJECT_PROPOSE},
    "deputy": {
        Perm.ORG_VIEW,
        Perm.OPINION_VIEW,
        Perm.OPINION_ENTER,
        Perm.SUGGESTION_VIEW,
        Perm.SUGGESTION_DRAFT,
        Perm.MEETING_VIEW,
        Perm.VOTE_CAST,
        Perm.PROJECT_VIEW,
        Perm.PROJECT_PROPOSE,
        Perm.PROJECT_RATE,
    },
    "unit_clerk": {
        Perm.ORG_VIEW,
        Perm.OPINION_VIEW,
        Perm.OPINION_HANDLE,
        Perm.SUGGESTION_VIEW,
        Perm.SUGGESTION_HANDLE,
        Perm.PROJECT_VIEW,
        Perm.PROJECT_REPORT,
    },
}


@dataclass
class Scope:
    """What one user may see and do. Built once per request (see accounts.middleware)."""

    user_id: int | None
    user: Any = None  # the User, for audit events; None for anonymous or system work
    system_label: str = ""  # who acts when there is no user (a command, a sweep)
    roots: list[str] = field(default_factory=list)  # region paths; "" means every region
    perms: set[str] = field(default_factory=set)
    roles: list[str] = field(default_factory=list)
    station_ids: set[int] = field(default_factory=set)
    deputy_ids: set[int] = field(default_factory=set)
    unit_ids: set[int] = field(default_factory=set)

    @property
    def actor(self) -> Any:
        """What audit events record as the actor."""
        if self.user is not None:
            return self.user
        return self.system_label or "匿名访问"

    @property
    def unrestricted(self) -> bool:
        return "" in self.roots

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None

    def has(self, perm: str) -> bool:
        return perm in self.perms

    def require(self, perm: str) -> None:
        if perm not in self.perms:
            raise PermissionDenied("您没有权限执行此操作")

    def region_q(self, path_lookup: str) -> Q:
        """Q over ``path_lookup`` covering every root; matches nothing when there is none."""
        if self.unrestricted:
            return Q()
        if not self.roots:
            return Q(pk__in=[])
        q = Q()
        for root in self.roots:
            q |= subtree_q(root, path_lookup)
        return q

    def covers_path(self, path: str) -> bool:
        return self.unrestricted or any(path.startswith(root) for root in self.roots)

    def filter(self, qs: QuerySet[M], *, perm: str = Perm.ORG_VIEW) -> QuerySet[M]:
        """Narrow ``qs`` to this scope. Raises PermissionDenied without ``perm``."""
        self.require(perm)
        label = qs.model._meta.label_lower
        try:
            lookup = SCOPED_PATHS[label]
        except KeyError:
            raise RuntimeError(f"{label} 未登记区划范围，不能通过范围层查询") from None
        if self.unrestricted:
            return qs
        # Every registered lookup follows to-one relations only, so no duplicates arise.
        return qs.filter(self.region_q(lookup))

    def get(self, qs: QuerySet[M], *, perm: str = Perm.ORG_VIEW, **lookup: Any) -> M:
        """One record inside scope, or NotFound."""
        try:
            return self.filter(qs, perm=perm).get(**lookup)
        except (ObjectDoesNotExist, ValueError, TypeError):
            raise NotFound("记录不存在或不在您的管辖范围内") from None

    def check_path(self, path: str, *, perm: str) -> None:
        """Refuse a write aimed at a region outside scope (404, as for reads)."""
        self.require(perm)
        if not self.covers_path(path):
            raise NotFound("区划不存在或不在您的管辖范围内")


ANONYMOUS = Scope(user_id=None)


def system_scope(label: str = "系统") -> Scope:
    """Full scope for commands and scheduled sweeps; audit events name ``label`` as the actor."""
    return Scope(user_id=None, system_label=label, roots=[""], perms=set(ROLE_PERMS["admin"]), roles=["admin"])


def scope_from_assignments(user: Any, assignments: Iterable[RoleAssignment], *, superuser: bool = False) -> Scope:
    scope = Scope(user_id=user.pk, user=user)
    roots: set[str] = set()
    for a in assignments:
        scope.roles.append(a.role)
        scope.perms |= ROLE_PERMS.get(a.role, set())
        if a.region is None:
            roots.add("")
        else:
            roots.add(a.region.path)
        if a.station_id:
            scope.station_ids.add(a.station_id)
        if a.deputy_id:
            scope.deputy_ids.add(a.deputy_id)
        if a.unit_id:
            scope.unit_ids.add(a.unit_id)
    if superuser:
        roots.add("")
        scope.perms |= ROLE_PERMS["admin"]
        if "admin" not in scope.roles:
            scope.roles.append("admin")
    # Drop roots already covered by a shorter root.
    ordered = sorted(roots, key=len)
    kept: list[str] = []
    for root in ordered:
        if not any(root.startswith(k) for k in kept):
            kept.append(root)
    scope.roots = kept
    return scope


def scope_for_user(user: Any) -> Scope:
    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    cached = getattr(user, "_renda_scope", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    from renda.accounts.models import RoleAssignment

    assignments = (
        RoleAssignment.objects.filter(user_id=user.pk)
        .select_related("region")
        .only("role", "station_id", "deputy_id", "unit_id", "region__path")  # every request: what a scope needs
    )
    scope = scope_from_assignments(user, assignments, superuser=bool(user.is_superuser))
    user._renda_scope = scope
    return scope
