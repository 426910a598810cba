"""Checking an uploaded roster and working out what importing it would change — writing nothing.

Every row is read cell by cell, matched with the existing record by its natural key (region
code, deputy 公开编号, station code, unit code) within the user's scope, and compared with
it. The result is a plan: one step per row saying create, update or unchanged, with the
service inputs ready, plus every problem found. Rows that would change are also put through
the same checks the services make, so that one pass reports (nearly) everything; the
services check again when the plan is applied.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from enum import StrEnum

from renda.core.errors import ValidationFailed
from renda.core.scoping import Scope
from renda.org.models import (
    Category,
    CongressLevel,
    Deputy,
    DeputyGroup,
    HandlingUnit,
    OfficerRole,
    Station,
    StationMembership,
)
from renda.org.services import (
    DeputyInput,
    MandateInput,
    OfficerInput,
    StationInput,
    UnitInput,
    deputy_validate,
    station_validate,
    unit_validate,
)
from renda.regions.models import Region, RegionLevel
from renda.regions.paths import parent_path
from renda.regions.services import validate_region_fields
from renda.rosters import selectors
from renda.rosters.cells import NAME_SEPARATORS, Cells, Problems, region_code_of_path
from renda.rosters.columns import (
    CONGRESS_LEVELS,
    DEPUTY_KINDS,
    GENDERS,
    REGION_KINDS,
    REGION_LEVELS,
    STATION_KINDS,
    UNIT_KINDS,
    RosterSpec,
)
from renda.rosters.spreadsheets import SheetRow, cell_text

NOT_IN_SCOPE = "不存在或不在您的管辖范围内"
# Stands in for the region of a row until its code has been looked up (in bulk, for all rows).
UNRESOLVED = Region(code="", path="", name="")


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"


@dataclass
class Step:
    row: SheetRow
    action: Action


def without_example_rows(spec: RosterSpec, rows: list[SheetRow], problems: Problems) -> list[SheetRow]:
    """Report rows that are still the template's example; the rest go on to be checked."""
    example = {c.key: cell_text(c.example) for c in spec.columns}
    kept = []
    for row in rows:
        if row.values == example:
            problems.add(row, None, "这是模板中的示例行，请删除后再导入")
        else:
            kept.append(row)
    return kept


class FirstSeen:
    """Finds a natural key repeated within the file."""

    def __init__(self) -> None:
        self.rows: dict[object, int] = {}

    def repeated(self, key: object, row: SheetRow) -> int | None:
        """The earlier row holding ``key``, or None (and remember this one)."""
        if key in self.rows:
            return self.rows[key]
        self.rows[key] = row.number
        return None


# ---------------------------------------------------------------- regions (行政区划)


@dataclass
class RegionStep(Step):
    code: str
    name: str
    level: int
    kind: str
    path: str
    region: Region | None  # None: to create


def plan_regions(scope: Scope, rows: list[SheetRow], problems: Problems) -> list[RegionStep]:
    parsed: list[RegionStep] = []
    seen = FirstSeen()
    for row in rows:
        c = Cells(row, problems)
        code = c.text("code", max_length=15, required=True)
        name = c.text("name", max_length=64, required=True)
        level = c.choice("level", REGION_LEVELS, required=True)
        kind = c.choice("kind", REGION_KINDS, required=True)
        if code and (earlier := seen.repeated(code, row)):
            c.fail("code", f"与第 {earlier} 行的区划代码重复")
        if not c.ok:
            continue
        try:
            path = validate_region_fields(code=code, name=name, level=int(level), kind=kind)
        except ValidationFailed as error:
            problems.add_error(row, error, default_key="code")
            continue
        parsed.append(RegionStep(row, Action.CREATE, code, name, int(level), kind, path, None))

    existing = selectors.regions_by_code(scope=scope, codes={s.code for s in parsed})
    new_paths = {s.path for s in parsed if s.code not in existing}
    parents = selectors.regions_by_path(
        scope=scope, paths={p for s in parsed if s.code not in existing and (p := parent_path(s.path)) is not None}
    )
    for step in parsed:
        region = existing.get(step.code)
        if region is not None:
            step.region = region
            if region.level != step.level:
                problems.add(step.row, "level", f"已有区划的层级不能修改（现为“{region.get_level_display()}”）")
            unchanged = (region.name, region.kind) == (step.name, step.kind)
            step.action = Action.UNCHANGED if unchanged else Action.UPDATE
            continue
        ppath = parent_path(step.path)
        if ppath is None:
            if not scope.unrestricted:
                problems.add(step.row, "code", f"区划代码 {step.code} {NOT_IN_SCOPE}")
        elif ppath not in parents and ppath not in new_paths:
            problems.add(step.row, "code", f"上级区划代码 {region_code_of_path(ppath)} {NOT_IN_SCOPE}")
    return parsed


