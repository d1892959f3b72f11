"""Real reports nobody here wrote, read against the figures a person read off them.

tests/fixtures/real/reports/ holds each report as it was found (provenance beside it) and
an expected file filled in by hand, not by this parser. A cell the expected file leaves
null is blank in the source: the parser reads it as 0 flagged `blank`, or as NULL where a
blank cannot be 0 (a 总计 left blank beside non-zero columns). Either is right; any other
number is a wrong number.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import parsers

REAL = Path(__file__).parent / "fixtures" / "real" / "reports"


def expected(slug: str) -> dict:
    return json.loads((REAL / f"{slug}.expected.json").read_text("utf-8"))


def test_every_real_report_has_its_provenance_and_expected_output():
    reports = [path for path in REAL.iterdir() if path.suffix in (".js", ".txt", ".html")]
    assert reports
    for path in reports:
        provenance = json.loads((REAL / f"{path.stem}.provenance.json").read_text("utf-8"))
        assert provenance["site"] and provenance["layout"] and provenance["rendering"], path.name
        assert provenance["repository"] or provenance.get("search_index_file_id"), path.name
        assert expected(path.stem)["year"], path.name


def shanghai_page() -> bytes:
    """The report HTML as the JS data file holds it: the string value of `let content`."""
    script = (REAL / "shanghai-office-2019.js").read_text("utf-8")
    content = re.search(r'let content = "(.*?)"\s*;?\s*\n', script, re.S).group(1).replace('\\"', '"')
    return f"<html><body>{content}</body></html>".encode("utf-8")


def agrees(cell, value) -> bool:
    if value is None:
        return cell.value is None or (cell.value == 0 and cell.flag == "blank")
    return cell.value == value


def cells_of(report, table: str) -> dict:
    return {(cell.row_key, cell.col_key): cell for cell in report.cells if cell.table == table}


def test_a_real_2019_report_is_read_on_the_2019_layout():
    """上海市人民政府办公厅 2019: before the layouts were told apart its 本年新制作数量 was read
    as 本年制发件数 and 上一年项目数量 as decisions; now each column lands in its own key."""
    truth = expected("shanghai-office-2019")
    report = parsers.parse(shanghai_page(), name="shanghai.html")
    assert (report.agency, report.year, report.format) == (truth["agency"], 2019, "2019")
    assert report.published.isoformat() == "2020-01-31"
    own = cells_of(report, "table2_2019")
    for row, columns in truth["table2"].items():
        for col, value in columns.items():
            if col == "amount_unit":
                continue
            if (row, col) == ("procurement", "amount"):  # printed 251000元: a unit the key does not fix
                assert own[(row, col)].value is None and "251000元" in own[(row, col)].reason
                continue
            assert agrees(own[(row, col)], value), (row, col)
    assert report.table2["regulations"] == {"issued": 13, "repealed": None, "in_force": None}
    assert report.table2["normative_documents"]["issued"] == 60
    table3 = cells_of(report, "table3")
    for row, columns in truth["table3"].items():
        for col, value in columns.items():
            assert agrees(table3[(row, col)], value), (row, col)
    assert report.table4 == {group: {col: (0 if value is None else value) for col, value in columns.items()}
                             for group, columns in truth["table4"].items()}
    # every 总计 of an item row is blank in the source: missing, so no check fails on it
    assert report.table3["granted"]["total"] is None
    assert not [check for check in report.checks if check.passed is False]


def test_a_real_ocr_copy_reads_its_table_2_and_refuses_tables_it_cannot_place():
    """沭阳县 2025 as a PDF-to-markdown copy: table 2 is whole; table 3's columns are headed
    数据1…数据6, so no number of it goes into an applicant column."""
    truth = expected("shuyang-2025-county-ocr")
    report = parsers.parse((REAL / "shuyang-2025-county-ocr.txt").read_bytes(), name="shuyang.txt")
    assert report.year == 2025 and report.format == "2021"
    table2 = truth["table2"]
    assert report.table2["regulations"] == table2["regulations"]
    assert report.table2["normative_documents"] == table2["normative_documents"]
    assert report.table2["licensing"] == table2["licensing"]["decisions"]
    assert report.table2["penalty"] == table2["penalty"]["decisions"]
    assert report.table2["coercion"] == table2["coercion"]["decisions"]
    assert report.table2["fees"] == pytest.approx(table2["fees"]["amount"])
    assert all(value is None for row in report.table3.values() for value in row.values())
    assert any("table 3: column header mismatch" in problem for problem in report.problems)
