"""What the 规则参数 and 工作日历 pages show, already scoped."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import chinese_calendar
from django.db.models import QuerySet

from renda.audit.models import AuditEvent
from renda.core.errors import ValidationFailed
from renda.core.models import CalendarDay, CalendarYear, RuleSetting
from renda.core.rules import BOUNDS, CHOICES, DEFAULTS, REGIONAL, rule, rule_display, rule_in, rule_kind
from renda.core.scoping import Perm, Scope
from renda.core.workdays import workday_status, workdays_between
from renda.regions.models import Region
from renda.site.config.services import OVERRIDE_LEVELS, clean_date

GROUPS = (
    ("opinion.", "民意处理"),
    ("appointment.", "民意处理"),
    ("vote.", "人代会与代表"),
    ("session.", "人代会与代表"),
    ("bill.", "人代会与代表"),
    ("deputy.", "人代会与代表"),
    ("group.", "人代会与代表"),
    ("suggestion.", "代表建议"),
    ("project.", "民生实事"),
)
RULE_ACTIONS = ("rule.create", "rule.update", "rule.delete")
MAX_CHECK_DAYS = 3 * 366
WEEKDAYS = "一二三四五六日"


@dataclass(frozen=True)
class Change:
    """The last audited change of one value: who, when, with what 修改依据."""

    actor: str
    at: dt.datetime
    reason: str
    action: str


@dataclass
class RuleRow:
    key: str
    label: str
    source: str
    kind: str
    default: str
    value: str  # the installation's value
    overridden: bool  # the installation's value is not the default
    note: str
    change: Change | None
    regional: bool
    choices: tuple[tuple[str, str], ...]
    bounds: str
    raw: Any  # the installation's value as stored, for the form
    region_value: str = ""  # the region's own value ("" when it has none)
    region_raw: Any = None
    region_note: str = ""
    region_change: Change | None = None
    region_effective: str = ""  # what applies in the region (its own, the area's around it, or the installation's)
    elsewhere: list[tuple[str, str]] = field(default_factory=list)  # other regions' own values: (region, value)


@dataclass
class RuleGroup:
    title: str
    rows: list[RuleRow]


def override_regions(scope: Scope) -> QuerySet[Region]:
    """The regions whose own value of a regional rule the viewer may set."""
    return scope.filter(Region.objects.filter(level__in=OVERRIDE_LEVELS), perm=Perm.RULES_LOCAL).order_by("path")


def default_region(scope: Scope) -> Region | None:
    """The viewer's own region (the first of their roots that can hold a value); none for an
    administrator of the whole installation."""
    if scope.unrestricted:
        return None
    return override_regions(scope).filter(path__in=scope.roots).first()


def _last_changes(region: Region | None) -> dict[tuple[str, str], Change]:
    paths = ["", region.path] if region is not None else [""]
    events = (
        AuditEvent.objects.filter(action__in=RULE_ACTIONS, target_type="core.rulesetting", region_path__in=paths)
        .order_by("-seq")
        .values_list("target_label", "region_path", "actor_label", "created_at", "reason", "action")
    )
    changes: dict[tuple[str, str], Change] = {}
    for key, path, actor, at, reason, action in events:
        changes.setdefault((key, path), Change(actor, at, reason, action))
    return changes


def _bounds(key: str) -> str:
    kind = rule_kind(key)
    if kind in ("int", "fraction", "decimal"):
        low, high = BOUNDS[key]
        return f"{low} 至 {high}"
    return ""


def rule_groups(*, scope: Scope, region: Region | None) -> list[RuleGroup]:
    """Every rule with its default and source, the installation's value and its last change,
    and, for a regional rule, the chosen region's own value."""
    scope.require(Perm.RULES_LOCAL)
    settings = {s.key: s for s in RuleSetting.objects.filter(region__isnull=True)}
    own = {s.key: s for s in RuleSetting.objects.filter(region=region)} if region is not None else {}
    elsewhere: dict[str, list[tuple[str, str]]] = {}
    visible = scope.filter(RuleSetting.objects.filter(key__in=REGIONAL, region__isnull=False), perm=Perm.RULES_LOCAL)
    for s in visible.select_related("region").order_by("region__path"):
        if region is None or s.region_id != region.pk:
            name = s.region.name if s.region is not None else ""
            elsewhere.setdefault(s.key, []).append((name, rule_display(s.key, s.value)))
    changes = _last_changes(region)
    groups: dict[str, RuleGroup] = {}
    for key, default in DEFAULTS.items():
        title = next((t for prefix, t in GROUPS if key.startswith(prefix)), "其他")
        current = rule(key)
        setting = settings.get(key)
        row = RuleRow(
            key=key,
            label=default.label,
            source=default.source,
            kind=rule_kind(key),
            default=rule_display(key, default.value),
            value=rule_display(key, current),
            overridden=setting is not None,
            note=setting.note if setting is not None else "",
            change=changes.get((key, "")),
            regional=key in REGIONAL,
            choices=CHOICES.get(key, ()),
            bounds=_bounds(key),
            raw=current,
            elsewhere=elsewhere.get(key, []),
        )
        if row.regional and region is not None:
            mine = own.get(key)
            row.region_value = rule_display(key, mine.value) if mine is not None else ""
            row.region_raw = mine.value if mine is not None else current
            row.region_note = mine.note if mine is not None else ""
            row.region_change = changes.get((key, region.path))
            row.region_effective = rule_display(key, rule_in(key, region.path))
        groups.setdefault(title, RuleGroup(title, [])).rows.append(row)
    return list(groups.values())


