"""Input parsing shared by the HTML forms and the API: one pydantic schema per action.

The API hands a request body to django-ninja, which validates it with the action's schema; a
page hands its POST to :func:`parse_form`, which validates the same schema. Both speak the
same Chinese (``REASONS``), so a bad digit or an over-long text is refused alike on either
path, with the field named by the schema's Chinese title, and never reaches a service.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

from ninja import Schema
from pydantic import BaseModel, ConfigDict, field_validator
from pydantic import ValidationError as PydanticError
from pydantic_core import PydanticCustomError

from renda.core.errors import ValidationFailed

S = TypeVar("S", bound=BaseModel)

# Texts are bounded by the services (in Chinese); the schema's bound only stops a body that is
# plainly not a text someone typed from reaching them.
MAX_BODY_TEXT = 20_000


# The largest integer a database column here holds (PostgreSQL bigint, SQLite INTEGER): a larger
# one in a query or body is refused as input instead of failing in the database driver (a 500).
MAX_INT = 2**63 - 1


def _in_range(value: Any) -> Any:
    values = value if isinstance(value, (list, tuple, set)) else [value]
    for v in values:
        if isinstance(v, int) and not isinstance(v, bool) and not -MAX_INT <= v <= MAX_INT:
            raise PydanticCustomError("int_too_large", "integer out of range")
    return value


class BoundedInts(BaseModel):
    """Every integer field (and list of them) within what the database stores."""

    @field_validator("*", mode="after")
    @classmethod
    def _ints_in_range(cls, value: Any) -> Any:
        return _in_range(value)


class InputSchema(BoundedInts, Schema):
    """An action's input: unknown fields are refused, not ignored; integers stay in range."""

    model_config = ConfigDict(extra="forbid")


# pydantic error type -> Chinese, formatted with the error's ctx.
REASONS = {
    "missing": "为必填项",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "int_too_large": "超出允许的范围",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "string_type": "应为文本",
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "不能超过 {max_length} 个字符",
    "string_pattern_mismatch": "格式不正确",
    "too_short": "至少 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "不能小于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "不能大于 {le}",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "date_type": "应为日期（YYYY-MM-DD）",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_inexact": "应为日期（YYYY-MM-DD），不含时间",
    "datetime_type": "应为日期时间（ISO 8601）",
    "datetime_parsing": "应为日期时间（ISO 8601）",
    "datetime_from_date_parsing": "应为日期时间（ISO 8601）",
    "enum": "应为以下之一：{expected}",
    "literal_error": "应为以下之一：{expected}",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "extra_forbidden": "不是可接受的字段",
    "json_invalid": "不是有效的 JSON",
    "json_type": "应为 JSON",
    "none_required": "应为空",
}


def reason(error: dict[str, Any]) -> str:
    template = REASONS.get(str(error.get("type")), "格式不正确")
    ctx = {k: str(v) for k, v in (error.get("ctx") or {}).items()}
    if "expected" in ctx:  # "'deputy' or 'deliberation'" -> "deputy、deliberation"
        ctx["expected"] = ctx["expected"].replace("'", "").replace(" or ", "、").replace(", ", "、")
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return template.split("{")[0].rstrip("：") or "格式不正确"


def _is_list(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (list, tuple, set, frozenset):
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_is_list(arg) for arg in typing.get_args(annotation))
    return False


def _allows_text(annotation: Any) -> bool:
    if annotation is str:
        return True
    return any(_allows_text(arg) for arg in typing.get_args(annotation))


def parse_form(schema: type[S], data: Any, files: Mapping[str, Any] | None = None, *, record: Any = None) -> S:
    """``schema`` filled from a form's POST (a QueryDict) and its uploaded files.

    Only the schema's fields are read (the CSRF token and the buttons are not input). A field
    left empty takes its default when it is not text (an empty number box is "not given", not
    "0"). The errors are raised as one ValidationFailed, in Chinese, naming every wrong field.

    A form whose boxes depend on the record (a tally sheet with one box per option, a plan with
    a row per milestone) is read by the schema's own ``from_form(post, record)`` instead.
    """
    from_form = getattr(schema, "from_form", None)
    if from_form is not None:
        parsed: S = from_form(data, record)
        return parsed
    raw: dict[str, Any] = {}
    for name, info in schema.model_fields.items():
        key = info.alias or name
        if files is not None and key in files:
            raw[key] = files[key]
        elif _is_list(info.annotation):
            if hasattr(data, "getlist") and key in data:
                raw[key] = [v for v in data.getlist(key) if v != ""]
        elif key in data:
            value = data.get(key)
            if value == "" and not _allows_text(info.annotation):
                continue  # an empty number box or choice: not given (its default, or "required")
            raw[key] = value
    try:
        return schema.model_validate(raw)
    except PydanticError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors(include_url=False):
            loc = error.get("loc") or ()
            key = str(loc[0]) if loc else ""
            found = schema.model_fields.get(key)
            label = (found.title if found is not None else "") or ""
            subject = label or (f"“{key}”" if key else "提交的内容")
            errors.setdefault(key, f"{subject}{reason(dict(error))}")
        # The page shows one message per form: every wrong box in it, not one per attempt.
        first = next(iter(errors))
        raise ValidationFailed("；".join(errors.values()), field=first or None, errors=errors) from None


class RawForm(InputSchema):
    """A page's form handed on as typed, unvalidated: for a form shaped unlike the API's body
    (parallel lists, a decision in the URL), whose values its service refuses in its own words.
    Each field is read as the POST has it (a list field as its list); a field left out takes
    its default."""

    @classmethod
    def from_form(cls, post: Any, record: Any) -> RawForm:
        values: dict[str, Any] = {}
        for name, info in cls.model_fields.items():
            if _is_list(info.annotation):
                values[name] = post.getlist(name) if hasattr(post, "getlist") else list(post.get(name, []))
            else:
                values[name] = post.get(name, "" if info.is_required() else info.default)
        return cls.model_construct(**values)
