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
from parsers.chrome import is_chrome
from parsers.document import Block, Cell as TableCell, Document, Table
from parsers.labels import clean_text, normalise_label, normalise_text
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


# --- sections ---------------------------------------------------------------------

_NUMERALS = {"一": "1", "二": "2", "三": "3", "四": "4", "五": "5", "六": "6"}
_SECTION_WORDS = {
    "1": ("总体情况",),
    "2": ("主动公开",),
    "3": ("申请",),
    "4": ("复议", "诉讼"),
    "5": ("问题",),
    "6": ("其他需要报告",),
}
_HEADING_RE = re.compile(r"^([一二三四五六])[、.,:]?(.*)$")


def section_number(text: str) -> str | None:
    """"1".."6" when a line is one of the six section headings, else None."""
    label = normalise_label(text)
    if not label or len(label) > 40:
        return None
    match = _HEADING_RE.match(label)
    if match:
        number, rest = _NUMERALS[match.group(1)], match.group(2)
        if all(word in rest for word in _SECTION_WORDS[number]) and "结转" not in rest:
            return number
        return None
    for section in template.SECTIONS:
        if label == normalise_label(section.heading):
            return section.number
    return None


def _block_text(block: Block) -> str:
    if isinstance(block, Table):
        return "\n".join("\t".join(cell.text for cell in row if not cell.spanned).strip()
                         for row in block.rows)
    return block.text


def drop_chrome(blocks: list[Block]) -> list[Block]:
    kept: list[Block] = []
    for block in blocks:
        if isinstance(block, Table):
            rows = [row for row in block.rows
                    if not (len({c.text for c in row if c.text.strip()}) == 1
                            and is_chrome(next(c.text for c in row if c.text.strip())))]
            if rows:
                kept.append(Table(rows))
        elif not is_chrome(block.text):
            kept.append(block)
    return kept


def split_sections(blocks: list[Block]) -> tuple[list[Block], dict[str, list[Block]]]:
    """(blocks before section 1, {number: blocks}) cut at the six headings, in order.

    Headings only move forward, so sub-headings such as 三、深化政民互动 inside section 6
    (seed 002) or the table row 四、结转下年度继续办理 never start a section.
    """
    preamble: list[Block] = []
    sections: dict[str, list[Block]] = {}
    current = "0"
    target = preamble

    def start(number: str) -> None:
        nonlocal current, target
        current = number
        target = sections.setdefault(number, [])

    for block in blocks:
        if isinstance(block, Table):
            rows: list[list[TableCell]] = []
            for row in block.rows:
                texts = {cell.text.strip() for cell in row if cell.text.strip()}
                number = section_number(next(iter(texts))) if len(texts) == 1 else None
                if number and number > current:
                    if rows:
                        target.append(Table(rows))
                        rows = []
                    start(number)
                else:
                    rows.append(row)
            if rows:
                target.append(Table(rows))
            continue
        number = section_number(block.text)
        if number and number > current:
            start(number)
        else:
            target.append(block)
    return preamble, sections


def section_text(blocks: list[Block], with_tables: bool) -> str | None:
    lines = []
    for block in blocks:
        if isinstance(block, Table):
            if with_tables:
                lines.append(_block_text(block))
        else:
            lines.append(block.text.strip())
    return "\n".join(line for line in lines if line)


# --- metadata ---------------------------------------------------------------------

_YEAR_RE = re.compile(r"((?:19|20)\d{2})\s*年")
_DATE_RE = re.compile(r"((?:19|20)\d{2})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})")
_TITLE_TAIL = re.compile(r"(?:政府)?(?:信息公开|政务公开)")


def parse_date(text: str | None) -> date | None:
    match = _DATE_RE.search(normalise_text(text or ""))
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


_CN_DIGITS = {"〇": 0, "○": 0, "零": 0, "O": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}
_CN_DATE_RE = re.compile(r"([〇○零O一二三四五六七八九]{4})\s*年\s*([一二三四五六七八九十]{1,3})\s*月"
                         r"\s*([一二三四五六七八九十]{1,3})\s*日")
_ANY_DATE = (r"(?:(?:19|20)\d{2}\s*[-年/.]\s*\d{1,2}\s*[-月/.]\s*\d{1,2}\s*日?"
             r"|[〇○零O一二三四五六七八九]{4}\s*年\s*[一二三四五六七八九十]{1,3}\s*月\s*[一二三四五六七八九十]{1,3}\s*日)")
# 发布日期：2025年1月20日 anywhere in the text
_LABELLED_DATE_RE = re.compile(r"(?:发布日期|公开日期|发布时间|印发日期)\s*[:：]?\s*(" + _ANY_DATE + ")")
# a signature line: at most a short name (no sentence punctuation) then the date, nothing after
_SIGNATURE_RE = re.compile(r"^[^。，,；;：:！？!?]{0,40}?\s*(" + _ANY_DATE + r")\s*$")
CLOSING_BLOCKS = 6  # how many of the last text blocks count as the closing lines


