"""The pages, documents, exports, statistics and API of 代表建议, through the test client."""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict

import pytest
from django.test import Client
from django.utils import timezone
from docx import Document
from openpyxl import load_workbook

from renda.core.scoping import system_scope
from renda.suggestions import selectors
from renda.suggestions.models import Assignment, State, Suggestion
from renda.suggestions.tests.conftest import draft_input

pytestmark = pytest.mark.django_db


def docx_text(content: bytes) -> str:
    return "\n".join(p.text for p in Document(io.BytesIO(content)).paragraphs)


def test_the_loop_through_the_pages_with_word_documents(client_as, drive, town):
    deputy = client_as("deputy")
    page = deputy.get("/suggestions/new/")
    assert page.status_code == 200 and "起草代表建议" in page.content.decode()
    response = deputy.post(
        "/suggestions/new/",
        {"body": town.body.pk, "title": "关于完善村道路灯设施的建议", "content": "多个村反映村道夜间照明不足，出行不便。",
         "category": town.category.pk, "period": "recess"},
    )  # fmt: skip
    assert response.status_code == 302
    s = Suggestion.objects.filter(lead_deputy=town.deputy).latest("id")
    assert deputy.post(f"/suggestions/{s.pk}/act/submit/").status_code == 302
    staff = client_as("township")
    assert staff.post(f"/suggestions/{s.pk}/act/accept/").status_code == 302
    s.refresh_from_db()
    assert s.number.startswith(f"〔{s.year}〕第")
    assert (
        staff.post(
            f"/suggestions/{s.pk}/act/assign/", {"lead_unit": town.clerk_unit.pk, "co_units": [town.co_unit.pk]}
        ).status_code
        == 302
    )
    notice = staff.get(f"/suggestions/{s.pk}/notice.docx")
    assert notice.status_code == 200
    text = docx_text(notice.content)
    s.refresh_from_db()
    for needle in (
        s.number,
        s.title,
        town.clerk_unit.name,
        town.co_unit.name,
        f"{s.answer_by.year}年{s.answer_by.month}月{s.answer_by.day}日",
    ):
        assert needle in text, needle
    clerk = client_as("clerk")
    page = clerk.get(f"/suggestions/{s.pk}/").content.decode()
    assert "答复代表" in page and "联系代表" in page
    clerk.post(
        f"/suggestions/{s.pk}/act/contact/",
        {"contacted_on": str(timezone.localdate()), "way": "phone", "note": "电话沟通"},
    )
    preview = clerk.post(f"/suggestions/{s.pk}/letter-preview.docx", {"answer_class": "B", "text": "列入明年计划。"})
    assert "列入明年计划" in docx_text(preview.content)
    # Without a class: refused, nothing changes
    bad = clerk.post(f"/suggestions/{s.pk}/act/answer/", {"answer_class": "", "text": "已列入明年村道亮化计划。"})
    assert bad.status_code == 400 and "请选择答复类别" in bad.content.decode()
    s.refresh_from_db()
    assert s.state == State.ASSIGNED
    clerk.post(f"/suggestions/{s.pk}/act/answer/", {"answer_class": "B", "text": "已列入明年村道亮化计划，分批实施。"})
    s.refresh_from_db()
    assert s.state == State.ANSWERED
    answer = s.answers.get()
    letter = deputy.get(f"/suggestions/{s.pk}/answers/{answer.pk}/letter.docx")
    text = docx_text(letter.content)
    for needle in (s.number, s.title, town.clerk_unit.name, "B（正在解决或列入计划解决）"):
        assert needle in text, needle
    deputy.post(f"/suggestions/{s.pk}/act/rate/", {"attitude": "satisfied", "result": "satisfied", "publish": "on"})
    s.refresh_from_db()
    assert s.state == State.CLOSED and s.publish_consent
    # The public page shows it without login, on a phone-width page
    public = Client().get("/suggestions/public/").content.decode()
    assert s.title in public and "已列入明年村道亮化计划" in public
    # The compilation and the exports
    compilation = staff.get("/suggestions/compilation.docx")
    assert s.number in docx_text(compilation.content)
    wb = load_workbook(io.BytesIO(staff.get("/suggestions/assignments.xlsx").content))
    assert any(row[0] == s.number for row in wb.active.iter_rows(values_only=True))
    wb = load_workbook(io.BytesIO(staff.get("/suggestions/stats.xlsx").content))
    assert list(wb.active.iter_rows(values_only=True))[0][1] == "立案数"


