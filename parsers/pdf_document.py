"""A PDF with a text layer to a Document; scanned, encrypted or broken PDFs to a reason.

Two readers. The cheap one (pdf_cheap_readings) takes pypdfium2's text runs and
the page's ruling lines (its path objects) into the page shape the OCR and OFD readers
share (parsers.ocr_document.page_blocks): one pass of PDFium, no layout analysis in Python.
parsers.parse keeps its reading only when the report read from it is whole (report.
read_whole); otherwise the full reader below reads the file. In the full reader,
pdfplumber (built on pdfminer.six) finds ruled tables; the text outside the tables becomes
paragraphs in reading order (top to bottom per page). A table continued on the next page
is merged with its first part when the column count agrees. When pdfminer only yields
`(cid:NNN)` glyph ids, pypdfium2's text is used instead (tables are then read from the
text lines). A page with fewer than ~50 characters is a scanned image: read from the
OCR result when one is given (archive.ocr), else named in the problems (all pages: failed).
Pure: bytes in, Document out, never raises.
"""

from __future__ import annotations

import io
import logging
import re

from parsers.document import MAX_PDF_PAGES, Cell, Document, Paragraph, Table, raised_by_input
from parsers.labels import clean_text
from parsers.ocr_document import PAGE_DPI, add_rule

SCANNED_CHARS_PER_PAGE = 50
# pdfminer warns about fonts ("Could not get FontBBox…") on most browser-printed PDFs: noise
# on a user's terminal, never a reason a report was misread (those go into problems).
logging.getLogger("pdfminer").setLevel(logging.ERROR)
_CID_RE = re.compile(r"\(cid:\d+\)")


def _cell_text(text: str | None) -> str:
    # a label wrapped inside its cell: CJK lines join without a space
    return clean_text(re.sub(r"\s*\n\s*", "", text)) if text else ""


def _paragraphs(lines: list[dict], right_edge: float, left: float) -> list[tuple[float, Paragraph]]:
    """Join wrapped lines into paragraphs: a paragraph ends at a line well short of the
    right margin or before an indented (first) line."""
    lines = [line for line in lines if clean_text(line["text"])]
    paragraphs: list[tuple[float, Paragraph]] = []
    current: list[str] = []
    top = 0.0
    for index, line in enumerate(lines):
        if not current:
            top = line["top"]
        current.append(clean_text(line["text"]))
        following = lines[index + 1] if index + 1 < len(lines) else None
        if (following is None or line["x1"] < right_edge - 40 or following["x0"] > left + 10
                or following["top"] - line["bottom"] > line["bottom"] - line["top"]):
            paragraphs.append((top, Paragraph("".join(current))))
            current = []
    return paragraphs


def _pdfium_document(data: bytes, document: Document) -> Document:
    import pypdfium2

    pdf = pypdfium2.PdfDocument(data)
    try:
        for page in pdf:
            text = page.get_textpage().get_text_range()
            for line in text.splitlines():
                if clean_text(line):
                    document.blocks.append(Paragraph(clean_text(line)))
    finally:
        pdf.close()
    document.problems.append("PDF text from pypdfium2 (pdfminer gave cid glyph ids): tables read from text lines")
    return document


POINTS_TO_PIXELS = PAGE_DPI / 72  # the page shape's pixels: its tolerances hold
_MIN_RULE = 2.0 * 72 / 25.4  # a stroke shorter than 2 mm is a tick or an underline, not a rule
_THIN = 2.0  # points: a path object this thin is one rule (a line, or a filled hairline box)
_STRAIGHT = 0.5  # points off level (plumb) that a segment of a drawn box may be


class _PdfiumFailed(Exception):
    """PDFium could not give an object or its bounds: the cheap reading does not apply."""


