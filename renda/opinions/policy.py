"""Who may do what to a case now, and who sees the citizen behind it: one rule for the staff
pages, the API (its ``actions`` field and its routes) and the Excel export."""

from __future__ import annotations

from django.db.models import Q
from django.utils.crypto import constant_time_compare, salted_hmac

from renda.core.errors import NotFound, ValidationFailed
from renda.core.ratelimit import check_rate
from renda.core.scoping import Perm, Scope
from renda.core.states import Transition
from renda.opinions.models import Opinion
from renda.opinions.states import MACHINE
from renda.org.models import Station

# A handling unit's transitions are its own: only the unit the case is assigned to may take them.
UNIT_PERM = Perm.OPINION_HANDLE


def can_see_person(scope: Scope, opinion: Opinion | None = None) -> bool:
    """Those who handle the case see the citizen's name and phone: staff holding personal-data
    rights in the region, and the unit the case is assigned to. ``opinion=None`` asks about a
    list (an export): only the personal-data right counts there."""
    if scope.has(Perm.PERSONAL_DATA):
        return True
    return opinion is not None and opinion.unit_id is not None and opinion.unit_id in scope.unit_ids


def authorize(scope: Scope, opinion: Opinion, transition: Transition) -> None:
    """Scope and role rules on the fresh, locked case (404: never say whether it exists)."""
    if not scope.covers_path(opinion.region.path):
        raise NotFound("意见不存在或不在您的管辖范围内")
    if transition.perm == UNIT_PERM and opinion.unit_id not in scope.unit_ids:
        raise NotFound("意见不存在或未交办给您的单位")


def available(scope: Scope, opinion: Opinion) -> list[Transition]:
    """The staff transitions this user may start on this case now (the buttons, the API's ``actions``)."""
    offered = [
        x
        for x in MACHINE.allowed(opinion.state, scope.perms)
        if x.perm != UNIT_PERM or opinion.unit_id in scope.unit_ids
    ]
    if any(x.name in ("extend_request", "extend_decide") for x in offered):
        waiting = opinion.extensions.filter(state="pending").exists()  # one request waits at a time
        offered = [x for x in offered if x.name != ("extend_request" if waiting else "extend_decide")]
    return offered


def visible_opinions_q(scope: Scope) -> Q:
    """Which opinions inside the scope's regions a user sees, by role: staff all of them; a
    unit its own; a liaison their station's; a deputy those addressed to them, their station's,
    and those handed to them (转代表)."""
    if scope.has(Perm.OPINION_TRIAGE):
        return Q()
    q = Q(pk__in=[])
    if scope.unit_ids:
        q |= Q(unit_id__in=scope.unit_ids)
    if scope.station_ids:
        q |= Q(station_id__in=scope.station_ids)
    if scope.deputy_ids:
        stations = Station.objects.filter(
            memberships__deputy_id__in=scope.deputy_ids, memberships__end_date__isnull=True
        )
        referred = Opinion.referred_deputies.through.objects.filter(deputy_id__in=scope.deputy_ids)
        q |= Q(deputy_id__in=scope.deputy_ids) | Q(station__in=stations) | Q(pk__in=referred.values("opinion_id"))
    return q


TRACK_LIMIT_PER_HOUR = 30  # receipt checks per IP: a receipt code is not guessed four digits at a time
TRACK_FAILED = "回执码、手机尾号或查询密码不正确（匿名反映请填 6 位查询密码）"
PIN_DIGITS = 6


def track_pin(opinion: Opinion) -> str:
    """The second secret of an anonymous case without a phone (查询密码), shown once with its
    receipt: the receipt code alone must not open a case (it is shown to staff, printed on
    slips, read out on the phone). Derived with a keyed MAC from the case itself, so nothing more
    is stored and a retried submission is answered with the same PIN."""
    mac = salted_hmac("renda.opinions.track-pin", f"{opinion.pk}|{opinion.receipt_code}").digest()
    return f"{int.from_bytes(mac[:8], 'big') % 10**PIN_DIGITS:0{PIN_DIGITS}d}"


def needs_pin(opinion: Opinion) -> bool:
    return opinion.anonymous and not opinion.citizen_phone


def receipt_holder_case(*, receipt_code: str, digits: str, client_ip: str) -> Opinion:
    """The case a citizen names by its receipt code, once they proved the phone's last four
    digits (an anonymous case without a phone: its 6-digit 查询密码). The tracking page and the API
    both ask here; a wrong code and wrong digits are refused alike, and both count against the
    caller's hourly limit (RateLimited, 429)."""
    check_rate(
        bucket="track-ip",
        subject=client_ip,
        limit=TRACK_LIMIT_PER_HOUR,
        window_seconds=3600,
        message="查询过于频繁，请一小时后再试",
    )
    code = receipt_code.strip().upper()[:12]
    digits = digits.strip()
    opinion = (
        Opinion.objects.select_related("region", "merged_into").filter(receipt_code=code).first() if code else None
    )
    ok = opinion is not None and (
        constant_time_compare(digits, track_pin(opinion))
        if needs_pin(opinion)
        else (len(digits) == 4 and digits.isdigit() and opinion.citizen_phone.endswith(digits))
    )
    if not ok or opinion is None:
        raise ValidationFailed(TRACK_FAILED, field="receipt_code")
    return opinion


# ---------------------------------------------------------------- following a case (附议)

SIMILAR_LIMIT_PER_HOUR = 120  # "这件事已有人反映" lookups per IP (typed text is debounced)


def follow_token(opinion: Opinion) -> str:
    """What the public "这件事已有人反映" fragment links a case by: never its receipt code (a
    credential: with it an anonymous case could be read and rated), but the case's number and
    a keyed MAC of it, which lets a citizen follow (附议) the case and nothing else."""
    mac = salted_hmac("renda.opinions.follow", str(opinion.pk)).hexdigest()[:20]
    return f"{opinion.pk}-{mac}"


def followed_case(token: str) -> Opinion:
    """The case a follow token names, or NotFound (a forged or altered token alike)."""
    pk_text, _, mac = str(token).partition("-")
    if not (pk_text.isascii() and pk_text.isdigit() and len(pk_text) <= 12 and mac):
        raise NotFound("没有找到这件反映")
    opinion = Opinion.objects.filter(pk=int(pk_text)).first()
    if opinion is None or not constant_time_compare(follow_token(opinion), f"{pk_text}-{mac}"):
        raise NotFound("没有找到这件反映")
    return opinion