# ---------------------------------------------------------------- deputies (代表)

MANDATE_RE = re.compile(
    r"^(?P<level>全国|省级?|市级?|县级?|乡镇级?)\s*第\s*(?P<term>\d+)\s*届\s*(?:[（(](?P<constituency>.*)[）)])?$"
)
MANDATE_FORMAT = "每个层级写成“乡镇级第19届（第3选区）”，层级只能是全国、省级、市级、县级、乡镇级，多个层级用“；”分隔"


@dataclass
class DeputyStep(Step):
    deputy: Deputy | None  # None: to create
    data: DeputyInput | None  # None: the details and levels stay as they are
    join: list[Station] = field(default_factory=list)
    leave: list[StationMembership] = field(default_factory=list)
    result: Deputy | None = None  # the deputy once the step is applied


@dataclass
class GroupChange:
    group: DeputyGroup
    add: list[DeputyStep] = field(default_factory=list)
    remove: set[int] = field(default_factory=set)  # deputy ids
    rows: list[SheetRow] = field(default_factory=list)  # rows that change this group
    members: list[Deputy] = field(default_factory=list)  # current members, all in scope


@dataclass
class DeputyPlan:
    steps: list[DeputyStep]
    groups: list[GroupChange]


@dataclass
class _DeputyRow:
    row: SheetRow
    public_id: str
    data: DeputyInput  # with UNRESOLVED as region
    region_code: str
    station_codes: list[str]
    group_names: list[str]
    ok: bool  # every cell readable; otherwise only look-ups are checked


def _mandates(c: Cells) -> tuple[MandateInput, ...]:
    mandates: list[MandateInput] = []
    seen: set[int] = set()
    for item in (part.strip() for part in NAME_SEPARATORS.split(c.raw("mandates"))):
        if not item:
            continue
        match = MANDATE_RE.match(item)
        if match is None:
            c.fail("mandates", f"无法识别“{item}”：{MANDATE_FORMAT}")
            continue
        level = CONGRESS_LEVELS[match["level"]]
        term = int(match["term"])
        constituency = (match["constituency"] or "").strip()
        if not 1 <= term <= 99:
            c.fail("mandates", f"“{item}”的届次应在 1 到 99 之间")
        elif len(constituency) > 100:
            c.fail("mandates", f"“{item}”的选区不能超过 100 个字")
        elif level in seen:
            c.fail("mandates", f"{CongressLevel(level).label}代表层级重复")
        else:
            seen.add(level)
            mandates.append(MandateInput(level=level, term=term, constituency=constituency))
    return tuple(sorted(mandates, key=lambda m: m.level))


def _read_deputy(row: SheetRow, problems: Problems, seen: FirstSeen) -> _DeputyRow:
    c = Cells(row, problems)
    public_id = c.text("public_id", max_length=32)
    data = DeputyInput(
        name=c.text("name", max_length=50, required=True),
        kind=c.choice("kind", DEPUTY_KINDS, required=True),
        gender=c.choice("gender", GENDERS),
        birth_year=c.integer("birth_year", minimum=1900, maximum=dt.date.today().year - 18),
        ethnicity=c.text("ethnicity", max_length=20),
        party=c.text("party", max_length=20),
        occupation=c.text("occupation", max_length=200),
        phone=c.phone("phone"),
        region=UNRESOLVED,
        mandates=_mandates(c),
    )
    region_code = c.text("region", max_length=15, required=True)
    if public_id and (earlier := seen.repeated(public_id, row)):
        c.fail("public_id", f"与第 {earlier} 行的公开编号重复")
    return _DeputyRow(row, public_id, data, region_code, c.codes("stations"), c.names("groups"), c.ok)


