"""The arithmetic and consistency checks a report must satisfy (report-format.md).

A failed check is data about the report (the numbers as printed do not add up), not a
parse problem. A check whose inputs are missing (NULL) has passed=None and says which
value is missing. Rule names are fixed; the sample-portal generator plants failures by
them. Pure functions over a Report's tables, sections and dates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from parsers import template

RULES = ("t3_row_total", "t3_outcome_total", "t3_balance", "t4_total",
         "text_no_applications", "text_penalty", "timeliness")
# Checks of a report against the same agency's report of the year before (year_checks):
# a difference to report, never a correction of either.
YEAR_RULES = ("y2y_carried_over", "y2y_in_force")
# Checks of a county report that says it sums its departments' and townships' reports
# against the sum of those we hold for the same year (aggregate_checks): a difference.
AGGREGATE_RULES = ("county_aggregate",)
_T2_ROW_LABELS = dict(template.TABLE2_DOCUMENT_ROWS)


@dataclass
class Check:
    """One check. `printed` and `computed` mean the same for every rule: the figure the
    report prints in the cell checked, and what the report's other statements make it (the
    sum of its parts, the other side of table 3's balance, the number the narrative
    states). A failed check also says so in a sentence a reporter can quote."""

    rule: str
    passed: bool | None
    expected: object = None
    actual: object = None
    detail: str = ""
    scope: str = ""
    printed: int | None = None
    computed: int | None = None
    sentence_zh: str = ""
    sentence_en: str = ""

    def to_json(self) -> dict:
        return {"rule": self.rule, "passed": self.passed, "expected": self.expected,
                "actual": self.actual, "detail": self.detail, "scope": self.scope,
                "printed": self.printed, "computed": self.computed,
                "sentence_zh": self.sentence_zh or None, "sentence_en": self.sentence_en or None}


_T3_ROW_LABELS = {row.key: row.label for rows in template.TABLE3_LAYOUTS.values() for row in rows}
_T3_COLUMN_LABELS = dict(template.TABLE3_COLUMNS)
_T4_GROUP_LABELS = dict(template.TABLE4_GROUPS)


def _quoted(check: Check, zh: str, en: str) -> Check:
    """The check with its sentences, when it failed (a passing or unevaluable one has none)."""
    if check.passed is False:
        check.sentence_zh, check.sentence_en = zh, en
    return check


def _sum_check(rule: str, scope: str, expected, parts: dict[str, object], what: str) -> Check:
    missing = [name for name, value in parts.items() if value is None]
    if expected is None:
        missing.insert(0, "expected total")
    if missing:
        return Check(rule, None, expected, None, f"{what}: missing {', '.join(missing)}", scope, expected)
    actual = sum(parts.values())
    passed = actual == expected
    return Check(rule, passed, expected, actual,
                 f"{what}: {'sum agrees' if passed else f'printed {expected}, parts add to {actual}'}", scope,
                 expected, actual)


def table3_checks(table3: dict) -> list[Check]:
    """Table 3's arithmetic over whichever layout's rows it holds (2021 or 2019): the
    outcome rows are those between 二、上年结转 and （七）总计."""
    checks = []
    people = template.TABLE3_COLUMN_KEYS[:-1]
    rows = tuple(table3)
    outcomes = rows[2:rows.index("total_processed")]
    last = len(outcomes) + 2
    for row in rows:
        values = table3[row]
        check = _sum_check("t3_row_total", f"row:{row}", values["total"],
                           {f"{row}.{col}": values[col] for col in people}, f"{row} 总计 = 自然人 + 法人或其他组织")
        checks.append(_quoted(
            check, f"表三「{_T3_ROW_LABELS[row]}」总计印为 {check.printed}，自然人与法人或其他组织各栏合计为 {check.computed}",
            f"Table 3, {row}: the total is printed as {check.printed}; the applicant columns add up to {check.computed}"))
    for col in template.TABLE3_COLUMN_KEYS:
        check = _sum_check("t3_outcome_total", f"column:{col}", table3["total_processed"][col],
                           {f"{row}.{col}": table3[row][col] for row in outcomes}, f"{col} （七）总计 = rows 3-{last}")
        checks.append(_quoted(
            check, f"表三（七）总计·{_T3_COLUMN_LABELS[col]} 印为 {check.printed}，第 3–{last} 行合计为 {check.computed}",
            f"Table 3, total_processed / {col}: printed as {check.printed}; rows 3–{last} add up to {check.computed}"))
    for col in template.TABLE3_COLUMN_KEYS:
        received, carried_over = table3["new_received"][col], table3["carried_over"][col]
        processed, forward = table3["total_processed"][col], table3["carried_forward"][col]
        names = {"new_received": received, "carried_over": carried_over,
                 "total_processed": processed, "carried_forward": forward}
        missing = [name for name, value in names.items() if value is None]
        scope = f"column:{col}"
        if missing:
            checks.append(Check("t3_balance", None, None, None,
                                f"{col}: missing {', '.join(f'{m}.{col}' for m in missing)}", scope))
            continue
        expected, actual = received + carried_over, processed + forward
        checks.append(_quoted(
            Check("t3_balance", expected == actual, expected, actual,
                  f"{col}: 新收 + 上年结转 = {expected}, 办结 + 结转下年度 = {actual}", scope, expected, actual),
            f"表三·{_T3_COLUMN_LABELS[col]}：新收 {received} + 上年结转 {carried_over} = {expected}，"
            f"而办结 {processed} + 结转下年度 {forward} = {actual}",
            f"Table 3, {col}: received {received} + carried over {carried_over} = {expected}, "
            f"but processed {processed} + carried forward {forward} = {actual}"))
    return checks


def table4_checks(table4: dict) -> list[Check]:
    checks = []
    for group in template.TABLE4_GROUP_KEYS:
        values = table4[group]
        check = _sum_check("t4_total", f"group:{group}", values["total"],
                           {f"{group}.{col}": values[col] for col in template.TABLE4_COLUMN_KEYS[:-1]},
                           f"{group} 总计 = 维持 + 纠正 + 其他 + 尚未审结")
        checks.append(_quoted(
            check, f"表四「{_T4_GROUP_LABELS[group]}」总计印为 {check.printed}，结果维持、结果纠正、其他结果、尚未审结合计为 {check.computed}",
            f"Table 4, {group}: the total is printed as {check.printed}; upheld, corrected, other and pending add up to {check.computed}"))
    return checks


_NO_APPLICATIONS = re.compile(
    r"(未收到|没有收到|未接到|没有接到|未受理|无)[^。；;，,]{0,20}?申请(?!人)"
)
_APPLICATION_COUNT = re.compile(r"(?<![未没有])(?:收到|受理)[^。；;，,]{0,25}?申请\s*(\d+)\s*(?:件|个|条|份)")
_PENALTY_COUNT = re.compile(r"行政处罚\s*(?:决定)?\s*(?:共)?\s*(\d+)\s*(?:起|件|宗|次|个)")
_NO_PENALTY = re.compile(r"(?:无|未作出|没有)行政处罚")


def text_checks(narrative: str, table2: dict, table3: dict, penalty_text: str | None = None) -> list[Check]:
    """Narrative statements against the tables, only when the narrative states them.

    Applications are stated in 总体情况 (and section 3's own lines); penalties anywhere in
    the narrative, often in section 6 (seed 000: 行政处罚10起)."""
    checks = []
    penalty_text = narrative if penalty_text is None else penalty_text
    received = table3["new_received"]["total"]
    stated = None
    match = _APPLICATION_COUNT.search(narrative)
    if match:
        stated, quote = int(match.group(1)), match.group(0)
    else:
        match = _NO_APPLICATIONS.search(narrative)
        if match:
            stated, quote = 0, match.group(0)
    if stated is not None:
        checks.append(_text_check("text_no_applications", stated, received, quote,
                                  "table 3 new_received.total", "table3",
                                  f"表三「{_T3_ROW_LABELS['new_received']}」总计", "table 3 new_received total"))
    match = _PENALTY_COUNT.search(penalty_text)
    stated_penalty = int(match.group(1)) if match else None
    if match is None:
        match = _NO_PENALTY.search(penalty_text)
        stated_penalty = 0 if match else None
    if match:
        checks.append(_text_check("text_penalty", stated_penalty, table2["penalty"], match.group(0),
                                  "table 2 行政处罚", "table2", "表二「行政处罚」本年处理决定数量", "table 2 penalty decisions"))
    return checks


def _text_check(rule: str, stated: int, printed, quote: str, where: str, scope: str, cell_zh: str,
                cell_en: str) -> Check:
    """What the narrative states against what the table prints; None when the table's
    number is missing (the check cannot be evaluated, it did not pass or fail)."""
    if printed is None:
        return Check(rule, None, stated, None, f"text says {quote!r}; {where} is missing", scope, None, stated)
    return _quoted(Check(rule, printed == stated, stated, printed, f"text says {quote!r}; {where} = {printed}",
                         scope, printed, stated),
                   f"正文称「{quote}」（{stated}），{cell_zh}印为 {printed}",
                   f"The text says \u201c{quote}\u201d ({stated}); {cell_en} is printed as {printed}")


def deadline(year: int, level: str) -> date:
    """Departments publish by 31 January, governments by 31 March of the next year."""
    return date(year + 1, 1, 31) if level == "department" else date(year + 1, 3, 31)


def timeliness_check(year: int | None, level: str, published: date | None) -> Check:
    if year is None or published is None:
        missing = "published date" if published is None else "year"
        return Check("timeliness", None, None, published.isoformat() if published else None,
                     f"missing {missing}", "report")
    due = deadline(year, level)
    who = ("部门", "a department's") if level == "department" else ("政府", "a government's")
    return _quoted(Check("timeliness", published <= due, due.isoformat(), published.isoformat(),
                         f"published {published.isoformat()}, due {due.isoformat()} ({level})", "report"),
                   f"{year}年度报告于 {published.isoformat()} 发布，晚于{who[0]}报告的期限 {due.isoformat()}",
                   f"The {year} report was published on {published.isoformat()}, after {who[1]} deadline of {due.isoformat()}")


# How a county report says it is the sum of its departments' and townships' reports
# (丽水 2017: "综合2017年度丽水市各县(市、区)政府和市级各部门的政府信息公开年度工作报告编制而成";
# "在各乡镇、县直各部门年度报告基础上汇总编制"): one sentence naming the units' reports
# and that it was compiled from them.
_AGGREGATION = re.compile(
    r"[^。；;\n]*(?:综合|汇总|根据|在)[^。；;\n]{0,60}?各(?:乡镇|乡|镇|街道|部门|单位|县直|县属|区直|区属|县（市、区）|县\(市、区\))"
    r"[^。；;\n]{0,80}?报告[^。；;\n]{0,20}?(?:汇总|编制|综合)[^。；;\n]*")
# The figures a sum of reports adds up: table 3's totals and table 4's, (table, row, col).
AGGREGATED_CELLS = (*(("table3", row, "total") for row in ("new_received", "carried_over", "total_processed",
                                                             "carried_forward")),
                    *(("table4", group, "total") for group in template.TABLE4_GROUP_KEYS))


def aggregation_statement(narrative: str) -> str | None:
    """The sentence in which a report says it was compiled from its departments' and
    townships' reports, or None."""
    match = _AGGREGATION.search(narrative or "")
    return match.group(0).strip() if match else None


def aggregate_checks(cells: dict, parts: dict[str, dict]) -> list[Check]:
    """A county report that states it sums its units' reports, against the sum of the
    units' reports of the same year that the archive holds (`parts`: agency -> cells, all
    {(table, row, col): value}). A difference is reported with how many reports were
    summed — a unit whose report we lack makes one — never taken as a correction."""
    checks = []
    count = len(parts)
    for table, row, col in AGGREGATED_CELLS:
        printed = cells.get((table, row, col))
        values = {agency: found.get((table, row, col)) for agency, found in parts.items()}
        missing = sorted(agency for agency, value in values.items() if value is None)
        scope = f"cell:{table}.{row}.{col}"
        label = (f"表三「{_T3_ROW_LABELS[row]}」·总计" if table == "table3"
                 else f"表四「{_T4_GROUP_LABELS[row]}」·总计")
        if printed is None or missing or not parts:
            what = "the county's figure" if printed is None else f"{len(missing)} unit report(s): {', '.join(missing[:5])}"
            checks.append(Check("county_aggregate", None, None, printed, f"{scope}: missing {what}", scope, printed))
            continue
        computed = sum(values.values())
        checks.append(_quoted(
            Check("county_aggregate", printed == computed, computed, printed,
                  f"{scope}: printed {printed}; {count} unit report(s) add up to {computed}", scope, printed, computed),
            f"{label} 印为 {printed}，本档案所存同年 {count} 份部门、乡镇报告合计为 {computed}（相差 {printed - computed}）",
            f"{table}, {row} total: printed as {printed}; the {count} department and township reports of the same"
            f" year in this archive add up to {computed} (a difference of {printed - computed})"))
    return checks


def run_checks(report) -> list[Check]:
    """Every check for a Report, in rule order."""
    def joined(keys: str) -> str:
        return "\n".join(text for key, text in sorted(report.sections.items()) if text and key in keys)

    applications, everything = joined("13"), joined("123456")
    if not everything.strip():  # no section headings found: the whole narrative
        applications = everything = report.narrative
    return (table3_checks(report.table3) + table4_checks(report.table4)
            + text_checks(applications, report.table2, report.table3, everything)
            + [timeliness_check(report.year, report.level, report.published)])


def year_checks(year: int, cells: dict, last_cells: dict) -> list[Check]:
    """This year's report against the same agency's report of the year before, both as
    {(table, row, col): value}. 上年结转 (table 3, per column) is what last year's report
    carried forward (结转下年度); 现行有效件数 of regulations and normative documents is last
    year's plus 本年制发 minus 本年废止. A check whose inputs are missing is passed=None."""
    checks = []
    for col in template.TABLE3_COLUMN_KEYS:
        printed = cells.get(("table3", "carried_over", col))
        before = last_cells.get(("table3", "carried_forward", col))
        scope = f"column:{col}"
        if printed is None or before is None:
            checks.append(Check("y2y_carried_over", None, before, printed,
                                f"{col}: missing {'carried_over' if printed is None else 'last year carried_forward'}",
                                scope, printed, before))
            continue
        checks.append(_quoted(
            Check("y2y_carried_over", printed == before, before, printed,
                  f"{col}: 上年结转 {printed}, last year's 结转下年度 {before}", scope, printed, before),
            f"表三「二、上年结转」·{_T3_COLUMN_LABELS[col]} 印为 {printed}，{year - 1} 年度报告「四、结转下年度继续办理」为 {before}",
            f"Table 3, carried over / {col}: printed as {printed}; the {year - 1} report carried forward {before}"))
    for row in ("regulations", "normative_documents"):
        table = "table2"
        printed = cells.get((table, row, "in_force"))
        issued, repealed = cells.get((table, row, "issued")), cells.get((table, row, "repealed"))
        before = last_cells.get((table, row, "in_force"))
        scope = f"row:{row}"
        if None in (printed, issued, repealed, before):
            checks.append(Check("y2y_in_force", None, before, printed, f"{row}: missing a figure", scope, printed))
            continue
        computed = before + issued - repealed
        label = _T2_ROW_LABELS[row]
        checks.append(_quoted(
            Check("y2y_in_force", printed == computed, computed, printed,
                  f"{row}: in force {printed}; last year {before} + issued {issued} - repealed {repealed} = {computed}",
                  scope, printed, computed),
            f"表二「{label}」现行有效件数印为 {printed}，{year - 1} 年度的 {before} 件加本年制发 {issued} 件、减本年废止 {repealed} 件为 {computed}",
            f"Table 2, {row}: {printed} in force printed; the {year - 1} report's {before} + {issued} issued - {repealed} repealed = {computed}"))
    return checks
