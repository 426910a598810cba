"""The staff and public pages: each role sees what it may, forms refuse bad input in Chinese."""

from __future__ import annotations

import pytest
from django.urls import reverse

from renda.projects import delivery, proposals
from renda.projects.models import Proposal, ProposalState
from renda.projects.tests.helpers import elect, make_list, plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(scope_of, township):  # type: ignore[no-untyped-def]
    c = make_list(scope_of("township"), township, seats=2, n=3)
    return elect(scope_of("township"), c)[0]


def test_overview_and_lists_render_for_staff_with_bounded_queries(client_as, project, django_assert_max_num_queries):
    client = client_as("township")
    with django_assert_max_num_queries(40):
        response = client.get(reverse("projects:index"))
    assert response.status_code == 200 and project.name in response.content.decode()
    with django_assert_max_num_queries(30):
        response = client.get(reverse("projects:projects"))
    assert project.name in response.content.decode()
    with django_assert_max_num_queries(30):
        assert client.get(reverse("projects:proposals")).status_code == 200
    page = client.get(reverse("projects:list", args=[project.candidate.candidate_list_id])).content.decode()
    assert "票决入选" in page and "未入选" in page


def test_the_clerk_plans_and_reports_on_the_page(client_as, project):
    client = client_as("clerk")
    page = client.get(reverse("projects:project", args=[project.pk])).content.decode()
    assert 'id="form-plan"' in page
    response = client.post(
        reverse("projects:project_act", args=[project.pk, "plan"]),
        {
            "budget": "90",
            "completion_date": f"{project.year}-12-31",
            "plan_text": "分两期实施",
            "m_title": ["设计", "完工"],
            "m_date": [f"{project.year}-06-30", f"{project.year}-12-31"],
            "m_weight": ["40", "50"],
        },
    )
    assert response.status_code == 400 and "合计应为 100%" in response.content.decode()
    project.refresh_from_db()
    assert project.state == "elected"


PLAN = {"completion_date": "", "plan_text": "分两期实施", "m_title": ["设计", "完工"], "m_weight": ["40", "60"]}


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "计划投资不能为空"),
        ("八十八", "计划投资应为金额（万元），而不是“八十八”"),
        ("-3", "计划投资应为 0 以上"),
        ("1e12", "计划投资应为 0 以上"),
        ("0.0000001", "计划投资最多精确到分"),
        ("NaN", "计划投资应为 0 以上"),
    ],
)
def test_the_plan_budget_is_typed_in_wan_and_bad_amounts_are_refused(client_as, project, typed, message):
    client = client_as("clerk")
    url = reverse("projects:project_act", args=[project.pk, "plan"])
    body = PLAN | {"budget": typed, "completion_date": f"{project.year}-12-31"}
    body |= {"m_date": [f"{project.year}-06-30", f"{project.year}-12-31"]}
    response = client.post(url, body)
    assert response.status_code == 400 and message in response.content.decode()
    project.refresh_from_db()
    assert project.state == "elected"


def test_the_plan_budget_in_wan_is_kept_in_yuan_and_shown_in_wan(client_as, project):
    from decimal import Decimal

    client = client_as("clerk")
    url = reverse("projects:project_act", args=[project.pk, "plan"])
    body = PLAN | {"budget": "1,234.5万元", "completion_date": f"{project.year}-12-31"}
    body |= {"m_date": [f"{project.year}-06-30", f"{project.year}-12-31"]}
    assert client.post(url, body).status_code == 302
    project.refresh_from_db()
    assert project.budget == Decimal("12345000.00")
    page = client.get(reverse("projects:project", args=[project.pk])).content.decode()
    assert '<span id="plan-budget">1,234.50</span> 万元' in page


def test_staff_cannot_report_progress(client_as, project, scope_of):
    plan(scope_of("clerk"), project)
    response = client_as("township").post(
        reverse("projects:project_act", args=[project.pk, "report"]), {"percent": "10", "text": "报告进展"}
    )
    assert response.status_code == 403
    assert not project.reports.exists()


def test_another_townships_project_is_not_found(client_as, scope_of, other_township):
    c = make_list(scope_of("county"), other_township, seats=1, n=2)
    assert client_as("township").get(reverse("projects:list", args=[c.pk])).status_code == 404


def test_proposal_screening_page(client_as, township):
    p, _ = proposals.proposal_submit(
        data=proposals.ProposalInput(
            title="村里建个文化礼堂", text="村里没有活动场所，希望建文化礼堂。", region=township
        ),
        client_ip="1.1.1.1",
    )
    client = client_as("township")
    response = client.post(reverse("projects:proposal_act", args=[p.pk, "accept"]), {"reason": ""})
    assert response.status_code == 400 and "筛选意见不能为空" in response.content.decode()
    response = client.post(reverse("projects:proposal_act", args=[p.pk, "accept"]), {"reason": "群众呼声高"})
    assert response.status_code == 302
    p.refresh_from_db()
    assert p.state == ProposalState.ACCEPTED


def test_public_pages_need_no_login_and_show_votes_and_progress(client, project, township, scope_of):
    plan(scope_of("clerk"), project)
    delivery.project_report(scope=scope_of("clerk"), project=project, percent=35, text="已完成设计")
    assert client.get(reverse("projects:public_index")).status_code == 200
    page = client.get(reverse("projects:public_township", args=[township.code])).content.decode()
    assert project.name in page and "35%" in page and "未入选的候选项目" in page


def test_public_proposal_form(client, township):
    url = reverse("projects:public_propose", args=[township.code])
    assert client.get(url).status_code == 200
    response = client.post(url, {"title": "", "text": "", "idempotency_key": "abc"})
    assert response.status_code == 400 and "项目名称不能为空" in response.content.decode()
    assert not Proposal.objects.exists()
    data = {"title": "村口修建公共厕所", "text": "集市人多没有厕所，希望修建一座。", "idempotency_key": "abc123"}
    response = client.post(url, data)
    assert response.status_code == 302
    code = Proposal.objects.get().code
    assert code in client.get(response["Location"]).content.decode()
    assert client.post(url, data).status_code == 302  # a double tap: the same proposal
    assert Proposal.objects.count() == 1


def test_midyear_report_downloads(client_as, project, township, scope_of):
    plan(scope_of("clerk"), project)
    client = client_as("township")
    docx = client.get(reverse("projects:midyear_docx") + f"?region={township.pk}&year={project.year}")
    assert docx.status_code == 200 and docx.content[:2] == b"PK"
    xlsx = client.get(reverse("projects:midyear_xlsx") + f"?region={township.pk}&year={project.year}")
    assert xlsx.status_code == 200
    import io

    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(xlsx.content)).active
    assert project.name in [c.value for c in ws["B"]]


def test_public_propose_with_a_non_ascii_digit_village_is_refused_not_a_500(db):  # type: ignore[no-untyped-def]
    # "²".isdigit() is true but int("²") raises: the public form once answered 500 here
    from django.test import Client

    from renda.meetings.tests.helpers import demo_town
    from renda.projects.models import Proposal

    before = Proposal.objects.count()
    r = Client().post(
        f"/projects/public/{demo_town().code}/propose/",
        {"title": "修路", "text": "村口道路破损需要修复", "village": "²"},
    )
    assert r.status_code == 400 and "请选择本乡镇/街道的村/社区" in r.content.decode()
    assert Proposal.objects.count() == before