def _deputy_differs(deputy: Deputy, data: DeputyInput) -> bool:
    mine = (
        deputy.name,
        deputy.kind,
        deputy.gender,
        deputy.birth_year,
        deputy.ethnicity,
        deputy.party,
        deputy.occupation,
        deputy.phone,
        deputy.region_id,
    )
    theirs = (
        data.name,
        data.kind,
        data.gender,
        data.birth_year,
        data.ethnicity,
        data.party,
        data.occupation,
        data.phone,
        data.region.pk,
    )
    levels = {(m.level, m.term, m.constituency) for m in deputy.mandates.all()}
    return mine != theirs or levels != {(m.level, m.term, m.constituency) for m in data.mandates}


def plan_deputies(scope: Scope, rows: list[SheetRow], problems: Problems) -> DeputyPlan:
    seen = FirstSeen()
    parsed = [_read_deputy(row, problems, seen) for row in rows]
    existing = selectors.deputies_by_public_id(scope=scope, public_ids={p.public_id for p in parsed if p.public_id})
    regions = selectors.regions_by_code(scope=scope, codes={p.region_code for p in parsed})
    stations = selectors.stations_by_code(scope=scope, codes={c for p in parsed for c in p.station_codes})
    groups = {g.pk: g for g in selectors.groups_in_scope(scope=scope)}
    groups_by_name: dict[str, list[DeputyGroup]] = {}
    for g in groups.values():
        groups_by_name.setdefault(g.name, []).append(g)

    steps: list[DeputyStep] = []
    changes: dict[int, GroupChange] = {}
    for p in parsed:
        row, mark = p.row, len(problems.errors)
        deputy = existing.get(p.public_id) if p.public_id else None
        if p.public_id and deputy is None:
            problems.add(row, "public_id", f"公开编号 {p.public_id} {NOT_IN_SCOPE}")
        region = regions.get(p.region_code)
        if region is None and p.region_code:
            problems.add(row, "region", f"区划代码 {p.region_code} {NOT_IN_SCOPE}")
        for code in p.station_codes:
            if code not in stations:
                problems.add(row, "stations", f"站点编码 {code} {NOT_IN_SCOPE}")
        if not p.ok or len(problems.errors) > mark or region is None:
            continue
        data = replace(p.data, region=region)
        details_changed = deputy is None or _deputy_differs(deputy, data)
        if details_changed:
            try:
                deputy_validate(data)
            except ValidationFailed as error:
                problems.add_error(row, error, default_key="name")
                continue

        current = {m.station.code: m for m in selectors.open_memberships(deputy)} if deputy else {}
        join = [stations[code] for code in p.station_codes if code not in current]
        leave = [m for code, m in current.items() if code not in p.station_codes]
        for station in join:
            if not station.is_active:
                problems.add(row, "stations", f"站点“{station.name}”（{station.code}）已停用，不能进站")

        current_groups = {g.pk: g for g in selectors.deputy_groups(deputy)} if deputy else {}
        wanted: dict[int, DeputyGroup] = {}
        for name in p.group_names:
            found = _find_group(name, current_groups, groups_by_name, region)
            if found is None:
                problems.add(row, "groups", f"代表小组“{name}”{NOT_IN_SCOPE}（小组须属于代表所在区划或其上级区划）")
            else:
                wanted[found.pk] = found
        if len(problems.errors) > mark:
            continue

        added = [g for pk, g in wanted.items() if pk not in current_groups]
        removed = [g for pk, g in current_groups.items() if pk not in wanted]
        changed = details_changed or join or leave or added or removed
        action = Action.CREATE if deputy is None else Action.UPDATE if changed else Action.UNCHANGED
        step = DeputyStep(row, action, deputy, data if details_changed else None, join, leave)
        steps.append(step)
        for group in added:
            change = changes.setdefault(group.pk, GroupChange(groups.get(group.pk, group)))
            change.add.append(step)
            change.rows.append(row)
        if deputy is not None:
            for group in removed:
                change = changes.setdefault(group.pk, GroupChange(groups.get(group.pk, group)))
                change.remove.add(deputy.pk)
                change.rows.append(row)

    for change in changes.values():
        _check_group_change(scope, change, problems)
    return DeputyPlan(steps, list(changes.values()))