# ------------------------------------------------------------------ 工作日历

HOLIDAY_NAMES = {h.value: h.chinese for h in chinese_calendar.Holiday}


@dataclass(frozen=True)
class DayRow:
    date: dt.date
    is_workday: bool
    name: str

    @property
    def weekday(self) -> str:
        return "周" + WEEKDAYS[self.date.weekday()]

    @property
    def weekend(self) -> bool:
        return self.date.weekday() >= 5

    @property
    def same_as_weekend_rule(self) -> bool:
        """Entered as the weekend rule would count it anyway (a holiday on a Sunday, say)."""
        return self.is_workday == (not self.weekend)


@dataclass
class CalendarYearView:
    year: int
    record: CalendarYear | None
    entered: list[DayRow]
    packaged: list[DayRow]  # holidays and 调休 the packaged calendar knows for the year
    packaged_known: bool
    official: bool  # deadlines in this year count as official

    @property
    def holidays(self) -> int:
        return sum(1 for d in self.entered if not d.is_workday)

    @property
    def make_up_days(self) -> int:
        return sum(1 for d in self.entered if d.is_workday)


def _packaged_days(year: int) -> list[DayRow]:
    rows = [DayRow(d, False, HOLIDAY_NAMES.get(n, n)) for d, n in chinese_calendar.holidays.items() if d.year == year]
    rows += [
        DayRow(d, True, HOLIDAY_NAMES.get(n, n) + "调休上班")
        for d, n in chinese_calendar.workdays.items()
        if d.year == year
    ]
    return sorted(rows, key=lambda r: r.date)


def calendar_year(*, scope: Scope, year: int) -> CalendarYearView:
    scope.require(Perm.ADMIN)
    entered = [
        DayRow(d.date, d.is_workday, d.name) for d in CalendarDay.objects.filter(date__year=year).order_by("date")
    ]
    packaged = _packaged_days(year)
    record = CalendarYear.objects.filter(year=year).first()
    return CalendarYearView(
        year=year,
        record=record,
        entered=entered,
        packaged=packaged,
        packaged_known=bool(packaged),
        official=bool(record or entered or packaged),
    )


def entered_years() -> list[int]:
    years = set(CalendarYear.objects.values_list("year", flat=True))
    years |= {d.year for d in CalendarDay.objects.dates("date", "year")}
    return sorted(years)


@dataclass(frozen=True)
class WorkdayCheck:
    start: dt.date
    end: dt.date
    workdays: int
    official: bool

    @property
    def note(self) -> str:
        return "" if self.official else "其中有年度节假日安排尚未录入，按周末计算，仅供参考"


def workday_check(*, start: object, end: object) -> WorkdayCheck:
    """工作日核对: working days after ``start`` up to and including ``end``, as deadlines count them."""
    first = clean_date(start, label="起始日期", field="start")
    last = clean_date(end, label="截止日期", field="end")
    if last < first:
        raise ValidationFailed("截止日期不能早于起始日期", field="end")
    if (last - first).days > MAX_CHECK_DAYS:
        raise ValidationFailed("两个日期相隔不能超过 3 年", field="end")
    days = (first + dt.timedelta(days=n) for n in range(1, (last - first).days + 1))
    official = all(workday_status(d)[1] for d in days)
    return WorkdayCheck(first, last, workdays_between(first, last), official)
