"""The REST API under /api/v1/ (django-ninja). OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs.

Authentication: a Django session (CSRF on unsafe methods) or ``Authorization: Bearer rd_...``.
Every read goes through the scoping layer; a record outside the caller's scope answers 404.
The citizen endpoints under /api/v1/public/ and the governance platform's callback need no
account (``auth=None``; the callback is signed instead).
"""

from __future__ import annotations

from renda.accounts import api as me
from renda.api import docs
from renda.api.auth import API_AUTH
from renda.api.errors import RendaNinjaAPI, register_handlers
from renda.api.renderers import UnicodeJSONRenderer
from renda.meetings import api as meetings
from renda.opinions import api as opinions
from renda.opinions import governance_api as governance
from renda.org import api as org
from renda.projects import api as projects
from renda.public import api as public
from renda.regions import api as regions
from renda.suggestions import api as suggestions
from renda.voting import api as voting

api = RendaNinjaAPI(
    title="基层人大工作平台 API",
    version="1",
    urls_namespace="api",
    description=(
        "基层人大工作平台的接口。认证方式：已登录的浏览器会话（修改类请求需带 CSRF 令牌），"
        "或请求头 `Authorization: Bearer rd_...`（API 令牌）。所有数据按您的管辖区划过滤，"
        '范围外的记录一律返回 404。错误以 JSON 返回：`{"detail": "中文说明", "field": "字段"}`。'
        '列表接口支持 limit/offset 分页（limit 最大 200），返回 `{"count": 总数, "items": [...]}`。'
    ),
    auth=API_AUTH,
    docs=docs.LocalSwagger(),
    renderer=UnicodeJSONRenderer(),
)
register_handlers(api)

api.add_router("", me.router)
api.add_router("", regions.router)
api.add_router("", org.router)  # 代表, 家站点, 承办单位, 人大机构, 代表小组
api.add_router("", opinions.router)
api.add_router("", public.router)
api.add_router("", governance.router)
api.add_router("", suggestions.router)
api.add_router("", meetings.router)
api.add_router("", voting.router)
api.add_router("", projects.router)
api.add_router("", docs.router)
