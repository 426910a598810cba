"""The demo county: a deterministic, realistic registry built through the services.

Scale 1 is one county of 12 townships/streets (8 towns, 4 streets), about 150
villages/communities, 1,000 deputies and 150 stations. Scale N builds N such counties
(N cities hold them, 90 counties a city), so figures grow linearly for benchmarks.
Every name is invented; codes follow the 12-digit statistical scheme.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from renda.accounts.models import Role, User
from renda.accounts.services import role_grant, user_create
from renda.core.scoping import Scope
from renda.org import services as org
from renda.org.models import (
    BodyKind,
    Category,
    CongressLevel,
    Deputy,
    DeputyKind,
    GroupKind,
    HandlingUnit,
    OfficerRole,
    Station,
    StationKind,
)
from renda.org.reference import CATEGORIES, COUNTY_UNITS, COUNTY_UTILITIES, TOWNSHIP_UNITS
from renda.regions.models import Region, RegionKind, RegionLevel
from renda.regions.services import region_create

DEMO_PASSWORD = "Renda@2026demo"  # noqa: S105 - demo logins, printed by make run
PROVINCE_CODE = "330000000000"

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢姜崔"
    "钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红玉梅文斌宇浩凯鹏飞晨辉俊峰林海燕波亮雪琳丹萍"
    "春雷宁慧佳欣怡婷倩颖晓阳健华荣新利丽娜德福永生根宝金水山松清云"
)
TOWN_NAMES = [
    "清溪镇",
    "白鹭镇",
    "桃源镇",
    "龙潭镇",
    "梅岭镇",
    "石门镇",
    "竹坞镇",
    "枫桥镇",
    "云岭乡",
    "莲塘乡",
    "杏花镇",
    "柳湾镇",
]
STREET_NAMES = ["城东街道", "城西街道", "城南街道", "城北街道", "新城街道", "滨江街道"]
VILLAGE_STEMS = [
    "上塘",
    "下塘",
    "东坞",
    "西坞",
    "南岙",
    "北岙",
    "前山",
    "后山",
    "溪口",
    "岭脚",
    "塘头",
    "桥头",
    "石桥",
    "竹林",
    "茶园",
    "杨家",
    "李家",
    "王家",
    "陈家",
    "周家",
    "黄泥",
    "青石",
    "新田",
    "古井",
    "柏树",
    "桑园",
    "荷花",
    "梅花",
    "樟树",
    "花园",
    "长乐",
    "永安",
    "太平",
    "和平",
    "兴隆",
    "丰收",
    "五星",
    "红旗",
    "光明",
    "幸福",
]
COMMUNITY_STEMS = [
    "文昌",
    "学府",
    "锦绣",
    "和园",
    "康乐",
    "金桥",
    "阳光",
    "翠苑",
    "春晖",
    "朝阳",
    "江南",
    "明珠",
    "东湖",
    "西湖",
]
COUNTY_NAMES = ["青禾县", "云溪县", "松阳县", "兰江县", "平湖县", "安吉县", "临川县", "宁溪县", "长兴县", "德清县"]
OCCUPATIONS = [
    "村党支部书记、村委会主任",
    "社区党委书记",
    "农业合作社理事长",
    "个体工商户",
    "中心学校教师",
    "卫生院医生",
    "家庭农场主",
    "企业职工",
    "民营企业董事长",
    "乡镇干部",
    "村民",
    "退休干部",
    "律师",
    "茶叶专业合作社社长",
    "物业公司经理",
    "快递网点负责人",
    "养老服务中心主任",
    "供销社主任",
]
# A 社区 has 居民 and a 居委会, a 村 has 村民 and a 村委会: the same draw, said as the place says it.
IN_A_COMMUNITY = {"村民": "居民", "村党支部书记、村委会主任": "社区党委书记、居委会主任"}
IN_A_VILLAGE = {"社区党委书记": "村党支部书记"}


def _occupation(region: Region, drawn: str) -> str:
    words = IN_A_COMMUNITY if region.kind == RegionKind.COMMUNITY else IN_A_VILLAGE
    return f"{region.name}{words.get(drawn, drawn)}"


PARTIES = ["中共党员"] * 6 + ["群众"] * 3 + ["民盟盟员", "九三学社社员", "无党派人士"]
INDUSTRIES = ["农业", "教育", "医疗卫生", "民营企业", "乡村旅游", "物流快递"]


@dataclass
class DemoSummary:
    counties: int = 0
    townships: int = 0
    villages: int = 0
    deputies: int = 0
    stations: int = 0
    units: int = 0
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (role label, username, scope)


class NameMaker:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def person(self) -> str:
        given = self.rng.choice(GIVEN) + (self.rng.choice(GIVEN) if self.rng.random() < 0.7 else "")
        return self.rng.choice(SURNAMES) + given

    def mobile(self) -> str:
        return "1" + self.rng.choice("3456789") + "".join(self.rng.choice("0123456789") for _ in range(9))


def ensure_categories(scope: Scope) -> dict[str, Category]:
    by_name: dict[str, Category] = {}
    for i, (code, name, children) in enumerate(CATEGORIES):
        parent = org.category_ensure(scope=scope, code=code, name=name, sort_order=i)
        by_name[name] = parent
        for j, child in enumerate(children):
            by_name[f"{name}/{child}"] = org.category_ensure(
                scope=scope, code=f"{code}{j + 1:02d}", name=child, parent=parent, sort_order=j
            )
    return by_name


def _ensure_region(scope: Scope, code: str, name: str, level: int, kind: str) -> Region:
    existing = Region.objects.filter(code=code).first()
    return existing or region_create(scope=scope, code=code, name=name, level=level, kind=kind, reason="演示数据")


def build_demo(*, scope: Scope, scale: int = 1, seed: int = 2026) -> DemoSummary:
    """Build ``scale`` demo counties. Deterministic for a given seed and scale."""
    summary = DemoSummary()
    categories = ensure_categories(scope)
    _ensure_region(scope, PROVINCE_CODE, "浙江省", RegionLevel.PROVINCE, RegionKind.PROVINCE)
    first_county: Region | None = None
    for index in range(scale):
        city_no = 99 - index // 90
        county_no = index % 90 + 1
        city = _ensure_region(
            scope,
            f"33{city_no:02d}00000000",
            "云溪市" if city_no == 99 else f"示范{city_no}市",
            RegionLevel.CITY,
            RegionKind.CITY,
        )
        if index % 90 == 0 and not city.bodies.exists():
            org.body_create(scope=scope, region=city, kind=BodyKind.CONGRESS, term=16)
        rng = random.Random(seed * 1000 + index)
        county_name = COUNTY_NAMES[index] if index < len(COUNTY_NAMES) else f"示范{index + 1}县"
        county = _build_county(scope, rng, city, county_no, county_name, categories, summary)
        first_county = first_county or county
    if first_county is not None:
        summary.logins = _demo_users(scope, first_county)
    return summary


def _build_county(
    scope: Scope,
    rng: random.Random,
    city: Region,
    county_no: int,
    county_name: str,
    categories: dict[str, Category],
    summary: DemoSummary,
) -> Region:
    names = NameMaker(rng)
    code6 = f"{city.path}{county_no:02d}"
    county = _ensure_region(scope, f"{code6}000000", county_name, RegionLevel.COUNTY, RegionKind.COUNTY)
    org.body_create(scope=scope, region=county, kind=BodyKind.CONGRESS, term=18)
    org.body_create(scope=scope, region=county, kind=BodyKind.STANDING_COMMITTEE, term=18)
    summary.counties += 1
    for i, (unit_name, kind, cats) in enumerate(COUNTY_UNITS):
        org.unit_create(
            scope=scope,
            data=org.UnitInput(
                code=f"U{code6}{i + 1:03d}",
                name=f"{county_name}{unit_name}",
                kind=kind,
                region=county,
                categories=tuple(categories[c] for c in cats),
                contact_name=names.person(),
                contact_phone=names.mobile(),
            ),
        )
        summary.units += 1
    for i, (unit_name, kind, cats) in enumerate(COUNTY_UTILITIES, start=len(COUNTY_UNITS)):
        org.unit_create(  # no draw from the generator: the demo's names stay as they were
            scope=scope,
            data=org.UnitInput(
                code=f"U{code6}{i + 1:03d}",
                name=f"{county_name}{unit_name}",
                kind=kind,
                region=county,
                categories=tuple(categories[c] for c in cats),
                contact_name="客户服务中心",
            ),
        )
        summary.units += 1

    # 8 towns + 4 streets; streets use codes 001–, towns 101– as the statistical scheme does.
    town_names = rng.sample(TOWN_NAMES, 8)
    street_names = rng.sample(STREET_NAMES, 4)
    townships: list[tuple[Region, bool]] = []
    for i, name in enumerate(street_names):
        townships.append(
            (_ensure_region(scope, f"{code6}{i + 1:03d}000", name, RegionLevel.TOWNSHIP, RegionKind.STREET), True)
        )
    for i, name in enumerate(town_names):
        kind = RegionKind.TOWNSHIP if name.endswith("乡") else RegionKind.TOWN
        townships.append((_ensure_region(scope, f"{code6}{i + 101:03d}000", name, RegionLevel.TOWNSHIP, kind), False))
    summary.townships += len(townships)

    county_deputies: list[Deputy] = []
    for t_index, (township, is_street) in enumerate(townships):
        villages = _build_villages(scope, rng, township, is_street, t_index)
        summary.villages += len(villages)
        _build_township_bodies_and_units(scope, names, township, is_street, categories, summary)
        stations = _build_stations(scope, rng, names, township, villages, is_street, summary)
        deputies = _build_deputies(scope, rng, names, township, villages, is_street, summary)
        county_deputies.extend(d for d in deputies if d.kind == DeputyKind.DEPUTY)
        _assign_stations(scope, rng, deputies, stations)
        _build_groups(scope, rng, township, deputies)
    # Professional groups of county deputies.
    county_level = [d for d in county_deputies if d.mandates.filter(level=CongressLevel.COUNTY).exists()]
    for name in ("农业农村专业小组", "教育卫生专业小组", "财政经济专业小组"):
        members = rng.sample(county_level, min(len(county_level), rng.randint(6, 12)))
        if len(members) >= 3:
            org.group_create(scope=scope, region=county, name=name, kind=GroupKind.PROFESSIONAL, members=members)
    return county


def _build_villages(scope: Scope, rng: random.Random, township: Region, is_street: bool, t_index: int) -> list[Region]:
    villages: list[Region] = []
    base = township.code[:9]
    if is_street:
        stems = rng.sample(COMMUNITY_STEMS, 10)
        for i, stem in enumerate(stems):
            v = _ensure_region(scope, f"{base}{i + 1:03d}", f"{stem}社区", RegionLevel.VILLAGE, RegionKind.COMMUNITY)
            villages.append(v)
            for g in range(2):
                _ensure_region(
                    scope, f"{v.code}{g + 1:03d}", f"{stem}社区第{g + 1}网格", RegionLevel.GRID, RegionKind.GRID
                )
    else:
        _ensure_region(scope, f"{base}001", f"{township.name[:-1]}社区", RegionLevel.VILLAGE, RegionKind.COMMUNITY)
        villages.append(Region.objects.get(code=f"{base}001"))
        stems = rng.sample(VILLAGE_STEMS, 13 + (t_index % 3))
        for i, stem in enumerate(stems):
            villages.append(
                _ensure_region(scope, f"{base}{i + 201:03d}", f"{stem}村", RegionLevel.VILLAGE, RegionKind.VILLAGE)
            )
    return villages


def _build_township_bodies_and_units(
    scope: Scope,
    names: NameMaker,
    township: Region,
    is_street: bool,
    categories: dict[str, Category],
    summary: DemoSummary,
) -> None:
    if is_street:
        org.body_create(scope=scope, region=township, kind=BodyKind.STREET_WORK_COMMITTEE)
        org.body_create(scope=scope, region=township, kind=BodyKind.STREET_DELIBERATION)
    else:
        org.body_create(scope=scope, region=township, kind=BodyKind.CONGRESS, term=19)
        org.body_create(scope=scope, region=township, kind=BodyKind.PRESIDIUM, term=19)
    for i, (unit_name, kind, cats) in enumerate(TOWNSHIP_UNITS):
        if is_street and unit_name in {"农业农村办", "水利站"}:
            continue
        org.unit_create(
            scope=scope,
            data=org.UnitInput(
                code=f"U{township.path}{i + 1:02d}",
                name=f"{township.name}{unit_name}",
                kind=kind,
                region=township,
                categories=tuple(categories[c] for c in cats),
                contact_name=names.person(),
                contact_phone=names.mobile(),
            ),
        )
        summary.units += 1


def _build_stations(
    scope: Scope,
    rng: random.Random,
    names: NameMaker,
    township: Region,
    villages: list[Region],
    is_street: bool,
    summary: DemoSummary,
) -> list[Station]:
    stations: list[Station] = []
    home = org.station_create(
        scope=scope,
        data=org.StationInput(
            code=f"S{township.path}00",
            name=f"{township.name}人大代表之家",
            kind=StationKind.HOME,
            region=township,
            address=f"{township.name}人民政府大院{rng.randint(1, 5)}号楼",
            opening_hours="每周三 9:00-11:30，14:00-17:00",
        ),
    )
    stations.append(home)
    # Village stations; every third pair of small villages shares one.
    i = 0
    n = 0
    while i < len(villages):
        shared = not is_street and i + 1 < len(villages) and rng.random() < 0.25
        group = villages[i : i + (2 if shared else 1)]
        i += len(group)
        n += 1
        station = org.station_create(
            scope=scope,
            data=org.StationInput(
                code=f"S{township.path}{n:02d}",
                name=f"{'、'.join(v.name for v in group)}人大代表联络站",
                kind=StationKind.STATION,
                region=group[0],
                address=f"{group[0].name}党群服务中心{rng.randint(1, 3)}楼",
                opening_hours=rng.choice(["每周五 9:00-11:30", "每月 5 日、20 日 全天", "每周二 14:00-17:00"]),
            ),
        )
        station.served_regions.set(group)
        stations.append(station)
    point = org.station_create(
        scope=scope,
        data=org.StationInput(
            code=f"S{township.path}90",
            name=f"{township.name}{(industry := rng.choice(INDUSTRIES))}代表联系点",
            kind=StationKind.POINT,
            region=township,
            industry=industry,
            address=f"{township.name}{industry}服务中心",
            opening_hours="每月第一个周四 14:00-17:00",
        ),
    )
    stations.append(point)
    for station in stations:
        officers = [org.OfficerInput(role=OfficerRole.HEAD, name=names.person(), phone=names.mobile())]
        officers += [
            org.OfficerInput(role=OfficerRole.LIAISON, name=names.person(), phone=names.mobile())
            for _ in range(rng.randint(1, 2))
        ]
        org.station_set_officers(scope=scope, station=station, officers=officers)
    summary.stations += len(stations)
    return stations


def _build_deputies(
    scope: Scope,
    rng: random.Random,
    names: NameMaker,
    township: Region,
    villages: list[Region],
    is_street: bool,
    summary: DemoSummary,
) -> list[Deputy]:
    deputies: list[Deputy] = []
    # Towns: ~70 township deputies, a third of them also county deputies; streets: county deputies
    # elected there plus ~25 议政代表.
    plan: list[tuple[str, tuple[org.MandateInput, ...]]] = []
    if is_street:
        for _ in range(rng.randint(18, 22)):
            plan.append((DeputyKind.DEPUTY, (org.MandateInput(CongressLevel.COUNTY, 18, f"{township.name}选区"),)))
        for _ in range(rng.randint(22, 28)):
            plan.append((DeputyKind.DELIBERATION, ()))
    else:
        for _ in range(rng.randint(92, 104)):
            constituency = f"第{rng.randint(1, 12)}选区"
            levels = [org.MandateInput(CongressLevel.TOWNSHIP, 19, constituency)]
            if rng.random() < 0.17:
                levels.append(org.MandateInput(CongressLevel.COUNTY, 18, f"{township.name}选区"))
                if rng.random() < 0.08:
                    levels.append(org.MandateInput(CongressLevel.CITY, 16, f"{township.name[:2]}片"))
            plan.append((DeputyKind.DEPUTY, tuple(levels)))
    for kind, mandates in plan:
        region = rng.choice(villages)
        deputy = org.deputy_create(
            scope=scope,
            data=org.DeputyInput(
                name=names.person(),
                region=region,
                kind=kind,
                gender=rng.choice("MMF"),
                birth_year=rng.randint(1958, 1996),
                ethnicity="汉族" if rng.random() < 0.96 else "畲族",
                party=rng.choice(PARTIES),
                occupation=_occupation(region, rng.choice(OCCUPATIONS)),
                phone=names.mobile(),
                mandates=mandates,
            ),
            reason="演示数据",
        )
        deputies.append(deputy)
    summary.deputies += len(deputies)
    return deputies


def _assign_stations(scope: Scope, rng: random.Random, deputies: list[Deputy], stations: list[Station]) -> None:
    village_stations = {r.pk: s for s in stations for r in s.served_regions.all()}
    start = dt.date(2022, 1, 10)
    for deputy in deputies:
        station = village_stations.get(deputy.region_id) or stations[0]
        org.deputy_join_station(scope=scope, deputy=deputy, station=station, start_date=start)
    # A few deputies moved station in 2024: history survives the move.
    for deputy in rng.sample(deputies, max(1, len(deputies) // 40)):
        target = rng.choice(stations)
        if not deputy.memberships.filter(station=target, end_date__isnull=True).exists():
            org.deputy_move_station(
                scope=scope, deputy=deputy, to_station=target, on=dt.date(2024, 3, 1), reason="工作调动"
            )


def _build_groups(scope: Scope, rng: random.Random, township: Region, deputies: list[Deputy]) -> None:
    pool = [d for d in deputies if d.kind == DeputyKind.DEPUTY]
    rng.shuffle(pool)
    for g in range(3 if len(pool) > 40 else 1):
        members = pool[g * 8 : g * 8 + rng.randint(5, 8)]
        if len(members) >= 3:
            org.group_create(
                scope=scope, region=township, name=f"第{g + 1}代表小组", kind=GroupKind.REGIONAL, members=members
            )


def _demo_users(scope: Scope, county: Region) -> list[tuple[str, str, str]]:
    """One login per role, all under the first demo county."""
    if User.objects.filter(username="admin").exists():
        return demo_logins()
    city = county.parent
    assert city is not None
    town = (
        Region.objects.filter(path__startswith=county.path, kind__in=[RegionKind.TOWN, RegionKind.TOWNSHIP])
        .order_by("path")
        .first()
    )
    street = Region.objects.filter(path__startswith=county.path, kind=RegionKind.STREET).order_by("path").first()
    assert town is not None and street is not None
    station = (
        Station.objects.filter(region__path__startswith=town.path, kind=StationKind.STATION).order_by("code").first()
    )
    deputy = (
        Deputy.objects.filter(region__path__startswith=town.path, memberships__station=station).order_by("id").first()
    )
    unit = HandlingUnit.objects.filter(region=town, name__endswith="规划建设办").first()
    assert station is not None and deputy is not None and unit is not None

    def make(username: str, display: str, role: str, **kwargs: object) -> None:
        user = user_create(
            scope=scope, username=username, password=DEMO_PASSWORD, display_name=display, check_password=False
        )
        user.phone = DEMO_PHONES[username]  # for 短信验证码登录 (the code is printed on the console)
        user.save(update_fields=["phone"])
        if role == Role.ADMIN:
            user.is_staff = True
            user.is_superuser = True
            user.save(update_fields=["is_staff", "is_superuser"])
        role_grant(scope=scope, user=user, role=role, **kwargs)  # type: ignore[arg-type]

    make("admin", "系统管理员", Role.ADMIN)
    make("city", "市人大常委会代表工委 周明", Role.CITY_STAFF, region=city)
    make("county", "县人大常委会代表工委 陈静", Role.COUNTY_STAFF, region=county)
    make("township", f"{town.name}人大主席团 李强", Role.TOWNSHIP_STAFF, region=town)
    # A second hand in the office: 复核 of paper-ballot sheets is another person's entry.
    make("township2", f"{town.name}人大干事 周敏", Role.TOWNSHIP_STAFF, region=town)
    make("street", f"{street.name}人大工委 王芳", Role.TOWNSHIP_STAFF, region=street)
    make("liaison", f"{station.name} 联络员", Role.STATION_STAFF, station=station)
    make("deputy", deputy.name, Role.DEPUTY, deputy=deputy)
    make("clerk", f"{unit.name} 工作人员", Role.UNIT_CLERK, unit=unit)
    return demo_logins()


# Every staff login the demo prints, in the order it prints them (deputies dep01… come after).
DEMO_USERS = ["admin", "city", "county", "township", "township2", "street", "liaison", "deputy", "clerk"]
DEMO_PHONES = {name: f"139000000{i:02d}" for i, name in enumerate(DEMO_USERS, start=1)}


def demo_logins() -> list[tuple[str, str, str]]:
    rows = []
    for user in User.objects.filter(username__in=DEMO_USERS).prefetch_related("roles__region"):
        for a in user.roles.all():
            rows.append((a.get_role_display(), user.username, a.region.name if a.region else "全部区划"))
    rows.sort(key=lambda r: DEMO_USERS.index(r[1]))
    return rows
