"""Printing the codes (二码海报): an A4 poster as PDF (reportlab) and as PNG (Pillow).

One layout, in PostScript points on A4 with the origin at the top left, is drawn by two
backends. The PDF uses reportlab's built-in CID font STSong-Light, so no font file is needed
to make it (the viewer supplies the glyphs, as for any Chinese government PDF). The PNG needs
a CJK font on this machine; without one it is still made, with the QR code and the public id
only, because a poster without a readable caption beats an error page.
"""

from __future__ import annotations

import functools
import io
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from renda.codes.qr import QR_BORDER, make_qr
from renda.codes.selectors import Poster

logger = logging.getLogger(__name__)

PAGE_W, PAGE_H = A4
MARGIN = 48.0
BAND_H = 128.0
QR_MAX = 360.0  # 12.7 cm: scans from two metres on a notice board
QR_MIN = 170.0

RED = (0xB3, 0x26, 0x1E)
RED_DARK = (0x8C, 0x1D, 0x18)
INK = (0x1F, 0x23, 0x28)
MUTED = (0x6B, 0x72, 0x80)
WHITE = (0xFF, 0xFF, 0xFF)
BLACK = (0, 0, 0)

PDF_FONT = "STSong-Light"
PNG_DPI = 150  # 1240 x 1754 px: sharp on screen and in a chat, fine on an office printer

# Where Debian, Ubuntu and most distributions put a CJK font. settings.CODES_CJK_FONT, if set,
# is tried first.
CJK_FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)

# A line may not start with these (避头) — they move to the end of the previous line.
NO_LINE_START = set("，。、；：！？）》」』”’,.;:!?)")
BREAK_AFTER = set(" 、，；")
# STSong-Light draws the middle dot of minority names (阿卜杜·买买提) only as U+30FB, its
# GB 2312 form; U+00B7 and its look-alikes come out as a missing-glyph box.
PDF_GLYPH_SUBSTITUTES = str.maketrans(
    {"\u00b7": "\u30fb", "\u2022": "\u30fb", "\u2027": "\u30fb", "\u2219": "\u30fb", "\u22c5": "\u30fb"}
)


# ---------------------------------------------------------------- layout


@dataclass(frozen=True)
class Band:
    x: float
    y: float
    w: float
    h: float
    color: tuple[int, int, int]


@dataclass(frozen=True)
class Text:
    x: float  # left edge, or centre when ``centered``
    y: float  # baseline
    text: str
    size: float
    color: tuple[int, int, int]
    bold: bool = False
    centered: bool = True


@dataclass(frozen=True)
class Code:
    x: float
    y: float
    size: float  # the whole symbol including its quiet zone
    url: str


Item = Band | Text | Code
Measure = Callable[[str, float], float]  # width in points of text at a size in points


def wrap(text: str, size: float, width: float, measure: Measure, *, max_lines: int = 3) -> list[str]:
    """Break ``text`` into lines no wider than ``width``.

    Lines break after a space, "、", "，" or "；" where they can (so "县级人大代表 乡镇级人大代表"
    never splits inside a level), otherwise between any two CJK characters, never inside a
    Latin word or number and never before closing punctuation. Over ``max_lines`` the last
    line ends in "…".
    """
    lines: list[str] = []
    line = ""

    def fits(candidate: str) -> bool:
        return measure(candidate.rstrip(), size) <= width

    for phrase in _phrases(text):
        if fits(line + phrase):
            line += phrase
            continue
        if line.strip() and fits(phrase):
            lines.append(line.rstrip())
            line = phrase
            continue
        for token in _tokens(phrase):  # a phrase wider than a line: break inside it
            if not line.strip() or fits(line + token) or token[0] in NO_LINE_START:
                line += token
            else:
                lines.append(line.rstrip())
                line = token.lstrip()
    if line.strip():
        lines.append(line.rstrip())
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and measure(last + "…", size) > width:
            last = last[:-1]
        lines = [*lines[: max_lines - 1], last + "…"]
    return lines


def _phrases(text: str) -> list[str]:
    """``text`` cut after each preferred break (space, 、，；)."""
    phrases: list[str] = []
    current = ""
    for ch in text:
        current += ch
        if ch in BREAK_AFTER:
            phrases.append(current)
            current = ""
    if current:
        phrases.append(current)
    return phrases


