"""规则参数: an office changes a rule on the page and every reader sees it at once."""

from __future__ import annotations

import pytest

from renda.audit.models import AuditEvent
from renda.core.models import RuleSetting
from renda.core.rules import DEFAULTS, REGIONAL, rule, rule_in
from renda.regions.models import Region, RegionLevel

pytestmark = pytest.mark.django_db
URL = "/config/rules/"


def _post(client, key: str, **data: object):  # type: ignore[no-untyped-def]
    return client.post(f"{URL}{key}/", data)


def _rule_events() -> int:
    return AuditEvent.objects.filter(action__startswith="rule.").count()


def test_the_page_lists_every_rule_with_its_default_and_source(client_as):
    page = client_as("admin").get(URL).content.decode()
    for key, default in DEFAULTS.items():
        assert f"<code>{key}</code>" in page
        assert default.source in page
    assert page.count('class="card rule"') == len(DEFAULTS)
    assert "修改全部区划的取值" in page


def test_an_administrator_changes_a_rule_and_it_applies_at_once(client_as, user_named):
    client = client_as("admin")
    assert rule("opinion.rating_days") == 15
    response = _post(client, "opinion.rating_days", op="set", value="20", note="县人大常委会 2026 年第 5 号通知")
    assert response.status_code == 302
    assert rule("opinion.rating_days") == 20  # no wait for the cache
    event = AuditEvent.objects.filter(action="rule.create").latest("seq")
    assert event.target_label == "opinion.rating_days" and event.reason == "县人大常委会 2026 年第 5 号通知"
    assert event.after["value"] == 20 and event.actor == user_named("admin")
    page = client.get(URL).content.decode()
    assert "县人大常委会 2026 年第 5 号通知" in page and "<strong>20</strong>" in page

    assert _post(client, "opinion.rating_days", op="set", value="25", note="第 6 号通知").status_code == 302
    assert rule("opinion.rating_days") == 25
    update = AuditEvent.objects.filter(action="rule.update").latest("seq")
    assert update.before == {"value": 20} and update.after["value"] == 25

    assert _post(client, "opinion.rating_days", op="revert", note="通知废止").status_code == 302
    assert rule("opinion.rating_days") == 15
    assert not RuleSetting.objects.filter(key="opinion.rating_days").exists()
    assert AuditEvent.objects.filter(action="rule.delete").latest("seq").before["value"] == 25


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("session.quorum_fraction", "3/4"),
        ("session.quorum_fraction", "0.8"),
        ("project.satisfaction_threshold", "0.75"),
        ("project.min_candidate_ratio", "1.25"),
        ("session.majority", "present_half"),
        ("suggestion.answer_classes", "ABC"),
        ("opinion.answer_review", "true"),
        ("session.signin_days_before", "0"),
    ],
)
def test_values_of_each_type_are_stored_as_the_rule_reads_them(client_as, key, value):
    assert _post(client_as("admin"), key, op="set", value=value, note="测试").status_code == 302
    expected = {"true": True}.get(value, value)
    if isinstance(DEFAULTS[key].value, int) and not isinstance(DEFAULTS[key].value, bool):
        expected = int(value)
    assert rule(key) == expected


@pytest.mark.parametrize(
    ("key", "value", "note", "message"),
    [
        ("opinion.rating_days", "", "依据", "请填写新的取值"),
        ("opinion.rating_days", "十五", "依据", "取值应为整数"),
        ("opinion.rating_days", "15.5", "依据", "取值应为整数"),
        ("opinion.rating_days", "1" * 30, "依据", "取值过长"),
        ("opinion.rating_days", "0", "依据", "取值应在 1 到 90 之间"),
        ("opinion.rating_days", "-3", "依据", "取值应在 1 到 90 之间"),
        ("opinion.rating_days", "91", "依据", "取值应在 1 到 90 之间"),
        ("opinion.answer_review", "maybe", "依据", "请选择开启或关闭"),
        ("session.majority", "most", "依据", "取值应为以下之一"),
        ("session.quorum_fraction", "3/2", "依据", "取值应在 1/2 到 1 之间"),
        ("session.quorum_fraction", "1/3", "依据", "取值应在 1/2 到 1 之间"),
        ("session.quorum_fraction", "2/0", "依据", "分母不能为 0"),
        ("session.quorum_fraction", "abc", "依据", "取值应为分数或小数"),
        ("project.satisfaction_threshold", "2/3", "依据", "取值应为小数"),
        ("opinion.rating_days", "20", "", "修改依据不能为空"),
        ("opinion.rating_days", "20", "   ", "修改依据不能为空"),
        ("opinion.rating_days", "20", "文" * 201, "修改依据不能超过 200 个字"),
    ],
)
def test_a_bad_value_or_note_is_refused_in_chinese_and_nothing_changes(client_as, key, value, note, message):
    events = _rule_events()
    response = _post(client_as("admin"), key, op="set", value=value, note=note)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'role="alert"' in response.content.decode()
    assert not RuleSetting.objects.filter(key=key).exists()
    assert _rule_events() == events
    assert rule(key) == DEFAULTS[key].value


