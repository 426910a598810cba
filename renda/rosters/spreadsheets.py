"""Reading and writing roster workbooks (.xlsx, openpyxl).

Writing: one data sheet (header row, then rows) and a second sheet "填写说明". Every
text is written as a string cell, so a value such as ``=HYPERLINK(...)`` typed into a
deputy's record never becomes a formula in someone's Excel.

Reading: the upload is checked (extension, size, zip sanity, headers, row count) before a
single row is handed to the importer; every refusal is a Chinese message.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.datavalidation import DataValidation

from renda.core.errors import ValidationFailed
from renda.core.watermark import Watermark, apply_watermark
from renda.rosters.columns import ROSTERS, YES, RosterSpec

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOTES_SHEET = "填写说明"
# An .xlsx is a zip; refuse one that inflates far beyond what a roster of the allowed size needs.
MAX_INFLATION = 40
MAX_BLANK_ROWS = 10_000  # blank rows tolerated among the data before the sheet counts as oversized

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
EXAMPLE_FONT = Font(italic=True, color="808080")


class RosterFileRejected(ValidationFailed):
    """The uploaded file as a whole cannot be imported (format, size, headers, rows)."""


@dataclass(frozen=True)
class SheetRow:
    number: int  # the row number Excel shows (the header is row 1)
    values: dict[str, str]  # column key -> cell text


# ---------------------------------------------------------------- writing


def _text_cell(ws: WriteOnlyWorksheet, value: object) -> Cell:
    if isinstance(value, int) and not isinstance(value, bool):
        return WriteOnlyCell(ws, value=value)
    cell = WriteOnlyCell(ws, value="" if value is None else str(value))
    cell.data_type = "s"  # never a formula
    return cell


TEMPLATE_ROWS = 2000  # rows of a blank template that get the drop-down lists


def build_workbook(
    spec: RosterSpec, rows: Iterable[Sequence[object]], *, example: bool = False, mark: Watermark | None = None
) -> bytes:
    """The roster as .xlsx bytes: header row, optionally the example row, then ``rows``; an export
    of real rows carries its exporter's ``mark`` (in the header and properties, never the cells)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(spec.title)
    for i, column in enumerate(spec.columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = column.width
    ws.freeze_panes = "A2"
    header = []
    for column in spec.columns:
        cell = _text_cell(ws, column.header)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        header.append(cell)
    ws.append(header)
    if example:
        cells = []
        for value in spec.example:
            cell = _text_cell(ws, value)
            cell.font = EXAMPLE_FONT
            cells.append(cell)
        ws.append(cells)
    count = 0
    for row in rows:
        ws.append([_text_cell(ws, value) for value in row])
        count += 1
    # Coded columns offer their values in a drop-down list (and refuse others as typed in Excel).
    last = max(TEMPLATE_ROWS, count + 1 + (1 if example else 0) + 200)
    for i, column in enumerate(spec.columns, start=1):
        if column.choices:
            listed = ",".join(column.choices)
            check = DataValidation(type="list", formula1=f'"{listed}"', allow_blank=not column.required)
            check.error, check.errorTitle = f"只能填 {'、'.join(column.choices)}", column.header
            check.prompt, check.promptTitle = column.note[:255], column.header
            check.showErrorMessage = check.showInputMessage = True
            letter = get_column_letter(i)
            check.add(f"{letter}2:{letter}{last}")
            ws.data_validations.append(check)
    _write_notes(wb, spec)
    if mark is not None:
        apply_watermark(wb, mark)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _write_notes(wb: Workbook, spec: RosterSpec) -> None:
    ws = wb.create_sheet(NOTES_SHEET)
    for letter, width in zip("ABCD", (20, 10, 80, 30), strict=True):
        ws.column_dimensions[letter].width = width
    wrap = Alignment(wrap_text=True, vertical="top")

    def line(*values: object, bold: bool = False) -> None:
        cells = []
        for value in values:
            cell = _text_cell(ws, value)
            cell.alignment = wrap
            if bold:
                cell.font = HEADER_FONT
            cells.append(cell)
        ws.append(cells)

    line(f"{spec.title}填写说明", bold=True)
    line("1. 第一行是表头，请勿修改、删除或调换列名；从第二行起每行一条记录。")
    line("2. 模板第二行是示例（灰色斜体），导入前请删除。")
    line(f"3. {spec.key_note}")
    line("4. 整个文件先全部检查：只要有一行有误，就不导入任何数据，页面会列出每一处问题（行号、列名、内容和原因）。")
    line("5. 导入文件中没有出现的已有记录保持不变，不会被删除。")
    line("6. 代码、编号和电话请按文本填写，避免 Excel 把它们变成科学计数法。")
    line("")
    line("列名", "是否必填", "填写要求", "示例", bold=True)
    for column in spec.columns:
        line(column.header, "必填" if column.required else "选填", column.note, column.example)


# ---------------------------------------------------------------- reading


def cell_text(value: object) -> str:
    """What a cell says, as the importer reads it: numbers Excel made of codes become digits again."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return YES if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).replace("\r\n", "\n").strip()


Rows = Iterator[Sequence[object]]


def _xlsx_rows(data: bytes, spec: RosterSpec) -> tuple[Rows, Callable[[], None]]:
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any failure to parse means the same thing to the user
        raise RosterFileRejected("文件无法读取：这不是有效的 .xlsx 文件，或文件已损坏") from None
    if not wb.worksheets:
        wb.close()
        raise RosterFileRejected("文件中没有工作表")
    # The roster's own sheet if it is there (users sometimes move 填写说明 first), else the first one.
    sheet = wb[spec.title] if spec.title in wb.sheetnames else wb.worksheets[0]
    return sheet.iter_rows(values_only=True), wb.close


def _xls_rows(data: bytes, spec: RosterSpec) -> tuple[Rows, Callable[[], None]]:
    """An Excel 97-2003 file (xlrd): dates come back as dates, whole numbers as digits."""
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
    except Exception:  # noqa: BLE001 - not a BIFF file, or a damaged one
        raise RosterFileRejected("文件无法读取：这不是有效的 .xls 文件，或文件已损坏") from None
    names = book.sheet_names()
    if not names:
        raise RosterFileRejected("文件中没有工作表")
    sheet = book.sheet_by_name(spec.title) if spec.title in names else book.sheet_by_index(0)

    def rows() -> Rows:
        for r in range(sheet.nrows):
            values: list[object] = []
            for cell in sheet.row(r):
                if cell.ctype == xlrd.XL_CELL_DATE:
                    values.append(xlrd.xldate_as_datetime(cell.value, book.datemode))
                elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                    values.append(bool(cell.value))
                elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
                    values.append(None)
                else:
                    values.append(cell.value)
            yield values

    return rows(), book.release_resources


def _check_zip(data: bytes, *, max_bytes: int) -> None:
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise RosterFileRejected("文件无法读取：这不是有效的 .xlsx 文件，或文件已损坏")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if sum(info.file_size for info in archive.infolist()) > max_bytes * MAX_INFLATION:
            raise RosterFileRejected("文件内容过大，无法导入，请分批导入")


def _match_headers(spec: RosterSpec, found: list[str]) -> dict[int, str]:
    """Position -> column key. Columns may come in any order; each must appear exactly once."""
    while found and not found[-1]:
        found.pop()
    if not found:
        raise RosterFileRejected("文件第一行没有表头：请使用本页下载的模板填写")
    by_header = {c.header: c.key for c in spec.columns}
    positions: dict[int, str] = {}
    problems: list[str] = []
    for index, header in enumerate(found):
        if not header:
            problems.append(f"第 {index + 1} 列没有列名")
        elif header not in by_header:
            problems.append(f"无法识别的列「{header}」")
        elif by_header[header] in positions.values():
            problems.append(f"列「{header}」重复")
        else:
            positions[index] = by_header[header]
    missing = [c.header for c in spec.columns if c.key not in positions.values()]
    if missing:
        problems.append("缺少列" + "".join(f"「{h}」" for h in missing))
    if problems:
        hint = "请使用本页下载的模板填写"
        for other in ROSTERS.values():
            if other is not spec and set(other.headers) <= set(found):
                hint = f"这像是{other.title}，请到{other.title}的导入页面上传"
        raise RosterFileRejected(f"表头与{spec.title}模板不一致：{'；'.join(problems)}。{hint}")
    return positions


def read_rows(upload: UploadedFile[bytes], spec: RosterSpec, *, max_rows: int, max_bytes: int) -> list[SheetRow]:
    """The non-empty data rows of the first sheet, or RosterFileRejected."""
    name = (upload.name or "").lower()
    legacy = name.endswith(".xls")
    if not (name.endswith(".xlsx") or legacy):
        raise RosterFileRejected(
            "只能导入 Excel 文件（.xlsx，或 Excel 97-2003 的 .xls）；.csv、.et 等文件请在 Excel 或 WPS 中“另存为”.xlsx 后再上传"
        )
    size = upload.size or 0
    if size > max_bytes:
        raise RosterFileRejected(f"文件太大：最大 {max_bytes // (1024 * 1024)} MB，请分批导入")
    data = upload.read(max_bytes + 1)
    if not data:
        raise RosterFileRejected("文件是空的，没有任何内容")
    if len(data) > max_bytes:
        raise RosterFileRejected(f"文件太大：最大 {max_bytes // (1024 * 1024)} MB，请分批导入")
    kind = ".xls" if legacy else ".xlsx"
    if legacy:
        iterator, close = _xls_rows(data, spec)
    else:
        _check_zip(data, max_bytes=max_bytes)
        iterator, close = _xlsx_rows(data, spec)
    try:
        first = next(iterator, None)
        if first is None or not any(cell_text(v) for v in first):
            raise RosterFileRejected("文件是空的：第一个工作表第一行应为表头，请使用本页下载的模板填写")
        positions = _match_headers(spec, [cell_text(v) for v in first])
        rows: list[SheetRow] = []
        for number, values in enumerate(iterator, start=2):
            if number > max_rows + MAX_BLANK_ROWS:  # a sheet that claims a million (mostly blank) rows
                raise RosterFileRejected(f"数据超过 {max_rows} 行的上限，请分批导入")
            texts = {key: "" for key in positions.values()}
            extra = False
            for index, value in enumerate(values):
                text = cell_text(value)
                if index in positions:
                    texts[positions[index]] = text
                elif text:
                    extra = True
            if not any(texts.values()) and not extra:
                continue
            if extra:
                raise RosterFileRejected(f"第 {number} 行在表头以外的列填写了内容，请只在模板的各列中填写")
            rows.append(SheetRow(number=number, values=texts))
            if len(rows) > max_rows:
                raise RosterFileRejected(f"数据超过 {max_rows} 行的上限，请分批导入")
    except RosterFileRejected:
        raise
    except Exception:  # noqa: BLE001 - a damaged sheet fails while rows are read
        raise RosterFileRejected(f"文件无法读取：这不是有效的 {kind} 文件，或文件已损坏") from None
    finally:
        close()
    if not rows:
        raise RosterFileRejected("文件中没有数据：表头下面没有任何一行")
    return rows
