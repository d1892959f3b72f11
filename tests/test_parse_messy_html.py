"""Messy real-world HTML the sample world does not generate, read to the exact cell.

Each fixture is a small page built here with seeded, varied, mostly non-zero numbers:
table 3 without rowspan (group label on the first item's row, as seed 000's tab layout),
table 3 split over two <table>s with the header repeated, tables nested in a layout
<td>, a label cell wrapped in its own nested table, <br> inside labels, numbers printed
with 件/个, zero cells printed as &nbsp;, the 信息公开 metadata as <ul><li>, and wrong
charset declarations in both directions.
"""

from __future__ import annotations

import html
import random

import pytest

import parsers
from parsers import template

T3_HEADER = ("<tr><td colspan='3' rowspan='3'>（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）</td>"
             "<td colspan='7'>申请人情况</td></tr>"
             "<tr><td rowspan='2'>自然人</td><td colspan='5'>法人或其他组织</td><td rowspan='2'>总计</td></tr>"
             "<tr><td>商业企业</td><td>科研机构</td><td>社会公益组织</td><td>法律服务机构</td><td>其他</td></tr>")


def table3_truth(seed: int, zeros: int = 0) -> dict:
    """25 rows of varied numbers (1-60, `zeros` of them 0) whose row totals add up."""
    rng = random.Random(seed)
    people = template.TABLE3_COLUMN_KEYS[:-1]
    cells = [(row, col) for row in template.TABLE3_ROW_KEYS for col in people]
    zero_cells = set(rng.sample(cells, zeros))
    table = {}
    for row in template.TABLE3_ROW_KEYS:
        values = {col: 0 if (row, col) in zero_cells else rng.randint(1, 60) for col in people}
        values["total"] = sum(values.values())
        table[row] = values
    return table


def table2_truth(seed: int) -> dict:
    rng = random.Random(seed + 1)
    table = {key: {col: rng.randint(1, 90) for col, _ in template.TABLE2_DOCUMENT_COLUMNS}
             for key, _ in template.TABLE2_DOCUMENT_ROWS}
    table.update({"licensing": rng.randint(1, 900), "penalty": rng.randint(1, 90),
                  "coercion": rng.randint(1, 30), "fees": round(rng.uniform(0.1, 99), 2)})
    return table


def table4_truth(seed: int) -> dict:
    rng = random.Random(seed + 2)
    table = {}
    for group in template.TABLE4_GROUP_KEYS:
        values = {col: rng.randint(1, 9) for col in template.TABLE4_COLUMN_KEYS[:-1]}
        values["total"] = sum(values.values())
        table[group] = values
    return table


def printed(value, style: str, index: int) -> str:
    """A number as a messy page prints it: 0 as &nbsp;, some with 件/个."""
    if value == 0:
        return "&nbsp;"
    if style == "units" and index % 3 == 0:
        return f"{value}{'件' if index % 2 else '个'}"
    return str(value)


def label_html(text: str, br: bool) -> str:
    escaped = html.escape(text)
    if br and len(text) > 8:  # a long label wrapped by hand in the CMS editor
        middle = len(escaped) // 2
        escaped = escaped[:middle] + "<br>" + escaped[middle:]
    return escaped


def t3_rows(truth: dict, *, rowspan: bool, br: bool = False, units: bool = False,
            nested_label: bool = False, keys=template.TABLE3_ROW_KEYS) -> list[str]:
    rows = []
    started: set[str] = set()
    for index, row in enumerate(template.TABLE3_ROWS):
        if row.key not in keys:
            continue
        numbers = "".join(f"<td>{printed(truth[row.key][col], 'units' if units else '', index + c)}</td>"
                          for c, col in enumerate(template.TABLE3_COLUMN_KEYS))
        label = label_html(row.label, br)
        if nested_label:
            label = f"<table><tr><td>{label}</td></tr></table>"
        groups = []
        if row.group and "三、本年度办理结果" not in started:
            groups.append("三、本年度办理结果")
        if row.group.startswith("（") and row.group not in started:
            groups.append(row.group)
        lead = ""
        for group in groups:
            started.add(group)
            span = sum(1 for r in template.TABLE3_ROWS if r.key in keys
                       and (r.group == group or (group == "三、本年度办理结果" and r.group)))
            lead += f"<td rowspan='{span}'>{group}</td>" if rowspan else f"<td>{group}</td>"
        if not row.group:
            rows.append(f"<tr><td colspan='3'>{label}</td>{numbers}</tr>")
        elif row.group.startswith("（"):
            rows.append(f"<tr>{lead}<td>{label}</td>{numbers}</tr>")
        else:  # （一）（二）（七）: the label spans the group and item columns
            rows.append(f"<tr>{lead}<td colspan='2'>{label}</td>{numbers}</tr>")
    return rows


