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

from renda.core.scoping import Perm
from renda.org.models import Deputy, DeputyGroup, HandlingUnit, Station
from renda.regions.models import Region, RegionLevel

ROLES = ["anonymous", "admin", "city", "county", "township", "street", "liaison", "deputy", "clerk"]
PUBLIC = "public"
LOGIN = "login"  # any logged-in user


@dataclass(frozen=True)
class Route:
    perm: str  # PUBLIC, LOGIN or a Perm
    target: str = ""  # which record the URL names: region, deputy, station, unit, group, roster ("" = none)
    method: str = "get"
    api: bool = False
    logged_in_redirect: bool = False  # e.g. the login page sends a logged-in user home
    rename: tuple[tuple[str, str], ...] = ()  # URL kwarg names that differ from the target's
    fixed: tuple[tuple[str, str], ...] = ()  # constant URL kwargs
    body: str = ""  # a JSON body builder in BODIES, for API writes
    public_status: int = 200  # what a public route answers everyone


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
    "api:create_deputy": Route(Perm.ORG_MANAGE, "region", method="post", api=True, body="new_deputy", rename=(("code", ""),)),
    "api:get_deputy": Route(Perm.ORG_VIEW, "deputy", api=True),
    "api:update_deputy": Route(Perm.ORG_MANAGE, "deputy", method="patch", api=True, body="deputy_patch"),
    "api:list_stations": Route(Perm.ORG_VIEW, api=True),
    "api:get_station": Route(Perm.ORG_VIEW, "station", api=True),
    "api:join_station": Route(Perm.ORG_MANAGE, "station", method="post", api=True, body="join_station"),
    "api:list_units": Route(Perm.ORG_VIEW, api=True),
    "api:get_unit": Route(Perm.ORG_VIEW, "unit", api=True, rename=(("pk", "unit_id"),)),
    "api:list_bodies": Route(Perm.ORG_VIEW, api=True),
    "api:list_groups": Route(Perm.ORG_VIEW, api=True),
}


def _new_deputy(kwargs: dict[str, object], side: dict[str, tuple[str, dict[str, object]]]) -> dict[str, object]:
    return {"name": "矩阵测试", "region": kwargs["code"], "mandates": [{"level": 5, "term": 19}]}


def _deputy_patch(kwargs: dict[str, object], side: dict[str, tuple[str, dict[str, object]]]) -> dict[str, object]:
    return {"occupation": "矩阵测试"}


def _join_station(kwargs: dict[str, object], side: dict[str, tuple[str, dict[str, object]]]) -> dict[str, object]:
    return {"deputy": side["deputy"][1]["public_id"]}


BODIES = {"new_deputy": _new_deputy, "deputy_patch": _deputy_patch, "join_station": _join_station}
ADMIN_PREFIX = "admin:"


@dataclass
class Targets:
    """One record of each kind inside 白鹭镇 (the demo township user's town) and one in a
    township no demo staff user below county level holds."""

    inside: dict[str, tuple[str, dict[str, object]]]
    outside: dict[str, tuple[str, dict[str, object]]]


def _targets_in(path: str) -> dict[str, tuple[str, dict[str, object]]]:
    region = Region.objects.filter(path__startswith=path, level=RegionLevel.VILLAGE).order_by("path").first()
    deputy = Deputy.objects.filter(region__path__startswith=path).order_by("id").first()
    station = Station.objects.filter(region__path__startswith=path).order_by("code").first()
    unit = HandlingUnit.objects.filter(region__path__startswith=path).order_by("code").first()
    group = DeputyGroup.objects.filter(region__path__startswith=path).order_by("id").first()
    assert region and deputy and station and unit and group
    return {
        "region": (region.path, {"code": region.code}),
        "deputy": (deputy.region.path, {"public_id": deputy.public_id}),
        "station": (station.region.path, {"public_id": station.public_id}),
        "unit": (unit.region.path, {"pk": unit.pk}),
        "group": (group.region.path, {"pk": group.pk}),
    }


def build_targets(township_root: str, street_root: str) -> Targets:
    other = (
        Region.objects.filter(level=RegionLevel.TOWNSHIP, path__startswith=township_root[:6])
        .exclude(path__in=[township_root, street_root])
        .order_by("-path")
        .first()
    )
    assert other is not None
    return Targets(inside=_targets_in(township_root), outside=_targets_in(other.path))


def expected(route: Route, role: str, scope, target_path: str | None) -> set[int]:  # type: ignore[no-untyped-def]
    if route.perm == PUBLIC:
        return {200, 302} if route.logged_in_redirect and role != "anonymous" else {route.public_status}
    if role == "anonymous":
        return {401} if route.api else {302}
    if route.perm != LOGIN and not scope.has(route.perm):
        return {403}
    if target_path is not None and not scope.covers_path(target_path):
        return {404}
    if route.method in ("post", "patch"):
        return {200, 201, 204, 302, 400, 409, 422}  # reached the handler: a form error or a redirect, never 403/404/500
    return {200}


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
    targets = build_targets(scope_of("township").roots[0], scope_of("street").roots[0])
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
