"""Every write to the rules (规则参数) and the working-day calendar (工作日历).

Each change is audited (who, when, the 修改依据) and the caches that hold rules and working
days are told at once, in this process and, after commit, in the shared cache.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction

from renda.audit.services import audit_record
from renda.core.errors import Conflict, NotFound, ValidationFailed
from renda.core.models import CalendarDay, CalendarYear, RuleSetting
from renda.core.rules import DEFAULTS, REGIONAL, parse_rule_value, rule_changed, rule_display
from renda.core.scoping import Perm, Scope
from renda.core.validation import clean_int, clean_text
from renda.core.workdays import calendar_changed
from renda.regions.models import Region, RegionLevel

M = TypeVar("M", bound=models.Model)


def _save(
    model: type[M], *, lookup: dict[str, Any], values: dict[str, Any], judged: tuple[str, ...], unchanged: str
) -> tuple[M, dict[str, Any] | None]:
    """Create the row ``lookup`` names, or change it (locked): (row, the judged fields before, or
    None for a new row). A change that leaves the judged fields as they were is a replay: 409."""
    entry = model._default_manager.select_for_update().filter(**lookup).first()
    if entry is None:
        try:
            with transaction.atomic():
                return model._default_manager.create(**lookup, **values), None
        except IntegrityError:
            raise Conflict("其他人刚刚录入或修改了同一项，请刷新页面后重试") from None
    before = {name: getattr(entry, name) for name in judged}
    if all(before[n] == values[n] and type(before[n]) is type(values[n]) for n in judged):
        raise Conflict(unchanged)
    for name, value in values.items():
        setattr(entry, name, value)
    entry.save(update_fields=[*values, "updated_at"])
    return entry, before


# Regions that may hold an override of a regional rule (rule_in reads city, county, township).
OVERRIDE_LEVELS = (RegionLevel.CITY, RegionLevel.COUNTY, RegionLevel.TOWNSHIP)
FIRST_YEAR, LAST_YEAR = 2004, 2100  # the packaged calendar starts in 2004


def _check_rule_scope(*, scope: Scope, key: str, region: Region | None) -> None:
    if key not in DEFAULTS:
        raise NotFound("没有这个规则参数")
    if region is None:
        if key in REGIONAL and not scope.has(Perm.ADMIN):  # a regional editor's form names the region
            scope.require(Perm.RULES_LOCAL)
            raise ValidationFailed("请选择要设定取值的区划（全部区划的取值由系统管理员修改）", field="region")
        scope.require(Perm.ADMIN)
        return
    if key not in REGIONAL:
        raise ValidationFailed("该参数全辖统一，不能按区划单独设定", field="region")
    scope.check_path(region.path, perm=Perm.RULES_LOCAL)
    if region.level not in OVERRIDE_LEVELS:
        raise ValidationFailed("只能为市、县（市、区）或乡镇/街道设定区划取值", field="region")


def _rules_changed(key: str) -> None:
    rule_changed(key)  # this process and the shared cache, now
    transaction.on_commit(lambda: rule_changed(key))  # and again once other processes can read it


def _locked_setting(key: str, region: Region | None) -> RuleSetting | None:
    return RuleSetting.objects.select_for_update().filter(key=key, region=region).first()


@transaction.atomic
def rule_set(*, scope: Scope, key: str, value: object, note: object, region: Region | None = None) -> RuleSetting:
    """规则参数 → 修改: the installation's value (administrators) or a region's own (its staff,
    for a regional rule). Pages read the new value at once; deadlines already set stay."""
    _check_rule_scope(scope=scope, key=key, region=region)
    parsed = parse_rule_value(key, value)
    reason = clean_text(note, label="修改依据", field="note", max_length=200)
    setting, before = _save(
        RuleSetting,
        lookup={"key": key, "region": region},
        values={"value": parsed, "note": reason},
        judged=("value",),
        unchanged=f"该参数当前已是“{rule_display(key, parsed)}”，未作修改",
    )
    audit_record(
        actor=scope.actor,
        action="rule.update" if before is not None else "rule.create",
        target=setting,
        target_label=key,
        region_path=region.path if region is not None else "",
        reason=reason,
        before=before,
        after={"value": parsed, "region": region.name if region is not None else "全部区划"},
    )
    _rules_changed(key)
    return setting


@transaction.atomic
def rule_revert(*, scope: Scope, key: str, note: object, region: Region | None = None) -> None:
    """规则参数 → 恢复默认: drop the override; the rule reads its default (or, for a region,
    the value of the area around it) again."""
    _check_rule_scope(scope=scope, key=key, region=region)
    reason = clean_text(note, label="修改依据", field="note", max_length=200)
    setting = _locked_setting(key, region)
    if setting is None:
        raise Conflict("该参数没有另行设定的取值，已在使用默认值")
    audit_record(
        actor=scope.actor,
        action="rule.delete",
        target=setting,
        target_label=key,
        region_path=region.path if region is not None else "",
        reason=reason,
        before={"value": setting.value, "region": region.name if region is not None else "全部区划"},
    )
    setting.delete()
    _rules_changed(key)


def _calendar_changed() -> None:
    calendar_changed()
    transaction.on_commit(calendar_changed)


def clean_date(value: object, *, label: str = "日期", field: str = "date") -> dt.date:
    """A date typed as 2027-02-08, in the years the calendar can hold."""
    text = "" if value is None else str(value).strip()
    if not text:
        raise ValidationFailed(f"{label}不能为空", field=field)
    try:
        day = dt.date.fromisoformat(text[:10]) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise ValidationFailed(f"{label}格式不正确，应为 年-月-日（如 2027-02-08）", field=field)
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValidationFailed(f"{label}应在 {FIRST_YEAR} 年至 {LAST_YEAR} 年之间", field=field)
    return day


def clean_year(value: object) -> int:
    year = clean_int(value, label="年份", field="year", minimum=FIRST_YEAR, maximum=LAST_YEAR)
    assert year is not None
    return year


@transaction.atomic
def calendar_day_set(*, scope: Scope, date: object, is_workday: object, name: object) -> CalendarDay:
    """工作日历 → 录入一天: a holiday (放假) or a make-up working day (调休上班). New deadlines
    count it at once; deadlines already set are not recomputed."""
    scope.require(Perm.ADMIN)
    day = clean_date(date)
    if is_workday not in ("work", "rest"):
        raise ValidationFailed("请选择放假或上班", field="is_workday")
    working = is_workday == "work"
    label = clean_text(name, label="名称", field="name", max_length=50)
    entry, before = _save(
        CalendarDay,
        lookup={"date": day},
        values={"is_workday": working, "name": label},
        judged=("is_workday", "name"),
        unchanged=f"{day:%Y-%m-%d} 已按此录入，未作修改",
    )
    audit_record(
        actor=scope.actor,
        action="calendar_day.update" if before is not None else "calendar_day.create",
        target=entry,
        before=before,
        after={"date": day, "is_workday": working, "name": label},
    )
    _calendar_changed()
    return entry


@transaction.atomic
def calendar_day_remove(*, scope: Scope, date: object) -> None:
    """工作日历 → 删除: the day follows the packaged calendar (or the weekend rule) again."""
    scope.require(Perm.ADMIN)
    day = clean_date(date)
    entry = CalendarDay.objects.select_for_update().filter(date=day).first()
    if entry is None:
        raise Conflict(f"{day:%Y-%m-%d} 没有录入，或已被删除")
    audit_record(
        actor=scope.actor,
        action="calendar_day.delete",
        target=entry,
        before={"date": day, "is_workday": entry.is_workday, "name": entry.name},
    )
    entry.delete()
    _calendar_changed()


@transaction.atomic
def calendar_year_record(*, scope: Scope, year: object, source: object) -> CalendarYear:
    """工作日历 → 确认本年度已录入: the year's deadlines count as official from now on, with the
    State Council notice they follow as 依据."""
    scope.require(Perm.ADMIN)
    number = clean_year(year)
    notice = clean_text(source, label="依据（国务院办公厅通知名称）", field="source", max_length=200)
    entry, before = _save(
        CalendarYear,
        lookup={"year": number},
        values={"source": notice},
        judged=("source",),
        unchanged=f"{number} 年已按此依据录入，未作修改",
    )
    audit_record(
        actor=scope.actor,
        action="calendar_year.update" if before is not None else "calendar_year.create",
        target=entry,
        before=before,
        after={"year": number, "source": notice},
    )
    _calendar_changed()
    return entry


@transaction.atomic
def calendar_year_withdraw(*, scope: Scope, year: object) -> None:
    """工作日历 → 撤销确认: the year is no longer marked as entered (its entered days stay)."""
    scope.require(Perm.ADMIN)
    number = clean_year(year)
    entry = CalendarYear.objects.select_for_update().filter(year=number).first()
    if entry is None:
        raise Conflict(f"{number} 年没有确认录入，或已被撤销")
    audit_record(
        actor=scope.actor, action="calendar_year.delete", target=entry, before={"year": number, "source": entry.source}
    )
    entry.delete()
    _calendar_changed()