def test_a_replayed_change_or_revert_is_refused_and_audited_once(client_as):
    client = client_as("admin")
    data = {"op": "set", "value": "20", "note": "第 5 号通知"}
    assert _post(client, "opinion.rating_days", **data).status_code == 302
    events = _rule_events()
    again = _post(client, "opinion.rating_days", **data)
    assert again.status_code == 409 and "未作修改" in again.content.decode()
    assert _rule_events() == events
    assert _post(client, "opinion.rating_days", op="revert", note="废止").status_code == 302
    replay = _post(client, "opinion.rating_days", op="revert", note="废止")
    assert replay.status_code == 409 and "已在使用默认值" in replay.content.decode()
    assert _rule_events() == events + 1


def test_an_unknown_rule_is_not_found(client_as):
    assert _post(client_as("admin"), "no.such.rule", op="set", value="1", note="x").status_code == 404


def test_township_staff_switch_on_answer_review_for_their_own_township_only(client_as, scope_of):
    client = client_as("township")
    town = Region.objects.get(path=scope_of("township").roots[0])
    village = Region.objects.filter(path__startswith=town.path, level=RegionLevel.VILLAGE).first()
    other = Region.objects.filter(level=RegionLevel.TOWNSHIP).exclude(pk=town.pk).first()
    assert village is not None and other is not None
    page = client.get(URL).content.decode()
    assert town.name in page and "修改全部区划的取值" not in page  # their own region is chosen for them
    response = _post(client, "opinion.answer_review", op="set", value="true", note="镇人大主席团决定", region=town.pk)
    assert response.status_code == 302
    assert rule_in("opinion.answer_review", village.path) is True
    assert rule_in("opinion.answer_review", other.path) is False
    assert rule("opinion.answer_review") is False
    event = AuditEvent.objects.filter(action="rule.create").latest("seq")
    assert event.region_path == town.path and event.reason == "镇人大主席团决定"
    assert "镇人大主席团决定" in client.get(URL).content.decode()
    # the county sees the township's value among the regions' values
    assert f"{town.name}：开启" in client_as("county").get(URL).content.decode()


def test_township_staff_cannot_reach_another_region_or_the_whole_installation(client_as, scope_of):
    client = client_as("township")
    town = Region.objects.get(path=scope_of("township").roots[0])
    other = Region.objects.filter(level=RegionLevel.TOWNSHIP).exclude(pk=town.pk).first()
    assert other is not None
    events = _rule_events()
    assert _post(client, "opinion.answer_review", op="set", value="true", note="x", region=other.pk).status_code == 404
    assert client.get(f"{URL}?region={other.pk}").status_code == 404
    assert _post(client, "opinion.rating_days", op="set", value="20", note="x").status_code == 403
    no_region = _post(client, "opinion.answer_review", op="set", value="true", note="x")
    assert no_region.status_code == 400 and "请选择要设定取值的区划" in no_region.content.decode()
    national = _post(client, "opinion.rating_days", op="set", value="20", note="x", region=town.pk)
    assert national.status_code == 400 and "全辖统一" in national.content.decode()
    assert _rule_events() == events and not RuleSetting.objects.exists()


def test_every_regional_rule_is_read_per_region_somewhere():
    """A rule offered per region must be read with rule_in, or a region's value would do nothing."""
    from pathlib import Path

    source = "\n".join(p.read_text(encoding="utf-8") for p in Path("renda").rglob("*.py") if "tests" not in p.parts)
    for key in REGIONAL:
        assert f'rule_in("{key}"' in source, key
    # and the other way round: a rule read per region can be set per region on the page
    import re

    assert set(re.findall(r'rule_in\("([a-z_.]+)"', source)) <= REGIONAL


def test_the_rules_page_reads_a_fixed_number_of_queries(client_as, scope_of, django_assert_max_num_queries):
    """Every rule is on the page, so its queries must not grow with them (nor with regions' values)."""
    client = client_as("county")
    town = Region.objects.get(path=scope_of("township").roots[0])
    client_as("township").post(
        f"{URL}opinion.answer_review/", {"op": "set", "value": "true", "note": "决定", "region": town.pk}
    )
    client.get(URL)  # warm the rule cache as a running site has it
    with django_assert_max_num_queries(15):
        assert client.get(f"{URL}?region={town.pk}").status_code == 200


def test_django_admin_holds_a_value_to_the_same_check(client_as):
    client = client_as("admin")
    bad = client.post("/admin/core/rulesetting/add/", {"key": "opinion.rating_days", "value": '"abc"', "note": "x"})
    assert bad.status_code == 200 and "取值应为整数" in bad.content.decode()
    assert not RuleSetting.objects.exists()
    good = client.post("/admin/core/rulesetting/add/", {"key": "opinion.rating_days", "value": "20", "note": "x"})
    assert good.status_code == 302
    assert rule("opinion.rating_days") == 20


def test_every_rule_has_its_group_on_the_page():
    """A rule whose key no group names would be listed under 其他, away from its scene."""
    from renda.site.config.selectors import GROUPS

    assert [k for k in DEFAULTS if not any(k.startswith(prefix) for prefix, _ in GROUPS)] == []
