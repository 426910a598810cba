"""起草建议 for a deputy of several congresses (五级代表) and the searchable co-signer picker, through
the pages: the congress chosen gives the number, the deadlines, the office that handles it and the
deputies who may co-sign; the picker searches without JavaScript and through its htmx partial."""

from __future__ import annotations

import pytest

from renda.core.workdays import add_workdays
from renda.org.models import Body, BodyKind, CongressLevel, Deputy, Mandate
from renda.suggestions import services
from renda.suggestions.models import CongressRules, NumberCounter, State, Suggestion
from renda.suggestions.tests.conftest import seat

pytestmark = pytest.mark.django_db


def county_of(town) -> Body:
    return Body.objects.get(kind=BodyKind.CONGRESS, level=CongressLevel.COUNTY, region=town.region.parent)


def county_peer(town) -> Deputy:
    """A county deputy elected in another township of the county: never a township co-signer."""
    peer = (
        Deputy.objects.filter(
            region__path__startswith=town.region.parent.path, mandates__level=CongressLevel.COUNTY, is_active=True
        )
        .exclude(region__path__startswith=town.region.path)
        .order_by("id")
        .first()
    )
    assert peer is not None
    return peer


def form(town, body: Body, **extra: object) -> dict[str, object]:
    return {
        "body": body.pk,
        "title": "关于加快农村公路提档升级的建议",
        "content": "通村公路路面窄、会车难，雨季多处坑洼，群众出行不便。",
        "category": town.category.pk,
        "period": "recess",
    } | extra


def test_a_deputy_of_two_congresses_addresses_the_county_which_numbers_and_handles_it(client_as, town, scope_of):
    # Given the demo deputy also sits in the county congress, whose own rules give 3 working days to assign
    seat(town.deputy, CongressLevel.TOWNSHIP, CongressLevel.COUNTY)
    county = county_of(town)
    CongressRules.objects.create(body=county, assign_workdays=3, source="县人大代表建议办理办法")
    peer = county_peer(town)
    deputy = client_as("deputy")
    # the form offers both congresses, the township's (the lowest) chosen
    page = deputy.get("/suggestions/new/").content.decode()
    assert f'<option value="{town.body.pk}" selected>' in page and f'<option value="{county.pk}">' in page
    assert "您是多级人大代表" in page
    # and the co-signers offered follow the choice: a county deputy of another township only for the county
    partial = deputy.get("/suggestions/new/cosigners/", {"body": county.pk, "cosigner_q": peer.name})
    assert partial.status_code == 200 and f'value="{peer.pk}"' in partial.content.decode()
    partial = deputy.get("/suggestions/new/cosigners/", {"body": town.body.pk, "cosigner_q": peer.name})
    assert f'value="{peer.pk}"' not in partial.content.decode()
    # When they address the county with that co-signer
    response = deputy.post("/suggestions/new/", form(town, county, cosigners=[peer.pk]))
    assert response.status_code == 302
    s = Suggestion.objects.latest("id")
    assert s.body == county and s.region == county.region
    assert s.signatories.filter(deputy=peer).exists()
    # Then the county's office, not the township's, handles it
    services.suggestion_cosign(scope=_deputy_scope(peer), suggestion=s)
    services.suggestion_submit(scope=scope_of("deputy"), suggestion=s)
    assert client_as("township").get(f"/suggestions/{s.pk}/").status_code == 404
    assert client_as("county").get(f"/suggestions/{s.pk}/").status_code == 200
    s = services.suggestion_accept(scope=scope_of("county"), suggestion=s)
    # numbered in the county's series and given the county's deadline
    assert NumberCounter.objects.get(body=county, year=s.year).last == s.seq
    assert s.assign_by == add_workdays(services.today(), 3).date  # the county's own rule, not the global 7
    assert s.number == f"〔{s.year}〕第{s.seq}号"


def _deputy_scope(deputy: Deputy):  # type: ignore[no-untyped-def]
    from renda.core.scoping import ROLE_PERMS, Scope

    return Scope(
        user_id=None, system_label=deputy.name, roots=[deputy.region.path[:6]], perms=set(ROLE_PERMS["deputy"]),
        deputy_ids={deputy.pk},
    )  # fmt: skip


def test_a_deputy_of_one_congress_sees_no_choice(client_as, town):
    seat(town.deputy, CongressLevel.TOWNSHIP)
    page = client_as("deputy").get("/suggestions/new/").content.decode()
    assert f'<input type="hidden" name="body" value="{town.body.pk}"' in page
    assert f"向<strong>{town.body.name}</strong>提出" in page and "您是多级人大代表" not in page


def test_a_congress_the_deputy_does_not_sit_in_is_refused(client_as, town):
    seat(town.deputy, CongressLevel.TOWNSHIP)
    county = county_of(town)
    other_town = Body.objects.filter(kind=BodyKind.CONGRESS, level=CongressLevel.TOWNSHIP).exclude(pk=town.body.pk)
    other = other_town.order_by("id").first()
    assert other is not None
    deputy = client_as("deputy")
    before = Suggestion.objects.count()
    for body in (county, other):  # not a county deputy; another township's congress (another region)
        response = deputy.post("/suggestions/new/", form(town, body))
        assert response.status_code == 400 and "您不是该人民代表大会的代表" in response.content.decode()
        assert deputy.get("/suggestions/new/cosigners/", {"body": body.pk}).status_code == 404
    for bad in ("abc", "1" * 40, "-3", "²"):
        assert deputy.post("/suggestions/new/", form(town, town.body) | {"body": bad}).status_code == 400
        assert deputy.get("/suggestions/new/cosigners/", {"body": bad}).status_code == 404
    assert Suggestion.objects.count() == before


