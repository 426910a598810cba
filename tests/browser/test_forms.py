"""Forms on a phone (issue #13): a citizen who leaves the opinion form half done sees every box to
fix at once, is told the chosen photo must be chosen again, fixes it all and gets the receipt; a
township officer's deputy form names a missing name and region and a wrong phone together.
axe-core checks each page on the way (conftest)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from renda.accounts.models import RoleAssignment
from renda.opinions.models import Opinion
from renda.opinions.tests.conftest import jpeg_bytes
from renda.org.models import Category, Deputy
from tests.browser.conftest import artifact_path


def test_a_citizen_fixes_every_error_of_the_opinion_form_in_one_go(page: Any, tmp_path: Any) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    station = RoleAssignment.objects.get(user__username="liaison").station
    village = station.served_regions.order_by("path").first()
    lamp = Category.objects.get(name="路灯")
    photo = tmp_path / "lamp.jpg"
    photo.write_bytes(jpeg_bytes())

    page.goto(f"/s/{station.public_id}/opinion/")
    assert page.inner_text("label[for=id_text]").endswith("：")
    page.fill("#id_text", "灯")
    page.set_input_files("#id_photos", str(photo))
    page.click("button:has-text('提交')")

    page.wait_for_selector("text=有 5 处需要修改")
    main = page.inner_text("main")
    for said in ("至少 5 个字", "请选择问题分类", "请选择事情发生的村/社区", "请填写手机号", "请勾选同意"):
        assert said in main, said
    assert "刚才选的 1 张照片没有保存，请重新选择后再提交" in main
    assert page.input_value("#id_text") == "灯"  # what was typed is kept
    page.screenshot(path=artifact_path("opinion-form-every-error-phone.png"), full_page=True)

    page.fill("#id_text", "村口的路灯坏了半个月，晚上出行很不安全。")
    page.select_option("#id_category", str(lamp.pk))
    page.select_option("#id_region", str(village.pk))
    page.set_input_files("#id_photos", str(photo))
    page.fill("#id_name", "张三")
    page.fill("#id_phone", "13912345678")
    page.check("input[name=consent]")
    page.click("button:has-text('提交')")
    page.wait_for_selector("#receipt-code")
    opinion = Opinion.objects.get(receipt_code=page.inner_text("#receipt-code").strip())
    assert opinion.photos.count() == 1 and opinion.region == village


def test_the_deputy_form_names_all_its_errors_at_once(page: Any, login_as: Callable[[Any, str], None]) -> None:
    login_as(page, "township")
    page.goto("/org/deputies/new/")
    before = Deputy.objects.count()
    page.evaluate("document.querySelector('main form').noValidate = true")  # as an old phone browser
    page.fill("#id_phone", "12345")
    page.click("main form button[type=submit]")
    page.wait_for_selector(".field.has-error")
    errors = page.locator(".field.has-error label").all_inner_texts()
    assert [e.replace("*", "") for e in errors] == ["姓名：", "手机：", "所属区划（村/社区）："]
    assert "手机格式不正确" in page.inner_text("main")
    assert Deputy.objects.count() == before