def _find_group(
    name: str, current: dict[int, DeputyGroup], by_name: dict[str, list[DeputyGroup]], region: Region
) -> DeputyGroup | None:
    """A group the deputy is already in, else one of the deputy's region or above (the nearest wins)."""
    mine = next((g for g in current.values() if g.name == name), None)
    if mine is not None:
        return mine
    candidates = [g for g in by_name.get(name, []) if region.path.startswith(g.region.path)]
    return max(candidates, key=lambda g: len(g.region.path), default=None)


def _check_group_change(scope: Scope, change: GroupChange, problems: Problems) -> None:
    group = change.group
    change.members = selectors.group_members_in_scope(scope=scope, group=group)
    # group_list counts every member; a member the user cannot see would be dropped by a replace.
    if len(change.members) != getattr(group, "member_count", -1):
        for row in change.rows:
            problems.add(row, "groups", f"代表小组“{group.name}”有不在您管辖范围内的成员，不能在这里调整其成员")
        return
    remaining = len([m for m in change.members if m.pk not in change.remove]) + len(change.add)
    if remaining < DeputyGroup.MIN_MEMBERS:
        for row in change.rows:
            problems.add(
                row,
                "groups",
                f"代表小组“{group.name}”至少需要 {DeputyGroup.MIN_MEMBERS} 名代表，按本文件调整后只剩 {remaining} 名",
            )


# ---------------------------------------------------------------- stations (家站点)

OFFICER_COLUMNS = (
    (OfficerRole.HEAD, "head_name", "head_phone"),
    (OfficerRole.LIAISON, "liaison1_name", "liaison1_phone"),
    (OfficerRole.LIAISON, "liaison2_name", "liaison2_phone"),
)


@dataclass
class StationStep(Step):
    station: Station | None  # None: to create
    data: StationInput | None  # None: the station's own fields stay as they are
    officers: list[OfficerInput] | None  # None: head and liaisons stay as they are
    served_add: list[Region] = field(default_factory=list)
    served_remove: list[Region] = field(default_factory=list)


@dataclass
class _StationRow:
    row: SheetRow
    data: StationInput  # with UNRESOLVED as region
    region_code: str
    served_codes: list[str]
    officers: list[OfficerInput]
    ok: bool  # every cell readable; otherwise only look-ups are checked


def _read_station(row: SheetRow, problems: Problems, seen: FirstSeen) -> _StationRow:
    c = Cells(row, problems)
    data = StationInput(
        code=c.text("code", max_length=32, required=True),
        name=c.text("name", max_length=100, required=True),
        kind=c.choice("kind", STATION_KINDS, required=True),
        region=UNRESOLVED,
        address=c.text("address", max_length=200),
        opening_hours=c.text("opening_hours", max_length=200),
        industry=c.text("industry", max_length=100),
        is_active=c.yes_no("is_active"),
    )
    region_code = c.text("region", max_length=15, required=True)
    officers: list[OfficerInput] = []
    for role, name_key, phone_key in OFFICER_COLUMNS:
        name = c.text(name_key, max_length=50)
        phone = c.phone(phone_key)
        if phone and not name:
            c.fail(phone_key, f"填写了电话，但没有填写{c.header(name_key)}")
        if name:
            officers.append(OfficerInput(role=role, name=name, phone=phone))
    if data.code and (earlier := seen.repeated(data.code, row)):
        c.fail("code", f"与第 {earlier} 行的站点编码重复")
    return _StationRow(row, data, region_code, c.codes("served"), officers, c.ok)


