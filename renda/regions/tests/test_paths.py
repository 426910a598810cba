import pytest

from renda.audit.models import AuditEvent
from renda.core.errors import NotFound, ValidationFailed
from renda.regions.models import Region, RegionKind, RegionLevel
from renda.regions.paths import level_from_code, parent_path, path_from_code, subtree_q
from renda.regions.services import region_create, region_update


def test_path_is_the_significant_prefix_of_the_code():
    assert path_from_code("330000000000", RegionLevel.PROVINCE) == "33"
    assert path_from_code("339901000000", RegionLevel.COUNTY) == "339901"
    assert path_from_code("339901101000", RegionLevel.TOWNSHIP) == "339901101"
    assert path_from_code("339901101201", RegionLevel.VILLAGE) == "339901101201"
    assert path_from_code("339901101201001", RegionLevel.GRID) == "339901101201001"
    assert parent_path("339901101201") == "339901101"
    assert parent_path("33") is None
    assert level_from_code("339901101000") == RegionLevel.TOWNSHIP


@pytest.mark.parametrize(
    ("code", "level", "message"),
    [
        ("33990110100A", RegionLevel.VILLAGE, "只能由数字组成"),
        ("3399011010", RegionLevel.VILLAGE, "12 位"),
        ("339901101201", RegionLevel.TOWNSHIP, "应全为 0"),
        ("339901101201", RegionLevel.GRID, "15 位"),
    ],
)
def test_bad_codes_are_refused_in_chinese(code, level, message):
    with pytest.raises(ValidationFailed, match=message):
        path_from_code(code, level)


@pytest.mark.django_db
def test_subtree_range_selects_exactly_the_prefix_matches():
    for root in Region.objects.filter(level__lte=RegionLevel.TOWNSHIP):
        by_range = set(Region.objects.filter(subtree_q(root.path)).values_list("pk", flat=True))
        by_prefix = {pk for pk, path in Region.objects.values_list("pk", "path") if path.startswith(root.path)}
        assert by_range == by_prefix, root.name


@pytest.mark.django_db
def test_subtree_of_an_all_nines_prefix_still_works(system):
    region_create(
        scope=system, code="990000000000", name="测试省", level=RegionLevel.PROVINCE, kind=RegionKind.PROVINCE
    )
    region_create(scope=system, code="999900000000", name="测试市", level=RegionLevel.CITY, kind=RegionKind.CITY)
    names = set(Region.objects.filter(subtree_q("9999")).values_list("name", flat=True))
    assert names == {"测试市"}


@pytest.mark.django_db
def test_township_staff_cannot_create_a_village_in_another_township(scope_of):
    township = scope_of("township")
    other = Region.objects.filter(level=RegionLevel.TOWNSHIP).exclude(path__in=township.roots).first()
    before = (Region.objects.count(), AuditEvent.objects.count())
    with pytest.raises(NotFound):
        region_create(
            scope=township, code=f"{other.path}299", name="新村", level=RegionLevel.VILLAGE, kind=RegionKind.VILLAGE
        )
    assert (Region.objects.count(), AuditEvent.objects.count()) == before


@pytest.mark.django_db
def test_township_staff_create_and_rename_a_village_with_audit(scope_of):
    township = scope_of("township")
    root = township.roots[0]
    village = region_create(
        scope=township,
        code=f"{root}299",
        name="新建村",
        level=RegionLevel.VILLAGE,
        kind=RegionKind.VILLAGE,
        reason="村庄撤并",
    )
    assert village.parent.path == root
    region_update(scope=township, region=village, name="和美村", kind=RegionKind.VILLAGE, reason="更名")
    events = list(AuditEvent.objects.filter(target_type="regions.region", target_id=str(village.pk)).order_by("seq"))
    assert [e.action for e in events] == ["region.create", "region.update"]
    assert events[1].before == {"name": "新建村"} and events[1].after == {"name": "和美村"}
    assert events[1].actor.username == "township"


@pytest.mark.django_db
def test_missing_parent_and_wrong_kind_are_refused(system):
    with pytest.raises(ValidationFailed, match="上级区划"):
        region_create(scope=system, code="339950001000", name="孤镇", level=RegionLevel.TOWNSHIP, kind=RegionKind.TOWN)
    with pytest.raises(ValidationFailed, match="类型只能是"):
        region_create(scope=system, code="339901101299", name="错村", level=RegionLevel.VILLAGE, kind=RegionKind.STREET)
    with pytest.raises(ValidationFailed, match="不能超过 64"):
        region_create(
            scope=system, code="339901101299", name="长" * 65, level=RegionLevel.VILLAGE, kind=RegionKind.VILLAGE
        )
    with pytest.raises(ValidationFailed, match="不能为空"):
        region_create(scope=system, code="339901101299", name="  ", level=RegionLevel.VILLAGE, kind=RegionKind.VILLAGE)
