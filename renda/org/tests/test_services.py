import datetime as dt

import pytest

from renda.audit.models import AuditEvent
from renda.core.errors import NotFound, ValidationFailed
from renda.org import services
from renda.org.models import (
    CongressLevel,
    Deputy,
    DeputyGroup,
    DeputyKind,
    GroupKind,
    Mandate,
    OfficerRole,
    Station,
    StationMembership,
)
from renda.regions.models import Region, RegionKind, RegionLevel


def counts():
    return (
        Deputy.objects.count(),
        Mandate.objects.count(),
        StationMembership.objects.count(),
        AuditEvent.objects.count(),
    )


@pytest.fixture
def town_village(scope_of):
    root = scope_of("township").roots[0]
    return Region.objects.filter(path__startswith=root, level=RegionLevel.VILLAGE).order_by("path").last()


@pytest.mark.django_db
def test_a_person_can_hold_several_levels(scope_of, town_village):
    scope = scope_of("township")
    deputy = services.deputy_create(
        scope=scope,
        data=services.DeputyInput(
            name="欧阳晓明",
            region=town_village,
            gender="F",
            phone="13912345678",
            mandates=(
                services.MandateInput(CongressLevel.TOWNSHIP, 19, "第3选区"),
                services.MandateInput(CongressLevel.COUNTY, 18),
            ),
        ),
    )
    assert sorted(deputy.mandates.values_list("level", flat=True)) == [CongressLevel.COUNTY, CongressLevel.TOWNSHIP]
    township_mandate = deputy.mandates.get(level=CongressLevel.TOWNSHIP)
    assert township_mandate.body.region.path == town_village.path[:9]
    assert deputy.name_initials == "oyxm" and deputy.name_pinyin == "ouyangxiaoming"
    event = AuditEvent.objects.get(action="deputy.create", target_id=str(deputy.pk))
    assert event.after["mandates"] == ["县级第18届", "乡镇级第19届（第3选区）"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "姓名不能为空"),
        ({"name": "张" * 51}, "不能超过 50"),
        ({"phone": "12345"}, "手机格式不正确"),
        ({"mandates": ()}, "至少要有一个层级"),
        (
            {
                "mandates": (
                    services.MandateInput(CongressLevel.COUNTY, 18),
                    services.MandateInput(CongressLevel.COUNTY, 17),
                )
            },
            "层级重复",
        ),
        ({"mandates": (services.MandateInput(CongressLevel.COUNTY, 0),)}, "届次应在"),
        ({"kind": DeputyKind.DELIBERATION, "mandates": ()}, "只能属于街道"),
        ({"birth_year": 2020}, "出生年份"),
        ({"gender": "X"}, "性别"),
    ],
)
def test_bad_deputy_input_is_refused_and_writes_nothing(scope_of, town_village, changes, message):
    data = {
        "name": "王五",
        "region": town_village,
        "mandates": (services.MandateInput(CongressLevel.TOWNSHIP, 19),),
    } | changes
    before = counts()
    with pytest.raises(ValidationFailed, match=message):
        services.deputy_create(scope=scope_of("township"), data=services.DeputyInput(**data))
    assert counts() == before


@pytest.mark.django_db
def test_every_wrong_field_of_a_deputy_is_named_at_once(scope_of, town_village):
    data = services.DeputyInput(name="", region=town_village, phone="12345", gender="X", birth_year=2020)
    before = counts()
    with pytest.raises(ValidationFailed) as refused:
        services.deputy_create(scope=scope_of("township"), data=data)
    assert list(refused.value.errors) == ["gender", "name", "birth_year", "phone", "mandates"]
    assert refused.value.field == "gender"
    assert counts() == before


@pytest.mark.django_db
def test_every_wrong_field_of_a_station_is_named_at_once(scope_of, town_village):
    data = services.StationInput(code="a b", name="", kind="nope", region=town_village, address="路" * 201)
    with pytest.raises(ValidationFailed) as refused:
        services.station_create(scope=scope_of("township"), data=data)
    assert set(refused.value.errors) == {"kind", "code", "name", "address"}


@pytest.mark.django_db
def test_deputy_in_another_township_cannot_be_created(scope_of):
    scope = scope_of("township")
    elsewhere = Region.objects.filter(level=RegionLevel.VILLAGE).exclude(path__startswith=scope.roots[0]).first()
    before = counts()
    with pytest.raises(NotFound):
        services.deputy_create(
            scope=scope,
            data=services.DeputyInput(
                name="李四", region=elsewhere, mandates=(services.MandateInput(CongressLevel.TOWNSHIP, 19),)
            ),
        )
    assert counts() == before


