"""OCR text boxes (archive.ocr's result) to a Document: tables by their ruling lines, text by lines.

A scanned table is read the way an HTML table is: the ruling lines found on the page give
the grid, a cell with no separator to its neighbour is merged with it (rowspan/colspan),
and every text box goes into the cell its centre falls in, so a label wrapped over three
lines stays one label and a number printed beside it stays in its column. A blank cell is
blank, never a neighbour's number moved over. Where no rules are printed, a line's boxes
separated by wide gaps become the cells of an `inferred` table row. Text outside tables
becomes paragraphs.

Each cell's text is an `OcrText`: a str that keeps the lowest box score in it, so the
report can keep every OCR'd number's confidence and flag a doubtful one (DOUBTFUL_SCORE)
without the table readers knowing OCR exists. Pure: the result JSON in, Document out.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left, bisect_right
from statistics import median

from parsers.document import Cell, Document, Paragraph, Table, append_page
from parsers.labels import clean_text
from parsers.sections import section_number

OCR_CONTENT_TYPE = "application/vnd.ogi.ocr+json"
# Below this box score an OCR'd number is kept but flagged "ocr_doubtful": the table's
# arithmetic checks are what confirm or refute it.
DOUBTFUL_SCORE = 0.9
_TOLERANCE = 8  # pixels: rules this close are one rule
PAGE_DPI = 200  # the page shape's unit, whoever placed the text (OCR, OFD, PDF): pixels at 200 dpi


def add_rule(rules: dict, x0: float, y0: float, x1: float, y1: float, straight: float, shortest: float,
             scale: float) -> None:
    """A straight segment (origin top left, in any unit; `scale` makes pixels) into the
    page shape's rules: horizontal (x0, y, x1) or vertical (x, y0, y1) when it lies within
    `straight` of level or plumb and is at least `shortest` long; else it is no rule."""
    if abs(y1 - y0) <= straight and abs(x1 - x0) >= shortest:
        rules["h"].append((min(x0, x1) * scale, (y0 + y1) / 2 * scale, max(x0, x1) * scale))
    elif abs(x1 - x0) <= straight and abs(y1 - y0) >= shortest:
        rules["v"].append(((x0 + x1) / 2 * scale, min(y0, y1) * scale, max(y0, y1) * scale))


class OcrText(str):
    """Cell text read by OCR, with the lowest score of the boxes it was read from."""

    score: float | None = None

    def __new__(cls, text: str, score: float | None):
        value = super().__new__(cls, text)
        value.score = score
        return value


def ocr_score(printed) -> float | None:
    """The OCR confidence of a printed cell, None when it was not OCR'd."""
    return getattr(printed, "score", None)


