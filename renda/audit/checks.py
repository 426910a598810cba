"""``manage.py check --deploy``: the audit chain must be keyed with a secret of the operator's."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

PUBLIC_KEYS = {"renda-audit-v1", "CHANGE-ME-TOO"}  # the embedded default and docs/deploy.md's placeholder


@register(Tags.security, deploy=True)
def audit_chain_key(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Anyone knowing the key can re-chain a copied audit log: the public default proves nothing."""
    key = str(settings.AUDIT_CHAIN_KEY)
    if key in PUBLIC_KEYS or len(key) < 16:
        return [
            Error(
                "AUDIT_CHAIN_KEY 仍是公开的默认值或过短：请设置一个至少 16 个字符、只有运维人员知道的密钥",
                hint="见 docs/deploy.md；该密钥不要与数据库备份放在一起",
                id="renda.E001",
            )
        ]
    return []
