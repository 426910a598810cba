"""Roster template, export and import, through the services, as the demo users."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from openpyxl import load_workbook

from renda.audit.models import AuditEvent
from renda.core.errors import PermissionDenied
from renda.core.scoping import Scope
from renda.org import services as org
from renda.org.models import (
    CongressLevel,
    Deputy,
    DeputyGroup,
    HandlingUnit,
    Mandate,
    Station,
    StationMembership,
)
from renda.regions.models import Region
from renda.rosters.columns import DEPUTIES, REGIONS, ROSTERS, STATIONS, UNITS
from renda.rosters.services import roster_export, roster_import, roster_template
from renda.rosters.spreadsheets import NOTES_SHEET
from renda.rosters.tests.workbooks import fingerprint, read_sheet, roster_upload, upload

pytestmark = pytest.mark.django_db

TOWN = "339901101"  # 白鹭镇, the township user's scope
STREET_VILLAGE = "339901001001"  # a community of 城北街道: outside the township user's scope

ScopeOf = Callable[[str], Scope]


def errors_by_cell(result: object) -> dict[tuple[int | None, str], str]:
    return {(e.row, e.column): e.message for e in result.errors}  # type: ignore[attr-defined]


# ---------------------------------------------------------------- template


@pytest.mark.parametrize("kind", list(ROSTERS))
def test_template_has_headers_example_and_instructions(scope_of: ScopeOf, kind: str) -> None:
    spec = ROSTERS[kind]
    file = roster_template(scope=scope_of("township"), kind=kind)
    wb = load_workbook(io.BytesIO(file.content))
    data, notes = wb.worksheets
    rows = list(data.iter_rows(values_only=True))
    assert list(rows[0]) == spec.headers
    assert len(rows) == 2  # header and one example row
    assert notes.title == NOTES_SHEET
    described = {row[0] for row in notes.iter_rows(values_only=True)}
    assert set(spec.headers) <= described
    assert file.filename.endswith("模板.xlsx")


def test_untouched_template_is_refused_as_example(scope_of: ScopeOf) -> None:
    file = roster_template(scope=scope_of("township"), kind="deputies")
    result = roster_import(scope=scope_of("township"), kind="deputies", upload=upload(file.content))
    assert [e.text for e in result.errors] == ["第 2 行：这是模板中的示例行，请删除后再导入"]


# ---------------------------------------------------------------- export → import round trip


@pytest.mark.parametrize("kind", list(ROSTERS))
def test_export_then_import_changes_nothing(scope_of: ScopeOf, kind: str) -> None:
    county = scope_of("county")
    exported = roster_export(scope=county, kind=kind)
    before = fingerprint()

    result = roster_import(scope=county, kind=kind, upload=upload(exported.content))

    assert result.errors == []
    assert (result.created, result.updated) == (0, 0)
    assert result.unchanged == len(read_sheet(exported.content)) > 0
    assert fingerprint() == before  # no row written, no audit event


def test_township_round_trip_keeps_what_it_cannot_see(scope_of: ScopeOf) -> None:
    """Deputies of the town who are also in county professional groups keep those groups."""
    township = scope_of("township")
    exported = roster_export(scope=township, kind="deputies")
    before = fingerprint()
    result = roster_import(scope=township, kind="deputies", upload=upload(exported.content))
    assert (result.created, result.updated, result.errors) == (0, 0, [])
    assert fingerprint() == before


# ---------------------------------------------------------------- export


def test_township_export_holds_only_the_township(scope_of: ScopeOf) -> None:
    township = scope_of("township")
    events = AuditEvent.objects.count()

    deputies = read_sheet(roster_export(scope=township, kind="deputies").content)
    stations = read_sheet(roster_export(scope=township, kind="stations").content)

    assert deputies and all(r["所属区划代码"].startswith(TOWN) for r in deputies)
    assert len(deputies) == Deputy.objects.filter(region__path__startswith=TOWN, is_active=True).count()
    assert stations and all(r["所在区划代码"].startswith(TOWN) for r in stations)
    assert len(stations) == Station.objects.filter(region__path__startswith=TOWN).count()
    assert all(r["站长电话"] for r in stations)  # personal data is in the export...
    exports = AuditEvent.objects.filter(action="roster.export").order_by("-seq")[:2]
    assert AuditEvent.objects.count() == events + 2  # ...so every export is logged
    assert {e.target_id for e in exports} == {"deputies", "stations"}
    assert all(e.actor is not None and e.actor.username == "township" and e.region_path == TOWN for e in exports)


def test_export_writes_text_never_formulas(scope_of: ScopeOf, system: Scope) -> None:
    deputy = Deputy.objects.filter(region__path__startswith=TOWN, kind="deputy").order_by("id").first()
    assert deputy is not None
    mandates = tuple(org.MandateInput(m.level, m.term, m.constituency) for m in deputy.mandates.all())
    org.deputy_update(
        scope=system,
        deputy=deputy,
        data=org.DeputyInput(
            name=deputy.name, region=deputy.region, occupation='=HYPERLINK("http://x","y")', mandates=mandates
        ),
    )
    content = roster_export(scope=scope_of("township"), kind="deputies").content
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    cells = [c for row in sheet.iter_rows() for c in row if c.value == '=HYPERLINK("http://x","y")']
    assert cells and all(c.data_type == "s" for c in cells)


def test_deputy_user_may_neither_export_nor_import(scope_of: ScopeOf) -> None:
    deputy = scope_of("deputy")
    with pytest.raises(PermissionDenied):
        roster_export(scope=deputy, kind="deputies")
    with pytest.raises(PermissionDenied):
        roster_import(scope=deputy, kind="deputies", upload=upload(b"x"))
    with pytest.raises(PermissionDenied):
        roster_template(scope=deputy, kind="deputies")


# ---------------------------------------------------------------- a broken deputy roster


def test_broken_deputy_roster_reports_every_problem_and_writes_nothing(scope_of: ScopeOf) -> None:
    township = scope_of("township")
    existing = Deputy.objects.filter(region__path__startswith=TOWN, is_active=True).order_by("id").first()
    assert existing is not None
    good = {
        "name": "新代表",
        "kind": "人大代表",
        "phone": "13812345678",
        "region": f"{TOWN}201",
        "mandates": "乡镇级第19届（第3选区）",
    }
    rows = [
        good,  # row 2: fine on its own
        {**good, "phone": "12345"},  # 3
        {**good, "name": ""},  # 4
        {**good, "region": f"{TOWN}999"},  # 5: no such region
        {**good, "region": STREET_VILLAGE},  # 6: exists, but in the street next door
        {**good, "mandates": "村级第1届"},  # 7
        {**good, "public_id": existing.public_id, "name": existing.name},  # 8: fine on its own
        {**good, "public_id": existing.public_id, "name": existing.name},  # 9: same deputy again
        {**good, "occupation": "很" * 201},  # 10
        {**good, "kind": "议政代表", "mandates": ""},  # 11: 议政代表 only in streets (the service's rule)
    ]
    before = fingerprint()
    counts = (Deputy.objects.count(), Mandate.objects.count(), StationMembership.objects.count())

    result = roster_import(scope=township, kind="deputies", upload=roster_upload(DEPUTIES, rows))

    found = errors_by_cell(result)
    assert found[(3, "手机")].startswith("格式不正确")
    assert found[(4, "姓名")] == "不能为空"
    assert found[(5, "所属区划代码")] == f"区划代码 {TOWN}999 不存在或不在您的管辖范围内"
    assert found[(6, "所属区划代码")] == f"区划代码 {STREET_VILLAGE} 不存在或不在您的管辖范围内"
    assert "村级第1届" in found[(7, "代表层级")]
    assert found[(9, "公开编号")] == "与第 8 行的公开编号重复"
    assert found[(10, "工作单位及职务")] == "不能超过 200 个字（现有 201 个）"
    assert found[(11, "所属区划代码")] == "议政代表只能属于街道"
    assert {row for row, _ in found} == {3, 4, 5, 6, 7, 9, 10, 11}
    assert result.errors[0].text.startswith("第 3 行「手机」：格式不正确")
    assert next(e for e in result.errors if e.row == 10).value.endswith("…")
    assert (result.created, result.updated) == (0, 0)
    assert (Deputy.objects.count(), Mandate.objects.count(), StationMembership.objects.count()) == counts
    assert fingerprint() == before


def test_a_refusal_while_applying_undoes_the_whole_file(scope_of: ScopeOf) -> None:
    """A station code taken outside the user's scope is only found by the service; the good row goes too."""
    taken = Station.objects.filter(region__path__startswith="339901001").order_by("code").first()
    assert taken is not None
    new = {"code": "SNEW001", "name": "新联络站", "kind": "代表联络站", "region": f"{TOWN}201"}
    before = fingerprint()

    result = roster_import(
        scope=scope_of("township"),
        kind="stations",
        upload=roster_upload(STATIONS, [new, {**new, "code": taken.code, "name": "另一个站"}]),
    )

    assert [(e.row, e.column) for e in result.errors] == [(3, "站点编码")]
    assert "已被使用" in result.errors[0].message
    assert not Station.objects.filter(code="SNEW001").exists()
    assert fingerprint() == before


