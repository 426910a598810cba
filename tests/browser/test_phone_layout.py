"""Staff and deputy pages on a 390 × 844 phone (issue #13): the 13-item menu folds behind 菜单 and
takes under 15% of the first screen; no page scrolls sideways (tables scroll inside their panel)."""

from __future__ import annotations

from typing import Any

PAGES = ["/", "/opinions/", "/suggestions/", "/meetings/", "/projects/", "/org/deputies/", "/org/stations/", "/audit/",
         "/config/rules/", "/accounts/tokens/"]  # fmt: skip


def test_a_township_officer_on_a_phone(page: Any, login_as: Any) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    login_as(page, "township")
    for path in PAGES:
        page.goto(path)
        top = page.evaluate("document.querySelector('.topbar').getBoundingClientRect().height")
        assert top < 0.15 * 844, f"{path}: the top bar is {top:.0f} px high"
        assert not page.is_visible("nav.mainnav"), path  # folded
        sideways = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert sideways <= 0, f"{path} scrolls {sideways} px sideways"
    page.click("label.nav-button")
    assert page.is_visible("nav.mainnav a:has-text('意见建议')")
    page.click("nav.mainnav a:has-text('代表建议')")
    page.wait_for_url("**/suggestions/**")


def test_the_desktop_menu_stays_a_row(page: Any, login_as: Any) -> None:
    login_as(page, "township")
    page.goto("/")
    assert page.is_visible("nav.mainnav a:has-text('意见建议')")
    assert not page.is_visible("label.nav-button")
