"""The fixed layouts of a 政府信息公开工作年度报告, as data.

This is the single place that knows the table templates: the six section headings; the
2021 layout (国办公开办函〔2021〕30号: table 2's ten numbers, table 3's 25 rows x 7
columns, table 4's three groups of five); the 2019 trial layout (国办公开办函〔2019〕60号,
reports for 2019 and 2020: other table 2 columns, table 3 with a single （六）其他处理
row); and the older 统计指标 table's legacy keys. Every other module (the parser, the
sample-portal generator, the loader, the Datasette metadata) reads the canonical keys and
labels from here, so a key is spelled one way across code, database and JSON. Pure data,
no I/O.
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


def blank_table3(layout: str = "2021") -> dict:
    """Table 3 as {row_key: {col_key: None}} in the order of `layout`'s template."""
    return {row: {col: None for col in TABLE3_COLUMN_KEYS} for row in table3_row_keys(layout)}


def blank_table4() -> dict:
    """Table 4 as {group_key: {col_key: None}} in template order."""
    return {group: {col: None for col in TABLE4_COLUMN_KEYS} for group in TABLE4_GROUP_KEYS}


# --- Layouts ----------------------------------------------------------------------------
# A report's layout is read from its tables' headers (parsers.layouts), never from its year.

LAYOUT_2021 = "2021"
LAYOUT_2019 = "2019"
LAYOUT_LEGACY = "pre-2020"  # the 2008-2018 统计指标 table (`format` value kept from before 2019 was told apart)
LAYOUTS: tuple[str, ...] = (LAYOUT_2021, LAYOUT_2019, LAYOUT_LEGACY)


class Table2Column(NamedTuple):
    key: str  # "value" for the single-number rows of the 2021 layout
    header: str  # the column header as the template prints it
    variants: tuple[str, ...] = ()  # other printings of the same header
    decimal: bool = False  # an amount (万元/元), not a count
    signed: bool = False  # 本年增/减 may be negative


class Table2Row(NamedTuple):
    key: str
    label: str
    variants: tuple[str, ...]
    block: str  # the 第二十条 item heading its block
    columns: tuple[Table2Column, ...]


_ISSUED = (Table2Column("issued", "本年制发件数", ("本年制发数",)),
           Table2Column("repealed", "本年废止件数", ("本年废止数",)),
           Table2Column("in_force", "现行有效件数", ("现行有效数",)))
_DECISIONS_2021 = (Table2Column("value", "本年处理决定数量", ("本年处理决定数", "处理决定数量")),)

TABLE2_LAYOUT_2021: tuple[Table2Row, ...] = (
    Table2Row("regulations", "规章", (), "第二十条第（一）项", _ISSUED),
    Table2Row("normative_documents", "行政规范性文件", ("规范性文件",), "第二十条第（一）项", _ISSUED),
    Table2Row("licensing", "行政许可", (), "第二十条第（五）项", _DECISIONS_2021),
    Table2Row("penalty", "行政处罚", (), "第二十条第（六）项", _DECISIONS_2021),
    Table2Row("coercion", "行政强制", (), "第二十条第（六）项", _DECISIONS_2021),
    Table2Row("fees", "行政事业性收费", (), "第二十条第（八）项",
              (Table2Column("value", "本年收费金额（单位：万元）",
                            ("本年收费金额(万元)", "本年收费金额", "收费金额（单位：万元）"), decimal=True),)),
)

_MADE_2019 = (Table2Column("new_made", "本年新制作数量", ("本年新制作数",)),
              Table2Column("new_published", "本年新公开数量", ("本年新公开数",)),
              Table2Column("total_published", "对外公开总数量", ("对外公开总数",)))
_PREVIOUS_2019 = (Table2Column("previous_year", "上一年项目数量", ("上一年项目数",)),
                  Table2Column("change", "本年增/减", ("本年增减", "本年增（减）", "本年增/减少"), signed=True))
