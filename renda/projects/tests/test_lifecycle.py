"""The four lists end to end through the services: 群众点单 → 代表定单 → 政府买单 → 人大验单."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from renda.audit.models import AuditEvent
from renda.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from renda.core.models import RuleSetting
from renda.core.rules import rule_changed
from renda.notify.models import Notification
from renda.projects import delivery, lists, proposals, services
from renda.projects.models import (
    Candidate,
    CandidateState,
    ListState,
    Project,
    ProjectRating,
    ProjectState,
    Proposal,
    ProposalState,
)
from renda.projects.tests.helpers import clerk_unit, elect, make_list, open_session, plan
from renda.voting.models import Vote

pytestmark = pytest.mark.django_db


def _proposal(township, **kw):  # type: ignore[no-untyped-def]
    data = {"title": "村口修一座公厕", "text": "村口集市人多，没有公共厕所，希望新建一座。", "region": township}
    data.update(kw)
    return proposals.ProposalInput(**data)


# ------------------------------------------------------------------ 群众点单


def test_citizen_proposal_is_filed_for_the_collecting_year_and_staff_are_told(township):
    proposal, created = proposals.proposal_submit(data=_proposal(township), idempotency_key="k1", client_ip="1.2.3.4")
    assert created and proposal.state == ProposalState.SUBMITTED
    assert proposal.year == services.proposal_year()
    assert AuditEvent.objects.filter(action="proposal.submit", target_id=str(proposal.pk)).exists()
    assert Notification.objects.filter(target_id=str(proposal.pk), body__contains="村口修一座公厕").exists()


def test_replayed_key_returns_the_first_proposal_and_different_content_is_refused(township):
    first, _ = proposals.proposal_submit(data=_proposal(township), idempotency_key="same", client_ip="1.2.3.4")
    again, created = proposals.proposal_submit(data=_proposal(township), idempotency_key="same", client_ip="1.2.3.4")
    assert again.pk == first.pk and not created
    with pytest.raises(Conflict, match="内容不同"):
        proposals.proposal_submit(
            data=_proposal(township, title="另一件事情要办"), idempotency_key="same", client_ip="1.2.3.4"
        )
    assert Proposal.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": ""}, "title", "项目名称不能为空"),
        ({"title": "厕所"}, "title", "太短"),
        ({"title": "长" * 61}, "title", "不能超过 60 个字"),
        ({"text": ""}, "text", "内容与理由不能为空"),
        ({"text": "字" * 2001}, "text", "不能超过 2000 个字"),
        ({"citizen_phone": "12345"}, "citizen_phone", "格式不正确"),
        ({"citizen_phone": "13912345678"}, "consent", "请勾选同意"),
    ],
)
def test_bad_proposals_are_refused_in_chinese_and_nothing_is_stored(township, changes, field, message):
    before = Proposal.objects.count()
    with pytest.raises(ValidationFailed, match=message) as exc:
        proposals.proposal_submit(data=_proposal(township, **changes), client_ip="1.2.3.4")
    assert exc.value.field == field
    assert Proposal.objects.count() == before


def test_citizens_are_rate_limited_per_address(township):
    for i in range(10):
        proposals.proposal_submit(data=_proposal(township, title=f"第{i}件民生实事"), client_ip="9.9.9.9")
    with pytest.raises(Exception, match="提交过于频繁"):
        proposals.proposal_submit(data=_proposal(township, title="第十一件民生实事"), client_ip="9.9.9.9")
    assert Proposal.objects.count() == 10


def test_liaison_enters_for_own_station_only(scope_of, township, user_named):
    from renda.accounts.models import RoleAssignment
    from renda.org.models import Station

    liaison = scope_of("liaison")
    own = RoleAssignment.objects.get(user=user_named("liaison")).station
    p = proposals.proposal_enter(scope=liaison, data=_proposal(township, station=own))
    assert p.source == "station" and p.station == own
    other = Station.objects.filter(region__path__startswith=township.path).exclude(pk=own.pk).first()
    with pytest.raises(PermissionDenied):
        proposals.proposal_enter(scope=liaison, data=_proposal(township, station=other))


def test_another_townships_region_is_not_found(scope_of, other_township):
    with pytest.raises(NotFound):
        proposals.proposal_enter(scope=scope_of("township"), data=_proposal(other_township))
    assert not Proposal.objects.exists()


def test_screening_needs_a_reason_and_merging_links_both_ways(scope_of, township):
    staff = scope_of("township")
    a, _ = proposals.proposal_submit(data=_proposal(township), client_ip="1.1.1.1")
    b, _ = proposals.proposal_submit(data=_proposal(township, title="村口建公共厕所"), client_ip="1.1.1.2")
    with pytest.raises(ValidationFailed, match="筛选意见不能为空"):
        proposals.proposal_screen(scope=staff, proposal=a, decision="accept", reason=" ")
    proposals.proposal_screen(scope=staff, proposal=a, decision="accept", reason="群众呼声高，投资可控")
    proposals.proposal_merge(scope=staff, proposal=b, into=a, reason="同一事项")
    b.refresh_from_db()
    assert b.state == ProposalState.MERGED and b.merged_into == a
    assert list(a.merged_proposals.all()) == [b]
    assert AuditEvent.objects.filter(action="proposal.absorb", target_id=str(a.pk)).exists()
    with pytest.raises(Conflict):
        proposals.proposal_merge(scope=staff, proposal=b, into=a, reason="再合并一次")


def test_a_unit_clerk_cannot_screen(scope_of, township):
    a, _ = proposals.proposal_submit(data=_proposal(township), client_ip="1.1.1.1")
    with pytest.raises(PermissionDenied):
        proposals.proposal_screen(scope=scope_of("clerk"), proposal=a, decision="reject", reason="不行")
    a.refresh_from_db()
    assert a.state == ProposalState.SUBMITTED


# ------------------------------------------------------------------ 代表定单


def test_a_list_without_the_margin_cannot_be_fixed(scope_of, township):
    staff = scope_of("township")
    c = make_list(staff, township, seats=3, n=3)
    with pytest.raises(ValidationFailed, match="差额票决要求候选项目至少 4 个"):
        lists.list_fix(scope=staff, candidate_list=c)
    c.refresh_from_db()
    assert c.state == ListState.DRAFT
    assert not AuditEvent.objects.filter(action="list.fix").exists()


def test_the_margin_follows_the_configured_ratio(scope_of, township):
    RuleSetting.objects.create(key="project.min_candidate_ratio", value="2", note="20 选 10")
    rule_changed("project.min_candidate_ratio")
    assert lists.margin_problem(candidates=19, seats=10)
    assert not lists.margin_problem(candidates=20, seats=10)
    RuleSetting.objects.filter(key="project.min_candidate_ratio").update(value="1")
    rule_changed("project.min_candidate_ratio")
    assert not lists.margin_problem(candidates=8, seats=7)
    assert lists.margin_problem(candidates=7, seats=7)


def test_candidates_need_a_unit_of_the_township_and_a_valid_budget(scope_of, township, other_township):
    from renda.org.models import HandlingUnit

    staff = scope_of("township")
    c = lists.list_create(scope=staff, region=township, year=2027, seats=1, method="choose_n")
    outside = HandlingUnit.objects.filter(region=other_township).first()
    with pytest.raises(ValidationFailed, match="本乡镇/街道的单位"):
        lists.candidate_add(scope=staff, candidate_list=c, name="路灯", content="装路灯", budget="1", lead_unit=outside)
    for bad, message in [("", "不能为空"), ("abc", "应为金额"), ("-5", "0 以上"), ("1.234", "两位小数")]:
        with pytest.raises(ValidationFailed, match=message):
            lists.candidate_add(
                scope=staff, candidate_list=c, name="路灯", content="装路灯", budget=bad, lead_unit=clerk_unit(township)
            )
    assert not Candidate.objects.filter(candidate_list=c).exists()


def test_the_published_vote_makes_the_elected_candidates_projects(scope_of, township, outbox):
    staff = scope_of("township")
    a, _ = proposals.proposal_submit(data=_proposal(township, title="村道路灯改造工程"), client_ip="1.1.1.1")
    c = lists.list_create(scope=staff, region=township, year=a.year, seats=2, method="choose_n")
    for i, (name, content) in enumerate(
        [("村道路灯改造", "装路灯"), ("农贸市场提升", "改市场"), ("老年食堂", "建食堂")]
    ):
        lists.candidate_add(
            scope=staff,
            candidate_list=c,
            name=name,
            content=content,
            budget=Decimal("100000"),
            lead_unit=clerk_unit(township),
            proposals=[a] if i == 0 else [],
        )
    a.refresh_from_db()
    assert a.state == ProposalState.LISTED
    projects = elect(staff, c)
    c.refresh_from_db()
    assert c.state == ListState.DECIDED and c.vote is not None
    assert [p.name for p in projects] == ["村道路灯改造", "农贸市场提升"]
    assert all(p.state == ProjectState.ELECTED for p in projects)
    loser = c.candidates.get(name="老年食堂")
    assert loser.state == CandidateState.NOT_ELECTED
    assert loser.result["rounds"][0]["yes"] == 0
    winner = c.candidates.get(name="村道路灯改造")
    assert winner.result["rounds"][0]["yes"] == c.vote.meeting.attendees.filter(status="present").count()
    assert Notification.objects.filter(body__contains="经代表票决入选").count() >= 2
    assert AuditEvent.objects.filter(action="list.decide", target_id=str(c.pk)).exists()


def test_a_vote_without_our_refs_is_ignored(scope_of, township):
    vote = Vote(pk=999999)
    assert lists.apply_vote_result(vote=vote, elected_refs=["other:1"], not_elected_refs=["x"]) is None


def test_a_fixed_list_cannot_be_edited(scope_of, township):
    staff = scope_of("township")
    c = make_list(staff, township, seats=2, n=3)
    lists.list_fix(scope=staff, candidate_list=c)
    with pytest.raises(Conflict, match="主席团已确定"):
        lists.candidate_add(
            scope=staff, candidate_list=c, name="新项目", content="内容", budget="1", lead_unit=clerk_unit(township)
        )


def test_the_vote_goes_to_a_meeting_of_the_lists_body(scope_of, township, other_township):
    staff = scope_of("county")
    c = make_list(staff, township, seats=2, n=3)
    lists.list_fix(scope=staff, candidate_list=c)
    other = make_list(staff, other_township, seats=2, n=3)
    meeting = open_session(staff, other, present=0)
    with pytest.raises(ValidationFailed, match="的会议"):
        lists.list_put_to_vote(scope=staff, candidate_list=c, meeting=meeting)
    c.refresh_from_db()
    assert c.state == ListState.FIXED and c.vote_id is None


# ------------------------------------------------------------------ 政府买单


@pytest.fixture
def project(scope_of, township) -> Project:  # type: ignore[no-untyped-def]
    c = make_list(scope_of("township"), township, seats=2, n=3)
    return elect(scope_of("township"), c)[0]


def test_the_lead_unit_plans_and_reports_progress(scope_of, project):
    clerk = scope_of("clerk")
    plan(clerk, project)
    project.refresh_from_db()
    assert project.state == ProjectState.IN_PROGRESS and project.milestones.count() == 2
    delivery.project_report(scope=clerk, project=project, percent=50, text="已完成设计和招标")
    project.refresh_from_db()
    assert project.progress == 50
    delivery.project_report(scope=clerk, project=project, percent="100", text="已全部完工")
    project.refresh_from_db()
    assert project.state == ProjectState.COMPLETED


def test_milestone_weights_must_add_up(scope_of, project):
    day = timezone.localdate()
    with pytest.raises(ValidationFailed, match="合计应为 100%"):
        delivery.project_plan(
            scope=scope_of("clerk"),
            project=project,
            budget="1",
            plan_text="计划",
            completion_date=day + dt.timedelta(days=60),
            milestones=[delivery.MilestoneInput("设计", day + dt.timedelta(days=10), 30)],
        )
    project.refresh_from_db()
    assert project.state == ProjectState.ELECTED and not project.milestones.exists()


def test_progress_by_a_unit_that_does_not_lead_the_project_is_refused(scope_of, township, project, system):
    from renda.accounts.services import role_grant, user_create
    from renda.org.models import HandlingUnit

    other_unit = HandlingUnit.objects.filter(region=township).exclude(pk=project.lead_unit_id).first()
    user = user_create(
        scope=system, username="other_clerk", password="x", display_name="别的单位", check_password=False
    )
    role_grant(scope=system, user=user, role="unit_clerk", unit=other_unit)
    from renda.core.scoping import scope_for_user

    plan(scope_of("clerk"), project)
    with pytest.raises(PermissionDenied, match="只有责任单位"):
        delivery.project_report(scope=scope_for_user(user), project=project, percent=10, text="我们来报告一下")
    project.refresh_from_db()
    assert project.progress == 0 and not project.reports.exists()


def test_progress_cannot_go_backwards_or_exceed_100(scope_of, project):
    clerk = scope_of("clerk")
    plan(clerk, project)
    delivery.project_report(scope=clerk, project=project, percent=40, text="完成四成工作")
    for bad in (30, 101, "abc", ""):
        with pytest.raises(ValidationFailed):
            delivery.project_report(scope=clerk, project=project, percent=bad, text="再报告一次")
    assert project.reports.count() == 1


def test_a_non_image_upload_is_refused(scope_of, project):
    from django.core.files.uploadedfile import SimpleUploadedFile

    clerk = scope_of("clerk")
    plan(clerk, project)
    fake = SimpleUploadedFile("site.jpg", b"not an image at all", content_type="image/jpeg")
    with pytest.raises(ValidationFailed, match="不是有效的图片"):
        delivery.project_report(scope=clerk, project=project, percent=10, text="开工了，见照片", photos=[fake])
    assert not project.reports.exists()


def test_photos_lose_their_exif(scope_of, project):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from renda.opinions.tests.conftest import jpeg_bytes

    clerk = scope_of("clerk")
    plan(clerk, project)
    photo = SimpleUploadedFile("site.jpg", jpeg_bytes(exif=True), content_type="image/jpeg")
    report = delivery.project_report(scope=clerk, project=project, percent=10, text="开工了，见照片", photos=[photo])
    stored = report.photos.get().image.read()
    assert b"SecretPhoneMaker" not in stored


def test_the_sweep_flags_a_project_behind_its_milestones_once(scope_of, project, township):
    clerk = scope_of("clerk")
    plan(clerk, project)
    later = timezone.localdate() + dt.timedelta(days=45)  # the 40% milestone is due
    report = delivery.projects_sweep(on=later)
    assert report.flagged == 1
    project.refresh_from_db()
    assert project.is_behind
    assert Notification.objects.filter(body__contains="进度滞后").count() >= 2  # unit and staff
    assert delivery.projects_sweep(on=later).flagged == 0
    delivery.project_report(scope=clerk, project=project, percent=40, text="设计和招标已完成")
    project.refresh_from_db()
    assert not project.is_behind
    assert AuditEvent.objects.filter(action="project.caught_up", target_id=str(project.pk)).exists()
    assert delivery.projects_sweep(on=later) == delivery.SweepReport(flagged=0, cleared=0)


# ------------------------------------------------------------------ 人大验单


def _rate_many(project, grades):  # type: ignore[no-untyped-def]
    from renda.core.scoping import Perm, Scope

    body = services.voting_body(project.region)
    deputies = list(services.entitled_deputies(body).order_by("id")[: len(grades)])
    for deputy, grade in zip(deputies, grades, strict=True):
        scope = Scope(
            user_id=None,
            system_label="测试代表",
            roots=[project.region.path],
            perms={Perm.PROJECT_RATE, Perm.PROJECT_VIEW},
        )
        scope.deputy_ids = {deputy.pk}
        delivery.project_rate(
            scope=scope, project=project, grade=grade, comment="" if grade != "unsatisfied" else "进度慢"
        )


def test_a_deputy_rates_once_per_round(scope_of, project, demo_deputy):
    staff, deputy = scope_of("township"), scope_of("deputy")
    with pytest.raises(Conflict):  # not before the project is under way
        delivery.project_open_rating(scope=staff, project=project)
    plan(scope_of("clerk"), project)
    delivery.project_open_rating(scope=staff, project=project)
    delivery.project_rate(scope=deputy, project=project, grade="satisfied")
    with pytest.raises(Conflict, match="已经测评过"):
        delivery.project_rate(scope=deputy, project=project, grade="basic")
    assert ProjectRating.objects.filter(project=project).count() == 1
    assert AuditEvent.objects.filter(action="project.rate", target_id=str(project.pk)).count() == 1


def test_unsatisfied_needs_a_comment_and_a_grade_is_required(scope_of, project):
    plan(scope_of("clerk"), project)
    delivery.project_open_rating(scope=scope_of("township"), project=project)
    with pytest.raises(ValidationFailed, match="写明意见"):
        delivery.project_rate(scope=scope_of("deputy"), project=project, grade="unsatisfied")
    with pytest.raises(ValidationFailed, match="请选择满意"):
        delivery.project_rate(scope=scope_of("deputy"), project=project, grade="great")
    assert not ProjectRating.objects.exists()


def test_a_clerk_cannot_rate(scope_of, project):
    plan(scope_of("clerk"), project)
    delivery.project_open_rating(scope=scope_of("township"), project=project)
    with pytest.raises(PermissionDenied):
        delivery.project_rate(scope=scope_of("clerk"), project=project, grade="satisfied")


def test_below_the_threshold_the_project_goes_to_rectification_and_a_second_rating(scope_of, project):
    staff, clerk = scope_of("township"), scope_of("clerk")
    plan(clerk, project)
    delivery.project_report(scope=clerk, project=project, percent=100, text="已全部完工")
    delivery.project_open_rating(scope=staff, project=project)
    _rate_many(project, ["satisfied", "unsatisfied", "unsatisfied", "basic", "unsatisfied"])  # 2/5 = 40%
    delivery.project_close_rating(scope=staff, project=project)
    project.refresh_from_db()
    assert project.state == ProjectState.RECTIFYING and project.satisfaction == Decimal("0.4")
    r = project.rectifications.get()
    assert "进度慢" in r.requirement and r.due_date > timezone.localdate()
    assert Notification.objects.filter(body__contains="请于").exists()
    with pytest.raises(Conflict):
        delivery.project_open_rating(scope=staff, project=project)
    delivery.project_rectify_report(scope=clerk, project=project, text="已补装路灯 20 盏，完善了维护制度")
    project.refresh_from_db()
    assert project.state == ProjectState.RECTIFIED
    delivery.project_open_rating(scope=staff, project=project)
    project.refresh_from_db()
    assert project.rating_round == 2
    _rate_many(project, ["satisfied", "satisfied", "basic", "unsatisfied", "satisfied"])  # 80%
    delivery.project_close_rating(scope=staff, project=project)
    project.refresh_from_db()
    assert project.state == ProjectState.ACCEPTED and project.satisfaction == Decimal("0.8")
    actions = list(
        AuditEvent.objects.filter(target_type="projects.project", target_id=str(project.pk)).values_list(
            "action", flat=True
        )
    )
    assert actions[:2] == ["project.elect", "project.plan"]
    assert "project.rectify" in actions and actions[-1] == "project.accept"


def test_closing_a_round_without_ratings_is_refused(scope_of, project):
    staff = scope_of("township")
    plan(scope_of("clerk"), project)
    delivery.project_open_rating(scope=staff, project=project)
    with pytest.raises(Conflict, match="尚无代表测评"):
        delivery.project_close_rating(scope=staff, project=project)
    project.refresh_from_db()
    assert project.state == ProjectState.RATING


def test_a_deputy_of_another_body_cannot_rate(scope_of, project, other_township):
    from renda.core.scoping import Perm, Scope
    from renda.org.models import Deputy

    staff = scope_of("township")
    plan(scope_of("clerk"), project)
    delivery.project_open_rating(scope=staff, project=project)
    outsider = Deputy.objects.filter(region__path__startswith=other_township.path).first()
    scope = Scope(user_id=None, roots=[project.region.path], perms={Perm.PROJECT_RATE})
    scope.deputy_ids = {outsider.pk}
    with pytest.raises(PermissionDenied, match="不是本级代表"):
        delivery.project_rate(scope=scope, project=project, grade="satisfied")
    assert not ProjectRating.objects.exists()


@pytest.mark.parametrize("bad", ["²", "٣", "1" * 5000, "-1", "101", "9.5"])
def test_a_score_that_is_not_plain_digits_is_refused_in_chinese(scope_of, project, bad):
    # Given a scored round (rule project.rating_mode = score) open on an elected project
    RuleSetting.objects.create(key="project.rating_mode", value="score", note="评分测评")
    rule_changed("project.rating_mode")
    plan(scope_of("clerk"), project)
    delivery.project_open_rating(scope=scope_of("township"), project=project)
    # When the deputy sends a score that is not 0–100 in ASCII digits, Then a Chinese refusal, no row
    with pytest.raises(ValidationFailed, match="评分应为 0 至 100 的整数"):
        delivery.project_rate(scope=scope_of("deputy"), project=project, score=bad)
    assert not project.ratings.exists()
