"""Working days (工作日) on the official Chinese calendar.

The calendar is data, not code. Three sources, in order:
1. CalendarDay rows an administrator entered on the 工作日历 page (the State Council publishes
   each next year's holidays and 调休 late in the year);
2. the packaged official calendar (chinesecalendar; it knows 2004–2026 and raises after);
3. weekends only: official in a year an administrator entered (a CalendarYear, or any of its
   days), otherwise marked ``official=False``, and every page shows that beside it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import chinese_calendar
from django.core.cache import cache

from renda.core.models import CalendarDay, CalendarYear

CACHE_KEY = "workdays:entered"


@dataclass(frozen=True)
class Deadline:
    date: dt.date
    official: bool  # False when any day counted fell in a year with no official calendar

    @property
    def note(self) -> str:
        return "" if self.official else "该年度节假日安排尚未录入，按周末计算，仅供参考"


def _entered() -> tuple[dict[dt.date, bool], frozenset[int]]:
    cached = cache.get(CACHE_KEY)
    if cached is None:
        days = dict(CalendarDay.objects.values_list("date", "is_workday"))
        years = frozenset(CalendarYear.objects.values_list("year", flat=True)) | frozenset(d.year for d in days)
        cached = (days, years)
        cache.set(CACHE_KEY, cached, 300)
    return cached  # type: ignore[no-any-return]


_forgetters: list[Callable[[], None]] = []


def forget_on_change(forget: Callable[[], None]) -> None:
    """Register a process-local memo of computed deadlines, emptied by ``calendar_changed``
    (other processes' memos expire on their own short timers)."""
    _forgetters.append(forget)


def calendar_changed() -> None:
    """Call after an administrator edits the calendar."""
    cache.delete(CACHE_KEY)
    for forget in _forgetters:
        forget()


@lru_cache(maxsize=4096)
def _packaged(day: dt.date) -> bool | None:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


def workday_status(
    day: dt.date, entered: tuple[dict[dt.date, bool], frozenset[int]] | None = None
) -> tuple[bool, bool]:
    """(is a working day, the answer comes from an official calendar)."""
    days, years = entered if entered is not None else _entered()
    if day in days:
        return days[day], True
    # The packaged calendar before the weekend rule of an entered year: one correction entered
    # in a year it knows (2004–2026) must not wipe out that year's other holidays.
    packaged = _packaged(day)
    if packaged is not None:
        return packaged, True
    return day.weekday() < 5, day.year in years


def is_workday(day: dt.date) -> bool:
    return workday_status(day)[0]


def add_workdays(start: dt.date, count: int) -> Deadline:
    """The date ``count`` working days after ``start`` (start itself not counted)."""
    if count < 0:
        raise ValueError("count must be >= 0")
    day = start
    official = True
    remaining = count
    entered = _entered()  # one cache read per deadline, not one per day stepped through
    while remaining > 0:
        day += dt.timedelta(days=1)
        workday, known = workday_status(day, entered)
        official = official and known
        if workday:
            remaining -= 1
    return Deadline(date=day, official=official)


def workdays_between(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end`` (negative if end is earlier)."""
    if end < start:
        return -workdays_between(end, start)
    count = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if is_workday(day):
            count += 1
    return count


def add_months(start: dt.date, months: int) -> dt.date:
    """Calendar months (代表法 counts 3 months from assignment): 31 Jan + 1 month = 28/29 Feb."""
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    for day in range(start.day, 27, -1):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    return dt.date(year, month, min(start.day, 28))