def test_a_co_signer_of_another_congress_is_refused_in_chinese(client_as, town):
    seat(town.deputy, CongressLevel.TOWNSHIP, CongressLevel.COUNTY)
    peer = county_peer(town)  # a county deputy, not of this township's congress
    before = Suggestion.objects.count()
    deputy = client_as("deputy")
    for cosigners in ([peer.pk], ["abc"], [town.deputy.pk], [999999999]):
        response = deputy.post("/suggestions/new/", form(town, town.body, cosigners=cosigners))
        assert response.status_code == 400, cosigners
        assert "不能联名" in response.content.decode() or "不正确" in response.content.decode()
    assert Suggestion.objects.count() == before


def test_the_picker_searches_by_name_pinyin_number_and_station(client_as, town):
    seat(town.deputy, CongressLevel.TOWNSHIP)
    c = Deputy.objects.select_related("region").get(pk=town.cosigner.pk)
    station = c.memberships.filter(end_date__isnull=True).select_related("station").first()
    deputy = client_as("deputy")
    for q in (c.name, c.name_initials, c.public_id, c.region.name, station.station.name if station else c.name):
        html = deputy.get("/suggestions/new/cosigners/", {"body": town.body.pk, "cosigner_q": q}).content.decode()
        assert f'value="{c.pk}"' in html, q
    # the lead deputy is never offered; nonsense finds nobody, and says so
    html = deputy.get("/suggestions/new/cosigners/", {"body": town.body.pk, "cosigner_q": town.deputy.name}).content
    assert f'value="{town.deputy.pk}"'.encode() not in html
    html = deputy.get("/suggestions/new/cosigners/", {"body": town.body.pk, "cosigner_q": "无此人"}).content.decode()
    assert "没有找到" in html and 'name="cosigners"' not in html
    # a ticked deputy stays ticked whatever the next search finds
    html = deputy.get(
        "/suggestions/new/cosigners/", {"body": town.body.pk, "cosigner_q": "无此人", "cosigners": [c.pk, "x"]}
    ).content.decode()
    assert f'value="{c.pk}" checked' in html
    # a long search is cut, not refused
    assert (
        deputy.get("/suggestions/new/cosigners/", {"body": town.body.pk, "cosigner_q": "张" * 500}).status_code == 200
    )
    # the list is short: 12 before a search, 30 at most after, with the total
    html = deputy.get("/suggestions/new/cosigners/", {"body": town.body.pk}).content.decode()
    assert html.count('name="cosigners"') == 12 and "同级代表共" in html and "显示前 12 位" in html


def test_the_picker_works_without_javascript(client_as, town):
    seat(town.deputy, CongressLevel.TOWNSHIP)
    c = town.cosigner
    deputy = client_as("deputy")
    before = Suggestion.objects.count()
    # When the deputy types a title, searches (查找) and ticks a co-signer
    response = deputy.post("/suggestions/new/", form(town, town.body, _search="1", cosigner_q=c.name))
    html = response.content.decode()
    # Then the page comes back with what was typed, the match, no error, and nothing saved
    assert response.status_code == 200 and "关于加快农村公路提档升级的建议" in html
    assert f'value="{c.pk}"' in html and 'role="alert"' not in html
    assert Suggestion.objects.count() == before
    # and saving with the tick invites them
    response = deputy.post("/suggestions/new/", form(town, town.body, cosigners=[c.pk], cosigner_q=c.name))
    assert response.status_code == 302
    s = Suggestion.objects.latest("id")
    assert s.state == State.DRAFT and s.signatories.filter(deputy=c, is_lead=False).exists()


def test_mandates_are_kept_as_the_roster_has_them(town):
    seat(town.deputy, CongressLevel.TOWNSHIP, CongressLevel.COUNTY)
    assert set(Mandate.objects.filter(deputy=town.deputy).values_list("level", flat=True)) == {
        CongressLevel.TOWNSHIP,
        CongressLevel.COUNTY,
    }


def test_the_api_takes_any_congress_of_the_deputy_and_refuses_others(client_as, town, cache_cleared):
    seat(town.deputy, CongressLevel.TOWNSHIP, CongressLevel.COUNTY)
    county = county_of(town)
    other = Body.objects.filter(kind=BodyKind.CONGRESS, level=CongressLevel.TOWNSHIP).exclude(pk=town.body.pk).first()
    assert other is not None
    deputy = client_as("deputy")
    payload = {"title": "关于加快农村公路提档升级的建议", "content": "通村公路路面窄、会车难，雨季多处坑洼。",
               "category": town.category.pk}  # fmt: skip
    made = deputy.post("/api/v1/suggestions", payload | {"body": county.pk}, content_type="application/json")
    assert made.status_code == 201 and made.json()["body"] == county.name
    # the deputy reads their county suggestion through the API too
    assert deputy.get(f"/api/v1/suggestions/{made.json()['id']}").status_code == 200
    refused = deputy.post("/api/v1/suggestions", payload | {"body": other.pk}, content_type="application/json")
    assert refused.status_code == 404 and "不在您的范围内" in refused.json()["detail"]
    peer = county_peer(town)
    wrong = deputy.post(
        "/api/v1/suggestions",
        payload | {"body": town.body.pk, "cosigners": [peer.public_id]},
        content_type="application/json",
    )
    assert wrong.status_code == 400 and wrong.json()["field"] == "cosigners" and "不能联名" in wrong.json()["detail"]
