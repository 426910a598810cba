"""The permission matrix: every URL route × every role, in scope and out of scope.

Each route declares the permission it needs and which record its URL points at. The
expected answer for a role is derived from what the role really holds (ROLE_PERMS and its
scope roots): no permission → 403, a record outside the role's regions → 404, otherwise the
page or JSON. A route added without an entry here makes ``test_every_route_is_in_the_matrix``
fail.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from renda.core.scoping import Perm, system_scope
from renda.opinions import intake as opinion_intake
from renda.opinions import services as opinion_services
from renda.org.models import Category, Deputy, DeputyGroup, HandlingUnit, Station, StationKind
from renda.regions.models import Region, RegionLevel
from tests.matrix_parts import LOGIN, PUBLIC, Route
from tests.matrix_parts import meetings as meetings_part
from tests.matrix_parts import projects as projects_part
from tests.matrix_parts import suggestions as suggestions_part
from tests.matrix_parts import voting as voting_part

ROLES = ["anonymous", "admin", "city", "county", "township", "street", "liaison", "deputy", "clerk"]


def all_route_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns: list, prefix: str) -> None:  # type: ignore[type-arg]
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{prefix}{p.namespace}:" if p.namespace else prefix
                walk(p.url_patterns, ns)
            elif isinstance(p, URLPattern) and p.name:
                names.add(prefix + p.name)

    walk(get_resolver().url_patterns, "")
    return names


# Every route of the project. Django admin's own routes are covered by ADMIN_PREFIX below.
MATRIX: dict[str, Route] = {
    "home": Route(LOGIN),
    "healthz": Route(PUBLIC),
    "accounts:login": Route(PUBLIC, logged_in_redirect=True),
    "accounts:logout": Route(LOGIN, method="post"),
    "accounts:sms_login": Route(PUBLIC),
    "accounts:password_reset": Route(PUBLIC),
    "regions:tree": Route(Perm.ORG_VIEW),
    "regions:detail": Route(Perm.ORG_VIEW, "region"),
    "regions:children": Route(Perm.ORG_VIEW, "region"),
    "org:deputies": Route(Perm.ORG_VIEW),
    "org:deputy_create": Route(Perm.ORG_MANAGE),
    "org:deputy": Route(Perm.ORG_VIEW, "deputy"),
    "org:deputy_edit": Route(Perm.ORG_MANAGE, "deputy"),
    "org:deputy_move": Route(Perm.ORG_MANAGE, "deputy"),
    "org:stations": Route(Perm.ORG_VIEW),
    "org:station": Route(Perm.ORG_VIEW, "station"),
    "org:station_edit": Route(Perm.ORG_MANAGE, "station"),
    "org:units": Route(Perm.ORG_VIEW),
    "org:unit": Route(Perm.ORG_VIEW, "unit"),
    "org:bodies": Route(Perm.ORG_VIEW),
    "org:groups": Route(Perm.ORG_VIEW),
    "org:group": Route(Perm.ORG_VIEW, "group"),
    "audit:log": Route(Perm.AUDIT_VIEW),
    # 配置: no body, so an allowed POST reaches the service and is refused with a Chinese 400/409
    "config:rules": Route(Perm.RULES_LOCAL),
    "config:rule_change": Route(Perm.RULES_LOCAL, method="post", fixed=(("key", "opinion.answer_review"),)),
    "config:calendar": Route(Perm.ADMIN),
    "config:calendar_day": Route(Perm.ADMIN, method="post"),
    "config:calendar_year": Route(Perm.ADMIN, method="post"),
    "accounts:tokens": Route(LOGIN),
    "accounts:token_revoke": Route(LOGIN, method="post", fixed=(("pk", "999999"),), inscope_status=404),
    # 民意处理, staff side
    "opinions:queue": Route(Perm.OPINION_VIEW),
    "opinions:export": Route(Perm.OPINION_VIEW),
    "opinions:enter": Route(Perm.OPINION_ENTER),
    "opinions:slots": Route(Perm.OPINION_ENTER),
    "opinions:detail": Route(Perm.OPINION_VIEW, "opinion", rename=(("opinion_id", "pk"),)),
    "opinions:act": Route(
        Perm.OPINION_TRIAGE, "opinion", method="post", rename=(("opinion_id", "pk"),), fixed=(("action", "route"),)
    ),
    # No photo / answer / appointment with these ids: an allowed, in-scope request reaches the lookup and gets 404.
    "opinions:photo": Route(
        Perm.OPINION_VIEW,
        "opinion",
        rename=(("opinion_id", "pk"),),
        fixed=(("photo_id", "999999"),),
        inscope_status=404,
    ),
    "opinions:attachment": Route(
        Perm.OPINION_VIEW,
        "opinion",
        rename=(("opinion_id", "pk"),),
        fixed=(("answer_id", "999999"),),
        inscope_status=404,
    ),
    "opinions:appointment_state": Route(
        Perm.OPINION_ENTER, method="post", fixed=(("pk", "999999"),), inscope_status=404
    ),
    "opinions:appointment_phone": Route(
        Perm.OPINION_ENTER, method="post", fixed=(("pk", "999999"),), inscope_status=404
    ),
    # 民意处理, citizens (no login)
    "public:deputy": Route(PUBLIC, "deputy"),
    "public:station": Route(PUBLIC, "station"),
    "public:deputy_opinion": Route(PUBLIC, "deputy"),
    "public:station_opinion": Route(PUBLIC, "station"),
    "public:deputy_book": Route(PUBLIC, "deputy"),
    "public:station_book": Route(PUBLIC, "station"),
    "public:similar": Route(PUBLIC),
    "public:suggest_category": Route(PUBLIC),
    "public:track": Route(PUBLIC),
    # A receipt or booking not remembered in this browser session sends the visitor to the lookup form.
    "public:track_detail": Route(PUBLIC, "receipt", public_status=302),
    "public:receipt": Route(PUBLIC, "receipt", public_status=302),
    "public:booked": Route(PUBLIC, fixed=(("code", "NOSUCHCODE"),), public_status=302),
    "public:booking_cancel": Route(PUBLIC),
    # A forged follow token is refused alike for everyone (a real one: renda/public/tests/test_follow_token.py).
    "public:follow": Route(PUBLIC, method="post", fixed=(("token", "1-forged"),), public_status=404),
    "public:follow_confirm": Route(PUBLIC, method="post", fixed=(("token", "1-forged"),), public_status=404),
    # 二码
    "codes:index": Route(Perm.ORG_VIEW),
    "codes:region": Route(Perm.ORG_VIEW, "region"),
    "codes:region_zip": Route(Perm.ORG_MANAGE, "region"),
    "codes:deputy_qr": Route(Perm.ORG_VIEW, "deputy"),
    "codes:deputy_poster_pdf": Route(Perm.ORG_VIEW, "deputy"),
    "codes:deputy_poster_png": Route(Perm.ORG_VIEW, "deputy"),
    "codes:station_qr": Route(Perm.ORG_VIEW, "station"),
    "codes:station_poster_pdf": Route(Perm.ORG_VIEW, "station"),
    "codes:station_poster_png": Route(Perm.ORG_VIEW, "station"),
    # messages, rosters
    "notify:inbox": Route(LOGIN),
    "notify:mark_all_read": Route(LOGIN, method="post"),
    "rosters:index": Route(Perm.ORG_MANAGE),
    "rosters:template": Route(Perm.ORG_MANAGE, fixed=(("kind", "deputies"),)),
    "rosters:export": Route(Perm.ORG_EXPORT, fixed=(("kind", "deputies"),)),
    "rosters:import": Route(Perm.ORG_MANAGE, fixed=(("kind", "deputies"),)),
    # REST API (/api/v1/)
    "api:api-root": Route(PUBLIC, api=True, public_status=404),  # ninja's bare prefix: nothing there
    "api:openapi-json": Route(PUBLIC, api=True),
    "api:openapi-view": Route(PUBLIC, api=True),
    "api:docs_asset": Route(PUBLIC, api=True, fixed=(("name", "swagger-ui.css"),)),
    "api:me": Route(LOGIN, api=True),
    "api:list_regions": Route(Perm.ORG_VIEW, api=True),
    "api:get_region": Route(Perm.ORG_VIEW, "region", api=True),
    "api:list_region_children": Route(Perm.ORG_VIEW, "region", api=True),
    "api:list_deputies": Route(Perm.ORG_VIEW, api=True),
    "api:create_deputy": Route(
        Perm.ORG_MANAGE, "region", method="post", api=True, body="new_deputy", rename=(("code", ""),)
    ),
    "api:get_deputy": Route(Perm.ORG_VIEW, "deputy", api=True),
    "api:update_deputy": Route(Perm.ORG_MANAGE, "deputy", method="patch", api=True, body="deputy_patch"),
    "api:list_stations": Route(Perm.ORG_VIEW, api=True),
    "api:get_station": Route(Perm.ORG_VIEW, "station", api=True),
    "api:join_station": Route(Perm.ORG_MANAGE, "station", method="post", api=True, body="join_station"),
    "api:list_units": Route(Perm.ORG_VIEW, api=True),
    "api:get_unit": Route(Perm.ORG_VIEW, "unit", api=True, rename=(("pk", "unit_id"),)),
    "api:list_bodies": Route(Perm.ORG_VIEW, api=True),
    "api:list_groups": Route(Perm.ORG_VIEW, api=True),
    # 民意处理 (staff). The opinion target is routed to the township's 规划建设办, the demo clerk's unit.
    "api:list_opinions": Route(Perm.OPINION_VIEW, api=True),
    "api:get_opinion": Route(Perm.OPINION_VIEW, "opinion", api=True),
    "api:enter_opinion": Route(
        Perm.OPINION_ENTER, "region", method="post", api=True, body="offline_opinion", rename=(("code", ""),)
    ),
    "api:route_opinion": Route(Perm.OPINION_TRIAGE, "opinion", method="post", api=True, body="route_opinion"),
    "api:answer_opinion": Route(Perm.OPINION_TRIAGE, "opinion", method="post", api=True, body="answer"),
    "api:refer_opinion": Route(Perm.OPINION_TRIAGE, "opinion", method="post", api=True, body="refer"),
    "api:referral_answer_opinion": Route(Perm.OPINION_TRIAGE, "opinion", method="post", api=True, body="answer"),
    "api:extend_decide_opinion": Route(Perm.OPINION_TRIAGE, "opinion", method="post", api=True, body="decision"),
    "api:review_answer_opinion": Route(Perm.OPINION_TRIAGE, "opinion", method="post", api=True, body="decision"),
    "api:interim_reply_opinion": Route(Perm.OPINION_HANDLE, "opinion", method="post", api=True, body="answer"),
    "api:extend_request_opinion": Route(Perm.OPINION_HANDLE, "opinion", method="post", api=True, body="extend"),
    "api:merge_opinion": Route(Perm.OPINION_TRIAGE, "opinion", method="post", api=True, body="merge"),
    # to the unit it is already with: refused with 400 once permission and scope have passed
    "api:reassign_opinion": Route(Perm.OPINION_TRIAGE, "opinion", method="post", api=True, body="reassign"),
    "api:escalated_answer_opinion": Route(Perm.OPINION_TRIAGE, "opinion", method="post", api=True, body="answer"),
    "api:accept_opinion": Route(Perm.OPINION_HANDLE, "opinion", method="post", api=True),
    "api:return_opinion": Route(Perm.OPINION_HANDLE, "opinion", method="post", api=True, body="return"),
    "api:progress_opinion": Route(Perm.OPINION_HANDLE, "opinion", method="post", api=True, body="progress"),
    "api:unit_answer_opinion": Route(Perm.OPINION_HANDLE, "opinion", method="post", api=True, body="answer"),
    # 民意处理 (citizens, no account): the same answer for everyone, logged in or not.
    "api:public_station": Route(PUBLIC, "station", api=True),
    "api:public_station_villages": Route(PUBLIC, "station", api=True),
    "api:public_station_slots": Route(PUBLIC, "station", api=True),
    "api:public_deputy": Route(PUBLIC, "deputy", api=True),
    "api:public_deputy_slots": Route(PUBLIC, "deputy", api=True),
    "api:public_categories": Route(PUBLIC, api=True),
    # The matrix sends no Idempotency-Key, which these require: 422 shows the handler was reached.
    "api:public_submit_opinion": Route(
        PUBLIC,
        "station",
        method="post",
        api=True,
        body="public_opinion",
        rename=(("public_id", ""),),
        public_status=422,
    ),
    "api:public_submit_opinion_with_photos": Route(PUBLIC, method="post", api=True, public_status=422),
    "api:public_book": Route(
        PUBLIC, "station", method="post", api=True, body="appointment", rename=(("public_id", ""),), public_status=422
    ),
    "api:public_track": Route(PUBLIC, "receipt", method="post", api=True, body="track", rename=(("receipt_code", ""),)),
    # The opinion target is routed, not answered: rating it is refused with 409.
    "api:public_rate_opinion": Route(PUBLIC, "receipt", method="post", api=True, body="rate", public_status=409),
    # Signed, not logged in; with GOVERNANCE_INBOUND_SECRET empty (as below) it is switched off for everyone.
    "api:governance_event": Route(PUBLIC, method="post", api=True, public_status=503),
}


def _new_deputy(kwargs: dict[str, object], side: dict[str, tuple[str, dict[str, object]]]) -> dict[str, object]:
    return {"name": "矩阵测试", "region": kwargs["code"], "mandates": [{"level": 5, "term": 19}]}


def _deputy_patch(kwargs: dict[str, object], side: dict[str, tuple[str, dict[str, object]]]) -> dict[str, object]:
    return {"occupation": "矩阵测试"}


def _join_station(kwargs: dict[str, object], side: dict[str, tuple[str, dict[str, object]]]) -> dict[str, object]:
    return {"deputy": side["deputy"][1]["public_id"]}


def _offline_opinion(kwargs: dict[str, object], side: dict[str, tuple[str, dict[str, object]]]) -> dict[str, object]:
    category = Category.objects.get(name="路灯")
    return {
        "text": "矩阵测试：走访时收集的意见。",
        "category": category.pk,
        "region": kwargs["code"],
        "source": "visit",
    }


def _route_opinion(kwargs: dict[str, object], side: dict[str, tuple[str, dict[str, object]]]) -> dict[str, object]:
    return {"unit": side["unit"][1]["pk"], "workdays": 5}


def _reassign(kwargs: dict[str, object], side: dict[str, tuple[str, dict[str, object]]]) -> dict[str, object]:
    return {"unit": side["unit"][1]["pk"], "reason": "矩阵测试"}


def _answer(kwargs: dict[str, object], side: dict[str, tuple[str, dict[str, object]]]) -> dict[str, object]:
    return {"text": "矩阵测试：已安排处理。"}


def _merge(kwargs: dict[str, object], side: dict[str, tuple[str, dict[str, object]]]) -> dict[str, object]:
    return {"into": side["receipt"][1]["receipt_code"], "reason": "矩阵测试"}  # into itself: refused with 400


def _refer(kwargs: dict[str, object], side: dict[str, tuple[str, dict[str, object]]]) -> dict[str, object]:
    from renda.org.models import Deputy

    return {"deputies": [Deputy.objects.order_by("id").values_list("pk", flat=True).first()], "text": ""}


def _decision(kwargs: dict[str, object], side: dict[str, tuple[str, dict[str, object]]]) -> dict[str, object]:
    return {"approve": True, "note": "矩阵测试"}


def _extend(kwargs: dict[str, object], side: dict[str, tuple[str, dict[str, object]]]) -> dict[str, object]:
    return {"workdays": 3, "reason": "矩阵测试：等待材料"}


def _return(kwargs: dict[str, object], side: dict[str, tuple[str, dict[str, object]]]) -> dict[str, object]:
    return {"reason": "矩阵测试：非本单位职责"}


def _progress(kwargs: dict[str, object], side: dict[str, tuple[str, dict[str, object]]]) -> dict[str, object]:
    return {"note": "矩阵测试"}


def _public_opinion(kwargs: dict[str, object], side: dict[str, tuple[str, dict[str, object]]]) -> dict[str, object]:
    village = Region.objects.get(code=side["region"][1]["code"])
    return {"text": "矩阵测试：路灯不亮。", "category": Category.objects.get(name="路灯").pk, "region": village.pk,
            "station": kwargs["public_id"], "anonymous": True}  # fmt: skip


def _appointment(kwargs: dict[str, object], side: dict[str, tuple[str, dict[str, object]]]) -> dict[str, object]:
    return {"slot": 1, "name": "矩阵测试", "phone": "13800000000", "topic": "矩阵测试"}


def _pin(receipt_code: object) -> str:
    from renda.opinions.models import Opinion
    from renda.opinions.policy import track_pin

    return track_pin(Opinion.objects.get(receipt_code=receipt_code))  # anonymous: the code and its 查询密码


def _track(kwargs: dict[str, object], side: dict[str, tuple[str, dict[str, object]]]) -> dict[str, object]:
    return {"receipt_code": kwargs["receipt_code"], "digits": _pin(kwargs["receipt_code"])}


def _rate(kwargs: dict[str, object], side: dict[str, tuple[str, dict[str, object]]]) -> dict[str, object]:
    return {"value": "satisfied", "digits": _pin(kwargs["receipt_code"])}


BODIES = {
    "new_deputy": _new_deputy,
    "deputy_patch": _deputy_patch,
    "join_station": _join_station,
    "offline_opinion": _offline_opinion,
    "route_opinion": _route_opinion,
    "reassign": _reassign,
    "answer": _answer,
    "merge": _merge,
    "return": _return,
    "refer": _refer,
    "decision": _decision,
    "extend": _extend,
    "progress": _progress,
    "public_opinion": _public_opinion,
    "appointment": _appointment,
    "track": _track,
    "rate": _rate,
}
OPINION_TARGETS = {"opinion", "receipt"}
# Scene parts: their routes, JSON bodies and record builders join the matrix.
SCENE_PARTS = (suggestions_part, meetings_part, voting_part, projects_part)
SCENE_TARGETS = {}
for _part in SCENE_PARTS:
    assert not set(_part.ROUTES) & set(MATRIX), f"{_part.__name__} repeats a route"
    assert not set(_part.BODIES) & set(BODIES), f"{_part.__name__} repeats a body builder's name"
    MATRIX.update(_part.ROUTES)
    BODIES.update(_part.BODIES)
    SCENE_TARGETS.update(_part.TARGETS)
ADMIN_PREFIX = "admin:"


@dataclass
class Targets:
    """One record of each kind inside 白鹭镇 (the demo township user's town) and one in a
    township no demo staff user below county level holds."""

    inside: dict[str, tuple[str, dict[str, object]]]
    outside: dict[str, tuple[str, dict[str, object]]]


def _targets_in(
    path: str, *, with_opinion: bool = False, scene_target: str = ""
) -> dict[str, tuple[str, dict[str, object]]]:
    region = Region.objects.filter(path__startswith=path, level=RegionLevel.VILLAGE).order_by("path").first()
    deputy = Deputy.objects.filter(region__path__startswith=path).order_by("id").first()
    station = Station.objects.filter(region__path__startswith=path).order_by("code").first()
    unit = HandlingUnit.objects.filter(region__path__startswith=path).order_by("code").first()
    group = DeputyGroup.objects.filter(region__path__startswith=path).order_by("id").first()
    assert region and deputy and station and unit and group
    targets: dict[str, tuple[str, dict[str, object]]] = {
        "region": (region.path, {"code": region.code}),
        "deputy": (deputy.region.path, {"public_id": deputy.public_id}),
        "station": (station.region.path, {"public_id": station.public_id}),
        "unit": (unit.region.path, {"pk": unit.pk}),
        "group": (group.region.path, {"pk": group.pk}),
    }
    if with_opinion:
        opinion = _routed_opinion(path, region)
        targets["opinion"] = (opinion.region.path, {"opinion_id": opinion.pk})
        targets["receipt"] = (opinion.region.path, {"receipt_code": opinion.receipt_code})
    if scene_target:
        targets[scene_target] = SCENE_TARGETS[scene_target](path)
    return targets


def _routed_opinion(path: str, region: Region):  # type: ignore[no-untyped-def]
    """An anonymous 路灯 case filed at the township's first village station (in 白鹭镇: the demo
    liaison's, where the demo deputy sits) and routed to its 规划建设办 (the demo clerk's unit),
    so that every role holding the permission and the region also sees the case."""
    station = Station.objects.filter(region__path__startswith=path, kind=StationKind.STATION).order_by("code").first()
    unit = HandlingUnit.objects.filter(region__path=path, name__endswith="规划建设办").first()
    assert station is not None and unit is not None
    opinion, _ = opinion_intake.opinion_submit(
        data=opinion_intake.OpinionInput(
            text="权限矩阵测试：村口路灯不亮。", region=region, category=Category.objects.get(name="路灯"),
            station=station, anonymous=True,
        )
    )  # fmt: skip
    return opinion_services.opinion_route(scope=system_scope("权限矩阵"), opinion=opinion, unit=unit)


def build_targets(
    township_root: str, street_root: str, *, with_opinion: bool = False, scene_target: str = ""
) -> Targets:
    other = (
        Region.objects.filter(level=RegionLevel.TOWNSHIP, path__startswith=township_root[:6])
        .exclude(path__in=[township_root, street_root])
        .order_by("-path")
        .first()
    )
    assert other is not None
    return Targets(
        inside=_targets_in(township_root, with_opinion=with_opinion, scene_target=scene_target),
        outside=_targets_in(other.path, with_opinion=with_opinion, scene_target=scene_target),
    )


def expected(route: Route, role: str, scope, target_path: str | None) -> set[int]:  # type: ignore[no-untyped-def]
    if route.perm == PUBLIC:
        return {200, 302} if route.logged_in_redirect and role != "anonymous" else {route.public_status}
    if role == "anonymous":
        return {401} if route.api else {302}
    if route.perm != LOGIN and not scope.has(route.perm):
        return {403}
    if target_path is not None and not scope.covers_path(target_path):
        return {404}
    if route.inscope_status is not None:
        return {route.inscope_status}
    if route.method in ("post", "patch"):
        return {200, 201, 204, 302, 400, 409, 422}  # reached the handler: a form error or a redirect, never 403/404/500
    return {200}


@pytest.fixture(autouse=True)
def _no_carry_over(settings, cache_cleared):  # type: ignore[no-untyped-def]
    """Rate-limit counters live in the cache and would carry over from earlier tests; the
    governance platform is not configured, so routing delivers nothing and its callback is off."""
    settings.GOVERNANCE_WEBHOOK_URL = ""
    settings.GOVERNANCE_INBOUND_SECRET = ""


@pytest.fixture
def clients(client_as) -> dict[str, Client]:  # type: ignore[no-untyped-def]
    result = {"anonymous": Client()}
    for role in ROLES[1:]:
        result[role] = client_as(role)
    return result


def test_every_route_is_in_the_matrix():
    routes = {n for n in all_route_names() if not n.startswith(ADMIN_PREFIX)}
    missing = sorted(routes - set(MATRIX))
    stale = sorted(set(MATRIX) - routes)
    assert not missing, f"routes without a permission-matrix entry: {missing}"
    assert not stale, f"matrix entries for routes that no longer exist: {stale}"


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_route_answers_each_role_as_its_permissions_and_scope_say(name, clients, scope_of):
    route = MATRIX[name]
    targets = build_targets(
        scope_of("township").roots[0],
        scope_of("street").roots[0],
        with_opinion=route.target in OPINION_TARGETS,
        scene_target=route.target if route.target in SCENE_TARGETS else "",
    )
    cases: list[tuple[str | None, dict[str, object], dict[str, object]]] = []
    if route.target:
        for side in (targets.inside, targets.outside):
            path, kwargs = side[route.target]
            body = BODIES[route.body](kwargs, side) if route.body else {}
            cases.append((path, kwargs, body))
    else:
        cases.append((None, {}, {}))
    failures = []
    for path, target_kwargs, body in cases:
        kwargs = dict(target_kwargs)
        for old, new in route.rename:
            value = kwargs.pop(old)
            if new:
                kwargs[new] = value
        kwargs.update(dict(route.fixed))
        url = reverse(name, kwargs=kwargs or None)
        for role in ROLES:
            scope = scope_of(role) if role != "anonymous" else None
            if route.body:
                response = getattr(clients[role], route.method)(url, data=body, content_type="application/json")
            else:
                response = getattr(clients[role], route.method)(url)
            want = expected(route, role, scope, path)
            if response.status_code not in want:
                failures.append(
                    f"{role:<9} {route.method.upper()} {url} -> {response.status_code}, expected {sorted(want)}"
                )
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_django_admin_is_only_for_administrators(clients):
    for role in ROLES:
        for url in ["/admin/", "/admin/org/deputy/"]:
            status = clients[role].get(url).status_code
            assert status == (200 if role == "admin" else 302), (role, url, status)
