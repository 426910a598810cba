"""Every error the API answers is JSON ``{"detail": "<中文说明>", "field": ...}``.

RendaError subclasses keep their status code (400 / 403 / 404 / 409). Ninja's own input
validation (wrong type, missing field, too long) answers 422 with the pydantic errors
translated into Chinese and named by the field's Chinese title where the schema gives one.
"""

from __future__ import annotations

import typing
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError, ValidationErrorContext
from ninja.operation import Operation
from pydantic import BaseModel

from renda.api.auth import NOT_AUTHENTICATED
from renda.core.errors import RendaError
from renda.core.inputs import reason as _reason

NOT_FOUND = "记录不存在或不在您的管辖范围内"
HTTP_MESSAGES = {
    400: "请求无法处理：请求体应为有效的 JSON",
    401: NOT_AUTHENTICATED,
    403: "您没有权限执行此操作",
    404: NOT_FOUND,
    405: "不支持该请求方法",
    429: "请求过于频繁，请稍后再试",
}
# Ninja's own English messages that reach users, by the message it uses.
KNOWN_MESSAGES = {
    "Cannot parse request body": "请求体无法解析：应为有效的 JSON",
    "Unauthorized": NOT_AUTHENTICATED,
    "Forbidden": "您没有权限执行此操作",
    "CSRF check Failed": "CSRF 校验失败：请刷新页面后重试，或改用 API 令牌访问",
    "Too many requests.": "请求过于频繁，请稍后再试",
}

PARAM_SOURCES = {"path": "路径参数", "query": "查询参数", "header": "请求头", "body": "请求体", "cookie": "Cookie"}


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation can hold (through Optional, list, Annotated...)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        found.extend(_models_in(arg))
    return found


def _describe(model: type[BaseModel], loc: tuple[int | str, ...]) -> tuple[str, str]:
    """(field path as the client wrote it, Chinese label) for a pydantic error location.

    The first level of ``loc`` is the view's parameter; when that parameter is a whole
    schema (a body or a Query[...] group) its name is not something the client sent.
    """
    parts: list[str] = []
    label = ""
    current: list[type[BaseModel]] = [model]
    for depth, step in enumerate(loc):
        if isinstance(step, int):
            parts.append(str(step))
            continue
        field_info = next((m.model_fields[step] for m in current if step in m.model_fields), None)
        if field_info is None:
            parts.append(step)
            current = []
            continue
        inner = _models_in(field_info.annotation)
        if depth == 0 and inner and field_info.alias is None:
            current = inner  # the parameter is a schema: its fields are what the client sent
            continue
        parts.append(field_info.alias or step)
        label = field_info.title or ""
        current = inner
    name = ".".join(parts)
    return name, label


def translate(error_contexts: list[ValidationErrorContext[Any]]) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    for context in error_contexts:
        model = context.model
        source = str(getattr(model, "__ninja_param_source__", ""))
        for e in context.pydantic_validation_error.errors(include_url=False):
            field, label = _describe(model, tuple(e["loc"]))
            if label and field:
                subject = f"{label}（{field}）"
            elif field:
                subject = f"“{field}”"
            else:
                subject = PARAM_SOURCES.get(source, "请求")
            if e["type"] == "missing" and not field:
                message = f"缺少{PARAM_SOURCES.get(source, '请求内容')}"
            else:
                message = f"{subject}{_reason(dict(e))}"
            errors.append({"field": field or None, "source": source, "type": e["type"], "message": message})
    return errors


class RendaNinjaAPI(NinjaAPI):
    """NinjaAPI whose validation errors speak Chinese, and whose operation ids are the routes'
    URL names (``list_opinions``): unique across the API, and unchanged when a scene's code
    moves between modules (ninja's default prefixes the module path)."""

    def get_openapi_operation_id(self, operation: Operation) -> str:
        return str(operation.view_func.__name__)

    def validation_error_from_error_contexts(
        self, error_contexts: list[ValidationErrorContext[Any]]
    ) -> ValidationError:
        return ValidationError(translate(error_contexts))


def register_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(RendaError)
    def on_renda_error(request: HttpRequest, exc: RendaError) -> HttpResponse:
        return api.create_response(request, {"detail": exc.message, "field": exc.field}, status=exc.status_code)

    @api.exception_handler(ValidationError)
    def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        # Errors built by RendaNinjaAPI carry "message"; any raised elsewhere in ninja get one here.
        errors = [
            e if "message" in e else {"field": None, "source": "", "type": e.get("type", ""), "message": _reason(e)}
            for e in exc.errors
        ]
        detail = "；".join(e["message"] for e in errors[:5]) or "请求内容不正确"
        if len(errors) > 5:
            detail += f"；另有 {len(errors) - 5} 处错误"
        field = errors[0]["field"] if errors else None
        return api.create_response(request, {"detail": detail, "field": field, "errors": errors}, status=422)

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        message = KNOWN_MESSAGES.get(exc.message)
        if message is None:
            # Our own HttpErrors are already Chinese; anything else gets the status's message.
            message = exc.message if not exc.message.isascii() else HTTP_MESSAGES.get(exc.status_code, "请求无法处理")
        response = api.create_response(request, {"detail": message, "field": None}, status=exc.status_code)
        if isinstance(exc, AuthenticationError):
            response["WWW-Authenticate"] = 'Bearer realm="renda"'
        return response

    @api.exception_handler(Http404)
    def on_http404(request: HttpRequest, exc: Http404) -> HttpResponse:
        return api.create_response(request, {"detail": NOT_FOUND, "field": None}, status=404)

    @api.exception_handler(OverflowError)
    def on_overflow(request: HttpRequest, exc: OverflowError) -> HttpResponse:
        # A number no row can have (SQLite refuses integers past 64 bits) reached a query: the record
        # does not exist. Declared bounds catch most before this (core/inputs.py MAX_INT).
        return api.create_response(request, {"detail": NOT_FOUND, "field": None}, status=404)
