"""The /api/v1/projects endpoints: scoped, Chinese errors, idempotent public submission."""

from __future__ import annotations

import pytest

from renda.projects.models import ProjectRating, Proposal
from renda.projects.tests.helpers import elect, make_list, plan

pytestmark = pytest.mark.django_db
API = "/api/v1"


@pytest.fixture
def project(scope_of, township):  # type: ignore[no-untyped-def]
    return elect(scope_of("township"), make_list(scope_of("township"), township, seats=2, n=3))[0]


def test_public_submission_needs_a_key_and_replays(client, township):
    url = f"{API}/public/projects/{township.code}/proposals"
    body = {"title": "村口修建公共厕所", "text": "集市人多没有厕所，希望修建一座。"}
    assert client.post(url, body, content_type="application/json").status_code == 422
    first = client.post(url, body, content_type="application/json", headers={"Idempotency-Key": "abc"})
    assert first.status_code == 201
    again = client.post(url, body, content_type="application/json", headers={"Idempotency-Key": "abc"})
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json()["code"] == first.json()["code"]
    other = client.post(
        url, {**body, "title": "另一件要办的事"}, content_type="application/json", headers={"Idempotency-Key": "abc"}
    )
    assert other.status_code == 409 and "内容不同" in other.json()["detail"]
    empty = client.post(
        url, {"title": "", "text": ""}, content_type="application/json", headers={"Idempotency-Key": "x"}
    )
    assert empty.status_code == 400 and empty.json()["detail"] == "项目名称不能为空"
    assert Proposal.objects.count() == 1


def test_lists_and_projects_are_scoped(client_as, project, scope_of, other_township, django_assert_max_num_queries):
    township = client_as("township")
    with django_assert_max_num_queries(15):
        response = township.get(f"{API}/projects")
    assert response.status_code == 200 and project.name in [x["name"] for x in response.json()["items"]]
    with django_assert_max_num_queries(15):
        lists = township.get(f"{API}/projects/lists").json()
    assert lists["count"] == 1 and lists["items"][0]["candidates"][0]["result"]["rounds"]
    other = elect(scope_of("county"), make_list(scope_of("county"), other_township, seats=1, n=2))[0]
    response = township.get(f"{API}/projects/{other.pk}")
    assert response.status_code == 404 and "管辖范围" in response.json()["detail"]


def test_list_without_margin_is_refused(client_as, scope_of, township):
    c = make_list(scope_of("township"), township, seats=3, n=3)
    response = client_as("township").post(f"{API}/projects/lists/{c.pk}/fix", {}, content_type="application/json")
    assert response.status_code == 400 and "差额" in response.json()["detail"]


def test_progress_by_the_clerk_and_refused_for_staff(client_as, project, scope_of):
    plan(scope_of("clerk"), project)
    body = {"percent": 30, "text": "已完成设计"}
    assert (
        client_as("township")
        .post(f"{API}/projects/{project.pk}/progress", body, content_type="application/json")
        .status_code
        == 403
    )
    response = client_as("clerk").post(f"{API}/projects/{project.pk}/progress", body, content_type="application/json")
    assert response.status_code == 200 and response.json()["progress"] == 30
    bad = client_as("clerk").post(
        f"{API}/projects/{project.pk}/progress", {"percent": 300, "text": "x"}, content_type="application/json"
    )
    assert bad.status_code == 422


def test_a_second_rating_is_a_conflict(client_as, project, scope_of):
    plan(scope_of("clerk"), project)
    assert client_as("township").post(f"{API}/projects/{project.pk}/open-rating").status_code == 200
    deputy = client_as("deputy")
    url = f"{API}/projects/{project.pk}/ratings"
    first = deputy.post(url, {"grade": "satisfied"}, content_type="application/json")
    assert first.status_code == 200 and first.json()["mine"] == "satisfied"
    assert first.json()["rounds"][0]["share"] is None  # figures hidden from deputies while the round runs
    second = deputy.post(url, {"grade": "basic"}, content_type="application/json")
    assert second.status_code == 409 and "已经测评过" in second.json()["detail"]
    assert ProjectRating.objects.count() == 1


def test_public_township_json(client, project, township):
    data = client.get(f"{API}/public/projects/{township.code}").json()
    assert data["township"] == township.name
    assert data["years"][0]["projects"][0]["name"] == project.name
    assert data["years"][0]["not_elected"]


def test_openapi_lists_the_endpoints(client):
    paths = client.get(f"{API}/openapi.json").json()["paths"]
    assert "/api/v1/public/projects/{code}/proposals" in paths and "/api/v1/projects/{project_id}/ratings" in paths
