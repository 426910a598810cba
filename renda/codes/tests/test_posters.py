"""Posters: what a deputy's and a station's poster says, as PDF and PNG."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from renda.codes import posters, selectors
from renda.codes.qr import QR_BORDER
from renda.codes.selectors import Poster
from renda.codes.tests.helpers import expected_modules, pdf_text, rasterise
from renda.org.models import CongressLevel, Deputy, DeputyKind, Station

pytestmark = [pytest.mark.django_db, pytest.mark.urls("renda.codes.test_urls")]


def _deputy_with_levels(*levels: int) -> Deputy:
    qs = Deputy.objects.filter(kind=DeputyKind.DEPUTY, is_active=True, memberships__end_date__isnull=True)
    for level in levels:
        qs = qs.filter(mandates__level=level)
    deputy = qs.order_by("id").first()
    assert deputy is not None
    return deputy


def test_deputy_poster_names_levels_and_station(system) -> None:
    deputy = _deputy_with_levels(CongressLevel.COUNTY, CongressLevel.TOWNSHIP)
    poster = selectors.deputy_poster(scope=system, public_id=deputy.public_id)
    assert poster.header == "人大代表 亮身份"
    assert poster.name == deputy.name
    assert "县级人大代表 乡镇级人大代表" in poster.subtitle  # ordered from the higher congress down
    station = deputy.memberships.get(end_date__isnull=True).station
    assert poster.facts == (("所在站点", station.name),)
    assert poster.call_to_action == "扫码向代表反映意见建议、预约见面"


def test_deliberation_deputy_is_called_so(system) -> None:
    deputy = Deputy.objects.filter(kind=DeputyKind.DELIBERATION, mandates__isnull=True).order_by("id").first()
    poster = selectors.deputy_poster(scope=system, public_id=deputy.public_id)
    assert poster.subtitle == "议政代表"
    assert poster.header == "议政代表 亮身份"


def test_deputy_pdf_is_a_pdf_with_the_name(system) -> None:
    deputy = _deputy_with_levels(CongressLevel.COUNTY)
    pdf = posters.render_pdf(selectors.deputy_poster(scope=system, public_id=deputy.public_id))
    assert pdf.startswith(b"%PDF-")
    assert len(pdf) > 1024
    text = pdf_text(pdf)
    assert deputy.name in text
    assert "人大代表 亮身份" in text
    assert "扫码向代表反映意见建议、预约见面" in text
    assert deputy.public_id in text


def test_station_pdf_shows_officers_but_no_phone_numbers(system) -> None:
    station = Station.objects.filter(is_active=True, officers__phone__gt="").order_by("id").first()
    poster = selectors.station_poster(scope=system, public_id=station.public_id)
    assert poster.header == station.get_kind_display()
    pdf = posters.render_pdf(poster)
    text = pdf_text(pdf).replace("\n", "")
    assert station.name in text
    assert "扫码反映意见建议、预约见面" in text
    for officer in station.officers.all():
        assert officer.name in text
        assert officer.phone not in text


def test_png_poster_is_an_a4_image(system) -> None:
    deputy = _deputy_with_levels(CongressLevel.TOWNSHIP)
    png = posters.render_png(selectors.deputy_poster(scope=system, public_id=deputy.public_id))
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.size == (1240, 1754)


POSTER = Poster(
    kind="deputy",
    public_id="0123456789abcdef",
    url="https://rd.example.gov.cn/d/0123456789abcdef/",
    header="人大代表 亮身份",
    name="阿卜杜热合曼·买买提",
    subtitle="县级人大代表 乡镇级人大代表",
    facts=(("所在站点", "白鹭镇上塘村人大代表联络站"),),
    call_to_action="扫码向代表反映意见建议、预约见面",
)


def test_png_without_a_chinese_font_still_has_the_code(monkeypatch) -> None:
    monkeypatch.setattr(posters, "find_cjk_font", lambda: None)
    image = Image.open(io.BytesIO(posters.render_png(POSTER))).convert("L")
    assert image.size == (1240, 1754)
    dark = sum(image.histogram()[:128])
    assert dark > 50_000  # the QR code is there


def test_font_search_gives_up_quietly(monkeypatch, settings) -> None:
    settings.CODES_CJK_FONT = "/nonexistent/font.ttc"
    monkeypatch.setattr(posters, "CJK_FONT_CANDIDATES", ("/etc/hostname",))
    posters.find_cjk_font.cache_clear()
    try:
        assert posters.find_cjk_font() is None
    finally:
        posters.find_cjk_font.cache_clear()


def _sample(image: Image.Image, left: float, top: float, unit: float, size: int) -> list[list[int]]:
    """Dark/light at the centre of each module of the size x size symbol at (left, top)."""
    grey = image.convert("L")
    return [
        [1 if grey.getpixel((left + (c + 0.5) * unit, top + (r + 0.5) * unit)) < 128 else 0 for c in range(size)]
        for r in range(size)
    ]


def test_pdf_poster_code_holds_the_url() -> None:
    expected = expected_modules(POSTER.url)
    code = next(i for i in posters.layout(POSTER, posters._pdf_measure) if isinstance(i, posters.Code))
    page = rasterise(posters.render_pdf(POSTER), dpi=144)  # 2 px per point
    unit = code.size / (len(expected) + 2 * QR_BORDER) * 2
    left, top = code.x * 2 + QR_BORDER * unit, code.y * 2 + QR_BORDER * unit
    assert _sample(page, left, top, unit, len(expected)) == expected


def test_png_poster_code_holds_the_url() -> None:
    expected = expected_modules(POSTER.url)
    font = posters.find_cjk_font()
    if font is None:
        pytest.skip("未找到中文字体：PNG 海报只含二维码，版面不同")
    scale = posters.PNG_DPI / 72

    def measure(text: str, size: float) -> float:
        return posters._pil_font(font.path, font.index, round(size * scale)).getlength(text) / scale

    code = next(i for i in posters.layout(POSTER, measure) if isinstance(i, posters.Code))
    left, top, unit = posters.png_code_box(code, len(expected) + 2 * QR_BORDER, scale)
    image = Image.open(io.BytesIO(posters.render_png(POSTER)))
    assert _sample(image, left + QR_BORDER * unit, top + QR_BORDER * unit, unit, len(expected)) == expected


def test_middle_dot_of_minority_names_survives_the_pdf() -> None:
    # drawn as U+30FB (STSong-Light has no glyph for U+00B7); poppler reads it back as "·"
    assert "阿卜杜热合曼·买买提" in pdf_text(posters.render_pdf(POSTER))


def _width(text: str, size: float) -> float:
    return len(text) * size  # every character one em: enough to test the breaking rules


def test_wrap_breaks_between_levels_not_inside_them() -> None:
    lines = posters.wrap("县级人大代表 乡镇级人大代表", 10, 100, _width)
    assert lines == ["县级人大代表", "乡镇级人大代表"]


def test_wrap_never_starts_a_line_with_closing_punctuation() -> None:
    lines = posters.wrap("一二三四五六七八九十。十一", 10, 100, _width)
    assert lines[0] == "一二三四五六七八九十。"


def test_wrap_cuts_at_max_lines_with_an_ellipsis() -> None:
    lines = posters.wrap("一" * 100, 10, 100, _width, max_lines=2)
    assert len(lines) == 2
    assert lines[1].endswith("…")
    assert all(_width(line, 10) <= 100 for line in lines)


def test_long_texts_keep_the_code_on_the_page() -> None:
    crowded = Poster(
        kind="station",
        public_id="0123456789abcdef",
        url="https://rd.example.gov.cn/s/0123456789abcdef/",
        header="代表联系点",
        name="滨江街道新城社区党群服务中心人大代表联系点（金融行业）",
        subtitle="",
        facts=tuple((label, "很长的内容" * 30) for label in ("地址", "接待时间", "联系行业", "站长", "联络员")),
        call_to_action="扫码反映意见建议、预约见面",
    )
    items = posters.layout(crowded, _width)
    code = next(item for item in items if isinstance(item, posters.Code))
    texts = [item for item in items if isinstance(item, posters.Text)]
    assert code.size >= posters.QR_MIN
    assert code.y + code.size <= posters.PAGE_H
    assert all(0 <= t.y <= posters.PAGE_H for t in texts)
    # nothing overlaps the code: every baseline is above it (with room for the glyphs) or below it
    assert all(t.y < code.y or t.y - t.size > code.y + code.size for t in texts)