def test_assignment_to_a_unit_outside_the_region_is_refused_on_the_page(client_as, drive, town):
    s = drive.accepted()
    response = client_as("township").post(f"/suggestions/{s.pk}/act/assign/", {"lead_unit": town.outside_unit.pk})
    assert response.status_code == 400 and "请选择主办单位" in response.content.decode()
    response = client_as("township").post(
        f"/suggestions/{s.pk}/act/assign/", {"lead_unit": town.clerk_unit.pk, "co_units": [town.outside_unit.pk]}
    )
    assert response.status_code == 400 and "不在本建议所属区划内" in response.content.decode()
    s.refresh_from_db()
    assert s.state == State.ACCEPTED and not Assignment.objects.filter(suggestion=s).exists()


def test_list_board_and_stats_pages_keep_their_query_counts(client_as, drive, django_assert_max_num_queries):
    for _ in range(3):
        s = drive.assigned(joint=True)
        Suggestion.objects.filter(pk=s.pk).update(due_on=dt.date.today() + dt.timedelta(days=3))  # 即将到期
    staff = client_as("township")
    staff.get("/suggestions/")  # warm the session and rule caches
    with django_assert_max_num_queries(14):
        assert staff.get("/suggestions/").status_code == 200
    with django_assert_max_num_queries(16):
        assert staff.get("/suggestions/board/").status_code == 200
    with django_assert_max_num_queries(14):
        assert staff.get("/suggestions/stats/?by=unit").status_code == 200
    with django_assert_max_num_queries(12):
        assert staff.get("/api/v1/suggestions").status_code == 200
    with django_assert_max_num_queries(14):  # the four lists in full, without a query per row
        response = staff.get("/api/v1/suggestions/board")
        assert response.status_code == 200 and len(response.json()["due_soon"]) == 3


def test_session_window_page_and_a_refused_session_submission(client_as, drive):
    s = drive.draft(period="session")
    response = client_as("deputy").post(f"/suggestions/{s.pk}/act/submit/")
    assert response.status_code == 400 and "提交时段" in response.content.decode()
    staff = client_as("township")
    bad = staff.post(
        "/suggestions/windows/", {"body": drive.town.body.pk, "label": "会议", "starts_on": "2026-13-01", "ends_on": ""}
    )
    assert bad.status_code == 400 and "开始日期" in bad.content.decode()


def test_api_draft_is_idempotent_and_errors_are_chinese(client_as, town):
    deputy = client_as("deputy")
    body = {"body": town.body.pk, "title": "关于完善村道路灯设施的建议", "content": "多个村反映村道夜间照明不足。",
            "category": town.category.pk}  # fmt: skip
    first = deputy.post("/api/v1/suggestions", body, content_type="application/json", headers={"Idempotency-Key": "k1"})
    again = deputy.post("/api/v1/suggestions", body, content_type="application/json", headers={"Idempotency-Key": "k1"})
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert Suggestion.objects.filter(title=body["title"], lead_deputy=town.deputy).count() == 1
    short = deputy.post("/api/v1/suggestions", body | {"content": "太短"}, content_type="application/json")
    assert short.status_code == 400 and short.json() == {
        "detail": "建议内容太短，请把情况写清楚（至少 10 个字）",
        "field": "content",
    }
    wrong = deputy.post("/api/v1/suggestions", body | {"category": "x"}, content_type="application/json")
    assert wrong.status_code == 422 and "分类" in wrong.json()["detail"]
    pk = first.json()["id"]
    assert client_as("street").get(f"/api/v1/suggestions/{pk}").status_code in (403, 404)
    submit = deputy.post(f"/api/v1/suggestions/{pk}/submit")
    assert submit.status_code == 200 and submit.json()["state"] == "submitted"
    assert deputy.post(f"/api/v1/suggestions/{pk}/submit").status_code == 409


