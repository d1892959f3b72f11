"""A spreadsheet (.xls, .xlsx, Kingsoft .et, .ods) to a Document with python-calamine.

Some offices publish the report's tables as a workbook: one sheet per table, or all three
on one sheet with text rows between them. Every sheet becomes a Table (merged ranges
expanded and marked `spanned`, as HTML's rowspan/colspan are), and a row with a single
text cell before a table, or a section heading, becomes a Paragraph, so a heading like
"三、收到和处理政府信息公开申请情况" typed into column A still opens its section.
A whole number stored as a float (3.0) prints as 3. Pure: bytes in, Document out.
"""

from __future__ import annotations

import io
from datetime import date, datetime, time

from parsers.document import Cell, Document, Paragraph, Table, oversized_zip, raised_by_input
from parsers.labels import clean_text
from parsers.sections import section_number


def _printed(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return clean_text(str(value))


def _sheet_blocks(sheet) -> list:
    rows = [[_printed(value) for value in row] for row in sheet.to_python(skip_empty_area=False)]
    spanned: set[tuple[int, int]] = set()
    for (top, left), (bottom, right) in sheet.merged_cell_ranges or []:
        for r in range(top, bottom + 1):
            for c in range(left, right + 1):
                if (r, c) != (top, left):
                    spanned.add((r, c))
                    if r < len(rows) and c < len(rows[r]) and top < len(rows) and left < len(rows[top]):
                        rows[r][c] = rows[top][left]
    blocks: list = []
    table: Table | None = None
    for r, row in enumerate(rows):
        printed = [c for c, text in enumerate(row) if text and (r, c) not in spanned]
        if not printed:
            continue
        alone = len(printed) == 1 and not any(text for c, text in enumerate(row) if c != printed[0])
        # A lone text is a table row (规章 with its zeros left blank) once a table is open,
        # unless it is a section heading.
        if alone and (table is None or section_number(row[printed[0]])):
            blocks.append(Paragraph(row[printed[0]]))
            table = None
            continue
        if table is None:
            table = Table([])
            blocks.append(table)
        table.rows.append([Cell(text, spanned=(r, c) in spanned) for c, text in enumerate(row)])
    for block in blocks:  # a sheet's used area is as wide as its widest table: cut the rest
        if isinstance(block, Table):
            width = max(max((c + 1 for c, cell in enumerate(row) if cell.text), default=0) for row in block.rows)
            block.rows = [row[:width] for row in block.rows]
    return blocks


def document_from_sheet(data: bytes) -> Document:
    from python_calamine import CalamineError, CalamineWorkbook

    document = Document()
    too_large = oversized_zip(data)  # .xlsx is a zip; .xls/.et are OLE files, read as they are
    if too_large:
        document.failed = True
        document.problems.append(f"spreadsheet {too_large}")
        return document
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        for name in workbook.sheet_names:
            document.blocks.extend(_sheet_blocks(workbook.get_sheet_by_name(name)))
    except Exception as error:  # noqa: BLE001 - a broken workbook raises calamine's own errors
        # calamine is compiled: its errors end in our frame, so name them.
        if not (isinstance(error, CalamineError) or raised_by_input(error)):
            raise
        document.failed = True
        document.blocks = []
        document.problems.append(f"spreadsheet unreadable: {type(error).__name__}: {str(error)[:120]}")
        return document
    if not document.blocks:
        document.failed = True
        document.problems.append("spreadsheet has no cells")
    return document