def _tokens(text: str) -> list[str]:
    """CJK characters one by one; runs of Latin letters and digits whole; spaces kept on the token before."""
    tokens: list[str] = []
    word = ""
    for ch in text:
        if ch.isascii() and not ch.isspace():
            word += ch
            continue
        if word:
            tokens.append(word)
            word = ""
        if ch.isspace() and tokens:
            tokens[-1] += " "
        elif not ch.isspace():
            tokens.append(ch)
    if word:
        tokens.append(word)
    return tokens


def _fit(text: str, size: float, smallest: float, width: float, measure: Measure) -> float:
    """The largest size from ``size`` down to ``smallest`` at which ``text`` fits on one line."""
    while size > smallest and measure(text, size) > width:
        size -= 2
    return max(size, smallest)


def layout(poster: Poster, measure: Measure) -> list[Item]:
    """Where everything goes on the A4 page: text top-down, the call to action bottom-up,
    and the QR code as large as the space between allows. When long addresses or opening
    hours leave less than ``QR_MIN`` for the code, facts get fewer lines (ending in "…")."""
    for fact_lines in (3, 2, 1):
        items, room = _layout(poster, measure, fact_lines)
        if room >= QR_MIN:
            break
    return items


def _layout(poster: Poster, measure: Measure, fact_lines: int) -> tuple[list[Item], float]:
    items: list[Item] = []
    cx = PAGE_W / 2
    width = PAGE_W - 2 * MARGIN

    items.append(Band(0, 0, PAGE_W, BAND_H, RED))
    header_size = _fit(poster.header, 42, 26, width, measure)
    items.append(Text(cx, BAND_H / 2 + header_size * 0.36, poster.header, header_size, WHITE, bold=True))

    y = BAND_H + 30
    name_size = _fit(poster.name, 52 if poster.kind == "deputy" else 36, 26, width, measure)
    for line in wrap(poster.name, name_size, width, measure, max_lines=2):
        y += name_size * 1.3
        items.append(Text(cx, y, line, name_size, INK, bold=True))

    if poster.subtitle:
        y += 8
        for line in wrap(poster.subtitle, 19, width, measure, max_lines=2):
            y += 19 * 1.55
            items.append(Text(cx, y, line, 19, RED_DARK))

    if poster.facts:
        y += 14
        y = _facts(items, poster.facts, y, width, measure, fact_lines)

    footer_y = PAGE_H - 26
    items.append(Text(cx, footer_y, f"编号 {poster.public_id}", 9, MUTED))
    call_size = _fit(poster.call_to_action, 22, 14, width, measure)
    call_y = footer_y - 40
    items.append(Text(cx, call_y, poster.call_to_action, call_size, RED, bold=True))

    top = y + 22
    bottom = call_y - call_size - 16
    room = min(bottom - top, width)
    size = max(QR_MIN, min(QR_MAX, room))
    items.append(Code(cx - size / 2, top + max(0.0, (bottom - top - size) / 2), size, poster.url))
    return items, room


def _facts(
    items: list[Item], facts: Sequence[tuple[str, str]], y: float, width: float, measure: Measure, max_lines: int
) -> float:
    """A two-column block (label, value) centred on the page; values wrap under themselves."""
    size = 15.0
    leading = size * 1.6
    labels = [f"{label}：" for label, _ in facts]
    label_w = max(measure(label, size) for label in labels)
    value_max = min(width - label_w, 330.0)
    wrapped = [wrap(value, size, value_max, measure, max_lines=max_lines) for _, value in facts]
    value_w = max(measure(line, size) for lines in wrapped for line in lines)
    left = (PAGE_W - (label_w + value_w)) / 2
    for label, lines in zip(labels, wrapped, strict=True):
        y += leading
        # Labels right-aligned, so the colons line up as on a printed form.
        items.append(Text(left + label_w - measure(label, size), y, label, size, MUTED, centered=False))
        for i, line in enumerate(lines):
            if i:
                y += leading
            items.append(Text(left + label_w, y, line, size, INK, centered=False))
    return y


# ---------------------------------------------------------------- PDF


@functools.cache
def _pdf_font() -> str:
    pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))
    return PDF_FONT


