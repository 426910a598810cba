"""Reading one roster row cell by cell, collecting every problem instead of stopping at the first.

The checks are the shared ones in renda/core/validation.py, so an import refuses exactly what
the edit forms refuse; each problem names the row, the Chinese column header and the value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from renda.core.errors import RendaError, ValidationFailed
from renda.core.validation import clean_int, clean_phone, clean_text
from renda.rosters.columns import NO, YES, RosterSpec
from renda.rosters.spreadsheets import SheetRow

T = TypeVar("T")
CODE_SEPARATORS = re.compile(r"[；;，,、\s]+")
NAME_SEPARATORS = re.compile(r"[；;\n]+")
YES_WORDS = {YES, "启用", "Y", "y", "TRUE", "true", "1"}
NO_WORDS = {NO, "停用", "N", "n", "FALSE", "false", "0"}
SHOWN_VALUE_LENGTH = 60


@dataclass(frozen=True)
class RowError:
    row: int | None  # Excel row number; None for a problem with the whole file
    column: str  # Chinese header, or "" when the problem is not about one column
    value: str
    message: str

    @property
    def text(self) -> str:
        if self.row is None:
            return self.message
        if self.column:
            return f"第 {self.row} 行「{self.column}」：{self.message}"
        return f"第 {self.row} 行：{self.message}"


class Problems:
    """Every problem found in one upload."""

    def __init__(self, spec: RosterSpec) -> None:
        self.spec = spec
        self.errors: list[RowError] = []

    def __bool__(self) -> bool:
        return bool(self.errors)

    def add(self, row: SheetRow | None, key: str | None, message: str) -> None:
        column = self.spec.column(key) if key else None
        value = row.values.get(key, "") if row is not None and key else ""
        if len(value) > SHOWN_VALUE_LENGTH:
            value = value[:SHOWN_VALUE_LENGTH] + "…"
        header = column.header if column else ""
        # "手机格式不正确" under the column 手机 reads better as "格式不正确".
        if header and message.startswith(header) and message[len(header) : len(header) + 1] not in ("", " ", "“", "「"):
            message = message[len(header) :]
        self.errors.append(RowError(row=row.number if row else None, column=header, value=value, message=message))

    def add_error(self, row: SheetRow | None, error: RendaError, *, default_key: str | None = None) -> None:
        """A service's refusal, put under the column its field names."""
        column = self.spec.column_for_field(error.field)
        self.add(row, column.key if column else default_key, error.message)

    def rows_with_errors(self) -> set[int]:
        return {e.row for e in self.errors if e.row is not None}


class Cells:
    """The cells of one row; each reader records a problem and returns a neutral value on failure."""

    def __init__(self, row: SheetRow, problems: Problems) -> None:
        self.row = row
        self.problems = problems
        self.ok = True

    def fail(self, key: str, message: str) -> None:
        self.ok = False
        self.problems.add(self.row, key, message)

    def raw(self, key: str) -> str:
        return self.row.values.get(key, "")

    def header(self, key: str) -> str:
        return self.problems.spec.column(key).header

    def _checked(self, key: str, check: Callable[[], T], fallback: T) -> T:
        try:
            return check()
        except ValidationFailed as error:
            self.fail(key, error.message)
            return fallback

    def text(self, key: str, *, max_length: int, required: bool = False) -> str:
        label = self.header(key)
        return self._checked(
            key, lambda: clean_text(self.raw(key), label=label, field=key, max_length=max_length, required=required), ""
        )

    def phone(self, key: str) -> str:
        label = self.header(key)
        return self._checked(key, lambda: clean_phone(self.raw(key), label=label, field=key), "")

    def integer(self, key: str, *, minimum: int, maximum: int) -> int | None:
        label = self.header(key)
        return self._checked(
            key,
            lambda: clean_int(self.raw(key), label=label, field=key, minimum=minimum, maximum=maximum, required=False),
            None,
        )

    def choice(self, key: str, choices: Mapping[str, str], *, required: bool = False) -> str:
        """The stored value for a Chinese label (the stored value itself is accepted too)."""
        text = self.raw(key).replace("(", "（").replace(")", "）")
        if not text:
            if required:
                self.fail(key, "不能为空")
            return ""
        if text in choices:
            return choices[text]
        if text in choices.values():
            return text
        self.fail(key, f"“{text}”无效，只能填 " + "、".join(f"“{label}”" for label in choices))
        return ""

    def yes_no(self, key: str) -> bool:
        text = self.raw(key)
        if not text or text in YES_WORDS:
            return True
        if text in NO_WORDS:
            return False
        self.fail(key, f"只能填“{YES}”或“{NO}”")
        return True

    def codes(self, key: str) -> list[str]:
        """Several codes in one cell, in order, without repeats."""
        return list(dict.fromkeys(p for p in CODE_SEPARATORS.split(self.raw(key)) if p))

    def names(self, key: str) -> list[str]:
        """Several names in one cell (separated by ；), in order, without repeats."""
        return list(dict.fromkeys(p.strip() for p in NAME_SEPARATORS.split(self.raw(key)) if p.strip()))


def region_code_of_path(path: str) -> str:
    """The 12-digit code of a region path (grid paths are already full codes)."""
    return path if len(path) >= 12 else path.ljust(12, "0")
