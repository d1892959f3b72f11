"""Read tables 2, 3 and 4 from a section's blocks, whatever the rendering and layout.

Which layout a table is on (2021 or the 2019 trial layout) is read from its headers
(table 2) and rows (table 3: （六）其他处理 as one row), never from the report's year.
Rows are found by their labels (labels.match_table2_row / match_table3_row), numbers are
read from the cells after the label, continuing onto following number-only rows when a
rendering put them there (PDF text, flattened HTML). Before a number goes into a key, the
column header printed above it must be the one that key expects (header verification):
a mismatch leaves the cells None and says so in the reading's problems. When a row has
blank cells the numbers are aligned to the template's column count and the alignment
that satisfies the row's own arithmetic wins; glued or space-split digits are handed to
parsers.glued, which keeps only splits the arithmetic allows. When table 3's labels are
lost altogether, its numbers are aligned to the template only if they fit it exactly and
the row totals confirm it. A row that is not printed stays None with a reason; nothing is
ever "corrected" or guessed. Pure functions over lists of cell strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from parsers import glued, template
from parsers.document import Block, Paragraph, Table
from parsers.labels import (Number, find_in_order, is_number_cell, label_variants, match_table2_row, match_table3_row,
                            normalise_label, normalise_text, read_number, table3_column_names)

TABLE3_WIDTH = len(template.TABLE3_COLUMNS)
TABLE4_WIDTH = len(template.TABLE4_GROUPS) * len(template.TABLE4_COLUMNS)


@dataclass
class RowReading:
    numbers: list[Number]
    reason: str | None = None  # why some numbers are None
    row_index: int = -1  # where in block_rows the label was found
    # Glued digits with several splits the row's own arithmetic allows: what the table's
    # cross-row arithmetic may still narrow (tables.resolve_glued_table3).
    candidates: list[tuple[int, ...]] | None = None


@dataclass
class TableReading:
    """One table as read: its layout (None when no known layout's headers are printed),
    its rows by key, and the parse problems found on the way (header mismatches…)."""

    layout: str | None
    rows: dict[str, RowReading] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    lossy: bool = False  # running text that lost or glued cells somewhere (tables.refuse_uncertain)


class PrintedRow(list):
    """One row's cell texts; `inferred` when its cells were cut from running text."""

    inferred = False


def block_rows(blocks: list[Block]) -> list[list[str]]:
    """Rows of printed cells from tables (spanned copies dropped) and from text lines.

    A text line `label 1 2 3` (PDF text, flattened tables) becomes [label, 1, 2, 3].
    """
    rows: list[list[str]] = []
    for block in blocks:
        if isinstance(block, Table):
            for row in block.rows:
                printed = PrintedRow(cell.text for cell in row if not cell.spanned)
                printed.inferred = block.inferred
                rows.append(printed)
        elif isinstance(block, Paragraph):
            rows.append(split_line(block.text))
    return rows


# Cells cut from running text whose row does not add up, in a table where cells were lost
# or glued elsewhere: a lost blank and a stray space may have moved a boundary, so the
# numbers are not placed (a wrong number is worse than none). Where every other row was
# printed whole, a row that does not add up is the publisher's arithmetic: kept, it fails its check.
UNCERTAIN_BOUNDARIES = "running text: the row's cells do not add up, so its cell boundaries are uncertain"


def _lossy(reading: RowReading) -> bool:
    return reading.reason is not None or any(number.flag == glued.FLAG for number in reading.numbers)


def refuse_uncertain(rows: list[list[str]], found: dict[str, RowReading],
                     consistent: Callable[[list[Number]], bool]) -> bool:
    """Refuse the inconsistent running-text rows of a lossy table; True when it was lossy."""
    def inferred(reading: RowReading) -> bool:
        return 0 <= reading.row_index < len(rows) and getattr(rows[reading.row_index], "inferred", False)

    if not any(inferred(reading) and _lossy(reading) for reading in found.values()):
        return False
    for key, reading in found.items():
        known = all(number.value is not None for number in reading.numbers)
        if inferred(reading) and known and not consistent(reading.numbers):
            found[key] = _unread(len(reading.numbers), UNCERTAIN_BOUNDARIES)
            found[key].row_index = reading.row_index
    return True


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


def _digits(text: str) -> str:
    return normalise_text(text).replace(" ", "")


def align(values: list[str], width: int, decimal: Callable[[int], bool],
          consistent: Callable[[list[Number]], bool] | None = None, groups: tuple[int, ...] = (),
          signed: Callable[[int], bool] = lambda i: False, budget: list[int] | None = None) -> RowReading:
    """Fit the printed cells after a label to `width` template columns."""
    values = [value if value is not None else "" for value in values]
    nonblank = [value for value in values if not _blank(value)]

    def read(cells: list[str]) -> list[Number]:
        return [read_number(value, decimal(i), signed(i)) for i, value in enumerate(cells)]

    if len(nonblank) == width:
        return RowReading(read(nonblank))
    tokens = [_digits(value) for value in nonblank]
    if tokens and all(glued.is_glued_token(token) for token in tokens) and not any(decimal(i) for i in range(width)):
        glued_cells = len(values) < width and any(len(token) > 1 for token in tokens if token.isdigit())
        spaced = len(nonblank) > width and len(nonblank) == len(values) and all(token.isdigit() for token in tokens)
        if glued_cells or spaced:
            return glued_reading(tokens, width, groups, budget)
    windows = []
    for start in range(0, len(values) - width + 1):
        outside = values[:start] + values[start + width:]
        if all(_blank(value) for value in outside):
            windows.append(read(values[start:start + width]))
    if windows:
        if consistent:
            for window in windows:
                if consistent(window):
                    return RowReading(window)
        return RowReading(windows[0])
    if len(nonblank) > width:
        reason = f"{len(nonblank)} cells printed for {width} columns"
        return RowReading([Number(None, value, None, reason) for value in nonblank[:width]], reason)
    # Fewer cells than columns and no blank to say which are missing: none is placed.
    reason = f"only {len(values)} of {width} cells printed"
    numbers = [Number(None, value or None, None, reason) for value in values]
    numbers += [Number(None, None, None, reason)] * (width - len(numbers))
    return RowReading(numbers, reason)


def glued_reading(tokens: list[str], width: int, groups: tuple[int, ...],
                  budget: list[int] | None = None) -> RowReading:
    """A row whose digits lost (or gained) their separators, read through parsers.glued."""
    printed = " ".join(tokens)
    assignments, reason = glued.row_splits(tokens, width, groups, budget)
    if reason:
        return RowReading([Number(None, printed, None, reason)] * width, reason)
    if not assignments:
        reason = f"no split of {printed!r} into {width} cells satisfies the row's arithmetic"
        return RowReading([Number(None, printed, None, reason)] * width, reason)
    reading = numbers_from_assignments(assignments, printed)
    if len(assignments) > 1:
        reading.candidates = assignments
    return reading


def numbers_from_assignments(assignments: list[tuple[int, ...]], printed: str) -> RowReading:
    """Cells every assignment agrees on are taken (flagged); the others are None."""
    numbers = []
    for value in glued.agreed(assignments):
        if value is None:
            numbers.append(Number(None, printed, None, f"{glued.AMBIGUOUS}: printed {printed!r}"))
        else:
            numbers.append(Number(value, printed, glued.FLAG))
    ambiguous = any(number.value is None for number in numbers)
    return RowReading(numbers, f"{glued.AMBIGUOUS}: printed {printed!r}" if ambiguous else None)


# A label wrapped in its cell reaches PDF text as up to this many lines, the numbers on the last.
MAX_WRAPPED_LINES = 3


def read_labelled_rows(rows: list[list[str]], match: Callable[[str], str | None],
                       widths: Callable[[str], int], decimal: Callable[[str, int], bool],
                       consistent: Callable[[list[Number]], bool] | None = None,
                       groups: Callable[[str], tuple[int, ...]] = lambda key: (),
                       signed: Callable[[str, int], bool] = lambda key, i: False) -> dict[str, RowReading]:
    """Find each template row by its label and read its numbers."""
    found: dict[str, RowReading] = {}
    pending: tuple[str, list[str], int] | None = None
    wrapped = 0
    budget = [glued.TABLE_BUDGET]  # the glued rows of this table share one search budget

    def finish() -> None:
        nonlocal pending
        if pending is None:
            return
        key, values, index = pending
        pending = None
        if not any(is_number_cell(value) for value in values):
            if len(values) != widths(key) or key in found:
                return  # a label with no numbers: a header or group cell, not the row

        reading = align(values, widths(key), lambda i: decimal(key, i), consistent, groups(key),
                        lambda i: signed(key, i), budget)
        reading.row_index = index
        previous = found.get(key)
        if previous is None or _known(reading) > _known(previous):
            found[key] = reading

    for row_index, row in enumerate(rows):
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
        pending = (key, list(row[label_index + 1:]), row_index)
        if sum(is_number_cell(text) for text in pending[1]) >= widths(key):
            finish()
    finish()
    return {key: reading for key, reading in found.items()
            if any(number.value is not None or number.printed is not None for number in reading.numbers)}


def _known(reading: RowReading) -> int:
    return sum(number.value is not None for number in reading.numbers)


def number_cells(rows: list[list[str]]) -> list[str]:
    return [text for row in rows for text in row if is_number_cell(text)]


def _texts(row: list[str]) -> list[str]:
    return [text for text in row if not _blank(text) and not is_number_cell(text)]


def header_context(rows: list[list[str]], is_label_row: Callable[[list[str]], bool]) -> dict[int, str]:
    """For every label row, the normalised header text printed above it: the text of the
    rows since the previous run of label rows (a block's header serves all its rows)."""
    context: dict[int, str] = {}
    texts: list[str] = []
    after_rows = False
    for index, row in enumerate(rows):
        if is_label_row(row):
            context[index] = "".join(normalise_label(text) for text in texts)
            after_rows = True
            continue
        row_texts = _texts(row)
        if row_texts:
            if after_rows:
                texts, after_rows = [], False
            texts.extend(row_texts)
    return context


def _unread(width: int, reason: str) -> RowReading:
    return RowReading([Number(None, None, None, reason)] * width, reason)


# --- table 2 ------------------------------------------------------------------------------


def table2_layout(rows: list[list[str]]) -> tuple[str | None, str | None]:
    """(layout, None) when exactly one layout's own headers are printed; (None, why) else."""
    text = "".join(normalise_label(text) for row in rows for text in _texts(row))
    hits = {layout: [name for name in names if normalise_label(name) in text]
            for layout, names in template.TABLE2_SIGNATURES.items()}
    present = [layout for layout, names in hits.items() if names]
    if len(present) == 1:
        return present[0], None
    if not present:
        return None, "table 2: column headers match no known layout (2021 本年制发件数…, 2019 本年新制作数量…)"
    shown = "; ".join(f"{layout}: {', '.join(names)}" for layout, names in hits.items() if names)
    return None, f"table 2: column headers of several layouts printed ({shown})"


# Figures of table 2 the narrative states (一、总体情况: 本年制发行政规范性文件3件，现行有效10件):
# what narrows a glued row that its own arithmetic cannot (table 2 has none).
STATED_FIGURES: dict[tuple[str, str], re.Pattern] = {
    ("normative_documents", "issued"): re.compile(r"(?:制发|新制定|印发)[^。；;，,]{0,10}?规范性文件\s*(\d+)\s*件"),
    ("normative_documents", "in_force"): re.compile(r"规范性文件\s*\d+\s*件[，,]\s*现行有效\s*(\d+)\s*件"),
}


def narrow_by_narrative(reading: TableReading, narrative: str) -> None:
    """Glued table 2 rows with several splits: keep the splits that agree with every
    figure the narrative states for that row (2021 layout keys only)."""
    if reading.layout != template.LAYOUT_2021:
        return
    spec = {row.key: row for row in template.TABLE2_LAYOUT_2021}
    for key, row_reading in list(reading.rows.items()):
        candidates = row_reading.candidates
        if not candidates and row_reading.numbers and all(
                number.flag == glued.FLAG and number.value is not None for number in row_reading.numbers):
            candidates = [tuple(number.value for number in row_reading.numbers)]  # the one split found
        if not candidates:
            continue
        stated = {}
        for (row_key, col_key), pattern in STATED_FIGURES.items():
            match = pattern.search(narrative) if row_key == key else None
            if match:
                stated[[column.key for column in spec[key].columns].index(col_key)] = int(match.group(1))
        if not stated:
            continue
        kept = [values for values in candidates
                if all(values[index] == value for index, value in stated.items())]
        printed = row_reading.numbers[0].printed or ""
        if kept:
            narrowed = numbers_from_assignments(kept, printed)
        else:  # the split contradicts the text: a blank was lost too, no cell is certain
            reason = f"no split of {printed!r} agrees with the figures the text states"
            narrowed = RowReading([Number(None, printed, None, reason)] * len(row_reading.numbers), reason)
        narrowed.row_index = row_reading.row_index
        reading.rows[key] = narrowed


def read_table2(blocks: list[Block], narrative: str = "") -> TableReading:
    """Table 2 on whichever layout its headers name; each row's numbers only under the
    column headers its key expects."""
    rows = block_rows(blocks)
    labelled = any(match_table2_row(text, layout) for row in rows for text in _texts(row)
                   for layout in template.TABLE2_LAYOUTS)
    if not labelled:
        return TableReading(None)
    layout, problem = table2_layout(rows)
    if layout is None:
        return TableReading(None, problems=[problem])
    spec = {row.key: row for row in template.TABLE2_LAYOUTS[layout]}

    def match(text: str) -> str | None:
        return match_table2_row(text, layout)

    found = read_labelled_rows(rows, match, lambda key: len(spec[key].columns),
                               lambda key, i: spec[key].columns[i].decimal,
                               signed=lambda key, i: spec[key].columns[i].signed)
    context = header_context(rows, lambda row: any(match(text) for text in _texts(row)))
    reading = TableReading(layout)
    for key, row_reading in found.items():
        header = context.get(row_reading.row_index, "")
        expected = [tuple(normalise_label(name) for name in (column.header, *column.variants))
                    for column in spec[key].columns]
        if find_in_order(header, expected) is None:
            names = "/".join(column.header for column in spec[key].columns)
            reason = f"column header mismatch: expected {names} above {spec[key].label}, printed {header[:40]!r}"
            reading.problems.append(f"table 2 {key}: {reason}")
            row_reading = _unread(len(spec[key].columns), reason)
        reading.rows[key] = row_reading
    narrow_by_narrative(reading, narrative)
    return reading


# --- table 3 ------------------------------------------------------------------------------


def _t3_row_consistent(numbers: list[Number]) -> bool:
    values = [number.value for number in numbers]
    return None not in values and sum(values[:-1]) == values[-1]


# Share of rows whose 总计 must equal the sum of their six columns before numbers that lost
# their labels are accepted in template order: planted or real sum errors stay possible,
# a misaligned stream (another table's numbers, a lost cell) is refused.
UNLABELLED_ROWS_CONSISTENT = 0.8
_2021_ONLY = tuple(key for key in template.table3_row_keys(template.LAYOUT_2021)
                   if key not in template.table3_row_keys(template.LAYOUT_2019))


def _read_table3_rows(rows: list[list[str]], layout: str) -> dict[str, RowReading]:
    return read_labelled_rows(rows, lambda text: match_table3_row(text, layout), lambda key: TABLE3_WIDTH,
                              lambda key, i: False, _t3_row_consistent, lambda key: (TABLE3_WIDTH,))


def read_table3(blocks: list[Block], prefer: str | None = None) -> TableReading:
    """Table 3 rows by label, on the layout its rows show: the 2019 trial layout prints
    （六）其他处理 as one row with numbers, the 2021 layout its three items. When neither
    is printed, `prefer` (table 2's layout) decides. If no label survived, the numbers are
    aligned to the 2021 template order only when they fit it exactly and the row totals
    confirm it. Anything else is not guessed: every cell is None with the reason."""
    rows = block_rows(blocks)
    found = _read_table3_rows(rows, template.LAYOUT_2021)
    if any(key in found for key in _2021_ONLY):  # a row only 2021 prints: read on 2021's
        layout = template.LAYOUT_2021
    else:
        trial = _read_table3_rows(rows, template.LAYOUT_2019)
        if "other_processing" in trial or prefer == template.LAYOUT_2019:
            layout, found = template.LAYOUT_2019, trial
        else:
            layout = template.LAYOUT_2021
    if not found:
        rows_read, note = read_unlabelled_table3(rows)
        return TableReading(template.LAYOUT_2021 if rows_read else None, rows_read, [note] if note else [])
    reading = TableReading(layout, found)
    first = min(row.row_index for row in found.values())
    header = "".join(normalise_label(text) for row in rows[:first] for text in _texts(row))
    problem = _table3_header_problem(header)
    if problem:
        reading.problems.append(problem)
        if "mismatch" in problem:
            reading.rows = {key: _unread(TABLE3_WIDTH, problem) for key in found}
            return reading
    blank_totals_are_not_zero(reading.rows)
    reading.lossy = refuse_uncertain(rows, reading.rows, _t3_row_consistent)
    reading.problems.extend(resolve_glued_table3(reading.rows, layout))
    return reading


# Table 3's column headers wrap inside their narrow cells (商业企/业 in PDF text), so they are
# verified by their first characters: enough to tell these columns from any other table's.
HEADER_PREFIX = 2


def _table3_header_problem(header: str) -> str | None:
    """Table 3's column headers, verified: every column named, the five 法人或其他组织
    columns in template order (自然人 and 总计 sit on another header row in most prints)."""
    names = {key: tuple(name[:HEADER_PREFIX] for name in printed) for key, printed in table3_column_names().items()}
    if not any(name in header for key in ("natural_person", "commercial_enterprise") for name in names[key]):
        return "table 3: column headers not printed; template column order assumed"
    missing = [key for key, printed in names.items() if not any(name in header for name in printed)]
    organisations = [names[key] for key in template.TABLE3_COLUMN_KEYS[1:6]]
    group = header.find("法人或其他组织")
    if missing or find_in_order(header, organisations, group + len("法人或其他组织") if group >= 0 else 0) is None:
        shown = ", ".join(missing) if missing else "法人或其他组织 columns out of order"
        return f"table 3: column header mismatch ({shown}; printed {header[:60]!r})"
    return None


def blank_totals_are_not_zero(found: dict[str, RowReading]) -> None:
    """A blank 总计 beside applicant columns that are not all zero was left unfilled, not
    printed as 0 (a real 2019 report leaves every item row's 总计 blank): None, with why."""
    for reading in found.values():
        total = reading.numbers[-1]
        parts = [number.value for number in reading.numbers[:-1]]
        if total.flag == "blank" and None not in parts and sum(parts) != 0:
            reading.numbers[-1] = Number(None, total.printed, None,
                                         f"总计 left blank while the applicant columns add to {sum(parts)}")


def resolve_glued_table3(found: dict[str, RowReading], layout: str) -> list[str]:
    """Rows whose glued digits still had several splits, narrowed by the columns'
    arithmetic across rows; what stays ambiguous stays None."""
    ambiguous = {key: reading.candidates for key, reading in found.items() if reading.candidates}
    if not ambiguous:
        return []
    fixed = {key: [number.value for number in reading.numbers]
             for key, reading in found.items() if key not in ambiguous}
    outcomes = template.table3_outcome_keys(layout)
    constraints = [(outcomes, ("total_processed",)),
                   (("new_received", "carried_over"), ("total_processed", "carried_forward"))]
    narrowed, problem = glued.resolve_columns(ambiguous, fixed, constraints, TABLE3_WIDTH)
    for key, assignments in narrowed.items():
        printed = found[key].numbers[0].printed or ""
        if assignments:
            resolved = numbers_from_assignments(assignments, printed)
            resolved.row_index = found[key].row_index
            found[key] = resolved
    return [f"table 3: {problem}"] if problem else []


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
    return {key: _unread(TABLE3_WIDTH, reason) for key in template.TABLE3_ROW_KEYS}


# --- table 4 ------------------------------------------------------------------------------

_TABLE4_HEADER = re.compile(r"(维持|纠正|结果|审结|总计|复议|诉讼|起诉)")
_TABLE4_GROUPS = (len(template.TABLE4_COLUMNS),) * len(template.TABLE4_GROUPS)


def _t4_consistent(numbers: list[Number]) -> bool:
    values = [number.value for number in numbers]
    if None in values:
        return False
    return all(sum(values[g * 5:g * 5 + 4]) == values[g * 5 + 4] for g in range(3))


def _table4_header_problem(header: str) -> str | None:
    """Table 4's headers, verified: the three groups and the five result columns in order."""
    if not header:
        return "table 4: column headers not printed; template column order assumed"
    extra = label_variants()["table4_columns"]
    columns = [tuple(normalise_label(name) for name in (label, *extra.get(key, ())))
               for key, label in template.TABLE4_COLUMNS]
    groups_named = all(name in header for name in ("复议", "诉讼"))
    if not groups_named or find_in_order(header, columns) is None:
        return f"table 4: column header mismatch (expected 行政复议/行政诉讼 and 维持…总计; printed {header[:60]!r})"
    return None


def read_table4(blocks: list[Block], lossy: bool = False) -> TableReading:
    """The one data row of table 4: the number cells after its header rows, read only
    under the headers the template prints. `lossy`: the report's running text lost or
    glued cells elsewhere, so a data row that does not add up is not placed."""
    rows = block_rows(blocks)
    cells: list[str] = []
    header: list[str] = []
    started = inferred = False
    for row in rows:
        texts = [text for text in row]
        if not any(is_number_cell(text) for text in texts):
            if started and any(not _blank(text) for text in texts):
                break  # text after the data: the table is over
            header.extend(_texts(texts))
            continue
        non_numbers = _texts(texts)
        if non_numbers and any(_TABLE4_HEADER.search(text) for text in non_numbers):
            last_text = max(i for i, text in enumerate(texts) if text in non_numbers)
            header.extend(non_numbers)
            texts = texts[last_text + 1:]  # a header line ending in the data (running text)
            if not any(is_number_cell(text) for text in texts):
                continue
        started = True
        inferred = inferred or getattr(row, "inferred", False)
        cells.extend(text for text in texts if _blank(text) or is_number_cell(text))
        if sum(is_number_cell(text) for text in cells) >= TABLE4_WIDTH and len(cells) >= TABLE4_WIDTH:
            break
    if not any(is_number_cell(text) for text in cells):
        return TableReading(None)
    reading = TableReading(template.LAYOUT_2021)
    problem = _table4_header_problem("".join(normalise_label(text) for text in header))
    if problem:
        reading.problems.append(problem)
    if problem and "mismatch" in problem:
        reading.rows["table4"] = _unread(TABLE4_WIDTH, problem)
    else:
        row_reading = align(cells, TABLE4_WIDTH, lambda i: False, _t4_consistent, _TABLE4_GROUPS)
        known = all(number.value is not None for number in row_reading.numbers)
        if inferred and (lossy or _lossy(row_reading)) and known and not _t4_consistent(row_reading.numbers):
            row_reading = _unread(TABLE4_WIDTH, UNCERTAIN_BOUNDARIES)
        reading.rows["table4"] = row_reading
    return reading
