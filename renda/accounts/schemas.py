"""Response shapes of the caller's own account in the API (/api/v1/me)."""

from __future__ import annotations

from ninja import Field, Schema


class RoleOut(Schema):
    role: str = Field(..., description="角色代码")
    role_label: str = Field(..., description="角色名称")
    region: str = Field(..., description="管辖区划名称；“全部区划”表示不限")


class MeOut(Schema):
    username: str
    display_name: str = Field(..., description="姓名")
    roles: list[RoleOut]
    scope_roots: list[str] = Field(..., description="可见范围的根区划名称")
    unrestricted: bool = Field(..., description="是否可见全部区划")
    perms: list[str] = Field(..., description="权限代码")
