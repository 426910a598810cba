"""Who may do what to a suggestion now: one rule for the suggestion page's buttons, the API's
``actions`` field and the services (which check it again on the locked row).

The scene shows no personal data of citizens (signatories are deputies, named in public), so
there is no ``can_see_person`` here; a suggestion converted to an opinion is shown by the
opinions scene under its own rule.
"""

from __future__ import annotations

from django.utils import timezone

from renda.core.errors import Conflict, NotFound, PermissionDenied
from renda.core.scoping import Scope
from renda.core.states import Transition
from renda.suggestions.models import Assignment, Signatory, SignatoryStatus, Suggestion, UnitRole
from renda.suggestions.states import MACHINE

DEPUTY_ACTIONS = {"edit", "invite", "submit", "withdraw", "publish", "cosign", "decline", "consent_withdraw", "rate"}
UNIT_ACTIONS = {"object", "co_opinion", "contact", "answer", "promise_done"}


def authorize(scope: Scope, s: Suggestion, transition: Transition) -> None:
    """The region rule on the fresh, locked suggestion (404: never say whether it exists). The
    role rules (:func:`signatory`, :func:`assignment`, :func:`lead_unit`) come after the state
    rule, in the service, as they always did."""
    if not scope.covers_path(s.region.path) and not _signs(scope, s):
        raise NotFound("建议不存在或不在您的管辖范围内")


def _signs(scope: Scope, s: Suggestion) -> bool:
    """五级代表: a deputy signing a suggestion to a higher congress (above their township scope)."""
    return bool(scope.deputy_ids) and (
        Signatory.objects.filter(suggestion=s, deputy_id__in=scope.deputy_ids)
        .exclude(status=SignatoryStatus.DECLINED)
        .exists()
    )


def signatory(scope: Scope, s: Suggestion, *, lead: bool = False, confirmed: bool = True) -> Signatory:
    """The caller's own signature on the (locked) suggestion, locked too; 404 when there is none."""
    sig = (
        Signatory.objects.select_for_update()
        .select_related("deputy")
        .filter(suggestion=s, deputy_id__in=scope.deputy_ids)
        .order_by("-is_lead", "id")
        .first()
    )
    if sig is None:
        raise NotFound("建议不存在或您不是该建议的署名代表")
    if lead and not sig.is_lead:
        raise PermissionDenied("只有领衔代表可以执行此操作")
    if confirmed and sig.status != SignatoryStatus.CONFIRMED:
        raise PermissionDenied("您尚未确认联名，不能执行此操作")
    return sig


def assignment(scope: Scope, s: Suggestion, *, lead: bool | None = None) -> Assignment:
    """The caller's active assignment on this suggestion (lead=True: only the lead unit; False: only a co-unit)."""
    a = (
        Assignment.objects.select_related("unit")
        .filter(suggestion=s, unit_id__in=scope.unit_ids, active=True)
        .order_by("id")
        .first()
    )
    if a is None:
        raise NotFound("建议不存在或未交办给您的单位")
    if lead is True and a.role != UnitRole.LEAD:
        raise Conflict("本单位是协办单位：联系代表和答复由主办单位办理，协办意见请送主办单位")
    if lead is False and a.role != UnitRole.CO:
        raise Conflict("本单位是主办单位：协办意见由协办单位提出，主办单位请联系代表后答复")
    return a


def lead_unit(scope: Scope, s: Suggestion) -> None:
    """承诺事项 are reported by the lead unit, even after its assignment has ended."""
    if s.lead_unit_id not in scope.unit_ids:
        raise NotFound("建议不存在或不是您的单位主办")


def available_names(scope: Scope, s: Suggestion) -> set[str]:
    """What this user may do to this suggestion now (the services check all of it again).

    Reads the suggestion's prefetched signatories, assignments and ratings (the detail selector)."""
    names = {t.name for t in MACHINE.allowed(s.state, scope.perms)}
    mine = [sig for sig in s.signatories.all() if sig.deputy_id in scope.deputy_ids]
    sig = mine[0] if mine else None
    keep = names - DEPUTY_ACTIONS
    if sig is not None:
        if sig.is_lead:
            keep |= names & {"edit", "invite", "submit", "publish"}
            if s.withdraw_requested_at is None:
                keep |= names & {"withdraw"}
        elif sig.status == SignatoryStatus.INVITED:
            keep |= names & {"cosign", "decline"}
        elif sig.status == SignatoryStatus.CONFIRMED and s.withdraw_requested_at and not sig.withdraw_consent_at:
            keep |= names & {"consent_withdraw"}
        rated = any(r.round == s.round for r in s.ratings.all())
        if sig.status == SignatoryStatus.CONFIRMED and not rated:
            keep |= names & {"rate"}
    keep -= UNIT_ACTIONS
    mine_units = [a for a in s.assignments.all() if a.active and a.unit_id in scope.unit_ids]
    if mine_units:
        a = mine_units[0]
        if timezone.localdate() <= a.object_by:
            keep |= names & {"object"}
        if a.role == UnitRole.CO:
            keep |= names & {"co_opinion"}
        else:
            keep |= names & {"contact", "answer"}
    if s.lead_unit_id in scope.unit_ids and s.promise_open:
        keep |= names & {"promise_done"}
    return keep


def available(scope: Scope, s: Suggestion) -> list[Transition]:
    """The transitions this user may start on this suggestion now, in the table's order (the
    buttons, the API's ``actions``)."""
    names = available_names(scope, s)
    return [x for x in MACHINE if x.entity == "" and x.name in names]
