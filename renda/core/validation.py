"""Field checks shared by services and importers. Every message is Chinese and names the field."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from renda.core.errors import ValidationFailed

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


class FieldErrors:
    """Collects an input's wrong fields, so the person sees every one of them at once instead of
    one per attempt::

        problems = FieldErrors()
        with problems.checking():
            text = clean_text(...)
        if not consent:
            problems.add("consent", "请勾选同意……")
        problems.raise_any()  # ValidationFailed naming them all, or nothing

    A field keeps its first message."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, message)

    @contextmanager
    def checking(self) -> Iterator[None]:
        try:
            yield
        except ValidationFailed as exc:
            for field, message in exc.errors.items():
                self.add(field, message)

    def raise_any(self) -> None:
        if self.errors:
            raise ValidationFailed.of(self.errors)


def ascii_digits(text: str) -> bool:
    """Only 0-9. ``str.isdigit()`` also takes "²" or "٣": int() refuses the first (a 500 where a
    form meant "no such choice") and reads the second."""
    return text.isascii() and text.isdigit()


def id_or_none(value: object, *, max_digits: int = 11) -> int | None:
    """A row id from a form or querystring value, or None for anything else (empty, too long,
    not plain digits): the caller then treats it as "not chosen"."""
    text = str(value).strip() if value is not None else ""
    return int(text) if text and len(text) <= max_digits and ascii_digits(text) else None


def clean_text(value: object, *, label: str, field: str, max_length: int, required: bool = True) -> str:
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise ValidationFailed(f"{label}不能为空", field=field)
    if len(text) > max_length:
        raise ValidationFailed(f"{label}不能超过 {max_length} 个字（现有 {len(text)} 个）", field=field)
    return text


def clean_phone(value: object, *, label: str = "电话", field: str = "phone", required: bool = False) -> str:
    text = "" if value is None else str(value).strip().replace(" ", "")
    if text.endswith(".0") and text[:-2].isdigit():  # Excel turned it into a number
        text = text[:-2]
    if not text:
        if required:
            raise ValidationFailed(f"{label}不能为空", field=field)
        return ""
    if not (MOBILE_RE.match(text) or LANDLINE_RE.match(text)):
        raise ValidationFailed(f"{label}格式不正确：应为 11 位手机号或带区号的固定电话", field=field)
    return text


def clean_int(
    value: object, *, label: str, field: str, minimum: int, maximum: int, required: bool = True
) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationFailed(f"{label}不能为空", field=field)
        return None
    if isinstance(value, bool):
        raise ValidationFailed(f"{label}应为整数", field=field)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValidationFailed(f"{label}应为整数，而不是“{value}”", field=field) from None
    if not minimum <= number <= maximum:
        raise ValidationFailed(f"{label}应在 {minimum} 到 {maximum} 之间", field=field)
    return number


def mask_phone(phone: str) -> str:
    """138****5678: shown to anyone who does not handle the person's case."""
    if len(phone) >= 7:
        return phone[:3] + "****" + phone[-4:]
    return "****" if phone else ""


def mask_name(name: str) -> str:
    """张*, 欧阳** : the surname stays."""
    if not name:
        return ""
    if len(name) <= 1:
        return "*"
    surname_len = 2 if len(name) >= 4 else 1
    return name[:surname_len] + "*" * (len(name) - surname_len)