def _page_objects(parent, kinds: tuple, form: bool = False, depth: int = 3):
    """The page's objects of `kinds` (FPDF_PAGEOBJ_*), form XObjects opened `depth` levels
    deep, as PDFium's own handles: no helper object for each of a table page's hundreds of
    paths and text runs."""
    import pypdfium2.raw as pdfium_c

    count, get = ((pdfium_c.FPDFFormObj_CountObjects, pdfium_c.FPDFFormObj_GetObject) if form
                  else (pdfium_c.FPDFPage_CountObjects, pdfium_c.FPDFPage_GetObject))
    for index in range(count(parent)):
        obj = get(parent, index)
        if not obj:
            raise _PdfiumFailed("no page object")
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        if kind in kinds:
            yield obj
        if kind == pdfium_c.FPDF_PAGEOBJ_FORM and depth > 1:
            yield from _page_objects(obj, kinds, True, depth - 1)


def _path_segments(obj) -> list[tuple[float, float, float, float]]:
    """The straight segments of a path object (a raw handle) in page space, its matrix applied."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    matrix = pdfium_c.FS_MATRIX()
    pdfium_c.FPDFPageObj_GetMatrix(obj, ctypes.byref(matrix))
    a, b, c, d, e, f = matrix.a, matrix.b, matrix.c, matrix.d, matrix.e, matrix.f
    x, y = ctypes.c_float(), ctypes.c_float()
    segments, start, pen = [], None, None
    for index in range(pdfium_c.FPDFPath_CountSegments(obj)):
        segment = pdfium_c.FPDFPath_GetPathSegment(obj, index)
        pdfium_c.FPDFPathSegment_GetPoint(segment, ctypes.byref(x), ctypes.byref(y))
        point = (a * x.value + c * y.value + e, b * x.value + d * y.value + f)
        kind = pdfium_c.FPDFPathSegment_GetType(segment)
        if kind == pdfium_c.FPDF_SEGMENT_LINETO and pen is not None:
            segments.append((*pen, *point))
        elif kind == pdfium_c.FPDF_SEGMENT_MOVETO:
            start = point
        pen = point
        if pdfium_c.FPDFPathSegment_GetClose(segment) and start is not None:
            segments.append((*pen, *start))
            pen = start
    return segments


def _page_rules(page, height: float) -> dict:
    """The page's horizontal and vertical rules in the OCR page shape: {"h": [(x0, y, x1)],
    "v": [(x, y0, y1)]}, pixels from the top left."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    rules: dict[str, list] = {"h": [], "v": []}

    def add(x0: float, y0: float, x1: float, y1: float) -> None:  # PDF space: origin bottom left
        add_rule(rules, x0, height - y0, x1, height - y1, _STRAIGHT, _MIN_RULE, POINTS_TO_PIXELS)

    bounds = [ctypes.c_float() for _ in range(4)]
    pointers = [ctypes.byref(value) for value in bounds]
    for obj in _page_objects(page.raw, (pdfium_c.FPDF_PAGEOBJ_PATH,)):
        if not pdfium_c.FPDFPageObj_GetBounds(obj, *pointers):
            raise _PdfiumFailed("no bounds for a path")
        left, bottom, right, top = (value.value for value in bounds)
        if top - bottom <= _THIN:
            add(left, (bottom + top) / 2, right, (bottom + top) / 2)
        elif right - left <= _THIN:
            add((left + right) / 2, bottom, (left + right) / 2, top)
        else:  # a drawn box: its sides
            for segment in _path_segments(obj):
                add(*segment)
    return rules


