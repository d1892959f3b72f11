"""Render a ReportSpec as the bytes a portal would serve: an HTML body fragment, a PDF, a DOCX or plain text.

Pure: spec in, bytes out, no files touched. Each report picks its rendering variants
(heading style, Word-paste noise, text table layout, table 3 split in the PDF) from
`spec.style`, so a world is reproducible byte for byte.

The tables are built once as a grid of cells with rowspan/colspan (the 2021 template's
real layout: table 3 has 10 columns, the group labels （三）…（六） span their items),
and every form draws that grid its own way.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from dataclasses import dataclass

from parsers.template import (
    LAYOUT_2019,
    LAYOUT_LEGACY,
    LEGACY_ROWS,
    SECTIONS,
    TABLE2_DOCUMENT_COLUMNS,
    TABLE2_DOCUMENT_ROWS,
    TABLE2_LAYOUT_2019,
    TABLE2_SINGLE_ROWS,
    TABLE3_COLUMNS,
    TABLE3_COLUMN_KEYS,
    TABLE3_LAYOUTS,
    TABLE3_ROWS,
    TABLE4_COLUMNS,
    TABLE4_GROUP_KEYS,
)

from .reports import LEGACY_WORDINGS, ReportSpec, _plain_number

FORMS: tuple[str, ...] = ("html_body", "pdf", "docx", "text", "text_oneline", "text_glued", "text_spaced")
TABLE3_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"


@dataclass
class Cell:
    text: str
    rowspan: int = 1
    colspan: int = 1
    number: bool = False  # a value cell (gets digit noise), not a label


Grid = list[list[Cell]]  # HTML-style: each row lists only the cells that start in it


def cell_text(spec: ReportSpec, path: str, value) -> str:
    """How a number is printed: spec.printed's text if it has one, else plain digits."""
    if path in spec.printed:
        return spec.printed[path]
    return "" if value is None else _plain_number(value)


# --- the three tables as grids ---------------------------------------------------------


def table2_grid(spec: ReportSpec) -> Grid:
    if spec.table2_2019 is not None:
        return table2_2019_grid(spec)
    t2 = spec.table2
    grid: Grid = [[Cell("第二十条第（一）项", colspan=4)],
                  [Cell("信息内容")] + [Cell(label) for _, label in TABLE2_DOCUMENT_COLUMNS]]
    for key, label in TABLE2_DOCUMENT_ROWS:
        grid.append([Cell(label)] + [Cell(cell_text(spec, f"table2.{key}.{col}", t2[key][col]), number=True)
                                     for col, _ in TABLE2_DOCUMENT_COLUMNS])
    block = None
    for key, label, item, column in TABLE2_SINGLE_ROWS:
        if item != block:
            block = item
            grid.append([Cell(item, colspan=4)])
            grid.append([Cell("信息内容"), Cell(column, colspan=3)])
        grid.append([Cell(label), Cell(cell_text(spec, f"table2.{key}", t2[key]), colspan=3, number=True)])
    return grid


def table2_2019_grid(spec: ReportSpec) -> Grid:
    """The trial layout's table 2: five blocks, each with its own header row (4 columns)."""
    t2 = spec.table2_2019
    grid: Grid = []
    block = None
    for row in TABLE2_LAYOUT_2019:
        if row.block != block:
            block = row.block
            grid.append([Cell(row.block, colspan=4)])
            headers = [Cell(column.header) for column in row.columns]
            headers[-1].colspan = 4 - len(row.columns)
            grid.append([Cell("信息内容")] + headers)
        values = [Cell(cell_text(spec, f"table2_2019.{row.key}.{column.key}", t2[row.key][column.key]), number=True)
                  for column in row.columns]
        values[-1].colspan = 4 - len(row.columns)
        grid.append([Cell(row.label)] + values)
    return grid


def _row_label(spec: ReportSpec, row) -> str:
    return spec.label_variants.get(row.key, row.label)


