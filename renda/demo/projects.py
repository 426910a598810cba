"""Demo 民生实事 for two towns (白鹭镇, the demo users' town, and one more), through the services:

- last year: proposals screened and merged, a candidate list with a margin (8 选 6), a paper
  vote at the year's first 人代会, projects planned and completed, year-end ratings, one project
  below the threshold in rectification (整改);
- this year: a list of 9 选 7 voted 赞成/反对/弃权 per project, projects planned with weighted
  milestones and progress reports, one behind its milestones (flagged by the sweep);
- next year: citizens' proposals waiting to be screened (群众点单 is open).

Several projects are led by 规划建设办, the demo clerk's unit. Idempotent: a town that already
has this year's list is skipped.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from renda.core.scoping import Perm, Scope
from renda.demo import meetings as meetings_demo
from renda.meetings.models import Attendance, Meeting
from renda.org.models import Body, BodyKind, HandlingUnit
from renda.projects import delivery, lists, selectors, services
from renda.projects import proposals as proposal_services
from renda.projects.models import CandidateList, Project, ProjectState, Proposal
from renda.regions.models import Region, RegionLevel
from renda.voting import services as voting_services
from renda.voting.models import Vote

IDEAS = [
    ("村道路灯改造", "为主要村道新装、更换太阳能路灯，解决夜间出行难", "规划建设办", 860_000),
    ("农贸市场提升改造", "改造镇农贸市场排水、棚顶和摊位，规范周边停车", "经济发展办", 1_500_000),
    ("居家养老服务中心", "建设镇居家养老服务中心和 3 个村老年食堂", "社会事务办", 1_200_000),
    ("中心小学塑胶跑道", "新建 300 米塑胶跑道和两片篮球场", "中心学校", 950_000),
    ("白鹭溪河道清淤", "清淤整治河道 4.5 公里，修复护岸", "水利站", 2_100_000),
    ("农村公路拓宽", "拓宽通村公路 6 公里，增设错车道和防护栏", "规划建设办", 3_200_000),
    ("卫生院标准化改造", "改造卫生院门诊楼，增设康复理疗科", "卫生院", 1_800_000),
    ("生活污水管网延伸", "向 4 个自然村延伸污水管网", "规划建设办", 2_600_000),
    ("村级文化礼堂", "新建 2 个村级文化礼堂", "社会事务办", 700_000),
    ("应急避难场所建设", "在镇区和 2 个村建设应急避难场所", "应急管理办", 500_000),
    ("老旧小区加装电梯", "为镇区老旧小区加装电梯 6 部", "规划建设办", 1_400_000),
    ("农田灌溉渠道修复", "修复灌溉渠道 8 公里", "农业农村办", 1_100_000),
]
PROPOSAL_TEXTS = [
    "晚上路太黑，老人孩子出门不安全，希望{x}。",
    "群众反映多年了，{x}，大家都盼着。",
    "建议今年把{x}列入民生实事，受益人多。",
]


def _towns(limit: int = 2) -> list[Region]:
    bodies = Body.objects.filter(kind=BodyKind.CONGRESS, region__level=RegionLevel.TOWNSHIP).select_related("region")
    towns = [b.region for b in bodies.order_by("region__path")]
    from renda.accounts.models import RoleAssignment

    home = RoleAssignment.objects.filter(user__username="township").select_related("region").first()
    ordered = ([home.region] if home and home.region else []) + [t for t in towns if not home or t != home.region]
    return ordered[:limit]


def _unit(township: Region, suffix: str) -> HandlingUnit:
    unit = HandlingUnit.objects.filter(region=township, name__endswith=suffix).first()
    return unit or HandlingUnit.objects.filter(region=township).order_by("code").first()  # type: ignore[return-value]


def _proposals(
    scope: Scope, rng: random.Random, township: Region, year_ideas: list[tuple[str, str, str, int]]
) -> list[Proposal]:
    villages = list(Region.objects.filter(path__startswith=township.path, level=RegionLevel.VILLAGE).order_by("path"))
    stations = list(township.stations.all()[:3]) if hasattr(township, "stations") else []
    made = []
    for i, (name, content, _unit_name, _budget) in enumerate(year_ideas):
        data = proposal_services.ProposalInput(
            title=name,
            text=rng.choice(PROPOSAL_TEXTS).format(x=content),
            region=rng.choice(villages) if villages else township,
            station=stations[i % len(stations)] if stations and i % 3 == 1 else None,
        )
        if i % 3 == 1 and data.station is not None:
            made.append(proposal_services.proposal_enter(scope=scope, data=data))
        else:
            p, _ = proposal_services.proposal_submit(data=data)
            made.append(p)
    return made


def _vote(scope: Scope, rng: random.Random, c: CandidateList, meeting_day: dt.date) -> None:
    """The list is voted at the year's first session (人代会), held through the sessions demo with
    the government report and the budget: no session of its own."""
    meetings_demo.hold_session(
        scope,
        rng,
        c.body,
        meeting_day,
        meetings_demo.RESOLUTIONS,
        business=meetings_demo.Business(
            f"票决{c.year}年民生实事项目", lambda meeting: _put_to_vote(scope, rng, c, meeting)
        ),
    )


def _put_to_vote(scope: Scope, rng: random.Random, c: CandidateList, meeting: Meeting) -> None:
    """Paper ballots from every deputy present, the tellers' totals entered in one batch."""
    present = meeting.attendees.filter(status=Attendance.PRESENT).count()
    entitled = meeting.attendees.count()
    c = lists.list_put_to_vote(scope=scope, candidate_list=c, meeting=meeting)
    assert c.vote is not None
    vote = voting_services.vote_open(scope=scope, vote=c.vote)
    n_present = present
    options = list(vote.options.order_by("position"))
    winners = set(rng.sample(range(len(options)), c.seats))
    counts: dict[str, object] = {}
    for i, o in enumerate(options):
        yes = int(entitled * (rng.uniform(0.58, 0.85) if i in winners else rng.uniform(0.15, 0.4)))
        yes = min(yes, n_present)
        if vote.method == "yes_no":
            no = rng.randint(0, n_present - yes)
            counts[str(o.position)] = {"yes": yes, "no": no, "abstain": n_present - yes - no}
        else:
            counts[str(o.position)] = yes
    voting_services.paper_batch_enter(
        scope=scope, vote=vote, ballots=n_present, invalid=0, counts=counts, tellers="监票人 王明、计票人 陈芳"
    )
    meetings_demo.check_paper(vote)
    voting_services.vote_close(scope=scope, vote=Vote.objects.get(pk=vote.pk))
    voting_services.vote_publish(scope=scope, vote=Vote.objects.get(pk=vote.pk), conclude=True)


