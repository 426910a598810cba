"""Configurable rules: statutory and local figures with their defaults and sources.

A rule change is data (a RuleSetting row, edited on the 规则参数 page), never a code change.
``rule("opinion.rating_days")`` answers the override if there is one, else the default.
``parse_rule_value`` checks a value typed on that page against the default's type and the range
below; ``REGIONAL`` names the rules a region may set for itself (read with ``rule_in``).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from django.core.cache import cache

from renda.core.errors import ValidationFailed


@dataclass(frozen=True)
class RuleDefault:
    value: Any
    label: str
    source: str


DEFAULTS: dict[str, RuleDefault] = {
    # 民意处理
    "opinion.triage_workdays": RuleDefault(
        2, "分办期限：乡镇/街道收到意见后分办或直接答复（工作日）", "本地工作规范（民生小事限时办结）"
    ),
    "opinion.reply_workdays": RuleDefault(
        12,
        "答复期限：自收到意见之日起答复群众（工作日，回执上告知群众）",
        "本地工作规范（分办 2 个工作日 + 承办单位办理 10 个工作日）",
    ),
    "opinion.route_workdays": RuleDefault(
        10,
        "承办单位办理期限（工作日，自交办之日起；晚于答复期限时答复期限顺延并告知群众）",
        "本地工作规范（民生小事限时办结）",
    ),
    "opinion.answer_review": RuleDefault(
        False,
        "答复审核：承办单位的答复经乡镇/街道审核后才告知群众（可按乡镇/街道开启）",
        "本地工作规范",
    ),
    "opinion.direct_answer_workdays": RuleDefault(5, "群众不满意后乡镇重新答复期限（工作日）", "本地工作规范"),
    "opinion.accept_workdays": RuleDefault(2, "承办单位受理或退回期限（工作日）", "本地工作规范"),
    "opinion.due_soon_workdays": RuleDefault(2, "到期前提醒（工作日）", "本地工作规范"),
    "opinion.rating_days": RuleDefault(15, "群众评价期限（自然日），逾期按未评价办结", "本地工作规范"),
    "opinion.max_text": RuleDefault(2000, "意见正文最多字数", "系统设置"),
    "opinion.max_photos": RuleDefault(4, "每件意见最多照片数", "系统设置"),
    "opinion.rate_per_ip_hour": RuleDefault(20, "同一 IP 每小时最多提交意见数", "系统设置（防滥用）"),
    "opinion.rate_per_phone_day": RuleDefault(5, "同一手机号每天最多提交意见数", "系统设置（防滥用）"),
    "appointment.rate_per_phone_day": RuleDefault(3, "同一手机号每天最多预约次数", "系统设置（防滥用）"),
    "opinion.contact_retention_years": RuleDefault(
        3,
        "办结后保留群众姓名、电话的年限（期满匿名化）",
        "个人信息保护法第十九条（保存期限为实现处理目的所必要的最短时间）",
    ),
    # 人代会与代表
    "session.min_per_year": RuleDefault(1, "乡镇人代会每年至少举行次数（一般两次）", "地方组织法（2022）第十四条"),
    "session.quorum_fraction": RuleDefault("2/3", "开会法定人数（出席代表占全体代表比例）", "地方组织法第十四条"),
    "session.majority": RuleDefault("all_half", "表决通过：全体代表的过半数", "地方组织法第二十五条"),
    "session.signin_days_before": RuleDefault(
        1, "签到开放：会议开始前几天起可以签到（0 为开会当天）", "本地会务规范（报到一般在会前一天）"
    ),
    "session.expected_per_year": RuleDefault(
        2, "乡镇人代会每年一般举行次数（少于此数提醒）", "地方组织法（2022）第十四条"
    ),
    "vote.paper_check": RuleDefault(
        True,
        "纸质选票计票结果须由另一名工作人员复核录入，逐项、逐名候选人核对一致后才计入（可按乡镇/街道关闭）",
        "选举法（投票结束后，监票、计票人员将投票人数和票数加以核对，作出记录，并由监票人签字）；本地会务规范",
    ),
    "bill.min_joint_township": RuleDefault(5, "乡镇人代会议案联名代表数", "地方组织法第二十二条"),
    "bill.min_joint_county": RuleDefault(10, "县级以上人代会议案联名代表数", "地方组织法第二十二条"),
    # 代表建议
    "suggestion.answer_months": RuleDefault(3, "建议自交办之日起答复期限（月）", "代表法（2025）第五十一条"),
    "suggestion.answer_months_hard": RuleDefault(
        6, "涉及面广、处理难度大的建议答复期限（月）", "代表法（2025）第五十一条"
    ),
    "suggestion.assign_workdays": RuleDefault(7, "建议交办期限（工作日）", "上海市代表建议办理规定"),
    "suggestion.object_workdays": RuleDefault(7, "承办单位对交办有异议的提出期限（工作日）", "上海市代表建议办理规定"),
    "suggestion.co_unit_months": RuleDefault(1, "协办单位提出意见期限（月）", "上海市代表建议办理规定"),
    "suggestion.reanswer_months": RuleDefault(1, "不满意后重新答复期限（月）", "地方规定（如上海；重庆为 2 个月）"),
    "suggestion.answer_classes": RuleDefault(
        "ABCD",
        "答复分类（A 已解决或基本解决 / B 正在解决或列入计划 / C 需以后解决 / D 留作参考）",
        "全国通行做法；部分省份仅 A/B/C",
    ),
    "suggestion.remind_days": RuleDefault(10, "建议交办、答复期限届满前提醒（自然日）", "本地工作规范"),
    "suggestion.rating_days": RuleDefault(30, "代表评价期限（自然日），逾期按未评价办结", "本地工作规范"),
    "deputy.absence_limit": RuleDefault(2, "未经批准两次不出席本级人代会，代表资格终止", "代表法第六十二条"),
    "group.min_members": RuleDefault(3, "代表小组至少代表数", "地方组织法第四十三条"),
    # 民生实事
    "project.min_extra_candidates": RuleDefault(
        1, "候选项目至少多于应选项目数（差额数）", "浙江 2022 年票决制规定及各地实践：候选项目数应多于应选数（差额）"
    ),
    "project.min_candidate_ratio": RuleDefault(
        "1", "候选项目数不少于应选数的倍数（1 即不另设比例）", "无法定比例；实践中如 20 选 10、15 选 12、8 选 7"
    ),
    "project.satisfaction_threshold": RuleDefault(
        "0.6", "验单测评满意率（满意+基本满意）低于此值即整改", "本地做法（参照站所评议满意度测评）"
    ),
    "project.rating_mode": RuleDefault(
        "grade", "验单测评方式：grade 满意/基本满意/不满意，score 百分制评分", "本地做法"
    ),
    "project.score_threshold": RuleDefault(60, "评分测评平均分低于此值即整改（百分制）", "本地做法（60 分以下为差）"),
    "project.rectify_months": RuleDefault(3, "整改期限（月）", "本地做法（限期整改、回头看）"),
    "project.max_text": RuleDefault(2000, "项目建议正文最多字数", "系统设置"),
    "project.max_photos": RuleDefault(6, "每次进展报告最多照片数", "系统设置"),
    "project.rate_per_ip_hour": RuleDefault(10, "同一 IP 每小时最多提交项目建议数", "系统设置（防滥用）"),
    "project.rate_per_phone_day": RuleDefault(3, "同一手机号每天最多提交项目建议数", "系统设置（防滥用）"),
    "project.next_year_from_month": RuleDefault(
        7, "自该月起群众点单征集下一年度项目", "本地做法（下半年征集、次年初人代会票决）"
    ),
}

# What a value may be when an office changes it. Whole numbers and fractions: (lowest, highest),
# both allowed; ranges are what a working office could mean, so a typo (10 months for 1) is
# caught, not a policy choice refused.
BOUNDS: dict[str, tuple[int, int] | tuple[Fraction, Fraction]] = {
    "opinion.triage_workdays": (1, 30),
    "opinion.reply_workdays": (1, 90),
    "opinion.route_workdays": (1, 90),
    "opinion.direct_answer_workdays": (1, 30),
    "opinion.accept_workdays": (1, 30),
    "opinion.due_soon_workdays": (0, 30),
    "opinion.rating_days": (1, 90),
    "opinion.max_text": (100, 10000),
    "opinion.max_photos": (0, 20),
    "opinion.rate_per_ip_hour": (1, 1000),
    "opinion.rate_per_phone_day": (1, 100),
    "appointment.rate_per_phone_day": (1, 100),
    "opinion.contact_retention_years": (1, 30),
    "session.min_per_year": (1, 12),
    "session.quorum_fraction": (Fraction(1, 2), Fraction(1)),
    "session.signin_days_before": (0, 30),
    "session.expected_per_year": (1, 12),
    "bill.min_joint_township": (1, 100),
    "bill.min_joint_county": (1, 100),
    "suggestion.answer_months": (1, 12),
    "suggestion.answer_months_hard": (1, 12),
    "suggestion.assign_workdays": (1, 60),
    "suggestion.object_workdays": (1, 60),
    "suggestion.co_unit_months": (1, 12),
    "suggestion.reanswer_months": (1, 12),
    "suggestion.remind_days": (0, 90),
    "suggestion.rating_days": (1, 180),
    "deputy.absence_limit": (1, 10),
    "group.min_members": (1, 50),
    "project.min_extra_candidates": (1, 50),
    "project.min_candidate_ratio": (Fraction(1), Fraction(10)),
    "project.satisfaction_threshold": (Fraction(0), Fraction(1)),
    "project.score_threshold": (0, 100),
    "project.rectify_months": (1, 24),
    "project.max_text": (100, 10000),
    "project.max_photos": (0, 20),
    "project.rate_per_ip_hour": (1, 1000),
    "project.rate_per_phone_day": (1, 100),
    "project.next_year_from_month": (1, 12),
}
# A word from a list: (value, what the page shows).
CHOICES: dict[str, tuple[tuple[str, str], ...]] = {
    "session.majority": (
        ("all_half", "全体代表的过半数"),
        ("present_half", "出席代表的过半数"),
        ("cast_half", "有效票的过半数"),
    ),
    "project.rating_mode": (("grade", "满意/基本满意/不满意"), ("score", "百分制评分")),
    "suggestion.answer_classes": (("ABCD", "A/B/C/D 四类"), ("ABC", "A/B/C 三类")),
}
# Fractions read with Decimal() (a decimal such as 0.6, never 2/3).
DECIMALS = frozenset({"project.satisfaction_threshold"})
# Rules a city, county or township may set for its own area (a local working practice that the
# code reads with rule_in). Statutory figures, rate limits and system limits stay one for the
# whole installation: only its administrator changes them.
REGIONAL = frozenset({"opinion.answer_review", "vote.paper_check"})

FRACTION_RE = re.compile(r"^[0-9]{1,6}(\.[0-9]{1,6})?$|^[0-9]{1,6}/[0-9]{1,6}$")


def rule_kind(key: str) -> str:
    """bool, int, choice, decimal or fraction: what the 规则参数 page asks for."""
    value = DEFAULTS[key].value
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if key in CHOICES:
        return "choice"
    return "decimal" if key in DECIMALS else "fraction"


def rule_display(key: str, value: Any) -> str:
    """A value as the page shows it: 是/否, a choice's label, or the figure."""
    kind = rule_kind(key) if key in DEFAULTS else ""
    if kind == "bool":
        return "开启" if value else "关闭"
    if kind == "choice":
        return dict(CHOICES[key]).get(str(value), str(value))
    return str(value)


