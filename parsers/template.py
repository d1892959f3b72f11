"""The fixed layout of a 政府信息公开工作年度报告 (国办公开办函〔2021〕30号), as data.

This is the single place that knows the table template: the six section headings,
table 2's ten numbers, table 3's 25 rows x 7 columns and table 4's three groups of
five. Every other module (the parser, the sample-portal generator, the loader, the
Datasette metadata) reads the canonical keys and labels from here, so a key is spelled
one way across code, database and JSON. Pure data, no I/O.
"""

from __future__ import annotations

from typing import NamedTuple


class Section(NamedTuple):
    number: str  # "1".."6", the key used in JSON output
    numeral: str  # 一..六 as printed
    heading: str  # the heading text without its numeral
    # Words every printing of the heading keeps (一、概述及总体情况, 四、因政府信息公开申请
    # 提起行政复议、行政诉讼情况 …): a numbered line holding them all is this heading.
    keywords: tuple[str, ...] = ()


SECTIONS: tuple[Section, ...] = (
    Section("1", "一", "总体情况", ("总体情况",)),
    Section("2", "二", "主动公开政府信息情况", ("主动公开",)),
    Section("3", "三", "收到和处理政府信息公开申请情况", ("申请",)),
    Section("4", "四", "政府信息公开行政复议、行政诉讼情况", ("复议", "诉讼")),
    Section("5", "五", "存在的主要问题及改进情况", ("问题",)),
    Section("6", "六", "其他需要报告的事项", ("其他需要报告",)),
)

# --- Table 2: 主动公开政府信息情况 -------------------------------------------------

TABLE2_DOCUMENT_ROWS: tuple[tuple[str, str], ...] = (
    ("regulations", "规章"),
    ("normative_documents", "行政规范性文件"),
)
TABLE2_DOCUMENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("issued", "本年制发件数"),
    ("repealed", "本年废止件数"),
    ("in_force", "现行有效件数"),
)
# Single-number rows: key, label, the 第二十条 item that heads its block, column label.
TABLE2_SINGLE_ROWS: tuple[tuple[str, str, str, str], ...] = (
    ("licensing", "行政许可", "第二十条第（五）项", "本年处理决定数量"),
    ("penalty", "行政处罚", "第二十条第（六）项", "本年处理决定数量"),
    ("coercion", "行政强制", "第二十条第（六）项", "本年处理决定数量"),
    ("fees", "行政事业性收费", "第二十条第（八）项", "本年收费金额（单位：万元）"),
)
# fees is an amount in 万元 (decimal); every other number in the report is a count.
DECIMAL_KEYS: frozenset[str] = frozenset({"fees"})

TABLE2_KEYS: tuple[str, ...] = tuple(
    f"{row}.{col}" for row, _ in TABLE2_DOCUMENT_ROWS for col, _ in TABLE2_DOCUMENT_COLUMNS
) + tuple(key for key, *_ in TABLE2_SINGLE_ROWS)

# --- Table 3: 收到和处理政府信息公开申请情况 ---------------------------------------

TABLE3_COLUMNS: tuple[tuple[str, str], ...] = (
    ("natural_person", "自然人"),
    ("commercial_enterprise", "商业企业"),
    ("research_institution", "科研机构"),
    ("social_welfare_org", "社会公益组织"),
    ("legal_service_org", "法律服务机构"),
    ("other_org", "其他"),
    ("total", "总计"),
)
TABLE3_COLUMN_VARIANTS: dict[str, tuple[str, ...]] = {
    "social_welfare_org": ("社会公益组织", "社会组织"),
}


class Table3Row(NamedTuple):
    key: str
    group: str  # the printed group label the row sits under ("" for none)
    label: str  # the item label as the 2021 template prints it
    variants: tuple[str, ...] = ()  # other printings seen in real reports


