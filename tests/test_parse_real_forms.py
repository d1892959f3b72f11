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