def parse_rule_value(key: str, raw: object) -> Any:
    """The value typed on the page as the rule stores it, or ValidationFailed in Chinese."""
    if key not in DEFAULTS:
        raise ValidationFailed("没有这个规则参数", field="key")
    kind = rule_kind(key)
    text = "" if raw is None else str(raw).strip()
    if not text:
        raise ValidationFailed("请填写新的取值", field="value")
    if len(text) > 20:
        raise ValidationFailed("取值过长（不超过 20 个字符）", field="value")
    if kind == "bool":
        if text not in ("true", "false"):
            raise ValidationFailed("请选择开启或关闭", field="value")
        return text == "true"
    if kind == "choice":
        if text not in dict(CHOICES[key]):
            allowed = "、".join(label for _, label in CHOICES[key])
            raise ValidationFailed(f"取值应为以下之一：{allowed}", field="value")
        return text
    low, high = BOUNDS[key]
    if kind == "int":
        return _checked_int(text, int(low), int(high))
    if not FRACTION_RE.match(text) or (kind == "decimal" and "/" in text):
        example = "如 0.6" if kind == "decimal" else "如 2/3 或 0.5"
        raise ValidationFailed(f"取值应为{'小数' if kind == 'decimal' else '分数或小数'}（{example}）", field="value")
    try:
        number = Fraction(text)
    except ZeroDivisionError:
        raise ValidationFailed("分母不能为 0", field="value") from None
    if not low <= number <= high:
        raise ValidationFailed(f"取值应在 {low} 到 {high} 之间", field="value")
    if kind == "decimal":
        try:
            return str(Decimal(text).normalize())
        except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
            raise ValidationFailed("取值应为小数（如 0.6）", field="value") from None
    return text


