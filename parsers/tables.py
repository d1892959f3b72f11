"""Read tables 2, 3 and 4 from a section's blocks, whatever the rendering.

Rows are found by their labels (labels.match_table2_row / match_table3_row), numbers are
read from the cells after the label, continuing onto following number-only rows when a
rendering put them there (PDF text, flattened HTML). When a row has blank cells the
numbers are aligned to the template's column count and the alignment that satisfies the
row's own arithmetic wins. A label wrapped over several PDF text lines keeps the numbers
of its last line. When table 3's labels are lost altogether, its numbers are aligned to
the template only if they fit it exactly and the row totals confirm it. A row that is not
printed stays None with a reason; nothing is ever "corrected" or guessed. Pure functions over lists of cell strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from parsers import template
from parsers.document import Block, Paragraph, Table
from parsers.labels import Number, is_number_cell, match_table2_row, match_table3_row, read_number

TABLE2_WIDTHS = {key: len(template.TABLE2_DOCUMENT_COLUMNS) for key, _ in template.TABLE2_DOCUMENT_ROWS}
TABLE2_WIDTHS.update({key: 1 for key, *_ in template.TABLE2_SINGLE_ROWS})
TABLE3_WIDTH = len(template.TABLE3_COLUMNS)
TABLE4_WIDTH = len(template.TABLE4_GROUPS) * len(template.TABLE4_COLUMNS)


@dataclass
class RowReading:
    numbers: list[Number]
    reason: str | None = None  # why some numbers are None


def block_rows(blocks: list[Block]) -> list[list[str]]:
    """Rows of printed cells from tables (spanned copies dropped) and from text lines.

    A text line `label 1 2 3` (PDF text, flattened tables) becomes [label, 1, 2, 3].
    """
    rows: list[list[str]] = []
    for block in blocks:
        if isinstance(block, Table):
            for row in block.rows:
                rows.append([cell.text for cell in row if not cell.spanned])
        elif isinstance(block, Paragraph):
            rows.append(split_line(block.text))
    return rows


def split_line(text: str) -> list[str]:
    """`(一) 予以公开 0 1 2` -> ['(一) 予以公开', '0', '1', '2']: the trailing numbers split off."""
    tokens = text.split()
    numbers: list[str] = []
    while tokens and is_number_cell(tokens[-1]) and len(tokens[-1]) <= 12:
        numbers.insert(0, tokens.pop())
    if not numbers:
        return [text]
    label = text
    # cut the label where the trailing number tokens begin
    for token in reversed(numbers):
        label = label[: label.rstrip().rfind(token)]
    label = label.strip()
    return ([label] if label else []) + numbers


def _blank(text: str) -> bool:
    return not (text or "").strip()


def align(values: list[str], width: int, decimal: Callable[[int], bool],
          consistent: Callable[[list[Number]], bool] | None = None) -> RowReading:
    """Fit the printed cells after a label to `width` template columns."""
    values = [value if value is not None else "" for value in values]
    nonblank = [value for value in values if not _blank(value)]
    if len(nonblank) == width:
        return RowReading([read_number(value, decimal(i)) for i, value in enumerate(nonblank)])
    windows = []
    for start in range(0, len(values) - width + 1):
        outside = values[:start] + values[start + width:]
        if all(_blank(value) for value in outside):
            windows.append([read_number(value, decimal(i)) for i, value in enumerate(values[start:start + width])])
    if windows:
        if consistent:
            for window in windows:
                if consistent(window):
                    return RowReading(window)
        return RowReading(windows[0])
    if len(nonblank) > width:
        numbers = [read_number(value, decimal(i)) for i, value in enumerate(nonblank[:width])]
        return RowReading(numbers, f"{len(nonblank)} cells printed for {width} columns")
    numbers = [read_number(value, decimal(i)) for i, value in enumerate(values)]
    numbers += [Number(None, None, None, "cell not printed")] * (width - len(numbers))
    return RowReading(numbers, f"only {len(values)} of {width} cells printed")


# A label wrapped in its cell reaches PDF text as up to this many lines, the numbers on the last.
MAX_WRAPPED_LINES = 3


def read_labelled_rows(rows: list[list[str]], match: Callable[[str], str | None],
                       widths: Callable[[str], int], decimal: Callable[[str, int], bool],
                       consistent: Callable[[list[Number]], bool] | None = None) -> dict[str, RowReading]:
    """Find each template row by its label and read its numbers."""
    found: dict[str, RowReading] = {}
    pending: tuple[str, list[str]] | None = None
    wrapped = 0

    def finish() -> None:
        nonlocal pending
        if pending is None:
            return
        key, values = pending
        pending = None
        if not any(is_number_cell(value) for value in values):
            if len(values) != widths(key) or key in found:
                return  # a label with no numbers: a header or group cell, not the row

        reading = align(values, widths(key), lambda i: decimal(key, i), consistent)
        previous = found.get(key)
        if previous is None or _known(reading) > _known(previous):
            found[key] = reading

    for row in rows:
        key, label_index = None, None
        for index, text in enumerate(row):
            if _blank(text) or is_number_cell(text):
                continue
            matched = match(text)
            if matched:
                key, label_index = matched, index
        if key is None:
            texts = [index for index, text in enumerate(row) if not _blank(text) and not is_number_cell(text)]
            if pending and row and not texts:
                pending[1].extend(row)
                if sum(is_number_cell(text) for text in pending[1]) >= widths(pending[0]):
                    finish()
            elif (pending and len(texts) == 1 and wrapped < MAX_WRAPPED_LINES
                  and not any(is_number_cell(text) for text in pending[1])):
                # the pending label wrapped onto this line (PDF text): its numbers follow here
                wrapped += 1
                pending[1].extend(row[texts[0] + 1:])
                if sum(is_number_cell(text) for text in pending[1]) >= widths(pending[0]):
                    finish()
            elif pending and texts:
                finish()
            continue
        finish()
        wrapped = 0
        pending = (key, list(row[label_index + 1:]))
        if sum(is_number_cell(text) for text in pending[1]) >= widths(key):
            finish()
    finish()
    return {key: reading for key, reading in found.items()
            if any(number.value is not None or number.printed is not None for number in reading.numbers)}


def _known(reading: RowReading) -> int:
    return sum(number.value is not None for number in reading.numbers)


def number_cells(rows: list[list[str]]) -> list[str]:
    return [text for row in rows for text in row if is_number_cell(text)]


def read_table2(blocks: list[Block]) -> dict[str, RowReading]:
    rows = block_rows(blocks)
    found = read_labelled_rows(rows, match_table2_row, lambda key: TABLE2_WIDTHS[key],
                               lambda key, i: key in template.DECIMAL_KEYS)
    return found


def _t3_row_consistent(numbers: list[Number]) -> bool:
    values = [number.value for number in numbers]
    return None not in values and sum(values[:-1]) == values[-1]


# Share of rows whose 总计 must equal the sum of their six columns before numbers that lost
# their labels are accepted in template order: planted or real sum errors stay possible,
# a misaligned stream (another table's numbers, a lost cell) is refused.
UNLABELLED_ROWS_CONSISTENT = 0.8


def read_table3(blocks: list[Block]) -> tuple[dict[str, RowReading], str | None]:
    """Table 3 rows by label; if no label survived, the numbers are aligned to the
    template order only when they fit it exactly (175 numbers, or 25 lines of 7) and the
    row totals confirm the alignment. Anything else is not guessed: every cell is None
    with the reason."""
    rows = block_rows(blocks)
    found = read_labelled_rows(rows, match_table3_row, lambda key: TABLE3_WIDTH,
                               lambda key, i: False, _t3_row_consistent)
    if found:
        return found, None
    return read_unlabelled_table3(rows)


def read_unlabelled_table3(rows: list[list[str]]) -> tuple[dict[str, RowReading], str | None]:
    """The "align to the template and confirm by the checks" path for table 3."""
    width, height = TABLE3_WIDTH, len(template.TABLE3_ROW_KEYS)
    numbers = number_cells(rows)
    if len(numbers) < width:
        return {}, None  # no table 3 here at all: rows stay "not printed"
    seven_lines = [row for row in rows if len(row) == width and all(is_number_cell(text) for text in row)]
    if len(numbers) == width * height:
        stream, shape = numbers, f"{len(numbers)} numbers"
    elif len(seven_lines) == height:
        stream, shape = [text for row in seven_lines for text in row], f"{height} lines of {width} numbers"
    else:
        reason = (f"table 3 labels lost: {len(numbers)} numbers ({len(seven_lines)} lines of {width}) do not fit "
                  f"the template's {height} rows x {width}; not aligned")
        return _unread_table3(reason), reason
    found = {key: RowReading([read_number(value) for value in stream[r * width:(r + 1) * width]])
             for r, key in enumerate(template.TABLE3_ROW_KEYS)}
    agreeing = sum(_t3_row_consistent(reading.numbers) for reading in found.values())
    if agreeing < UNLABELLED_ROWS_CONSISTENT * height:
        reason = (f"table 3 labels lost: {shape} in template order, but only {agreeing}/{height} row totals "
                  f"agree; not aligned")
        return _unread_table3(reason), reason
    return found, (f"table 3 labels lost: {shape} aligned to the template order "
                   f"({agreeing}/{height} row totals agree)")


def _unread_table3(reason: str) -> dict[str, RowReading]:
    return {key: RowReading([Number(None, None, None, reason)] * TABLE3_WIDTH, reason)
            for key in template.TABLE3_ROW_KEYS}


_TABLE4_HEADER = re.compile(r"(维持|纠正|结果|审结|总计|复议|诉讼|起诉)")


def _t4_consistent(numbers: list[Number]) -> bool:
    values = [number.value for number in numbers]
    if None in values:
        return False
    return all(sum(values[g * 5:g * 5 + 4]) == values[g * 5 + 4] for g in range(3))


def read_table4(blocks: list[Block]) -> RowReading | None:
    """The one data row of table 4: the number cells after its header rows."""
    rows = block_rows(blocks)
    cells: list[str] = []
    started = False
    for row in rows:
        texts = [text for text in row]
        if not any(is_number_cell(text) for text in texts):
            if started and any(not _blank(text) for text in texts):
                break  # text after the data: the table is over
            continue
        non_numbers = [text for text in texts if not _blank(text) and not is_number_cell(text)]
        if non_numbers and any(_TABLE4_HEADER.search(text) for text in non_numbers):
            continue
        started = True
        cells.extend(text for text in texts if _blank(text) or is_number_cell(text))
        if sum(is_number_cell(text) for text in cells) >= TABLE4_WIDTH and len(cells) >= TABLE4_WIDTH:
            break
    if not any(is_number_cell(text) for text in cells):
        return None
    return align(cells, TABLE4_WIDTH, lambda i: False, _t4_consistent)