# ---------------------------------------------------------------- whole-file refusals


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("名册.csv", "姓名,手机\n张三,13800000000\n".encode(), "只能导入 Excel 文件"),
        ("名册.xls", b"\xd0\xcf\x11\xe0 damaged old excel", "不是有效的 .xls 文件"),
        ("名册.xlsx", b"this is not a workbook at all", "文件无法读取"),
        ("名册.xlsx", b"PK\x03\x04broken zip", "文件无法读取"),
        ("名册.xlsx", b"", "文件是空的"),
    ],
)
def test_unreadable_files_are_refused(scope_of: ScopeOf, name: str, content: bytes, message: str) -> None:
    result = roster_import(scope=scope_of("township"), kind="deputies", upload=upload(content, name))
    assert len(result.errors) == 1 and result.errors[0].row is None
    assert message in result.errors[0].message


def test_header_only_and_wrong_headers_are_refused(scope_of: ScopeOf) -> None:
    township = scope_of("township")
    empty = roster_import(scope=township, kind="deputies", upload=roster_upload(DEPUTIES, []))
    assert "没有数据" in empty.errors[0].message
    wrong = roster_import(
        scope=township, kind="deputies", upload=roster_upload(STATIONS, [{"code": "S1", "name": "站"}])
    )
    assert "表头与代表名册模板不一致" in wrong.errors[0].message
    assert "家站点名册的导入页面" in wrong.errors[0].message


