"""An OFD (GB/T 33190) to a Document: text where ofdkit places it, table rules from the paths.

OFD is the national fixed-layout format: a zip of XML pages whose TextObjects and
PathObjects sit at printed positions, like a PDF's. ofdkit reads the text runs (templates,
composite objects and transforms resolved, millimetres from the top left); the ruling lines
it does not read are taken from each page's PathObjects: straight segments of their
AbbreviatedData, placed by their Boundary (and CTM). Both go into the page shape
archive.ocr produces for a scan (word boxes, horizontal and vertical rules, at 200 dpi so
the same tolerances hold), and parsers.ocr_document reads that shape into tables and
paragraphs: one reader of positioned text, whoever placed it. Runs carry no score (this
text is printed, not recognised). Pure: bytes in, Document out, never raises for bad input.
"""

from __future__ import annotations

import io
import re
import zipfile
from xml.etree import ElementTree

from parsers.document import Document, append_page, oversized_zip
from parsers.ocr_document import PAGE_DPI, add_rule

PIXELS_PER_MM = PAGE_DPI / 25.4
MIN_RULE_MM = 2.0  # shorter strokes are ticks, underlines of one character, a cell's thin edge
STRAIGHT_MM = 0.3  # a segment this close to level (or plumb) is a horizontal (vertical) rule
_TOKEN = re.compile(r"[A-Za-z]|-?\d+(?:\.\d+)?(?:[eE]-?\d+)?")
_ARGUMENTS = {"S": 2, "M": 2, "L": 2, "Q": 4, "B": 6, "A": 7, "C": 0}


def _numbers(value: str | None, count: int) -> list[float] | None:
    try:
        numbers = [float(part) for part in (value or "").split()]
    except ValueError:
        return None
    return numbers if len(numbers) == count else None


def _segments(data: str) -> list[tuple[float, float, float, float]]:
    """Straight segments (x0, y0, x1, y1) of an AbbreviatedData path: M/S move, L draws,
    C closes back to the subpath's start; a curve (Q, B, A) only moves the pen."""
    tokens = _TOKEN.findall(data or "")
    segments = []
    pen = start = None
    index = 0
    while index < len(tokens):
        command = tokens[index].upper()
        count = _ARGUMENTS.get(command)
        if count is None:  # a stray number or an unknown command: skip it
            index += 1
            continue
        try:
            arguments = [float(token) for token in tokens[index + 1:index + 1 + count]]
        except ValueError:
            arguments = []
        index += 1 + count
        if len(arguments) < count:
            break
        if command in ("M", "S"):
            pen = start = (arguments[0], arguments[1])
        elif command == "L" and pen is not None:
            segments.append((*pen, arguments[0], arguments[1]))
            pen = (arguments[0], arguments[1])
        elif command == "C" and pen is not None and start is not None:
            segments.append((*pen, *start))
            pen = start
        elif command in ("Q", "B", "A"):
            pen = (arguments[-2], arguments[-1])
    return segments


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def page_rules(content: bytes) -> dict:
    """The horizontal and vertical rules of one page's Content.xml, in pixels: {"h":
    [(x0, y, x1)], "v": [(x, y0, y1)]}, the shape archive.ocr gives a scan's rules."""
    rules: dict[str, list] = {"h": [], "v": []}
    root = ElementTree.fromstring(content)
    for element in root.iter():
        if _local(element.tag) != "PathObject" or element.get("Visible") == "false":
            continue
        box = _numbers(element.get("Boundary"), 4)
        if box is None:
            continue
        a, b, c, d, e, f = _numbers(element.get("CTM"), 6) or (1, 0, 0, 1, 0, 0)
        data = "".join(child.text or "" for child in element if _local(child.tag) == "AbbreviatedData")
        for x0, y0, x1, y1 in _segments(data):
            # CTM maps the path's own space into the boundary's; the boundary sits on the page
            px0, py0 = box[0] + a * x0 + c * y0 + e, box[1] + b * x0 + d * y0 + f
            px1, py1 = box[0] + a * x1 + c * y1 + e, box[1] + b * x1 + d * y1 + f
            add_rule(rules, px0, py0, px1, py1, STRAIGHT_MM, MIN_RULE_MM, PIXELS_PER_MM)
    return rules


def _words(runs) -> list[dict]:
    """ofdkit's runs (baseline y, font size, advance width in mm) as word boxes in pixels."""
    words = []
    for run in runs:
        if not run.text.strip():
            continue
        x0, x1 = run.x, run.x + max(run.width, run.size * 0.5)
        y0, y1 = run.y - run.size * 0.8, run.y + run.size * 0.2
        box = [[x * PIXELS_PER_MM, y * PIXELS_PER_MM] for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))]
        words.append({"box": box, "text": run.text})
    return words


def ofd_pages(data: bytes) -> tuple[list[dict], dict]:
    """Each page as {"page", "words", "rules"} (the OCR page shape, without scores), and the
    document's DocInfo. Raises on a file that is not a readable OFD."""
    import ofdkit

    with ofdkit.open(io.BytesIO(data)) as document, zipfile.ZipFile(io.BytesIO(data)) as package:
        names = {name.lstrip("/").lower(): name for name in package.namelist()}
        pages = []
        for page in document.pages:
            location = names.get((page.location or "").lstrip("/").lower())
            rules = page_rules(package.read(location)) if location else {"h": [], "v": []}
            pages.append({"page": page.index, "words": _words(page.runs), "rules": rules})
        info = document.info.to_dict() if getattr(document, "info", None) else {}
    return pages, info


def document_from_ofd(data: bytes) -> Document:
    """Every page of the OFD, tables continued over page breaks joined."""
    from parsers.ocr_document import page_blocks

    document = Document()
    too_big = oversized_zip(data)
    if too_big:
        document.failed = True
        document.problems.append(too_big)
        return document
    try:
        pages, info = ofd_pages(data)
    except Exception as error:  # noqa: BLE001 - ofdkit's and zipfile's errors: a broken file
        document.failed = True
        document.problems.append(f"OFD unreadable: {type(error).__name__}: {error}"[:300])
        return document
    for page in pages:
        append_page(document, page_blocks(page))
    if not document.blocks:
        document.failed = True
        document.problems.append("OFD has no text (its pages may be images: not OCR'd)")
    if isinstance(info.get("title"), str) and info["title"].strip():
        document.metadata["ArticleTitle"] = info["title"].strip()  # as the PDF and DOCX readers name it
    return document
