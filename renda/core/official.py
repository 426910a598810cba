"""Documents an office prints, in the layout of 党政机关公文格式 (GB/T 9704-2012), as Word
(python-docx) and PDF (reportlab) from one description.

A4 paper; margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm, so the 版心 is 156 × 225 mm;
the title in 方正小标宋简体 二号 (22 pt), the body in 仿宋_GB2312 三号 (16 pt) on 22 lines of
28 characters (a fixed line pitch of 225 mm / 22); first-level headings in 黑体, second-level in
楷体_GB2312; page numbers "— 1 —" in 宋体 四号 under the 版心.

Word names the fonts and the office's machine supplies them. A PDF must carry its fonts: it
embeds TrueType CJK faces found on the server (Debian's fonts-arphic-uming for 宋/仿宋 text and
fonts-arphic-ukai for 楷体; ``OFFICIAL_PDF_FONTS`` names others). Without any, it falls back to
reportlab's built-in STSong-Light, which the reader's viewer must supply, and logs a warning.

A document is a list of blocks (title, paragraph, heading, table, signature, page break) built
with :class:`Official`; ``docx()`` and ``pdf()`` render it.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.conf import settings
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.text.paragraph import Paragraph

logger = logging.getLogger(__name__)

PAGE_W_MM, PAGE_H_MM = 210, 297
MARGIN_TOP_MM, MARGIN_BOTTOM_MM, MARGIN_LEFT_MM, MARGIN_RIGHT_MM = 37, 35, 28, 26
LINES_PER_PAGE = 22
CHARS_PER_LINE = 28
TEXT_W_MM = PAGE_W_MM - MARGIN_LEFT_MM - MARGIN_RIGHT_MM  # 156
TEXT_H_MM = PAGE_H_MM - MARGIN_TOP_MM - MARGIN_BOTTOM_MM  # 225
LINE_PT = TEXT_H_MM / 25.4 * 72 / LINES_PER_PAGE  # 28.95 pt

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEAD_FONT = "黑体"
HEAD2_FONT = "楷体_GB2312"
PAGE_FONT = "宋体"
TITLE_PT, BODY_PT, SMALL_PT, TABLE_PT = 22.0, 16.0, 14.0, 12.0  # 二号, 三号, 四号, 小四


@dataclass
class Block:
    kind: str  # title, para, heading, heading2, table, signature, break, blank
    text: str = ""
    align: str = "left"
    indent: bool = True
    size: float = BODY_PT
    bold: bool = False
    rows: list[list[str]] = field(default_factory=list)
    widths: list[float] = field(default_factory=list)  # table column shares, summing to about 1
    lines: list[str] = field(default_factory=list)


class Official:
    """One document: add blocks in reading order, then render with ``docx()`` or ``pdf()``."""

    def __init__(self, *, landscape: bool = False) -> None:
        self.blocks: list[Block] = []
        self.landscape = landscape

    def title(self, text: str) -> Official:
        self.blocks.append(Block("title", text, align="center", indent=False, size=TITLE_PT))
        return self

    def para(
        self, text: str = "", *, align: str = "left", indent: bool = True, size: float = BODY_PT, bold: bool = False
    ) -> Official:
        self.blocks.append(Block("para", text, align=align, indent=indent and align == "left", size=size, bold=bold))
        return self

    def paras(self, text: str) -> Official:
        for line in text.splitlines():
            if line.strip():
                self.para(line.strip())
        return self

    def heading(self, text: str, *, level: int = 1) -> Official:
        self.blocks.append(Block("heading" if level == 1 else "heading2", text, indent=True))
        return self

    def blank(self) -> Official:
        self.blocks.append(Block("blank"))
        return self

    def table(
        self, rows: Sequence[Sequence[object]], *, widths: Sequence[float] = (), size: float = TABLE_PT
    ) -> Official:
        """A table with its header row first."""
        self.blocks.append(Block("table", rows=[[str(c) for c in row] for row in rows], widths=list(widths), size=size))
        return self

    def signature(self, *lines: str) -> Official:
        """The issuer and the date, right-aligned, a little in from the right edge (落款)."""
        self.blocks.append(Block("signature", lines=[line for line in lines if line]))
        return self

    def page_break(self) -> Official:
        self.blocks.append(Block("break"))
        return self

    def docx(self) -> bytes:
        return _to_docx(self)

    def pdf(self) -> bytes:
        return _to_pdf(self)


# ------------------------------------------------------------------ Word


def _fonts(run: Any, font: str) -> None:
    run.font.name = font
    rpr = run._element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia"):
        rfonts.set(qn(attribute), font)


def _add(p: Paragraph, text: str, *, font: str = BODY_FONT, size: float = BODY_PT, bold: bool = False) -> None:
    run = p.add_run(text)
    _fonts(run, font)
    run.font.size = Pt(size)
    run.bold = bold


def _page_number(section: Any) -> None:
    """— 1 — centred in the footer (GB/T 9704 7.5: 4 号半角宋体阿拉伯数字, with a dash either side)."""
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _add(footer, "— ", font=PAGE_FONT, size=SMALL_PT)
    run = footer.add_run()
    _fonts(run, PAGE_FONT)
    run.font.size = Pt(SMALL_PT)
    for kind, text in (("begin", ""), ("instr", " PAGE "), ("separate", ""), ("end", "")):
        if kind == "instr":
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        else:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        run._r.append(element)
    _add(footer, " —", font=PAGE_FONT, size=SMALL_PT)


def _to_docx(doc: Official) -> bytes:
    document = Document()
    section = document.sections[0]
    if doc.landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Mm(PAGE_H_MM), Mm(PAGE_W_MM)
    else:
        section.page_width, section.page_height = Mm(PAGE_W_MM), Mm(PAGE_H_MM)
    section.top_margin, section.bottom_margin = Mm(MARGIN_TOP_MM), Mm(MARGIN_BOTTOM_MM)
    section.left_margin, section.right_margin = Mm(MARGIN_LEFT_MM), Mm(MARGIN_RIGHT_MM)
    section.footer_distance = Mm(MARGIN_BOTTOM_MM - 7)  # the page number 7 mm under the 版心
    normal = document.styles["Normal"]
    normal.font.size = Pt(BODY_PT)
    _fonts(normal, BODY_FONT)
    fmt = normal.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(LINE_PT)
    fmt.space_before = fmt.space_after = Pt(0)
    _page_number(section)
    text_width = Mm((PAGE_H_MM if doc.landscape else PAGE_W_MM) - MARGIN_LEFT_MM - MARGIN_RIGHT_MM)
    aligns = {"center": WD_ALIGN_PARAGRAPH.CENTER, "right": WD_ALIGN_PARAGRAPH.RIGHT}
    for block in doc.blocks:
        if block.kind == "table":
            _docx_table(document, block, text_width)
            continue
        p = document.add_paragraph()
        if block.kind == "break":
            p.add_run().add_break(WD_BREAK.PAGE)
        elif block.kind == "title":
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            p.paragraph_format.line_spacing = Pt(LINE_PT * 1.25)  # a 二号 title keeps its own pitch
            _add(p, block.text, font=TITLE_FONT, size=TITLE_PT)
        elif block.kind in ("heading", "heading2"):
            p.paragraph_format.first_line_indent = Pt(BODY_PT * 2)
            _add(p, block.text, font=HEAD_FONT if block.kind == "heading" else HEAD2_FONT)
        elif block.kind == "signature":
            for i, line in enumerate(block.lines):
                if i:
                    p = document.add_paragraph()
                p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                p.paragraph_format.right_indent = Pt(BODY_PT * 4)  # 右空四字
                _add(p, line)
        elif block.kind == "para":
            if block.align in aligns:
                p.alignment = aligns[block.align]
            if block.indent:
                p.paragraph_format.first_line_indent = Pt(block.size * 2)  # 首行缩进二字
            _add(p, block.text, size=block.size, bold=block.bold)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _docx_table(document: Any, block: Block, text_width: Any) -> None:
    if not block.rows:
        return
    columns = max(len(r) for r in block.rows)
    table = document.add_table(rows=0, cols=columns)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    shares = block.widths if len(block.widths) == columns else [1 / columns] * columns
    for n, values in enumerate(block.rows):
        cells = table.add_row().cells
        for i in range(columns):
            cell = cells[i]
            cell.width = int(text_width * shares[i])
            p = cell.paragraphs[0]
            p.paragraph_format.line_spacing = Pt(block.size * 1.5)
            p.paragraph_format.first_line_indent = Pt(0)
            if n == 0:
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _add(p, values[i] if i < len(values) else "", font=HEAD_FONT if n == 0 else BODY_FONT, size=block.size)
    if len(block.rows) > 1:  # the header row repeats on every page
        header = table.rows[0]._tr.get_or_add_trPr()
        repeat = OxmlElement("w:tblHeader")
        repeat.set(qn("w:val"), "true")
        header.append(repeat)


# ------------------------------------------------------------------ PDF

DEFAULT_PDF_FONTS = {
    "body": ["/usr/share/fonts/truetype/arphic/uming.ttc"],
    "kai": ["/usr/share/fonts/truetype/arphic/ukai.ttc", "/usr/share/fonts/truetype/arphic/uming.ttc"],
}
FALLBACK_CID = "STSong-Light"


@cache
def pdf_fonts() -> dict[str, str]:
    """The reportlab font names for body and 楷 text: embedded TrueType faces where the server
    has them, else the built-in CID font (not embedded)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    configured: dict[str, list[str]] = getattr(settings, "OFFICIAL_PDF_FONTS", None) or DEFAULT_PDF_FONTS
    found: dict[str, str] = {}
    for role, paths in configured.items():
        for path in paths:
            if not os.path.exists(path):
                continue
            name = f"Official-{role}"
            try:
                pdfmetrics.registerFont(TTFont(name, path, subfontIndex=0))
            except Exception as exc:  # a CFF-outline OpenType face: reportlab embeds TrueType only
                logger.warning("PDF font %s not usable: %s", path, exc)
                continue
            found[role] = name
            break
    if "body" not in found:
        logger.warning("No TrueType CJK font found for PDFs (install fonts-arphic-uming): using %s", FALLBACK_CID)
        pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_CID))
        found["body"] = FALLBACK_CID
    found.setdefault("kai", found["body"])
    return found


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _to_pdf(doc: Official) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_RIGHT
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, Spacer, Table, TableStyle
    from reportlab.platypus import Paragraph as PdfParagraph
    from reportlab.platypus.doctemplate import SimpleDocTemplate

    fonts = pdf_fonts()
    body, kai = fonts["body"], fonts["kai"]
    size = landscape(A4) if doc.landscape else A4
    out = io.BytesIO()
    template = SimpleDocTemplate(
        out,
        pagesize=size,
        topMargin=MARGIN_TOP_MM * mm,
        bottomMargin=MARGIN_BOTTOM_MM * mm,
        leftMargin=MARGIN_LEFT_MM * mm,
        rightMargin=MARGIN_RIGHT_MM * mm,
        title=next((b.text for b in doc.blocks if b.kind == "title"), "文件"),
        author="基层人大工作平台",
    )
    base = {"fontName": body, "fontSize": BODY_PT, "leading": LINE_PT, "wordWrap": "CJK"}
    styles = {
        "title": ParagraphStyle(
            "title", **{**base, "fontSize": TITLE_PT, "leading": LINE_PT * 1.25}, alignment=TA_CENTER
        ),
        "para": ParagraphStyle("para", **base, alignment=TA_JUSTIFY, firstLineIndent=BODY_PT * 2),
        "flat": ParagraphStyle("flat", **base, alignment=TA_JUSTIFY),
        "center": ParagraphStyle("center", **base, alignment=TA_CENTER),
        "right": ParagraphStyle("right", **base, alignment=TA_RIGHT, rightIndent=BODY_PT * 4),
        "heading": ParagraphStyle("heading", **{**base, "fontName": kai}, firstLineIndent=BODY_PT * 2),
    }
    story: list[Any] = []
    width = size[0] - (MARGIN_LEFT_MM + MARGIN_RIGHT_MM) * mm
    for block in doc.blocks:
        if block.kind == "break":
            story.append(PageBreak())
        elif block.kind == "blank":
            story.append(Spacer(1, LINE_PT))
        elif block.kind == "title":
            story.append(PdfParagraph(_escape(block.text), styles["title"]))
        elif block.kind in ("heading", "heading2"):
            # 黑体 has no free TrueType face here: first-level headings are bold 楷体 in the PDF.
            text = f"<b>{_escape(block.text)}</b>" if block.kind == "heading" else _escape(block.text)
            story.append(PdfParagraph(text, styles["heading"]))
        elif block.kind == "signature":
            story.extend(PdfParagraph(_escape(line), styles["right"]) for line in block.lines)
        elif block.kind == "para":
            key = {"center": "center", "right": "right"}.get(block.align, "para" if block.indent else "flat")
            style = styles[key]
            if block.size != BODY_PT:
                style = ParagraphStyle(
                    f"{key}-{block.size}", parent=style, fontSize=block.size, leading=block.size * 1.6
                )
            text = _escape(block.text) or "&nbsp;"
            story.append(PdfParagraph(f"<b>{text}</b>" if block.bold else text, style))
        elif block.kind == "table" and block.rows:
            columns = max(len(r) for r in block.rows)
            shares = block.widths if len(block.widths) == columns else [1 / columns] * columns
            cell = ParagraphStyle("cell", fontName=body, fontSize=block.size, leading=block.size * 1.4, wordWrap="CJK")
            head = ParagraphStyle("head", parent=cell, alignment=TA_CENTER)
            data = [
                [PdfParagraph(_escape(v), head if n == 0 else cell) for v in row + [""] * (columns - len(row))]
                for n, row in enumerate(block.rows)
            ]
            table = Table(data, colWidths=[width * s for s in shares], repeatRows=1)
            table.setStyle(
                TableStyle(
                    [
                        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                        ("TOPPADDING", (0, 0), (-1, -1), 4),
                        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                    ]
                )
            )
            story.append(table)

    def number(canvas: Any, _template: Any) -> None:
        canvas.saveState()
        canvas.setFont(body, SMALL_PT)
        canvas.drawCentredString(size[0] / 2, (MARGIN_BOTTOM_MM - 12) * mm, f"— {canvas.getPageNumber()} —")
        canvas.restoreState()

    template.build(story, onFirstPage=number, onLaterPages=number)
    return out.getvalue()


# ------------------------------------------------------------------ serving

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download(content: bytes, name: str, content_type: str) -> Any:
    """A file to save, under its Chinese name (RFC 6266 ``filename*``, with an ASCII fallback)."""
    from urllib.parse import quote

    from django.http import HttpResponse

    response = HttpResponse(content, content_type=content_type)
    fallback = "".join(c if c.isascii() and (c.isalnum() or c in ".-_") else "_" for c in name)
    response["Content-Disposition"] = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"
    response["Cache-Control"] = "no-store"
    return response


def serve(doc: Official, name: str, fmt: str) -> Any:
    """``doc`` as Word (``fmt`` "docx") or PDF, named ``name`` plus the extension."""
    if fmt == "pdf":
        return download(doc.pdf(), f"{name}.pdf", "application/pdf")
    return download(doc.docx(), f"{name}.docx", DOCX_TYPE)