def t2_html(truth: dict) -> str:
    rows = ["<tr><td colspan='4'>第二十条第（一）项</td></tr>",
            "<tr><td>信息内容</td><td>本年制发件数</td><td>本年废止件数</td><td>现行有效件数</td></tr>"]
    for key, label in template.TABLE2_DOCUMENT_ROWS:
        rows.append(f"<tr><td>{label}</td>" + "".join(f"<td>{truth[key][col]}</td>" for col, _ in
                                                      template.TABLE2_DOCUMENT_COLUMNS) + "</tr>")
    for key, label, item, column in template.TABLE2_SINGLE_ROWS:
        rows.append(f"<tr><td colspan='4'>{item}</td></tr><tr><td>信息内容</td><td colspan='3'>{column}</td></tr>")
        rows.append(f"<tr><td>{label}</td><td colspan='3'>{truth[key]}</td></tr>")
    return "<table>" + "".join(rows) + "</table>"


def t4_html(truth: dict) -> str:
    labels = ["结果<br>维持", "结果<br>纠正", "其他<br>结果", "尚 未<br>审 结", "总计"]
    return ("<table><tr><td colspan='5'>行政复议</td><td colspan='10'>行政诉讼</td></tr><tr>"
            + "".join(f"<td rowspan='2'>{label}</td>" for label in labels)
            + "<td colspan='5'>未经复议直接起诉</td><td colspan='5'>复议后起诉</td></tr><tr>"
            + "".join(f"<td>{label}</td>" for label in labels * 2) + "</tr><tr>"
            + "".join(f"<td>{truth[g][c]}</td>" for g in template.TABLE4_GROUP_KEYS
                      for c in template.TABLE4_COLUMN_KEYS) + "</tr></table>")


def page(table3_html: str, t2: dict, t4: dict, *, head: str = "<meta charset='utf-8'>", info: str = "",
         wrap_in_layout_table: bool = False) -> str:
    body = (f"<p>某县某镇2024年政府信息公开工作年度报告</p><p>一、总体情况</p><p>2024年，我镇持续推进政务公开。</p>"
            f"<p>二、主动公开政府信息情况</p>{t2_html(t2)}<p>三、收到和处理政府信息公开申请情况</p>{table3_html}"
            f"<p>四、政府信息公开行政复议、行政诉讼情况</p>{t4_html(t4)}<p>五、存在的主要问题及改进情况</p>"
            f"<p>公开质量有待提高。</p><p>六、其他需要报告的事项</p><p>本年度未收取信息处理费。</p>")
    if wrap_in_layout_table:  # old CMS templates lay the whole page out in tables
        body = (f"<table width='100%'><tr><td class='nav'>首页</td></tr><tr><td>"
                f"<table><tr><td>{body}</td></tr></table></td></tr></table>")
    return f"<html><head>{head}<title>年报</title></head><body>{info}<div class='detail-body'>{body}</div></body></html>"


def assert_tables(report, t2: dict, t3: dict, t4: dict) -> None:
    assert report.table3 == t3
    assert report.table2 == t2
    assert report.table4 == t4


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_group_label_on_first_item_row_without_rowspan(seed):
    t2, t3, t4 = table2_truth(seed), table3_truth(seed, zeros=6), table4_truth(seed)
    table = "<table>" + T3_HEADER + "".join(t3_rows(t3, rowspan=False, units=True)) + "</table>"
    report = parsers.parse(page(table, t2, t4).encode(), name="a.html")
    assert_tables(report, t2, t3, t4)
    units = [c for c in report.cells if c.table == "table3" and c.flag == "unit"]
    assert units and all(c.printed.endswith(("件", "个")) for c in units)
    assert [c for c in report.cells if c.table == "table3" and c.flag == "blank"]  # the &nbsp; zeros