_DECISIONS_2019 = _PREVIOUS_2019 + (Table2Column("decisions", "处理决定数量", ("本年处理决定数量", "处理决定数")),)

TABLE2_LAYOUT_2019: tuple[Table2Row, ...] = (
    Table2Row("regulations", "规章", (), "第二十条第（一）项", _MADE_2019),
    Table2Row("normative_documents", "规范性文件", ("行政规范性文件",), "第二十条第（一）项", _MADE_2019),
    Table2Row("licensing", "行政许可", (), "第二十条第（五）项", _DECISIONS_2019),
    Table2Row("other_services", "其他对外管理服务事项", ("其他对外管理服务",), "第二十条第（五）项", _DECISIONS_2019),
    Table2Row("penalty", "行政处罚", (), "第二十条第（六）项", _DECISIONS_2019),
    Table2Row("coercion", "行政强制", (), "第二十条第（六）项", _DECISIONS_2019),
    Table2Row("fees", "行政事业性收费", (), "第二十条第（八）项", _PREVIOUS_2019),
    Table2Row("procurement", "政府集中采购", (), "第二十条第（九）项",
              (Table2Column("count", "采购项目数量", ("采购项目数",)),
               Table2Column("amount", "采购总金额", ("采购总金额（万元）", "采购总金额（元）", "采购总金额(万元)",
                                                 "采购总金额(元)"), decimal=True))),
)
TABLE2_LAYOUTS: dict[str, tuple[Table2Row, ...]] = {LAYOUT_2021: TABLE2_LAYOUT_2021, LAYOUT_2019: TABLE2_LAYOUT_2019}

# Headers that only one layout prints: how parsers.layouts tells table 2's layout.
TABLE2_SIGNATURES: dict[str, tuple[str, ...]] = {
    LAYOUT_2021: ("本年制发件数", "本年废止件数", "现行有效件数", "本年收费金额"),
    LAYOUT_2019: ("本年新制作数量", "本年新公开数量", "对外公开总数量", "上一年项目数量", "本年增/减", "采购项目数量",
                  "采购总金额"),
}

# The 2021 headline figure each 2019 cell is comparable with (report-format.md): a time
# series over 2019-2025 reads the same key. Everything else of the 2021 table stays NULL.
COMPARABLE_2019: dict[tuple[str, str], tuple[str, str]] = {
    ("regulations", "issued"): ("regulations", "new_made"),
    ("normative_documents", "issued"): ("normative_documents", "new_made"),
    ("licensing", "value"): ("licensing", "decisions"),
    ("penalty", "value"): ("penalty", "decisions"),
    ("coercion", "value"): ("coercion", "decisions"),
}

# Table 3 of the 2019 layout: （六）其他处理 is one row with no sub-items.
OTHER_PROCESSING = Table3Row("other_processing", "三、本年度办理结果", "（六）其他处理")
TABLE3_ROWS_2019: tuple[Table3Row, ...] = TABLE3_ROWS[:20] + (OTHER_PROCESSING,) + TABLE3_ROWS[23:]
TABLE3_LAYOUTS: dict[str, tuple[Table3Row, ...]] = {LAYOUT_2021: TABLE3_ROWS, LAYOUT_2019: TABLE3_ROWS_2019}


def table3_row_keys(layout: str = LAYOUT_2021) -> tuple[str, ...]:
    return tuple(row.key for row in TABLE3_LAYOUTS.get(layout, TABLE3_ROWS))


def table3_outcome_keys(layout: str = LAYOUT_2021) -> tuple[str, ...]:
    """The outcome rows (三、（一）…（六）) that add up to （七）总计."""
    keys = table3_row_keys(layout)
    return keys[2:keys.index("total_processed")]


def blank_table2_2019() -> dict:
    """The 2019 layout's own table 2, {row: {col: None}}."""
    return {row.key: {col.key: None for col in row.columns} for row in TABLE2_LAYOUT_2019}


