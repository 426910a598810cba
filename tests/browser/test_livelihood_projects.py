"""民生实事 in a browser, the issue's path: a session with deputies signed in to quorum → the
presidium fixes a 差额 candidate list (refused first without the margin) → a vote with a phone
ballot and a paper-ballot batch → a result with a runoff → projects elected → the lead unit's
plan and progress → the year-end rating → one project in rectification, shown on the public page.

Set-up through the services: the candidate list's first two candidates, the session and the
sign-in of the deputies (the sign-in pages belong to renda/meetings and have their own test)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.utils import timezone

from renda.accounts.models import RoleAssignment
from renda.core.scoping import Perm, Scope, scope_for_user
from renda.demo.meetings import check_paper
from renda.meetings.quorum import quorum_status
from renda.opinions.tests.conftest import jpeg_bytes
from renda.projects import delivery, lists, services
from renda.projects.models import CandidateList, Project, ProjectState
from renda.projects.tests.helpers import CANDIDATES, clerk_unit, open_session
from renda.regions.models import Region
from renda.voting.models import Vote
from tests.browser.conftest import artifact_path


@pytest.fixture
def another_page(browser: Any, live_site: Any) -> Iterator[Callable[..., Any]]:
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


def test_livelihood_projects_vote_to_rectification(
    page: Any, another_page: Callable[..., Any], login_as: Callable[[Any, str], None], user_named: Any, tmp_path: Any
) -> None:
    staff_scope = scope_for_user(user_named("township"))
    township = Region.objects.get(path=staff_scope.roots[0])
    unit = clerk_unit(township)
    year = timezone.localdate().year
    c = lists.list_create(scope=staff_scope, region=township, year=year, seats=2, method="choose_n")
    for name, content in CANDIDATES[:2]:
        lists.candidate_add(
            scope=staff_scope, candidate_list=c, name=name, content=content, budget="850000", lead_unit=unit
        )
    meeting = open_session(staff_scope, c)
    q = quorum_status(meeting)
    assert q.present >= q.needed  # deputies signed in to quorum
    present = q.present

    # The presidium cannot fix 2 candidates for 2 seats; with a third it can.
    login_as(page, "township")
    page.goto(f"/projects/lists/{c.pk}/")
    assert "差额票决要求候选项目至少 3 个" in page.inner_text("#margin-warning")
    page.click("#btn-fix")
    assert "差额票决要求候选项目至少 3 个" in page.inner_text("#action-error")
    page.fill("#c-name", CANDIDATES[2][0])
    page.fill("#c-content", CANDIDATES[2][1])
    page.fill("#c-budget", "60")
    page.select_option("#c-unit", str(unit.pk))
    page.click("#form-add button[type=submit]")
    page.wait_for_selector("#margin-figures:has-text('3 选 2')")
    page.click("#btn-fix")
    page.wait_for_selector("#list-state:has-text('主席团已确定')")
    page.select_option("#vote-meeting", str(meeting.pk))
    page.click("#btn-vote")
    page.wait_for_selector("#list-state:has-text('已提交大会票决')")
    c.refresh_from_db()
    assert c.vote_id is not None
    page.click("#vote-link")
    page.click("#open-vote")
    page.wait_for_selector("#vote-state:has-text('投票中')")

    # The demo deputy votes on the phone (secret ballot) for the first two projects.
    deputy_page = another_page(phone=True)
    login_as(deputy_page, "deputy")
    deputy_page.goto(f"/voting/{c.vote_id}/")
    deputy_page.check("#ballot-form input[name=choice][value='1']")
    deputy_page.check("#ballot-form input[name=choice][value='2']")
    deputy_page.click("#cast-button")
    deputy_page.click("#confirm-cast")
    deputy_page.wait_for_selector("text=回执")

    # The tellers' paper batch: the first project wins; the other two tie below the majority.
    page.goto(f"/voting/{c.vote_id}/")
    tie = present * 2 // 5
    page.fill("#paper-ballots", str(present - 1))
    page.fill("#paper-count-1", str(present - 1))
    page.fill("#paper-count-2", str(tie - 1))
    page.fill("#paper-count-3", str(tie))
    page.fill("#paper-tellers", "王明、陈芳")
    page.click("#paper-submit")
    page.wait_for_selector("text=已录入纸质选票计票结果")
    # One phone ballot beside paper ones would be given away by subtraction: close refuses, the
    # vote goes over to paper, and the deputy's ballot is cast again on paper (the same choices).
    page.click("#close-vote")
    page.click("#close-vote-confirm")
    assert "少于 5 张" in page.inner_text("#action-error")
    page.click("#to-paper")
    page.wait_for_selector("#paper-only-staff")
    deputy_page.goto(f"/voting/{c.vote_id}/")
    assert "已改为纸质票表决" in deputy_page.inner_text("#ballot")
    page.fill("#paper-ballots", "1")
    page.fill("#paper-count-1", "1")
    page.fill("#paper-count-2", "1")
    page.fill("#paper-count-3", "0")
    page.fill("#paper-tellers", "王明、陈芳")
    page.click("#paper-submit")
    page.wait_for_selector("text=已录入纸质选票计票结果")
    check_paper(Vote.objects.get(pk=c.vote_id))  # 复核 by the office's second hand
    page.reload()
    page.click("#close-vote")
    page.click("#close-vote-confirm")
    page.wait_for_selector("#vote-state:has-text('已截止')")
    page.click("#publish-vote")
    page.click("#publish-vote-confirm")
    page.wait_for_selector("#unfilled")
    page.click("#runoff-button")
    page.wait_for_selector("text=已安排另行表决")
    page.click("#open-vote")
    page.wait_for_selector("#vote-state:has-text('投票中')")
    page.fill("#paper-ballots", str(present))
    labels = page.locator("#paper-form label[for^=paper-count-]").all_inner_texts()
    inputs = page.locator("#paper-form input[id^=paper-count-]")
    for i, label in enumerate(labels):  # the runoff's options: the two tied projects
        inputs.nth(i).fill(str(present * 7 // 10 if CANDIDATES[1][0] in label else present // 5))
    page.fill("#paper-tellers", "王明、陈芳")
    page.click("#paper-submit")
    page.wait_for_selector("text=已录入纸质选票计票结果")
    check_paper(Vote.objects.get(pk=int(page.url.rstrip("/").split("/")[-1])))  # the runoff's 复核
    page.reload()
    page.click("#close-vote")
    page.click("#close-vote-confirm")
    page.wait_for_selector("#vote-state:has-text('已截止')")
    page.click("#publish-vote")
    page.click("#publish-vote-confirm")
    page.wait_for_selector("#vote-state:has-text('已公布')")

    # 代表定单: two projects elected, the third not, with its votes.
    page.goto(f"/projects/lists/{c.pk}/")
    page.wait_for_selector("#list-state:has-text('票决完成')")
    table = page.inner_text("#candidates")
    assert table.count("票决入选") == 2 and "未入选" in table
    projects = list(Project.objects.filter(candidate__candidate_list=c).order_by("candidate__position"))
    assert [p.name for p in projects] == [CANDIDATES[0][0], CANDIDATES[1][0]]
    assert projects[1].candidate.result["rounds"][-1]["round"] == 2
    page.screenshot(path=artifact_path("projects-vote-result.png"), full_page=True)

    # 政府买单: the lead unit's clerk plans and reports progress with a photo.
    project = projects[0]
    clerk = another_page()
    login_as(clerk, "clerk")
    clerk.goto(f"/projects/{project.pk}/")
    clerk.fill("#plan-budget-input", "88")
    clerk.fill("#plan-date", f"{year}-12-20")
    clerk.fill("#plan-text", "分设计招标、施工、验收三个阶段实施。")
    rows = [
        ("设计招标", f"{year}-03-31", "20"),
        ("主体施工", f"{year}-09-30", "50"),
        ("完工验收", f"{year}-12-20", "30"),
    ]
    for i, (title, day, weight) in enumerate(rows):
        clerk.locator("input[name=m_title]").nth(i).fill(title)
        clerk.locator("input[name=m_date]").nth(i).fill(day)
        clerk.locator("input[name=m_weight]").nth(i).fill(weight)
    clerk.click("#form-plan button[type=submit]")
    clerk.wait_for_selector("#project-state:has-text('实施中')")
    assert clerk.locator("#milestones tbody tr").count() == 3
    photo = tmp_path / "site.jpg"
    photo.write_bytes(jpeg_bytes(exif=True))
    clerk.fill("#report-percent", "100")
    clerk.fill("#report-text", "路灯已全部安装并通电。")
    clerk.set_input_files("#report-photos", str(photo))
    clerk.click("#form-report button[type=submit]")
    clerk.wait_for_selector("#project-state:has-text('已完工待验收')")
    assert clerk.inner_text("#project-progress") == "100%"

    # 人大验单: staff open the rating; the deputy rates 不满意 on the phone; most others agree.
    page.goto(f"/projects/{project.pk}/")
    page.click("#form-open-rating button")
    page.wait_for_selector("#project-state:has-text('满意度测评中')")
    deputy_page.goto(f"/projects/{project.pk}/")
    deputy_page.check("#form-rate input[value=unsatisfied]")
    deputy_page.click("#form-rate button[type=submit]")
    assert "写明意见" in deputy_page.inner_text("#action-error")
    deputy_page.check("#form-rate input[value=unsatisfied]")
    deputy_page.fill("#rate-comment", "部分路段照明不足")
    deputy_page.click("#form-rate button[type=submit]")
    deputy_page.wait_for_selector("#my-rating:has-text('不满意')")
    demo_deputy = RoleAssignment.objects.get(user__username="deputy").deputy
    others = services.entitled_deputies(services.voting_body(township)).exclude(pk=demo_deputy.pk).order_by("id")
    for i, deputy in enumerate(others[:9]):
        rater = Scope(user_id=None, system_label="代表", roots=[township.path], perms={Perm.PROJECT_RATE})
        rater.deputy_ids = {deputy.pk}
        grade = "satisfied" if i < 4 else "unsatisfied"
        delivery.project_rate(scope=rater, project=project, grade=grade, comment="" if i < 4 else "照明不足")
    page.reload()
    assert "参评 10 人" in page.inner_text("#rating-round-1")
    page.click("#form-close-rating button[type=submit]")
    page.wait_for_selector("#project-state:has-text('整改中')")
    assert "40%" in page.inner_text("#satisfaction")
    assert "测评未达标，转入整改" in page.inner_text("#timeline")
    project.refresh_from_db()
    assert project.state == ProjectState.RECTIFYING

    # The public page (no login, a phone) lists the year's projects with votes, progress and ratings.
    citizen = another_page(phone=True)
    citizen.goto(f"/projects/public/{township.code}/")
    card = citizen.inner_text(f"#project-{project.pk}")
    assert project.name in card and "100%" in card and "满意率 40%" in card and "整改中" in card
    assert "第2轮" in citizen.inner_text(f"#project-{projects[1].pk}")
    citizen.screenshot(path=artifact_path("projects-public-phone.png"), full_page=True)
    assert CandidateList.objects.get(pk=c.pk).state == "decided"
