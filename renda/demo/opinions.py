"""One year of citizen opinions (意见建议) for the demo counties, built through the services.

``build_opinions`` walks every county in the database (the demo counties of
renda/demo/county.py) and files about ``per_county`` opinions spread over the past twelve
months, each driven through the same services the pages use — submit, route, accept, return,
answer, refer, merge, follow, rate, escalate — so every case has a real audit timeline and real
notification records. Proportions follow ../shared/DOMAIN.md scene 1 (Liyang: 269 collected,
211 resolved; Zhejiang: 1.14M items a year, 900k small matters resolved by routing) and the usual
figures offices report:

- sources: 扫码 45%, 接待日 20%, 走访 15%, 意见箱 8%, 代表夜聊/赶大集 7%, 网页 5%;
- categories: 城乡建设, 交通运输, 环境保护, 农业农村 (villages), 水电气 most common; 住房与物业 in
  communities; texts from templates per second-level category, with village names and places;
- handling: ~80% routed to the suggested unit and answered within the deadline, ~10% answered
  directly by the township, ~4% referred to deputies, ~3% returned once by a unit and re-routed,
  ~3% still open "today" (the newest ones, plus a few stuck and overdue);
- the same problem reported by 2–4 people in one village: some merged, some followed (附议),
  recent ones left waiting so duplicate detection has something to find;
- ratings of an answer: 满意 ~75%, 基本满意 ~13%, 不满意 ~5% (reopened and answered again, most
  then 基本满意; a second 不满意 escalates to the presidium), never rated ~7% (the sweep closes
  them as 未评价); ~15% anonymous.

Time. Every service stamps "now", so after a county is generated its records are back-dated
deterministically with ``queryset.update()``: Opinion (created_at, updated_at, answered_at,
closed_at, deadline), Answer, RatingRecord and Follower (created_at). Deadlines are recomputed
with add_workdays from the back-dated dates. Audit events are NOT back-dated: the audit table is
append-only and hash-chained (the database refuses UPDATE on audit_auditevent), so the demo's
audit trail records when the demo was generated — in the simulated order of events, one case's
events always in its own order — while the case fields show the simulated dates.

Deterministic: the same seed gives the same cases, texts, people and outcomes (dates are relative
to the day of the run; receipt codes are random secrets).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import re
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from renda.accounts.models import Role, RoleAssignment
from renda.core.rules import rule
from renda.core.scoping import ROLE_PERMS, Scope, scope_for_user
from renda.core.workdays import Deadline, add_workdays, is_workday
from renda.demo.county import NameMaker
from renda.notify.models import Channel, Notification
from renda.opinions import appointments as appointment_services
from renda.opinions import intake, selectors, services
from renda.opinions.models import (
    OPEN_STATES,
    Answer,
    Follower,
    Opinion,
    Outcome,
    Rating,
    RatingRecord,
    Source,
)
from renda.opinions.routing import suggested_unit
from renda.org.models import Category, Deputy, HandlingUnit, Station, StationKind, StationMembership
from renda.regions.models import Region, RegionKind, RegionLevel

DEFAULT_PER_COUNTY = 1200
NOTIFY_BACKEND = "renda.notify.backends.LocmemBackend"

# ------------------------------------------------------------------ proportions

SOURCE_WEIGHTS: list[tuple[str, float]] = [
    (Source.QR, 45),
    (Source.RECEPTION, 20),
    (Source.VISIT, 15),
    (Source.BOX, 8),
    (Source.EVENT, 7),
    (Source.WEB, 5),
]
ANONYMOUS_SHARE: dict[str, float] = {Source.BOX: 0.5, Source.QR: 0.14, Source.WEB: 0.14}  # others 0.10

# First-level category weights: (in a village, in a community).
CATEGORY_WEIGHTS: dict[str, tuple[float, float]] = {
    "城乡建设": (20, 16),
    "交通运输": (11, 12),
    "环境保护": (12, 12),
    "农业农村": (14, 1),
    "水电气与通信": (11, 10),
    "劳动和社会保障": (5, 5),
    "教育文体": (5, 6),
    "卫生健康": (4, 4),
    "商贸旅游": (2, 2),
    "民政与社会救助": (4, 3),
    "治安与公共安全": (4, 5),
    "住房与物业": (2, 9),
    "市场监管与消费": (3, 4),
    "政务服务": (3, 3),
    "其他": (1, 1),
}

# How a case is handled once the township looks at it.
PATH_WEIGHTS: list[tuple[str, float]] = [
    ("route", 79.3),
    ("direct", 10),
    ("refer", 4),
    ("return", 3),
    ("stuck", 0.6),  # never finished: overdue today (more open cases come from the newest ones)
]
# Rating of an answer, by round: first answer, answer after a reopen, answer after escalation.
RATING_WEIGHTS: list[list[tuple[str, float]]] = [
    [(Rating.SATISFIED, 75), (Rating.BASIC, 13), (Rating.UNSATISFIED, 5), ("", 7)],
    [(Rating.SATISFIED, 15), (Rating.BASIC, 65), (Rating.UNSATISFIED, 12), ("", 8)],
    [(Rating.SATISFIED, 25), (Rating.BASIC, 50), (Rating.UNSATISFIED, 10), ("", 15)],
]
CLUSTER_SHARE = 0.035  # share of problems reported by 2–4 people
MERGE_SHARE = 0.5  # of older duplicates, merged by the township (the rest handled on their own)
FOLLOW_SHARE = 0.3  # of clusters, one more citizen follows (附议) the first case
RECENT_DAYS = 14  # duplicates this recent still wait for triage

# ------------------------------------------------------------------ texts

VILLAGE_PLACES = [
    "村口",
    "村委会门口",
    "文化礼堂前",
    "老年活动中心旁",
    "祠堂边",
    "桥头",
    "三组",
    "五组",
    "七组",
    "机耕路口",
    "村小学门口",
    "晒谷场边",
    "池塘边",
    "老街",
]
COMMUNITY_PLACES = [
    "东门",
    "北门",
    "3幢楼下",
    "7幢和8幢之间",
    "菜市场门口",
    "幼儿园门口",
    "社区服务中心旁",
    "健身广场",
    "地下车库入口",
    "公交站台旁",
    "12幢",
    "沿街商铺后面",
]
DURATIONS = ["三天", "一个星期", "半个月", "二十多天", "一个多月", "两个月"]
NUMBERS = ["三", "四", "五", "六", "七", "八"]  # also as tens: "{n}十亩田"
MONEY = ["三千多元", "五千多元", "八千多元", "一万多元", "两万多元"]

# (first level, second level, where: "" anywhere / "v" villages / "c" communities, template).
# Slots: {v} village/community, {p} place in it, {o} another village of the township, {t} the
# township, {n} a number, {d} a duration, {m} an amount of money.
TEMPLATES: list[tuple[str, str, str, str]] = [
    ("城乡建设", "道路设施", "", "{v}{p}的路面坑坑洼洼，下雨天全是积水，电动车经常打滑，希望尽快修补。"),
    ("城乡建设", "道路设施", "v", "{v}通往{o}的水泥路有一段塌陷了，已经{d}没人管，大车过不去，请尽快修复。"),
    ("城乡建设", "道路设施", "c", "{v}{p}人行道地砖松动翘起，老人走路容易绊倒，建议尽快维修。"),
    ("城乡建设", "违章建筑", "", "{v}{p}有人私自搭建彩钢棚，占用公共通道，消防车都进不来，请有关部门查处。"),
    ("城乡建设", "违章建筑", "v", "{v}{p}有一户在耕地上违规建房，已经打好地基了，希望尽快制止。"),
    ("城乡建设", "污水管网", "", "{v}{p}的污水管道堵塞，污水冒到路面上，臭味很大，已经{d}了，希望尽快疏通。"),
    ("城乡建设", "污水管网", "v", "{v}{p}还没有接入污水管网，生活污水直接排到水沟里，希望纳入管网改造。"),
    ("城乡建设", "路灯", "", "{v}{p}的路灯坏了{n}天，晚上出行不安全，希望尽快修复。"),
    ("城乡建设", "路灯", "", "{v}{p}一带没有路灯，晚上黑漆漆的，老人孩子出门很不方便，建议安装几盏路灯。"),
    ("城乡建设", "路灯", "c", "{v}{p}的路灯白天亮、晚上不亮，定时开关好像坏了，请维修一下。"),
    ("城乡建设", "村容村貌", "v", "{v}{p}堆放了大量建筑垃圾和杂物，{d}没人清理，影响村容村貌。"),
    ("城乡建设", "村容村貌", "", "{v}{p}的墙面小广告乱贴乱画，很不美观，希望组织清理。"),
    ("交通运输", "公交线路", "", "{v}到{t}的公交车一天只有{n}班，老人去看病很不方便，希望增加班次。"),
    ("交通运输", "公交线路", "v", "{v}离最近的公交站要走二十多分钟，建议公交线路在{v}{p}增设一个站点。"),
    ("交通运输", "公交线路", "c", "{v}{p}的公交站台没有遮雨棚，下雨天等车很狼狈，建议加装。"),
    ("交通运输", "道路拥堵", "c", "上下学时间{v}{p}一带堵得厉害，接送孩子的车乱停，建议安排人员疏导。"),
    ("交通运输", "道路拥堵", "", "{t}赶集的日子{v}附近的路口经常堵车，建议集市日加强交通疏导。"),
    ("交通运输", "停车管理", "c", "{v}{p}车位太少，晚上车辆乱停乱放，消防通道被堵，希望规划增加停车位。"),
    ("交通运输", "停车管理", "", "{v}{p}经常有货车长时间停放，占用道路，请有关部门管理。"),
    ("交通运输", "农村公路", "v", "{v}到{o}的农村公路太窄，两车会车很困难，建议拓宽或增设会车道。"),
    (
        "交通运输",
        "农村公路",
        "v",
        "{v}{p}的农村公路急弯处没有警示标志和护栏，晚上很危险，已经出过事故，希望尽快加装。",
    ),
    ("环境保护", "水污染", "", "{v}附近河道的水发黑发臭，{p}那一段最严重，怀疑有人偷排污水，请环保部门查一查。"),
    ("环境保护", "水污染", "v", "{v}{p}的养殖场污水直接排进水渠，下游农田都受影响，希望尽快处理。"),
    ("环境保护", "大气污染", "", "{v}附近的厂子晚上排放刺鼻气味，晚上都不敢开窗，已经{d}了，希望查处。"),
    ("环境保护", "大气污染", "v", "{v}{p}经常有人焚烧秸秆和垃圾，烟很大，影响呼吸，请加强管理。"),
    ("环境保护", "大气污染", "c", "{v}{p}的餐馆油烟直排，楼上住户家里全是油烟味，希望督促安装净化设备。"),
    ("环境保护", "噪声扰民", "c", "{v}{p}的广场舞音响声音太大，晚上十点还在跳，影响休息，请协调一下。"),
    ("环境保护", "噪声扰民", "", "{v}附近的工地夜间施工，{p}一带噪音很大，已经{d}了，希望管一管。"),
    ("环境保护", "垃圾处理", "", "{v}{p}的垃圾桶满了没人清运，已经{n}天了，苍蝇蚊子很多，希望尽快清运。"),
    ("环境保护", "垃圾处理", "v", "{v}{p}的垃圾分类亭坏了，村民垃圾乱扔，建议维修并加强引导。"),
    (
        "劳动和社会保障",
        "社保医保",
        "",
        "我是{v}居民，城乡居民医保缴费后在系统里查不到记录，已经{d}了，希望帮忙查一查。",
    ),
    ("劳动和社会保障", "社保医保", "", "{v}有些老人不会用手机做养老金资格认证，建议安排工作人员上门帮忙。"),
    ("劳动和社会保障", "欠薪讨薪", "", "我在{t}一家工地打工，老板拖欠工资{m}已经{d}了，希望帮忙讨回。"),
    ("劳动和社会保障", "欠薪讨薪", "", "{v}有{n}个人在附近厂里打工，年底工资还没结清，希望劳动保障部门介入。"),
    ("劳动和社会保障", "就业创业", "", "{v}有不少返乡青年想创业，希望多组织一些创业培训和贴息贷款政策宣讲。"),
    ("劳动和社会保障", "就业创业", "", "家里孩子毕业后在家待业，希望{t}多组织几场招聘会，提供就近就业岗位。"),
    ("劳动和社会保障", "养老服务", "v", "{v}的居家养老服务中心很少开门，老人吃饭不方便，希望恢复老年食堂。"),
    ("劳动和社会保障", "养老服务", "c", "{v}高龄独居老人多，建议增加上门助餐、助浴服务。"),
    ("教育文体", "入学", "c", "{v}新建小区的孩子划片入学离家太远，希望调整学区划分。"),
    ("教育文体", "入学", "", "孩子随迁入学需要的证明材料太多，来回跑了好几趟，希望简化手续。"),
    ("教育文体", "校车", "v", "{v}的孩子到{t}中心学校上学要走很远，建议开通校车或者增加接送站点。"),
    ("教育文体", "校车", "", "接送{v}学生的校车经常超员，存在安全隐患，请有关部门检查。"),
    ("教育文体", "文体设施", "", "{v}{p}的健身器材坏了好几件，老人锻炼时容易受伤，希望维修更换。"),
    ("教育文体", "文体设施", "", "{v}缺少篮球场等运动场地，年轻人没地方锻炼，建议利用{p}的空地建设。"),
    ("教育文体", "文体设施", "v", "{v}文化礼堂平时锁着门，村民想借用开展文艺活动也借不到，希望定期开放。"),
    ("教育文体", "校园周边", "", "{t}中心学校门口流动摊贩很多，卖的零食没有保障，请管理一下。"),
    (
        "教育文体",
        "校园周边",
        "",
        "{t}中心学校门口的斑马线已经磨没了，上下学车多，孩子过马路很危险，希望重新划线并安排护学岗。",
    ),
    (
        "卫生健康",
        "基层医疗",
        "v",
        "{v}卫生室的医生退休后一直没人接替，看个小病也要跑到{t}，希望尽快配备村医。",
    ),
    ("卫生健康", "基层医疗", "", "{t}卫生院常用药经常缺货，慢性病老人要跑到县城配药，希望增加药品种类。"),
    ("卫生健康", "公共卫生", "", "{v}{p}一带老鼠多，建议组织一次集中灭鼠消杀。"),
    ("卫生健康", "公共卫生", "", "{v}的老人希望就近接种疫苗和做免费体检，建议卫生院到{v}巡回服务。"),
    ("卫生健康", "医保报销", "", "{v}的老人在县外住院报销比例低、手续繁琐，希望简化异地就医备案。"),
    ("卫生健康", "医保报销", "", "门诊慢特病的认定要去县里跑好几次，建议在{t}卫生院就能办。"),
    ("商贸旅游", "集贸市场", "", "{t}农贸市场顶棚漏雨，地面湿滑，摊主和买菜的人都不方便，希望改造。"),
    ("商贸旅游", "集贸市场", "", "{v}{p}的早市占道经营，早上车子都开不过去，希望规范管理。"),
    ("商贸旅游", "集贸市场", "v", "{v}附近没有菜场，买菜要到{t}，建议设立便民菜店或流动售菜点。"),
    ("商贸旅游", "旅游服务", "v", "周末到{v}游玩的游客多，{p}没有公共厕所和停车场，建议完善配套。"),
    ("商贸旅游", "旅游服务", "v", "{v}的民宿想搞统一宣传，希望{t}帮忙对接乡村旅游推介平台。"),
    ("商贸旅游", "旅游服务", "v", "{v}{p}的景点指示牌破损、方向标错，游客经常走错路，希望更换。"),
    ("农业农村", "农田水利", "v", "{v}{p}的灌溉水渠破损漏水，下游的田放不到水，马上要插秧了，希望尽快修复。"),
    ("农业农村", "农田水利", "v", "{v}的机埠抽水泵坏了{d}，{n}十亩田没法灌溉，希望尽快维修。"),
    ("农业农村", "农田水利", "v", "{v}的山塘年久失修，汛期有隐患，建议清淤加固。"),
    ("农业农村", "土地流转", "v", "{v}部分土地流转租金已经{d}没有付了，村民意见很大，希望协调。"),
    ("农业农村", "土地流转", "v", "{v}土地流转合同不规范，有的只是口头约定，容易扯皮，希望统一合同文本。"),
    ("农业农村", "农业补贴", "", "今年的耕地地力保护补贴到现在还没发放到{v}，希望查一下原因。"),
    ("农业农村", "农业补贴", "v", "{v}种粮大户购买农机的补贴申请交上去{d}了还没有消息，希望加快审核。"),
    ("农业农村", "乡村振兴", "v", "{v}的茶叶、笋干等农产品销路不好，希望帮忙对接电商平台和销售渠道。"),
    ("农业农村", "乡村振兴", "v", "{v}闲置的老校舍一直空着，建议盘活用于村集体经济项目。"),
    ("民政与社会救助", "低保救助", "", "{v}有一户因病致贫，家里{n}口人靠一个人打工，希望评估能否纳入低保。"),
    ("民政与社会救助", "低保救助", "", "{v}的低保评议过程不够公开，大家有疑问，希望公示评议结果。"),
    ("民政与社会救助", "残疾人服务", "c", "{v}{p}的无障碍通道被杂物堵住，轮椅没法通行，希望整改。"),
    (
        "民政与社会救助",
        "残疾人服务",
        "",
        "{v}有一位重度残疾人的护理补贴停发了，家属不知道原因，希望帮忙查询。",
    ),
    ("民政与社会救助", "殡葬管理", "v", "{v}后山有人乱埋乱葬，希望加强殡葬管理。"),
    ("民政与社会救助", "殡葬管理", "v", "{v}的公益性公墓位置不够，村民希望扩建。"),
    ("治安与公共安全", "社会治安", "", "{v}{p}最近接连有电动车被偷，希望加装监控并加强夜间巡逻。"),
    ("治安与公共安全", "社会治安", "", "{v}有老人接到诈骗电话被骗了钱，希望多开展反诈宣传。"),
    (
        "治安与公共安全",
        "消防安全",
        "c",
        "{v}{p}楼道里堆满杂物，还有电动车在楼道充电，存在消防隐患，请有关部门处理。",
    ),
    ("治安与公共安全", "消防安全", "v", "{v}{p}的消防栓没水，出了火灾没法用，希望检修。"),
    (
        "治安与公共安全",
        "交通安全",
        "",
        "{v}{p}的路口没有红绿灯和减速带，车开得飞快，已经出过几次事故，希望加装。",
    ),
    ("治安与公共安全", "交通安全", "", "{v}附近有人无证驾驶三轮车载客，存在安全隐患，希望整治。"),
    ("水电气与通信", "供水", "", "{v}{p}一带自来水水压太低，三楼以上基本没水，已经{d}了，希望解决。"),
    ("水电气与通信", "供水", "", "{v}最近停水频繁，事先没有通知，希望停水前提前公告。"),
    ("水电气与通信", "供水", "v", "{v}{p}的自来水有时发黄浑浊，担心水质问题，请检测一下。"),
    ("水电气与通信", "供电", "", "{v}{p}电压不稳，晚上空调都带不动，希望改造线路增容。"),
    ("水电气与通信", "供电", "", "{v}{p}的电线杆倾斜，电线垂得很低，存在安全隐患，希望尽快处理。"),
    ("水电气与通信", "燃气", "c", "{v}还没有通管道燃气，用液化气罐不安全，希望尽快接通。"),
    ("水电气与通信", "燃气", "", "{v}{p}的燃气管道附近有异味，担心泄漏，请燃气公司检查。"),
    ("水电气与通信", "网络通信", "v", "{v}{p}手机信号很差，打电话经常断，希望增设基站。"),
    ("水电气与通信", "网络通信", "", "{v}的宽带经常掉线，报修后一直没有人来，希望督促运营商处理。"),
    (
        "住房与物业",
        "物业管理",
        "c",
        "{v}{p}的电梯经常坏，物业修了又坏，老人上下楼很困难，希望督促物业彻底维修。",
    ),
    ("住房与物业", "物业管理", "c", "{v}物业服务差，卫生没人打扫，收费却涨了，业主意见很大，希望协调。"),
    ("住房与物业", "老旧小区改造", "c", "{v}{p}是老小区，外墙脱落、管道老化，希望纳入老旧小区改造计划。"),
    ("住房与物业", "老旧小区改造", "c", "{v}老小区没有电梯，希望推进加装电梯，政策上给予支持。"),
    ("住房与物业", "保障性住房", "", "申请公租房的材料交了{d}了还没有结果，希望告知审核进度。"),
    ("住房与物业", "保障性住房", "v", "{v}有一户危房还住着老人，墙体开裂，希望纳入危房改造。"),
    ("市场监管与消费", "食品安全", "", "{v}{p}的小饭馆卫生条件很差，后厨脏乱，希望检查。"),
    ("市场监管与消费", "食品安全", "", "{v}附近的小超市卖过期食品，希望市场监管部门查处。"),
    ("市场监管与消费", "食品安全", "", "{t}集市上有人卖来路不明的散装白酒，担心有安全问题，希望抽检。"),
    ("市场监管与消费", "消费维权", "", "在{t}一家电器店买的空调装好就坏了，商家拒不退换，希望帮忙维权。"),
    (
        "市场监管与消费",
        "消费维权",
        "",
        "{v}{p}的理发店办卡后关门跑路了，{n}十多个会员的钱退不回来，希望处理。",
    ),
    ("市场监管与消费", "消费维权", "", "有人在{v}搞保健品讲座，向老人高价推销产品，希望查处。"),
    (
        "政务服务",
        "办事效率",
        "",
        "在{t}便民服务中心办事要排很久的队，窗口开得少，希望增加窗口或者预约办理。",
    ),
    ("政务服务", "办事效率", "", "办一件事要跑好几个部门，希望推行“最多跑一次”，一窗受理。"),
    ("政务服务", "办事效率", "", "{v}的老人不会网上办事，希望便民服务中心安排帮办代办。"),
    ("政务服务", "证照办理", "", "{v}有村民的宅基地不动产证办了{d}还没拿到，希望加快。"),
    ("政务服务", "证照办理", "", "营业执照网上申请总是提示材料不全，又说不清缺什么，希望给出明确指引。"),
    ("其他", "其他", "", "希望{t}多组织一些代表接待活动，让老百姓有地方说话。"),
    ("其他", "其他", "v", "{v}的村务公开栏内容很久没有更新，希望及时公开。"),
    ("其他", "其他", "", "建议在{v}{p}设立一个便民服务点，方便群众办事。"),
    ("其他", "其他", "", "{v}{p}的流浪狗越来越多，已经咬伤过人，希望处理。"),
    ("其他", "其他", "", "希望代表多到{v}走访，听听老百姓的想法。"),
]

# What was done, per second-level category (the heart of every answer).
FIXES: dict[str, str] = {
    "道路设施": "已安排养护队对破损路面进行修补，并清理了路边排水沟",
    "违章建筑": "执法人员已到现场核查，责令当事人限期自行拆除，逾期将依法强制拆除",
    "污水管网": "已安排专业队伍疏通管道、更换破损井盖，并纳入今年管网改造计划",
    "路灯": "已更换损坏灯具并检修线路，现已恢复照明",
    "村容村貌": "已组织人员清理堆放物，并将该处纳入日常保洁巡查",
    "公交线路": "已与公交公司对接，将在下一次线路调整时统筹增加班次和站点",
    "道路拥堵": "已在高峰时段安排交警和志愿者疏导，并施划了临时停车位",
    "停车管理": "已联系相关车主规范停放，并在周边增设停车泊位",
    "农村公路": "已增设警示标志和波形护栏，拓宽工程已列入明年农村公路提升计划",
    "水污染": "执法人员已现场采样检测，对排污单位立案调查并责令整改，河道已组织清淤",
    "大气污染": "已对相关经营者开展检查，责令整改废气、油烟处理设施，并加强夜间巡查",
    "噪声扰民": "已与相关方沟通，明确了活动和施工时段，并将持续跟踪",
    "垃圾处理": "已安排保洁公司清运积存垃圾，并增加该点位的清运频次",
    "社保医保": "经查询系统，缴费记录已补录，相关待遇不受影响，并安排人员上门帮助认证",
    "欠薪讨薪": "劳动保障监察已约谈用工方，拖欠工资已于近日结清",
    "就业创业": "已将有关需求纳入培训计划，近期将组织专场招聘会和创业培训",
    "养老服务": "已协调居家养老服务中心恢复助餐服务，并增加上门服务频次",
    "入学": "已向教育部门反映，将按照就近入学原则研究调整，并精简了证明材料",
    "校车": "已协调客运公司增开接送班次，并对校车安全进行了专项检查",
    "文体设施": "已安排维修损坏器材，新建场地已纳入明年文体设施建设计划",
    "校园周边": "已组织联合执法整治校门口流动摊贩，重新施划斑马线并设置护学岗",
    "基层医疗": "卫生院已安排医生定期到村坐诊，并增加了常用药品种类",
    "公共卫生": "已组织开展集中消杀和健康服务进村（社区）活动",
    "医保报销": "已安排专人上门指导办理，相关业务已下放到卫生院窗口",
    "集贸市场": "已对市场进行检修，并安排市场管理人员规范经营秩序",
    "旅游服务": "已将相关配套设施纳入乡村旅游提升项目，近期开工建设",
    "农田水利": "水利员已到现场查看并组织抢修，现已恢复灌溉",
    "土地流转": "已召集流转双方协调，租金已按约定支付，并推广使用规范合同文本",
    "农业补贴": "经核查，补贴资金已审核完毕，将于本月内发放到户",
    "乡村振兴": "已帮助对接电商平台和农产品展销活动，并纳入乡村振兴项目库统筹推进",
    "低保救助": "已按程序入户调查，符合条件的将按规定纳入救助，评议结果已公示",
    "残疾人服务": "已清理通道障碍物，并协助家属办理相关补贴申领",
    "殡葬管理": "已联合村两委开展殡葬领域整治，公墓扩建已列入规划",
    "社会治安": "派出所已加强夜间巡逻，在相关路段加装了监控，并开展反诈宣传",
    "消防安全": "已组织清理楼道杂物、检修消防设施，并督促整改到位",
    "交通安全": "已设置减速带和警示标志，并加强路面巡查",
    "供水": "供水公司已排查管网并调整加压设备，水压已恢复正常，今后停水将提前公告",
    "供电": "供电所已完成线路检修并扶正电杆，该片区已纳入增容改造计划",
    "燃气": "燃气公司已上门检测处理，管网延伸工程已列入计划",
    "网络通信": "已督促运营商派员检修，增设基站已纳入建设计划",
    "物业管理": "已约谈物业公司限期整改，维保单位已对电梯进行全面检修",
    "老旧小区改造": "已将该小区纳入老旧小区改造项目库，明年实施",
    "保障性住房": "经核实，申请材料已审核通过，将于近期通知办理",
    "食品安全": "市场监管所已对相关经营户进行检查，问题商品已依法处理",
    "消费维权": "已组织调解，商家同意退换或退款，并对经营者进行了约谈",
    "办事效率": "便民服务中心已增设窗口，推行预约办理和帮办代办服务",
    "证照办理": "已协调相关部门加快办理，并提供一次性告知清单",
    "其他": "已转相关部门研究落实，处理情况将在村务公开栏公布",
}
UNIT_ANSWERS = [
    "您好！您反映的{v}{topic}问题已收悉。经现场核实，{fix}。感谢您对我们工作的支持。",
    "经我单位工作人员实地查看，情况基本属实。{fix}。如仍有问题，请及时与{v}代表联络站联系。",
    "收到交办后，我单位高度重视，安排专人到{v}现场处理：{fix}。后续将加强日常巡查。",
    "{fix}。此事我们将持续跟踪，欢迎继续监督。",
]
REOPEN_ANSWER = "针对您的再次反映，我单位再次到{v}现场核查：{fix}，并安排专人回访，确保问题彻底解决。"
DIRECT_ANSWERS = [
    "您好，您反映的问题{t}已协调处理：{fix}。如有其他问题，可到{v}代表联络站反映。",
    "经{t}核实，{fix}。感谢您的反映。",
    "已请{v}负责人和驻村（社区）干部现场处理，{fix}。",
]
REFER_ANSWER = (
    "您反映的{topic}问题涉及政策调整和资金安排，单靠{t}难以解决。已转交{rep}，代表将在调研后形成代表建议，"
    "向县有关部门提出。办理结果将另行告知。"
)
REFERRAL_RESULT = (
    "您反映的{topic}问题，{rep}已据此提出代表建议，由县有关部门办理。办理单位答复："
    "已将相关工作列入明年计划，先行在{t}试点。感谢您的反映。"
)
ESCALATED_ANSWER = "{body}对该件进行了督办，召集承办单位和{v}负责人到现场协调：{fix}。{body}将跟踪落实到位。"
PROGRESS_NOTES = [
    "已安排人员到现场查看，正在制定处理方案。",
    "已联系施工单位，材料到位后即开始施工。",
    "已与{v}对接，近期安排处理。",
    "已列入本周工作计划，正在协调相关方。",
]
RETURN_REASONS = [
    "经核实，该事项不属于本单位职责范围，请重新分派。",
    "该问题涉及县级部门的审批权限，本单位无权处理，建议交县级主管部门办理。",
    "该事项需由专业部门处理，建议改派相关部门。",
]
UNSATISFIED = [
    "问题没有真正解决，还是老样子。",
    "答复只说会研究，没有具体时间。",
    "来看过一次就没有下文了。",
    "处理不彻底，过几天又出现了。",
    "答复内容和实际情况不符。",
]
UNSATISFIED_AGAIN = ["还是没有解决，希望领导重视。", "第二次反映了，依然没有效果。", "重新处理后问题依旧。"]
SATISFIED_COMMENTS = ["处理很及时，谢谢！", "感谢代表和工作人员。", "问题解决了，点赞！"]
BASIC_COMMENTS = ["基本解决了，希望长效管理。", "处理了，但时间有点长。", "有改善，还要继续跟踪。"]
QR_OPENERS = ["", "", "", "您好，", "代表您好，", "我是{v}{who}，"]
DUP_OPENERS = ["", "我也反映一下，", "同样的问题：", "再反映一次，"]
CLOSERS = ["", "", "", "希望尽快解决。", "请有关部门重视。", "麻烦帮忙协调一下，谢谢！", "盼复。"]
APPOINTMENT_TOPICS = [
    "想和代表谈谈{v}的路灯和道路问题",
    "孩子入学的事想当面咨询",
    "反映{v}土地流转租金的问题",
    "想了解养老服务补贴政策",
    "小区物业收费的事想找代表说说",
    "想提一个关于公交班次的建议",
]


# ------------------------------------------------------------------ the plan


@dataclass
class Step:
    at: dt.datetime
    action: str  # submit, route, accept, progress, return, reroute, unit_answer, direct, refer,
    # merge, follow, rate, escalated_answer
    text: str = ""
    value: str = ""  # a rating
    closes: bool = False  # a rating that closes the case
    target: int = -1  # merge / follow: the plan index of the first case
    name: str = ""  # follow: who
    phone: str = ""
    by: str = ""  # an answer given under a system scope: who answered (filled in while executing)


@dataclass
class Plan:
    index: int
    region: Region
    township: Region
    category: Category
    source: str
    station: Station | None
    deputy: Deputy | None
    text: str
    citizen_name: str
    citizen_phone: str
    anonymous: bool
    core: str = ""  # the problem itself, shared by near-duplicates
    steps: list[Step] = field(default_factory=list)
    # filled in while executing
    opinion: Opinion | None = None
    done: list[Step] = field(default_factory=list)
    units: list[HandlingUnit] = field(default_factory=list)
    follower_phone: str = ""


@dataclass
class County:
    region: Region
    townships: dict[str, Region]  # path -> township
    villages: list[Region]
    village_weights: list[float]
    others: dict[str, list[Region]]  # township path -> its villages
    station_of: dict[int, Station]  # village id -> the station serving it
    homes: dict[str, Station]  # township path -> 代表之家
    members: dict[int, list[Deputy]]  # station id -> deputies now in it
    categories: dict[tuple[str, str], Category]  # (first level, second level) -> category


@dataclass
class OpinionSummary:
    counties: int = 0
    opinions: int = 0
    slots: int = 0
    appointments: int = 0
    seconds: float = 0.0
    by_state: Counter[str] = field(default_factory=Counter)
    by_outcome: Counter[str] = field(default_factory=Counter)
    by_source: Counter[str] = field(default_factory=Counter)


def _weighted(rng: random.Random, options: Sequence[tuple[str, float]]) -> str:
    return rng.choices([o[0] for o in options], weights=[o[1] for o in options])[0]


class _Deck:
    """Draws in exact proportions: a shuffled deck of ``size`` cards, dealt and reshuffled, so that
    even a small county gets its share of rare outcomes (a few unrated, a few returned)."""

    def __init__(self, rng: random.Random, options: Sequence[tuple[str, float]], size: int = 1000) -> None:
        total = sum(w for _, w in options)
        self.cards = [name for name, w in options for _ in range(round(w * size / total))]
        self.rng = rng
        self.hand: list[str] = []

    def draw(self) -> str:
        if not self.hand:
            self.hand = self.cards[:]
            self.rng.shuffle(self.hand)
        return self.hand.pop()


def _local(day: dt.date, hours: float) -> dt.datetime:
    minutes = int(hours * 60)
    naive = dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60))
    return timezone.make_aware(naive)


def _workday_on_or_after(day: dt.date) -> dt.date:
    while not is_workday(day):
        day += dt.timedelta(days=1)
    return day


def _later_work(after: dt.datetime, workdays: int, rng: random.Random) -> dt.datetime:
    """A moment in office hours ``workdays`` working days after ``after`` (0: later the same
    working day when there is time left, else the next working day)."""
    hours = rng.uniform(8.5, 17.5)
    local = timezone.localtime(after)
    day = local.date()
    if workdays == 0:
        now_hours = local.hour + local.minute / 60
        if is_workday(day) and now_hours < 16:
            return _local(day, max(hours, now_hours + 0.5))
        workdays = 1
    return _local(add_workdays(day, workdays).date, hours)


def _after(previous: dt.datetime, moment: dt.datetime) -> dt.datetime:
    """Keep one case's steps strictly in order."""
    return moment if moment > previous else previous + dt.timedelta(minutes=7)