def _pdf_measure(text: str, size: float) -> float:
    return float(pdfmetrics.stringWidth(text.translate(PDF_GLYPH_SUBSTITUTES), _pdf_font(), size))


def render_pdf(poster: Poster) -> bytes:
    """The poster as a one-page A4 PDF. The QR code is vector, sharp at any print size."""
    font = _pdf_font()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    pdf.setTitle(f"{poster.name} · {poster.header}")
    pdf.setAuthor("基层人大工作平台")
    pdf.setSubject(poster.url)
    for item in layout(poster, _pdf_measure):
        if isinstance(item, Band):
            pdf.setFillColorRGB(*_rgb(item.color))
            pdf.rect(item.x, PAGE_H - item.y - item.h, item.w, item.h, stroke=0, fill=1)
        elif isinstance(item, Text):
            _pdf_text(pdf, font, item)
        else:
            _pdf_code(pdf, item)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _rgb(color: tuple[int, int, int]) -> tuple[float, float, float]:
    return (color[0] / 255, color[1] / 255, color[2] / 255)


def _pdf_text(pdf: canvas.Canvas, font: str, item: Text) -> None:
    x = item.x - _pdf_measure(item.text, item.size) / 2 if item.centered else item.x
    # The text render mode belongs to the graphics state and outlives BT/ET, so a bold run
    # is wrapped in q/Q; otherwise every later line would come out bold too.
    pdf.saveState()
    text = pdf.beginText(x, PAGE_H - item.y)
    text.setFont(font, item.size)
    pdf.setFillColorRGB(*_rgb(item.color))
    if item.bold:
        # STSong-Light has no bold face: fill the glyphs and stroke their outline (mode 2).
        pdf.setStrokeColorRGB(*_rgb(item.color))
        pdf.setLineWidth(item.size * 0.035)
        text.setTextRenderMode(2)
    text.textOut(item.text.translate(PDF_GLYPH_SUBSTITUTES))
    pdf.drawText(text)
    pdf.restoreState()


def _pdf_code(pdf: canvas.Canvas, item: Code) -> None:
    matrix = make_qr(item.url).matrix
    modules = len(matrix) + 2 * QR_BORDER
    unit = item.size / modules
    pdf.setFillColorRGB(*_rgb(WHITE))
    pdf.rect(item.x, PAGE_H - item.y - item.size, item.size, item.size, stroke=0, fill=1)
    # One filled path of whole-module rectangles in module coordinates (origin at the
    # symbol's top-left corner, y downwards): a row is a few "re" operators with small
    # integers, which keeps the PDF small and the bulk ZIP fast.
    rects = [
        f"{QR_BORDER + start} {QR_BORDER + r} {length} 1 re"
        for r, row in enumerate(matrix)
        for start, length in _dark_runs(row)
    ]
    pdf.saveState()
    pdf.transform(unit, 0, 0, -unit, item.x, PAGE_H - item.y)
    pdf.setFillColorRGB(*_rgb(BLACK))
    pdf.addLiteral("\n".join([*rects, "f"]))
    pdf.restoreState()


def _dark_runs(row: Sequence[int]) -> list[tuple[int, int]]:
    """(start, length) of each run of dark modules in a row, so a row is a few rectangles."""
    runs: list[tuple[int, int]] = []
    start = None
    for i, value in enumerate([*row, 0]):
        if value and start is None:
            start = i
        elif not value and start is not None:
            runs.append((start, i - start))
            start = None
    return runs


# ---------------------------------------------------------------- PNG


@dataclass(frozen=True)
class CjkFont:
    path: str
    index: int  # face in a .ttc collection
    bold_path: str | None  # a matching bold file, if installed
    bold_index: int


@functools.cache
def find_cjk_font() -> CjkFont | None:
    """The first CJK font found on this machine, preferring its Simplified Chinese face."""
    configured = getattr(settings, "CODES_CJK_FONT", "")
    for candidate in ([configured] if configured else []) + list(CJK_FONT_CANDIDATES):
        if not Path(candidate).is_file():
            continue
        index = _sc_face(candidate)
        if index is None:
            continue
        bold = candidate.replace("Regular", "Bold")
        bold_index = _sc_face(bold) if bold != candidate and Path(bold).is_file() else None
        return CjkFont(candidate, index, bold if bold_index is not None else None, bold_index or 0)
    logger.warning("未找到中文字体，二码海报 PNG 只含二维码和编号（可安装 fonts-noto-cjk）")
    return None