# --- Legacy: the 2008-2018 统计指标 table ------------------------------------------------
# Provinces printed the State Council's 统计指标 list with small changes of wording; the
# keys are the figures every variant prints. A row's value is its 统计数 cell.


class LegacyRow(NamedTuple):
    key: str
    label: str  # without its enumerator (（一）/1.): matched after strip_enumerator
    variants: tuple[str, ...] = ()
    decimal: bool = False


LEGACY_ROWS: tuple[LegacyRow, ...] = (
    LegacyRow("active_disclosed", "主动公开政府信息数", ("主动公开政府信息", "主动公开信息数", "主动公开政府信息条数")),
    LegacyRow("active_normative_documents", "主动公开规范性文件数", ("其中：主动公开规范性文件数", "其中主动公开规范性文件数")),
    LegacyRow("normative_documents_issued", "制发规范性文件总数", ("其中：制发规范性文件总数",)),
    LegacyRow("applications_received", "收到申请数", ("收到申请总数", "受理申请数", "依申请公开信息数", "申请总数")),
    LegacyRow("applications_in_person", "当面申请数", ("当面申请",)),
    LegacyRow("applications_fax", "传真申请数", ("传真申请",)),
    LegacyRow("applications_online", "网络申请数", ("网上申请数", "网络申请")),  # 电子邮件申请数 is a row of its own (甘肃)
    LegacyRow("applications_letter", "信函申请数", ("信函申请", "邮寄申请数")),
    LegacyRow("applications_completed", "申请办结数", ()),
    LegacyRow("replies", "申请答复数", ("对申请的答复数", "对申请的答复总数", "已答复数", "答复数")),
    LegacyRow("replies_already_public", "属于已主动公开范围数", ("属于已主动公开范围",)),
    LegacyRow("replies_granted", "同意公开答复数", ("同意公开数", "同意公开")),
    LegacyRow("replies_partially_granted", "同意部分公开答复数", ("同意部分公开数", "同意部分公开")),
    LegacyRow("replies_denied", "不同意公开答复数", ("不同意公开数", "不予公开答复数", "不予公开数", "否决公开答复总数")),
    LegacyRow("replies_not_this_agency", "不属于本行政机关公开数", ("非本部门掌握", "不属于本机关公开数", "非本机关掌握数")),
    LegacyRow("replies_not_held", "申请信息不存在数", ("信息不存在数", "信息不存在")),
    LegacyRow("replies_clarify", "告知作出更改补充数", ("申请内容不明确数", "告知申请人更改补充数")),
    LegacyRow("replies_other_channel", "告知通过其他途径办理数", ()),
    LegacyRow("reviews", "行政复议数量", ("行政复议数", "因政府信息公开申请提起行政复议数", "政府信息公开行政复议数")),
    LegacyRow("suits", "行政诉讼数量", ("行政诉讼数", "因政府信息公开申请提起行政诉讼数", "政府信息公开行政诉讼数")),
    LegacyRow("complaints", "举报投诉数量", ("举报投诉数", "政府信息公开举报投诉数", "申诉数")),
    LegacyRow("fees", "依申请公开信息收取的费用", ("收取费用", "收取的费用", "依申请提供政府信息收费"), decimal=True),
)
LEGACY_KEYS: tuple[str, ...] = tuple(row.key for row in LEGACY_ROWS)
# The headers that make a table the 统计指标 table (甘肃's 统计报表: 指标名称 | 计量单位 | 代码 |
# 本期实际 | 本年累计), and the header of its value column (the year's figure: 本年累计).
LEGACY_SIGNATURE = "统计指标"
LEGACY_SIGNATURES: tuple[str, ...] = ("统计指标", "指标名称")
LEGACY_VALUE_HEADERS: tuple[str, ...] = ("统计数", "数量", "数值", "统计数据", "本年累计")
LEGACY_UNIT_HEADERS: tuple[str, ...] = ("单位", "计量单位")
