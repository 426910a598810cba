"""A refused opinion shows every wrong field at once, not one per attempt (issue #13): the citizen's
form beside each box, with a word on the photos that must be chosen again; the offline entry form
the same. Nothing is stored on a refusal."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from renda.core.errors import ValidationFailed
from renda.opinions import intake
from renda.opinions.models import Opinion
from renda.opinions.tests.conftest import jpeg_bytes


def _post(client: Client, station, data, **files):  # type: ignore[no-untyped-def]
    return client.post(f"/s/{station.public_id}/opinion/", {"idempotency_key": "every-error"} | data | files)


@pytest.mark.django_db
def test_the_citizen_sees_every_wrong_field_of_an_empty_form_at_once(cache_cleared, liaison_station):
    before = Opinion.objects.count()
    answer = _post(Client(), liaison_station, {"text": "", "region": "", "category": ""})
    assert answer.status_code == 400
    errors = answer.context["errors"]
    assert set(errors) == {"text", "category", "region", "citizen_phone", "consent"}
    html = answer.content.decode()
    for message in (
        "反映内容不能为空",
        "请选择问题分类",
        "请选择事情发生的村/社区",
        "请填写手机号",
        "请勾选同意",
    ):
        assert message in html, message
    assert "有 5 处需要修改" in html
    assert Opinion.objects.count() == before


@pytest.mark.django_db
def test_wrong_values_of_several_fields_are_named_together(cache_cleared, liaison_station, village, lamp_category):
    answer = _post(
        Client(),
        liaison_station,
        {
            "text": "路灯" * 1001,  # too long
            "region": "9" * 40,  # not an id
            "category": lamp_category.pk,
            "citizen_name": "张" * 51,
            "citizen_phone": "12345",
            "consent": "on",
        },
    )
    assert answer.status_code == 400
    errors = answer.context["errors"]
    assert set(errors) == {"text", "region", "citizen_name", "citizen_phone"}
    assert "不能超过 2000 个字" in errors["text"]
    assert "格式不正确" in errors["citizen_phone"]
    # What the citizen typed is kept, so only the wrong boxes need touching.
    assert "张" * 51 in answer.content.decode()


@pytest.mark.django_db
def test_a_refused_form_says_the_photos_must_be_chosen_again(cache_cleared, liaison_station, village, lamp_category):
    photo = SimpleUploadedFile("lamp.jpg", jpeg_bytes(), content_type="image/jpeg")
    answer = _post(
        Client(), liaison_station, {"text": "路灯", "region": village.pk, "category": lamp_category.pk}, photos=photo
    )
    assert answer.status_code == 400
    html = answer.content.decode()
    assert "刚才选的 1 张照片没有保存，请重新选择后再提交" in html
    assert 'aria-describedby="photos-again"' in html
    # Without photos the word is not there.
    answer = _post(Client(), liaison_station, {"text": "路灯", "region": village.pk, "category": lamp_category.pk})
    assert "重新选择" not in answer.content.decode()


@pytest.mark.django_db
def test_a_region_of_another_township_and_an_anonymous_name_are_refused_together(
    cache_cleared, liaison_station, lamp_category
):
    from renda.regions.models import Region, RegionLevel

    elsewhere = (
        Region.objects.filter(level=RegionLevel.VILLAGE)
        .exclude(path__startswith=liaison_station.region.path[:9])
        .order_by("path")
        .first()
    )
    assert elsewhere is not None
    answer = _post(
        Client(),
        liaison_station,
        {
            "text": "村口路灯坏了半个月",
            "region": elsewhere.pk,
            "category": lamp_category.pk,
            "anonymous": "on",
            "citizen_name": "张三",
        },
    )
    assert answer.status_code == 400
    assert answer.context["errors"] == {
        "region": "所选村/社区不属于该联络站所在的乡镇/街道",
        "anonymous": "匿名反映时请不要填写姓名和电话",
    }


@pytest.mark.django_db
def test_the_service_names_every_wrong_field_and_the_first_as_its_message(liaison_station, lamp_category):
    with pytest.raises(ValidationFailed) as refused:
        intake.opinion_submit(
            data=intake.OpinionInput(text="短", region=None, category=None, station=liaison_station),
            client_ip="127.0.0.9",
        )
    assert list(refused.value.errors) == ["text", "category", "region", "citizen_phone", "consent"]
    assert refused.value.field == "text" and refused.value.message == refused.value.errors["text"]


@pytest.mark.django_db
def test_the_offline_entry_form_shows_its_errors_together(client_as, liaison_station, village, lamp_category):
    staff = client_as("liaison")
    before = Opinion.objects.count()
    answer = staff.post(
        "/opinions/new/",
        {
            "source": "reception",
            "station": liaison_station.pk,
            "region": village.pk,
            "category": lamp_category.pk,
            "text": "灯",  # too short
            "citizen_name": "张三",
            "citizen_phone": "12345",  # not a phone
            "idempotency_key": "entry-every-error",
            "photos": SimpleUploadedFile("lamp.jpg", jpeg_bytes(), content_type="image/jpeg"),
        },
    )
    assert answer.status_code == 200
    errors = answer.context["form"].errors
    assert "text" in errors and "citizen_phone" in errors, errors
    assert "刚才选的 1 张照片没有保存" in answer.content.decode()
    assert Opinion.objects.count() == before
