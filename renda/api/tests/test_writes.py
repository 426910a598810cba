"""Writes: register and edit deputies, 进站; refusals write nothing; Idempotency-Key."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from renda.api.tests.conftest import ApiClient
from renda.audit.models import AuditEvent
from renda.org.models import Deputy, Mandate, Station, StationMembership
from renda.regions.models import Region
from renda.regions.paths import subtree_q

pytestmark = pytest.mark.django_db


def _new_deputy(region: Region, **overrides: Any) -> dict[str, Any]:
    return {
        "name": "测试代表",
        "region": region.code,
        "gender": "F",
        "birth_year": 1980,
        "phone": "13800001234",
        "mandates": [{"level": 5, "term": 19, "constituency": "第1选区"}],
        "reason": "补选",
        **overrides,
    }


def _counts() -> tuple[int, int, int, int]:
    return (
        Deputy.objects.count(),
        Mandate.objects.count(),
        StationMembership.objects.count(),
        AuditEvent.objects.count(),
    )


def test_township_registers_a_deputy(api_as: Callable[[str], ApiClient], home_township: Region) -> None:
    response = api_as("township").post("/deputies", _new_deputy(home_township))

    assert response.status_code == 201, response.content.decode()
    body = response.json()
    deputy = Deputy.objects.get(public_id=body["public_id"])
    assert deputy.name == "测试代表" and deputy.name_initials == "csdb"
    assert body["mandates"] == [
        {
            "level": 5,
            "level_label": "乡镇级",
            "term": 19,
            "constituency": "第1选区",
            "body": body["mandates"][0]["body"],
        }
    ]
    assert body["mandates"][0]["body"] is not None  # linked to the township congress
    assert body["phone"] == "13800001234"  # staff hold Perm.PERSONAL_DATA
    assert AuditEvent.objects.filter(action="deputy.create").exists()


@pytest.mark.parametrize(
    ("overrides", "status", "field", "words"),
    [
        ({"name": "   "}, 400, "name", "姓名不能为空"),
        ({"name": "长" * 10_000}, 422, "name", "不能超过 50 个字符"),
        ({"mandates": [{"level": "县级", "term": 18}]}, 422, "mandates.0.level", "应为整数"),
        ({"mandates": [{"level": 9, "term": 18}]}, 400, "mandates", "代表层级无效"),
        ({"mandates": []}, 400, "mandates", "至少要有一个层级"),
        ({"birth_year": "一九八零"}, 422, "birth_year", "应为整数"),
        ({"birth_year": 2020}, 400, "birth_year", "出生年份应在"),
        ({"phone": "12345"}, 400, "phone", "手机格式不正确"),
        ({"kind": "mayor"}, 422, "kind", "应为以下之一"),
        ({"nickname": "小王"}, 422, "nickname", "不是可接受的字段"),
    ],
)
def test_bad_deputy_input_gets_chinese_error_and_writes_nothing(
    api_as: Callable[[str], ApiClient],
    home_township: Region,
    overrides: dict[str, Any],
    status: int,
    field: str,
    words: str,
) -> None:
    before = _counts()

    response = api_as("township").post("/deputies", _new_deputy(home_township, **overrides))

    assert response.status_code == status, response.content.decode()
    assert response.json()["field"] == field
    assert words in response.json()["detail"]
    assert _counts() == before


def test_region_of_another_township_is_refused(api_as: Callable[[str], ApiClient], other_township: Region) -> None:
    before = _counts()

    response = api_as("township").post("/deputies", _new_deputy(other_township))

    assert response.status_code == 404
    assert response.json()["field"] == "region"
    assert "管辖范围" in response.json()["detail"]
    assert _counts() == before


def test_unparseable_body_is_refused_in_chinese(api_as: Callable[[str], ApiClient]) -> None:
    client = api_as("township")
    before = _counts()

    response = client.client.post("/api/v1/deputies", "{name: 1", content_type="application/json")

    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]
    assert _counts() == before


@pytest.mark.parametrize("username", ["deputy", "liaison", "clerk"])
def test_users_without_org_manage_cannot_write(
    api_as: Callable[[str], ApiClient], home_township: Region, username: str
) -> None:
    before = _counts()
    deputy = Deputy.objects.filter(subtree_q(home_township.path, "region__path")).first()
    station = Station.objects.filter(region=home_township).first()
    assert deputy is not None and station is not None
    client = api_as(username)

    created = client.post("/deputies", _new_deputy(home_township))
    patched = client.patch(f"/deputies/{deputy.public_id}", {"occupation": "改"})
    joined = client.post(f"/stations/{station.public_id}/members", {"deputy": deputy.public_id})

    for response in (created, patched, joined):
        assert response.status_code == 403
        assert response.json()["detail"] == "您没有权限执行此操作"
    assert _counts() == before


# ---------------------------------------------------------------- Idempotency-Key


def test_replay_with_same_key_returns_first_result_and_creates_nothing(
    api_as: Callable[[str], ApiClient], home_township: Region
) -> None:
    client = api_as("township")
    key = uuid.uuid4().hex
    before = Deputy.objects.count()

    first = client.post("/deputies", _new_deputy(home_township), **{"Idempotency-Key": key})
    again = client.post("/deputies", _new_deputy(home_township), **{"Idempotency-Key": key})

    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert Deputy.objects.count() == before + 1


def test_same_key_with_different_body_is_409(api_as: Callable[[str], ApiClient], home_township: Region) -> None:
    client = api_as("township")
    key = uuid.uuid4().hex
    client.post("/deputies", _new_deputy(home_township), **{"Idempotency-Key": key})
    before = _counts()

    response = client.post("/deputies", _new_deputy(home_township, name="另一位"), **{"Idempotency-Key": key})

    assert response.status_code == 409
    assert "幂等键" in response.json()["detail"]
    assert _counts() == before


def test_keys_are_per_user(api_as: Callable[[str], ApiClient], home_township: Region) -> None:
    key = uuid.uuid4().hex
    before = Deputy.objects.count()

    first = api_as("township").post("/deputies", _new_deputy(home_township), **{"Idempotency-Key": key})
    second = api_as("county").post("/deputies", _new_deputy(home_township), **{"Idempotency-Key": key})

    assert first.status_code == second.status_code == 201
    assert first.json()["public_id"] != second.json()["public_id"]
    assert Deputy.objects.count() == before + 2


def test_a_failed_request_does_not_burn_its_key(api_as: Callable[[str], ApiClient], home_township: Region) -> None:
    client = api_as("township")
    key = uuid.uuid4().hex

    failed = client.post("/deputies", _new_deputy(home_township, name=" "), **{"Idempotency-Key": key})
    fixed = client.post("/deputies", _new_deputy(home_township), **{"Idempotency-Key": key})

    assert failed.status_code == 400
    assert fixed.status_code == 201


def test_overlong_key_is_refused(api_as: Callable[[str], ApiClient], home_township: Region) -> None:
    before = _counts()

    response = api_as("township").post("/deputies", _new_deputy(home_township), **{"Idempotency-Key": "k" * 300})

    assert response.status_code == 400
    assert response.json()["field"] == "Idempotency-Key"
    assert _counts() == before


# ---------------------------------------------------------------- PATCH


def test_patch_changes_only_what_was_sent(api_as: Callable[[str], ApiClient], home_township: Region) -> None:
    deputy = (
        Deputy.objects.filter(subtree_q(home_township.path, "region__path"), kind="deputy")
        .exclude(phone="")
        .order_by("id")
        .first()
    )
    assert deputy is not None
    levels = sorted(deputy.mandates.values_list("level", "term"))

    response = api_as("township").patch(
        f"/deputies/{deputy.public_id}", {"occupation": "白鹭村党支部书记", "reason": "职务变动"}
    )

    assert response.status_code == 200, response.content.decode()
    fresh = Deputy.objects.get(pk=deputy.pk)
    assert fresh.occupation == "白鹭村党支部书记"
    assert (fresh.name, fresh.phone, fresh.region_id, fresh.birth_year) == (
        deputy.name,
        deputy.phone,
        deputy.region_id,
        deputy.birth_year,
    )
    assert sorted(fresh.mandates.values_list("level", "term")) == levels
    assert response.json()["occupation"] == "白鹭村党支部书记"
    assert AuditEvent.objects.filter(action="deputy.update", reason="职务变动").exists()


def test_patch_replaces_levels_when_sent(api_as: Callable[[str], ApiClient], home_township: Region) -> None:
    deputy = Deputy.objects.filter(subtree_q(home_township.path, "region__path"), kind="deputy").first()
    assert deputy is not None

    response = api_as("township").patch(
        f"/deputies/{deputy.public_id}", {"mandates": [{"level": 5, "term": 19}, {"level": 4, "term": 18}]}
    )

    assert response.status_code == 200, response.content.decode()
    assert sorted(deputy.mandates.values_list("level", flat=True)) == [4, 5]


def test_patch_refusals_write_nothing(
    api_as: Callable[[str], ApiClient], home_township: Region, other_township: Region
) -> None:
    deputy = Deputy.objects.filter(subtree_q(home_township.path, "region__path"), kind="deputy").first()
    outsider = Deputy.objects.filter(subtree_q(other_township.path, "region__path")).first()
    assert deputy is not None and outsider is not None
    client = api_as("township")
    before = (Deputy.objects.get(pk=deputy.pk).name, _counts())

    empty = client.patch(f"/deputies/{deputy.public_id}", {"name": ""})
    null_name = client.patch(f"/deputies/{deputy.public_id}", {"name": None})
    moved_out = client.patch(f"/deputies/{deputy.public_id}", {"region": other_township.code})
    not_mine = client.patch(f"/deputies/{outsider.public_id}", {"occupation": "改"})

    assert empty.status_code == null_name.status_code == 400
    assert "姓名不能为空" in empty.json()["detail"]
    assert moved_out.status_code == not_mine.status_code == 404
    assert (Deputy.objects.get(pk=deputy.pk).name, _counts()) == before


# ---------------------------------------------------------------- 进站


def test_deputy_joins_a_station(api_as: Callable[[str], ApiClient], home_township: Region) -> None:
    point = Station.objects.get(region=home_township, kind="point")
    deputy = (
        Deputy.objects.filter(subtree_q(home_township.path, "region__path"))
        .exclude(memberships__station=point)
        .order_by("id")
        .first()
    )
    assert deputy is not None
    client = api_as("township")
    key = uuid.uuid4().hex
    body = {"deputy": deputy.public_id, "start_date": "2025-03-01", "reason": "联系点扩充"}

    response = client.post(f"/stations/{point.public_id}/members", body, **{"Idempotency-Key": key})
    replay = client.post(f"/stations/{point.public_id}/members", body, **{"Idempotency-Key": key})
    twice = client.post(f"/stations/{point.public_id}/members", body)

    assert response.status_code == 201, response.content.decode()
    assert response.json()["station"]["public_id"] == point.public_id
    assert response.json()["start_date"] == "2025-03-01"
    assert replay.content == response.content
    assert StationMembership.objects.filter(deputy=deputy, station=point, end_date__isnull=True).count() == 1
    assert twice.status_code == 400
    assert "已在" in twice.json()["detail"]


def test_joining_outside_scope_is_404(
    api_as: Callable[[str], ApiClient], home_township: Region, other_township: Region
) -> None:
    my_station = Station.objects.filter(region=home_township).first()
    their_station = Station.objects.filter(region=other_township).first()
    my_deputy = Deputy.objects.filter(subtree_q(home_township.path, "region__path")).first()
    their_deputy = Deputy.objects.filter(subtree_q(other_township.path, "region__path")).first()
    assert my_station and their_station and my_deputy and their_deputy
    client = api_as("township")
    before = _counts()

    foreign_station = client.post(f"/stations/{their_station.public_id}/members", {"deputy": my_deputy.public_id})
    foreign_deputy = client.post(f"/stations/{my_station.public_id}/members", {"deputy": their_deputy.public_id})

    assert foreign_station.status_code == foreign_deputy.status_code == 404
    assert foreign_deputy.json()["field"] == "deputy"
    assert _counts() == before


def test_bad_start_date_is_422(api_as: Callable[[str], ApiClient], home_township: Region) -> None:
    station = Station.objects.filter(region=home_township).first()
    deputy = Deputy.objects.filter(subtree_q(home_township.path, "region__path")).first()
    assert station and deputy

    response = api_as("township").post(
        f"/stations/{station.public_id}/members", {"deputy": deputy.public_id, "start_date": "去年"}
    )

    assert response.status_code == 422
    assert "应为日期" in response.json()["detail"]
