"""人代会 arrangements in a browser: staff convene two sessions and see them named by term and
numbered by date; convene a third dated between them, which takes its place (the later one
moves on); put a session off (修改会议安排) and are refused a date before a held session;
reword and remove agenda items. At desktop width, then the same page on a phone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from renda.accounts.models import User
from renda.core.scoping import scope_for_user
from renda.meetings import services
from renda.meetings.models import Meeting
from renda.meetings.tests.helpers import congress_of, demo_town
from tests.browser.conftest import artifact_path


def _convene(page: Any, body_pk: int, day: dt.date, agenda: str = "听取和审议政府工作报告") -> Meeting:
    page.goto("/meetings/new/")
    page.select_option("#id_body", str(body_pk))
    page.fill("#id_start_date", day.isoformat())
    page.fill("#id_agenda", agenda)
    page.click("#meeting-form button[type=submit]")
    page.wait_for_selector("#meeting-state:has-text('筹备中')")
    return Meeting.objects.latest("id")


def test_sessions_by_term_edit_and_agenda(page: Any, login_as: Callable[[Any, str], None]) -> None:
    body = congress_of(demo_town())
    login_as(page, "township")
    year = dt.date.today().year + 1
    spring = _convene(page, body.pk, dt.date(year, 3, 2), "听取和审议政府工作报告\n审查预算\n票决民生实事项目")
    assert page.inner_text("h1") == "白鹭镇第十九届人民代表大会第一次会议"
    autumn = _convene(page, body.pk, dt.date(year, 10, 9))
    assert page.inner_text("h1") == "白鹭镇第十九届人民代表大会第二次会议"

    # A session dated between them takes the second place; the autumn one becomes the third.
    summer = _convene(page, body.pk, dt.date(year, 7, 10))
    assert page.inner_text("h1") == "白鹭镇第十九届人民代表大会第二次会议"
    page.goto("/meetings/")
    listing = page.inner_text("table.list")
    assert "白鹭镇第十九届人民代表大会第三次会议" in listing
    autumn.refresh_from_db()
    assert autumn.number == 3

    # The spring session is held; moving the summer one before it is refused with the reason.
    services.meeting_open(scope=scope_for_user(User.objects.get(username="township")), meeting=spring)
    page.goto(f"/meetings/{summer.pk}/")
    page.click("#edit-meeting-toggle")
    page.fill("#edit-start", f"{year}-01-05")
    page.fill("#edit-end", f"{year}-01-05")
    page.click("#edit-meeting-save")
    assert "已经召开，次数不能改动" in page.inner_text("#action-error")
    # Put off until after the autumn one instead, with a venue: it becomes the third.
    page.fill("#edit-start", f"{year}-11-20")
    page.fill("#edit-end", f"{year}-11-21")
    page.fill("#edit-venue", "镇文化礼堂")
    page.click("#edit-meeting-save")
    page.wait_for_selector("h1:has-text('第三次会议')")
    assert "镇文化礼堂" in page.inner_text(".facts")
    assert "已修改会议安排" in page.inner_text("body")
    page.click("#edit-meeting-toggle")
    page.screenshot(path=artifact_path("meeting-edit-1366.png"), full_page=True)

    # Agenda of the held spring session: reword the second item, remove the first.
    page.goto(f"/meetings/{spring.pk}/")
    page.click("#agenda-edit-2")
    page.fill(f"#agenda-title-{spring.agenda.get(position=2).pk}", "审查和批准财政预算")
    page.click("#agenda-save-2")
    page.wait_for_selector("#agenda:has-text('审查和批准财政预算')")
    page.click("#agenda-remove-1")
    page.click("#agenda-remove-confirm-1")
    page.wait_for_selector("text=已删除议程")
    titles = [page.inner_text(f"#agenda-{item.pk}").splitlines()[0] for item in spring.agenda.order_by("position")]
    assert titles == ["审查和批准财政预算", "票决民生实事项目"]
    page.screenshot(path=artifact_path("meeting-detail-1366.png"), full_page=True)

    # The same page on a phone: nothing wider than the screen, the tools still reachable.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/meetings/{spring.pk}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.click("#agenda-edit-1")
    page.screenshot(path=artifact_path("meeting-detail-390.png"), full_page=True)
    page.goto(f"/meetings/{summer.pk}/")
    page.click("#edit-meeting-toggle")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=artifact_path("meeting-edit-390.png"), full_page=True)
    page.goto("/meetings/")
    page.screenshot(path=artifact_path("meetings-index-390.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.screenshot(path=artifact_path("meetings-index-1366.png"), full_page=True)
