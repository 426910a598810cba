"""代表建议 in a browser, the whole path: a joint draft from two opinions → the co-signer confirms →
accepted and numbered → assigned with a co-unit → the co-unit's opinion → answer class B with its
letter → the deputy is not satisfied → re-handled → answer class A → 满意. The Word documents are
downloaded and opened with python-docx."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from docx import Document

from renda.accounts.models import Role, RoleAssignment
from renda.accounts.services import role_grant, user_create
from renda.core.scoping import scope_for_user, system_scope
from renda.demo.county import DEMO_PASSWORD
from renda.opinions import intake as opinion_intake
from renda.org.models import Body, BodyKind, Category, CongressLevel, Deputy, HandlingUnit
from renda.suggestions.models import State, Suggestion
from tests.browser.conftest import artifact_path


@pytest.fixture
def another_page(browser: Any, live_site: Any) -> Iterator[Callable[[], Any]]:
    contexts = []

    def make() -> Any:
        context = browser.new_context(
            base_url=live_site.url, locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1366, "height": 900}
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def docx_text(path: str | Path) -> str:
    return "\n".join(p.text for p in Document(str(path)).paragraphs)


def download(page: Any, selector: str) -> str:
    with page.expect_download() as info:
        page.click(selector)
    return str(info.value.path())


def test_joint_suggestion_closed_loop(
    page: Any, another_page: Callable[[], Any], login_as: Callable[[Any, str], None]
) -> None:
    system = system_scope("浏览器测试")
    deputy = RoleAssignment.objects.get(user__username="deputy").deputy
    clerk_unit = RoleAssignment.objects.get(user__username="clerk").unit
    town = clerk_unit.region
    body = Body.objects.get(region=town, kind=BodyKind.CONGRESS)
    cosigner = (
        Deputy.objects.filter(region__path__startswith=town.path, mandates__level=CongressLevel.TOWNSHIP)
        .exclude(pk=deputy.pk)
        .order_by("id")
        .first()
    )
    co_unit = HandlingUnit.objects.get(region=town, name__endswith="财政所")
    user = user_create(scope=system, username="cosigner", password=DEMO_PASSWORD, display_name=cosigner.name)
    role_grant(scope=system, user=user, role=Role.DEPUTY, deputy=cosigner)
    co_user = user_create(scope=system, username="coclerk", password=DEMO_PASSWORD, display_name="财政所 工作人员")
    role_grant(scope=system, user=co_user, role=Role.UNIT_CLERK, unit=co_unit)
    # Two opinions the deputy gathered on a visit.
    deputy_scope = scope_for_user(RoleAssignment.objects.get(user__username="deputy").user)
    lamp = Category.objects.get(name="路灯")
    opinions = [
        opinion_intake.opinion_submit(
            scope=deputy_scope,
            data=opinion_intake.OpinionInput(
                text=text, region=deputy.region, category=lamp, source="visit", deputy=deputy, anonymous=True
            ),
        )[0]
        for text in ("村口到小学的路没有路灯，孩子放学天黑看不清路。", "后山组的路灯坏了大半年没人修。")
    ]

    # The deputy drafts a joint suggestion from the two opinions.
    login_as(page, "deputy")
    page.goto(f"/suggestions/new/?opinions={opinions[0].pk},{opinions[1].pk}")
    assert page.locator("#id_opinions option:checked").count() == 2
    if page.locator("select#id_body").count():  # a deputy of several congresses (五级代表) chooses
        page.select_option("#id_body", str(body.pk))
    page.fill("#id_title", "关于完善村道路灯设施的建议")
    page.fill("#id_content", "多个村反映村道夜间照明不足，群众出行不便，存在安全隐患。")
    page.fill("#id_problem", "路灯覆盖率低，损坏后长期无人维修。")
    page.fill("#id_proposal", "摸排全镇村道照明，建立路灯维护责任制。")
    page.select_option("#id_category", str(lamp.pk))
    # The co-signer picker searches as the deputy types (htmx) and keeps the tick
    page.fill("#cosigner-q", cosigner.name)
    page.wait_for_selector(f"#cosigner-results:has-text('“{cosigner.name}”找到')")
    page.check(f"#cosigner-results input[name=cosigners][value='{cosigner.pk}']")
    page.click("#suggestion-form button.primary")
    page.wait_for_selector("#suggestion-state:has-text('草稿')")
    s = Suggestion.objects.get(lead_deputy=deputy, title="关于完善村道路灯设施的建议")
    assert set(s.opinions.values_list("pk", flat=True)) == {o.pk for o in opinions}
    assert "已邀请待确认" in page.inner_text("#signatories")
    # Submitting before the co-signer confirms is refused, and says why.
    page.click("#btn-submit")
    assert "尚未确认" in page.inner_text("#action-error")
    assert Suggestion.objects.get(pk=s.pk).state == State.DRAFT

    # The co-signer confirms on their own page.
    co = another_page()
    login_as(co, "cosigner")
    co.goto(f"/suggestions/{s.pk}/")
    co.click("#btn-cosign")
    co.wait_for_selector("text=您已确认联名")

    page.goto(f"/suggestions/{s.pk}/")  # not reload(): that would re-send the refused POST
    assert "已确认联名" in page.inner_text("#signatories")
    page.click("#btn-submit")
    page.wait_for_selector("#suggestion-state:has-text('已提交待审查')")

    # The congress office accepts and numbers it, then assigns a lead unit and a co-unit.
    staff = another_page()
    login_as(staff, "township")
    staff.goto(f"/suggestions/{s.pk}/")
    staff.click("#btn-accept")
    staff.wait_for_selector("#suggestion-state:has-text('已立案待交办')")
    s.refresh_from_db()
    assert s.number and s.number in staff.inner_text("#suggestion-number")
    staff.select_option("#assign-lead", str(clerk_unit.pk))
    staff.check(f"#form-assign input[name=co_units][value='{co_unit.pk}']")
    staff.click("#btn-assign")
    staff.wait_for_selector("#suggestion-state:has-text('办理中')")
    s.refresh_from_db()
    notice = docx_text(download(staff, "#notice-link"))
    answer_by = f"{s.answer_by.year}年{s.answer_by.month}月{s.answer_by.day}日"
    for needle in (s.number, s.title, clerk_unit.name, co_unit.name, answer_by):
        assert needle in notice, needle
    staff.screenshot(path=artifact_path("suggestion-assigned.png"), full_page=True)

    # The co-unit sends its opinion to the lead unit.
    co_clerk = another_page()
    login_as(co_clerk, "coclerk")
    co_clerk.goto(f"/suggestions/{s.pk}/")
    co_clerk.fill("#co-text", "财政所同意安排路灯建设和维护经费。")
    co_clerk.click("#btn-co-opinion")
    co_clerk.wait_for_selector("text=协办意见已送主办单位")

    # The lead unit contacts the deputy and answers with class B.
    clerk = another_page()
    login_as(clerk, "clerk")
    clerk.goto(f"/suggestions/{s.pk}/")
    assert "财政所同意安排" in clerk.inner_text("main")
    clerk.fill("#contact-note", "电话听取领衔代表意见")
    clerk.click("#btn-contact")
    clerk.wait_for_selector("text=已记录联系代表情况")
    clerk.check("#form-answer input[name=answer_class][value=B]")
    clerk.fill("#answer-text", "已将全镇村道亮化列入明年工作计划，分批实施。")
    clerk.click("#btn-answer")
    clerk.wait_for_selector("#suggestion-state:has-text('已答复待评价')")

    # The deputy reads the answer letter, is not satisfied, and it goes back for re-handling.
    page.goto(f"/suggestions/{s.pk}/")
    letter = docx_text(download(page, "#answer-1 .letter-link"))
    for needle in (s.number, s.title, clerk_unit.name, "B（正在解决或列入计划解决）"):
        assert needle in letter, needle
    page.check("#attitude-basic")
    page.check("#result-unsatisfied")
    page.fill("#rate-comment", "只列入计划，没有时间表")
    page.click("#btn-rate")
    page.wait_for_selector("#suggestion-state:has-text('不满意重新办理')")
    assert page.inner_text("#reanswer-by").strip()

    # Re-handled: contact again, answer class A.
    clerk.goto(f"/suggestions/{s.pk}/")
    clerk.fill("#contact-note", "当面沟通实施时间表")
    clerk.click("#btn-contact")
    clerk.wait_for_selector("text=已记录联系代表情况")
    clerk.check("#form-answer input[name=answer_class][value=A]")
    clerk.fill("#answer-text", "全镇村道路灯已于本月安装完毕并投入使用。")
    clerk.click("#btn-answer")
    clerk.wait_for_selector("#suggestion-state:has-text('已答复待评价')")

    # 满意: it closes.
    page.goto(f"/suggestions/{s.pk}/")
    page.check("#attitude-satisfied")
    page.check("#result-satisfied")
    page.click("#btn-rate")
    page.wait_for_selector("#suggestion-state:has-text('已办结')")
    assert "满意" in page.inner_text("#suggestion-state")
    second = docx_text(download(page, "#answer-2 .letter-link"))
    assert "A（已解决或基本解决）" in second and s.number in second
    timeline = page.inner_text("#timeline")
    for step in ["起草建议", "确认联名", "提交建议", "立案编号", "交办", "协办单位提出协办意见", "主办单位联系代表",
                 "答复代表", "代表不满意，重新办理", "代表评价，办结"]:  # fmt: skip
        assert step in timeline, step
    page.screenshot(path=artifact_path("suggestion-closed.png"), full_page=True)
    s.refresh_from_db()
    assert s.state == State.CLOSED and s.outcome == "satisfied" and s.answer_class == "A" and s.round == 2
