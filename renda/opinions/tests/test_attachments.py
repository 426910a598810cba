"""A unit's answer with a document: a web page renamed 答复.pdf is refused and nothing is written;
a real PDF is kept and offered to staff (issue #12: attachments checked like photos)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from renda.opinions import intake, services
from renda.opinions.models import Answer, Opinion, State
from renda.org.models import HandlingUnit

pytestmark = pytest.mark.django_db


@pytest.fixture
def accepted(scope_of, liaison_station, village, lamp_category):
    opinion, _ = intake.opinion_submit(
        scope=scope_of("liaison"),
        data=intake.OpinionInput(
            text="村口路灯坏了一个月，晚上出行不方便。",
            region=village,
            category=lamp_category,
            source="reception",
            station=liaison_station,
            anonymous=True,
        ),
    )
    unit = HandlingUnit.objects.filter(roleassignment__user__username="clerk").first()
    services.opinion_route(scope=scope_of("township"), opinion=opinion, unit=unit, workdays=5)
    return services.opinion_accept(scope=scope_of("clerk"), opinion=Opinion.objects.get(pk=opinion.pk))


def test_a_renamed_web_page_is_refused(client_as, accepted):
    fake = SimpleUploadedFile("答复.pdf", b"<html><script>alert(1)</script></html>", content_type="application/pdf")
    response = client_as("clerk").post(
        f"/opinions/{accepted.pk}/act/unit_answer/", {"text": "已安排电工更换灯具。", "attachment": fake}
    )
    assert response.status_code == 400 and "内容与文件名（.pdf）不符" in response.content.decode()
    assert Opinion.objects.get(pk=accepted.pk).state == State.IN_PROGRESS
    assert not Answer.objects.filter(opinion=accepted).exists()


def test_a_real_pdf_is_kept(client_as, accepted):
    pdf = SimpleUploadedFile("答复.pdf", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n", content_type="application/pdf")
    response = client_as("clerk").post(
        f"/opinions/{accepted.pk}/act/unit_answer/", {"text": "已安排电工更换灯具。", "attachment": pdf}
    )
    assert response.status_code == 302
    answer = Answer.objects.get(opinion=accepted)
    download = client_as("township").get(f"/opinions/{accepted.pk}/answers/{answer.pk}/attachment/")
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF-")
