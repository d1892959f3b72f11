"""Quotable checks: `printed` and `computed` mean the same for every rule, and a failed
check says so in a sentence a reporter can cite (Chinese and English)."""

from __future__ import annotations

from datetime import date

from parsers import template
from parsers.checks import table3_checks, table4_checks, text_checks, timeliness_check


def _table3(layout: str = "2021") -> dict:
    """A table 3 whose sums all hold: 3 natural persons and 1 organisation granted, none else."""
    table = {row: {col: 0 for col in template.TABLE3_COLUMN_KEYS} for row in template.table3_row_keys(layout)}
    for row in ("new_received", "granted", "total_processed"):
        table[row].update(natural_person=3, commercial_enterprise=1, total=4)
    return table


def _failed(checks) -> list:
    return [check for check in checks if check.passed is False]


def test_sound_tables_fail_nothing_and_say_nothing():
    checks = table3_checks(_table3()) + table4_checks(
        {group: {col: 0 for col in template.TABLE4_COLUMN_KEYS} for group in template.TABLE4_GROUP_KEYS})
    assert checks and not _failed(checks)
    assert {(check.sentence_zh, check.sentence_en) for check in checks} == {("", "")}


def test_a_wrong_outcome_total_is_quoted_with_its_rows():
    table = _table3()
    table["total_processed"].update(natural_person=27, total=28)
    checks = table3_checks(table)
    by_rule = {(c.rule, c.scope): c for c in _failed(checks)}
    outcome = by_rule["t3_outcome_total", "column:natural_person"]
    assert (outcome.printed, outcome.computed) == (27, 3)
    assert outcome.sentence_zh == "表三（七）总计·自然人 印为 27，第 3–23 行合计为 3"
    assert outcome.sentence_en == "Table 3, total_processed / natural_person: printed as 27; rows 3–23 add up to 3"
    [row] = [c for c in checks if (c.rule, c.scope) == ("t3_row_total", "row:total_processed")]
    assert (row.passed, row.printed, row.computed, row.sentence_zh) == (True, 28, 28, "")  # 27 + 1: that row holds
    balance = by_rule["t3_balance", "column:natural_person"]
    assert (balance.printed, balance.computed) == (3, 27)
    assert balance.sentence_zh == "表三·自然人：新收 3 + 上年结转 0 = 3，而办结 27 + 结转下年度 0 = 27"


def test_the_2019_layout_quotes_its_own_row_count():
    table = _table3("2019")
    table["total_processed"].update(natural_person=5, total=6)
    [outcome] = [c for c in _failed(table3_checks(table)) if c.rule == "t3_outcome_total" and c.scope.endswith("person")]
    assert outcome.sentence_zh == f"表三（七）总计·自然人 印为 5，第 3–{len(template.table3_outcome_keys('2019')) + 2} 行合计为 3"


def test_a_row_and_a_review_total_name_their_labels():
    table = _table3()
    table["granted"]["total"] = 9
    [row] = [c for c in _failed(table3_checks(table)) if c.rule == "t3_row_total"]
    assert (row.printed, row.computed) == (9, 4)
    assert row.sentence_zh == "表三「（一）予以公开」总计印为 9，自然人与法人或其他组织各栏合计为 4"
    table4 = {group: {col: 0 for col in template.TABLE4_COLUMN_KEYS} for group in template.TABLE4_GROUP_KEYS}
    table4["review"].update(upheld=2, corrected=1, total=8)
    [review] = _failed(table4_checks(table4))
    assert (review.printed, review.computed) == (8, 3)
    assert review.sentence_zh == "表四「行政复议」总计印为 8，结果维持、结果纠正、其他结果、尚未审结合计为 3"


def test_text_checks_put_the_table_in_printed_and_the_narrative_in_computed():
    table2 = template.blank_table2() | {"penalty": 43}
    [applications, penalty] = text_checks("本年度未收到政府信息公开申请。行政处罚51起。", table2, _table3())
    assert (applications.printed, applications.computed) == (4, 0)
    assert (applications.expected, applications.actual) == (0, 4)  # the columns others script against, unchanged
    assert applications.sentence_zh == "正文称「未收到政府信息公开申请」（0），表三「一、本年新收政府信息公开申请数量」总计印为 4"
    assert (penalty.printed, penalty.computed) == (43, 51)
    assert penalty.sentence_en == "The text says \u201c行政处罚51起\u201d (51); table 2 penalty decisions is printed as 43"


def test_a_late_report_says_its_dates_and_an_unreadable_number_says_nothing():
    late = timeliness_check(2023, "department", date(2024, 2, 20))
    assert late.passed is False and (late.printed, late.computed) == (None, None)
    assert late.sentence_zh == "2023年度报告于 2024-02-20 发布，晚于部门报告的期限 2024-01-31"
    table = _table3()
    table["granted"]["natural_person"] = None
    missing = [c for c in table3_checks(table) if c.scope == "row:granted"]
    assert [(c.passed, c.sentence_zh) for c in missing] == [(None, "")]


def test_year_checks_without_last_years_figures_cannot_pass_or_fail():
    from parsers.checks import YEAR_RULES, year_checks

    this_year = {("table3", "carried_over", col): 1 for col in template.TABLE3_COLUMN_KEYS}
    checks = year_checks(2023, this_year, {})
    assert {check.rule for check in checks} == set(YEAR_RULES)
    assert [check.passed for check in checks] == [None] * len(checks)
    assert all(not check.sentence_zh for check in checks)


def test_a_county_report_saying_it_sums_its_units_is_told_from_one_that_does_not():
    from parsers.checks import aggregation_statement

    # 丽水市 2017 report's opening (http://www.lishui.gov.cn/module/xxgk/xxgkAnnualReport.jsp?fbtime=2017&area=113325000026455663)
    lishui = ("本年度报告根据《中华人民共和国政府信息公开条例》(以下简称《条例》)要求,综合2017年度丽水市各县(市、区)"
              "政府和市级各部门的政府信息公开年度工作报告编制而成。全文包括概述、主动公开政府信息情况")
    assert aggregation_statement(lishui) == lishui.split("。")[0]
    compiled = "本报告由县政府办公室根据各乡镇、县直各部门报送的年度报告汇总形成；报告中所列数据统计期限自1月1日起"
    assert aggregation_statement(compiled) == "本报告由县政府办公室根据各乡镇、县直各部门报送的年度报告汇总形成"
    for own in ("本报告由县人民政府办公室根据《条例》要求编制。", "各部门按时报送信息，本年度无行政复议。",
                "督促各乡镇及时更新公开栏，全县年度考核报告已印发。"):
        assert aggregation_statement(own) is None