def table3_grid(spec: ReportSpec) -> Grid:
    """10 columns: 三、 | group | item | six applicant columns | 总计; missing rows (None) are left out."""
    t3 = spec.table3
    columns = dict(TABLE3_COLUMNS)
    columns.update({k: v for k, v in spec.label_variants.items() if k in columns})
    grid: Grid = [
        [Cell(TABLE3_NOTE, rowspan=3, colspan=3), Cell("申请人情况", colspan=7)],
        [Cell(columns["natural_person"], rowspan=2), Cell("法人或其他组织", colspan=5), Cell(columns["total"], rowspan=2)],
        [Cell(columns[k]) for k in TABLE3_COLUMN_KEYS[1:6]],
    ]
    rows = TABLE3_LAYOUTS[spec.format] if spec.format in TABLE3_LAYOUTS else TABLE3_ROWS
    present = [row for row in rows if any(v is not None for v in t3[row.key].values())]
    result_rows = [row for row in present if row.group == "三、本年度办理结果" or row.group.startswith("（")]
    started: set[str] = set()
    for row in present:
        values = [Cell(cell_text(spec, f"table3.{row.key}.{col}", t3[row.key][col]), number=True)
                  for col in TABLE3_COLUMN_KEYS]
        cells: list[Cell] = []
        if row.group == "":
            cells.append(Cell(_row_label(spec, row), colspan=3))
        else:
            if "三、本年度办理结果" not in started:
                started.add("三、本年度办理结果")
                cells.append(Cell("三、本年度办理结果", rowspan=len(result_rows)))
            if row.group.startswith("（"):
                if row.group not in started:
                    started.add(row.group)
                    cells.append(Cell(row.group, rowspan=sum(r.group == row.group for r in present)))
                cells.append(Cell(_row_label(spec, row)))
            else:
                cells.append(Cell(_row_label(spec, row), colspan=2))
        grid.append(cells + values)
    return grid


def table4_grid(spec: ReportSpec) -> Grid:
    t4 = spec.table4
    labels = [label for _, label in TABLE4_COLUMNS]
    split = spec.style % 5 == 0  # headers broken by spaces, as in seed 002
    if split:
        labels = [" ".join(label) if len(label) == 4 else label for label in labels]
    grid: Grid = [
        [Cell("行政复议", colspan=5), Cell("行政诉讼", colspan=10)],
        [Cell(label, rowspan=2) for label in labels] + [Cell("未经复议直接起诉", colspan=5), Cell("复议后起诉", colspan=5)],
        [Cell(label) for label in labels * 2],
        [Cell(cell_text(spec, f"table4.{group}.{col}", t4[group][col]), number=True)
         for group in TABLE4_GROUP_KEYS for col, _ in TABLE4_COLUMNS],
    ]
    return grid


def occupancy(grid: Grid) -> list[list[tuple[str, Cell | None]]]:
    """The grid as a full matrix: ("cell", c) where a cell starts, ("row", None) under a rowspan, ("col", None) right of a colspan."""
    matrix: list[list] = []
    pending: dict[tuple[int, int], tuple[str, None]] = {}
    for r, row in enumerate(grid):
        line: list = []
        cells = iter(row)
        c = 0
        while True:
            if (r, c) in pending:
                line.append(pending.pop((r, c)))
                c += 1
                continue
            cell = next(cells, None)
            if cell is None:
                break
            line.append(("cell", cell))
            for dc in range(1, cell.colspan):
                line.append(("col", None))
            for dr in range(1, cell.rowspan):
                for dc in range(cell.colspan):
                    pending[(r + dr, c + dc)] = ("row", None)
            c += cell.colspan
        matrix.append(line)
    return matrix


# --- blocks: the report as a sequence of title, headings, paragraphs and tables -------

Block = tuple  # ("title", text) | ("heading", text) | ("para", text) | ("table", Grid)