class _Word:
    __slots__ = ("x0", "y0", "x1", "y1", "cx", "cy", "text", "score")

    def __init__(self, word: dict):
        if "bbox" in word:  # an upright box (x0, y0, x1, y1), as a PDF places its text
            self.x0, self.y0, self.x1, self.y1 = word["bbox"]
        else:  # OCR's four corners, maybe turned a little
            xs = [point[0] for point in word["box"]]
            ys = [point[1] for point in word["box"]]
            self.x0, self.x1, self.y0, self.y1 = min(xs), max(xs), min(ys), max(ys)
        self.cx, self.cy = (self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2  # asked of every word for every table
        self.text = clean_text(word.get("text") or "")
        # None: printed text placed by its file (an OFD), not recognised
        self.score = float(word.get("score") or 0.0) if "score" in word else None

    @property
    def height(self) -> float:
        return self.y1 - self.y0


def _joined(words: list[_Word]) -> OcrText:
    """Words of one cell in reading order: by line, then left to right; CJK joins without spaces."""
    if not words:
        return OcrText("", None)
    if len(words) == 1:  # most cells: nothing to order
        return _as_printed(words[0].text, words[0].score)
    ordered = [word for line in _lines(words) for word in line]
    scores = [word.score for word in words if word.score is not None]
    return _as_printed("".join(word.text for word in ordered), min(scores) if scores else None)


# What the recognizer makes of a table cell's marks, as the table readers know them.
_CELL_DASH = "一"  # a lone dash (zero) reads as the numeral 一, which no table cell prints
_EDGE_DOT = re.compile(r"^\.(?=\d)|(?<=\d)\.$")


def _as_printed(text: str, score: float | None) -> OcrText | str:
    """A cell's OCR text as the cell prints it: a lone 一 is the dash; a full stop at the
    edge of a number ('0.', '.5') is a speck of dust read as a dot, dropped, and the number
    marked doubtful (below DOUBTFUL_SCORE) for the arithmetic to confirm."""
    if score is None:
        return text  # printed, not recognised: nothing to correct or doubt
    if text == _CELL_DASH:
        return OcrText("—", score)
    if _EDGE_DOT.search(text) and re.fullmatch(r"\.?\d+(?:\.\d+)?\.?", text):
        return OcrText(_EDGE_DOT.sub("", text), min(score, DOUBTFUL_SCORE - 0.01))
    return OcrText(text, score)


# --- the ruled grid ------------------------------------------------------------------


def _cluster(values: list[float]) -> list[float]:
    """Positions within _TOLERANCE of each other as one (their mean)."""
    groups: list[list[float]] = []
    for value in sorted(values):
        if groups and value - groups[-1][-1] <= _TOLERANCE:
            groups[-1].append(value)
        else:
            groups.append([value])
    return [sum(group) / len(group) for group in groups]


def _regions(rules: dict) -> list[tuple[list, list]]:
    """The rules grouped into tables: horizontal and vertical rules that cross are one table."""
    horizontal = [tuple(rule) for rule in rules.get("h", [])]
    vertical = [tuple(rule) for rule in rules.get("v", [])]
    parent = list(range(len(horizontal) + len(vertical)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, (x0, y, x1) in enumerate(horizontal):
        for j, (x, y0, y1) in enumerate(vertical):
            if x0 - _TOLERANCE <= x <= x1 + _TOLERANCE and y0 - _TOLERANCE <= y <= y1 + _TOLERANCE:
                parent[find(i)] = find(len(horizontal) + j)
    groups: dict[int, tuple[list, list]] = {}
    for i, rule in enumerate(horizontal):
        groups.setdefault(find(i), ([], []))[0].append(rule)
    for j, rule in enumerate(vertical):
        groups.setdefault(find(len(horizontal) + j), ([], []))[1].append(rule)
    tables = [group for group in groups.values() if len(group[0]) >= 2 and len(group[1]) >= 2]
    # A piece of rule that crosses no rule of its own (the border of a cell drawn as its own
    # stroke, between two columns that only another row divides) still belongs to the
    # table it lies inside: without it the cells above and below it would be merged.
    for group in groups.values():
        if len(group[0]) >= 2 and len(group[1]) >= 2:
            continue
        for rules, at in ((group[0], "h"), (group[1], "v")):
            for rule in rules:
                for table in tables:
                    if _inside(rule, at, table):
                        table[0 if at == "h" else 1].append(rule)
                        break
    return tables


def _inside(rule: tuple, at: str, table: tuple[list, list]) -> bool:
    """A horizontal (x0, y, x1) or vertical (x, y0, y1) rule within the table's extent."""
    left = min(r[0] for r in table[1]) - _TOLERANCE
    right = max(r[0] for r in table[1]) + _TOLERANCE
    top = min(r[1] for r in table[0]) - _TOLERANCE
    bottom = max(r[1] for r in table[0]) + _TOLERANCE
    if at == "h":
        return top <= rule[1] <= bottom and left <= rule[0] and rule[2] <= right
    return left <= rule[0] <= right and top <= rule[1] and rule[2] <= bottom


def _spans_at(rules: list[tuple], positions: list[float], at: int = 0) -> list[list[tuple[float, float]]]:
    """For each of the sorted `positions`, the extents (widened by _TOLERANCE) of the rules
    lying there (a rule's position is its index `at`): whether a rule crosses a point is then
    a look at one position's few rules, not at every rule of the page."""
    spans: list[list[tuple[float, float]]] = [[] for _ in positions]
    for rule in rules:
        fixed = rule[1] if at == 1 else rule[0]
        start, end = (rule[0], rule[2]) if at == 1 else (rule[1], rule[2])
        for index in range(bisect_left(positions, fixed - _TOLERANCE), bisect_right(positions, fixed + _TOLERANCE)):
            spans[index].append((start - _TOLERANCE, end + _TOLERANCE))
    return spans


def _covers(spans: list[tuple[float, float]], along: float) -> bool:
    """Some rule of one position's `spans` (_spans_at) spans the point `along`."""
    for start, end in spans:  # a loop, not any(): asked for every cell edge of every table
        if start <= along <= end:
            return True
    return False


def _grid_table(horizontal: list, vertical: list, words: list[_Word]) -> tuple[float, float, Table, list[_Word]]:
    """One ruled table: its top, bottom, the Table and the words it did not take."""
    ys = _cluster([rule[1] for rule in horizontal])
    xs = _cluster([rule[0] for rule in vertical])
    rows, columns = len(ys) - 1, len(xs) - 1
    parent = list(range(rows * columns))  # cell (i, j) is i * columns + j: reading order

    def find(cell: int) -> int:
        while parent[cell] != cell:
            cell = parent[cell]
        return cell

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)  # the top-left cell is the printed one

    at_x, at_y = _spans_at(vertical, xs, at=0), _spans_at(horizontal, ys, at=1)
    for i in range(rows):
        middle_y = (ys[i] + ys[i + 1]) / 2
        for j in range(columns - 1):
            if not _covers(at_x[j + 1], middle_y):
                union(i * columns + j, i * columns + j + 1)
    for j in range(columns):
        middle_x = (xs[j] + xs[j + 1]) / 2
        for i in range(rows - 1):
            if not _covers(at_y[i + 1], middle_x):
                union(i * columns + j, (i + 1) * columns + j)

    inside: dict[int, list[_Word]] = {}
    left = []
    for word in words:
        cx, cy = word.cx, word.cy
        if xs[0] <= cx <= xs[-1] and ys[0] <= cy <= ys[-1]:
            i = min(bisect_right(ys, cy) - 1, rows - 1)
            j = min(bisect_right(xs, cx) - 1, columns - 1)
            inside.setdefault(find(i * columns + j), []).append(word)
        else:
            left.append(word)
    grid = []
    joined: dict[int, OcrText | str] = {}  # a spanning cell's text, read once for all it covers
    for i in range(rows):
        row = []
        for j in range(columns):
            cell = i * columns + j
            root = find(cell)
            if root not in joined:
                joined[root] = _joined(inside.get(root, []))
            row.append(Cell(joined[root], spanned=root != cell))
        grid.append(row)
    return ys[0], ys[-1], Table(grid), left


# --- lines and paragraphs --------------------------------------------------------------


def _lines(words: list[_Word]) -> list[list[_Word]]:
    """Words grouped into lines by vertical position, each line left to right."""
    lines: list[list[_Word]] = []
    for word in sorted(words, key=lambda word: word.cy):
        if lines:
            line = lines[-1]
            centre = sum(w.cy for w in line) / len(line)
            if abs(word.cy - centre) < 0.5 * max(word.height, median(w.height for w in line)):
                line.append(word)
                continue
        lines.append([word])
    return [sorted(line, key=lambda word: word.x0) for line in lines]


def _gap_cells(line: list[_Word]) -> list[list[_Word]]:
    """A line's words split where the gap is wider than two characters: its cells."""
    pitch = median(word.height for word in line)
    cells = [[line[0]]]
    for word in line[1:]:
        if word.x0 - cells[-1][-1].x1 > 2 * pitch:
            cells.append([word])
        else:
            cells[-1].append(word)
    return cells


def _text_blocks(words: list[_Word], left: float, right: float) -> list[tuple[float, object]]:
    """Lines outside ruled tables: gapped lines as inferred table rows, others as paragraphs
    (a paragraph ends at a line short of the right margin or before an indented line)."""
    placed: list[tuple[float, object]] = []
    current: list[str] = []
    top = 0.0
    table: Table | None = None
    lines = _lines(words)
    for index, line in enumerate(lines):
        cells = _gap_cells(line)
        if len(cells) >= 2:
            if current:
                placed.append((top, Paragraph("".join(current))))
                current = []
            if table is None:
                table = Table([], inferred=True)
                placed.append((line[0].cy, table))
            table.rows.append([Cell(_joined(cell)) for cell in cells])
            continue
        table = None
        text = "".join(word.text for word in line)
        if section_number(text):  # a heading is its own block, whatever the line before it
            if current:
                placed.append((top, Paragraph("".join(current))))
                current = []
            placed.append((line[0].cy, Paragraph(text)))
            continue
        if not current:
            top = line[0].cy
        current.append(text)
        pitch = median(word.height for word in line)
        following = lines[index + 1] if index + 1 < len(lines) else None
        if (following is None or line[-1].x1 < right - 2 * pitch or following[0].x0 > left + pitch
                or len(_gap_cells(following)) >= 2):
            placed.append((top, Paragraph("".join(current))))
            current = []
    return placed


def page_blocks(page: dict) -> list:
    """One OCR'd page in reading order."""
    words = [word for word in map(_Word, page.get("words") or []) if word.text]
    placed: list[tuple[float, object]] = []
    for horizontal, vertical in _regions(page.get("rules") or {}):
        top, _, table, words = _grid_table(horizontal, vertical, words)
        if any(cell.text for row in table.rows for cell in row):
            placed.append((top, table))
    if words:
        left = min(word.x0 for word in words)
        right = max(word.x1 for word in words)
        placed.extend(_text_blocks(words, left, right))
    placed.sort(key=lambda item: item[0])
    return [block for _, block in placed]


def read_ocr(data: bytes | dict) -> dict:
    """The OCR result as a dict; ValueError when it is not one."""
    result = json.loads(data) if isinstance(data, (bytes, str)) else data
    if not isinstance(result, dict) or not isinstance(result.get("pages"), list):
        raise ValueError("not an OCR result (no pages)")
    return result


def merge_ocr(results: list[bytes | dict]) -> bytes:
    """Several OCR results (the image pages of one report) as one, pages numbered in order."""
    pages: list[dict] = []
    engine = ""
    for result in results:
        result = read_ocr(result)
        engine = engine or str(result.get("engine") or "")
        pages += [{**page, "page": len(pages) + n} for n, page in enumerate(result["pages"])]
    return json.dumps({"content_type": OCR_CONTENT_TYPE, "engine": engine, "pages": pages},
                      ensure_ascii=False).encode("utf-8")


def document_from_ocr(data: bytes | dict) -> Document:
    """Every OCR'd page, tables continued over page breaks joined."""
    document = Document()
    try:
        result = read_ocr(data)
    except ValueError as error:
        document.failed = True
        document.problems.append(f"OCR result unreadable: {error}")
        return document
    for page in sorted(result["pages"], key=lambda page: page.get("page", 0)):
        append_page(document, page_blocks(page))
    if not document.blocks:
        document.failed = True
        document.problems.append("OCR found no text")
    document.metadata["ocr_engine"] = str(result.get("engine") or "")
    return document
