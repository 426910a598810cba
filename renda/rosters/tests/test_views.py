"""Roster pages as the demo users: what each may reach, and what the import page shows."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from renda.audit.models import AuditEvent
from renda.org.models import Deputy
from renda.rosters.columns import DEPUTIES, ROSTERS
from renda.rosters.spreadsheets import XLSX_CONTENT_TYPE
from renda.rosters.tests.workbooks import fingerprint, read_sheet, roster_upload, upload

pytestmark = pytest.mark.django_db

ClientAs = Callable[[str], Client]
TOWN = "339901101"


def test_index_lists_the_four_rosters(client_as: ClientAs) -> None:
    response = client_as("county").get(reverse("rosters:index"))
    assert response.status_code == 200
    page = response.content.decode()
    for kind, spec in ROSTERS.items():
        assert spec.title in page
        for name in ("template", "export", "import"):
            assert reverse(f"rosters:{name}", args=[kind]) in page


def test_template_download_opens_in_openpyxl(client_as: ClientAs) -> None:
    response = client_as("township").get(reverse("rosters:template", args=["stations"]))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    assert "attachment" in response["Content-Disposition"]
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))  # type: ignore[attr-defined]
    assert [c.value for c in wb.worksheets[0][1]] == ROSTERS["stations"].headers


def test_export_download_is_scoped_and_logged(client_as: ClientAs) -> None:
    events = AuditEvent.objects.filter(action="roster.export").count()
    response = client_as("township").get(reverse("rosters:export", args=["deputies"]))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    content = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    rows = read_sheet(content)
    assert rows and all(r["所属区划代码"].startswith(TOWN) for r in rows)
    assert AuditEvent.objects.filter(action="roster.export").count() == events + 1
    export_id = AuditEvent.objects.filter(action="roster.export").latest("seq").after["export_id"]
    book = load_workbook(io.BytesIO(content))
    assert f"导出编号 {export_id}" in book.worksheets[0].oddHeader.center.text


@pytest.mark.parametrize(
    ("method", "name"),
    [("get", "index"), ("get", "template"), ("get", "export"), ("get", "import"), ("post", "import")],
)
def test_deputy_user_is_turned_away(client_as: ClientAs, method: str, name: str) -> None:
    args = [] if name == "index" else ["deputies"]
    client = client_as("deputy")
    before = fingerprint()
    data = {"file": roster_upload(DEPUTIES, [{"name": "某人"}])} if method == "post" else None
    response = getattr(client, method)(reverse(f"rosters:{name}", args=args), data)
    assert response.status_code in (403, 404)
    assert fingerprint() == before


def test_anonymous_is_sent_to_login(client: Client) -> None:
    response = client.get(reverse("rosters:export", args=["deputies"]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_unknown_roster_is_not_found(client_as: ClientAs) -> None:
    assert client_as("county").get(reverse("rosters:export", args=["nothing"])).status_code == 404


def test_import_page_shows_the_error_table(client_as: ClientAs) -> None:
    client = client_as("township")
    assert client.get(reverse("rosters:import", args=["deputies"])).status_code == 200
    good = {"name": "新代表", "kind": "人大代表", "region": f"{TOWN}201", "mandates": "乡镇级第19届"}
    file = roster_upload(DEPUTIES, [good, {**good, "phone": "12345"}, {**good, "region": "339901001001"}])

    response = client.post(reverse("rosters:import", args=["deputies"]), {"file": file})

    page = response.content.decode()
    assert response.status_code == 200
    assert "未导入：发现 2 处问题" in page
    assert "第 3 行" in page and "手机" in page and "12345" in page and "格式不正确" in page
    assert "第 4 行" in page and "区划代码 339901001001 不存在或不在您的管辖范围内" in page
    assert not Deputy.objects.filter(name="新代表").exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [("名册.csv", b"a,b\n1,2\n", "只能导入 Excel 文件"), ("名册.xlsx", b"", "文件是空的")],
)
def test_import_page_refuses_other_files(client_as: ClientAs, name: str, content: bytes, message: str) -> None:
    response = client_as("township").post(reverse("rosters:import", args=["deputies"]), {"file": upload(content, name)})
    assert response.status_code == 200
    assert message in response.content.decode()


def test_import_page_without_a_file(client_as: ClientAs) -> None:
    response = client_as("township").post(reverse("rosters:import", args=["deputies"]), {})
    assert "请选择要导入的 .xlsx 文件" in response.content.decode()


def test_import_page_shows_the_summary(client_as: ClientAs) -> None:
    file = roster_upload(
        DEPUTIES, [{"name": "新代表", "kind": "人大代表", "region": f"{TOWN}201", "mandates": "乡镇级第19届"}]
    )
    response = client_as("township").post(reverse("rosters:import", args=["deputies"]), {"file": file})
    assert "新增 1，更新 0，未变 0" in response.content.decode()
    deputy = Deputy.objects.get(name="新代表")
    assert AuditEvent.objects.filter(action="deputy.create", target_id=str(deputy.pk), reason="名册导入").exists()
