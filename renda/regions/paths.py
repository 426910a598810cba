"""Path arithmetic for region subtrees (see regions/models.py for the scheme)."""

from __future__ import annotations

from django.db.models import Q

from renda.core.errors import ValidationFailed
from renda.regions.models import LEVEL_BY_PATH_LENGTH, PATH_LENGTH, RegionLevel


def path_from_code(code: str, level: int) -> str:
    """The significant prefix of a 12-digit code (or a 15-digit grid code) for its level."""
    code = code.strip()
    if not code.isdigit():
        raise ValidationFailed("区划代码只能由数字组成", field="code")
    if level == RegionLevel.GRID:
        if len(code) != 15:
            raise ValidationFailed("网格代码应为 15 位（所属村/社区的 12 位代码加 3 位序号）", field="code")
        return code
    if len(code) != 12:
        raise ValidationFailed("区划代码应为 12 位数字", field="code")
    length = PATH_LENGTH[RegionLevel(level)]
    if code[length:].strip("0"):
        raise ValidationFailed(f"{RegionLevel(level).label}级区划代码第 {length + 1} 位起应全为 0", field="code")
    return code[:length]


def level_from_code(code: str) -> int:
    """Guess the level of a 12-digit code by its trailing zeros (grid codes are 15 digits)."""
    if len(code) == 15:
        return RegionLevel.GRID
    for level in (RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY, RegionLevel.TOWNSHIP):
        if not code[PATH_LENGTH[level] :].strip("0"):
            return level
    return RegionLevel.VILLAGE


def parent_path(path: str) -> str | None:
    lengths = sorted(n for n in PATH_LENGTH.values() if n < len(path))
    return path[: lengths[-1]] if lengths else None


def level_of_path(path: str) -> int:
    return LEVEL_BY_PATH_LENGTH[len(path)]


def _upper_bound(prefix: str) -> str | None:
    """The smallest digit string of the same length greater than every extension of prefix."""
    if set(prefix) == {"9"}:
        return None
    return str(int(prefix) + 1).zfill(len(prefix))


def subtree_q(prefix: str, field: str = "path") -> Q:
    """Q selecting rows whose ``field`` (a region path) lies in the subtree rooted at ``prefix``.

    A half-open range [prefix, prefix+1) over digit strings: every string that starts with
    the prefix sorts inside it, nothing else does, and both databases answer it from the
    index on ``path``. (LIKE 'x%' is avoided: SQLite will not use an index for it when
    Django adds its ESCAPE clause.)
    """
    upper = _upper_bound(prefix)
    if upper is None:
        return Q(**{f"{field}__startswith": prefix})
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": upper})
