"""A year of deputy suggestions (代表建议) for the demo county's township congresses, built through
the services so that every suggestion has a real timeline, real documents and real messages.

Proportions follow ../shared/DOMAIN.md scene 2 (Chizhou 2023: 91% done, 94.2% satisfied) and what
offices report: about a quarter joint (联名), a fifth built on citizen opinions where the deputy has
some, answers A ~55% / B ~28% / C ~11% / D ~6%, first-round 不满意 ~10% (re-handled; about half of
those stay 不满意, which gives the ~94% 满意率), ~8% key suggestions (重点建议) with 领办/督办 leaders, ~9% still open at the end
(in handling, a few overdue, a few answered and waiting for the deputy's rating), half of the B/C
promises reported done. The demo ``deputy`` leads several suggestions and the demo ``clerk``'s unit
handles several (one of them waiting for its answer, one answered and waiting for the rating), so
that those logins have something to do.

Time. The services stamp "now"; afterwards the records are back-dated deterministically with
``figures.update_counted``, the bulk update the statistics summary follows (submitted, accepted,
assigned, answered, closed, deadlines, answer and rating times). Audit events are not back-dated (the audit log is append-only), as in the opinions demo.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from renda.accounts.models import RoleAssignment
from renda.core.scoping import ROLE_PERMS, STAFF_PERMS, Scope
from renda.core.workdays import add_months, add_workdays
from renda.org import services as org
from renda.org.models import Body, BodyKind, Category, CongressLevel, Deputy, HandlingUnit
from renda.suggestions import figures, selectors, services
from renda.suggestions.models import Answer, Assignment, Contact, RatingRecord, State, Suggestion

PER_CONGRESS = 12

TOPICS: list[tuple[str, str, str, str]] = [
    # (category name, title, problem, proposal)
    (
        "路灯",
        "关于完善村道路灯设施的建议",
        "部分村道夜间照明不足，灯具损坏后长期无人维修。",
        "摸排全镇村道照明，建立路灯维护责任制。",
    ),
    (
        "道路设施",
        "关于加快农村公路提档升级的建议",
        "通村公路路面窄、会车难，雨季多处坑洼。",
        "将主要通村公路列入提档升级计划，分年实施。",
    ),
    (
        "污水管网",
        "关于推进集镇污水管网改造的建议",
        "集镇老街雨污合流，夏季污水外溢。",
        "实施雨污分流改造，完善管网维护机制。",
    ),
    (
        "垃圾处理",
        "关于优化农村生活垃圾收运体系的建议",
        "部分自然村垃圾收运频次低，堆放点脏乱。",
        "增加收运频次，推行垃圾分类积分制。",
    ),
    (
        "入学",
        "关于解决镇区学位紧张问题的建议",
        "镇中心小学班额过大，新入户家庭子女入学难。",
        "扩建中心小学教学楼，合理调整学区。",
    ),
    (
        "校车",
        "关于保障偏远村学生上学交通安全的建议",
        "偏远村学生上学路途远，无校车接送。",
        "开通定制校车线路，落实财政补助。",
    ),
    (
        "基层医疗",
        "关于提升村卫生室服务能力的建议",
        "村卫生室设备陈旧，常用药品短缺。",
        "更新村卫生室设备，推行乡村医生轮岗坐诊。",
    ),
    (
        "养老服务",
        "关于发展农村居家养老服务的建议",
        "留守老人多，日间照料中心覆盖不足。",
        "建设村级居家养老服务站，引入专业机构运营。",
    ),
    ("农田水利", "关于修缮农田灌溉渠道的建议", "部分灌溉渠道年久失修，渗漏严重。", "将渠道修缮列入小型水利工程项目。"),
    (
        "乡村振兴",
        "关于拓宽特色农产品销售渠道的建议",
        "茶叶、笋干等特色农产品销路窄、价格低。",
        "建设电商服务站，组织产销对接活动。",
    ),
    (
        "停车管理",
        "关于缓解集镇停车难问题的建议",
        "集镇主街乱停乱放，赶集日交通拥堵。",
        "规划建设公共停车场，加强停车秩序管理。",
    ),
    (
        "文体设施",
        "关于建设村级文体活动场所的建议",
        "群众文体活动场地少，设施老化。",
        "利用闲置用地建设文化广场和健身设施。",
    ),
    (
        "公交线路",
        "关于优化城乡公交线路的建议",
        "部分村公交班次少，末班车过早。",
        "增加班次，延长末班车时间，设置招呼站。",
    ),
    ("水污染", "关于加强河道日常保洁的建议", "河道漂浮物较多，局部河段淤积。", "落实河长制，建立河道保洁长效机制。"),
]
ANSWER_TEXT = {
    "A": "经研究，已安排专项资金组织实施，相关工作已于近期完成，群众反映的问题已基本解决。",
    "B": "建议涉及的工作已列入明年工作计划，目前正在开展前期调研和方案设计，将分步实施。",
    "C": "建议所提事项确有必要，但受资金和用地条件限制，近期难以实施，待条件成熟后统筹解决。",
    "D": "感谢代表提出的建议，相关意见已留作参考，在今后制定政策时统筹考虑。",
}


@dataclass
class Plan:
    congress: Body
    lead: Deputy
    cosigners: list[Deputy]
    topic: tuple[str, str, str, str]
    submitted: dt.date
    fate: str  # closed, rehandled, open_handling, overdue, to_rate, to_assign, to_review
    answer_class: str = "A"
    second_class: str = "A"
    first_rating: tuple[str, str] = ("satisfied", "satisfied")
    final_rating: tuple[str, str] = ("satisfied", "satisfied")
    key: bool = False
    co_unit: bool = False
    hard: bool = False
    promise_done: bool = False
    force_unit: HandlingUnit | None = None
    link_opinions: bool = False
    days: list[int] = field(default_factory=list)


def _deputy_scope(deputy: Deputy, path: str) -> Scope:
    return Scope(
        user_id=None,
        system_label=f"{deputy.name}代表",
        roots=[path],
        perms=set(ROLE_PERMS["deputy"]),
        deputy_ids={deputy.pk},
    )


def _staff_scope(body: Body) -> Scope:
    return Scope(
        user_id=None, system_label=f"{body.region.name}人大主席团", roots=[body.region.path], perms=set(STAFF_PERMS)
    )


def _unit_scope(unit: HandlingUnit) -> Scope:
    return Scope(
        user_id=None,
        system_label=f"{unit.name}",
        roots=[unit.region.path],
        perms=set(ROLE_PERMS["unit_clerk"]),
        unit_ids={unit.pk},
    )


def _pick_unit(rng: random.Random, units: list[HandlingUnit], category: Category) -> HandlingUnit:
    """The township unit that handles the category (the second level before the first); a matter
    no township office handles (a bus route) goes to the government office (党政办), which takes
    it up with the county, never to an office picked at random."""
    top = category.parent_id or category.pk
    own = [u for u in units if any(c.pk == category.pk for c in u.categories.all())]
    fitting = own or [u for u in units if any(c.pk == top for c in u.categories.all())]
    office = [u for u in units if u.name.endswith("党政办")]
    return rng.choice(fitting or office or units)


def _fates(rng: random.Random, n: int) -> list[str]:
    fates = []
    for _ in range(n):
        r = rng.random()
        fates.append(
            "closed"
            if r < 0.81
            else "rehandled"
            if r < 0.91
            else "open_handling"
            if r < 0.95
            else "overdue"
            if r < 0.97
            else "to_rate"
            if r < 0.985
            else "to_assign"
        )
    return fates


def build(*, scope: Scope, seed: int = 2026, per_congress: int = PER_CONGRESS) -> str:
    """Build the demo suggestions (skipped when the demo congresses already have some)."""
    from renda.demo.opinions import quiet_notifications

    bodies = list(
        Body.objects.filter(kind=BodyKind.CONGRESS, level=CongressLevel.TOWNSHIP)
        .select_related("region")
        .order_by("region__path")
    )
    if not bodies:
        return "代表建议：没有乡镇人民代表大会，跳过"
    if Suggestion.objects.filter(body__in=bodies).exists():
        return "代表建议：已有演示数据，跳过"
    rng = random.Random(seed * 7 + 4)
    today = timezone.localdate()
    year = today.year if today.timetuple().tm_yday > 90 else today.year - 1
    last_day = min(today - dt.timedelta(days=1), dt.date(year, 12, 31))
    first_day = dt.date(year, 1, 6)
    span = max(1, (last_day - first_day).days)
    demo_deputy = RoleAssignment.objects.filter(user__username="deputy").values_list("deputy_id", flat=True).first()
    demo_unit = RoleAssignment.objects.filter(user__username="clerk").values_list("unit_id", flat=True).first()
    plans: list[Plan] = []
    for body in bodies[:8]:
        deputies = list(
            Deputy.objects.filter(region__path__startswith=body.region.path, mandates__level=body.level, is_active=True)
            .select_related("region")
            .order_by("id")
        )
        if len(deputies) < 3:
            continue
        count = per_congress + (6 if any(d.pk == demo_deputy for d in deputies) else 0)
        for i, fate in enumerate(_fates(rng, count)):
            lead = rng.choice(deputies)
            force_unit = None
            if any(d.pk == demo_deputy for d in deputies) and i < 6:
                lead = next(d for d in deputies if d.pk == demo_deputy)
                fate = ["closed", "rehandled", "open_handling", "to_rate", "closed", "overdue"][i]
                force_unit = HandlingUnit.objects.filter(pk=demo_unit).first() if i < 4 and demo_unit else None
            # The demo clerk's unit (规划建设办) gets suggestions it handles: roads, lights, sewers.
            topic = rng.choice(TOPICS[:3]) if force_unit is not None else rng.choice(TOPICS)
            joint = rng.random() < 0.25
            others = [d for d in deputies if d.pk != lead.pk]
            cosigners = rng.sample(others, rng.randint(1, 3)) if joint else []
            if fate in ("open_handling", "to_rate", "to_assign"):
                submitted = last_day - dt.timedelta(days=rng.randint(10, 45))
            elif fate == "overdue":
                submitted = last_day - dt.timedelta(days=rng.randint(110, 140))
            else:
                submitted = first_day + dt.timedelta(days=rng.randint(0, max(1, span - 100)))
            klass = rng.choices("ABCD", weights=[55, 28, 11, 6])[0]
            plans.append(
                Plan(
                    congress=body,
                    lead=lead,
                    cosigners=cosigners,
                    topic=topic,
                    submitted=max(first_day, submitted),
                    fate=fate,
                    answer_class=klass if fate != "rehandled" else rng.choice("BC"),
                    second_class=rng.choices("AB", weights=[80, 20])[0],
                    first_rating=("satisfied", "satisfied")
                    if rng.random() < 0.82
                    else ("satisfied", "basic")
                    if rng.random() < 0.8
                    else ("basic", "unsatisfied"),
                    final_rating=("basic", "unsatisfied") if rng.random() < 0.55 else ("satisfied", "basic"),
                    key=rng.random() < 0.08,
                    co_unit=rng.random() < 0.3,
                    hard=rng.random() < 0.1,
                    promise_done=rng.random() < 0.5,
                    force_unit=force_unit,
                    link_opinions=rng.random() < 0.3,
                    days=[rng.randint(1, 4), rng.randint(2, 6), rng.randint(20, 75), rng.randint(3, 20)],
                )
            )
    # 五级代表: the demo deputy (and two neighbours) also sit in the county congress, and address
    # it twice; those suggestions are numbered, assigned and supervised by the county.
    county_body = _county_seats(scope, demo_deputy)
    if county_body is not None and demo_deputy is not None:
        lead = Deputy.objects.get(pk=demo_deputy)
        peers = list(
            Deputy.objects.filter(
                region__path__startswith=county_body.region.path, mandates__level=CongressLevel.COUNTY, is_active=True
            )
            .exclude(pk=lead.pk)
            .order_by("id")[:40]
        )
        for topic, fate, cosigners in ((TOPICS[1], "closed", peers[:2]), (TOPICS[0], "open_handling", [])):
            plans.append(
                Plan(
                    congress=county_body, lead=lead, cosigners=cosigners, topic=topic,
                    submitted=first_day + dt.timedelta(days=min(30, span)) if fate == "closed" else last_day - dt.timedelta(days=20),
                    fate=fate, answer_class="A", second_class="A", first_rating=("satisfied", "satisfied"),
                    final_rating=("satisfied", "satisfied"), key=False, co_unit=False, hard=False, promise_done=False,
                    force_unit=None, link_opinions=False, days=[2, 3, 40, 5],
                )
            )  # fmt: skip
    congresses = bodies + ([county_body] if county_body is not None else [])
    units_by_town = {
        b.pk: list(HandlingUnit.objects.filter(region=b.region, is_active=True).prefetch_related("categories"))
        for b in congresses
    }
    categories = {c.name: c for c in Category.objects.select_related("parent")}
    counts = {"total": 0, "closed": 0, "key": 0, "joint": 0, "opinions": 0}
    with quiet_notifications():
        for plan in plans:
            with transaction.atomic():
                _run(plan, rng, units_by_town[plan.congress.pk], categories, year, counts)
    services.suggestions_sweep()
    total = Suggestion.objects.filter(body__in=congresses).count()
    closed = Suggestion.objects.filter(body__in=congresses, state=State.CLOSED).count()
    return (
        f"代表建议已生成：{total} 件（办结 {closed} 件，重点建议 {counts['key']} 件，联名 {counts['joint']} 件，"
        f"依据民意 {counts['opinions']} 件）"
    )


def _county_seats(scope: Scope, demo_deputy: int | None) -> Body | None:
    """Give the demo deputy and two deputies of their township a county mandate (五级代表: one person,
    several congresses), through the roster service; returns the county congress."""
    deputy = Deputy.objects.filter(pk=demo_deputy or 0).select_related("region").first()
    if deputy is None:
        return None
    county = Body.objects.filter(
        kind=BodyKind.CONGRESS, level=CongressLevel.COUNTY, region__path=deputy.region.path[:6]
    ).first()
    if county is None:
        return None
    town_path = deputy.region.path[:9]
    neighbours = list(
        Deputy.objects.filter(region__path__startswith=town_path, mandates__level=CongressLevel.TOWNSHIP)
        .exclude(mandates__level=CongressLevel.COUNTY)
        .exclude(pk=deputy.pk)
        .order_by("id")[:2]
    )
    for d in [deputy, *neighbours]:
        held = list(d.mandates.all())
        if any(m.level == CongressLevel.COUNTY for m in held):
            continue
        org.deputy_update(
            scope=scope,
            deputy=d,
            data=org.DeputyInput(
                name=d.name, region=d.region, kind=d.kind, gender=d.gender, birth_year=d.birth_year,
                ethnicity=d.ethnicity, party=d.party, occupation=d.occupation, phone=d.phone,
                mandates=(
                    *(org.MandateInput(m.level, m.term, m.constituency) for m in held),
                    org.MandateInput(CongressLevel.COUNTY, 18, f"{d.region.parent.name if d.region.parent else ''}选区"),
                ),
            ),
            reason="演示数据：同时当选县人大代表",
        )  # fmt: skip
    return county


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def _run(
    plan: Plan,
    rng: random.Random,
    units: list[HandlingUnit],
    categories: dict[str, Category],
    year: int,
    counts: dict[str, int],
) -> None:
    body = plan.congress
    lead_scope = _deputy_scope(plan.lead, body.region.path)
    staff = _staff_scope(body)
    category = categories.get(plan.topic[0]) or next(iter(categories.values()))
    opinions = []
    if plan.link_opinions:
        opinions = list(selectors.linkable_opinions(scope=lead_scope, body=body)[: rng.randint(1, 2)])
    s = services.suggestion_draft(
        scope=lead_scope,
        data=services.DraftInput(
            body=body,
            title=plan.topic[1],
            content=f"{plan.lead.region.name}及周边群众多次反映：{plan.topic[2]}经走访调研，提出如下建议。",
            category=category,
            problem=plan.topic[2],
            proposal=plan.topic[3],
            wide_or_hard=plan.hard,
            cosigners=plan.cosigners,
            opinions=opinions,
        ),
    )
    counts["joint"] += bool(plan.cosigners)
    counts["opinions"] += bool(opinions)
    for d in plan.cosigners:
        services.suggestion_cosign(scope=_deputy_scope(d, body.region.path), suggestion=s)
    s = services.suggestion_submit(scope=lead_scope, suggestion=s)
    figures.update_counted(Suggestion.objects.filter(pk=s.pk), year=year)
    s.year = year
    if plan.fate == "to_review":
        _backdate(s, plan, stage="submitted")
        return
    s = services.suggestion_accept(scope=staff, suggestion=s)
    if plan.fate == "to_assign":
        _backdate(s, plan, stage="accepted")
        return
    unit = plan.force_unit or _pick_unit(rng, units, category)
    co = [u for u in units if u.pk != unit.pk]
    co_units = [rng.choice(co)] if plan.co_unit and co else []
    s = services.suggestion_assign(scope=staff, suggestion=s, lead_unit=unit, co_units=co_units)
    if plan.key:
        counts["key"] += 1
        services.suggestion_mark_key(
            scope=staff, suggestion=s, is_key=True, gov_leader="副镇长 " + rng.choice("王李张陈") + "强",
            congress_leader="人大主席 " + rng.choice("刘周吴赵") + "明",
        )  # fmt: skip
    for cu in co_units:
        services.suggestion_co_opinion(
            scope=_unit_scope(cu), suggestion=s, text=f"{cu.name}同意配合主办单位做好相关工作，并提供必要支持。"
        )
    unit_scope = _unit_scope(unit)
    if plan.fate in ("open_handling", "overdue"):
        if plan.key or rng.random() < 0.5:
            services.suggestion_supervise(scope=staff, suggestion=s, kind="supervise", note="督促主办单位加快办理进度")
        _backdate(s, plan, stage="assigned")
        return
    contact_day = timezone.localdate()
    services.suggestion_contact(
        scope=unit_scope, suggestion=s, contacted_on=contact_day, way=rng.choice(["meeting", "phone", "visit"]),
        note="听取代表对办理工作的意见",
    )  # fmt: skip
    services.suggestion_answer(
        scope=unit_scope, suggestion=s, answer_class=plan.answer_class, text=ANSWER_TEXT[plan.answer_class]
    )
    if plan.fate == "to_rate":
        _backdate(s, plan, stage="answered")
        return
    first = ("basic", "unsatisfied") if plan.fate == "rehandled" else plan.first_rating
    if first[1] == "unsatisfied" and plan.fate != "rehandled":
        first = ("satisfied", "basic")
    services.suggestion_rate(
        scope=lead_scope,
        suggestion=s,
        attitude=first[0],
        result=first[1],
        comment="办理进度偏慢，希望尽快落实" if "unsatisfied" in first else "",
        publish=rng.random() < 0.6,
    )
    if plan.fate == "rehandled":
        s.refresh_from_db()
        services.suggestion_contact(
            scope=unit_scope, suggestion=s, contacted_on=contact_day, way="meeting", note="再次当面沟通"
        )
        services.suggestion_answer(
            scope=unit_scope, suggestion=s, answer_class=plan.second_class, text=ANSWER_TEXT[plan.second_class]
        )
        final = plan.final_rating
        services.suggestion_rate(
            scope=lead_scope, suggestion=s, attitude=final[0], result=final[1],
            comment="仍未完全解决" if "unsatisfied" in final else "",
        )  # fmt: skip
    s.refresh_from_db()
    if s.promise_open and plan.promise_done:
        services.suggestion_promise_done(scope=unit_scope, suggestion=s, note="承诺事项已按计划落实")
    if rng.random() < 0.1:
        services.suggestion_supervise(scope=staff, suggestion=s, kind="visit", note="组织代表实地回访办理情况")
    _backdate(s, plan, stage="closed")


def _backdate(s: Suggestion, plan: Plan, *, stage: str) -> None:
    """Move the suggestion's dates back to its simulated timeline."""
    submitted = plan.submitted
    accepted = add_workdays(submitted, plan.days[0]).date
    assigned = add_workdays(accepted, plan.days[1]).date
    fields: dict[str, object] = {"submitted_at": _at(submitted, 9)}
    if stage == "submitted":
        figures.update_counted(Suggestion.objects.filter(pk=s.pk), **fields)
        return
    assign_by = add_workdays(accepted, 7)
    fields |= {"accepted_at": _at(accepted), "assign_by": assign_by.date}
    if stage == "accepted":
        fields |= {"due_on": assign_by.date, "due_official": assign_by.official}
        figures.update_counted(Suggestion.objects.filter(pk=s.pk), **fields)
        return
    months = 6 if s.wide_or_hard else 3
    answer_by = add_months(assigned, months)
    fields |= {"assigned_at": _at(assigned, 15), "answer_by": answer_by}
    Assignment.objects.filter(suggestion=s).update(
        object_by=add_workdays(assigned, 7).date, co_due=add_months(assigned, 1)
    )
    if stage == "assigned":
        fields |= {"due_on": answer_by, "is_overdue": False}
        figures.update_counted(Suggestion.objects.filter(pk=s.pk), **fields)
        return
    late = plan.days[2] + (40 if plan.hard is False and plan.days[2] > 70 else 0)
    answered = assigned + dt.timedelta(days=late)
    cap = timezone.localdate() - dt.timedelta(days=1)
    answered = min(answered, cap)
    fields |= {
        "answered_at": _at(answered, 16),
        "answered_on_time": answered <= answer_by,
        "answer_days": (answered - assigned).days,
    }
    Answer.objects.filter(suggestion=s, round=1).update(created_at=_at(answered, 16))
    Contact.objects.filter(suggestion=s, round=1).update(contacted_on=answered - dt.timedelta(days=3))
    if stage == "answered":
        figures.update_counted(Suggestion.objects.filter(pk=s.pk), **fields)
        return
    rated = min(answered + dt.timedelta(days=plan.days[3]), cap)
    RatingRecord.objects.filter(suggestion=s, round=1).update(created_at=_at(rated, 11))
    closed = rated
    if s.round == 2:
        reanswered = min(rated + dt.timedelta(days=20), cap)
        closed = min(reanswered + dt.timedelta(days=5), cap)
        fields |= {"reanswer_by": add_months(rated, 1)}
        Answer.objects.filter(suggestion=s, round=2).update(created_at=_at(reanswered, 16))
        Contact.objects.filter(suggestion=s, round=2).update(contacted_on=reanswered - dt.timedelta(days=2))
        RatingRecord.objects.filter(suggestion=s, round=2).update(created_at=_at(closed, 11))
    fields |= {"closed_at": _at(closed, 11)}
    figures.update_counted(Suggestion.objects.filter(pk=s.pk), **fields)