@pytest.mark.parametrize("rowspan", [True, False])
def test_table3_split_over_two_tables_with_repeated_header(rowspan):
    t2, t3, t4 = table2_truth(7), table3_truth(7, zeros=3), table4_truth(7)
    first, second = template.TABLE3_ROW_KEYS[:12], template.TABLE3_ROW_KEYS[12:]
    table = ("<table>" + T3_HEADER + "".join(t3_rows(t3, rowspan=rowspan, keys=first)) + "</table>"
             "<p>（续表）</p><table>" + T3_HEADER + "".join(t3_rows(t3, rowspan=rowspan, keys=second)) + "</table>")
    report = parsers.parse(page(table, t2, t4).encode(), name="a.html")
    assert_tables(report, t2, t3, t4)


def test_header_rows_repeated_inside_one_table():
    t2, t3, t4 = table2_truth(11), table3_truth(11), table4_truth(11)
    rows = t3_rows(t3, rowspan=False)
    table = "<table>" + T3_HEADER + "".join(rows[:9]) + T3_HEADER + "".join(rows[9:]) + "</table>"
    report = parsers.parse(page(table, t2, t4).encode(), name="a.html")
    assert_tables(report, t2, t3, t4)


def test_report_nested_in_layout_tables():
    t2, t3, t4 = table2_truth(5), table3_truth(5), table4_truth(5)
    table = "<table>" + T3_HEADER + "".join(t3_rows(t3, rowspan=True)) + "</table>"
    report = parsers.parse(page(table, t2, t4, wrap_in_layout_table=True).encode(), name="a.html")
    assert_tables(report, t2, t3, t4)
    assert report.sections["6"] == "本年度未收取信息处理费。"


def test_label_cells_holding_their_own_nested_table():
    t2, t3, t4 = table2_truth(8), table3_truth(8, zeros=5), table4_truth(8)
    table = "<table>" + T3_HEADER + "".join(t3_rows(t3, rowspan=True, nested_label=True)) + "</table>"
    report = parsers.parse(page(table, t2, t4).encode(), name="a.html")
    assert_tables(report, t2, t3, t4)


@pytest.mark.parametrize("rowspan", [True, False])
def test_br_inside_label_cells(rowspan):
    t2, t3, t4 = table2_truth(13), table3_truth(13, zeros=4), table4_truth(13)
    table = "<table>" + T3_HEADER + "".join(t3_rows(t3, rowspan=rowspan, br=True, units=True)) + "</table>"
    report = parsers.parse(page(table, t2, t4).encode(), name="a.html")
    assert_tables(report, t2, t3, t4)


INFO_AS_LIST = ("<ul class='xxgk-info'><li><span>索  引  号：</span>11500383009338112H/2025-00021</li>"
                "<li><b>发布机构</b><em>某县某镇人民政府</em></li><li><label>发 布 日 期：</label>2025年02月03日</li>"
                "<li>主题分类：<span>政务公开</span></li></ul>")


def test_information_table_as_list_items():
    t2, t3, t4 = table2_truth(3), table3_truth(3), table4_truth(3)
    table = "<table>" + T3_HEADER + "".join(t3_rows(t3, rowspan=True)) + "</table>"
    report = parsers.parse(page(table, t2, t4, info=INFO_AS_LIST).encode(), name="a.html")
    assert report.metadata["索引号"] == "11500383009338112H/2025-00021"
    assert report.metadata["发布机构"] == "某县某镇人民政府"
    assert report.metadata["主题分类"] == "政务公开"
    assert report.published.isoformat() == "2025-02-03"
    assert_tables(report, t2, t3, t4)


@pytest.mark.parametrize("head,encoding,content_type", [
    ("<meta charset='utf-8'>", "gbk", None),  # GBK bytes under a utf-8 meta
    ("<meta http-equiv='Content-Type' content='text/html; charset=utf-8'>", "gb18030", "text/html; charset=utf-8"),
    ("<meta charset='gbk'>", "utf-8", "text/html; charset=GBK"),  # UTF-8 bytes under GBK declarations
    ("", "gbk", None),  # undeclared GBK
])
def test_wrong_charset_declarations(head, encoding, content_type):
    t2, t3, t4 = table2_truth(17), table3_truth(17), table4_truth(17)
    table = "<table>" + T3_HEADER + "".join(t3_rows(t3, rowspan=True)) + "</table>"
    data = page(table, t2, t4, head=head, info=INFO_AS_LIST).encode(encoding)
    report = parsers.parse(data, name="a.html", content_type=content_type)
    assert report.agency == "某县某镇" and report.metadata["发布机构"] == "某县某镇人民政府"
    assert_tables(report, t2, t3, t4)