def _list(
    scope: Scope,
    township: Region,
    year: int,
    ideas: list[tuple[str, str, str, int]],
    seats: int,
    method: str,
    proposals: list[Proposal],
) -> CandidateList:
    c = lists.list_create(scope=scope, region=township, year=year, seats=seats, method=method)
    by_title = {p.title: p for p in proposals}
    for name, content, unit_name, budget in ideas:
        p = by_title.get(name)
        if p is not None:
            proposal_services.proposal_screen(
                scope=scope, proposal=p, decision="accept", reason="群众呼声高，投资可控，拟列入候选"
            )
        lists.candidate_add(
            scope=scope,
            candidate_list=c,
            name=name,
            content=content,
            budget=Decimal(budget),
            lead_unit=_unit(township, unit_name),
            proposals=[p] if p is not None else [],
        )
    lists.list_fix(scope=scope, candidate_list=c, reason=f"{township.name}人大主席团会议审议确定")
    return c


def _clerk_scope(project: Project) -> Scope:
    """The lead unit acting (the demo has one clerk account; other units act through this scope)."""
    scope = Scope(user_id=None, system_label=f"{project.lead_unit.name}（演示）", roots=[project.region.path])
    scope.perms = {Perm.PROJECT_VIEW, Perm.PROJECT_REPORT}
    scope.unit_ids = {project.lead_unit_id}
    return scope