def test_size_and_row_limits(scope_of: ScopeOf, settings: object) -> None:
    township = scope_of("township")
    rows = [{"code": f"{TOWN}2{i:02d}", "name": f"村{i}", "level": "村/社区", "kind": "村"} for i in range(3)]
    settings.ROSTER_MAX_ROWS = 2  # type: ignore[attr-defined]
    too_many = roster_import(scope=township, kind="regions", upload=roster_upload(REGIONS, rows))
    assert "超过 2 行" in too_many.errors[0].message
    settings.ROSTER_MAX_ROWS = 100  # type: ignore[attr-defined]
    settings.ROSTER_MAX_UPLOAD_BYTES = 1024  # type: ignore[attr-defined]
    too_big = roster_import(scope=township, kind="regions", upload=roster_upload(REGIONS, rows))
    assert "文件太大" in too_big.errors[0].message


def test_repeated_keys_within_the_file(scope_of: ScopeOf) -> None:
    row = {"code": "UNEW1", "name": "新单位", "kind": "政府部门", "region": f"{TOWN}000"}
    result = roster_import(
        scope=scope_of("township"),
        kind="units",
        upload=roster_upload(UNITS, [row, {**row, "name": "另一个"}, {**row, "code": "UNEW2"}]),
    )
    assert errors_by_cell(result) == {
        (3, "单位编码"): "与第 2 行的单位编码重复",
        (4, "单位名称"): "与第 2 行重复：同一区划内单位名称不能重复",
    }


# ---------------------------------------------------------------- good files


def _import(scope: Scope, kind: str, rows: list[dict[str, object]]) -> object:
    result = roster_import(scope=scope, kind=kind, upload=roster_upload(ROSTERS[kind], rows))
    assert result.errors == [], [e.text for e in result.errors]
    return result


