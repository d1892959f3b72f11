"""Report: what one annual report says, built from a Document.

report_from_document cuts the six sections by their headings (plain, markdown, bold or in
a table cell), reads title/agency/year/level/publication date, reads tables 2-4 through
parsers.tables, records every number as a Cell (value, as printed, flag, reason) and runs
the checks. Parse problems (a missing row, an unreadable cell, a scanned PDF) go to
`problems` and `status`; arithmetic failures are Checks. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from parsers import template
from parsers.checks import Check, aggregation_statement, run_checks
from parsers.document import Block, Document, Table
from parsers.labels import clean_text, normalise_text
from parsers.metadata import YEAR_RE, agency_from_title, find_title, level_of, parse_date, published_in_text
from parsers.sections import block_text, drop_chrome, section_text, split_sections
from parsers.legacy import is_legacy_layout, read_legacy
from parsers.ocr_document import DOUBTFUL_SCORE, ocr_score
from parsers.tables import TableReading, read_table2, read_table3, read_table4

@dataclass
class Cell:
    """One number of tables 2-4 as read: value None means missing, never zero."""

    table: str  # table2 | table3 | table4
    row_key: str
    col_key: str
    value: int | float | None
    printed: str | None = None
    flag: str | None = None
    reason: str | None = None
    confidence: float | None = None  # the OCR box score, for a number read from a scan


@dataclass
class Report:
    title: str | None = None
    agency: str | None = None
    level: str = "unknown"
    year: int | None = None
    published: date | None = None
    format: str = "unknown"
    status: str = "ok"
    problems: list[str] = field(default_factory=list)
    sections: dict[str, str | None] = field(default_factory=lambda: {s.number: None for s in template.SECTIONS})
    table2: dict = field(default_factory=template.blank_table2)
    table3: dict = field(default_factory=template.blank_table3)
    table4: dict = field(default_factory=template.blank_table4)
    table2_2019: dict | None = None  # the 2019 trial layout's own table 2, when that layout was read
    legacy: dict | None = None  # the 统计指标 figures of a pre-2020 report
    cells: list[Cell] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    metadata: dict = field(default_factory=dict)
    narrative: str = ""  # all body text, for checks when no section heading was found
    aggregates: str | None = None  # a county report's sentence saying it sums its units' reports

    def to_json(self) -> dict:
        """The `ogi parse --json` shape: canonical keys, null for missing."""
        return {
            "title": self.title,
            "agency": self.agency,
            "level": self.level,
            "year": self.year,
            "published": self.published.isoformat() if self.published else None,
            "format": self.format,
            "status": self.status,
            "problems": list(self.problems),
            "sections": {key: self.sections.get(key) for key in (s.number for s in template.SECTIONS)},
            "table2": self.table2,
            "table3": self.table3,
            "table4": self.table4,
            "table2_2019": self.table2_2019,
            "legacy": self.legacy,
            "checks": [check.to_json() for check in self.checks],
            "aggregates": self.aggregates,
        }


def read_whole(report: Report) -> bool:
    """A report read completely and consistently: a layout of three tables recognised, every
    number of tables 2-4 read, no problem noted, every arithmetic check passed. The cheap PDF
    reading is kept only then (parsers.parse); anything less, and the full reader reads the
    file, so the cheap reading never costs a number the full one would have read."""
    arithmetic = [check for check in report.checks if check.rule.startswith(("t3_", "t4_"))]

    def printed(cell: Cell) -> bool:  # the 2019 layout has no column for some 2021 keys
        return not (report.format == template.LAYOUT_2019 and cell.table == "table2"
                    and (cell.row_key, cell.col_key) not in template.COMPARABLE_2019)

    return (report.status == "ok" and not report.problems and _tables_read(report)
            and all(cell.value is not None for cell in report.cells if printed(cell))
            and bool(arithmetic) and all(check.passed for check in arithmetic))


def _tables_read(report: Report) -> bool:
    """Title, year and the cells of a three-table layout: what any cheap reading kept needs."""
    return (report.format in template.LAYOUTS and report.format != template.LAYOUT_LEGACY
            and bool(report.title) and report.year is not None and bool(report.cells))


def same_reading(first: Report, second: Report | None, text: str = "") -> bool:
    """Two readers of one file, one by position and one by text order, read the same layout
    and every cell of it alike (number and printing, a blank as blank) with the same status
    and problems, and the first found the title and year. On that agreement parsers.parse
    keeps the cheap PDF reading of a report whose printed sums fail, which pdfplumber (many
    times slower) read the same in every case measured. A "partial" reading is kept only
    where its missing rows are table 3 rows whose label is nowhere in the file's `text`: a
    row split over a page break is there, and pdfplumber reads it."""
    def cells(report: Report) -> dict:
        return {(cell.table, cell.row_key, cell.col_key): (cell.value, cell.printed) for cell in report.cells}

    return (second is not None and first.status == second.status
            and (first.status == "ok" or (first.status == "partial" and unprinted_rows_absent(first, text)))
            and _tables_read(first) and first.format == second.format and cells(first) == cells(second)
            and first.problems == second.problems)


def unprinted_rows_absent(report: Report, text: str) -> bool:
    """Every number the report misses is in a table 3 row it found no label for, and no
    printing of that row's label (in the labels' own form, line breaks aside; without its enumerator
    where what is left is 4 characters or more, so 总计 the column is not （七）总计 the row)
    is in `text`."""
    import re
    import unicodedata

    from parsers.labels import normalise_label, strip_enumerator, table3_row_labels

    missing = {(cell.table, cell.row_key) for cell in report.cells if cell.value is None}
    if not missing or any(table != "table3" for table, _ in missing):
        return False
    if any(cell.value is None and cell.reason != "row not printed" for cell in report.cells):
        return False
    # the text with its white space gone, and in the labels' own form line by line (a line's
    # 1、 is their 1., quotes dropped): a label found in either is there. Uncached: a
    # report's lines would only push the labels out of normalise_label's cache.
    flats = (re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or "")),
             "".join(normalise_label.__wrapped__(line) for line in (text or "").splitlines()))
    if not flats[0]:
        return False
    rows = {row for _, row in missing}
    printings = set()
    for label, key in table3_row_labels(report.format).items():
        if key in rows:  # the label as printed, and its core where that names the row alone (4+ characters)
            printings.add(label)
            if len(strip_enumerator(label)) >= 4:
                printings.add(strip_enumerator(label))
    return not any(printing in flat for printing in printings for flat in flats)


def failed_report(*problems: str) -> Report:
    return Report(status="failed", problems=list(problems))


# --- tables into the report ---------------------------------------------------------


def _store(report: Report, table: str, target: dict, row_key: str, col_key: str, number, row_reason: str) -> None:
    """One number into its key (`value` is a single-number row of table 2) and its Cell."""
    _record(report, table, row_key, col_key, number, row_reason)
    value = number.value if number else None
    if col_key == "value":
        target[row_key] = value
    else:
        target[row_key][col_key] = value


def _fill_table2(report: Report, blocks: list[Block], narrative: str) -> str | None:
    """Table 2 on the layout its headers name; the 2019 layout's cells also fill the 2021
    keys they are comparable with (COMPARABLE_2019), the rest of those stay NULL."""
    reading = read_table2(blocks, narrative)
    report.problems.extend(reading.problems)
    absent = reading.problems[0] if reading.problems and not reading.rows else "row not printed"
    if reading.layout == template.LAYOUT_2019:
        report.table2_2019 = template.blank_table2_2019()
        own: dict[tuple[str, str], object] = {}
        for row in template.TABLE2_LAYOUT_2019:
            row_reading = reading.rows.get(row.key)
            for i, column in enumerate(row.columns):
                number = row_reading.numbers[i] if row_reading else None
                own[(row.key, column.key)] = number
                _store(report, "table2_2019", report.table2_2019, row.key, column.key, number,
                       row_reading.reason if row_reading else absent)
        for row in template.TABLE2_LAYOUT_2021:
            for column in row.columns:
                source = template.COMPARABLE_2019.get((row.key, column.key))
                if source is None:
                    _store(report, "table2", report.table2, row.key, column.key, None,
                           f"2019 layout: no column comparable with {column.header}")
                else:
                    header = next(c.header for r in template.TABLE2_LAYOUT_2019 if r.key == source[0]
                                  for c in r.columns if c.key == source[1])
                    _store(report, "table2", report.table2, row.key, column.key, own[source],
                           f"2019 layout: {header} not read")
        return reading.layout
    for row in template.TABLE2_LAYOUT_2021:
        row_reading = reading.rows.get(row.key)
        for i, column in enumerate(row.columns):
            number = row_reading.numbers[i] if row_reading else None
            _store(report, "table2", report.table2, row.key, column.key, number,
                   row_reading.reason if row_reading else absent)
    return reading.layout


def _fill_table3(report: Report, blocks: list[Block], prefer: str | None) -> TableReading:
    reading = read_table3(blocks, prefer)
    report.problems.extend(reading.problems)
    layout = reading.layout or template.LAYOUT_2021
    report.table3 = template.blank_table3(layout)
    for key in template.table3_row_keys(layout):
        row_reading = reading.rows.get(key)
        for i, col in enumerate(template.TABLE3_COLUMN_KEYS):
            number = row_reading.numbers[i] if row_reading else None
            _store(report, "table3", report.table3, key, col, number,
                   row_reading.reason if row_reading else "row not printed")
    return reading


def _fill_table4(report: Report, blocks: list[Block], lossy: bool) -> None:
    reading = read_table4(blocks, lossy)
    report.problems.extend(reading.problems)
    row_reading = reading.rows.get("table4")
    for g, group in enumerate(template.TABLE4_GROUP_KEYS):
        for c, col in enumerate(template.TABLE4_COLUMN_KEYS):
            number = row_reading.numbers[g * 5 + c] if row_reading else None
            _store(report, "table4", report.table4, group, col, number,
                   row_reading.reason if row_reading else "table not found")


def _record(report: Report, table: str, row: str, col: str, number, row_reason: str | None) -> None:
    if number is None:
        report.cells.append(Cell(table, row, col, None, None, None, row_reason))
    else:
        reason = number.reason or (row_reason if number.value is None else None)
        score = ocr_score(number.printed)
        flag = "ocr_doubtful" if score is not None and score < DOUBTFUL_SCORE and number.value is not None \
            else number.flag
        printed = None if number.printed is None else str(number.printed)
        report.cells.append(Cell(table, row, col, number.value, printed, flag, reason, score))


LEGACY_REASON = "pre-2020 layout: the 2021 template's tables do not exist in this report"


def _fill_legacy(report: Report, blocks: list[Block]) -> None:
    """Reports before the 2019 layout have one 统计指标 table and other section headings:
    keep the whole text in section 1, read the table's figures into the legacy keys, and
    leave the 2021 tables NULL with the reason rather than forcing old numbers into new rows."""
    report.format = template.LAYOUT_LEGACY
    report.sections["1"] = "\n".join(
        clean_text(block.text) for block in blocks if not isinstance(block, Table)).strip() or None
    for row in template.TABLE2_LAYOUT_2021:
        for column in row.columns:
            _store(report, "table2", report.table2, row.key, column.key, None, LEGACY_REASON)
    for key in template.TABLE3_ROW_KEYS:
        for col in template.TABLE3_COLUMN_KEYS:
            _store(report, "table3", report.table3, key, col, None, LEGACY_REASON)
    for group in template.TABLE4_GROUP_KEYS:
        for col in template.TABLE4_COLUMN_KEYS:
            _store(report, "table4", report.table4, group, col, None, LEGACY_REASON)
    reading = read_legacy(blocks)
    report.problems.extend(reading.problems)
    report.legacy = dict.fromkeys(template.LEGACY_KEYS)
    for key in template.LEGACY_KEYS:
        row_reading = reading.rows.get(key)
        number = row_reading.numbers[0] if row_reading else None
        _store(report, "legacy", report.legacy, key, "value", number,
               row_reading.reason if row_reading else "row not printed")
    report.problems.append("pre-2020 layout: whole text kept in section 1; tables 2-4 of the 2021 template do "
                           "not apply; the 统计指标 figures are in `legacy`")


def _missing_summary(report: Report) -> list[str]:
    problems = []
    for table in ("table2", "table2_2019", "table3", "table4"):
        rows: dict[str, str] = {}
        for cell in report.cells:
            if cell.table == table and cell.value is None and not (cell.reason or "").startswith("2019 layout:"):
                rows.setdefault(cell.row_key, cell.reason or "missing")
        if rows:
            shown = ", ".join(f"{row} ({reason})" for row, reason in list(rows.items())[:8])
            more = f" and {len(rows) - 8} more" if len(rows) > 8 else ""
            problems.append(f"{table}: missing {shown}{more}")
    return problems


def report_from_document(document: Document) -> Report:
    """Everything a Report holds, read from one Document. Never raises for odd content."""
    if document.failed:
        report = failed_report(*(document.problems or ["nothing readable"]))
        report.metadata = dict(document.metadata)
        return report
    report = Report(metadata=dict(document.metadata))
    report.problems.extend(document.problems)
    blocks = drop_chrome(document.blocks)
    preamble, sections = split_sections(blocks)
    report.narrative = "\n".join(block_text(block) for block in blocks if not isinstance(block, Table))

    report.title = find_title(document, preamble, blocks)
    meta_title = document.metadata.get("ArticleTitle")
    report.agency = (agency_from_title(report.title or "") or agency_from_title(meta_title or "")
                     or document.metadata.get("发布机构") or None)
    year_match = YEAR_RE.search(normalise_text(report.title or "")) or YEAR_RE.search(
        normalise_text(meta_title or ""))
    report.year = int(year_match.group(1)) if year_match else None
    report.level = level_of(report.agency)
    report.aggregates = aggregation_statement(report.narrative) if report.level == "county" else None
    # the date the page shows first: a head meta may be the page's generation time
    for key in ("publishtime", "发布日期", "公开日期", "PubDate", "发布时间", "pubdate"):
        if document.metadata.get(key):
            report.published = parse_date(document.metadata[key])
            if report.published:
                report.metadata["published_from"] = f"page {key}"
                break
    if report.published is None:
        report.published, source = published_in_text(blocks, report.year)
        if source:
            report.metadata["published_from"] = source

    if is_legacy_layout(blocks):
        _fill_legacy(report, blocks)
    else:
        missing_sections = [s.number for s in template.SECTIONS if s.number not in sections]
        if missing_sections:
            report.problems.append(f"section headings not found: {', '.join(missing_sections)}")
        overview = section_text(sections.get("1", []), with_tables=False) or ""
        table2_layout = _fill_table2(report, sections.get("2", blocks), overview)
        table3 = _fill_table3(report, sections.get("3", blocks), table2_layout)
        table3_layout = table3.layout
        _fill_table4(report, sections.get("4", blocks), table3.lossy)
        if table2_layout and table3_layout and table2_layout != table3_layout:
            report.problems.append(f"table 2 is on the {table2_layout} layout, table 3 on the {table3_layout} layout")
        report.format = table2_layout or table3_layout or "unknown"
        unread_table2 = table2_layout is None and any(cell.table == "table2" and cell.reason and "header"
                                                      in cell.reason for cell in report.cells)
        for section in template.SECTIONS:
            number = section.number
            # a table read into no key keeps its text in its section (2: headers of no known layout)
            with_tables = number in "156" or (number == "2" and unread_table2)
            report.sections[number] = (section_text(sections[number], with_tables=with_tables)
                                       if number in sections else None)
        report.problems.extend(_missing_summary(report))

    report.checks = run_checks(report)
    if report.format == template.LAYOUT_LEGACY:  # the 2021 arithmetic does not apply to the old layout
        report.checks = [check for check in report.checks if check.rule == "timeliness"]
    nothing_read = all(cell.value is None for cell in report.cells) and not any(report.sections.values())
    if nothing_read:
        report.status = "failed"
        if not report.problems:
            report.problems.append("no report content found")
    elif report.problems:
        report.status = "partial"
    return report