def _load_county(county: Region) -> County:
    villages = list(Region.objects.filter(path__startswith=county.path, level=RegionLevel.VILLAGE).order_by("path"))
    townships = {r.path: r for r in Region.objects.filter(path__startswith=county.path, level=RegionLevel.TOWNSHIP)}
    others: dict[str, list[Region]] = {}
    for v in villages:
        others.setdefault(v.path[:9], []).append(v)
    stations = list(
        Station.objects.filter(region__path__startswith=county.path, is_active=True)
        .select_related("region")
        .prefetch_related("served_regions")
        .order_by("code")
    )
    station_of: dict[int, Station] = {}
    homes: dict[str, Station] = {}
    for s in stations:
        if s.kind == StationKind.HOME:
            homes[s.region.path] = s
        for r in s.served_regions.all():
            station_of.setdefault(r.pk, s)
    members: dict[int, list[Deputy]] = {}
    for m in (
        StationMembership.objects.filter(station__in=stations, end_date__isnull=True)
        .select_related("deputy")
        .order_by("station_id", "deputy_id")
    ):
        if m.deputy.is_active:
            members.setdefault(m.station_id, []).append(m.deputy)
    categories = {
        (c.parent.name if c.parent else "", c.name): c
        for c in Category.objects.filter(parent__isnull=False).select_related("parent").order_by("code")
    }
    weights = [2.0 if v.kind == RegionKind.COMMUNITY else 1.0 for v in villages]
    return County(county, townships, villages, weights, others, station_of, homes, members, categories)


