"""起草建议 on a phone (390 px) and a desktop for a deputy of two congresses (五级代表): the congress is
chosen (the township's by default), the co-signer picker follows the choice and searches as the deputy
types (htmx); without JavaScript its 查找 button does the same. Screenshots go to test-artifacts/."""

from __future__ import annotations

from typing import Any

from renda.accounts.models import RoleAssignment
from renda.org.models import Body, BodyKind, CongressLevel, Deputy
from renda.suggestions.models import Suggestion
from renda.suggestions.tests.conftest import seat
from tests.browser.conftest import artifact_path


def test_a_five_level_deputy_drafts_to_the_county_on_a_phone(page: Any, login_as: Any, browser: Any) -> None:
    deputy = RoleAssignment.objects.get(user__username="deputy").deputy
    assert deputy is not None
    seat(deputy, CongressLevel.TOWNSHIP, CongressLevel.COUNTY)
    county = Body.objects.get(kind=BodyKind.CONGRESS, level=CongressLevel.COUNTY, region__path=deputy.region.path[:6])
    peer = (
        Deputy.objects.filter(region__path__startswith=county.region.path, mandates__level=CongressLevel.COUNTY)
        .exclude(region__path__startswith=deputy.region.path[:9])
        .order_by("id")
        .first()
    )
    assert peer is not None
    page.set_viewport_size({"width": 390, "height": 844})
    login_as(page, "deputy")
    page.goto("/suggestions/new/")
    assert page.input_value("#id_body") != str(county.pk)  # the township's congress by default
    page.screenshot(path=artifact_path("suggestion-form-390.png"), full_page=True)
    page.select_option("#id_body", str(county.pk))
    page.fill("#id_title", "关于加快县域农村公路提档升级的建议")
    page.fill("#id_content", "通村公路路面窄、会车难，雨季多处坑洼，群众出行不便。")
    page.select_option("#id_category", label="农村公路")
    page.fill("#cosigner-q", peer.name)
    page.wait_for_selector(f"#cosigner-results:has-text('“{peer.name}”找到')")
    page.check(f"#cosigner-results input[value='{peer.pk}']")
    sideways = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert sideways <= 0, f"the form scrolls {sideways} px sideways"
    page.screenshot(path=artifact_path("suggestion-picker-390.png"), full_page=True)
    page.click("#suggestion-form button.primary")
    page.wait_for_selector("#suggestion-state:has-text('草稿')")
    s = Suggestion.objects.get(lead_deputy=deputy, title="关于加快县域农村公路提档升级的建议")
    assert s.body == county and s.signatories.filter(deputy=peer).exists()


def test_the_picker_without_javascript_at_desktop_width(browser: Any, live_site: Any, login_as: Any) -> None:
    context = browser.new_context(
        base_url=live_site.url, locale="zh-CN", java_script_enabled=False, viewport={"width": 1366, "height": 900}
    )
    try:
        page = context.new_page()
        login_as(page, "deputy")
        page.goto("/suggestions/new/")
        page.fill("#id_title", "关于完善村道路灯设施的建议")
        first = page.locator("#cosigner-matches input[name=cosigners]").first
        name = first.locator("xpath=..").inner_text().split()[0]
        page.fill("#cosigner-q", name)
        page.click("button[name=_search]")
        assert page.input_value("#id_title") == "关于完善村道路灯设施的建议"
        assert f"“{name}”找到" in page.inner_text("#cosigner-results")
        page.screenshot(path=artifact_path("suggestion-picker-nojs-1366.png"), full_page=True)
    finally:
        context.close()


def test_an_administrator_sees_the_nightly_figures_check(page: Any, login_as: Any) -> None:
    from renda.suggestions import figures
    from renda.suggestions.models import SuggestionFigures

    row = SuggestionFigures.objects.filter(count__gt=0).order_by("id").first()
    if row is not None:
        SuggestionFigures.objects.filter(pk=row.pk).update(count=row.count + 7)
    figures.verify()
    login_as(page, "admin")
    page.goto("/suggestions/stats/")
    assert "统计汇总每晚与建议记录逐组核对" in page.inner_text("#figures-check")
    page.screenshot(path=artifact_path("suggestion-stats-1366.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.screenshot(path=artifact_path("suggestion-stats-390.png"), full_page=True)
