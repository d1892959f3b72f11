"""Report: what one annual report says, built from a Document.

report_from_document cuts the six sections by their headings (plain, markdown, bold or in
a table cell), reads title/agency/year/level/publication date, reads tables 2-4 through
parsers.tables, records every number as a Cell (value, as printed, flag, reason) and runs
the checks. Parse problems (a missing row, an unreadable cell, a scanned PDF) go to
`problems` and `status`; arithmetic failures are Checks. Pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from parsers import template
from parsers.checks import Check, run_checks
from parsers.document import Block, Document, Table
from parsers.labels import clean_text, normalise_text
from parsers.metadata import YEAR_RE, agency_from_title, find_title, level_of, parse_date, published_in_text
from parsers.sections import block_text, drop_chrome, section_text, split_sections
from parsers.tables import read_table2, read_table3, read_table4

STATUSES = ("ok", "partial", "failed")


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
    cells: list[Cell] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    metadata: dict = field(default_factory=dict)
    narrative: str = ""  # all body text, for checks when no section heading was found

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
            "checks": [check.to_json() for check in self.checks],
        }


def failed_report(*problems: str) -> Report:
    return Report(status="failed", problems=list(problems))


# --- tables into the report ---------------------------------------------------------


def _fill_table2(report: Report, blocks: list[Block]) -> None:
    readings = read_table2(blocks)
    for key, _ in template.TABLE2_DOCUMENT_ROWS:
        reading = readings.get(key)
        for i, (col, _) in enumerate(template.TABLE2_DOCUMENT_COLUMNS):
            number = reading.numbers[i] if reading else None
            _record(report, "table2", key, col, number, reading.reason if reading else "row not printed")
            report.table2[key][col] = number.value if number else None
    for key, *_ in template.TABLE2_SINGLE_ROWS:
        reading = readings.get(key)
        number = reading.numbers[0] if reading else None
        _record(report, "table2", key, "value", number, reading.reason if reading else "row not printed")
        report.table2[key] = number.value if number else None


def _fill_table3(report: Report, blocks: list[Block]) -> None:
    readings, note = read_table3(blocks)
    if note:
        report.problems.append(note)
    for key in template.TABLE3_ROW_KEYS:
        reading = readings.get(key)
        for i, col in enumerate(template.TABLE3_COLUMN_KEYS):
            number = reading.numbers[i] if reading else None
            _record(report, "table3", key, col, number, reading.reason if reading else "row not printed")
            report.table3[key][col] = number.value if number else None


def _fill_table4(report: Report, blocks: list[Block]) -> None:
    reading = read_table4(blocks)
    for g, group in enumerate(template.TABLE4_GROUP_KEYS):
        for c, col in enumerate(template.TABLE4_COLUMN_KEYS):
            number = reading.numbers[g * 5 + c] if reading else None
            _record(report, "table4", group, col, number, reading.reason if reading else "table not found")
            report.table4[group][col] = number.value if number else None


def _record(report: Report, table: str, row: str, col: str, number, row_reason: str | None) -> None:
    if number is None:
        report.cells.append(Cell(table, row, col, None, None, None, row_reason))
    else:
        reason = number.reason or (row_reason if number.value is None else None)
        report.cells.append(Cell(table, row, col, number.value, number.printed, number.flag, reason))


PRE_2020_REASON = "pre-2020 layout: the 2021 template's tables do not exist in this report"


def _fill_pre_2020(report: Report, blocks: list[Block]) -> None:
    """Reports for 2019 and earlier follow the older, looser layout (one 统计指标 table, other
    section headings): keep the whole text, in section 1, and leave the 2021 tables NULL
    with the reason rather than forcing old numbers into new rows."""
    report.format = "pre-2020"
    report.sections["1"] = "\n".join(
        clean_text(block.text) for block in blocks if not isinstance(block, Table)).strip() or None
    for fill in (_fill_table2, _fill_table3, _fill_table4):
        fill(report, [])
    for cell in report.cells:
        cell.reason = PRE_2020_REASON
    report.problems.append("pre-2020 layout: whole text kept in section 1; tables 2-4 of the 2021 template do not apply")


def _missing_summary(report: Report) -> list[str]:
    problems = []
    for table in ("table2", "table3", "table4"):
        rows: dict[str, str] = {}
        for cell in report.cells:
            if cell.table == table and cell.value is None:
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
    for key in ("PubDate", "发布日期", "公开日期", "publishtime", "发布时间", "pubdate"):
        if document.metadata.get(key):
            report.published = parse_date(document.metadata[key])
            if report.published:
                report.metadata["published_from"] = f"page {key}"
                break
    if report.published is None:
        report.published, source = published_in_text(blocks, report.year)
        if source:
            report.metadata["published_from"] = source

    has_old_layout = any(isinstance(b, Table) and "统计指标" in block_text(b) for b in blocks)
    if has_old_layout or (report.year is not None and report.year <= 2019):
        _fill_pre_2020(report, blocks)
    else:
        for section in template.SECTIONS:
            number = section.number
            report.sections[number] = (section_text(sections[number], with_tables=number in "156")
                                       if number in sections else None)
        missing_sections = [s.number for s in template.SECTIONS if s.number not in sections]
        if missing_sections:
            report.problems.append(f"section headings not found: {', '.join(missing_sections)}")

        _fill_table2(report, sections.get("2", blocks))
        _fill_table3(report, sections.get("3", blocks))
        _fill_table4(report, sections.get("4", blocks))
        report.problems.extend(_missing_summary(report))
        if any(report.table3[key]["total"] is not None for key in template.TABLE3_ROW_KEYS):
            report.format = "2021"

    report.checks = run_checks(report)
    if report.format == "pre-2020":  # the 2021 arithmetic does not apply to the old layout
        report.checks = [check for check in report.checks if check.rule == "timeliness"]
    nothing_read = all(cell.value is None for cell in report.cells) and not any(report.sections.values())
    if nothing_read:
        report.status = "failed"
        if not report.problems:
            report.problems.append("no report content found")
    elif report.problems:
        report.status = "partial"
    return report
