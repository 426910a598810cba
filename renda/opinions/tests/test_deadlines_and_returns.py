"""The opinion loop as offices work it: two named deadlines, a promise that never moves silently,
a returned case, and the units a case is offered to (issue #13)."""

import pytest

from renda.audit.models import AuditEvent
from renda.core.rules import rule
from renda.core.workdays import add_workdays
from renda.notify.models import Notification
from renda.opinions import services
from renda.opinions.intake import today
from renda.opinions.models import Opinion, State
from renda.opinions.routing import suggested_unit, unit_choices
from renda.opinions.tests.helpers import file_case
from renda.org.models import Category

PHONE = "13912340001"


def _case(scope_of, station, village, category, text="村口路灯坏了一个月，晚上出行不方便。"):
    return file_case(
        station,
        village,
        category,
        scope=scope_of("liaison"),
        text=text,
        source="reception",
        citizen_name="李秀英",
        citizen_phone=PHONE,
        consent=True,
    )


@pytest.mark.django_db
def test_the_receipt_names_both_deadlines_and_routing_keeps_the_promise(
    scope_of, client_as, liaison_station, village, lamp_category
):
    # Given a case filed today: the township routes it by the 分办期限, the citizen is answered by the 答复期限
    opinion = _case(scope_of, liaison_station, village, lamp_category)
    assert opinion.triage_due == add_workdays(today(), int(rule("opinion.triage_workdays"))).date
    promised = add_workdays(today(), int(rule("opinion.reply_workdays"))).date
    assert opinion.deadline == promised
    page = client_as("township").get(f"/opinions/{opinion.pk}/").content.decode()
    assert 'id="triage-due"' in page and f"{opinion.triage_due:%Y-%m-%d}" in page
    assert f"{promised:%Y-%m-%d}" in page
    # When staff route it the same day without choosing a period
    unit = suggested_unit(opinion=opinion)
    services.opinion_route(scope=scope_of("township"), opinion=opinion, unit=unit)
    # Then the unit answers by the date the citizen was given, and nobody is told it moved
    opinion.refresh_from_db()
    assert opinion.state == State.ROUTED and opinion.deadline == promised
    assert not Notification.objects.filter(target_id=str(opinion.pk), body__contains="调整").exists()


@pytest.mark.django_db
def test_a_longer_period_moves_the_promise_with_an_sms_and_a_line_on_the_tracking_page(
    scope_of, liaison_station, village, lamp_category
):
    opinion = _case(scope_of, liaison_station, village, lamp_category)
    promised = opinion.deadline
    services.opinion_route(
        scope=scope_of("township"), opinion=opinion, unit=suggested_unit(opinion=opinion), workdays=20
    )
    opinion.refresh_from_db()
    assert opinion.deadline == add_workdays(today(), 20).date > promised
    sms = Notification.objects.filter(channel="sms", target_id=str(opinion.pk), body__contains="答复期限由")
    assert [n.to_address for n in sms] == [PHONE] and f"{opinion.deadline:%m月%d日}" in sms[0].body
    event = AuditEvent.objects.get(action="opinion.deadline_moved", target_id=str(opinion.pk))
    assert event.after["deadline_from"] == promised.isoformat()
    # The citizen's tracking page says so, with the new date
    from renda.opinions.selectors import citizen_steps

    labels = [label for _, label in citizen_steps(opinion=opinion)]
    assert f"答复期限调整：{opinion.deadline:%Y年%m月%d日}前答复" in labels


@pytest.mark.django_db
def test_a_returned_case_shows_why_does_not_preselect_that_unit_and_the_clerk_lands_on_the_queue(
    scope_of, client_as, liaison_station, village, lamp_category
):
    # Given a case routed to the clerk's unit
    opinion = _case(scope_of, liaison_station, village, lamp_category)
    staff = scope_of("township")
    clerk_unit = unit_choices(scope=staff, opinion=opinion).filter(roleassignment__user__username="clerk").first()
    assert suggested_unit(opinion=opinion) == clerk_unit  # 路灯 is 规划建设办's
    services.opinion_route(scope=staff, opinion=opinion, unit=clerk_unit)
    promised = Opinion.objects.get(pk=opinion.pk).deadline
    # When the clerk returns it on the case page
    clerk = client_as("clerk")
    response = clerk.post(f"/opinions/{opinion.pk}/act/return/", {"reason": "该路段路灯属县交通局管养"})
    # Then the clerk lands on their queue, not on a page they may no longer see
    assert response.status_code == 302 and response["Location"] == "/opinions/"
    assert "已退回" in clerk.get(response["Location"]).content.decode()
    # and the township sees the reason at the top, and a route form that does not pick that unit again
    page = client_as("township").get(f"/opinions/{opinion.pk}/")
    html = page.content.decode()
    assert 'id="returned-note"' in html and "该路段路灯属县交通局管养" in html
    assert html.index('id="returned-note"') < html.index("opinion-text")
    assert page.context["suggested_unit_id"] is None
    assert f"{clerk_unit.name}（曾退回）" in html
    # The promise to the citizen stands; the township has a new 分办期限
    opinion.refresh_from_db()
    assert opinion.state == State.SUBMITTED and opinion.deadline == promised
    assert opinion.triage_due == add_workdays(today(), int(rule("opinion.triage_workdays"))).date


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("category", "unit_suffix"),
    [("燃气", "燃气有限公司"), ("公交线路", "公共交通有限公司"), ("网络通信", "电信分公司"), ("供电", "供电所")],
)
def test_utilities_go_to_the_unit_that_answers_them(scope_of, liaison_station, village, category, unit_suffix):
    opinion = _case(scope_of, liaison_station, village, Category.objects.get(name=category), text="问题反映内容" * 3)
    assert suggested_unit(opinion=opinion).name.endswith(unit_suffix)


@pytest.mark.django_db
def test_the_route_form_groups_units_that_handle_the_category_first(
    scope_of, client_as, liaison_station, village, lamp_category
):
    opinion = _case(scope_of, liaison_station, village, Category.objects.get(name="燃气"))
    page = client_as("township").get(f"/opinions/{opinion.pk}/")
    groups = dict(page.context["unit_groups"])
    own = [u.name for u, _ in groups["承办此类问题的单位"]]
    assert any(n.endswith("燃气有限公司") for n in own)
    assert not any(n.endswith("规划建设办") for n in own)
    every = own + [u.name for u, _ in groups["其他单位"]]
    assert not any(n.endswith(("人民法院", "人民检察院", "监察委员会")) for n in every)


@pytest.mark.django_db
def test_the_queue_lists_cases_past_their_triage_date(scope_of, client_as, liaison_station, village, lamp_category):
    opinion = _case(scope_of, liaison_station, village, lamp_category)
    Opinion.objects.filter(pk=opinion.pk).update(triage_due=today().replace(year=today().year - 1))
    page = client_as("township").get("/opinions/?queue=triage_late")
    assert opinion.receipt_code in page.content.decode()