def report_blocks(spec: ReportSpec) -> list[Block]:
    if spec.seed_text is not None:
        return seed_blocks(spec.seed_text)
    if spec.format == LAYOUT_LEGACY:
        return _pre2020_blocks(spec)
    blocks: list[Block] = [("title", spec.title)]
    notice = "国办公开办函〔2019〕60号" if spec.format == LAYOUT_2019 else "国办公开办函〔2021〕30号"
    blocks.append(("para", f"根据《中华人民共和国政府信息公开条例》和{notice}要求，现发布{spec.title}。"
                           f"本报告统计数据从{spec.year}年1月1日至{spec.year}年12月31日。"))
    grids = {"2": table2_grid, "3": table3_grid, "4": table4_grid}
    for section in SECTIONS:
        blocks.append(("heading", f"{section.numeral}、{section.heading}"))
        if section.number in grids:
            blocks.append(("table", grids[section.number](spec)))
        for line in (spec.sections or {}).get(section.number, "").split("\n"):
            if line:
                blocks.append(("para", line))
    return blocks


# Where each legacy figure sits in the 统计指标 list: the section rows it is printed under.
_LEGACY_SECTIONS = (
    ("一、主动公开情况", ("active_disclosed", "active_normative_documents", "normative_documents_issued")),
    ("二、依申请公开情况", ("applications_received", "applications_in_person", "applications_fax",
                      "applications_online", "applications_letter", "applications_completed", "replies",
                      "replies_already_public", "replies_granted", "replies_partially_granted", "replies_denied",
                      "replies_not_this_agency", "replies_not_held", "replies_clarify", "replies_other_channel")),
    ("三、行政复议、诉讼和举报投诉情况", ("reviews", "suits", "complaints")),
    ("四、收费情况", ("fees",)),
)
_LEGACY_SUBITEMS = {"applications_in_person", "applications_fax", "applications_online", "applications_letter",
                    "replies_already_public", "replies_granted", "replies_partially_granted", "replies_denied",
                    "replies_not_this_agency", "replies_not_held", "replies_clarify", "replies_other_channel"}


def legacy_grid(spec: ReportSpec) -> Grid:
    """The 统计指标 | 单位 | 统计数 table in one province's wording; rows it does not print are left out."""
    wording = LEGACY_WORDINGS[int(spec.printed.get("wording", "0"))]
    labels = {row.key: wording.get(row.key, row.label) for row in LEGACY_ROWS}
    grid: Grid = [[Cell("统计指标"), Cell("单位"), Cell("统计数")]]
    for heading, keys in _LEGACY_SECTIONS:
        grid.append([Cell(heading), Cell(""), Cell("")])
        number = 0
        for key in keys:
            value = spec.legacy[key]
            if value is None:
                continue
            number += 1
            enumerator = f"{number}." if key in _LEGACY_SUBITEMS else f"（{'一二三四五六七八九十'[min(number, 10) - 1]}）"
            if key in ("active_normative_documents", "normative_documents_issued"):
                enumerator = "其中："
            unit = "万元" if key == "fees" else "条" if key.startswith("active") else "件"
            grid.append([Cell(enumerator + labels[key]), Cell(unit), Cell(cell_text(spec, f"legacy.{key}", value),
                                                                          number=True)])
    return grid


def _pre2020_blocks(spec: ReportSpec) -> list[Block]:
    count = spec.legacy["active_disclosed"]
    return [("title", spec.title),
            ("para", "本报告根据《中华人民共和国政府信息公开条例》要求编制，全文包括概述、主动公开政府信息情况、"
                     "依申请公开政府信息情况、政府信息公开收费及减免情况、因政府信息公开申请提起行政复议和行政诉讼情况、"
                     "存在的主要问题及改进情况等。"),
            ("heading", "一、概述"),
            ("para", f"{spec.year}年，{spec.agency}认真贯彻落实《中华人民共和国政府信息公开条例》"
                     + (f"，主动公开政府信息{count}条。" if count is not None else "。")),
            ("heading", "二、统计数据"), ("table", legacy_grid(spec))]


_SEED_HEADING = re.compile(r"^(#+\s*)?(\*\*)?[一二三四五六]、")


