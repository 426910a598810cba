import datetime as dt

import pytest

from renda.core.models import CalendarDay, CalendarYear, RuleSetting
from renda.core.rules import rule, rule_changed
from renda.core.workdays import add_months, add_workdays, calendar_changed, workday_status, workdays_between


@pytest.fixture(autouse=True)
def fresh_calendar():
    calendar_changed()
    yield
    calendar_changed()


@pytest.mark.django_db
def test_the_official_2026_calendar_knows_national_day_and_make_up_days():
    assert workday_status(dt.date(2026, 10, 1)) == (False, True)  # 国庆节
    # Ten working days from 30 September skip the whole golden week.
    deadline = add_workdays(dt.date(2026, 9, 30), 10)
    assert deadline.official and deadline.date > dt.date(2026, 10, 12)


@pytest.mark.django_db
def test_a_year_nobody_entered_falls_back_to_weekends_and_says_so():
    status = workday_status(dt.date(2027, 2, 8))  # a Monday, probably in the 2027 Spring Festival
    assert status == (True, False)
    deadline = add_workdays(dt.date(2026, 12, 28), 10)
    assert not deadline.official and "尚未录入" in deadline.note


@pytest.mark.django_db
def test_administrator_entered_holidays_make_2027_official():
    CalendarYear.objects.create(year=2027, source="国务院办公厅关于2027年部分节假日安排的通知")
    CalendarDay.objects.create(date=dt.date(2027, 2, 8), is_workday=False, name="春节")
    CalendarDay.objects.create(date=dt.date(2027, 2, 20), is_workday=True, name="春节调休上班")  # a Saturday
    calendar_changed()
    assert workday_status(dt.date(2027, 2, 8)) == (False, True)
    assert workday_status(dt.date(2027, 2, 20)) == (True, True)
    assert workday_status(dt.date(2027, 3, 1)) == (True, True)  # entered year: plain weekday counts as official
    deadline = add_workdays(dt.date(2027, 2, 5), 3)
    assert deadline.official and deadline.date == dt.date(2027, 2, 11)
    assert workdays_between(dt.date(2027, 2, 5), dt.date(2027, 2, 11)) == 3


def test_calendar_months_clamp_to_the_month_end():
    assert add_months(dt.date(2026, 11, 30), 3) == dt.date(2027, 2, 28)
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2026, 5, 15), 6) == dt.date(2026, 11, 15)


@pytest.mark.django_db
def test_rules_have_statutory_defaults_and_can_be_overridden_without_code():
    assert rule("suggestion.answer_months") == 3
    assert rule("opinion.rating_days") == 15
    RuleSetting.objects.create(key="opinion.rating_days", value=30, note="县人大常委会 2026 年第 5 号通知")
    rule_changed("opinion.rating_days")
    assert rule("opinion.rating_days") == 30
    with pytest.raises(KeyError, match="未定义"):
        rule("no.such.rule")