def _text_runs(textpage):
    """PDFium's text runs (a text object's characters on one line): (left, bottom, right,
    top, text) in PDF space. One bounded-text call each, into one buffer for the page: the
    call walks every character of the page, and pypdfium2's helper makes it twice."""
    import codecs
    import ctypes

    import pypdfium2.raw as pdfium_c

    raw = textpage.raw
    size = 2 * pdfium_c.FPDFText_CountChars(raw) + 16  # more than any run can hold
    buffer = (ctypes.c_ushort * size)()
    octets = memoryview(buffer).cast("B")  # decoded in place: a copy per run cost more than the call
    box = l_, t_, r_, b_ = [ctypes.c_double() for _ in range(4)]  # PDFium's order: left, top, right, bottom
    p0, p1, p2, p3 = (ctypes.byref(value) for value in box)
    get_rect, bounded_text = pdfium_c.FPDFText_GetRect, pdfium_c.FPDFText_GetBoundedText
    for index in range(pdfium_c.FPDFText_CountRects(raw, 0, -1)):
        if not get_rect(raw, index, p0, p1, p2, p3):
            raise _PdfiumFailed("no box for a text run")
        left, top, right, bottom = l_.value, t_.value, r_.value, b_.value
        written = bounded_text(raw, left, top, right, bottom, buffer, size)  # counts the terminating NUL
        if written >= size:  # more than the page's characters: PDFium is not making sense of the file
            raise _PdfiumFailed("a text run longer than its page")
        yield left, bottom, right, top, codecs.utf_16_le_decode(octets[:2 * max(written - 1, 0)], "ignore", True)[0]


def _page_words(textpage, height: float, rules: dict) -> list[dict]:
    """PDFium's text runs as word boxes in pixels. Runs next to each other on a line, with
    no rule between them, are one word, their text as the PDF has it: a title set in two
    fonts ("2021" then " 年…") keeps its own space."""
    words: list[dict] = []
    last = None
    for left, bottom, right, top, text in _text_runs(textpage):
        if not text.strip():
            continue
        x0, x1 = left * POINTS_TO_PIXELS, right * POINTS_TO_PIXELS
        y0, y1 = (height - top) * POINTS_TO_PIXELS, (height - bottom) * POINTS_TO_PIXELS
        if last is not None and _same_word(last, x0, y0, x1, y1, rules["v"]):
            last["text"] += text
            lx0, ly0, lx1, ly1 = last["bbox"]
            last["bbox"] = (min(lx0, x0), min(ly0, y0), max(lx1, x1), max(ly1, y1))
            continue
        last = {"bbox": (x0, y0, x1, y1), "text": text}
        words.append(last)
    return words


def _same_word(word: dict, x0: float, y0: float, x1: float, y1: float, vertical: list) -> bool:
    """The next run carries on `word`: on its line, just after it, no rule between them."""
    _, wy0, wx1, wy1 = word["bbox"]
    line = min(wy1, y1) - max(wy0, y0)
    if line < 0.5 * min(wy1 - wy0, y1 - y0) or not -2 <= x0 - wx1 <= 0.6 * (y1 - y0):
        return False
    return not any(wx1 - 2 <= x <= x0 + 2 and top < (y0 + y1) / 2 < bottom for x, top, bottom in vertical)


def _with_pdfium(data: bytes, read):
    """`read(pdf)` on the file opened by PDFium; None when PDFium cannot open it, when it has
    no page or more than MAX_PDF_PAGES, or when PDFium fails on the damaged file: the full
    reader then reads it and says why."""
    import pypdfium2

    try:
        pdf = pypdfium2.PdfDocument(data)
    except Exception:  # noqa: BLE001 - broken or encrypted: the full reader says why
        return None
    try:
        if not 0 < len(pdf) <= MAX_PDF_PAGES:
            return None
        return read(pdf)
    except Exception as error:  # noqa: BLE001 - PDFium's errors on a damaged file: the full reader
        if not raised_by_input(error):
            raise
        return None
    finally:
        pdf.close()