@pytest.mark.django_db
def test_street_deliberation_representatives_have_no_congress_level(scope_of):
    scope = scope_of("street")
    community = Region.objects.filter(path__startswith=scope.roots[0], kind=RegionKind.COMMUNITY).first()
    rep = services.deputy_create(
        scope=scope, data=services.DeputyInput(name="赵六", region=community, kind=DeputyKind.DELIBERATION)
    )
    assert rep.mandates.count() == 0
    with pytest.raises(ValidationFailed, match="街道不设乡镇人大"):
        services.deputy_create(
            scope=scope,
            data=services.DeputyInput(
                name="钱七", region=community, mandates=(services.MandateInput(CongressLevel.TOWNSHIP, 19),)
            ),
        )


@pytest.mark.django_db
def test_moving_station_keeps_history_and_the_public_id(scope_of):
    scope = scope_of("township")
    deputy = Deputy.objects.filter(region__path__startswith=scope.roots[0], memberships__end_date__isnull=True).first()
    public_id = deputy.public_id
    old = deputy.memberships.get(end_date__isnull=True).station
    new = Station.objects.filter(region__path__startswith=scope.roots[0]).exclude(pk=old.pk).first()
    services.deputy_move_station(scope=scope, deputy=deputy, to_station=new, on=dt.date(2026, 6, 1), reason="工作调动")
    deputy.refresh_from_db()
    assert deputy.public_id == public_id
    history = list(deputy.memberships.order_by("start_date", "id").values_list("station__name", "end_date"))
    assert (old.name, dt.date(2026, 6, 1)) in history and (new.name, None) in history
    with pytest.raises(ValidationFailed, match="已在"):
        services.deputy_move_station(scope=scope, deputy=deputy, to_station=new, on=dt.date(2026, 7, 1))


@pytest.mark.django_db
def test_leaving_before_joining_is_refused(scope_of):
    scope = scope_of("township")
    membership = StationMembership.objects.filter(
        station__region__path__startswith=scope.roots[0], end_date__isnull=True
    ).first()
    with pytest.raises(ValidationFailed, match="不能早于"):
        services.deputy_leave_station(
            scope=scope, membership=membership, end_date=membership.start_date - dt.timedelta(days=1)
        )


@pytest.mark.django_db
def test_a_group_needs_three_deputies(scope_of):
    scope = scope_of("township")
    region = Region.objects.get(path=scope.roots[0])
    two = list(Deputy.objects.filter(region__path__startswith=region.path)[:2])
    with pytest.raises(ValidationFailed, match="至少需要 3"):
        services.group_create(scope=scope, region=region, name="新小组", kind=GroupKind.REGIONAL, members=two + two)
    assert not DeputyGroup.objects.filter(name="新小组").exists()


@pytest.mark.django_db
def test_a_station_has_one_head_and_at_most_two_liaisons(scope_of):
    scope = scope_of("township")
    station = Station.objects.filter(region__path__startswith=scope.roots[0]).first()
    before = list(station.officers.values_list("role", "name"))
    with pytest.raises(ValidationFailed, match="最多 2 名联络员"):
        services.station_set_officers(
            scope=scope,
            station=station,
            officers=[services.OfficerInput(OfficerRole.LIAISON, f"联络员{i}") for i in range(3)],
        )
    with pytest.raises(ValidationFailed, match="只能有一名站长"):
        services.station_set_officers(
            scope=scope,
            station=station,
            officers=[services.OfficerInput(OfficerRole.HEAD, "甲"), services.OfficerInput(OfficerRole.HEAD, "乙")],
        )
    assert list(station.officers.values_list("role", "name")) == before


@pytest.mark.django_db
def test_unit_codes_are_unique_and_units_stay_in_scope(scope_of):
    scope = scope_of("township")
    region = Region.objects.get(path=scope.roots[0])
    with pytest.raises(ValidationFailed, match="已被使用"):
        services.unit_create(
            scope=scope,
            data=services.UnitInput(code=f"U{region.path}01", name="新办公室", kind="office", region=region),
        )
    county = region.parent
    with pytest.raises(NotFound):
        services.unit_create(
            scope=scope, data=services.UnitInput(code="UX1", name="县新局", kind="department", region=county)
        )