def plan_stations(scope: Scope, rows: list[SheetRow], problems: Problems) -> list[StationStep]:
    seen = FirstSeen()
    parsed = [_read_station(row, problems, seen) for row in rows]
    existing = selectors.stations_by_code(scope=scope, codes={p.data.code for p in parsed}, details=True)
    regions = selectors.regions_by_code(
        scope=scope, codes={p.region_code for p in parsed} | {c for p in parsed for c in p.served_codes}
    )
    steps: list[StationStep] = []
    for p in parsed:
        row, mark = p.row, len(problems.errors)
        region = regions.get(p.region_code)
        if region is None and p.region_code:
            problems.add(row, "region", f"区划代码 {p.region_code} {NOT_IN_SCOPE}")
        served: list[Region] = []
        for code in p.served_codes:
            village = regions.get(code)
            if village is None:
                problems.add(row, "served", f"区划代码 {code} {NOT_IN_SCOPE}")
            elif village.level != RegionLevel.VILLAGE:
                problems.add(row, "served", f"{code}（{village.name}）不是村/社区，这里只能填村/社区的区划代码")
            else:
                served.append(village)
        if not p.ok or len(problems.errors) > mark or region is None:
            continue
        data = replace(p.data, region=region)
        station = existing.get(data.code)
        mine = (
            (
                station.name,
                station.kind,
                station.region_id,
                station.address,
                station.opening_hours,
                station.industry,
                station.is_active,
            )
            if station
            else None
        )
        theirs = (data.name, data.kind, region.pk, data.address, data.opening_hours, data.industry, data.is_active)
        fields_changed = mine != theirs
        if fields_changed:
            try:
                station_validate(data)
            except ValidationFailed as error:
                problems.add_error(row, error, default_key="code")
                continue
        current_officers = [(o.role, o.name, o.phone) for o in selectors.station_officers(station)] if station else []
        officers_changed = current_officers != [(o.role, o.name, o.phone) for o in p.officers]
        current_served = {r.pk: r for r in selectors.served_regions(station)} if station else {}
        wanted = {r.pk: r for r in served}
        served_add = [r for pk, r in wanted.items() if pk not in current_served]
        served_remove = [r for pk, r in current_served.items() if pk not in wanted]
        changed = fields_changed or officers_changed or served_add or served_remove
        action = Action.CREATE if station is None else Action.UPDATE if changed else Action.UNCHANGED
        steps.append(
            StationStep(
                row,
                action,
                station,
                data if fields_changed else None,
                p.officers if officers_changed else None,
                served_add,
                served_remove,
            )
        )
    return steps


# ---------------------------------------------------------------- handling units (承办单位)


@dataclass
class UnitStep(Step):
    unit: HandlingUnit | None  # None: to create
    code: str
    parent_code: str
    data: UnitInput | None = None  # ``parent`` filled in when applied if it is a row of this file
    parent_step: UnitStep | None = None  # the parent is a row of this file
    result: HandlingUnit | None = None  # the unit once the step is applied (or found unchanged)


@dataclass
class _UnitRow:
    row: SheetRow
    data: UnitInput  # with UNRESOLVED as region, no parent and no categories yet
    region_code: str
    parent_code: str
    category_labels: list[str]
    ok: bool  # every cell readable; otherwise only look-ups are checked


def _read_unit(row: SheetRow, problems: Problems, seen: FirstSeen, seen_names: FirstSeen) -> _UnitRow:
    c = Cells(row, problems)
    data = UnitInput(
        code=c.text("code", max_length=32, required=True),
        name=c.text("name", max_length=100, required=True),
        kind=c.choice("kind", UNIT_KINDS, required=True),
        region=UNRESOLVED,
        contact_name=c.text("contact_name", max_length=50),
        contact_phone=c.phone("contact_phone"),
        is_active=c.yes_no("is_active"),
    )
    region_code = c.text("region", max_length=15, required=True)
    parent_code = c.text("parent", max_length=32)
    if data.code and (earlier := seen.repeated(data.code, row)):
        c.fail("code", f"与第 {earlier} 行的单位编码重复")
    if data.name and region_code and (earlier := seen_names.repeated((region_code, data.name), row)):
        c.fail("name", f"与第 {earlier} 行重复：同一区划内单位名称不能重复")
    if data.code and parent_code == data.code:
        c.fail("parent", "上级单位不能是本单位")
    return _UnitRow(row, data, region_code, parent_code, c.names("categories"), c.ok)


def _unit_differs(unit: HandlingUnit, data: UnitInput, parent_code: str) -> bool:
    mine = (
        unit.name,
        unit.kind,
        unit.region_id,
        unit.parent.code if unit.parent else "",
        unit.contact_name,
        unit.contact_phone,
        unit.is_active,
        {c.pk for c in unit.categories.all()},
    )
    theirs = (
        data.name,
        data.kind,
        data.region.pk,
        parent_code,
        data.contact_name,
        data.contact_phone,
        data.is_active,
        {c.pk for c in data.categories},
    )
    return mine != theirs