TABLE3_ROWS: tuple[Table3Row, ...] = (
    Table3Row("new_received", "", "一、本年新收政府信息公开申请数量"),
    Table3Row("carried_over", "", "二、上年结转政府信息公开申请数量"),
    Table3Row("granted", "三、本年度办理结果", "（一）予以公开"),
    Table3Row("partially_granted", "三、本年度办理结果",
              "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", ("（二）部分公开",)),
    Table3Row("denied_state_secret", "（三）不予公开", "1.属于国家秘密"),
    Table3Row("denied_prohibited_by_law", "（三）不予公开", "2.其他法律行政法规禁止公开",
              ("2.其他法律法规禁止公开",)),
    Table3Row("denied_security_stability", "（三）不予公开", "3.危及“三安全一稳定”",
              ("3.危及三安全一稳定",)),
    Table3Row("denied_third_party_rights", "（三）不予公开", "4.保护第三方合法权益"),
    Table3Row("denied_internal_affairs", "（三）不予公开", "5.属于三类内部事务信息"),
    Table3Row("denied_process_information", "（三）不予公开", "6.属于四类过程性信息"),
    Table3Row("denied_enforcement_files", "（三）不予公开", "7.属于行政执法案卷"),
    Table3Row("denied_administrative_query", "（三）不予公开", "8.属于行政查询事项"),
    Table3Row("unable_not_held", "（四）无法提供", "1.本机关不掌握相关政府信息"),
    Table3Row("unable_needs_creation", "（四）无法提供", "2.没有现成信息需要另行制作"),
    Table3Row("unable_unclear", "（四）无法提供", "3.补正后申请内容仍不明确"),
    Table3Row("refused_complaint", "（五）不予处理", "1.信访举报投诉类申请"),
    Table3Row("refused_duplicate", "（五）不予处理", "2.重复申请"),
    Table3Row("refused_publication", "（五）不予处理", "3.要求提供公开出版物"),
    Table3Row("refused_excessive", "（五）不予处理", "4.无正当理由大量反复申请"),
    Table3Row("refused_reconfirm", "（五）不予处理", "5.要求行政机关确认或重新出具已获取信息"),
    Table3Row("other_no_correction", "（六）其他处理",
              "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
    Table3Row("other_unpaid_fee", "（六）其他处理",
              "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
    Table3Row("other_other", "（六）其他处理", "3.其他"),
    Table3Row("total_processed", "三、本年度办理结果", "（七）总计"),
    Table3Row("carried_forward", "", "四、结转下年度继续办理"),
)
TABLE3_ROW_KEYS: tuple[str, ...] = tuple(row.key for row in TABLE3_ROWS)
TABLE3_COLUMN_KEYS: tuple[str, ...] = tuple(key for key, _ in TABLE3_COLUMNS)
# Rows 3-23: the outcomes that add up to （七）总计.
TABLE3_OUTCOME_KEYS: tuple[str, ...] = TABLE3_ROW_KEYS[2:23]
TABLE3_GROUPS: tuple[str, ...] = ("（三）不予公开", "（四）无法提供", "（五）不予处理", "（六）其他处理")

# --- Table 4: 政府信息公开行政复议、行政诉讼情况 -----------------------------------

TABLE4_GROUPS: tuple[tuple[str, str], ...] = (
    ("review", "行政复议"),
    ("litigation_direct", "未经复议直接起诉"),
    ("litigation_after_review", "复议后起诉"),
)
TABLE4_COLUMNS: tuple[tuple[str, str], ...] = (
    ("upheld", "结果维持"),
    ("corrected", "结果纠正"),
    ("other", "其他结果"),
    ("pending", "尚未审结"),
    ("total", "总计"),
)
TABLE4_GROUP_KEYS: tuple[str, ...] = tuple(key for key, _ in TABLE4_GROUPS)
TABLE4_COLUMN_KEYS: tuple[str, ...] = tuple(key for key, _ in TABLE4_COLUMNS)

# Report levels, as stored in reports.level.
LEVELS: tuple[str, ...] = ("county", "township", "street", "department", "unknown")


def blank_table2() -> dict:
    """Table 2 in the JSON shape of `ogi parse --json`, every number None (not read)."""
    table = {row: {col: None for col, _ in TABLE2_DOCUMENT_COLUMNS} for row, _ in TABLE2_DOCUMENT_ROWS}
    table.update({key: None for key, *_ in TABLE2_SINGLE_ROWS})
    return table


def blank_table3() -> dict:
    """Table 3 as {row_key: {col_key: None}} in template order."""
    return {row: {col: None for col in TABLE3_COLUMN_KEYS} for row in TABLE3_ROW_KEYS}


def blank_table4() -> dict:
    """Table 4 as {group_key: {col_key: None}} in template order."""
    return {group: {col: None for col in TABLE4_COLUMN_KEYS} for group in TABLE4_GROUP_KEYS}