def seed_blocks(text: str) -> list[Block]:
    """A seed's text as blocks: tab rows (seeds 000–003) and one-cell-a-line `|` rows (seed 004) become tables."""
    lines = text.splitlines()
    blocks: list[Block] = []
    rows: list[list[str]] = []
    pipe_row: list[str] | None = None

    def flush():
        nonlocal rows
        if rows:
            blocks.append(("table", [[Cell(c) for c in row] for row in rows]))
            rows = []

    title_done = False
    for line in lines:
        if pipe_row is not None:
            if line == "|":
                if pipe_row:
                    rows.append(pipe_row)
                pipe_row = []
                continue
            if re.fullmatch(r"\|+", line):
                continue
            if line.endswith("|"):
                pipe_row.append(line[:-1].strip())
                continue
            if pipe_row:
                rows.append(pipe_row)
            pipe_row = None
        if line == "|":
            flush()
            pipe_row = []
            continue
        if "\t" in line:
            rows.append(line.split("\t"))
            continue
        flush()
        stripped = line.strip()
        if not stripped:
            continue
        if not title_done:
            blocks.append(("title", stripped.lstrip("# ").strip()))
            title_done = True
        elif _SEED_HEADING.match(stripped) and len(stripped) < 40:
            blocks.append(("heading", stripped.lstrip("# ").replace("**", "")))
        else:
            blocks.append(("para", stripped.lstrip("# ").replace("**", "")))
    if pipe_row:
        rows.append(pipe_row)
    flush()
    return blocks


# --- HTML -------------------------------------------------------------------------------


def _noisy(text: str, style: int, number: bool = False) -> str:
    """Escape text and add the Word-paste noise of this report's style (digits split over spans)."""
    escaped = html.escape(text, quote=False)
    if style % 4 == 1 and (number or len(text) > 20):
        # Word-paste: digits over spans; in some reports a stray space between them (`2 1`)
        gap = " " if number and style % 8 == 5 else ""
        escaped = re.sub(r"(\d)(?=\d)", rf'\1</span>{gap}<span lang="EN-US">', escaped)
        escaped = f'<span lang="EN-US">{escaped}</span>'
    if style % 4 == 2:
        escaped = f'<font face="仿宋_GB2312">{escaped}</font>'
    return escaped


def _html_table(grid: Grid, style: int) -> str:
    out = ['<table class="MsoNormalTable" border="1" cellspacing="0" cellpadding="0" style="border-collapse:collapse;width:100%"><tbody>']
    for row in grid:
        out.append('<tr style="height:20px">')
        for cell in row:
            attrs = ""
            if cell.rowspan > 1:
                attrs += f' rowspan="{cell.rowspan}"'
            if cell.colspan > 1:
                attrs += f' colspan="{cell.colspan}"'
            content = _noisy(cell.text, style, cell.number) if cell.text else "&nbsp;"
            out.append(f'<td{attrs} valign="center"><p class="MsoNormal" align="center">{content}<o:p></o:p></p></td>')
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def render_html_body(spec: ReportSpec) -> str:
    style = spec.style
    parts = []
    for block in report_blocks(spec):
        kind = block[0]
        if kind == "title":
            parts.append(f'<p style="text-align:center"><strong><span style="font-size:22px">{html.escape(block[1])}</span></strong></p>')
        elif kind == "heading":
            text = html.escape(block[1])
            parts.append((f"<h3>{text}</h3>", f"<p><strong>{text}</strong></p>",
                          f'<p style="text-indent:2em"><b><span style="font-family:黑体">{text}</span></b><o:p></o:p></p>')[style % 3])
        elif kind == "para":
            lead = "&nbsp;&nbsp;&nbsp;&nbsp;" if style % 2 else ""
            parts.append(f'<p class="MsoNormal" style="text-indent:2em;line-height:28px">{lead}{_noisy(block[1], style)}<o:p></o:p></p>')
        else:
            parts.append(_html_table(block[1], style))
    return "\n".join(parts) + "\n"


# --- text -------------------------------------------------------------------------------