def test_regions_new_village_with_its_grid_and_a_rename(scope_of: ScopeOf) -> None:
    township = scope_of("township")
    village = Region.objects.get(code=f"{TOWN}201")
    events = AuditEvent.objects.count()
    result = _import(
        township,
        "regions",
        [
            {"code": f"{TOWN}299001", "name": "新村第1网格", "level": "网格", "kind": "网格"},  # before its village
            {"code": f"{TOWN}299", "name": "新村", "level": "村/社区", "kind": "村"},
            {"code": village.code, "name": "改名村", "level": "村/社区", "kind": "村"},
        ],
    )
    assert result.summary == "新增 2，更新 1，未变 0"  # type: ignore[attr-defined]
    assert Region.objects.get(code=f"{TOWN}299001").parent == Region.objects.get(code=f"{TOWN}299")
    assert Region.objects.get(pk=village.pk).name == "改名村"
    new_events = AuditEvent.objects.filter(seq__gt=events).order_by("seq")
    assert sorted(e.action for e in new_events) == ["region.create", "region.create", "region.update", "roster.import"]
    assert all(e.reason == "名册导入" for e in new_events)


def test_regions_outside_scope_are_refused(scope_of: ScopeOf) -> None:
    result = roster_import(
        scope=scope_of("township"),
        kind="regions",
        upload=roster_upload(
            REGIONS,
            [
                {"code": "339901001099", "name": "越界社区", "level": "村/社区", "kind": "社区"},
                {"code": STREET_VILLAGE, "name": "改名", "level": "村/社区", "kind": "社区"},
            ],
        ),
    )
    assert errors_by_cell(result) == {
        (2, "区划代码"): "上级区划代码 339901001000 不存在或不在您的管辖范围内",
        (3, "区划代码"): "上级区划代码 339901001000 不存在或不在您的管辖范围内",
    }


def test_deputies_new_and_changed(scope_of: ScopeOf) -> None:
    township = scope_of("township")
    home, other = Station.objects.filter(region__path__startswith=TOWN, kind="station").order_by("code")[:2]
    group = DeputyGroup.objects.get(region__path=TOWN, name="第2代表小组")
    moving = Deputy.objects.filter(memberships__station=home, memberships__end_date__isnull=True).order_by("id").first()
    assert moving is not None
    row = next(
        r
        for r in read_sheet(roster_export(scope=township, kind="deputies").content)
        if r["公开编号"] == moving.public_id
    )
    moved = {c.key: row[c.header] for c in DEPUTIES.columns}
    moved.update(phone="13900001111", stations=other.code)
    events = AuditEvent.objects.count()

    result = _import(
        township,
        "deputies",
        [
            {
                "name": "王新",
                "kind": "人大代表",
                "gender": "女",
                "birth_year": 1980,
                "phone": "0573-8123456",
                "region": f"{TOWN}201",
                "mandates": "乡镇级第19届（第3选区）；县级第18届",
                "stations": home.code,
                "groups": group.name,
            },
            moved,
        ],
    )

    assert result.summary == "新增 1，更新 1，未变 0"  # type: ignore[attr-defined]
    new = Deputy.objects.get(name="王新", region__code=f"{TOWN}201")
    assert sorted(new.mandates.values_list("level", "term", "constituency")) == [
        (CongressLevel.COUNTY, 18, ""),
        (CongressLevel.TOWNSHIP, 19, "第3选区"),
    ]
    assert new.memberships.get(end_date__isnull=True).station == home
    assert group.members.filter(pk=new.pk).exists()
    moving.refresh_from_db()
    assert moving.phone == "13900001111"
    assert set(moving.memberships.filter(end_date__isnull=True).values_list("station__code", flat=True)) == {other.code}
    assert moving.memberships.filter(station=home, end_date__isnull=False).exists()  # history kept
    actions = list(AuditEvent.objects.filter(seq__gt=events).values_list("action", flat=True))
    assert sorted(actions) == sorted(
        [
            "deputy.create",
            "deputy.join_station",
            "deputy.update",
            "deputy.leave_station",
            "deputy.join_station",
            "group.set_members",
            "roster.import",
        ]
    )