def test_statistics_agree_with_counts_recomputed_from_the_records(scope_of):
    from renda.demo import suggestions as demo

    summary = demo.build(scope=system_scope("演示"), seed=2026)
    assert "代表建议已生成" in summary
    assert "已有演示数据" in demo.build(scope=system_scope("演示"), seed=2026)  # idempotent
    scope = scope_of("county")
    records = list(
        selectors.suggestion_base(scope=scope)
        .filter(state__in=["accepted", "assigned", "answered", "rehandling", "closed"])
        .select_related("category", "body", "lead_unit", "region")
    )
    assert len(records) > 80
    keys = {
        "body": lambda s: s.body_id,
        "year": lambda s: s.year,
        "unit": lambda s: s.lead_unit_id,
        "region": lambda s: s.region_id,
        "category": lambda s: s.category.parent_id or s.category_id,
    }
    for dimension, key in keys.items():
        groups = defaultdict(list)
        for s in records:
            groups[key(s)].append(s)
        total, rows = selectors.statistics(scope=scope, dimension=dimension)
        assert total.count == len(records)
        assert {r.key: r.count for r in rows} == {k: len(v) for k, v in groups.items()}, dimension
        for r in rows:
            items = groups[r.key]
            answered = [s for s in items if s.answered_at]
            rated = [s for s in items if s.state == "closed" and s.outcome in ("satisfied", "basic", "unsatisfied")]
            assert r.answered == len(answered)
            assert r.on_time == sum(1 for s in answered if s.answered_on_time)
            assert r.closed == sum(1 for s in items if s.state == "closed")
            assert r.class_a == sum(1 for s in answered if s.answer_class == "A")
            assert r.rated == len(rated)
            assert r.satisfied == sum(1 for s in rated if s.outcome in ("satisfied", "basic"))
            days = [s.answer_days for s in answered if s.answer_days is not None]
            assert r.avg_days == (round(sum(days) / len(days), 1) if days else None)
    # Realistic proportions: about 91% done, about 94% satisfied (of about a hundred rated, drawn
    # afresh each day the demo is built: 84 of 96 is an ordinary draw, not a broken demo)
    assert 0.85 <= total.closed / total.count <= 0.97
    assert 0.8 <= total.satisfied / total.rated <= 0.99
    # The demo deputy and clerk have something to see
    assert selectors.suggestion_base(scope=scope_of("deputy")).count() >= 6
    assert selectors.suggestion_base(scope=scope_of("clerk")).filter(state__in=["assigned", "rehandling"]).exists()
    page = Client()
    page.force_login(scope_of("county").user)
    html = page.get("/suggestions/stats/?by=region").content.decode()
    assert f"<th>{total.count}</th>" in html


def test_who_may_open_the_pages(client_as, drive):
    s = drive.assigned()
    assert client_as("liaison").get("/suggestions/").status_code == 403
    assert client_as("street").get(f"/suggestions/{s.pk}/").status_code == 404
    assert client_as("clerk").get(f"/suggestions/{s.pk}/").status_code == 200
    assert client_as("deputy").get("/suggestions/board/").status_code == 403
    draft = client_as("deputy").post(f"/suggestions/{s.pk}/act/supervise/", {"kind": "supervise", "note": "x"})
    assert draft.status_code == 403


def test_draft_form_refuses_bad_input(client_as, town):
    before = Suggestion.objects.count()
    response = client_as("deputy").post(
        "/suggestions/new/",
        {"body": town.body.pk, "title": "", "content": "x" * 20, "category": town.category.pk, "period": "recess"},
    )
    assert response.status_code == 400 and "此项不能为空" in response.content.decode()
    response = client_as("deputy").post(
        "/suggestions/new/",
        {"body": town.body.pk, "title": "路灯", "content": "x" * 20, "category": town.category.pk, "period": "recess"},
    )
    assert response.status_code == 400 and "标题太短" in response.content.decode()
    assert Suggestion.objects.count() == before
    _ = draft_input


def test_a_unicode_digit_in_a_unit_field_is_refused_in_chinese_not_a_500(client_as, drive, town):
    # Given an accepted suggestion; when staff post a lead unit written with a superscript digit,
    # which str.isdigit() accepts but int() refuses
    s = drive.accepted()
    response = client_as("township").post(f"/suggestions/{s.pk}/act/assign/", {"lead_unit": "²", "co_units": ["³"]})
    # then the form says so in Chinese and nothing is assigned
    assert response.status_code == 400 and "请选择主办单位" in response.content.decode()
    s.refresh_from_db()
    assert s.state == State.ACCEPTED and not Assignment.objects.filter(suggestion=s).exists()


def test_a_cosigner_who_declined_no_longer_sees_the_suggestion(client_as, drive, town):
    # Given a joint draft the co-signer was invited to and can open
    s = drive.draft(joint=True)
    cosigner = client_as("cosigner")
    assert cosigner.get(f"/suggestions/{s.pk}/").status_code == 200
    # when they decline, they are sent back to their list
    response = cosigner.post(f"/suggestions/{s.pk}/act/decline/")
    assert response.status_code == 302 and response.url == "/suggestions/"
    # then they did not sign it, so it is no longer theirs to see; the lead deputy still sees it
    assert cosigner.get(f"/suggestions/{s.pk}/").status_code == 404
    assert client_as("deputy").get(f"/suggestions/{s.pk}/").status_code == 200