def _text_table(grid: Grid, layout: int) -> list[str]:
    matrix = occupancy(grid)
    lines: list[str] = []
    for line in matrix:
        cells = [c.text for kind, c in line if kind == "cell"]
        if layout == 0:  # tab rows: cells under a rowspan print as empty, as in seeds 000-003
            lines.append("\t".join(c.text if kind == "cell" else "" for kind, c in line if kind != "col"))
        elif layout == 1:  # seed 004: one cell a line between `|` lines, colspans as trailing pipes
            lines.append("|")
            lines.extend(f"{text} |" for text in cells)
            extra = sum(1 for kind, _ in line if kind == "col")
            if extra:
                lines.append("|" * extra)
        else:  # pipe rows
            lines.append(" | ".join(cells) + " |")
    return lines


def render_text(spec: ReportSpec) -> str:
    if spec.seed_text is not None:
        return spec.seed_text
    layout = spec.style % 3
    markdown = (spec.style >> 3) % 2 == 1
    lines: list[str] = []
    for block in report_blocks(spec):
        kind = block[0]
        if kind == "title":
            lines += [block[1], ""]
        elif kind == "heading":
            lines += [f"## {block[1]}" if markdown else block[1], ""]
        elif kind == "para":
            lines += [block[1], ""]
        else:
            lines += _text_table(block[1], layout) + [""]
    return "\n".join(lines)


# --- one line of page text ------------------------------------------------------------

ONE_LINE_FORMS = {"text_oneline": " ", "text_glued": "", "text_spaced": " "}


def _split_digits(text: str, salt: int) -> str:
    """A Word-pasted number with a stray space inside it: 123 -> 1 23 (every other one)."""
    if len(text) < 2 or not text.isdigit() or salt % 2:
        return text
    cut = 1 + salt % (len(text) - 1)
    return text[:cut] + " " + text[cut:]


def render_one_line(spec: ReportSpec, form: str) -> str:
    """The report as the single line of text a page scrape yields: every block and table
    cell in reading order, separated by one space (text_oneline), by nothing (text_glued),
    or by spaces with some numbers split by a stray space (text_spaced). A blank cell
    leaves nothing, as it does in a real scrape."""
    separator = ONE_LINE_FORMS[form]
    pieces: list[str] = []
    salt = spec.style
    for block in report_blocks(spec):
        if block[0] != "table":
            pieces.append(block[1])
            continue
        for line in occupancy(block[1]):
            for kind, cell in line:
                if kind != "cell" or not cell.text:
                    continue
                text = cell.text
                if form == "text_spaced" and cell.number:
                    salt = salt * 1103515245 + 12345 & 0x7FFFFFFF
                    text = _split_digits(text, salt >> 8)
                pieces.append(text)
    return separator.join(pieces)


# --- PDF (reportlab, built-in CID font: no font files) ----------------------------------

_PDF_FONT = "STSong-Light"


def pdf_table(grid: Grid, style) -> tuple[list[list], list[tuple], int]:
    """A grid as reportlab Table data (cells as Paragraphs in `style`), its SPAN commands
    and its column count."""
    from reportlab.platypus import Paragraph

    matrix = occupancy(grid)
    ncols = max(len(line) for line in matrix)
    data, spans = [], []
    for r, line in enumerate(matrix):
        row = []
        for c, (kind, item) in enumerate(line):
            if kind == "cell":
                row.append(Paragraph(html.escape(item.text), style))
                if item.rowspan > 1 or item.colspan > 1:
                    spans.append(("SPAN", (c, r), (c + item.colspan - 1, r + item.rowspan - 1)))
            else:
                row.append("")
        data.append(row + [""] * (ncols - len(row)))
    return data, spans, ncols