def test_stations_new_with_officers_and_villages(scope_of: ScopeOf) -> None:
    result = _import(
        scope_of("township"),
        "stations",
        [
            {
                "code": "S-NEW-1",
                "name": "南岙前山联络站",
                "kind": "代表联络站",
                "region": f"{TOWN}201",
                "served": f"{TOWN}201；{TOWN}202",
                "is_active": "是",
                "head_name": "赵站长",
                "head_phone": "13900000001",
                "liaison1_name": "钱联络",
                "liaison1_phone": "13900000002",
            }
        ],
    )
    assert result.summary == "新增 1，更新 0，未变 0"  # type: ignore[attr-defined]
    station = Station.objects.get(code="S-NEW-1")
    assert sorted(station.served_regions.values_list("code", flat=True)) == [f"{TOWN}201", f"{TOWN}202"]
    assert sorted(station.officers.values_list("role", "name", "phone")) == [
        ("head", "赵站长", "13900000001"),
        ("liaison", "钱联络", "13900000002"),
    ]
    actions = set(
        AuditEvent.objects.filter(target_id=str(station.pk), target_type="org.station").values_list("action", flat=True)
    )
    assert actions == {"station.create", "station.set_officers", "station.set_served_regions"}


def test_units_child_before_parent_in_the_file(scope_of: ScopeOf) -> None:
    result = _import(
        scope_of("township"),
        "units",
        [
            {
                "code": "U-CHILD",
                "name": "新设站所",
                "kind": "乡镇站所/办公室",
                "region": f"{TOWN}000",
                "parent": "U-PARENT",
                "categories": "城乡建设／路灯；08",
            },
            {
                "code": "U-PARENT",
                "name": "新设办公室",
                "kind": "乡镇站所/办公室",
                "region": f"{TOWN}000",
                "categories": "其他",
                "contact_name": "孙联系",
                "contact_phone": "13700000000",
                "is_active": "否",
            },
        ],
    )
    assert result.summary == "新增 2，更新 0，未变 0"  # type: ignore[attr-defined]
    child = HandlingUnit.objects.get(code="U-CHILD")
    assert child.parent is not None and child.parent.code == "U-PARENT"
    assert sorted(c.code for c in child.categories.all()) == ["0104", "08"]
    parent = HandlingUnit.objects.get(code="U-PARENT")
    assert not parent.is_active and [c.code for c in parent.categories.all()] == ["99"]


def test_unit_loop_is_refused(scope_of: ScopeOf) -> None:
    row = {"kind": "乡镇站所/办公室", "region": f"{TOWN}000"}
    result = roster_import(
        scope=scope_of("township"),
        kind="units",
        upload=roster_upload(
            UNITS,
            [{**row, "code": "UA", "name": "甲", "parent": "UB"}, {**row, "code": "UB", "name": "乙", "parent": "UA"}],
        ),
    )
    assert {(e.row, e.column) for e in result.errors} == {(2, "上级单位编码"), (3, "上级单位编码")}


def test_group_may_not_shrink_below_three(scope_of: ScopeOf) -> None:
    township = scope_of("township")
    group = DeputyGroup.objects.get(region__path=TOWN, name="第2代表小组")
    members = set(group.members.values_list("public_id", flat=True))
    rows = [
        {c.key: r[c.header] for c in DEPUTIES.columns}
        for r in read_sheet(roster_export(scope=township, kind="deputies").content)
        if r["公开编号"] in members
    ]
    leaving = rows[: len(rows) - 2]
    for row in leaving:
        row["groups"] = "；".join(g for g in row["groups"].split("；") if g != group.name)

    result = roster_import(scope=township, kind="deputies", upload=roster_upload(DEPUTIES, leaving))

    assert len(result.errors) == len(leaving)
    assert all(
        e.column == "代表小组" and "至少需要 3 名代表，按本文件调整后只剩 2 名" in e.message for e in result.errors
    )
    assert group.members.count() == len(members)


