"""Table 3 whose labels were lost (PDF text layers, flattened copies): only the numbers in
template order survive. They are aligned to the template when they fit it exactly and the
row totals confirm it; a wrong count or a stream the totals refute is never guessed.

Numbers come from the sample world's generator (varied, non-zero, one report with a
planted row-total error), so a reader that returns zeros or "fixes" sums cannot pass.
"""

from __future__ import annotations

import io

import pytest

import parsers
from parsers import template


@pytest.fixture(scope="module")
def specs():
    generate = pytest.importorskip("sample_portals.reports")
    from sample_portals import portals

    found = [spec for spec in generate.generate_reports(2025, 40, portals.PORTALS)
             if spec.format == "2021" and all(v is not None for row in spec.table3.values() for v in row.values())]
    planted = next(spec for spec in found if "t3_row_total" in spec.expected_failed_checks)
    return {"plain": found[0], "other": found[1], "planted": planted}


def t3_lines(table3: dict) -> list[list[str]]:
    return [[str(table3[row][col]) for col in template.TABLE3_COLUMN_KEYS] for row in template.TABLE3_ROW_KEYS]


def report_text(spec, table3_lines: list[str]) -> str:
    """A report as a PDF text layer that lost table 3's labels: tables 2 and 4 keep theirs."""
    t2, t4 = spec.table2, spec.table4
    lines = [spec.title, "一、总体情况", f"{spec.year}年，我单位持续推进政务公开。", "二、主动公开政府信息情况",
             "信息内容 " + " ".join(label for _, label in template.TABLE2_DOCUMENT_COLUMNS)]
    for key, label in template.TABLE2_DOCUMENT_ROWS:
        lines.append(label + " " + " ".join(str(t2[key][col]) for col, _ in template.TABLE2_DOCUMENT_COLUMNS))
    for key, label, _item, column in template.TABLE2_SINGLE_ROWS:
        lines += [f"信息内容 {column}", f"{label} {t2[key]}"]
    lines += ["三、收到和处理政府信息公开申请情况", "申请人情况", "自然人 法人或其他组织 总计",
              "商业企业 科研机构 社会公益组织 法律服务机构 其他", *table3_lines,
              "四、政府信息公开行政复议、行政诉讼情况", "行政复议 行政诉讼",
              "结果维持 结果纠正 其他结果 尚未审结 总计 未经复议直接起诉 复议后起诉",
              " ".join(str(t4[g][c]) for g in template.TABLE4_GROUP_KEYS for c in template.TABLE4_COLUMN_KEYS),
              "五、存在的主要问题及改进情况", "公开质量有待提高。", "六、其他需要报告的事项", "无"]
    return "\n".join(lines)


def seven_a_line(spec) -> list[str]:
    return [" ".join(row) for row in t3_lines(spec.table3)]


def five_a_line(spec) -> list[str]:
    """The 175 numbers wrapped at five a line: row boundaries lost too."""
    numbers = [n for row in t3_lines(spec.table3) for n in row]
    return [" ".join(numbers[i:i + 5]) for i in range(0, len(numbers), 5)]


@pytest.mark.parametrize("name", ["plain", "other", "planted"])
@pytest.mark.parametrize("layout", [seven_a_line, five_a_line])
def test_unlabelled_numbers_align_to_the_template(specs, name, layout):
    spec = specs[name]
    report = parsers.parse(report_text(spec, layout(spec)).encode(), name="r.txt")
    assert report.table3 == spec.table3
    assert report.table2 == spec.table2 and report.table4 == spec.table4
    assert any("labels lost" in p and "aligned to the template order" in p for p in report.problems)
    failed = {c.rule for c in report.checks if c.passed is False}
    assert ("t3_row_total" in failed) == ("t3_row_total" in spec.expected_failed_checks)


def _unread(report) -> list:
    return [c for c in report.cells if c.table == "table3"]


@pytest.mark.parametrize("damage", ["drop_row", "drop_number", "extra_number"])
def test_wrong_count_is_not_guessed(specs, damage):
    spec = specs["plain"]
    lines = seven_a_line(spec)
    if damage == "drop_row":
        lines = lines[:10] + lines[11:]
    elif damage == "drop_number":
        lines[4] = lines[4].rsplit(" ", 1)[0]
    else:
        lines[4] += " 3"
    report = parsers.parse(report_text(spec, lines).encode(), name="r.txt")
    cells = _unread(report)
    assert len(cells) == 175 and all(c.value is None for c in cells)
    assert all("not aligned" in c.reason for c in cells)
    assert report.status == "partial" and any("not aligned" in p for p in report.problems)
    assert report.table2 == spec.table2  # the rest of the report is still read


def test_stream_the_row_totals_refute_is_not_guessed(specs):
    """175 numbers, but column by column (a PDF read down the columns): totals disagree."""
    spec = specs["plain"]
    rows = t3_lines(spec.table3)
    by_column = [rows[r][c] for c in range(7) for r in range(25)]
    lines = [" ".join(by_column[i:i + 5]) for i in range(0, 175, 5)]
    report = parsers.parse(report_text(spec, lines).encode(), name="r.txt")
    assert all(c.value is None and "row totals agree; not aligned" in c.reason for c in _unread(report))


def test_unlabelled_table3_in_a_pdf(specs):
    """The same path through a real PDF text layer (reportlab, built-in CJK font)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    spec = specs["other"]
    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    y = 800
    for line in report_text(spec, seven_a_line(spec)).split("\n"):
        if y < 60:
            page.showPage()
            y = 800
        page.setFont("STSong-Light", 9)
        page.drawString(50, y, line)
        y -= 14
    page.showPage()
    page.save()
    report = parsers.parse(buffer.getvalue(), name="r.pdf")
    assert report.table3 == spec.table3
    assert any("aligned to the template order" in p for p in report.problems)