def render_pdf(spec: ReportSpec) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if _PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(_PDF_FONT))
    body = ParagraphStyle("body", fontName=_PDF_FONT, fontSize=11, leading=18, wordWrap="CJK", firstLineIndent=22)
    title = ParagraphStyle("title", parent=body, fontSize=16, leading=24, alignment=1, firstLineIndent=0, spaceAfter=12)
    heading = ParagraphStyle("heading", parent=body, fontSize=12, firstLineIndent=0, spaceBefore=8, spaceAfter=4)
    cell = ParagraphStyle("cell", fontName=_PDF_FONT, fontSize=7, leading=9, wordWrap="CJK", alignment=1)

    story = []
    for block in report_blocks(spec):
        kind = block[0]
        if kind == "title":
            story.append(Paragraph(html.escape(block[1]), title))
        elif kind == "heading":
            story.append(Paragraph(html.escape(block[1]), heading))
        elif kind == "para":
            story.append(Paragraph(html.escape(block[1]), body))
        else:
            data, spans, ncols = pdf_table(block[1], cell)
            width = 17 * cm
            if ncols == 10:
                widths = [1.5 * cm, 1.5 * cm, 4.6 * cm] + [(width - 7.6 * cm) / 7] * 7
            else:
                widths = [width / ncols] * ncols
            if ncols == 10 and spec.style % 3 == 0:
                story.append(Spacer(1, 12 * cm))  # push table 3 down so it splits over two pages
            table = Table(data, colWidths=widths, repeatRows=0)
            table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                                       ("VALIGN", (0, 0), (-1, -1), "MIDDLE")] + spans))
            story.append(table)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=2 * cm, rightMargin=2 * cm, topMargin=2 * cm,
                            bottomMargin=2 * cm, title=spec.title, author=spec.agency, invariant=1)
    doc.build(story)
    return buffer.getvalue()


# --- DOCX (python-docx, native tables with merged cells) --------------------------------


def render_docx(spec: ReportSpec) -> bytes:
    import datetime as dt

    from docx import Document

    document = Document()
    stamp = dt.datetime.combine(spec.published, dt.time(9, 0)) if spec.published else dt.datetime(2020, 1, 1)
    document.core_properties.created = stamp
    document.core_properties.modified = stamp
    document.core_properties.title = spec.title
    document.core_properties.author = spec.agency
    for block in report_blocks(spec):
        kind = block[0]
        if kind == "title":
            document.add_heading(block[1], level=1)
        elif kind == "heading":
            if spec.style % 2:
                document.add_heading(block[1], level=2)
            else:
                document.add_paragraph().add_run(block[1]).bold = True
        elif kind == "para":
            document.add_paragraph(block[1])
        else:
            matrix = occupancy(block[1])
            ncols = max(len(line) for line in matrix)
            table = document.add_table(rows=len(matrix), cols=ncols)
            table.style = "Table Grid"
            cells = table._cells  # computed once: table.cell() recomputes the whole grid on every call
            merges = []
            for r, line in enumerate(matrix):
                for c, (kind_, item) in enumerate(line):
                    if kind_ != "cell":
                        continue
                    cells[r * ncols + c].text = item.text
                    if item.rowspan > 1 or item.colspan > 1:
                        merges.append((r * ncols + c, (r + item.rowspan - 1) * ncols + c + item.colspan - 1))
            for start, end in merges:  # text first, then merge: empty cells add nothing to the merged text
                cells[start].merge(cells[end])
    buffer = io.BytesIO()
    document.save(buffer)
    return fixed_zip_times(buffer.getvalue())


def fixed_zip_times(data: bytes) -> bytes:
    """Rewrite a zip (docx) with a fixed timestamp on every member, so the bytes are reproducible."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2020, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()


def render(spec: ReportSpec, form: str) -> bytes:
    """The report as `form` ("html_body", "pdf", "docx", "text"); html_body and text are UTF-8 bytes."""
    if form == "html_body":
        return render_html_body(spec).encode("utf-8")
    if form == "text":
        return render_text(spec).encode("utf-8")
    if form in ONE_LINE_FORMS:
        return render_one_line(spec, form).encode("utf-8")
    if form == "pdf":
        return render_pdf(spec)
    if form == "docx":
        return render_docx(spec)
    raise ValueError(f"unknown form {form!r}; expected one of {FORMS}")