def test_group_members_follow_the_file(scope_of: ScopeOf) -> None:
    township = scope_of("township")
    group = DeputyGroup.objects.get(region__path=TOWN, name="第2代表小组")
    rows = {r["公开编号"]: r for r in read_sheet(roster_export(scope=township, kind="deputies").content)}
    leaver = group.members.order_by("id").first()
    joiner = (
        Deputy.objects.filter(region__path__startswith=TOWN, kind="deputy").exclude(groups=group).order_by("id").first()
    )
    assert leaver is not None and joiner is not None
    out = {c.key: rows[leaver.public_id][c.header] for c in DEPUTIES.columns}
    out["groups"] = "；".join(g for g in out["groups"].split("；") if g != group.name)
    into = {c.key: rows[joiner.public_id][c.header] for c in DEPUTIES.columns}
    into["groups"] = "；".join(filter(None, [into["groups"], group.name]))

    result = _import(township, "deputies", [out, into])

    assert result.summary == "新增 0，更新 2，未变 0"  # type: ignore[attr-defined]
    assert not group.members.filter(pk=leaver.pk).exists() and group.members.filter(pk=joiner.pk).exists()
    event = AuditEvent.objects.filter(action="group.set_members", target_id=str(group.pk)).order_by("-seq").first()
    assert event is not None and event.reason == "名册导入"


def test_a_sheet_of_mostly_blank_rows_is_refused(scope_of: ScopeOf, settings: object) -> None:
    from openpyxl import Workbook

    settings.ROSTER_MAX_ROWS = 2  # type: ignore[attr-defined]
    wb = Workbook()
    wb.active.append(REGIONS.headers)
    wb.active.cell(row=20_000, column=1, value=f"{TOWN}201")
    buffer = io.BytesIO()
    wb.save(buffer)
    result = roster_import(scope=scope_of("township"), kind="regions", upload=upload(buffer.getvalue()))
    assert "超过 2 行" in result.errors[0].message


def test_station_cells_are_checked(scope_of: ScopeOf) -> None:
    row = {"code": "S-X", "name": "站", "kind": "代表联络站", "region": f"{TOWN}201"}
    result = roster_import(
        scope=scope_of("township"),
        kind="stations",
        upload=roster_upload(
            STATIONS,
            [
                {**row, "served": f"{TOWN}000", "liaison1_phone": "13900000000", "is_active": "也许"},
                {**row, "code": "S Y", "kind": "联络站"},
            ],
        ),
    )
    assert errors_by_cell(result) == {
        (2, "联系的村/社区代码"): f"{TOWN}000（白鹭镇）不是村/社区，这里只能填村/社区的区划代码",
        (2, "联络员1电话"): "填写了电话，但没有填写联络员1姓名",
        (2, "启用"): "只能填“是”或“否”",
        (3, "类型"): "“联络站”无效，只能填 “代表之家”、“代表联络站”、“代表联系点”",
    }


def _xls(spec: object, rows: list[list[object]]) -> bytes:
    """An Excel 97-2003 file as an office's old machine saves it (xlwt): numbers as numbers."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet(spec.title)  # type: ignore[attr-defined]
    for c, column in enumerate(spec.columns):  # type: ignore[attr-defined]
        sheet.write(0, c, column.header)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value not in ("", None):
                sheet.write(r, c, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xls_roster_from_an_old_excel_imports_like_an_xlsx(scope_of: ScopeOf) -> None:
    township = scope_of("township")
    columns = [c.key for c in REGIONS.columns]
    row = {"code": int(f"{TOWN}298"), "name": "老表格村", "level": "村/社区", "kind": "村"}
    content = _xls(REGIONS, [[row.get(k, "") for k in columns]])
    result = roster_import(scope=township, kind="regions", upload=upload(content, "名册.xls"))
    assert result.errors == [], [e.text for e in result.errors]
    assert Region.objects.get(code=f"{TOWN}298").name == "老表格村"  # the code, stored by Excel as a number


def test_the_template_offers_coded_values_in_drop_down_lists(scope_of: ScopeOf) -> None:
    wb = load_workbook(io.BytesIO(roster_template(scope=scope_of("township"), kind="stations").content))
    sheet = wb[STATIONS.title]
    lists = {str(v.sqref).split(":")[0][0]: v.formula1 for v in sheet.data_validations.dataValidation}
    kind = next(i for i, c in enumerate(STATIONS.columns) if c.key == "kind")
    letter = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[kind]
    assert lists[letter] == '"代表之家,代表联络站,代表联系点"'