# ------------------------------------------------------------------ planning (pure: rng + registry)


class _Planner:
    def __init__(self, county: County, rng: random.Random, now: dt.datetime) -> None:
        self.c = county
        self.rng = rng
        self.names = NameMaker(rng)
        self.now = now
        self.by_first: dict[str, list[tuple[str, str, str]]] = {}
        for first, second, where, template in TEMPLATES:
            self.by_first.setdefault(first, []).append((second, where, template))
        self.sources = _Deck(rng, SOURCE_WEIGHTS, 100)
        self.paths = _Deck(rng, PATH_WEIGHTS)
        self.first_ratings = _Deck(rng, RATING_WEIGHTS[0], 100)

    # -- who, where, what

    def _fill(self, template: str, village: Region) -> str:
        rng = self.rng
        township = self.c.townships[village.path[:9]]
        community = village.kind == RegionKind.COMMUNITY
        neighbours = [v for v in self.c.others[village.path[:9]] if v.pk != village.pk] or [village]
        return template.format(
            v=village.name,
            p=rng.choice(COMMUNITY_PLACES if community else VILLAGE_PLACES),
            o=rng.choice(neighbours).name,
            t=township.name,
            n=rng.choice(NUMBERS),
            d=rng.choice(DURATIONS),
            m=rng.choice(MONEY),
        )

    def _issue(self, village: Region) -> tuple[Category, str]:
        rng = self.rng
        community = village.kind == RegionKind.COMMUNITY
        names = list(CATEGORY_WEIGHTS)
        weights = [CATEGORY_WEIGHTS[n][1 if community else 0] for n in names]
        first = rng.choices(names, weights=weights)[0]
        fitting = [t for t in self.by_first[first] if t[1] in ("", "c" if community else "v")]
        second, _where, template = rng.choice(fitting)
        return self.c.categories[(first, second)], self._fill(template, village)

    def _dressed(self, core: str, village: Region, source: str, *, dup: bool) -> str:
        rng = self.rng
        who = "居民" if village.kind == RegionKind.COMMUNITY else "村民"
        opener = rng.choice(DUP_OPENERS if dup else QR_OPENERS).format(v=village.name, who=who)
        closer = rng.choice(CLOSERS)
        if closer.startswith("希望") and "希望" in core:
            closer = ""
        if source not in (Source.QR, Source.WEB):
            return f"{core}{closer}"  # entered by a liaison or deputy: the note says who and where
        if opener.startswith("我是") and core.startswith(village.name):
            core = core[len(village.name) :]  # "我是春晖社区居民，7幢楼下……"
        return f"{opener}{core}{closer}"

    def _intake(self, village: Region, source: str) -> tuple[Station | None, Deputy | None, str]:
        """Where the opinion came in, and the note an offline entry carries."""
        rng = self.rng
        township_path = village.path[:9]
        station = self.c.station_of.get(village.pk) or self.c.homes.get(township_path)
        deputies = self.c.members.get(station.pk, []) if station else []
        deputy = rng.choice(deputies) if deputies else None
        if source == Source.WEB:
            return None, None, ""
        if source == Source.QR:
            # 联络站码 or 代表码 (a deputy's code opens a form with the deputy, no station).
            if deputy is not None and rng.random() < 0.4:
                return None, deputy, ""
            return station, None, ""
        if source == Source.RECEPTION:
            if rng.random() < 0.3:
                station = self.c.homes.get(township_path, station)
            assert station is not None
            return station, deputy, f"（接待日当面反映，{station.name}记录）"
        if source == Source.VISIT:
            who = f"{deputy.name}代表" if deputy else "代表"
            return station, deputy, f"（{who}走访{village.name}时记录）"
        if source == Source.BOX:
            return station, None, "（意见箱来信）"
        event = rng.choice(["“代表夜聊”", "“代表赶大集”"])
        return station, deputy, f"（{event}活动中收集）"

    def _citizen(self, source: str) -> tuple[str, str, bool]:
        share = ANONYMOUS_SHARE.get(source, 0.10)
        anonymous = self.rng.random() < share
        name, phone = self.names.person(), self.names.mobile()
        return ("", "", True) if anonymous else (name, phone, False)

    def _created(self, days_ago: float, source: str) -> dt.datetime:
        rng = self.rng
        day = timezone.localtime(self.now - dt.timedelta(days=days_ago)).date()
        if source in (Source.RECEPTION, Source.VISIT, Source.BOX):
            day = _workday_on_or_after(day)
            hours = rng.choice([rng.uniform(9, 11.5), rng.uniform(14, 16.8)])
            if source == Source.BOX:
                hours = rng.uniform(9.5, 10.5)  # the box is opened in the morning
        elif source == Source.EVENT:
            hours = rng.choice([rng.uniform(19, 21), rng.uniform(7.5, 10)])  # 夜聊 / 赶大集
        else:
            hours = rng.uniform(7, 22.5)
        moment = _local(day, hours)
        if moment >= self.now:
            moment = self.now - dt.timedelta(hours=rng.uniform(1, 3))
        return moment

    def plan(self, index: int, *, days_ago: float, village: Region | None = None, like: Plan | None = None) -> Plan:
        rng = self.rng
        source = self.sources.draw()
        if like is not None:
            village, category, core = like.region, like.category, like.core
        else:
            village = village or rng.choices(self.c.villages, weights=self.c.village_weights)[0]
            category, core = self._issue(village)
        text = self._dressed(core, village, source, dup=like is not None)
        station, deputy, note = self._intake(village, source)
        if note:
            text = f"{text}\n{note}"
        name, phone, anonymous = self._citizen(source)
        plan = Plan(
            index=index,
            region=village,
            township=self.c.townships[village.path[:9]],
            category=category,
            source=source,
            station=station,
            deputy=deputy,
            text=text,
            citizen_name=name,
            citizen_phone=phone,
            anonymous=anonymous,
            core=core,
        )
        plan.steps.append(Step(self._created(days_ago, source), "submit"))
        return plan

    # -- what happens to it

    def _answer_text(self, plan: Plan, frames: Sequence[str]) -> str:
        topic = "" if plan.category.name == "其他" else plan.category.name
        return self.rng.choice(frames).format(
            v=plan.region.name, t=plan.township.name, topic=topic, fix=FIXES[plan.category.name]
        )

    def handle(self, plan: Plan, path: str, *, answer_not_before: dt.datetime | None = None) -> None:
        rng = self.rng
        steps = plan.steps
        created = steps[0].at

        def add(step: Step) -> Step:
            step.at = _after(steps[-1].at, step.at)
            steps.append(step)
            return step

        triage = _later_work(created, rng.choice([0, 0, 1, 1, 1, 2]), rng)
        if path == "stuck":
            kind = _weighted(rng, [("submitted", 2), ("routed", 3), ("in_progress", 5)])
            if kind == "submitted":
                return
            add(Step(triage, "route"))
            if kind == "in_progress":
                add(Step(_later_work(triage, rng.choice([0, 1]), rng), "accept"))
                if rng.random() < 0.5:
                    note = rng.choice(PROGRESS_NOTES).format(v=plan.region.name)
                    add(Step(_later_work(steps[-1].at, rng.randint(1, 3), rng), "progress", text=note))
            return
        if path == "direct":
            answer = add(Step(triage, "direct", text=self._answer_text(plan, DIRECT_ANSWERS)))
            self._ratings(plan, answer.at, unit=False)
            return
        if path == "refer":
            rep = f"{plan.deputy.name}等人大代表" if plan.deputy else "本选区人大代表"
            topic = "" if plan.category.name == "其他" else plan.category.name
            text = REFER_ANSWER.format(topic=topic, t=plan.township.name, rep=rep)
            referred = add(Step(_later_work(created, rng.randint(1, 3), rng), "refer", text=text))
            # The suggestion's answer comes months later: told to the citizen, who rates that.
            result = REFERRAL_RESULT.format(topic=topic, t=plan.township.name, rep=rep)
            answer = add(Step(_later_work(referred.at, rng.randint(30, 70), rng), "referral_answer", text=result))
            self._ratings(plan, answer.at, unit=False)
            return
        route = add(Step(triage, "route"))
        if path == "return":
            back = add(Step(_later_work(route.at, rng.choice([0, 1]), rng), "return", text=rng.choice(RETURN_REASONS)))
            route = add(Step(_later_work(back.at, rng.choice([0, 1]), rng), "reroute"))
        k = rng.choices(range(1, 10), weights=[7, 11, 14, 15, 13, 11, 9, 6, 4])[0]
        if rng.random() < 0.85:
            add(Step(_later_work(route.at, rng.choice([0, 0, 1]), rng), "accept"))
            if rng.random() < 0.25 and k > 2:
                note = rng.choice(PROGRESS_NOTES).format(v=plan.region.name)
                add(Step(_later_work(route.at, rng.randint(1, k - 1), rng), "progress", text=note))
        answer_at = _later_work(route.at, k, rng)
        while answer_not_before is not None and answer_at <= answer_not_before and k < 9:
            k += 1
            answer_at = _later_work(route.at, k, rng)
        if answer_not_before is not None and answer_at <= answer_not_before:
            answer_at = answer_not_before + dt.timedelta(hours=2)
        answer = add(Step(answer_at, "unit_answer", text=self._answer_text(plan, UNIT_ANSWERS)))
        self._ratings(plan, answer.at, unit=True)

    def _rating_at(self, answered: dt.datetime) -> dt.datetime:
        rng = self.rng
        bucket = rng.random()
        hours = (
            rng.uniform(0.3, 24) if bucket < 0.6 else rng.uniform(24, 120) if bucket < 0.9 else rng.uniform(120, 300)
        )
        return answered + dt.timedelta(hours=hours)

    def _ratings(self, plan: Plan, answered: dt.datetime, *, unit: bool) -> None:
        rng = self.rng
        steps = plan.steps
        for round_no in range(3):
            value = self.first_ratings.draw() if round_no == 0 else _weighted(rng, RATING_WEIGHTS[round_no])
            if not value:
                return  # never rated: the sweep closes it as 未评价
            rated = self._rating_at(answered)
            last_round = round_no == 2
            if value == Rating.UNSATISFIED:
                comment = rng.choice(UNSATISFIED if round_no == 0 else UNSATISFIED_AGAIN)
            elif value == Rating.SATISFIED:
                comment = rng.choice(SATISFIED_COMMENTS) if rng.random() < 0.2 else ""
            else:
                comment = rng.choice(BASIC_COMMENTS) if rng.random() < 0.4 else ""
            closes = value != Rating.UNSATISFIED or last_round
            steps.append(Step(_after(steps[-1].at, rated), "rate", text=comment, value=value, closes=closes))
            if closes:
                return
            if round_no == 0:
                # Reopened: the same unit answers again; without a unit the township does.
                if unit:
                    moment, action = _later_work(rated, rng.randint(2, 8), rng), "unit_answer"
                    text = REOPEN_ANSWER.format(v=plan.region.name, fix=FIXES[plan.category.name])
                else:
                    moment, action = _later_work(rated, rng.randint(1, 4), rng), "direct"
                    text = self._answer_text(plan, DIRECT_ANSWERS)
            else:
                body = "人大工委" if plan.township.kind == RegionKind.STREET else "人大主席团"
                moment, action = _later_work(rated, rng.randint(3, 8), rng), "escalated_answer"
                text = ESCALATED_ANSWER.format(
                    body=f"{plan.township.name}{body}", v=plan.region.name, fix=FIXES[plan.category.name]
                )
            steps.append(Step(_after(steps[-1].at, moment), action, text=text))
            answered = steps[-1].at

    # -- a county's year

    def desk(self, plans: list[Plan], n: int) -> None:
        """What the demo town's office (the first town by code: the ``township`` login's) finds on
        its desk today: fresh cases waiting for 分办, and cases in hand at a unit whose 答复期限
        falls in the next working days."""
        rng = self.rng
        towns = [r for r in self.c.townships.values() if r.kind in (RegionKind.TOWN, RegionKind.TOWNSHIP)]
        if not towns or n < 1:
            return
        villages = self.c.others.get(min(towns, key=lambda r: r.path).path) or []
        if not villages:
            return
        fresh = (n + 1) // 2
        for i in range(n):
            if i < fresh:  # 待分办: in the last two days
                plans.append(self.plan(len(plans), days_ago=rng.uniform(0.05, 2.0), village=rng.choice(villages)))
                continue
            # 即将到期: routed and accepted about ten working days ago, no answer yet
            plan = self.plan(len(plans), days_ago=rng.uniform(13.5, 15.5), village=rng.choice(villages))
            routed = plan.steps[0].at
            route = Step(_later_work(routed, 0, rng), "route")
            route.at = _after(routed, route.at)
            plan.steps.append(route)
            accept = Step(_later_work(route.at, 0, rng), "accept")
            accept.at = _after(route.at, accept.at)
            plan.steps.append(accept)
            plans.append(plan)

    def year(self, per_county: int) -> list[Plan]:
        rng = self.rng
        plans: list[Plan] = []
        on_desk = min(9, per_county // 20)
        while len(plans) < per_county - on_desk:
            path = self.paths.draw()
            # Spread evenly over the year (stratified), the stuck ones a few weeks back.
            spread = 365 * (1 - (len(plans) + rng.random()) / per_county)
            days_ago = rng.uniform(12, 80) if path == "stuck" else spread
            first = self.plan(len(plans), days_ago=days_ago)
            plans.append(first)
            room = per_county - len(plans)
            if path == "stuck" or room < 1 or rng.random() >= CLUSTER_SHARE:
                self.handle(first, path)
                continue
            # The same problem reported by 1–3 more people within a few days.
            recent = days_ago < RECENT_DAYS
            not_before = first.steps[0].at
            for _ in range(min(room, rng.choice([1, 1, 2, 3]))):
                lag = rng.uniform(2, 96) / 24
                dup = self.plan(len(plans), days_ago=max(days_ago - lag, 0.01), like=first)
                if dup.steps[0].at <= first.steps[0].at:  # moved to office hours before the first report
                    dup.steps[0].at = min(
                        first.steps[0].at + dt.timedelta(days=lag), self.now - dt.timedelta(minutes=5)
                    )
                dup.steps[0].at = _after(first.steps[0].at, dup.steps[0].at)
                plans.append(dup)
                if recent:
                    continue  # waits for triage: duplicate detection will offer the first case
                if rng.random() < MERGE_SHARE:
                    merge = Step(_later_work(dup.steps[0].at, rng.choice([0, 1]), rng), "merge", target=first.index)
                    dup.steps.append(merge)
                    not_before = max(not_before, merge.at)
                else:
                    self.handle(dup, _weighted(rng, PATH_WEIGHTS[:-1]))  # not stuck: someone will handle it
            follow: Step | None = None
            if not recent and rng.random() < FOLLOW_SHARE:
                follow_at = first.steps[0].at + dt.timedelta(hours=rng.uniform(20, 70))
                follow = Step(follow_at, "follow", name=self.names.person(), phone=self.names.mobile())
                not_before = max(not_before, follow.at)
            self.handle(first, "route", answer_not_before=not_before)
            if follow is not None:  # 附议 while the case is open, before its answer
                first.steps.append(follow)
                first.steps[1:] = sorted(first.steps[1:], key=lambda s: s.at)
        self.desk(plans, per_county - len(plans))
        return plans


def plan_county(county: Region, *, seed: int, index: int, per_county: int, now: dt.datetime) -> list[Plan]:
    """The year of one county, without touching the database (tests compare it with the result)."""
    rng = random.Random(seed * 7919 + index)
    return _Planner(_load_county(county), rng, now).year(per_county)


# ------------------------------------------------------------------ execution (through the services)

ANSWER_ACTIONS = {"unit_answer", "direct", "referral_answer", "escalated_answer"}


class _Actors:
    """Who acts: the demo users where they hold the role, otherwise a labelled system scope."""

    def __init__(self) -> None:
        self.triage: dict[str, Scope] = {}
        self.unit: dict[int, Scope] = {}
        self.entry: dict[tuple[int, int], Scope] = {}
        self.user_township: dict[str, Scope] = {}
        self.user_unit: dict[int, Scope] = {}
        self.user_station: dict[int, Scope] = {}
        self.user_deputy: dict[int, Scope] = {}
        for a in RoleAssignment.objects.filter(
            role__in=[Role.TOWNSHIP_STAFF, Role.UNIT_CLERK, Role.STATION_STAFF, Role.DEPUTY]
        ).select_related("user", "region"):
            scope = scope_for_user(a.user)
            if a.role == Role.TOWNSHIP_STAFF and a.region is not None and a.region.level == RegionLevel.TOWNSHIP:
                self.user_township.setdefault(a.region.path, scope)
            elif a.role == Role.UNIT_CLERK and a.unit_id:
                self.user_unit.setdefault(a.unit_id, scope)
            elif a.role == Role.STATION_STAFF and a.station_id:
                self.user_station.setdefault(a.station_id, scope)
            elif a.role == Role.DEPUTY and a.deputy_id:
                self.user_deputy.setdefault(a.deputy_id, scope)

    def township(self, township: Region) -> Scope:
        if township.path in self.user_township:
            return self.user_township[township.path]
        if township.path not in self.triage:
            body = "人大工委" if township.kind == RegionKind.STREET else "人大主席团"
            self.triage[township.path] = Scope(
                user_id=None,
                system_label=f"{township.name}{body}（演示）",
                roots=[township.path],
                perms=set(ROLE_PERMS[Role.TOWNSHIP_STAFF]),
                roles=[Role.TOWNSHIP_STAFF],
            )
        return self.triage[township.path]

    def handler(self, unit: HandlingUnit) -> Scope:
        if unit.pk in self.user_unit:
            return self.user_unit[unit.pk]
        if unit.pk not in self.unit:
            self.unit[unit.pk] = Scope(
                user_id=None,
                system_label=f"{unit.name}（演示）",
                roots=[unit.region.path],
                perms=set(ROLE_PERMS[Role.UNIT_CLERK]),
                roles=[Role.UNIT_CLERK],
                unit_ids={unit.pk},
            )
        return self.unit[unit.pk]

    def entering(self, plan: Plan) -> Scope:
        station, deputy = plan.station, plan.deputy
        if plan.source in (Source.VISIT, Source.EVENT) and deputy is not None:
            if deputy.pk in self.user_deputy:
                return self.user_deputy[deputy.pk]
            key, label = (0, deputy.pk), f"{deputy.name}代表（演示）"
        else:
            assert station is not None
            if station.pk in self.user_station:
                return self.user_station[station.pk]
            key, label = (station.pk, 0), f"{station.name}联络员（演示）"
        if key not in self.entry:
            self.entry[key] = Scope(
                user_id=None,
                system_label=label,
                roots=[plan.township.path],
                perms=set(ROLE_PERMS[Role.STATION_STAFF]),
                roles=[Role.STATION_STAFF],
                station_ids={station.pk} if station else set(),
                deputy_ids={deputy.pk} if deputy else set(),
            )
        return self.entry[key]


def _other_unit(plan: Plan, returned: HandlingUnit) -> HandlingUnit:
    """Where a returned case goes next: another unit for the category, township first."""
    top = plan.category.parent_id or plan.category.pk
    paths = [plan.township.path, plan.township.path[:6]]
    unit = (
        HandlingUnit.objects.filter(region__path__in=paths, is_active=True, categories__id=top)
        .exclude(pk=returned.pk)
        .select_related("region")
        .order_by("-region__path", "code")
        .first()
    )
    if unit is None:
        unit = (
            HandlingUnit.objects.filter(region__path=plan.township.path, name__endswith="党政办")
            .select_related("region")
            .first()
        )
    assert unit is not None, f"{plan.township.name} 没有可改派的承办单位"
    return unit


def _run(step: Step, plan: Plan, plans: list[Plan], actors: _Actors) -> None:
    if step.action == "submit":
        data = intake.OpinionInput(
            text=plan.text,
            region=plan.region,
            category=plan.category,
            source=plan.source,
            station=plan.station,
            deputy=plan.deputy,
            citizen_name=plan.citizen_name,
            citizen_phone=plan.citizen_phone,
            anonymous=plan.anonymous,
            consent=not plan.anonymous,
        )
        citizen = plan.source in (Source.QR, Source.WEB)
        plan.opinion, _ = intake.opinion_submit(data=data, scope=None if citizen else actors.entering(plan))
        return
    opinion = plan.opinion
    assert opinion is not None
    township = actors.township(plan.township)
    if step.action in ANSWER_ACTIONS:
        acting = actors.handler(plan.units[-1]) if step.action == "unit_answer" else township
        step.by = acting.system_label if acting.user is None else ""
    if step.action in ("route", "reroute"):
        if step.action == "route":
            unit = suggested_unit(opinion=Opinion(region=plan.region, category=plan.category))
            assert unit is not None, f"{plan.category.name} 在 {plan.township.name} 没有承办单位"
        else:
            unit = _other_unit(plan, plan.units[-1])
        plan.units.append(unit)
        services.opinion_route(scope=township, opinion=opinion, unit=unit)
    elif step.action == "accept":
        services.opinion_accept(scope=actors.handler(plan.units[-1]), opinion=opinion)
    elif step.action == "progress":
        services.opinion_progress(scope=actors.handler(plan.units[-1]), opinion=opinion, note=step.text)
    elif step.action == "return":
        services.opinion_return(scope=actors.handler(plan.units[-1]), opinion=opinion, reason=step.text)
    elif step.action == "unit_answer":
        services.opinion_unit_answer(scope=actors.handler(plan.units[-1]), opinion=opinion, text=step.text)
    elif step.action == "direct":
        services.opinion_answer_directly(scope=township, opinion=opinion, text=step.text)
    elif step.action == "refer":
        deputies = [d for d, _ in selectors.referral_candidates(opinion=opinion)[:2]]
        services.opinion_refer(scope=township, opinion=opinion, deputies=deputies, text=step.text)
    elif step.action == "referral_answer":
        services.opinion_referral_answer(scope=township, opinion=opinion, text=step.text)
    elif step.action == "escalated_answer":
        services.opinion_escalated_answer(scope=township, opinion=opinion, text=step.text)
    elif step.action == "rate":
        services.opinion_rate(opinion=opinion, value=step.value, comment=step.text)
    elif step.action == "merge":
        into = plans[step.target].opinion
        assert into is not None
        reason = f"与回执码 {into.receipt_code} 反映的是同一问题，合并办理"
        services.opinion_merge(scope=township, opinion=opinion, into=into, reason=reason)
    elif step.action == "follow":
        services.opinion_follow(opinion=opinion, phone=step.phone, name=step.name)
        plan.follower_phone = step.phone
    else:  # pragma: no cover - a typo in the planner
        raise ValueError(step.action)


def _execute(plans: list[Plan], actors: _Actors, now: dt.datetime, batch: int = 400) -> None:
    """Run every planned step up to ``now`` in time order (so the audit chain reads in order)."""
    events = sorted(
        ((step.at, plan.index, n, step) for plan in plans for n, step in enumerate(plan.steps) if step.at <= now),
        key=lambda e: (e[0], e[1], e[2]),
    )
    for start in range(0, len(events), batch):
        with transaction.atomic():
            for _at, index, _n, step in events[start : start + batch]:
                plan = plans[index]
                _run(step, plan, plans, actors)
                plan.done.append(step)
    # Citizens' submissions left waiting (no later step locked them): their after-work now,
    # as the worker would, so every timeline starts with its submission.
    intake.opinions_intake_process()


def _backdate(plans: list[Plan]) -> None:
    """Move the records to the simulated dates (audit events stay as recorded: see the module doc)."""
    triage_days = int(rule("opinion.triage_workdays"))
    reply_days = int(rule("opinion.reply_workdays"))
    route_days = int(rule("opinion.route_workdays"))
    ids = [p.opinion.pk for p in plans if p.opinion is not None]
    answers: dict[int, list[int]] = {}
    for pk, opinion_id in Answer.objects.filter(opinion_id__in=ids).order_by("id").values_list("id", "opinion_id"):
        answers.setdefault(opinion_id, []).append(pk)
    ratings: dict[int, list[int]] = {}
    for pk, opinion_id in (
        RatingRecord.objects.filter(opinion_id__in=ids).order_by("round", "id").values_list("id", "opinion_id")
    ):
        ratings.setdefault(opinion_id, []).append(pk)
    with transaction.atomic():
        for plan in plans:
            if plan.opinion is None:
                continue
            pk = plan.opinion.pk
            deadline: Deadline | None = None
            triage: Deadline | None = None
            answered_at: dt.datetime | None = None
            closed_at: dt.datetime | None = None
            answer_times: list[tuple[dt.datetime, str]] = []
            rating_times: list[dt.datetime] = []
            for step in plan.done:
                day = timezone.localtime(step.at).date()
                if step.action == "submit":
                    triage, deadline = add_workdays(day, triage_days), add_workdays(day, reply_days)
                elif step.action in ("route", "reroute"):
                    # as opinion_route: at least the unit's period, never earlier than the promise
                    unit_due = add_workdays(day, route_days)
                    deadline = unit_due if deadline is None or unit_due.date > deadline.date else deadline
                elif step.action == "return":
                    triage = add_workdays(day, triage_days)
                elif step.action in ANSWER_ACTIONS:
                    deadline, answered_at = None, step.at
                    answer_times.append((step.at, step.by))
                elif step.action == "refer":  # its notice is a 阶段性答复 (an answer row, not rated)
                    deadline = None
                    answer_times.append((step.at, step.by))
                elif step.action == "merge":
                    deadline = None
                    Follower.objects.filter(from_opinion_id=pk).update(created_at=step.at, updated_at=step.at)
                elif step.action == "follow":
                    Follower.objects.filter(opinion_id=pk, phone=step.phone).update(
                        created_at=step.at,
                        updated_at=step.at,
                        confirmed_at=step.at,  # as if they typed the code
                    )
                elif step.action == "rate":
                    rating_times.append(step.at)
                    if step.closes:
                        closed_at = step.at
                    else:
                        deadline = add_workdays(day, route_days)
            fields: dict[str, object] = {
                "created_at": plan.done[0].at,
                "updated_at": plan.done[-1].at,
                "answered_at": answered_at,
                "closed_at": closed_at,
                "deadline": deadline.date if deadline else None,
                "triage_due": triage.date if triage else None,
            }
            if deadline is not None:
                fields["deadline_official"] = deadline.official
            Opinion.objects.filter(pk=pk).update(**fields)
            for answer_pk, (moment, by) in zip(answers.get(pk, []), answer_times, strict=False):
                # Under a system scope the service labels the answer "系统"; name who answered.
                label = {"answered_by_label": by} if by else {}
                Answer.objects.filter(pk=answer_pk).update(created_at=moment, updated_at=moment, **label)
            for rating_pk, moment in zip(ratings.get(pk, []), rating_times, strict=False):
                RatingRecord.objects.filter(pk=rating_pk).update(created_at=moment, updated_at=moment)


def _sweep_and_date_unrated(started: dt.datetime) -> None:
    """The nightly sweep, run once now: marks overdue cases, closes answers nobody rated within the
    rating period (dated the night the period ran out)."""
    while True:
        report = services.opinions_sweep()
        if report.overdue < 5000 and report.closed_unrated < 5000:
            break
    days = int(rule("opinion.rating_days"))
    closed = Opinion.objects.filter(outcome=Outcome.UNRATED, closed_at__gte=started, answered_at__isnull=False)
    with transaction.atomic():
        for pk, answered_at in closed.values_list("pk", "answered_at"):
            assert answered_at is not None
            night = timezone.localtime(answered_at + dt.timedelta(days=days + 1)).date()
            moment = _local(night, 2.0)
            Opinion.objects.filter(pk=pk).update(closed_at=moment, updated_at=moment)


# ------------------------------------------------------------------ reception slots and appointments

WEEKDAYS = "一二三四五六日"
HOURS_RE = re.compile(r"(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})")


def _slot_times(station: Station, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The first reception after tomorrow, on the station's weekday and hours."""
    text = station.opening_hours
    weekday = 3  # Thursday unless the station says
    match = re.search(r"每周([一二三四五六日])", text)
    if match:
        weekday = WEEKDAYS.index(match.group(1))
    hours = HOURS_RE.search(text)
    start_h, start_m, end_h, end_m = (int(g) for g in hours.groups()) if hours else (9, 0, 11, 30)
    day = timezone.localtime(now).date() + dt.timedelta(days=2)
    while day.weekday() != weekday:
        day += dt.timedelta(days=1)
    return _local(day, start_h + start_m / 60), _local(day, end_h + end_m / 60)


def _build_slots(county: County, actors: _Actors, rng: random.Random, now: dt.datetime) -> tuple[int, int]:
    """Weekly reception slots for the coming four weeks at ~20 stations, a few booked."""
    stations = sorted({s.pk: s for s in county.station_of.values()}.values(), key=lambda s: s.code)
    homes = sorted(county.homes.values(), key=lambda s: s.code)
    chosen = {s.pk: s for s in homes}
    for s in stations:
        if s.pk in actors.user_station:
            chosen[s.pk] = s
    for s in rng.sample(stations, min(len(stations), max(0, 20 - len(chosen)))):
        chosen[s.pk] = s
    names = NameMaker(rng)
    slots = appointments = 0
    with transaction.atomic():
        for station in sorted(chosen.values(), key=lambda s: s.code):
            starts, ends = _slot_times(station, now)
            members = county.members.get(station.pk, [])
            deputy = rng.choice(members) if members else None
            township = county.townships[station.region.path[:9]]
            created = appointment_services.slot_create(
                scope=actors.township(township),
                station=station,
                starts_at=starts,
                ends_at=ends,
                capacity=rng.randint(3, 6),
                deputy=deputy,
                repeat_weeks=4,
            )
            slots += len(created)
            village = rng.choice(county.others[township.path])
            for slot in created[:2]:
                for _ in range(rng.choice([0, 0, 1, 1, 2])):
                    topic = rng.choice(APPOINTMENT_TOPICS).format(v=village.name)
                    appointment_services.appointment_book(
                        slot=slot, name=names.person(), phone=names.mobile(), topic=topic
                    )
                    appointments += 1
    return slots, appointments


# ------------------------------------------------------------------ entry point


@contextmanager
def quiet_notifications() -> Iterator[None]:
    """Messages of the generated cases go to the local-memory outbox (cleared afterwards), are
    delivered in-process even where a worker is configured, and nothing goes to the governance
    platform: thousands of demo SMS must not reach a console, a gateway or a real platform."""
    from renda.celery import app
    from renda.notify import backends

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    trace_log = logging.getLogger("celery.app.trace")  # "Task notify.deliver[…] succeeded" per message
    level = trace_log.level
    trace_log.setLevel(logging.WARNING)
    try:
        with override_settings(NOTIFY_BACKEND=NOTIFY_BACKEND, GOVERNANCE_WEBHOOK_URL=""):
            yield
    finally:
        app.conf.task_always_eager = eager
        trace_log.setLevel(level)
        backends.outbox.clear()


def build_opinions(*, scope: Scope, seed: int = 2026, per_county: int = DEFAULT_PER_COUNTY) -> OpinionSummary:
    """One year of opinions for every county that has none yet, plus reception slots.

    ``scope`` must be unrestricted (the system scope of the demo command). Call it outside a
    transaction: it commits in batches, so that notifications are delivered (to the outbox) while
    the notification backend is overridden.
    """
    if not scope.unrestricted:
        raise ValueError("演示意见须以系统范围生成")
    clock = time.monotonic()
    summary = OpinionSummary()
    started = timezone.now()
    now = started
    counties = list(Region.objects.filter(level=RegionLevel.COUNTY).order_by("code"))
    all_ids: list[int] = []
    with quiet_notifications():
        actors = _Actors()
        for index, county in enumerate(counties):
            if Opinion.objects.filter(region__path__startswith=county.path).exists():
                continue
            data = _load_county(county)
            if not data.villages:
                continue
            plans = _Planner(data, random.Random(seed * 7919 + index), now).year(per_county)
            _execute(plans, actors, now)
            _backdate(plans)
            all_ids += [p.opinion.pk for p in plans if p.opinion is not None]
            slots, appointments = _build_slots(data, actors, random.Random(seed * 31 + index), now)
            summary.counties += 1
            summary.slots += slots
            summary.appointments += appointments
        _sweep_and_date_unrated(started)
        # Every generated case lies in this id range (one writer); counting by range keeps the
        # queries short at any scale.
        generated = Opinion.objects.filter(pk__gte=min(all_ids, default=0), pk__lte=max(all_ids, default=-1))
        # The demo users' inboxes: messages about finished cases count as read.
        open_ids = [str(pk) for pk in generated.filter(state__in=OPEN_STATES).values_list("pk", flat=True)]
        Notification.objects.filter(
            channel=Channel.IN_APP, created_at__gte=started, read_at__isnull=True, target_type="opinions.opinion"
        ).exclude(target_id__in=open_ids).update(read_at=timezone.now())
    summary.opinions = len(all_ids)
    summary.by_state = Counter(generated.values_list("state", flat=True))
    summary.by_outcome = Counter(generated.exclude(outcome="").values_list("outcome", flat=True))
    summary.by_source = Counter(generated.values_list("source", flat=True))
    summary.seconds = time.monotonic() - clock
    return summary
