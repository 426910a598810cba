"""The columns of each roster (名册) workbook: Chinese header, what goes in it, an example.

One ``RosterSpec`` per roster type. The template, the export and the importer all take
their columns from here, so the three cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from renda.core.errors import NotFound
from renda.org.models import Category, CongressLevel, DeputyKind, Gender, StationKind, UnitKind
from renda.regions.models import RegionKind, RegionLevel

LIST_SEPARATOR = "；"  # between several values in one cell (levels, codes, groups, categories)
YES, NO = "是", "否"


def labels_to_values(choices: Sequence[tuple[object, str]]) -> dict[str, str]:
    """Chinese label -> stored value, for a choices list."""
    return {label: str(value) for value, label in choices}


def labels(choices: Sequence[tuple[object, str]]) -> tuple[str, ...]:
    return tuple(str(label) for _, label in choices)


def allowed(choices: Sequence[tuple[object, str]]) -> str:
    return "、".join(f"“{label}”" for _, label in choices)


REGION_LEVELS = labels_to_values(RegionLevel.choices)
REGION_KINDS = labels_to_values(RegionKind.choices)
DEPUTY_KINDS = labels_to_values(DeputyKind.choices)
GENDERS = labels_to_values(Gender.choices)
STATION_KINDS = labels_to_values(StationKind.choices)
UNIT_KINDS = labels_to_values(UnitKind.choices)
# 代表层级 cells say 乡镇级第19届; the short forms (乡镇第19届) are accepted as well.
CONGRESS_LEVELS: dict[str, int] = {label: int(value) for value, label in CongressLevel.choices} | {
    "省": CongressLevel.PROVINCE,
    "市": CongressLevel.CITY,
    "县": CongressLevel.COUNTY,
    "乡镇": CongressLevel.TOWNSHIP,
}


@dataclass(frozen=True)
class Column:
    key: str  # our name for the column
    header: str  # the Chinese header in row 1
    note: str  # 填写说明: what to write, allowed values
    example: str | int = ""
    required: bool = False
    width: int = 14
    fields: tuple[str, ...] = ()  # service field names (ValidationFailed.field) reported against this column
    choices: tuple[str, ...] = ()  # a coded column: the template offers these in a drop-down list


@dataclass(frozen=True)
class RosterSpec:
    kind: str  # URL slug
    noun: str  # 代表
    key: str  # the column holding the natural key
    key_note: str  # how rows are matched with existing records, for the page and the instructions
    columns: tuple[Column, ...]

    @property
    def title(self) -> str:
        return f"{self.noun}名册"

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    @property
    def example(self) -> list[str | int]:
        return [c.example for c in self.columns]

    def column(self, key: str) -> Column:
        for c in self.columns:
            if c.key == key:
                return c
        raise KeyError(key)

    def column_for_field(self, field: str | None) -> Column | None:
        """The column a service's ValidationFailed(field=...) is about, if any."""
        if not field:
            return None
        for c in self.columns:
            if field == c.key or field in c.fields:
                return c
        return None


REGION_CODE_NOTE = "12 位统计用区划代码（网格为 15 位），须是已有且在您管辖范围内的区划"

REGIONS = RosterSpec(
    kind="regions",
    noun="行政区划",
    key="code",
    key_note="按区划代码匹配：代码已存在则更新名称和类型，不存在则新增（上级区划由代码推出，须已存在或在本文件中）。",
    columns=(
        Column(
            "code",
            "区划代码",
            "12 位统计用区划代码；网格为所属村/社区代码加 3 位序号共 15 位。按代码识别区划，已有区划的代码不能修改。",
            "330481101201",
            required=True,
            width=18,
        ),
        Column("name", "名称", "不超过 64 个字。", "上塘村", required=True, width=20),
        Column(
            "level",
            "层级",
            f"只能填 {allowed(RegionLevel.choices)}；已有区划的层级不能修改。",
            "村/社区",
            required=True,
            width=14,
            choices=labels(RegionLevel.choices),
        ),
        Column(
            "kind",
            "类型",
            "省级填“省”；市级填“市”；县级填“县”“区”或“县级市”；乡镇级填“镇”“乡”或“街道”；村级填“村”或“社区”；网格填“网格”。",
            "村",
            required=True,
            width=10,
        ),
    ),
)

