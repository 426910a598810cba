"""Every action a page or the API offers has a route, and every staff transition an action.

The scenes' ``actions.py`` tables drive the buttons, the API's ``actions`` field and the routes;
these tests hold the three together: a transition in states.py without a row in actions.py, an
action without its page or API route, or a button posting to a URL nothing answers, fails here.
"""

from __future__ import annotations

import importlib
import re
from html import unescape

import pytest
from django.apps import apps
from django.test import Client
from django.urls import Resolver404, resolve

from renda.core.actions import ActionTable
from renda.opinions import intake, services
from renda.opinions.models import Opinion, State
from renda.org.models import Category, HandlingUnit, Station
from tests.test_permission_matrix import all_route_names


def tables() -> list[tuple[str, ActionTable]]:  # type: ignore[type-arg]
    found = []
    for config in apps.get_app_configs():
        if not config.name.startswith("renda."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.actions")
        except ModuleNotFoundError:
            continue
        found += [(f"{config.name}.actions.{k}", v) for k, v in vars(module).items() if isinstance(v, ActionTable)]
    return found


TABLES = tables()


def test_the_scenes_have_action_tables():
    assert "renda.opinions.actions.ACTIONS" in {name for name, _ in TABLES}


@pytest.mark.parametrize(("name", "table"), TABLES, ids=[n for n, _ in TABLES])
def test_every_staff_transition_is_an_action_or_done_elsewhere(name, table):
    staff = {t.name for t in table.machine if t.perm is not None and t.entity == table.entity}
    assert staff - table.transitions - set(table.elsewhere) == set(), f"{name}: transitions nobody can start"
    routes = all_route_names()
    missing = [url for url in table.elsewhere.values() if url and url not in routes]
    assert missing == [], f"{name}: transitions done elsewhere, by routes that do not exist"


@pytest.mark.parametrize(("name", "table"), TABLES, ids=[n for n, _ in TABLES])
def test_every_action_has_a_page_route_and_an_api_route(name, table):
    routes = all_route_names()
    assert table.page in routes, f"{name}: the page's act route {table.page!r} does not exist"
    missing = [a.name for a in table if a.api is not None and f"api:{table.api_route_name(a)}" not in routes]
    assert missing == [], f"{name}: actions without an API route"


def _case(scope_of, *, routed: bool) -> Opinion:
    station_user = scope_of("liaison")
    station = next(iter(station_user.station_ids))
    home = Station.objects.get(pk=station)
    village = home.served_regions.order_by("path").first()
    opinion, _ = intake.opinion_submit(
        scope=station_user,
        data=intake.OpinionInput(
            text="村口路灯坏了一个月，晚上出行不方便。",
            region=village,
            category=Category.objects.get(name="路灯"),
            source="reception",
            station=home,
            anonymous=True,
        ),
    )
    if routed:
        unit = HandlingUnit.objects.filter(roleassignment__user__username="clerk").first()
        assert unit is not None
        services.opinion_route(scope=scope_of("township"), opinion=opinion, unit=unit, workdays=5)
    return Opinion.objects.get(pk=opinion.pk)


@pytest.mark.django_db
@pytest.mark.parametrize(("user", "routed"), [("township", False), ("clerk", True)])
def test_the_case_page_and_the_api_offer_only_routed_actions(client_as, scope_of, user, routed):
    opinion = _case(scope_of, routed=routed)
    client: Client = client_as(user)
    page = client.get(f"/opinions/{opinion.pk}/").content.decode()
    posted = {unescape(u) for u in re.findall(r'<form[^>]*action="([^"]+)"', page)}
    acts = [u for u in posted if "/act/" in u]
    assert acts, "the case page shows no action at all"
    for url in acts:
        try:
            match = resolve(url)
        except Resolver404:
            pytest.fail(f"the case page posts to {url}, which no route answers")
        assert match.view_name == "opinions:act" and match.kwargs["action"] in services.OPINIONS.machine

    assert_offered_actions_are_routed(client, f"/api/v1/opinions/{opinion.pk}", "/api/v1/opinions/{opinion_id}")
    assert opinion.state == (State.ROUTED if routed else State.SUBMITTED)


def assert_offered_actions_are_routed(client: Client, detail_url: str, route_prefix: str) -> None:
    """Every action the API's ``actions`` field offers on ``detail_url`` is a POST route."""
    detail = client.get(detail_url).json()
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    offered = [a["name"] for a in detail["actions"]]
    assert offered, "the API offers no action"
    for name in offered:
        assert "post" in paths.get(f"{route_prefix}/{name}", {}), f"{name} is offered but has no API route"
