"""Every transition of a suggestion and every refusal, through the services.

A refusal must say why in Chinese and change nothing: each refusal test compares the rows that
the transition would touch before and after.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from renda.audit.models import AuditEvent
from renda.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from renda.core.models import RuleSetting
from renda.core.workdays import add_months
from renda.notify.models import Notification
from renda.opinions.models import Opinion
from renda.suggestions import figures, selectors, services
from renda.suggestions.models import (
    Answer,
    Assignment,
    CongressRules,
    NumberCounter,
    Outcome,
    RatingRecord,
    Signatory,
    SignatoryStatus,
    State,
    SubmissionWindow,
    Suggestion,
)
from renda.suggestions.tests.conftest import draft_input

pytestmark = pytest.mark.django_db


def state_of(s: Suggestion) -> tuple:
    """What a refused transition must leave untouched."""
    s.refresh_from_db()
    return (
        s.state,
        s.seq,
        s.number,
        s.lead_unit_id,
        s.due_on,
        s.round,
        s.answer_class,
        s.outcome,
        Signatory.objects.filter(suggestion=s).count(),
        Assignment.objects.filter(suggestion=s, active=True).count(),
        Answer.objects.filter(suggestion=s).count(),
        RatingRecord.objects.filter(suggestion=s).count(),
        AuditEvent.objects.filter(target_type="suggestions.suggestion", target_id=str(s.pk)).count(),
    )


def messages_about(s: Suggestion) -> list[str]:
    """In-app messages (stored as rows) and SMS about one suggestion."""
    return list(
        Notification.objects.filter(target_type="suggestions.suggestion", target_id=str(s.pk)).values_list(
            "body", flat=True
        )
    )


def actions(s: Suggestion) -> list[str]:
    return list(
        AuditEvent.objects.filter(target_type="suggestions.suggestion", target_id=str(s.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )


# ------------------------------------------------------------------ 提


def test_a_joint_draft_counts_only_confirmed_cosigners_and_links_opinions(drive, town, scope_of, outbox):
    # Given two opinions the deputy can see
    opinions = list(
        selectors.linkable_opinions(scope=scope_of("deputy")).filter(region__path__startswith=town.region.path)[:2]
    )
    if len(opinions) < 2:
        from renda.opinions import intake as opinion_intake

        for text in ("村道路灯坏了很久没人修。", "晚上村口一片漆黑，老人出行不便。"):
            opinion_intake.opinion_submit(
                scope=scope_of("deputy"),
                data=opinion_intake.OpinionInput(
                    text=text,
                    region=town.deputy.region,
                    category=town.category,
                    source="visit",
                    deputy=town.deputy,
                    anonymous=True,
                ),
            )
        opinions = list(selectors.linkable_opinions(scope=scope_of("deputy"))[:2])
    # When the deputy drafts jointly from them
    s = drive.draft(joint=True, opinions=opinions)
    # Then the co-signer is invited, not counted, and told
    assert s.state == State.DRAFT
    sig = Signatory.objects.get(suggestion=s, deputy=town.cosigner)
    assert sig.status == SignatoryStatus.INVITED
    assert services._confirmed_deputy_ids(s) == [town.deputy.pk]
    assert any("邀请您联名" in m for m in messages_about(s))
    assert set(s.opinions.values_list("pk", flat=True)) == {o.pk for o in opinions}
    assert opinions[0].suggestions.filter(pk=s.pk).exists()  # the link both ways
    # When the co-signer confirms
    services.suggestion_cosign(scope=scope_of("cosigner"), suggestion=s)
    assert set(services._confirmed_deputy_ids(s)) == {town.deputy.pk, town.cosigner.pk}
    with pytest.raises(Conflict, match="已确认联名"):
        services.suggestion_cosign(scope=scope_of("cosigner"), suggestion=s)


def test_submit_refused_while_a_cosigner_has_not_confirmed(drive, scope_of, town):
    s = drive.draft(joint=True)
    before = state_of(s)
    with pytest.raises(ValidationFailed, match="尚未确认") as exc:
        services.suggestion_submit(scope=scope_of("deputy"), suggestion=s)
    assert town.cosigner.name in exc.value.message
    assert state_of(s) == before


def test_a_declined_cosigner_drops_off_and_the_suggestion_can_be_submitted(drive, scope_of, town):
    s = drive.draft(joint=True)
    services.suggestion_decline(scope=scope_of("cosigner"), suggestion=s)
    s = services.suggestion_submit(scope=scope_of("deputy"), suggestion=s)
    assert s.state == State.SUBMITTED
    assert services._confirmed_deputy_ids(s) == [town.deputy.pk]


def test_session_submission_needs_an_open_window(drive, scope_of, town):
    s = drive.draft(period="session")
    before = state_of(s)
    with pytest.raises(ValidationFailed, match="提交时段"):
        services.suggestion_submit(scope=scope_of("deputy"), suggestion=s)
    assert state_of(s) == before
    # A window that closed yesterday does not help either
    today = dt.date.today()
    services.window_create(
        scope=scope_of("township"), body=town.body, label="上次会议", starts_on=today - dt.timedelta(days=5),
        ends_on=today - dt.timedelta(days=1),
    )  # fmt: skip
    with pytest.raises(ValidationFailed, match="提交时段"):
        services.suggestion_submit(scope=scope_of("deputy"), suggestion=s)
    # An open window does
    window = services.window_create(
        scope=scope_of("township"),
        body=town.body,
        label="第十九届人民代表大会第三次会议",
        starts_on=today,
        ends_on=today,
    )
    s = services.suggestion_submit(scope=scope_of("deputy"), suggestion=s)
    assert s.state == State.SUBMITTED and s.window == window


def test_recess_submission_is_always_open(drive):
    assert drive.submitted().state == State.SUBMITTED


def test_windows_refuse_bad_dates_and_overlaps(scope_of, town):
    today = dt.date.today()
    with pytest.raises(ValidationFailed, match="截止日期不能早于"):
        services.window_create(
            scope=scope_of("township"),
            body=town.body,
            label="x会",
            starts_on=today,
            ends_on=today - dt.timedelta(days=1),
        )
    services.window_create(scope=scope_of("township"), body=town.body, label="会议", starts_on=today, ends_on=today)
    with pytest.raises(ValidationFailed, match="重叠"):
        services.window_create(
            scope=scope_of("township"), body=town.body, label="会议2", starts_on=today, ends_on=today
        )
    assert SubmissionWindow.objects.filter(body=town.body).count() == 1
    with pytest.raises(NotFound):
        services.window_create(scope=scope_of("street"), body=town.body, label="会议", starts_on=today, ends_on=today)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "", "标题不能为空"),
        ("title", "路灯", "标题太短"),
        ("title", "长" * 101, "不能超过 100 个字"),
        ("content", "太短", "建议内容太短"),
        ("category", None, "请选择建议分类"),
        ("period", "later", "请选择提出时间"),
    ],
)
def test_draft_bad_input_is_refused_and_nothing_is_created(scope_of, town, field, value, message):
    before = Suggestion.objects.count()
    with pytest.raises(ValidationFailed, match=message) as exc:
        services.suggestion_draft(scope=scope_of("deputy"), data=draft_input(town, **{field: value}))
    assert exc.value.field == field
    assert Suggestion.objects.count() == before


def test_only_deputies_of_that_congress_draft_and_cosign(scope_of, town):
    from renda.org.models import Body, BodyKind, Deputy

    other_body = Body.objects.filter(kind=BodyKind.CONGRESS, level=5).exclude(pk=town.body.pk).first()
    before = Suggestion.objects.count()
    with pytest.raises(NotFound):
        services.suggestion_draft(scope=scope_of("deputy"), data=draft_input(town, body=other_body))
    with pytest.raises(PermissionDenied):
        services.suggestion_draft(scope=scope_of("township"), data=draft_input(town))
    outsider = Deputy.objects.exclude(region__path__startswith=town.region.path).first()
    with pytest.raises(ValidationFailed, match="不能联名"):
        services.suggestion_draft(scope=scope_of("deputy"), data=draft_input(town, cosigners=[outsider]))
    with pytest.raises(ValidationFailed, match="不需要邀请自己"):
        services.suggestion_draft(scope=scope_of("deputy"), data=draft_input(town, cosigners=[town.deputy]))
    assert Suggestion.objects.count() == before


def test_only_the_lead_edits_and_submits(drive, scope_of):
    s = drive.draft(joint=True)
    services.suggestion_cosign(scope=scope_of("cosigner"), suggestion=s)
    with pytest.raises(PermissionDenied, match="领衔代表"):
        services.suggestion_submit(scope=scope_of("cosigner"), suggestion=s)
    s = services.suggestion_edit(
        scope=scope_of("deputy"), suggestion=s, data=draft_input(drive.town, title="关于全镇村道亮化工程的建议")
    )
    assert s.title == "关于全镇村道亮化工程的建议"
    assert "suggestion.edit" in actions(s)


def test_linking_an_opinion_the_deputy_cannot_see_is_refused(scope_of, town):
    from renda.opinions import intake as opinion_intake
    from renda.regions.models import Region

    village = Region.objects.filter(level=5).exclude(path__startswith=town.region.path).first()
    foreign, _ = opinion_intake.opinion_submit(
        data=opinion_intake.OpinionInput(
            text="别处的路灯坏了很久。", region=village, category=town.category, anonymous=True
        )
    )
    with pytest.raises(ValidationFailed, match="无权查看"):
        services.suggestion_draft(scope=scope_of("deputy"), data=draft_input(town, opinions=[foreign]))


# ------------------------------------------------------------------ 交


def test_accept_numbers_per_congress_and_year(drive, town):
    first = drive.accepted()
    second = drive.accepted()
    assert (first.year, second.seq) == (dt.date.today().year, first.seq + 1)
    assert first.number == f"〔{first.year}〕第{first.seq}号"
    assert first.state == State.ACCEPTED and first.assign_by and first.due_on == first.assign_by
    counter = NumberCounter.objects.get(body=town.body, year=first.year)
    assert counter.last == second.seq


def test_the_database_refuses_a_duplicate_number(drive):
    s = drive.accepted()
    other = drive.submitted()
    with pytest.raises(IntegrityError), transaction.atomic():
        Suggestion._base_manager.filter(pk=other.pk).update(seq=s.seq, year=s.year, number=s.number)


def test_return_and_resubmit(drive, scope_of, outbox):
    s = drive.submitted()
    with pytest.raises(ValidationFailed, match="退回理由不能为空"):
        services.suggestion_return(scope=scope_of("township"), suggestion=s, reason=" ")
    s = services.suggestion_return(scope=scope_of("township"), suggestion=s, reason="请补充具体的村名和路段")
    assert s.state == State.RETURNED
    assert any("退回修改" in m for m in messages_about(s))
    s = services.suggestion_submit(scope=scope_of("deputy"), suggestion=s)
    assert s.state == State.SUBMITTED and s.return_reason == ""


def test_convert_to_an_ordinary_opinion_links_both_ways(drive, scope_of):
    s = drive.submitted()
    s = services.suggestion_convert(scope=scope_of("township"), suggestion=s, reason="属于具体个案，按一般意见办理")
    assert s.state == State.CONVERTED
    opinion = Opinion.objects.get(pk=s.converted_opinion_id)
    assert opinion.converted_from_suggestion == s
    assert s.title in opinion.text
    assert "suggestion.convert" in actions(s)


def test_staff_of_another_region_and_deputies_cannot_review(drive, scope_of):
    s = drive.submitted()
    before = state_of(s)
    with pytest.raises(NotFound):
        services.suggestion_accept(scope=scope_of("street"), suggestion=s)
    with pytest.raises(PermissionDenied):
        services.suggestion_accept(scope=scope_of("deputy"), suggestion=s)
    with pytest.raises(Conflict, match="不能交办"):
        services.suggestion_assign(scope=scope_of("township"), suggestion=s, lead_unit=drive.town.clerk_unit)
    assert state_of(s) == before


def test_assign_with_a_co_unit_sets_the_legal_deadlines(drive, town, outbox):
    s = drive.assigned()
    today = dt.date.today()
    assert s.state == State.ASSIGNED and s.lead_unit == town.clerk_unit
    assert s.answer_by == add_months(today, 3) == s.due_on
    co = Assignment.objects.get(suggestion=s, role="co")
    assert co.unit == town.co_unit and co.co_due == add_months(today, 1)
    assert any("主办" in m for m in messages_about(s))


def test_wide_or_hard_cases_get_six_months_and_a_congress_can_override(drive, scope_of, town):
    s = drive.assigned(wide_or_hard=True)
    assert s.answer_by == add_months(dt.date.today(), 6)
    CongressRules.objects.create(body=town.body, answer_months=2, source="本镇规定")
    s = drive.assigned()
    assert s.answer_by == add_months(dt.date.today(), 2)


def test_assignment_outside_the_region_is_refused(drive, scope_of, town):
    from renda.org.models import HandlingUnit

    s = drive.accepted()
    before = state_of(s)
    county_unit = HandlingUnit.objects.filter(region=town.region.parent).first()
    for lead, co in [(town.outside_unit, []), (town.clerk_unit, [town.outside_unit]), (county_unit, [])]:
        with pytest.raises(ValidationFailed, match="不在本建议所属区划"):
            services.suggestion_assign(scope=scope_of("township"), suggestion=s, lead_unit=lead, co_units=co)
    with pytest.raises(ValidationFailed, match="不能同时"):
        services.suggestion_assign(
            scope=scope_of("township"), suggestion=s, lead_unit=town.clerk_unit, co_units=[town.clerk_unit]
        )
    assert state_of(s) == before


def test_key_suggestion_needs_both_leaders(drive, scope_of):
    s = drive.assigned()
    with pytest.raises(ValidationFailed, match="督办领导不能为空"):
        services.suggestion_mark_key(scope=scope_of("township"), suggestion=s, is_key=True, gov_leader="副镇长 王强")
    s = services.suggestion_mark_key(
        scope=scope_of("township"), suggestion=s, is_key=True, gov_leader="副镇长 王强", congress_leader="人大主席 李明"
    )
    assert s.is_key and s.key_congress_leader == "人大主席 李明"


def test_supervision_notes_go_on_the_timeline(drive, scope_of):
    s = drive.assigned()
    services.suggestion_supervise(
        scope=scope_of("township"), suggestion=s, kind="supervise", note="电话督促主办单位加快进度"
    )
    services.suggestion_supervise(scope=scope_of("township"), suggestion=s, kind="visit", note="代表实地回访路灯安装")
    assert {"suggestion.supervise_supervise", "suggestion.supervise_visit"} <= set(actions(s))
    with pytest.raises(ValidationFailed, match="不能晚于今天"):
        services.suggestion_supervise(
            scope=scope_of("township"), suggestion=s, kind="visit", note="x", on=dt.date.today() + dt.timedelta(days=1)
        )
    with pytest.raises(ValidationFailed, match="督办方式"):
        services.suggestion_supervise(scope=scope_of("township"), suggestion=s, kind="phone", note="x")


# ------------------------------------------------------------------ 办


def test_a_unit_objects_within_the_period_and_the_office_reassigns(drive, scope_of, town):
    s = drive.assigned()
    s = services.suggestion_object(scope=scope_of("clerk"), suggestion=s, reason="路灯归供电所管理，非本单位职责")
    assert s.state == State.ACCEPTED and s.lead_unit is None
    assert not Assignment.objects.filter(suggestion=s, active=True).exists()
    # The clerk's unit no longer sees it
    assert not selectors.suggestion_base(scope=scope_of("clerk")).filter(pk=s.pk).exists()
    s = services.suggestion_assign(scope=scope_of("township"), suggestion=s, lead_unit=town.co_unit)
    assert s.state == State.ASSIGNED and s.lead_unit == town.co_unit


def test_an_objection_after_the_period_is_refused(drive, scope_of):
    s = drive.assigned()
    Assignment.objects.filter(suggestion=s).update(object_by=dt.date.today() - dt.timedelta(days=1))
    before = state_of(s)
    with pytest.raises(ValidationFailed, match="已超过提出异议的期限"):
        services.suggestion_object(scope=scope_of("clerk"), suggestion=s, reason="非本单位职责")
    assert state_of(s) == before


def test_co_unit_opinion_only_from_the_co_unit(drive, scope_of, town, outbox):
    from renda.accounts.models import Role
    from renda.accounts.services import role_grant, user_create
    from renda.core.scoping import scope_for_user, system_scope

    s = drive.assigned()
    with pytest.raises(Conflict, match="协办意见由协办单位提出"):
        services.suggestion_co_opinion(scope=scope_of("clerk"), suggestion=s, text="协办意见")
    user = user_create(
        scope=system_scope(), username="co_clerk", password="x", display_name="财政所", check_password=False
    )
    role_grant(scope=system_scope(), user=user, role=Role.UNIT_CLERK, unit=town.co_unit)
    a = services.suggestion_co_opinion(scope=scope_for_user(user), suggestion=s, text="财政所同意安排路灯维护经费。")
    assert a.co_opinion.startswith("财政所") and a.co_opinion_at
    with pytest.raises(ValidationFailed, match="协办意见不能为空"):
        services.suggestion_co_opinion(scope=scope_for_user(user), suggestion=s, text="")


def test_answer_needs_a_contact_a_class_and_text(drive, scope_of):
    s = drive.assigned()
    before = state_of(s)
    with pytest.raises(ValidationFailed, match="联系代表"):
        services.suggestion_answer(
            scope=scope_of("clerk"), suggestion=s, answer_class="A", text="已全部修复完成，群众满意。"
        )
    drive.contact(s)
    before = state_of(s)
    with pytest.raises(ValidationFailed, match="请选择答复类别"):
        services.suggestion_answer(
            scope=scope_of("clerk"), suggestion=s, answer_class="", text="已全部修复完成，群众满意。"
        )
    with pytest.raises(ValidationFailed, match="答复类别应为"):
        services.suggestion_answer(
            scope=scope_of("clerk"), suggestion=s, answer_class="E", text="已全部修复完成，群众满意。"
        )
    with pytest.raises(ValidationFailed, match="答复内容太短"):
        services.suggestion_answer(scope=scope_of("clerk"), suggestion=s, answer_class="A", text="好的")
    bad = SimpleUploadedFile("letter.pdf", b"%PDF-1.4", content_type="application/pdf")
    with pytest.raises(ValidationFailed, match="Word"):
        services.suggestion_answer(
            scope=scope_of("clerk"), suggestion=s, answer_class="A", text="已全部修复完成，群众满意。", letter=bad
        )
    with pytest.raises(PermissionDenied):
        services.suggestion_answer(scope=scope_of("township"), suggestion=s, answer_class="A", text="已全部修复完成。")
    assert state_of(s) == before


def test_province_with_only_abc_refuses_class_d(drive, scope_of):
    RuleSetting.objects.create(key="suggestion.answer_classes", value="ABC", note="本省规定")
    from renda.core.rules import rule_changed

    rule_changed("suggestion.answer_classes")
    s = drive.assigned()
    drive.contact(s)
    with pytest.raises(ValidationFailed, match="A、B、C"):
        services.suggestion_answer(scope=scope_of("clerk"), suggestion=s, answer_class="D", text="留作参考，今后研究。")


def test_one_answer_reaches_every_signatory(drive, scope_of, town, outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        s = drive.answered(joint=True)
    assert s.state == State.ANSWERED and s.answer_class == "B" and s.promise_open and s.answered_on_time
    answer = Answer.objects.get(suggestion=s)
    assert answer.letter.name.endswith(".docx")
    told = {m["to"] for m in outbox if "已由" in m["body"] and "答复" in m["body"]}
    assert town.deputy.phone in told and town.cosigner.phone in told


def test_an_uploaded_letter_replaces_the_generated_one(drive, scope_of):
    from renda.suggestions.documents import answer_letter_docx

    s = drive.assigned()
    drive.contact(s)
    edited = answer_letter_docx(
        suggestion=s, unit=s.lead_unit, answer_class="A", text="修改后的答复函正文。", on=dt.date.today()
    )
    upload = SimpleUploadedFile("答复函.docx", edited)
    answer = services.suggestion_answer(
        scope=scope_of("clerk"), suggestion=s, answer_class="A", text="路灯已全部安装到位。", letter=upload
    )
    assert answer.letter_uploaded and answer.letter.read() == edited


# ------------------------------------------------------------------ 评


def test_unsatisfied_rehandles_once_then_closes(drive, scope_of, town):
    s = drive.answered("B")
    with pytest.raises(ValidationFailed, match="写明理由"):
        services.suggestion_rate(scope=scope_of("deputy"), suggestion=s, attitude="satisfied", result="unsatisfied")
    services.suggestion_rate(
        scope=scope_of("deputy"), suggestion=s, attitude="basic", result="unsatisfied", comment="只列入计划，没有时间表"
    )
    s.refresh_from_db()
    assert s.state == State.REHANDLING and s.round == 2
    assert s.reanswer_by == add_months(dt.date.today(), 1) == s.due_on
    drive.contact(s)
    services.suggestion_answer(
        scope=scope_of("clerk"), suggestion=s, answer_class="A", text="已于本月完成全部路灯安装。"
    )
    s.refresh_from_db()
    assert s.answer_class == "A" and not s.promise_open and s.state == State.ANSWERED
    # Unsatisfied again: it closes anyway, counted by its outcome
    services.suggestion_rate(
        scope=scope_of("deputy"), suggestion=s, attitude="unsatisfied", result="unsatisfied", comment="质量差"
    )
    s.refresh_from_db()
    assert s.state == State.CLOSED and s.outcome == Outcome.UNSATISFIED
    assert actions(s)[-1] == "suggestion.close"


def test_a_second_rating_of_the_same_round_is_refused(drive, scope_of):
    s = drive.answered("A", joint=True)
    services.suggestion_rate(scope=scope_of("cosigner"), suggestion=s, attitude="satisfied", result="satisfied")
    before = state_of(s)
    with pytest.raises(Conflict, match="不能"):
        services.suggestion_rate(scope=scope_of("deputy"), suggestion=s, attitude="satisfied", result="satisfied")
    assert state_of(s) == before


def test_only_signatories_rate(drive, scope_of):
    from renda.accounts.models import Role
    from renda.accounts.services import role_grant, user_create
    from renda.core.scoping import scope_for_user, system_scope
    from renda.org.models import Deputy

    s = drive.answered("A")
    other = (
        Deputy.objects.filter(region__path__startswith=drive.town.region.path)
        .exclude(pk__in=[drive.town.deputy.pk, drive.town.cosigner.pk])
        .first()
    )
    user = user_create(scope=system_scope(), username="other_dep", password="x", display_name="x", check_password=False)
    role_grant(scope=system_scope(), user=user, role=Role.DEPUTY, deputy=other)
    before = state_of(s)
    with pytest.raises(NotFound):
        services.suggestion_rate(scope=scope_for_user(user), suggestion=s, attitude="satisfied", result="satisfied")
    with pytest.raises(ValidationFailed, match="办理态度"):
        services.suggestion_rate(scope=scope_of("deputy"), suggestion=s, attitude="great", result="satisfied")
    assert state_of(s) == before


def test_promises_stay_on_the_follow_up_list_until_done(drive, scope_of):
    s = drive.answered("C")
    services.suggestion_rate(scope=scope_of("deputy"), suggestion=s, attitude="satisfied", result="basic")
    # Years later, after a change of term, it is still listed
    figures.update_counted(Suggestion.objects.filter(pk=s.pk), year=2019)
    assert selectors.followups(scope=scope_of("township")).filter(pk=s.pk).exists()
    assert selectors.followups(scope=scope_of("clerk")).filter(pk=s.pk).exists()
    with pytest.raises(ValidationFailed, match="落实情况不能为空"):
        services.suggestion_promise_done(scope=scope_of("clerk"), suggestion=s, note="")
    services.suggestion_promise_done(scope=scope_of("clerk"), suggestion=s, note="路灯已于今年安装完毕")
    assert not selectors.followups(scope=scope_of("township")).filter(pk=s.pk).exists()
    with pytest.raises(Conflict):
        services.suggestion_promise_done(scope=scope_of("clerk"), suggestion=s, note="again")


def test_publish_consent_by_the_lead(drive, scope_of):
    s = drive.answered("A", joint=True)
    with pytest.raises(PermissionDenied):
        services.suggestion_publish(scope=scope_of("cosigner"), suggestion=s, publish=True)
    services.suggestion_publish(scope=scope_of("deputy"), suggestion=s, publish=True)
    assert selectors.public_answers().filter(pk=s.pk).exists()


# ------------------------------------------------------------------ withdrawal


def test_a_joint_suggestion_is_withdrawn_only_when_every_signatory_consents(drive, scope_of):
    s = drive.accepted(joint=True)
    s = services.suggestion_withdraw(scope=scope_of("deputy"), suggestion=s, reason="问题已由村里自行解决")
    assert s.state == State.ACCEPTED and s.withdraw_requested_at
    with pytest.raises(Conflict, match="已申请撤回"):
        services.suggestion_withdraw(scope=scope_of("deputy"), suggestion=s, reason="again")
    s = services.suggestion_consent_withdraw(scope=scope_of("cosigner"), suggestion=s)
    assert s.state == State.WITHDRAWN
    with pytest.raises(Conflict):
        services.suggestion_consent_withdraw(scope=scope_of("cosigner"), suggestion=s)


def test_a_sole_suggestion_is_withdrawn_at_once_but_not_after_the_answer(drive, scope_of):
    s = services.suggestion_withdraw(scope=scope_of("deputy"), suggestion=drive.submitted(), reason="重复提出")
    assert s.state == State.WITHDRAWN
    answered = drive.answered("A")
    with pytest.raises(Conflict, match="不能申请撤回"):
        services.suggestion_withdraw(scope=scope_of("deputy"), suggestion=answered, reason="x")


# ------------------------------------------------------------------ visibility


def test_who_sees_what(drive, scope_of, town):
    s = drive.assigned(joint=True)
    draft = drive.draft()
    for who in ("deputy", "cosigner", "clerk", "township", "county", "city", "admin"):
        assert selectors.suggestion_base(scope=scope_of(who)).filter(pk=s.pk).exists(), who
    for who in ("street",):
        assert not selectors.suggestion_base(scope=scope_of(who)).filter(pk=s.pk).exists(), who
    # Drafts are the deputy's own work until submitted
    assert selectors.suggestion_base(scope=scope_of("deputy")).filter(pk=draft.pk).exists()
    assert not selectors.suggestion_base(scope=scope_of("township")).filter(pk=draft.pk).exists()
    assert not selectors.suggestion_base(scope=scope_of("cosigner")).filter(pk=draft.pk).exists()
    with pytest.raises(PermissionDenied):
        selectors.suggestion_base(scope=scope_of("liaison"))


# ------------------------------------------------------------------ sweep


def test_sweep_marks_overdue_reminds_and_closes_unrated(drive, scope_of, outbox):
    overdue = drive.assigned()
    Suggestion.objects.filter(pk=overdue.pk).update(due_on=dt.date.today() - dt.timedelta(days=1))
    soon = drive.assigned()
    Suggestion.objects.filter(pk=soon.pk).update(due_on=dt.date.today() + dt.timedelta(days=3))
    unrated = drive.answered("A")
    Answer.objects.filter(suggestion=unrated).update(created_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    report = services.suggestions_sweep()
    assert report.overdue >= 1 and report.reminded >= 1 and report.closed_unrated >= 1
    overdue.refresh_from_db()
    unrated.refresh_from_db()
    assert overdue.is_overdue and "suggestion.overdue" in actions(overdue)
    assert unrated.state == State.CLOSED and unrated.outcome == Outcome.UNRATED
    assert any("即将到期" in m for m in messages_about(soon))
    again = services.suggestions_sweep()
    assert (again.overdue, again.reminded, again.closed_unrated) == (0, 0, 0)


def test_editing_the_text_after_cosigners_confirmed_asks_them_again(drive, scope_of, town):
    s = drive.draft(joint=True)
    services.suggestion_cosign(scope=scope_of("cosigner"), suggestion=s)
    # A change of period alone is not a change of what they signed
    services.suggestion_edit(scope=scope_of("deputy"), suggestion=s, data=draft_input(town, period="session"))
    assert Signatory.objects.get(suggestion=s, deputy=town.cosigner).status == SignatoryStatus.CONFIRMED
    # A changed text is
    services.suggestion_edit(
        scope=scope_of("deputy"), suggestion=s, data=draft_input(town, title="关于完善村道和小区路灯的建议")
    )
    assert Signatory.objects.get(suggestion=s, deputy=town.cosigner).status == SignatoryStatus.INVITED
    assert any("请重新确认是否联名" in m for m in messages_about(s))
    with pytest.raises(ValidationFailed, match="尚未确认"):
        services.suggestion_submit(scope=scope_of("deputy"), suggestion=s)
    services.suggestion_cosign(scope=scope_of("cosigner"), suggestion=s)
    assert services.suggestion_submit(scope=scope_of("deputy"), suggestion=s).state == State.SUBMITTED
