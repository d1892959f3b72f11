"""Plain text (and markdown-ish text) to a Document.

Reports reach us as text in several shapes (all in shared/seeds): one table row a line
with tab-separated cells; `label | v | v |` pipe rows and markdown tables; an HTML table
flattened to one cell a line between lines of bare `|` (seed 004); markdown headings
(`## 一、总体情况`, `#### 四、…`). Consecutive table lines become one Table; every other
non-empty line is a Heading (markdown) or a Paragraph. A whole report on one line (text
scraped from a page) is cut at its headings and table labels (parsers.running_text).
"""

from __future__ import annotations

import re

from parsers.document import Cell, Document, Heading, Paragraph, Table
from parsers.running_text import running_text_blocks
from parsers.sections import section_number

_MD_HEADING = re.compile(r"^(#{1,6})\s*(.*?)\s*#*\s*$")
_PIPES_ONLY = re.compile(r"^\|+$")
_FLAT_CELL = re.compile(r"^([^|]*?)\s*\|$")
_MD_SEPARATOR = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?$")


def _strip_bold(text: str) -> str:
    return re.sub(r"\*\*(.*?)\*\*", r"\1", text).strip()


def _starts_table(line: str) -> bool:
    """A short line right before tab rows that is a table's first (one-cell) row, not a heading."""
    return not line.startswith("#") and not line.endswith(("。", "：", ":")) and section_number(line) is None


def _next_is_tab_row(lines: list[str], index: int) -> bool:
    for line in lines[index + 1:]:
        if line.strip():
            return "\t" in line
    return False


def document_from_text(text: str) -> Document:
    """Blocks from text; never raises for odd input (it just yields paragraphs)."""
    document = Document()
    rows: list[list[str]] = []
    flat_row: list[str] | None = None

    def close_table() -> None:
        nonlocal rows, flat_row
        if flat_row:
            rows.append(flat_row)
        flat_row = None
        kept = [row for row in rows if any(cell.strip() for cell in row)]
        if kept:
            document.blocks.append(Table([[Cell(cell) for cell in row] for row in kept]))
        rows = []

    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, raw_line in enumerate(lines):
        line = raw_line.rstrip()
        stripped = line.strip()
        if not stripped:
            continue  # blank lines neither start nor end a table
        inline = running_text_blocks(stripped)
        if inline:
            close_table()
            document.blocks.extend(inline)
            continue
        if "\t" in raw_line:
            if flat_row:
                rows.append(flat_row)
                flat_row = None
            rows.append([cell.strip() for cell in raw_line.split("\t")])  # trailing tabs are blank cells
            continue
        if stripped == "|" and line.startswith(" ") and flat_row is not None:
            flat_row.append("")  # ` |`: an empty cell of a flattened row
            continue
        if _PIPES_ONLY.match(stripped):
            # a flattened HTML row boundary (extra pipes stand for colspan copies)
            if flat_row:
                rows.append(flat_row)
            flat_row = []
            continue
        if "|" in stripped:
            if _MD_SEPARATOR.match(stripped):
                continue
            single = _FLAT_CELL.match(stripped)
            if single and flat_row is not None:
                flat_row.append(single.group(1).strip())
                continue
            parts = [part.strip() for part in stripped.split("|")]
            if line.startswith("|"):  # markdown leading pipe; ` | x |` starts with an empty cell
                parts = parts[1:]
            if stripped.endswith("|"):
                parts = parts[:-1]
            if flat_row:
                rows.append(flat_row)
                flat_row = None
            rows.append(parts)
            continue
        if ("\t" not in raw_line and len(stripped) <= 40 and _next_is_tab_row(lines, number)
                and (rows or _starts_table(stripped))):
            rows.append([stripped])  # a one-cell row (colspan) between tab rows: 第二十条第（五）项
            continue
        close_table()
        heading = _MD_HEADING.match(stripped)
        if heading and heading.group(2):
            document.blocks.append(Heading(_strip_bold(heading.group(2)), len(heading.group(1))))
        else:
            document.blocks.append(Paragraph(_strip_bold(stripped) if stripped.startswith("**") else stripped))
    close_table()
    return document
