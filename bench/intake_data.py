"""bench/intake.py's data: the bench database (BENCH_PG_URL) and Redis (BENCH_REDIS_URL) it uses,
the demo county and the load test's rules in that database, the station the clients submit to,
and the text of what citizens write. bench/intake_cost.py uses the same.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Any

from bench.database import migrate_and_seed_county
from bench.harness import env_url

DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/renda_bench_intake"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
RULE_OVERRIDES = {
    "opinion.rate_per_ip_hour": 1_000_000_000,
    "opinion.rate_per_phone_day": 1_000_000,
}
RULE_NOTE = "压测（bench/intake.py）：所有请求来自 127.0.0.1，放宽限流"
SEED_ACTOR = "压测数据生成"

# ---------------------------------------------------------------------------------------------
# What citizens write: per leaf category a few problems; places, durations and wishes around them.

PROBLEMS: dict[str, list[str]] = {
    "道路设施": ["路面坑洼很多，下雨天全是积水", "道路破损严重，电动车经常摔倒", "桥面栏杆断了，孩子上学很危险"],
    "违章建筑": ["有人在河边搭了违章建筑", "邻居违建的棚子挡住了消防通道"],
    "污水管网": ["下水道堵了，污水漫到路上", "污水管网没接通，生活污水直排河道"],
    "路灯": ["路灯坏了好几盏，晚上一片漆黑", "新装的路灯一直不亮"],
    "村容村貌": ["房前屋后杂物乱堆，村里环境很差", "村道两边的绿化带没人修剪"],
    "公交线路": ["公交班车一天只有两班，进城很不方便", "公交站台被拆了以后一直没有重建"],
    "道路拥堵": ["早晚高峰学校门口堵车严重", "路口没有红绿灯，经常拥堵"],
    "停车管理": ["小区门口乱停车，救护车都进不来", "菜场周边停车位太少"],
    "农村公路": ["农村公路太窄，两辆车没法会车", "通村公路年久失修"],
    "水污染": ["河道里发黑发臭，还有死鱼", "养殖场排污把水渠污染了"],
    "大气污染": ["工厂晚上偷偷排放废气，味道很臭", "有人焚烧垃圾，烟很大"],
    "噪声扰民": ["工地夜里施工噪音太大，睡不着觉", "广场舞音响声音太大"],
    "垃圾处理": ["垃圾桶好几天没人清运，臭气熏天", "垃圾中转站离住户太近"],
    "社保医保": ["医保转移手续办了几个月还没好", "社保缴费年限查询不到"],
    "欠薪讨薪": ["工地老板拖欠工资半年了", "厂里欠薪不还，工人讨薪无门"],
    "就业创业": ["希望多组织就业培训", "返乡创业贷款申请很难"],
    "养老服务": ["村里养老院床位不够", "希望开办老年食堂，老人吃饭难"],
    "入学": ["孩子入学报名材料要求太多", "外来务工子女入学难"],
    "校车": ["校车超载，家长很担心", "山区学生没有校车，上学要走很远"],
    "文体设施": ["健身器材坏了没人修", "村里缺少文化活动场地"],
    "基层医疗": ["卫生院医生太少，看病要排很久", "村卫生室经常没人"],
    "集贸市场": ["菜场环境脏乱，地面全是污水", "市场摊位费涨得太快"],
    "农田水利": ["灌溉水渠堵塞，农田浇不上水", "机耕路被冲毁了"],
    "土地流转": ["土地流转租金一直没有发放", "流转合同不规范"],
    "农业补贴": ["种粮补贴没有按时发放", "农机购置补贴申请没有回音"],
    "低保救助": ["困难家庭申请低保被退回，不知道原因", "孤寡老人没有纳入救助"],
    "社会治安": ["最近村里经常有人偷电动车", "夜里有人聚众赌博"],
    "消防安全": ["老旧楼道堆满杂物，存在消防隐患", "消防栓被圈进了商铺"],
    "供水": ["经常停水，水压也很低", "自来水发黄有异味"],
    "供电": ["夏天经常停电，电压不稳", "电线老化，存在安全隐患"],
    "网络通信": ["山里手机信号很差", "宽带网络一直装不上"],
    "物业管理": ["物业不作为，电梯坏了一个月没修", "物业费乱收费"],
    "老旧小区改造": ["老旧小区外墙脱落，怕砸到人", "小区改造工程拖了两年还没完工"],
    "食品安全": ["学校门口小摊卖过期食品", "超市卖的肉来源不明"],
    "办事效率": ["开个证明要跑好几趟", "窗口工作人员态度不好，办事拖拉"],
}
PLACES = ["村口", "小学门口", "菜场旁边", "村委会后面", "老街", "新村安置房", "河边", "工业园区附近", "卫生院对面"]
DURATIONS = ["已经两个多月了", "反映过好几次都没解决", "去年就有这个问题", "最近一周越来越严重", "这个问题拖了很久"]
WISHES = ["希望有关部门尽快处理。", "请代表帮忙反映一下。", "希望早日解决，谢谢！", "请尽快派人来看看。", ""]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红玉梅"


def opinion_text(rng: random.Random, village: str, leaf: str) -> str:
    return f"{village}{rng.choice(PLACES)}{rng.choice(PROBLEMS[leaf])}，{rng.choice(DURATIONS)}。{rng.choice(WISHES)}"


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))


# ---------------------------------------------------------------------------------------------
# The database, the demo county and the load test's rules (run in this process, then closed)


@dataclass
class Target:
    station_public_id: str
    station_name: str
    villages: list[tuple[int, str]]  # (region id, name) of the station's township
    leaves: dict[str, int]  # leaf category name -> id
    classified: int  # staff-classified opinions the category model learns from
    opinions_before: int


def pg_url() -> str:
    return env_url("BENCH_PG_URL", DEFAULT_PG_URL)


def redis_url() -> str:
    return env_url("BENCH_REDIS_URL", DEFAULT_REDIS_URL)


def redis_client() -> Any:
    import redis

    return redis.Redis.from_url(redis_url(), socket_timeout=5)


def prepare_data(classified: int) -> Target:
    from django.db import connection

    from renda.core.models import RuleSetting
    from renda.opinions.models import Opinion, Source
    from renda.opinions.selectors import villages_for
    from renda.org.models import Category, Station
    from renda.regions.models import Region

    scope = migrate_and_seed_county(SEED_ACTOR)

    for key, value in RULE_OVERRIDES.items():
        RuleSetting.objects.update_or_create(key=key, defaults={"value": value, "note": RULE_NOTE})

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_bare (id bigserial PRIMARY KEY, key varchar(64) NOT NULL, "
            "body text NOT NULL, created_at timestamptz NOT NULL)"
        )

    station = (
        Station.objects.filter(is_active=True, region__level__gte=4).select_related("region").order_by("pk").first()
    )
    if station is None:
        raise SystemExit("the demo county has no active station")
    villages = [(r.pk, r.name) for r in villages_for(station.region.path)]
    leaves = dict(Category.objects.filter(parent__isnull=False, name__in=list(PROBLEMS)).values_list("name", "id"))
    if not villages or len(leaves) < len(PROBLEMS) // 2:
        raise SystemExit(f"station {station.public_id} has {len(villages)} villages, {len(leaves)} known categories")

    # The category model (renda/opinions/text.py) learns from opinions staff classified (not QR
    # ones); a county in use has them, so the benchmark does too: entered at the station through
    # the same service, as a liaison entering reception-day opinions would.
    have = Opinion.objects.exclude(source=Source.QR).count()
    if have < classified:
        from renda.opinions.intake import OpinionInput, opinion_submit

        rng = random.Random(20261123 + have)
        regions = {r.pk: r for r in Region.objects.filter(pk__in=[v[0] for v in villages])}
        categories = {c.pk: c for c in Category.objects.filter(pk__in=list(leaves.values()))}
        names = list(leaves)
        t0 = time.perf_counter()
        for _ in range(classified - have):
            village_id, village_name = rng.choice(villages)
            leaf = rng.choice(names)
            opinion_submit(
                data=OpinionInput(
                    text=opinion_text(rng, village_name, leaf),
                    region=regions[village_id],
                    category=categories[leaves[leaf]],
                    source=Source.RECEPTION,
                    station=station,
                    citizen_name=person_name(rng),
                    citizen_phone=f"15{rng.randrange(10**9):09d}",
                    consent=True,
                ),
                scope=scope,
            )
        print(
            f"entered {classified - have} classified opinions for the category model in "
            f"{time.perf_counter() - t0:.1f} s",
            flush=True,
        )
        have = classified
    target = Target(
        station_public_id=station.public_id,
        station_name=station.name,
        villages=villages,
        leaves=leaves,
        classified=have,
        opinions_before=Opinion.objects.count(),
    )
    connection.close()
    return target
