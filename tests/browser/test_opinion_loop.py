"""民意处理 in a browser, the whole loop: a citizen scans a station's code and leaves an opinion
with a photo → township staff route it → the unit's clerk answers → the citizen rates 不满意 →
the case reopens → answered again → 满意. And the booking path."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.utils import timezone

from renda.accounts.models import RoleAssignment
from renda.opinions.models import Appointment, Opinion, State
from renda.opinions.tests.conftest import jpeg_bytes
from renda.org.models import Category
from tests.browser.conftest import artifact_path


@pytest.fixture
def another_page(browser: Any, live_site: Any) -> Iterator[Callable[..., Any]]:
    """Further people, each in their own browser context (a staff member, a citizen's phone)."""
    contexts = []

    def make(*, phone: bool = False) -> Any:
        viewport = {"width": 390, "height": 844} if phone else {"width": 1366, "height": 900}
        context = browser.new_context(
            base_url=live_site.url, locale="zh-CN", timezone_id="Asia/Shanghai", viewport=viewport
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def test_citizen_opinion_closed_loop(
    page: Any, another_page: Callable[..., Any], login_as: Callable[[Any, str], None], tmp_path: Any
) -> None:
    station = RoleAssignment.objects.get(user__username="liaison").station
    village = station.served_regions.order_by("path").first()
    lamp = Category.objects.get(name="路灯")
    citizen = another_page(phone=True)

    # A citizen scans the station's code and leaves an opinion with a photo.
    citizen.goto(f"/s/{station.public_id}/")
    assert station.name in citizen.inner_text("h1")
    citizen.click("text=反映意见建议")
    citizen.fill("#id_text", "村口的路灯坏了半个月，晚上出行很不安全，希望尽快修好。")
    citizen.locator("#id_text").blur()
    # The category is suggested from the text (keyword rules until enough cases are classified).
    citizen.wait_for_selector("#category-field .hint:has-text('已根据内容自动选择')")
    assert citizen.locator("#id_category option:checked").inner_text().startswith("城乡建设")
    citizen.select_option("#id_region", str(village.pk))
    citizen.select_option("#id_category", str(lamp.pk))
    photo = tmp_path / "lamp.jpg"
    photo.write_bytes(jpeg_bytes(exif=True))
    citizen.set_input_files("#id_photos", str(photo))
    citizen.fill("#id_name", "张三")
    citizen.fill("#id_phone", "13912345678")
    citizen.check("input[name=consent]")
    citizen.click("button:has-text('提交')")
    citizen.wait_for_selector("#receipt-code")
    code = citizen.inner_text("#receipt-code").strip()
    citizen.screenshot(path=artifact_path("opinion-receipt-phone.png"), full_page=True)
    opinion = Opinion.objects.get(receipt_code=code)
    assert opinion.photos.count() == 1

    # Township staff route it; the unit is pre-selected by the routing rules.
    login_as(page, "township")
    page.goto(f"/opinions/{opinion.pk}/")
    assert "13912345678" in page.inner_text("main")
    # The photo is served to staff through the scoped view, with its metadata stripped.
    assert page.evaluate("document.querySelector('img.thumb').naturalWidth") == 64
    page.click("#form-route button[type=submit]")
    page.wait_for_selector("#opinion-state:has-text('已交办待受理')")

    # The unit's clerk accepts and answers.
    clerk = another_page()
    login_as(clerk, "clerk")
    clerk.goto(f"/opinions/{opinion.pk}/")
    clerk.click("#btn-accept")
    clerk.wait_for_selector("#opinion-state:has-text('办理中')")
    clerk.fill("#unit-text", "已安排电工更换灯具，预计三日内修复。")
    clerk.click("#form-unit-answer button[type=submit]")
    clerk.wait_for_selector("#opinion-state:has-text('已答复待评价')")

    # The citizen tracks it and is not satisfied: the case reopens with the same unit.
    citizen.goto("/track/")
    citizen.fill("#id_code", code)
    citizen.fill("#id_digits", "5678")
    citizen.click("button:has-text('查询')")
    citizen.wait_for_selector("text=已安排电工更换灯具")
    citizen.check("input[value=unsatisfied]")
    citizen.fill("#id_comment", "三天过去了还是不亮")
    citizen.click("button:has-text('提交评价')")
    citizen.wait_for_selector("#state:has-text('办理中')")
    opinion.refresh_from_db()
    assert opinion.state == State.IN_PROGRESS and opinion.reopen_count == 1

    # Answered again, and this time the citizen is satisfied.
    clerk.goto(f"/opinions/{opinion.pk}/")
    clerk.fill("#unit-text", "已更换整条线路，路灯恢复正常。")
    clerk.click("#form-unit-answer button[type=submit]")
    clerk.wait_for_selector("#opinion-state:has-text('已答复待评价')")
    citizen.reload()
    citizen.check("input[value=satisfied]")
    citizen.click("button:has-text('提交评价')")
    citizen.wait_for_selector("#state:has-text('已办结')")
    citizen.screenshot(path=artifact_path("opinion-closed-phone.png"), full_page=True)
    opinion.refresh_from_db()
    assert opinion.state == State.CLOSED and opinion.outcome == "satisfied"

    # Staff see the whole timeline.
    page.goto(f"/opinions/{opinion.pk}/")
    timeline = page.inner_text(".timeline")
    for step in ["提交意见", "分流交办", "受理", "群众不满意，重新办理", "群众评价，办结"]:
        assert step in timeline
    page.screenshot(path=artifact_path("opinion-staff-timeline.png"), full_page=True)


def test_liaison_opens_a_slot_and_a_citizen_books_it(
    page: Any, another_page: Callable[..., Any], login_as: Callable[[Any, str], None]
) -> None:
    station = RoleAssignment.objects.get(user__username="liaison").station
    deputy = station.memberships.filter(end_date__isnull=True).order_by("deputy__id").first().deputy
    day = timezone.localdate() + dt.timedelta(days=7)

    login_as(page, "liaison")
    page.goto("/opinions/slots/")
    page.select_option("#slot-station", str(station.pk))
    page.select_option("#slot-deputy", str(deputy.pk))
    page.fill("#slot-date", day.isoformat())
    page.fill("#slot-start", "09:00")
    page.fill("#slot-end", "11:00")
    page.fill("#slot-capacity", "2")
    page.click("button:has-text('安排')")
    page.wait_for_selector("text=已安排 1 个接待时段")

    citizen = another_page(phone=True)
    citizen.goto(f"/d/{deputy.public_id}/")
    assert deputy.name in citizen.inner_text("h1")
    citizen.click("text=预约见面")
    citizen.check("input[name=slot]")
    citizen.fill("#id_name", "李四")
    citizen.fill("#id_phone", "13600002222")
    citizen.fill("#id_topic", "想谈谈村里修路的事")
    citizen.click("button:has-text('确认预约')")
    citizen.wait_for_selector("h1:has-text('预约成功')")
    citizen.screenshot(path=artifact_path("booking-done-phone.png"), full_page=True)
    appointment = Appointment.objects.get(citizen_phone="13600002222")
    assert appointment.slot.deputy == deputy

    page.goto("/opinions/slots/")
    assert appointment.code in page.inner_text("main")