def _checked_int(text: str, low: int, high: int) -> int:
    if not re.fullmatch(r"-?[0-9]{1,9}", text):
        raise ValidationFailed(f"取值应为整数，而不是“{text}”", field="value")
    number = int(text)
    if not low <= number <= high:
        raise ValidationFailed(f"取值应在 {low} 到 {high} 之间", field="value")
    return number


CACHE_PREFIX = "rule:"
LOCAL_TTL = 10.0  # seconds a process keeps a value before asking the shared cache again
_local: dict[str, tuple[float, Any]] = {}


def rule(key: str) -> Any:
    if key not in DEFAULTS:
        raise KeyError(f"未定义的规则参数：{key}")
    hit = _local.get(key)
    now = time.monotonic()
    if hit is not None and now - hit[0] < LOCAL_TTL:
        return hit[1]
    cached = cache.get(CACHE_PREFIX + key)
    if cached is not None:
        _local[key] = (now, cached[0])
        return cached[0]
    from renda.core.models import RuleSetting

    row = RuleSetting.objects.filter(key=key, region__isnull=True).only("value").first()
    value = row.value if row is not None else DEFAULTS[key].value
    cache.set(CACHE_PREFIX + key, (value,), 60)
    _local[key] = (now, value)
    return value


def rule_in(key: str, region_path: str) -> Any:
    """The rule as it applies in a region: the override of the nearest enclosing region that has
    one (a township's own, else its county's, ...), else the installation's value."""
    prefixes = [region_path[:n] for n in (12, 9, 6, 4, 2) if len(region_path) >= n]
    local_key = f"{key}@{region_path[:12]}"
    hit = _local.get(local_key)
    now = time.monotonic()
    if hit is not None and now - hit[0] < LOCAL_TTL:
        return hit[1]
    # Regional values are shared under the key's version, which a change bumps (they cannot be
    # listed to delete them one by one).
    shared_key = f"{CACHE_PREFIX}{local_key}@{cache.get(CACHE_PREFIX + 'v:' + key) or 0}"
    cached = cache.get(shared_key)
    if cached is None:
        from renda.core.models import RuleSetting

        rows = dict(RuleSetting.objects.filter(key=key, region__path__in=prefixes).values_list("region__path", "value"))
        # (value,) of the nearest override, () for none: the installation's value then
        cached = next(((rows[p],) for p in prefixes if p in rows), ())
        cache.set(shared_key, cached, 60)
    value = cached[0] if cached else rule(key)
    _local[local_key] = (now, value)
    return value


def rule_changed(key: str) -> None:
    """Call after an override changes (other processes pick it up within LOCAL_TTL + 60 s)."""
    cache.delete(CACHE_PREFIX + key)
    _local.pop(key, None)
    for name in [k for k in _local if k.startswith(key + "@")]:
        _local.pop(name, None)
    version = CACHE_PREFIX + "v:" + key
    try:
        cache.incr(version)
    except ValueError:  # never changed before (or evicted): any new number will do
        cache.set(version, int(time.time()), None)
