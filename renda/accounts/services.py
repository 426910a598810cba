"""Every write to users, roles and API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone

from renda.accounts.models import ApiToken, Role, RoleAssignment, User
from renda.audit.services import audit_record
from renda.core.errors import Conflict, ValidationFailed
from renda.core.scoping import Perm, Scope
from renda.core.validation import clean_phone, clean_text
from renda.org.models import Deputy, HandlingUnit, Station
from renda.regions.models import Region, RegionLevel


@transaction.atomic
def user_create(
    *, scope: Scope, username: str, password: str, display_name: str, phone: str = "", check_password: bool = True
) -> User:
    """Create a staff account. The password must pass the configured password rules."""
    scope.require(Perm.ADMIN)
    username = clean_text(username, label="用户名", field="username", max_length=150)
    display_name = clean_text(display_name, label="姓名", field="display_name", max_length=50)
    phone = clean_phone(phone, label="手机", field="phone")
    if User.objects.filter(username=username).exists():
        raise ValidationFailed(f"用户名 {username} 已存在", field="username")
    user = User(username=username, display_name=display_name, phone=phone)
    if check_password:
        try:
            validate_password(password, user)
        except DjangoValidationError as exc:
            raise ValidationFailed("；".join(exc.messages), field="password") from None
    user.set_password(password)
    user.save()
    audit_record(
        actor=scope.actor, action="user.create", target=user, after={"username": username, "display_name": display_name}
    )
    return user


@transaction.atomic
def role_grant(
    *,
    scope: Scope,
    user: User,
    role: str,
    region: Region | None = None,
    station: Station | None = None,
    deputy: Deputy | None = None,
    unit: HandlingUnit | None = None,
) -> RoleAssignment:
    """Give a user a role over a region (and its station, deputy record or unit where the role needs one)."""
    scope.require(Perm.ADMIN)
    if role not in Role.values:
        raise ValidationFailed("角色无效", field="role")
    # A liaison or deputy works across their whole township (the station's deputies live in
    # several villages), so their scope defaults to the township around the station or home.
    if station is not None:
        region = region or township_of(station.region)
    if deputy is not None:
        region = region or township_of(deputy.region)
    if unit is not None:
        region = region or unit.region
    if role != Role.ADMIN and region is None:
        raise ValidationFailed("除系统管理员外，角色必须指定管辖区划", field="region")
    if role == Role.STATION_STAFF and station is None:
        raise ValidationFailed("站长/联络员角色必须指定站点", field="station")
    if role == Role.DEPUTY and deputy is None:
        raise ValidationFailed("代表角色必须关联代表档案", field="deputy")
    if role == Role.UNIT_CLERK and unit is None:
        raise ValidationFailed("承办单位角色必须指定单位", field="unit")
    if region is not None:
        scope.check_path(region.path, perm=Perm.ADMIN)
    assignment = RoleAssignment.objects.create(
        user=user, role=role, region=region, station=station, deputy=deputy, unit=unit
    )
    audit_record(
        actor=scope.actor,
        action="role.grant",
        target=user,
        region_path=region.path if region else "",
        after={"role": role, "region": region.name if region else "全部区划"},
    )
    return assignment


def township_of(region: Region) -> Region:
    if region.level <= RegionLevel.TOWNSHIP:
        return region
    return Region.objects.get(path=region.path[:9])


MAX_ACTIVE_TOKENS = 20


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, scope: Scope, user: User, name: str) -> tuple[ApiToken, str]:
    """Issue an API token for ``user``; the raw token is returned once and never stored."""
    if scope.user_id != user.pk:
        scope.require(Perm.ADMIN)
    name = clean_text(name, label="令牌用途", field="name", max_length=100)
    User.objects.select_for_update().filter(pk=user.pk).first()  # one issue at a time per user: the count holds
    if ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() >= MAX_ACTIVE_TOKENS:
        raise ValidationFailed(f"每个账号最多 {MAX_ACTIVE_TOKENS} 个有效令牌，请先吊销不用的令牌", field="name")
    raw = "rd_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=raw[:8], token_hash=token_hash(raw))
    audit_record(actor=scope.actor, action="token.create", target=user, after={"token": token.prefix, "name": name})
    return token, raw


@transaction.atomic
def api_token_revoke(*, scope: Scope, token: ApiToken) -> ApiToken:
    """吊销: the token is refused from the next request on; it stays listed as revoked."""
    if scope.user_id != token.user_id:
        scope.require(Perm.ADMIN)
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        raise Conflict(f"令牌 {token.prefix}… 已于 {timezone.localtime(token.revoked_at):%Y-%m-%d %H:%M} 吊销")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at", "updated_at"])
    audit_record(actor=scope.actor, action="token.revoke", target=token.user, after={"token": token.prefix})
    return token
