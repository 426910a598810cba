"""``manage.py check --deploy``: phone ballots must be sealed with a key of the operator's."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

PLACEHOLDERS = {"CHANGE-ME-THREE"}  # docs/deploy.md's placeholder


@register(Tags.security, deploy=True)
def ballot_seal_key(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Whoever knows the key and holds a copy of the database can open an open vote's sealed box."""
    key = str(settings.BALLOT_SEAL_KEY)
    if key in PLACEHOLDERS or len(key) < 32:
        return [
            Error(
                "BALLOT_SEAL_KEY 仍是文档中的占位值或过短：请设置一个至少 32 个字符、只有运维人员知道的随机密钥",
                hint="见 docs/deploy.md；该密钥不要与数据库备份放在一起，投票进行中不要更换",
                id="renda.E002",
            )
        ]
    return []
