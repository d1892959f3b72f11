"""Real reports in the forms portals publish them, read against figures a person read off
the file (tests/fixtures/real/forms/, provenance beside each file)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import parsers
from parsers.template import TABLE3_COLUMNS, TABLE3_ROWS, TABLE4_COLUMNS, TABLE4_GROUPS

FORMS = Path(__file__).parent / "fixtures" / "real" / "forms"


def _plain(label: str) -> str:
    return re.sub(r"[\s、．.]", "", label)


def table3_key(printed: str) -> tuple[str, str]:
    """The canonical (row, column) of a hand-read 'row label|column label' pair, by the
    template's printed labels (a sub-row is printed with its group's label before it)."""
    row_label, col_label = printed.split("|")
    rows = {_plain(row.label): row.key for row in TABLE3_ROWS}
    rows |= {_plain(f"{row.group}{row.label}"): row.key for row in TABLE3_ROWS if row.group}
    return rows[_plain(row_label)], dict((label, key) for key, label in TABLE3_COLUMNS)[col_label]


def table4_key(printed: str) -> tuple[str, str]:
    group_label, col_label = printed.split("|")
    group = next(key for key, label in TABLE4_GROUPS if group_label.endswith(label))
    return group, dict((label, key) for key, label in TABLE4_COLUMNS)[col_label]


def test_a_pdf_exported_from_wps_with_tables_over_page_breaks():
    """淮安市人民政府 2024: table 2 breaks after 第二十条第（六）项, table 3 inside the label
    「（四）无|法提供」; every hand-read figure of tables 3 and 4 lands in its key."""
    truth = json.loads((FORMS / "huaian-city-2024-wps-export.expected.json").read_text("utf-8"))
    report = parsers.parse((FORMS / "huaian-city-2024-wps-export.pdf").read_bytes(), name="szfgs2024.pdf")
    assert (report.status, report.format, report.year) == ("ok", "2021", truth["year"])
    # The agency is printed on the line above the title: the two lines are one title.
    assert (report.agency, report.title) == (truth["agency"], truth["title"])
    cells = {(c.table, c.row_key, c.col_key): c.value for c in report.cells}
    for printed, value in truth["table3"].items():
        assert cells[("table3", *table3_key(printed))] == value, printed
    for printed, value in truth["table4"].items():
        assert cells[("table4", *table4_key(printed))] == value, printed
    assert not [check.rule for check in report.checks if check.passed is False]  # its sums hold


def test_a_real_table_3_that_mixes_the_layouts_is_read_as_printed_and_said_so():
    """洪泽区 2023: the 2021 rows with （六）其他处理 as one 2019-style row. Every figure as
    printed, the mixture named in problems, and the report's own broken table 4 sums
    failing their checks (not mended)."""
    truth = json.loads((FORMS / "hongze-district-2023-mixed-table3.expected.json").read_text("utf-8"))
    report = parsers.parse((FORMS / "hongze-district-2023-mixed-table3.pdf").read_bytes(), name="hzq2023_working.pdf")
    assert (report.title, report.agency, report.year) == (truth["title"], truth["agency"], truth["year"])
    assert (report.status, report.problems) == (truth["status"], truth["problems"])
    assert report.table2 == truth["table2"]
    others = ("commercial_enterprise", "research_institution", "social_welfare_org", "legal_service_org", "other_org")
    assert report.table3 == {row: {"natural_person": value, **dict.fromkeys(others, 0), "total": value}
                             for row, value in truth["table3_natural_person_and_total"].items()}
    assert report.table4 == truth["table4"]
    assert [[c.rule, c.scope] for c in report.checks if c.passed is False] == truth["failed_checks"]


def test_a_real_wps_pdf_whose_cheap_and_full_readings_agree_figure_for_figure():
    """洪泽区 2024 (WPS 文字 via Jisupdf, the 2023 file's office): every hand-read figure of
    tables 2-4 lands in its key, read the same from PDFium's text runs as from pdfplumber;
    its sums hold, and its narrative's 受理…申请17件 against table 3's 95 is a difference
    reported, not mended."""
    from parsers.pdf_document import document_from_pdf_positions
    from parsers.report import report_from_document
    from parsers.template import TABLE2_DOCUMENT_ROWS, TABLE3_LAYOUTS

    truth = json.loads((FORMS / "hongze-district-2024-wps-export.expected.json").read_text("utf-8"))
    data = (FORMS / "hongze-district-2024-wps-export.pdf").read_bytes()
    report = parsers.parse(data, name="hzq2024_working.pdf")
    assert (report.title, report.agency, report.year, report.format) == (
        truth["title"], truth["agency"], truth["year"], truth["layout"])
    assert report.problems == ["table 2 is on the 2021 layout, table 3 on the 2019 layout"]  # （六）其他处理 as one row
    layouts = [row for rows in TABLE3_LAYOUTS.values() for row in rows]
    rows = {_plain(row.label): row.key for row in layouts} | {
        _plain(f"{row.group}{row.label}"): row.key for row in layouts if row.group}
    rows[_plain("（三）不予公开 2.其他法律行政止公开")] = "denied_prohibited_by_law"  # a typo as printed
    columns = {label: key for key, label in TABLE3_COLUMNS}
    cells = {(c.table, c.row_key, c.col_key): c.value for c in report.cells}
    for printed, value in truth["table3"].items():
        row, column = printed.split("|")
        assert cells[("table3", rows[_plain(row)], columns[column])] == value, printed
    for printed, value in truth["table4"].items():
        assert cells[("table4", *table4_key(printed))] == value, printed
    documents = {label: key for key, label in TABLE2_DOCUMENT_ROWS}
    for printed, value in truth["table2"].items():
        row, column = printed.split("|")
        if row in documents:
            column = {"本年制发件数": "issued", "本年废止件数": "repealed", "现行有效件数": "in_force"}[column]
            assert report.table2[documents[row]][column] == value, printed
    assert [report.table2[key] for key in ("licensing", "penalty", "coercion", "fees")] == [
        truth["table2"][f"{label}|{column}"] for label, column in (
            ("行政许可", "本年处理决定数量"), ("行政处罚", "本年处理决定数量"), ("行政强制", "本年处理决定数量"),
            ("行政事业性收费", "本年收费金额（单位：万元）"))]
    failed = [(c.rule, c.printed, c.computed) for c in report.checks if c.passed is False]
    assert failed == [("text_no_applications", 95, 17)]
    cheap = report_from_document(document_from_pdf_positions(data))
    assert (cheap.table2, cheap.table3, cheap.table4) == (report.table2, report.table3, report.table4)
