"""Users, their region-scoped roles, and API tokens.

Citizens have no account. Every staff member holds one or more RoleAssignments; each
assignment is rooted at one node of the region tree and grants that role over the node
and everything below it (one installation serves a whole province).
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q

from renda.core.models import TimeStampedModel


class User(AbstractUser):  # 用户
    display_name = models.CharField("姓名", max_length=50, blank=True)
    phone = models.CharField("手机", max_length=20, blank=True)

    class Meta(AbstractUser.Meta):
        verbose_name = "用户"
        verbose_name_plural = "用户"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.display_name or self.username


class Role(models.TextChoices):
    ADMIN = "admin", "系统管理员"
    CITY_STAFF = "city_staff", "市人大常委会工作人员"
    COUNTY_STAFF = "county_staff", "县人大常委会工作人员"
    TOWNSHIP_STAFF = "township_staff", "乡镇人大主席团/街道人大工委工作人员"
    STATION_STAFF = "station_staff", "站长/联络员"
    DEPUTY = "deputy", "人大代表"
    UNIT_CLERK = "unit_clerk", "承办单位工作人员"


class RoleAssignment(TimeStampedModel):  # 角色授权
    user = models.ForeignKey(User, verbose_name="用户", on_delete=models.CASCADE, related_name="roles")
    role = models.CharField("角色", max_length=20, choices=Role.choices)
    region = models.ForeignKey(
        "regions.Region",
        verbose_name="管辖区划",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="该角色可见此区划及其下级；仅系统管理员可为空（全部区划）",
    )
    station = models.ForeignKey("org.Station", verbose_name="站点", null=True, blank=True, on_delete=models.CASCADE)
    deputy = models.ForeignKey("org.Deputy", verbose_name="代表", null=True, blank=True, on_delete=models.CASCADE)
    unit = models.ForeignKey(
        "org.HandlingUnit", verbose_name="承办单位", null=True, blank=True, on_delete=models.CASCADE
    )

    class Meta(TimeStampedModel.Meta):
        verbose_name = "角色授权"
        verbose_name_plural = "角色授权"
        constraints = [
            models.CheckConstraint(condition=Q(role="admin") | Q(region__isnull=False), name="role_needs_region"),
            models.CheckConstraint(condition=~Q(role="station_staff") | Q(station__isnull=False), name="role_station"),
            models.CheckConstraint(condition=~Q(role="deputy") | Q(deputy__isnull=False), name="role_deputy"),
            models.CheckConstraint(condition=~Q(role="unit_clerk") | Q(unit__isnull=False), name="role_unit"),
        ]

    def __str__(self) -> str:
        where = self.region.name if self.region_id and self.region else "全部区划"
        return f"{self.get_role_display()}（{where}）"


class ApiToken(TimeStampedModel):  # API 令牌; only a hash is stored
    user = models.ForeignKey(User, verbose_name="用户", on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField("用途", max_length=100)
    prefix = models.CharField("前缀", max_length=8, db_index=True)
    token_hash = models.CharField("令牌哈希", max_length=64, unique=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)

    class Meta(TimeStampedModel.Meta):
        verbose_name = "API 令牌"
        verbose_name_plural = "API 令牌"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class SignInCode(models.Model):  # 短信验证码（登录、重置密码）
    """A texted code, kept only as a keyed hash (accounts/sms.py)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    purpose = models.CharField("用途", max_length=8)
    code_hash = models.CharField("验证码哈希", max_length=64)
    created_at = models.DateTimeField("发送时间", auto_now_add=True)
    expires_at = models.DateTimeField("失效时间")
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    used_at = models.DateTimeField("使用时间", null=True, blank=True)

    class Meta:
        verbose_name = "短信验证码"
        verbose_name_plural = "短信验证码"
        indexes = [models.Index(fields=["user", "purpose"], name="signin_code_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.purpose}"
