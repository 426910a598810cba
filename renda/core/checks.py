"""``manage.py check --deploy``: citizens' phone numbers are encrypted with a key of the operator's."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

PLACEHOLDERS = {"CHANGE-ME-FOUR"}  # docs/deploy.md's placeholder


@register(Tags.security, deploy=True)
def personal_data_key(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    key = str(settings.PERSONAL_DATA_KEY)
    others = {str(settings.SECRET_KEY), str(settings.AUDIT_CHAIN_KEY), str(settings.BALLOT_SEAL_KEY)}
    if key in PLACEHOLDERS or len(key) < 32 or key in others:
        return [
            Error(
                "PERSONAL_DATA_KEY 仍是文档中的占位值、过短或与其他密钥相同：请设置一个至少 32 个字符、"
                "只有运维人员知道的随机密钥",
                hint="见 docs/deploy.md；该密钥不在备份里，须与其他密钥一起另行保管，丢失则群众电话无法解密",
                id="renda.E004",
            )
        ]
    return []