DEPUTIES = RosterSpec(
    kind="deputies",
    noun="代表",
    key="public_id",
    key_note="按公开编号匹配：填写了公开编号的行更新该代表（编号须存在且在您的管辖范围内），留空的行新增代表。",
    columns=(
        Column(
            "public_id",
            "公开编号",
            "系统分配的代表编号（代表码用）。更新已有代表时保留导出文件中的编号；新增代表请留空。",
            "",
            width=20,
        ),
        Column("name", "姓名", "不超过 50 个字。", "张伟", required=True, width=10),
        Column(
            "kind",
            "类别",
            f"只能填 {allowed(DeputyKind.choices)}；议政代表只属于街道。",
            "人大代表",
            required=True,
            width=10,
            choices=labels(DeputyKind.choices),
        ),
        Column("gender", "性别", f"{allowed(Gender.choices)}，可留空。", "男", width=6, choices=labels(Gender.choices)),
        Column("birth_year", "出生年份", "四位数字年份，如 1975，可留空。", 1975, width=10),
        Column("ethnicity", "民族", "不超过 20 个字，可留空。", "汉族", width=8),
        Column("party", "政治面貌", "不超过 20 个字，可留空。", "中共党员", width=12),
        Column("occupation", "工作单位及职务", "不超过 200 个字，可留空。", "上塘村党支部书记", width=28),
        Column("phone", "手机", "11 位手机号或带区号的固定电话（如 0573-8123456），可留空。", "13800000000", width=14),
        Column("region", "所属区划代码", REGION_CODE_NOTE + "。", "330481101201", required=True, width=16),
        Column(
            "mandates",
            "代表层级",
            "人大代表必填，每个层级写成“乡镇级第19届（第3选区）”，选区可省略；层级只能是全国、省级、市级、县级、乡镇级；"
            f"一人多级用“{LIST_SEPARATOR}”分隔。议政代表留空。",
            f"乡镇级第19届（第3选区）{LIST_SEPARATOR}县级第18届（清溪镇选区）",
            width=36,
            fields=("mandates",),
        ),
        Column(
            "stations",
            "进站站点编码",
            f"代表当前所在的家站点编码，多个用“{LIST_SEPARATOR}”分隔。新增的站点按导入当天进站；删去的站点按导入当天离站。",
            "S330481101001",
            width=18,
            fields=("station", "end_date"),
        ),
        Column(
            "groups",
            "代表小组",
            f"代表所在的代表小组/专业小组名称，多个用“{LIST_SEPARATOR}”分隔；小组须已建立，且属于代表所在区划或其上级区划。",
            "第1代表小组",
            width=18,
            fields=("members",),
        ),
    ),
)

