"""组织体系 in a browser: county staff browse the region tree, find a deputy by pinyin
initials, register one, move them to another station; township staff cannot see a neighbour."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from renda.audit.models import AuditEvent
from renda.org.models import Deputy, Station
from renda.regions.models import Region, RegionLevel
from tests.browser.conftest import artifact_path


def test_county_staff_browse_search_register_and_move_a_deputy(page: Any, login_as: Callable[[Any, str], None]) -> None:
    login_as(page, "county")

    # The region tree expands level by level (htmx).
    page.click("nav.mainnav >> text=行政区划")
    county = Region.objects.get(level=RegionLevel.COUNTY, name="青禾县")
    page.click(f"button[aria-label='展开{county.name}']")
    township = Region.objects.filter(parent=county, kind="town").order_by("path").first()
    page.wait_for_selector(f"text={township.name}")

    # Live search by pinyin initials narrows the deputy list without a page load.
    deputy = Deputy.objects.filter(region__path__startswith=township.path).order_by("id").first()
    page.click("nav.mainnav >> text='代表'")  # exactly 代表, not 代表建议
    page.fill("input[name=q]", deputy.name_initials)
    page.wait_for_selector(f"#deputy-rows >> text={deputy.name}")
    page.screenshot(path=artifact_path("registry-deputy-search.png"), full_page=True)

    # Register a deputy who holds two levels.
    page.click("text=登记代表")
    village = Region.objects.filter(parent=township, level=RegionLevel.VILLAGE).order_by("path").first()
    page.fill("#id_name", "测试代表")
    page.select_option("#id_region", str(village.pk))
    page.fill("#id_term_5", "19")
    page.fill("#id_term_4", "18")
    page.fill("#id_phone", "13812345678")
    page.fill("#id_reason", "补选")
    page.click("button:has-text('保存')")
    page.wait_for_selector("h1:has-text('测试代表')")
    assert "县级" in page.inner_text("main") and "乡镇级" in page.inner_text("main")
    created = Deputy.objects.get(name="测试代表")

    # Move them into a station; the history and the public id stay.
    station = Station.objects.filter(region__path__startswith=township.path, kind="station").order_by("code").first()
    page.click("text=调整进站")
    page.select_option("#id_station", str(station.pk))
    page.fill("#id_on", "2026-06-01")
    page.fill("#id_reason", "进站履职")
    page.click("button:has-text('确认调整')")
    page.wait_for_selector(f"text={station.name}")
    assert created.memberships.filter(station=station, end_date__isnull=True).exists()
    assert AuditEvent.objects.filter(target_id=str(created.pk), action="deputy.join_station").exists()
    assert "变更记录" in page.inner_text("main")
    page.screenshot(path=artifact_path("registry-deputy-detail.png"), full_page=True)


def test_township_staff_get_not_found_for_a_neighbours_deputy(page: Any, login_as: Callable[[Any, str], None]) -> None:
    login_as(page, "township")
    from renda.accounts.models import RoleAssignment

    own = RoleAssignment.objects.get(user__username="township").region
    neighbour = Deputy.objects.exclude(region__path__startswith=own.path).order_by("id").first()
    response = page.goto(f"/org/deputies/{neighbour.public_id}/")
    assert response.status == 404
    assert "不在您的管辖范围内" in page.inner_text("main")