def _cn_small_number(text: str) -> int:
    """一..九, 十, 十二, 二十, 三十一 -> int."""
    if "十" not in text:
        return _CN_DIGITS[text]
    tens, _, units = text.partition("十")
    return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[units] if units else 0)


def parse_any_date(text: str | None) -> date | None:
    """2025年1月20日, 2025-01-20, 2025/1/20 or 二〇二五年一月二十日 -> date."""
    found = parse_date(text)
    if found:
        return found
    match = _CN_DATE_RE.search(normalise_text(text or ""))
    if not match:
        return None
    try:
        year = int("".join(str(_CN_DIGITS[ch]) for ch in match.group(1)))
        return date(year, _cn_small_number(match.group(2)), _cn_small_number(match.group(3)))
    except (KeyError, ValueError):
        return None


def published_in_text(blocks: list[Block], year: int | None) -> tuple[date | None, str | None]:
    """The publication date the report itself prints, and where it was found.

    A `发布日期：…` statement anywhere (a date after the reporting year), else the signature
    date: the last date standing alone (or after the agency's name) on one of the closing
    lines, if it falls in year + 1. Unknown year: no signature date is trusted. Dates in
    sentences (本报告统计数据从2024年1月1日至…) never count.
    """
    texts = [normalise_text(block.text) for block in blocks if not isinstance(block, Table)]
    for text in texts:
        match = _LABELLED_DATE_RE.search(text)
        if match:
            found = parse_any_date(match.group(1))
            if found and (year is None or found.year > year):
                return found, "text 发布日期"
    if year is None:
        return None, None
    for text in reversed(texts[-CLOSING_BLOCKS:]):
        for line in reversed(text.split("\n")):
            match = _SIGNATURE_RE.match(line.strip())
            if match:
                found = parse_any_date(match.group(1))
                if found and found.year == year + 1:
                    return found, "signature line"
    return None, None


def agency_from_title(title: str) -> str | None:
    """中宁县徐套乡 2024 年政府信息公开工作年度报告 -> 中宁县徐套乡 (人民政府 kept as printed)."""
    title = normalise_text(title).replace("《", "").replace("》", "")
    match = re.match(r"^(.*?)\s*(?:19|20)\d{2}\s*年度?", title)
    if match and match.group(1).strip(" :：,，-"):
        agency = match.group(1).strip(" :：,，-")
        agency = re.sub(r"(关于)$", "", agency).strip()
        return agency or None
    match = re.match(r"^\s*(?:19|20)\d{2}\s*年度?\s*(.*?)\s*(?:政府信息公开|政务公开|信息公开)", title)
    if match and match.group(1).strip():
        return match.group(1).strip()
    match = _TITLE_TAIL.search(title)
    if match and title[: match.start()].strip():
        return title[: match.start()].strip()
    return None


def level_of(agency: str | None) -> str:
    if not agency:
        return "unknown"
    name = re.sub(r"人民政府$", "", agency)
    if re.search(r"(街道办事处|街道办|街道)$", agency):
        return "street"
    if re.search(r"[乡镇]$", name) or re.search(r"(苏木)$", name):
        return "township"
    if re.search(r"(局|委员会|委|办公室|办|中心|院|队|所|站|厅|署|会|处|馆|社|部)$", name):
        return "department"
    if re.search(r"[县区市旗州盟]$", name):
        return "county"
    return "unknown"


# A sentence that mentions the report ("现将…年度报告发布如下") is not its title.
_NOT_A_TITLE = re.compile(r"^(现将|根据|按照|依据|关于印发)|如下|[。；]")


def find_title(document: Document, preamble: list[Block], blocks: list[Block]) -> str | None:
    """The report's title: the page's ArticleTitle when it names a report (the CMS field
    is what the publisher typed as the title), else the first short line that does."""
    article_title = normalise_text(document.metadata.get("ArticleTitle") or "")
    if "报告" in article_title:
        return article_title
    for block in preamble + blocks[:5]:
        text = clean_text(block.text).strip("# *") if not isinstance(block, Table) else ""
        if "报告" in text and len(text) <= 80 and not _NOT_A_TITLE.search(text):
            return text
    title = article_title or document.metadata.get("title")
    return normalise_text(title) if title else None


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
    report.narrative = "\n".join(_block_text(block) for block in blocks if not isinstance(block, Table))

    report.title = find_title(document, preamble, blocks)
    meta_title = document.metadata.get("ArticleTitle")
    report.agency = (agency_from_title(report.title or "") or agency_from_title(meta_title or "")
                     or document.metadata.get("发布机构") or None)
    year_match = _YEAR_RE.search(normalise_text(report.title or "")) or _YEAR_RE.search(
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

    has_old_layout = any(isinstance(b, Table) and "统计指标" in _block_text(b) for b in blocks)
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
