"""``manage.py check --deploy``: the governance platform's two directions are signed with two secrets."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register


@register(Tags.security, deploy=True)
def governance_secrets(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    inbound = str(settings.GOVERNANCE_INBOUND_SECRET)
    outbound = str(settings.GOVERNANCE_OUTBOUND_SECRET)
    if not (settings.GOVERNANCE_WEBHOOK_URL or inbound or outbound):
        return []  # the platform is not connected
    if len(inbound) < 16 or len(outbound) < 16 or inbound == outbound:
        return [
            Error(
                "基层治理四平台对接须设置两个不同的密钥：GOVERNANCE_INBOUND_SECRET（平台回传签名）和 "
                "GOVERNANCE_OUTBOUND_SECRET（本系统推送签名），各至少 16 个字符",
                hint="见 docs/integration.md：一个方向的密钥泄露不能用来伪造另一个方向的请求",
                id="renda.E003",
            )
        ]
    return []
