"""基层治理四平台 → us: status updates on the cases we routed to the county's grassroots
governance platform.

The outbound half is renda/opinions/governance.py (webhook_deliver, run by the opinions.deliver_webhook task): routed and answered cases are
POSTed to settings.GOVERNANCE_WEBHOOK_URL, signed the same way with GOVERNANCE_OUTBOUND_SECRET.
Inbound, the platform sends ``{"event_id", "receipt_code", "type": "accepted"|"progress"|"answered",
"text"}`` with the headers ``X-Renda-Timestamp: <unix seconds>`` and ``X-Renda-Signature: <hex
HMAC-SHA256 of "<timestamp>.<raw body>", keyed with GOVERNANCE_INBOUND_SECRET>``; a timestamp more
than GOVERNANCE_SIGNATURE_WINDOW seconds (default 300) from now is refused like a bad signature.

The signature is checked on the raw bytes before anything else is read, so a forged request
learns nothing (not even whether its JSON was valid) and changes nothing.
"""

from __future__ import annotations

import json
from typing import Any

import pydantic
from django.conf import settings
from django.http import HttpRequest
from ninja import Router
from ninja.errors import HttpError, ValidationError, ValidationErrorContext

from renda.api.errors import translate
from renda.api.schemas import ErrorOut, ValidationErrorOut
from renda.core.errors import ValidationFailed
from renda.opinions import governance
from renda.opinions.governance import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature_valid
from renda.opinions.schemas import GovernanceEventIn, GovernanceEventOut

router = Router(auth=None, tags=["基层治理四平台对接"])

NOT_CONFIGURED = "基层治理四平台对接未配置（GOVERNANCE_INBOUND_SECRET 为空），暂不接收回传"
BAD_SIGNATURE = (
    f"签名校验失败：请求头 {SIGNATURE_HEADER} 应为“{TIMESTAMP_HEADER}.请求体”的 HMAC-SHA256（十六进制），"
    f"{TIMESTAMP_HEADER} 为发送时的 Unix 秒数，与本机时间相差不超过 5 分钟"
)

BODY_SCHEMA = {
    "content": {
        "application/json": {"schema": GovernanceEventIn.model_json_schema(ref_template="#/components/schemas/{model}")}
    },
    "required": True,
}


@router.post(
    "/integrations/governance/events",
    response={
        200: GovernanceEventOut,
        400: ErrorOut,
        401: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ValidationErrorOut,
        503: ErrorOut,
    },
    summary="接收基层治理四平台回传",
    description=(
        f"请求头 `{TIMESTAMP_HEADER}` 为发送时的 Unix 秒数（与本机相差不超过 5 分钟），`{SIGNATURE_HEADER}` 为"
        f"“时间戳 + '.' + 原始请求体”以回传密钥计算的 HMAC-SHA256（十六进制小写）。"
        "type：accepted 已受理 / progress 办理进展 / answered 已答复（text 为答复内容，群众可据此评价）。"
        '同一 event_id 重发返回 200 且 `"replayed": true`，不再改变任何数据。'
    ),
    openapi_extra={"requestBody": BODY_SCHEMA},
)
def governance_event(request: HttpRequest) -> dict[str, Any]:
    if not settings.GOVERNANCE_INBOUND_SECRET:
        raise HttpError(503, NOT_CONFIGURED)
    body: bytes = request.body
    given = request.headers.get(SIGNATURE_HEADER, "").strip().lower()
    timestamp = request.headers.get(TIMESTAMP_HEADER, "").strip()
    if not signature_valid(body, timestamp=timestamp, signature=given):
        raise HttpError(401, BAD_SIGNATURE)
    try:
        data = json.loads(body)
    except ValueError:
        raise ValidationFailed("请求体不是有效的 JSON") from None
    try:
        event = GovernanceEventIn.model_validate(data)
    except pydantic.ValidationError as exc:
        raise ValidationError(translate([ValidationErrorContext(exc, GovernanceEventIn)])) from None
    opinion, applied = governance.platform_event_apply(
        event_id=event.event_id, receipt_code=event.receipt_code.strip().upper(), kind=event.type, text=event.text
    )
    return {
        "replayed": not applied,
        "receipt_code": opinion.receipt_code,
        "state": opinion.state,
        "state_label": opinion.get_state_display(),
    }