STATIONS = RosterSpec(
    kind="stations",
    noun="家站点",
    key="code",
    key_note="按站点编码匹配：编码已存在则更新，不存在则新增。",
    columns=(
        Column(
            "code",
            "站点编码",
            "字母、数字、- 和 _，不超过 32 位；按编码识别站点。",
            "S330481101001",
            required=True,
            width=16,
        ),
        Column("name", "名称", "不超过 100 个字。", "上塘村人大代表联络站", required=True, width=26),
        Column(
            "kind",
            "类型",
            f"只能填 {allowed(StationKind.choices)}。",
            "代表联络站",
            required=True,
            width=12,
            choices=labels(StationKind.choices),
        ),
        Column(
            "region",
            "所在区划代码",
            "站点所在的乡镇/街道或村/社区的区划代码。",
            "330481101201",
            required=True,
            width=16,
        ),
        Column(
            "served",
            "联系的村/社区代码",
            f"站点联系的村/社区的区划代码，多个用“{LIST_SEPARATOR}”分隔（几个小村可共用一个联络站），可留空。",
            f"330481101201{LIST_SEPARATOR}330481101202",
            width=28,
        ),
        Column("address", "地址", "不超过 200 个字，可留空。", "上塘村党群服务中心2楼", width=24),
        Column("opening_hours", "接待时间", "不超过 200 个字，可留空。", "每周五 9:00-11:30", width=20),
        Column(
            "industry", "联系行业（联系点）", "代表联系点填写联系的行业，不超过 100 个字，其他站点留空。", "", width=14
        ),
        Column("is_active", "启用", f"“{YES}”或“{NO}”，留空视为“{YES}”。", YES, width=6, choices=(YES, NO)),
        Column(
            "head_name",
            "站长姓名",
            "每个站点一名站长，不超过 50 个字，可留空。",
            "王芳",
            width=10,
            fields=("officers",),
        ),
        Column("head_phone", "站长电话", "11 位手机号或带区号的固定电话。", "13900000000", width=14),
        Column("liaison1_name", "联络员1姓名", "每个站点 1–2 名联络员。", "李强", width=10),
        Column("liaison1_phone", "联络员1电话", "11 位手机号或带区号的固定电话。", "0573-8123456", width=14),
        Column("liaison2_name", "联络员2姓名", "没有第二名联络员时留空。", "", width=10),
        Column("liaison2_phone", "联络员2电话", "11 位手机号或带区号的固定电话。", "", width=14),
    ),
)

UNITS = RosterSpec(
    kind="units",
    noun="承办单位",
    key="code",
    key_note="按单位编码匹配：编码已存在则更新，不存在则新增。",
    columns=(
        Column("code", "单位编码", "不超过 32 位；按编码识别单位。", "U330481101006", required=True, width=16),
        Column(
            "name",
            "单位名称",
            "不超过 100 个字；同一区划内单位名称不能重复。",
            "清溪镇规划建设办",
            required=True,
            width=24,
        ),
        Column(
            "kind",
            "类型",
            f"只能填 {allowed(UnitKind.choices)}。",
            "乡镇站所/办公室",
            required=True,
            width=16,
            choices=labels(UnitKind.choices),
        ),
        Column(
            "region",
            "所属区划代码",
            "单位所属的省、市、县或乡镇/街道的区划代码。",
            "330481101000",
            required=True,
            width=16,
        ),
        Column(
            "parent",
            "上级单位编码",
            "可留空；上级单位须属于本单位所属区划或其上级区划，可以是本文件中新增的单位。",
            "",
            width=16,
        ),
        Column(
            "categories",
            "承办分类",
            f"该单位承办的意见分类，多个用“{LIST_SEPARATOR}”分隔；一级分类写名称（如“城乡建设”），"
            "二级分类写“一级／二级”（如“城乡建设／路灯”），也可以写分类编码。",
            f"城乡建设{LIST_SEPARATOR}住房与物业",
            width=28,
        ),
        Column("contact_name", "联系人", "不超过 50 个字，可留空。", "陈静", width=10),
        Column("contact_phone", "联系电话", "11 位手机号或带区号的固定电话，可留空。", "13700000000", width=14),
        Column("is_active", "启用", f"“{YES}”或“{NO}”，留空视为“{YES}”。", YES, width=6, choices=(YES, NO)),
    ),
)

ROSTERS: dict[str, RosterSpec] = {spec.kind: spec for spec in (REGIONS, DEPUTIES, STATIONS, UNITS)}


def mandate_text(level: int, term: int, constituency: str) -> str:
    """乡镇级第19届（第3选区） — how one level of a deputy is written in the roster."""
    label = CongressLevel(level).label
    return f"{label}第{term}届" + (f"（{constituency}）" if constituency else "")


def category_label(category: Category) -> str:
    """城乡建设 for a first-level category, 城乡建设／路灯 for a second-level one."""
    return f"{category.parent.name}／{category.name}" if category.parent_id and category.parent else category.name


def roster_spec(kind: str) -> RosterSpec:
    try:
        return ROSTERS[kind]
    except KeyError:
        raise NotFound("没有这种名册") from None
