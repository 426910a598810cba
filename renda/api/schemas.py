"""The error shapes every endpoint may answer with, for the OpenAPI description.

The scenes' own request and response shapes live in their apps (``renda/<app>/schemas.py``);
the errors themselves are rendered by renda/api/errors.py.
"""

from __future__ import annotations

from ninja import Field, Schema


class ErrorOut(Schema):
    detail: str = Field(..., description="错误说明（中文）")
    field: str | None = Field(None, description="出错的字段，如有")


class FieldErrorOut(Schema):
    field: str | None = Field(None, description="出错的字段（嵌套字段以点分隔，如 mandates.0.level）")
    source: str = Field(..., description="参数位置：path / query / header / body")
    type: str = Field(..., description="错误类型代码")
    message: str = Field(..., description="中文说明")


class ValidationErrorOut(ErrorOut):
    errors: list[FieldErrorOut] = Field(..., description="逐项错误")


# Error answers every endpoint may give, for the OpenAPI description.
READ_ERRORS: dict[int, type[Schema]] = {401: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut}
WRITE_ERRORS: dict[int, type[Schema]] = {**READ_ERRORS, 400: ErrorOut, 403: ErrorOut, 409: ErrorOut}