def _sc_face(path: str) -> int | None:
    """The index of the Simplified Chinese face in a font file, 0 if it names none, None if unreadable."""
    try:
        faces = []
        for index in range(16):
            try:
                faces.append(ImageFont.truetype(path, 12, index=index).getname()[0] or "")
            except OSError:
                break
    except Exception:  # a broken font file must not break the poster
        logger.exception("字体文件无法读取：%s", path)
        return None
    if not faces:
        return None
    for index, family in enumerate(faces):
        if family.endswith(" SC") or "SC " in family:
            return index
    return 0


@functools.cache
def _pil_font(path: str, index: int, pixels: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, pixels, index=index)


def render_png(poster: Poster, *, dpi: int = PNG_DPI) -> bytes:
    """The poster as an A4 PNG; with no CJK font installed, the QR code and public id only."""
    scale = dpi / 72
    image = Image.new("RGB", (round(PAGE_W * scale), round(PAGE_H * scale)), WHITE)
    draw = ImageDraw.Draw(image)
    font = find_cjk_font()
    if font is None:
        items = _bare_layout(poster)
    else:

        def measure(text: str, size: float) -> float:
            return _pil_font(font.path, font.index, round(size * scale)).getlength(text) / scale

        items = layout(poster, measure)
    for item in items:
        if isinstance(item, Band):
            box = (item.x * scale, item.y * scale, (item.x + item.w) * scale - 1, (item.y + item.h) * scale - 1)
            draw.rectangle(box, fill=item.color)
        elif isinstance(item, Text):
            _png_text(draw, font, item, scale)
        else:
            _png_code(image, item, scale)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(dpi, dpi), optimize=False)
    return buffer.getvalue()


def _bare_layout(poster: Poster) -> list[Item]:
    size = 400.0
    top = (PAGE_H - size) / 2 - 30
    return [
        Code((PAGE_W - size) / 2, top, size, poster.url),
        Text(PAGE_W / 2, top + size + 36, poster.public_id, 16, INK),
    ]


def _png_text(draw: ImageDraw.ImageDraw, font: CjkFont | None, item: Text, scale: float) -> None:
    pixels = round(item.size * scale)
    stroke = 0
    face: ImageFont.FreeTypeFont | ImageFont.ImageFont
    if font is None:
        face = ImageFont.load_default(size=pixels)  # Latin only: the public id
    elif item.bold and font.bold_path:
        face = _pil_font(font.bold_path, font.bold_index, pixels)
    else:
        face = _pil_font(font.path, font.index, pixels)
        stroke = max(1, round(pixels * 0.03)) if item.bold else 0
    draw.text(
        (item.x * scale, item.y * scale),
        item.text,
        font=face,
        fill=item.color,
        anchor="ms" if item.centered else "ls",
        stroke_width=stroke,
        stroke_fill=item.color,
    )


def png_code_box(item: Code, modules: int, scale: float) -> tuple[int, int, int]:
    """(left, top, pixels per module) of a code on a PNG: whole pixels per module, so every
    module has the same size and the edges stay sharp."""
    unit = max(1, int(item.size * scale) // modules)
    slack = (item.size * scale - modules * unit) / 2
    return round(item.x * scale + slack), round(item.y * scale + slack), unit


def _png_code(image: Image.Image, item: Code, scale: float) -> None:
    matrix = make_qr(item.url).matrix
    modules = len(matrix) + 2 * QR_BORDER
    left, top, unit = png_code_box(item, modules, scale)
    symbol = Image.new("1", (modules, modules), 1)
    symbol.putdata([0 if value else 1 for row in _with_border(matrix) for value in row])
    symbol = symbol.resize((modules * unit, modules * unit), Image.Resampling.NEAREST)
    image.paste(symbol.convert("RGB"), (left, top))


def _with_border(matrix: Sequence[Sequence[int]]) -> list[list[int]]:
    width = len(matrix[0]) + 2 * QR_BORDER
    blank = [[0] * width for _ in range(QR_BORDER)]
    return [*blank, *([0] * QR_BORDER + list(row) + [0] * QR_BORDER for row in matrix), *blank]
