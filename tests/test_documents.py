"""Every Word document the offices print is A4 in the official layout (GB/T 9704), and every
PDF carries its Chinese font (issue #13): opened as the office would, with python-docx."""

from __future__ import annotations

import io
import os
import re

import pytest
from django.urls import reverse
from docx import Document
from docx.shared import Mm

from renda.core.official import LINE_PT, Official, pdf_fonts
from renda.meetings.tests.helpers import session_with
from renda.suggestions.tests.conftest import cosigner_scope, drive, town  # noqa: F401 (fixtures)
from renda.voting import services as voting
from renda.voting.models import Outcome, Vote, VoteMethod, VoteState

pytestmark = pytest.mark.django_db


@pytest.fixture
def vote(scope_of) -> Vote:
    staff = scope_of("township")
    meeting, _ = session_with(staff, entitled=9, present=9)
    return voting.vote_create(
        scope=staff,
        meeting=meeting,
        title="票决2027年民生实事项目",
        method=VoteMethod.CHOOSE_N,
        seats=2,
        options=[
            voting.OptionInput(label=x, ref=f"projects.candidate:{i}")
            for i, x in enumerate(("村道亮化工程", "农贸市场改造", "居家养老服务站"), start=1)
        ],
    )


@pytest.fixture
def published(vote: Vote) -> Vote:
    """The vote as it stands once counted and published (the counting itself: renda/voting/tests)."""
    from django.utils import timezone

    for n, option in enumerate(vote.options.order_by("position")):
        option.count_yes = 8 - n * 3
        option.outcome = Outcome.ELECTED if n < 2 else Outcome.NOT_ELECTED
        option.save()
    Vote.objects.filter(pk=vote.pk).update(
        state=VoteState.PUBLISHED, entitled_count=9, present_at_close=9, ballots_phone=9, published_at=timezone.now()
    )
    vote.refresh_from_db()
    return vote


FONT_FILE = "/usr/share/fonts/truetype/arphic/uming.ttc"


def _assert_official(content: bytes) -> Document:
    doc = Document(io.BytesIO(content))
    for section in doc.sections:
        size = sorted([section.page_width, section.page_height])
        assert [round(v / Mm(1)) for v in size] == [210, 297], "A4"
        margins = [section.top_margin, section.bottom_margin, section.left_margin, section.right_margin]
        if section.page_width < section.page_height:  # portrait: 37 / 35 / 28 / 26 mm
            assert [round(m / Mm(1)) for m in margins] == [37, 35, 28, 26]
    normal = doc.styles["Normal"]
    assert normal.font.size.pt == 16  # 三号
    assert abs(normal.paragraph_format.line_spacing.pt - LINE_PT) < 0.1  # 22 lines
    assert "仿宋" in normal.font.name
    return doc


def _text(doc: Document) -> str:
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def _documents(client_as, drive, published) -> dict[str, bytes]:  # noqa: F811
    """Every .docx the site generates, fetched through its page as its users fetch it."""
    staff, clerk = client_as("township"), client_as("clerk")
    out: dict[str, bytes] = {}
    assigned = drive.assigned()
    out["notice"] = staff.get(f"/suggestions/{assigned.pk}/notice.docx").content
    out["compilation"] = staff.get("/suggestions/compilation.docx").content
    drive.contact(assigned)
    out["preview"] = clerk.post(
        f"/suggestions/{assigned.pk}/letter-preview.docx", {"answer_class": "A", "text": "已办结，路灯已全部修复。"}
    ).content
    answered = drive.answered()
    answer = answered.answers.order_by("round").first()
    out["letter"] = staff.get(f"/suggestions/{answered.pk}/answers/{answer.pk}/letter.docx").content
    region = published.meeting.region
    out["midyear"] = staff.get(reverse("projects:midyear_docx") + f"?region={region.pk}&year=2026").content
    out["signin"] = staff.get(reverse("meetings:signin_sheet_docx", args=[published.meeting_id])).content
    out["ballot"] = staff.get(reverse("voting:ballot_docx", args=[published.pk])).content
    out["result"] = staff.get(reverse("voting:notice_docx", args=[published.pk])).content
    return out


def test_every_word_document_is_a4_in_the_official_layout(client_as, drive, published):  # noqa: F811
    documents = _documents(client_as, drive, published)
    for name, content in documents.items():
        assert content[:2] == b"PK", name
        _assert_official(content)
    result = _text(Document(io.BytesIO(documents["result"])))
    assert "入选" in result and "当选" not in result and "主席团" in result
    assert "村道亮化工程" in result and "现予公告" in result


def test_the_assignment_notice_is_issued_by_the_presidium_and_names_each_deputy_once(client_as, drive):  # noqa: F811
    s = drive.assigned(joint=True)
    assert s.signatories.filter(is_lead=False).exists()
    text = _text(Document(io.BytesIO(client_as("township").get(f"/suggestions/{s.pk}/notice.docx").content)))
    assert "主席团" in text and f"{s.body.name}\n" not in text
    assert not re.search(rf"联名代表：[^\n]*{s.lead_deputy.name}", text)
    assert f"领衔代表：{s.lead_deputy.name}" in text


def test_a_paper_ballot_is_the_same_for_everyone_and_names_nobody(client_as, vote):
    staff = client_as("township")
    first = staff.get(reverse("voting:ballot_docx", args=[vote.pk]))
    second = staff.get(reverse("voting:ballot_docx", args=[vote.pk]))
    assert first.status_code == 200 and ".docx" in first["Content-Disposition"]
    text = _text(Document(io.BytesIO(first.content)))
    for option in vote.options.all():
        assert option.label in text
    assert "最多划 2 个" in text and "本票不写姓名" in text
    assert _text(Document(io.BytesIO(second.content))) == text
    # A deputy (who may see the vote) cannot print ballots
    assert client_as("deputy").get(reverse("voting:ballot_docx", args=[vote.pk])).status_code in (403, 404)


def test_the_result_notice_waits_for_publication(client_as, vote):
    response = client_as("township").get(reverse("voting:notice_pdf", args=[vote.pk]))
    assert response.status_code == 409 and "公布后" in response.content.decode()


@pytest.mark.skipif(not os.path.exists(FONT_FILE) and not os.environ.get("CI"), reason="fonts-arphic-uming")
def test_pdfs_embed_their_chinese_font(client_as, published):
    """CI installs fonts-arphic-uming: there a PDF without an embedded font fails."""
    assert pdf_fonts()["body"].startswith("Official-"), "no TrueType CJK font: the PDF would not embed one"
    staff = client_as("township")
    for url in (
        reverse("meetings:signin_sheet_pdf", args=[published.meeting_id]),
        reverse("voting:ballot_pdf", args=[published.pk]),
        reverse("voting:notice_pdf", args=[published.pk]),
    ):
        response = staff.get(url)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        pdf = response.content
        assert pdf.startswith(b"%PDF") and b"/FontFile2" in pdf, url  # an embedded TrueType font
        assert b"/MediaBox [ 0 0 595.2756 841.8898 ]" in pdf  # A4


def test_a_long_document_repeats_table_headers_and_numbers_pages():
    doc = Official().title("测试").table([["序号", "姓名"]] + [[n, f"代表{n}"] for n in range(120)])
    word = Document(io.BytesIO(doc.docx()))
    assert word.tables[0].rows[0]._tr.xpath("./w:trPr/w:tblHeader")
    footer = word.sections[0].footer.paragraphs[0]
    assert "PAGE" in footer._p.xml and "—" in footer.text
    assert doc.pdf().count(b"/Type /Page\n") >= 2 or doc.pdf().count(b"/Type /Page") >= 3
