"""Smoke test for the browser set-up: staff log in through the real login page (登录)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from renda.demo.county import DEMO_PASSWORD
from tests.browser.conftest import artifact_path


def submit_login(page: Any, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")


def test_county_staff_logs_in_and_lands_on_the_workbench(page: Any, login_as: Callable[[Any, str], None]) -> None:
    # Given the demo county's county-level staff user
    # When they log in through the login form
    login_as(page, "county")

    # Then they land on the home page, which shows the workbench (工作台) and who is logged in
    page.wait_for_url("/")
    assert page.locator("h1").inner_text() == "工作台"
    assert page.locator("header .who").is_visible()
    page.screenshot(path=artifact_path("login-county-home.png"), full_page=True)


def test_six_wrong_passwords_lock_the_account(page: Any) -> None:
    # Given the county user, when someone tries six wrong passwords from the same address
    for attempt in range(6):
        submit_login(page, "county", f"wrong-password-{attempt}")

    # Then the page says the login is locked (锁定)
    assert "锁定" in page.locator("main").inner_text()

    # And even the right password is refused while the lock lasts
    submit_login(page, "county", DEMO_PASSWORD)
    assert "锁定" in page.locator("main").inner_text()
    assert "/accounts/login/" in page.url
    page.screenshot(path=artifact_path("login-locked.png"), full_page=True)