def pdf_cheap_readings(data: bytes) -> tuple[Document, str] | None:
    """The cheap reading — every page's text runs and rules through page_blocks — and, from
    the same loaded pages, PDFium's plain text in reading order: a second cheap reading,
    independent of the first (no positions, no rules), that parsers.parse reads as a text
    copy to confirm a report that is not whole. The plain text costs a tenth of a
    millisecond once the pages are loaded, loading them again several. None when the
    cheap reading does not apply — a file PDFium cannot open, too many pages, a page that
    is a scan (little text, an image): the full reader then reads it and says why."""
    import pypdfium2.raw as pdfium_c

    from parsers.document import append_page
    from parsers.ocr_document import page_blocks

    def read(pdf) -> tuple[Document, str] | None:
        document = Document()
        texts = []
        for page in pdf:
            height = page.get_height()
            textpage = page.get_textpage()
            try:
                if textpage.count_chars() < SCANNED_CHARS_PER_PAGE and any(
                        True for _ in _page_objects(page.raw, (pdfium_c.FPDF_PAGEOBJ_IMAGE,))):
                    return None
                rules = _page_rules(page, height)
                words = _page_words(textpage, height, rules)
            except _PdfiumFailed:
                return None
            append_page(document, page_blocks({"words": words, "rules": rules}))
            texts.append(textpage.get_text_range())
        title = pdf.get_metadata_dict().get("Title")
        if isinstance(title, str) and title.strip():
            document.metadata["ArticleTitle"] = title.strip()
        return (document, "\n".join(texts)) if document.blocks else None

    return _with_pdfium(data, read)


def document_from_pdf_positions(data: bytes) -> Document | None:
    """The cheap reading alone (pdf_cheap_readings)."""
    readings = pdf_cheap_readings(data)
    return readings[0] if readings else None


def _table_settings(page) -> dict:
    """pdfplumber's line strategy, plus a rule where the vertical rules start and end: a
    table cut by a page break has no rule under its last (split) row, and that row would
    be lost."""
    vertical = [edge for edge in page.edges if edge["orientation"] == "v"]
    if not vertical:
        return {}
    return {"explicit_horizontal_lines": sorted({min(edge["top"] for edge in vertical),
                                                 max(edge["bottom"] for edge in vertical)})}


def _line_tolerance(page) -> float:
    """How far apart two characters' tops may be on one line. A browser prints the digits of
    a Chinese title in a Latin font whose box sits lower on the same baseline (2021 in a
    16.5 pt title: 3.6 pt down), and pdfplumber's fixed 3 pt put them on a line of their own."""
    largest = max((char["size"] for char in page.chars), default=0.0)
    return max(3.0, 0.25 * largest)


def _is_scanned(page) -> bool:
    """Too little text layer and an image on it: a scan. (A nearly empty page without an
    image is a blank or short page, read as text.)"""
    return len(page.chars) < SCANNED_CHARS_PER_PAGE and bool(page.images)


def page_count(data: bytes) -> int | None:
    """The page count from the PDF's page tree (pypdfium2: milliseconds, no layout), or
    None when it cannot be opened."""
    try:
        import pypdfium2

        pdf = pypdfium2.PdfDocument(data)
    except Exception:  # noqa: BLE001 - broken or encrypted: the full reader says why
        return None
    try:
        return len(pdf)
    finally:
        pdf.close()


def scanned_pages(data: bytes) -> list[int]:
    """Pages (0-based) that are scans: what OCR must read. Empty for a PDF that cannot be
    opened, or is too long to read (document_from_pdf says why)."""
    count = page_count(data)
    if count is not None and count > MAX_PDF_PAGES:
        return []
    try:
        import pdfplumber

        with pdfplumber.open(io.BytesIO(data)) as pdf:
            return [index for index, page in enumerate(pdf.pages) if _is_scanned(page)]
    except Exception:  # noqa: BLE001 - broken or encrypted: document_from_pdf reports it
        return []


def _ocr_pages(ocr: dict | None) -> dict[int, dict]:
    from parsers.ocr_document import read_ocr

    return {page.get("page", 0): page for page in read_ocr(ocr)["pages"]} if ocr else {}


