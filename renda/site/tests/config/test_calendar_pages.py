"""工作日历: an administrator enters a year's holidays and 调休 on the page."""

from __future__ import annotations

import datetime as dt

import pytest

from renda.audit.models import AuditEvent
from renda.core.models import CalendarDay, CalendarYear
from renda.core.workdays import add_workdays, workday_status

pytestmark = pytest.mark.django_db
URL = "/config/calendar/"
NOTICE = "国务院办公厅关于2027年部分节假日安排的通知"


def _events() -> int:
    return AuditEvent.objects.filter(action__startswith="calendar_").count()


def _day(client, **data: object):  # type: ignore[no-untyped-def]
    return client.post(f"{URL}day/", {"year": "2027", **data})


def test_an_administrator_enters_2027_and_new_deadlines_count_it_at_once(client_as, user_named):
    client = client_as("admin")
    page = client.get(f"{URL}?year=2027").content.decode()
    assert "内置日历没有 2027 年的安排" in page and "尚未录入" in page
    assert add_workdays(dt.date(2027, 2, 5), 1).official is False

    response = _day(client, date="2027-02-08", is_workday="rest", name="春节")
    assert response.status_code == 302 and response.url == f"{URL}?year=2027"
    assert workday_status(dt.date(2027, 2, 8)) == (False, True)
    event = AuditEvent.objects.filter(action="calendar_day.create").latest("seq")
    assert event.actor == user_named("admin") and event.after["name"] == "春节"
    assert _day(client, date="2027-02-20", is_workday="work", name="春节调休上班").status_code == 302
    assert workday_status(dt.date(2027, 2, 20)) == (True, True)  # a Saturday

    assert client.post(f"{URL}year/", {"year": "2027", "op": "record", "source": NOTICE}).status_code == 302
    assert CalendarYear.objects.get(year=2027).source == NOTICE
    assert AuditEvent.objects.filter(action="calendar_year.create").latest("seq").after["source"] == NOTICE
    page = client.get(f"{URL}?year=2027").content.decode()
    assert "已确认录入：" + NOTICE in page and "春节调休上班" in page and "2027-02-08" in page

    check = client.get(f"{URL}?year=2027&start=2027-02-05&end=2027-02-11").content.decode()
    assert "3 个工作日" in check and "仅供参考" not in check


def test_changing_and_removing_a_day_and_replays(client_as):
    client = client_as("admin")
    assert _day(client, date="2027-10-01", is_workday="rest", name="国庆节").status_code == 302
    events = _events()
    replay = _day(client, date="2027-10-01", is_workday="rest", name="国庆节")
    assert replay.status_code == 409 and "已按此录入" in replay.content.decode()
    assert _events() == events
    assert _day(client, date="2027-10-01", is_workday="work", name="国庆节调休上班").status_code == 302
    assert AuditEvent.objects.filter(action="calendar_day.update").latest("seq").before == {
        "is_workday": False,
        "name": "国庆节",
    }
    assert _day(client, date="2027-10-01", op="remove").status_code == 302
    assert not CalendarDay.objects.filter(date=dt.date(2027, 10, 1)).exists()
    assert AuditEvent.objects.filter(action="calendar_day.delete").exists()
    again = _day(client, date="2027-10-01", op="remove")
    assert again.status_code == 409 and "没有录入" in again.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"date": "", "is_workday": "rest", "name": "春节"}, "日期不能为空"),
        ({"date": "2027-13-01", "is_workday": "rest", "name": "春节"}, "日期格式不正确"),
        ({"date": "2027/02/08", "is_workday": "rest", "name": "春节"}, "日期格式不正确"),
        ({"date": "2027-02-08T00:00", "is_workday": "rest", "name": "春节"}, "日期格式不正确"),
        ({"date": "1999-02-08", "is_workday": "rest", "name": "春节"}, "日期应在 2004 年至 2100 年之间"),
        ({"date": "2027-02-08", "is_workday": "maybe", "name": "春节"}, "请选择放假或上班"),
        ({"date": "2027-02-08", "is_workday": "rest", "name": ""}, "名称不能为空"),
        ({"date": "2027-02-08", "is_workday": "rest", "name": "节" * 51}, "名称不能超过 50 个字"),
    ],
)
def test_a_bad_day_is_refused_in_chinese_and_nothing_is_written(client_as, data, message):
    events = _events()
    response = _day(client_as("admin"), **data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not CalendarDay.objects.exists() and _events() == events


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"year": "2027", "source": ""}, "依据（国务院办公厅通知名称）不能为空"),
        ({"year": "2027", "source": "通" * 201}, "不能超过 200 个字"),
        ({"year": "二〇二七", "source": NOTICE}, "年份应为整数"),
        ({"year": "1999", "source": NOTICE}, "年份应在 2004 到 2100 之间"),
        ({"year": "", "source": NOTICE}, "年份不能为空"),
    ],
)
def test_a_bad_year_record_is_refused(client_as, data, message):
    response = client_as("admin").post(f"{URL}year/", {"op": "record", **data})
    assert response.status_code == 400 and message in response.content.decode()
    assert not CalendarYear.objects.exists()


def test_a_year_record_replayed_or_withdrawn_twice_is_refused(client_as):
    client = client_as("admin")
    data = {"year": "2027", "op": "record", "source": NOTICE}
    assert client.post(f"{URL}year/", data).status_code == 302
    assert client.post(f"{URL}year/", data).status_code == 409
    assert client.post(f"{URL}year/", {"year": "2027", "op": "withdraw"}).status_code == 302
    assert not CalendarYear.objects.exists()
    assert client.post(f"{URL}year/", {"year": "2027", "op": "withdraw"}).status_code == 409


def test_the_page_shows_what_the_packaged_calendar_says(client_as):
    page = client_as("admin").get(f"{URL}?year=2026").content.decode()
    assert "国庆节" in page and "2026-10-01" in page and "调休上班" in page
    assert "按内置日历计算" in page


def test_one_correction_in_a_packaged_year_keeps_its_other_holidays(client_as):
    assert _day(client_as("admin"), date="2026-12-31", is_workday="rest", name="测试更正").status_code == 302
    assert workday_status(dt.date(2026, 12, 31)) == (False, True)
    assert workday_status(dt.date(2026, 10, 1)) == (False, True)  # 国庆节, from the packaged calendar


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2027-02-11&end=2027-02-05", "截止日期不能早于起始日期"),
        ("start=2020-01-01&end=2027-01-01", "两个日期相隔不能超过 3 年"),
        ("start=abc&end=2027-01-01", "起始日期格式不正确"),
        ("start=2027-01-01&end=", "截止日期不能为空"),
    ],
)
def test_the_workday_check_answers_bad_dates_in_chinese(client_as, query, message):
    response = client_as("admin").get(f"{URL}?{query}")
    assert response.status_code == 200 and message in response.content.decode()


def test_an_unentered_year_is_flagged_in_the_check(client_as):
    page = client_as("admin").get(f"{URL}?start=2027-03-01&end=2027-03-05").content.decode()
    assert "4 个工作日" in page and "仅供参考" in page


def test_an_out_of_range_year_in_the_address_shows_next_year(client_as):
    assert client_as("admin").get(f"{URL}?year=99999999999").status_code == 200


def test_only_administrators_edit_the_calendar(client_as):
    for role in ("county", "township"):
        client = client_as(role)
        assert client.get(URL).status_code == 403
        assert _day(client, date="2027-02-08", is_workday="rest", name="春节").status_code == 403
    assert not CalendarDay.objects.exists()