def plan_units(scope: Scope, rows: list[SheetRow], problems: Problems) -> list[UnitStep]:
    seen, seen_names = FirstSeen(), FirstSeen()
    parsed = [_read_unit(row, problems, seen, seen_names) for row in rows]
    codes = {p.data.code for p in parsed}
    existing = selectors.units_by_code(scope=scope, codes=codes | {p.parent_code for p in parsed if p.parent_code})
    regions = selectors.regions_by_code(scope=scope, codes={p.region_code for p in parsed})
    categories = selectors.categories_by_label() if any(p.category_labels for p in parsed) else {}

    steps: dict[str, UnitStep] = {}
    for p in parsed:
        if p.data.code and p.data.code not in steps:  # a repeated code is reported already
            steps[p.data.code] = UnitStep(p.row, Action.CREATE, existing.get(p.data.code), p.data.code, p.parent_code)
    file_parents = {code: step.parent_code for code, step in steps.items()}
    hierarchy = selectors.unit_parent_codes(scope=scope) | file_parents

    for p in parsed:  # first every row's own values, so that a child may refer to a later row
        step = steps.get(p.data.code)
        if step is None or step.row is not p.row:
            continue
        row, mark = p.row, len(problems.errors)
        region = regions.get(p.region_code)
        if region is None and p.region_code:
            problems.add(row, "region", f"区划代码 {p.region_code} {NOT_IN_SCOPE}")
        chosen: list[Category] = []
        for label in p.category_labels:
            if label in categories:
                chosen.append(categories[label])
            else:
                problems.add(row, "categories", f"承办分类“{label}”不存在")
        parent: HandlingUnit | None = None
        if p.parent_code in steps:
            step.parent_step = steps[p.parent_code]
        elif p.parent_code in existing:
            parent = existing[p.parent_code]
        elif p.parent_code and step.unit and step.unit.parent and step.unit.parent.code == p.parent_code:
            parent = step.unit.parent  # a parent above the user's scope, left as it is
        elif p.parent_code:
            problems.add(row, "parent", f"上级单位编码 {p.parent_code} {NOT_IN_SCOPE}")
        if _has_loop(step.code, hierarchy):
            problems.add(row, "parent", "上级单位设置形成了循环（单位不能是自己的上级的上级）")
        if p.ok and len(problems.errors) == mark and region is not None:
            step.data = replace(p.data, region=region, parent=parent, categories=tuple(chosen))

    for step in steps.values():  # then compare and check what would change
        if step.data is None:
            continue
        unit = step.unit
        changed = unit is None or _unit_differs(unit, step.data, step.parent_code)
        if changed:
            try:
                unit_validate(_with_file_parent(step.data, step))
            except ValidationFailed as error:
                problems.add_error(step.row, error, default_key="code")
                continue
        step.action = Action.CREATE if unit is None else Action.UPDATE if changed else Action.UNCHANGED
    return _parents_first(list(steps.values()))


def _with_file_parent(data: UnitInput, step: UnitStep) -> UnitInput:
    """For checking: a parent that is a row of this file stands in with the region that row gives it."""
    parent_step = step.parent_step
    if parent_step is None:
        return data
    parent_region = parent_step.data.region if parent_step.data else None
    if parent_region is None:
        parent_region = parent_step.unit.region if parent_step.unit else None
    if parent_region is None:
        return data
    return replace(data, parent=HandlingUnit(code=parent_step.code, region=parent_region))


def _has_loop(code: str, hierarchy: dict[str, str]) -> bool:
    current, hops = hierarchy.get(code, ""), 0
    while current and hops <= len(hierarchy):
        if current == code:
            return True
        current, hops = hierarchy.get(current, ""), hops + 1
    return False


def _parents_first(steps: list[UnitStep]) -> list[UnitStep]:
    ordered: list[UnitStep] = []
    placed: set[int] = set()

    def place(step: UnitStep, depth: int = 0) -> None:
        if id(step) in placed or depth > len(steps):
            return
        if step.parent_step is not None:
            place(step.parent_step, depth + 1)
        placed.add(id(step))
        ordered.append(step)

    for step in steps:
        place(step)
    return ordered