def document_from_pdf(data: bytes, ocr: dict | bytes | None = None) -> Document:
    """`ocr` is archive.ocr's result for the scanned pages: a page with no text layer is
    read from it, the others from their text, so a half-scanned PDF is read both ways."""
    from parsers.document import append_page
    from parsers.ocr_document import page_blocks

    document = Document()
    try:
        import pdfplumber
        from pdfminer.pdfdocument import PDFPasswordIncorrect

        ocr_pages = _ocr_pages(ocr)
        count = page_count(data)
        if count is not None and count > MAX_PDF_PAGES:
            document.failed = True
            document.problems.append(f"PDF of {count} pages (more than {MAX_PDF_PAGES}): not read")
            return document
        try:
            pdf = pdfplumber.open(io.BytesIO(data))
        except PDFPasswordIncorrect:
            document.failed = True
            document.problems.append("encrypted PDF: needs a password")
            return document
        with pdf:
            pages = len(pdf.pages)
            if pages == 0:
                document.failed = True
                document.problems.append("PDF has no pages")
                return document
            cid_glyphs = 0
            pages_read = []
            unread: list[int] = []
            for number, page in enumerate(pdf.pages):
                if _is_scanned(page):
                    if number in ocr_pages:
                        pages_read.append((page_blocks(ocr_pages[number]), None))
                    else:
                        unread.append(number + 1)
                    continue
                found = page.find_tables(_table_settings(page))
                boxes = [table.bbox for table in found]
                placed: list[tuple[float, object]] = []
                for table in found:
                    rows = table.extract()
                    cells = [[Cell(_cell_text(text), spanned=text is None) for text in row] for row in rows]
                    if cells:
                        placed.append((table.bbox[1], Table(cells)))

                def outside(obj, boxes=boxes) -> bool:
                    x = (obj["x0"] + obj["x1"]) / 2
                    y = (obj["top"] + obj["bottom"]) / 2
                    return not any(b[0] <= x <= b[2] and b[1] <= y <= b[3] for b in boxes)

                text_page = page.filter(outside) if boxes else page
                lines = [line for line in text_page.extract_text_lines(return_chars=False,
                                                                       y_tolerance=_line_tolerance(text_page))
                         if clean_text(line["text"])]
                cid_glyphs += sum(len(_CID_RE.findall(line["text"])) for line in lines)
                pages_read.append((placed, lines))
            if len(unread) == pages or sum(len(page.chars) for page in pdf.pages) < SCANNED_CHARS_PER_PAGE * pages \
                    and not ocr_pages:
                document.failed = True
                document.problems.append(
                    f"scanned PDF (no text layer on {len(unread) or pages} of its {pages} page(s)); needs OCR")
                return document
            if unread:
                document.problems.append(f"scanned page(s) {', '.join(map(str, unread))} not read (no OCR)")
            if cid_glyphs > 20 and not ocr_pages:
                document.blocks = []
                return _pdfium_document(data, document)
            all_lines = [line for _, lines in pages_read if lines for line in lines]
            left = min((line["x0"] for line in all_lines), default=0.0)
            right = max((line["x1"] for line in all_lines), default=0.0)
            for placed, lines in pages_read:
                if lines is None:  # an OCR'd page: its blocks are in order already
                    append_page(document, placed)
                    continue
                placed = placed + _paragraphs(lines, right, left)
                placed.sort(key=lambda item: item[0])
                append_page(document, [block for _, block in placed])
            if ocr_pages:
                document.metadata["ocr_pages"] = ",".join(str(number + 1) for number in sorted(ocr_pages))
            metadata = pdf.metadata or {}
            if isinstance(metadata.get("Title"), str) and metadata["Title"].strip():
                document.metadata["ArticleTitle"] = metadata["Title"].strip()
    except Exception as error:  # noqa: BLE001 - truncated/corrupt PDFs raise many types
        if not raised_by_input(error):
            raise  # our bug: parsers.parse reports it as a parser error, not as a corrupt file
        document.failed = True
        document.blocks = []
        name = type(error).__name__
        cause = f"{name} {type(error.__cause__).__name__ if error.__cause__ else ''} {error}"
        encrypted = "Password" in cause or "Encrypt" in cause or b"/Encrypt" in data
        reason = "encrypted PDF: needs a password" if encrypted else "PDF unreadable (truncated or corrupt)"
        document.problems.append(f"{reason}: {name}: {str(error)[:120]}")
    return document
