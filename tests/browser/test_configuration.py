"""配置 on a 390 × 844 phone: an administrator changes a rule, enters a holiday, issues and revokes
an API token, all through the pages (issue #13, "Configuration an office can use")."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from renda.accounts.models import ApiToken
from renda.core.rules import rule
from renda.core.workdays import workday_status
from tests.browser.conftest import artifact_path

SHOTS = os.environ.get("RENDA_SCREENSHOTS") == "1"  # the pages at both sizes, for a person to look at


def _no_sideways_scroll(page: Any) -> None:
    sideways = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert sideways <= 0, f"{page.url} scrolls {sideways} px sideways"


def _shot(page: Any, name: str) -> None:
    if SHOTS:
        for width, height in ((390, 844), (1366, 900)):
            page.set_viewport_size({"width": width, "height": height})
            page.screenshot(path=artifact_path(f"config-{name}-{width}.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})


def test_an_administrator_configures_the_installation_on_a_phone(page: Any, login_as: Any) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    login_as(page, "admin")

    # 规则参数: from the folded menu, change 群众评价期限 from 15 to 20 days
    page.click("label.nav-button")
    page.click("nav.mainnav a:has-text('规则参数')")
    page.wait_for_url("**/config/rules/")
    _no_sideways_scroll(page)
    card = page.locator("#rule-opinionrating_days")
    card.locator("summary:has-text('修改全部区划的取值')").click()
    card.locator("input[name=value]").fill("")
    card.locator("button:has-text('保存')").click()
    assert "请填写新的取值" in page.locator("[role=alert]").first.inner_text()
    if SHOTS:
        page.locator("#rule-opinionrating_days").screenshot(path=artifact_path("config-rule-error-390.png"))
    card = page.locator("#rule-opinionrating_days")
    card.locator("input[name=value]").fill("20")
    card.locator("input[name=note]").fill("县人大常委会 2026 年第 5 号通知")
    card.locator("button:has-text('保存')").click()
    page.wait_for_selector(".messages li")
    assert "立即生效" in page.inner_text(".messages")
    assert rule("opinion.rating_days") == 20
    assert "县人大常委会 2026 年第 5 号通知" in page.locator("#rule-opinionrating_days").inner_text()
    _shot(page, "rules")

    # 工作日历: enter 2027's Spring Festival Monday and record the year
    page.goto("/config/calendar/?year=2027")
    _no_sideways_scroll(page)
    page.fill("#id_date", "2027-02-08")
    page.select_option("#id_is_workday", "rest")
    page.fill("#id_name", "春节")
    page.click("#add-day button:has-text('录入')")
    page.wait_for_selector(".messages li")
    assert "2027-02-08" in page.inner_text("#entered-days")
    assert workday_status(dt.date(2027, 2, 8)) == (False, True)
    page.fill("#id_source", "国务院办公厅关于2027年部分节假日安排的通知")
    page.click("#year-status button:has-text('确认本年度已录入')")
    page.wait_for_selector("#year-status .ok")
    page.fill("#id_start", "2027-02-05")
    page.fill("#id_end", "2027-02-11")
    page.click("#workday-check button:has-text('计算')")
    assert "3 个工作日" in page.inner_text("#check-result")  # after Fri 5 Feb: the weekend, the 8th off, 9–11
    _no_sideways_scroll(page)
    _shot(page, "calendar")

    # API 令牌: issue one, see it once, revoke it
    page.goto("/accounts/tokens/")
    page.fill("#id_name", "县民意平台对接")
    page.click("#issue button:has-text('签发')")
    raw = page.inner_text("#raw-token").strip()
    assert raw.startswith("rd_")
    _no_sideways_scroll(page)
    _shot(page, "tokens")
    page.goto("/accounts/tokens/")
    assert raw not in page.content()
    row = page.locator("#token-list tr:has-text('县民意平台对接')")
    row.locator("summary:has-text('吊销')").click()
    row.locator("button:has-text('确认吊销')").click()
    page.wait_for_selector(".messages li")
    assert "已吊销" in page.inner_text(".messages")
    assert ApiToken.objects.get(name="县民意平台对接").revoked_at is not None


def test_township_staff_set_their_own_answer_review(page: Any, login_as: Any) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    login_as(page, "township")
    page.goto("/config/rules/")
    card = page.locator("#rule-opinionanswer_review")
    assert "修改全部区划的取值" not in card.inner_text()
    card.locator("summary:has-text('的取值')").click()
    card.locator("select[name=value]").select_option("true")
    card.locator("input[name=note]").fill("镇人大主席团 2026 年第 3 次会议决定")
    card.locator("button:has-text('保存')").click()
    page.wait_for_selector(".messages li")
    assert "立即生效" in page.inner_text(".messages")
    assert "本区划取值" in page.locator("#rule-opinionanswer_review").inner_text()
    _no_sideways_scroll(page)
    if SHOTS:
        page.locator("#rule-opinionanswer_review").scroll_into_view_if_needed()
        for width in (390, 1366):
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=artifact_path(f"config-rules-township-{width}.png"))
