"""Document: a report reduced to ordered blocks, whatever format it arrived in.

Every reader (HTML, text, PDF, DOCX) produces the same thing: headings, paragraphs and
tables whose rowspan/colspan are expanded so every row knows all its cells, plus the
metadata the page itself carried (head meta tags, the 信息公开 table). The report builder
only ever sees this shape, so table reading does not depend on one rendering.
Pure data; the builders at the bottom import their format module lazily.
"""

from __future__ import annotations

import io

from dataclasses import dataclass, field


@dataclass
class Cell:
    """One table cell. `spanned` marks a copy made when expanding rowspan/colspan, so
    a reader can tell the printed cell from the copies that keep rows rectangular."""

    text: str
    spanned: bool = False


@dataclass
class Heading:
    text: str
    level: int = 1


@dataclass
class Paragraph:
    text: str


@dataclass
class Table:
    rows: list[list[Cell]] = field(default_factory=list)
    # Cells cut from running text by their labels (parsers.running_text), not printed as
    # cells: where one cell ends and the next begins is the reader's inference.
    inferred: bool = False


Block = Heading | Paragraph | Table


@dataclass
class Document:
    blocks: list[Block] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)
    # Why the document is incomplete or empty (scanned PDF, encrypted, unreadable…).
    problems: list[str] = field(default_factory=list)
    # True when nothing could be read at all: the report is "failed".
    failed: bool = False


_PARSERS_DIR = __file__.rsplit("/", 1)[0] + "/"

# Bounds on what one file may cost to read: a report is a few pages and a few MB; a zip
# bomb or a 2,000-page PDF is refused with its reason in seconds, not read into gigabytes.
MAX_UNZIPPED_BYTES = 200_000_000
MAX_PDF_PAGES = 300


def oversized_zip(data: bytes) -> str | None:
    """Why a zip container (DOCX, XLSX, OFD) must not be opened: it declares more than
    MAX_UNZIPPED_BYTES inside. None when it is within bounds or not a readable zip (the
    format's reader then says what is wrong)."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            declared = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if declared > MAX_UNZIPPED_BYTES:
        return (f"decompresses to {declared:,} bytes from {len(data):,} (more than {MAX_UNZIPPED_BYTES:,}):"
                " not read")
    return None


def raised_by_input(error: BaseException) -> bool:
    """True when an exception came out of a library reading the input (pdfminer on a
    truncated PDF, python-docx on a broken zip): bad input, a value to report. False when
    our own code raised it: a bug, which must not be reported as a corrupt file."""
    frame = error.__traceback__
    last = None
    while frame is not None:
        last = frame
        frame = frame.tb_next
    return last is None or not last.tb_frame.f_code.co_filename.startswith(_PARSERS_DIR)


def expand_spans(rows: list[list[tuple[str, int, int]]]) -> list[list[Cell]]:
    """Rows of (text, rowspan, colspan) into a rectangular grid of Cells.

    A cell covering k columns or rows appears in each position it covers; every copy
    but the top-left one is marked `spanned`.
    """
    grid: dict[tuple[int, int], Cell] = {}
    width = 0
    for r, row in enumerate(rows):
        c = 0
        for text, rowspan, colspan in row:
            while (r, c) in grid:
                c += 1
            rowspan = max(1, min(rowspan, 200))
            colspan = max(1, min(colspan, 100))
            for dr in range(rowspan):
                for dc in range(colspan):
                    grid[(r + dr, c + dc)] = Cell(text, spanned=(dr, dc) != (0, 0))
            c += colspan
            width = max(width, c)
    height = len(rows)
    return [[grid.get((r, c), Cell("", spanned=True)) for c in range(width)] for r in range(height)]


def append_page(document: Document, blocks: list[Block]) -> None:
    """A page's blocks after the previous page's. A table that opens the page continues the
    table that closed the previous one when their column counts agree (Word and WPS do not
    repeat the header on the next page)."""
    previous = document.blocks[-1] if document.blocks and isinstance(document.blocks[-1], Table) else None
    for index, block in enumerate(blocks):
        if (index == 0 and previous is not None and isinstance(block, Table) and block.rows and previous.rows
                and len(block.rows[0]) == len(previous.rows[0])):
            joined = _split_row(previous.rows[-1], block.rows[0])
            if joined is not None:
                previous.rows[-1] = joined
                previous.rows.extend(block.rows[1:])
            else:
                previous.rows.extend(block.rows)
            continue
        document.blocks.append(block)


def _split_row(upper: list[Cell], lower: list[Cell]) -> list[Cell] | None:
    """One row a page break cut in two (Word's "allow row to break across pages"): one half
    holds the numbers and no label, the other the label and no numbers. Anything else is
    two rows."""
    from parsers.labels import is_number_cell

    def numbers(row):
        return [cell for cell in row if not cell.spanned and cell.text and is_number_cell(cell.text)]

    def labels(row):
        return [cell for cell in row if not cell.spanned and cell.text and not is_number_cell(cell.text)]

    if len(upper) != len(lower):
        return None
    halves = {(bool(numbers(upper)), bool(labels(upper))), (bool(numbers(lower)), bool(labels(lower)))}
    if halves != {(True, False), (False, True)}:
        return None
    return [Cell(a.text + b.text, spanned=a.spanned and b.spanned) for a, b in zip(upper, lower)]


def document_from_html(data: bytes, url: str = "", content_type: str | None = None) -> Document:
    from parsers.html_document import document_from_html as build

    return build(data, url=url, content_type=content_type)


def document_from_text(text: str) -> Document:
    from parsers.text_document import document_from_text as build

    return build(text)


def document_from_pdf(data: bytes, ocr: dict | None = None) -> Document:
    from parsers.pdf_document import document_from_pdf as build

    return build(data, ocr=ocr)


def pdf_cheap_readings(data: bytes) -> tuple[Document, str] | None:
    from parsers.pdf_document import pdf_cheap_readings as read

    return read(data)


def document_from_ocr(data: bytes | dict) -> Document:
    from parsers.ocr_document import document_from_ocr as build

    return build(data)


def document_from_sheet(data: bytes) -> Document:
    from parsers.sheet_document import document_from_sheet as build

    return build(data)


def document_from_ofd(data: bytes) -> Document:
    from parsers.ofd_document import document_from_ofd as build

    return build(data)


def document_from_docx(data: bytes) -> Document:
    from parsers.docx_document import document_from_docx as build

    return build(data)