def _plan(project: Project, start: dt.date, months: int) -> None:
    done = start + dt.timedelta(days=30 * months)
    delivery.project_plan(
        scope=_clerk_scope(project),
        project=project,
        budget=project.budget,
        plan_text="成立工作专班，按“设计招标—主体施工—验收”三个阶段推进。",
        completion_date=done,
        milestones=[
            delivery.MilestoneInput("完成设计和招标", start + dt.timedelta(days=30 * months // 4), 20),
            delivery.MilestoneInput("主体工程完成", start + dt.timedelta(days=30 * months * 3 // 4), 50),
            delivery.MilestoneInput("完工验收", done, 30),
        ],
    )


def _rate(scope: Scope, rng: random.Random, project: Project, low: bool) -> None:
    delivery.project_open_rating(scope=scope, project=project)
    body = services.voting_body(project.region)
    for deputy in services.entitled_deputies(body).order_by("id")[:40]:
        rater = Scope(
            user_id=None, system_label="代表测评（演示）", roots=[project.region.path], perms={Perm.PROJECT_RATE}
        )
        rater.deputy_ids = {deputy.pk}
        r = rng.random()
        if low:
            grade = "satisfied" if r < 0.2 else "basic" if r < 0.45 else "unsatisfied"
        else:
            grade = "satisfied" if r < 0.7 else "basic" if r < 0.93 else "unsatisfied"
        comment = "路灯亮度不够，部分路段仍未覆盖" if grade == "unsatisfied" else ""
        delivery.project_rate(scope=rater, project=project, grade=grade, comment=comment)
    delivery.project_close_rating(scope=scope, project=project)


def build(*, scope: Scope, seed: int) -> str:
    rng = random.Random(seed + 5)
    today = timezone.localdate()
    this, last = today.year, today.year - 1
    made_projects = made_lists = made_proposals = 0
    rectifying = behind = 0
    for t_index, township in enumerate(_towns()):
        if CandidateList.objects.filter(region=township, year=this).exists():
            continue
        ideas = list(IDEAS)
        rng.shuffle(ideas)
        # Last year: 8 选 6, choose_n, all completed and rated; the first 规划建设办 project falls short.
        last_ideas, this_ideas = ideas[:8], ideas[3:12]
        proposals = _proposals(scope, rng, township, last_ideas)
        dup = proposal_services.proposal_submit(
            data=proposal_services.ProposalInput(
                title=f"{last_ideas[0][0]}（重复）", text=f"希望{last_ideas[0][1]}，这件事大家都在说。", region=township
            )
        )[0]
        proposal_services.proposal_merge(scope=scope, proposal=dup, into=proposals[0], reason="同一事项重复建议")
        made_proposals += len(proposals) + 1
        for p in proposals:
            p.year = last  # collected the year before last year's session
        Proposal.objects.filter(pk__in=[p.pk for p in proposals] + [dup.pk]).update(year=last)
        c_last = _list(scope, township, last, last_ideas, 6, "choose_n", proposals)
        _vote(scope, rng, c_last, dt.date(last, 1, 15 + t_index))
        elected = list(Project.objects.filter(candidate__candidate_list=c_last).select_related("region", "lead_unit"))
        planning = [p for p in elected if p.lead_unit.name.endswith("规划建设办")] or elected
        low_pk = planning[0].pk if planning else None
        for project in elected:
            _plan(project, dt.date(last, 3, 1), 8)
            clerk = _clerk_scope(project)
            delivery.project_report(
                scope=clerk, project=project, percent=60, text="主体工程基本完成，正在进行附属工程。"
            )
            delivery.project_report(scope=clerk, project=project, percent=100, text="工程已完工并通过初步验收。")
            _rate(scope, rng, Project.objects.get(pk=project.pk), project.pk == low_pk)
            if Project.objects.get(pk=project.pk).state == ProjectState.RECTIFYING:
                rectifying += 1
            made_projects += 1
        made_lists += 1
        # This year: 9 选 7, 赞成/反对/弃权 per project, under way.
        proposals = _proposals(scope, rng, township, this_ideas)
        Proposal.objects.filter(pk__in=[p.pk for p in proposals]).update(year=this)
        for p in proposals:
            p.year = this
        made_proposals += len(proposals)
        c_this = _list(scope, township, this, this_ideas, 7, "yes_no", proposals)
        _vote(scope, rng, c_this, dt.date(this, 1, 20 + t_index))
        made_lists += 1
        first_behind = True
        for project in Project.objects.filter(candidate__candidate_list=c_this).select_related("region", "lead_unit"):
            _plan(project, dt.date(this, 2, 1), 10)
            clerk = _clerk_scope(project)
            if first_behind:
                first_behind = False  # no report since the plan: behind its first milestones
            else:
                expected = selectors.expected_progress(
                    milestones=list(project.milestones.all()), completion_date=project.completion_date, on=today
                )
                value = min(95, max(expected + rng.randint(0, 15), 10))
                delivery.project_report(
                    scope=clerk, project=project, percent=value, text="按计划推进，完成阶段性目标。"
                )
            made_projects += 1
        # Next year's 群众点单 is open: a few proposals waiting to be screened.
        for name, content, _u, _b in rng.sample(IDEAS, 3):
            proposal_services.proposal_submit(
                data=proposal_services.ProposalInput(
                    title=f"{name}二期", text=f"去年的项目很好，建议继续{content}。", region=township
                )
            )
            made_proposals += 1
    behind = delivery.projects_sweep().flagged
    if not made_lists:
        return "民生实事：已有演示数据，跳过"
    return (
        f"民生实事已生成：候选项目清单 {made_lists} 份，项目建议 {made_proposals} 件，"
        f"票决产生项目 {made_projects} 个（整改中 {rectifying} 个，进度滞后 {behind} 个）"
    )
