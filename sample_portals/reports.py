"""Report content for the offline test world: seeded, invented annual reports plus the five seeds.

Every parser and crawler test is scored against what this module says a report contains,
so it is pure and deterministic (a `random.Random` per report, seeded from the world seed
and the report's index) and touches no files except reading the shipped seed texts.

Generated reports have varied, non-zero numbers that satisfy every arithmetic rule of
report-format.md, except the few where a rule is deliberately broken; those list the
rules they fail in `expected_failed_checks`, so a parser that returns zeros or "fixes"
sums cannot pass.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path

from parsers.checks import RULES as CHECK_RULES
from parsers.template import (
    COMPARABLE_2019,
    LAYOUT_2019,
    LAYOUT_LEGACY,
    LEGACY_ROWS,
    TABLE2_LAYOUT_2021,
    TABLE3_COLUMN_KEYS,
    TABLE3_OUTCOME_KEYS,
    TABLE3_ROW_KEYS,
    TABLE4_GROUP_KEYS,
    blank_table2,
    blank_table2_2019,
    blank_table3,
    blank_table4,
    table3_row_keys,
)

from .portals import DEPARTMENTS

SEED_DIR = Path(__file__).with_name("seeds")

# The rules a generated report may break on purpose, in the order the generator cycles them.
PLANTED_RULES: tuple[str, ...] = (
    "t3_row_total", "t3_outcome_total", "t3_balance", "t4_total",
    "text_no_applications", "text_penalty",
)
ZERO_MARKS: tuple[str, ...] = ("—", "/", "无", "")
FULLWIDTH = str.maketrans("0123456789.", "０１２３４５６７８９．")
PERSON_COLUMNS = TABLE3_COLUMN_KEYS[:-1]  # the six applicant columns; "total" is their sum


@dataclass
class ReportSpec:
    """One report as the world publishes it: metadata, text, the three tables and how it is printed."""

    id: str
    portal_id: str
    kind: str  # "seed" | "generated" | "form" (one of sample_portals.forms, generated numbers)
    agency: str
    level: str  # county | township | street | department
    year: int
    published: dt.date | None
    title: str
    sections: dict | None  # "1".."6" -> body text without heading; None for seeds
    table2: dict | None
    table3: dict | None
    table4: dict | None
    printed: dict = field(default_factory=dict)  # "table3.granted.total" -> text as printed
    label_variants: dict = field(default_factory=dict)  # row/column key -> the variant label printed
    expected_failed_checks: list = field(default_factory=list)
    format: str = "2021"  # "2021" | "2019" | "pre-2020" (template.LAYOUTS)
    delivery: str = "html"  # html | pdf | docx | html+pdf
    style: int = 0  # picks rendering variants (heading style, noise, text layout)
    seed_text: str | None = None  # seeds: the real report text, rendered as is
    table2_2019: dict | None = None  # the 2019 layout's own table 2 (table2 then holds the comparable keys)
    legacy: dict | None = None  # a pre-2020 report's 统计指标 figures (None: a row not printed)


# --- arithmetic, the same rules the parser checks ------------------------------------


def failed_arithmetic_checks(table3: dict | None, table4: dict | None) -> list[str]:
    """Rules of report-format.md that the tables break. A rule touching a missing (None) cell is skipped, not failed."""
    failed: list[str] = []

    def known(*values):
        return all(v is not None for v in values)

    if table3:
        rows = tuple(table3)
        outcome_keys = rows[2:rows.index("total_processed")]
        for row in rows:
            cells = table3[row]
            parts = [cells[c] for c in PERSON_COLUMNS]
            if known(cells["total"], *parts) and sum(parts) != cells["total"]:
                failed.append("t3_row_total")
                break
        for col in TABLE3_COLUMN_KEYS:
            outcomes = [table3[r][col] for r in outcome_keys]
            total = table3["total_processed"][col]
            if known(total, *outcomes) and sum(outcomes) != total:
                failed.append("t3_outcome_total")
                break
        for col in TABLE3_COLUMN_KEYS:
            terms = [table3[r][col] for r in ("new_received", "carried_over", "total_processed", "carried_forward")]
            if known(*terms) and terms[0] + terms[1] != terms[2] + terms[3]:
                failed.append("t3_balance")
                break
    if table4:
        for group in TABLE4_GROUP_KEYS:
            cells = table4[group]
            parts = [cells[k] for k in ("upheld", "corrected", "other", "pending")]
            if known(cells["total"], *parts) and sum(parts) != cells["total"]:
                failed.append("t4_total")
                break
    return failed


def deadline(level: str, year: int) -> dt.date:
    """Departments publish by 31 January, governments (county, township, street) by 31 March."""
    return dt.date(year + 1, 1, 31) if level == "department" else dt.date(year + 1, 3, 31)


# --- generation -----------------------------------------------------------------------

LEVEL_CYCLE: tuple[str, ...] = ("township", "department", "county", "township", "street", "department", "township", "department")
DELIVERY_CYCLE: dict[str, tuple[str, ...]] = {
    "zhongning": ("html", "html+pdf", "pdf", "html", "docx", "html", "pdf", "html"),
    "yanchi": ("html", "pdf", "html", "html+pdf", "html", "docx", "html", "pdf"),
    "longde": ("html", "html", "pdf", "html+pdf", "html", "docx", "html", "pdf"),
    "luoning": ("docx", "html", "pdf", "docx", "html+pdf", "html", "docx", "pdf"),
    "hunyuan": ("html", "pdf", "html", "html+pdf", "docx", "html", "pdf", "html"),
}
# Outcome rows and how often an application ends there (weights for the multinomial draw).
OUTCOME_WEIGHTS: dict[str, int] = {
    "granted": 40, "partially_granted": 10, "denied_state_secret": 1, "denied_prohibited_by_law": 1,
    "denied_security_stability": 1, "denied_third_party_rights": 3, "denied_internal_affairs": 2,
    "denied_process_information": 3, "denied_enforcement_files": 1, "denied_administrative_query": 2,
    "unable_not_held": 18, "unable_needs_creation": 3, "unable_unclear": 2, "refused_complaint": 4,
    "refused_duplicate": 3, "refused_publication": 1, "refused_excessive": 1, "refused_reconfirm": 1,
    "other_no_correction": 2, "other_unpaid_fee": 1, "other_other": 2,
}


def _agency(rng: random.Random, portal: dict, level: str) -> str:
    county = portal["county"]
    if level == "county":
        return f"{county}人民政府"
    if level == "department":
        return f"{county}{rng.choice(DEPARTMENTS)}"
    if level == "street":
        return f"{county}{rng.choice(portal['streets'])}"
    # A seed's unit publishes only its seed report, so "the report of 徐套乡" is never ambiguous.
    town = rng.choice([t for t in portal["townships"] if not any(t in agency for _, _, agency, *_ in SEED_FACTS)])
    return f"{county}{town}人民政府" if rng.random() < 0.5 else f"{county}{town}"


def _table2(rng: random.Random, level: str) -> dict:
    table = blank_table2()
    big = level in ("county", "department")
    table["regulations"] = {"issued": 0, "repealed": 0, "in_force": 0}
    in_force = rng.randint(3, 80 if big else 20)
    table["normative_documents"] = {
        "issued": rng.randint(1, 9 if big else 3), "repealed": rng.randint(0, 4), "in_force": in_force,
    }
    table["licensing"] = rng.randint(0, 4800) if big else rng.randint(0, 260)
    table["penalty"] = rng.randint(1, 950) if big else rng.randint(0, 120)
    table["coercion"] = rng.randint(0, 45) if big else rng.randint(0, 6)
    table["fees"] = round(rng.uniform(0.05, 95.0), 2) if rng.random() < 0.5 else 0.0
    return table


def _table3(rng: random.Random, zero_new: bool) -> dict:
    table = blank_table3()
    processed_by_col = {
        "natural_person": rng.randint(4, 70), "commercial_enterprise": rng.randint(0, 16),
        "research_institution": rng.choice((0, 0, 0, 1, 2)), "social_welfare_org": rng.choice((0, 0, 1, 3)),
        "legal_service_org": rng.choice((0, 0, 1, 2, 5)), "other_org": rng.choice((0, 0, 2, 6)),
    }
    rows, weights = list(OUTCOME_WEIGHTS), list(OUTCOME_WEIGHTS.values())
    for col, processed in processed_by_col.items():
        counts = dict.fromkeys(rows, 0)
        for row in rng.choices(rows, weights=weights, k=processed):
            counts[row] += 1
        for row in rows:
            table[row][col] = counts[row]
        table["total_processed"][col] = processed
        forward = rng.randint(0, processed // 6)
        if zero_new:
            over = processed + forward
        else:
            over = rng.randint(0, min(processed, 3))
        table["carried_forward"][col] = forward
        table["carried_over"][col] = over
        table["new_received"][col] = processed + forward - over
    for row in TABLE3_ROW_KEYS:
        table[row]["total"] = sum(table[row][c] for c in PERSON_COLUMNS)
    return table


def _table4(rng: random.Random) -> dict:
    table = blank_table4()
    for group, scale in zip(TABLE4_GROUP_KEYS, (4, 2, 1)):
        cells = {k: rng.randint(0, scale) for k in ("upheld", "corrected", "other", "pending")}
        if group == "review" and not any(cells.values()):
            cells["upheld"] = 1
        cells["total"] = sum(cells.values())
        table[group] = cells
    return table


def _plant(rng: random.Random, rule: str, table3: dict, table4: dict) -> None:
    """Break exactly one rule by changing printed numbers so that no other rule fails."""
    if rule == "t3_row_total":
        # Move one unit between two outcome rows' totals only: their row sums break, column sums hold.
        nonzero = [r for r in TABLE3_OUTCOME_KEYS if table3[r]["total"] > 0]
        row_a = nonzero[0]
        row_b = next(r for r in TABLE3_OUTCOME_KEYS if r != row_a)
        table3[row_a]["total"] -= 1
        table3[row_b]["total"] += 1
    elif rule == "t3_outcome_total":
        # （七）总计 off by d in one column and its total; 新收 moves with it so the balance holds.
        delta = rng.choice((1, 2, 10))
        for col in ("natural_person", "total"):
            table3["total_processed"][col] += delta
            table3["new_received"][col] += delta
    elif rule == "t3_balance":
        delta = rng.choice((1, 3))
        for col in ("natural_person", "total"):
            table3["carried_forward"][col] += delta
    elif rule == "t4_total":
        table4["review"]["total"] += rng.choice((1, 2))


def _documents_sentence(spec: ReportSpec) -> str:
    if spec.table2_2019:
        made = spec.table2_2019["normative_documents"]
        return f"本年新制作规范性文件{made['new_made']}件，对外公开规范性文件共{made['total_published']}件。"
    documents = spec.table2["normative_documents"]
    return f"本年制发行政规范性文件{documents['issued']}件，现行有效{documents['in_force']}件。"


def _sections(rng: random.Random, spec: ReportSpec, planted: str | None) -> dict:
    short = spec.agency.removesuffix("人民政府")
    me = {"county": "我县", "township": "我乡" if short.endswith("乡") else "我镇", "street": "我街道",
          "department": "我局"}[spec.level]
    t2, t3 = spec.table2, spec.table3
    new_total = t3["new_received"]["total"]
    active = rng.randint(60, 2400)
    web = rng.randint(10, max(11, active // 3))
    lead = rng.choice((
        f"{spec.year}年，{short}在上级党委、政府的坚强领导下，认真贯彻落实《中华人民共和国政府信息公开条例》，坚持“以公开为常态、不公开为例外”，持续推进政府信息公开工作。",
        f"{spec.year}年，{me}以习近平新时代中国特色社会主义思想为指导，严格执行《中华人民共和国政府信息公开条例》，围绕中心工作和群众关切，不断提升政务公开质量和实效。",
    ))
    if planted == "text_no_applications" or new_total == 0:
        received = f"{spec.year}年{me}未收到政府信息公开申请"
        over = t3["carried_over"]["total"]
        received += f"，办理上年结转申请{over}件。" if over else "。"
    else:
        received = (f"{spec.year}年{me}共收到政府信息公开申请{new_total}件，上年结转{t3['carried_over']['total']}件，"
                    f"其中予以公开{t3['granted']['total']}件，均在法定期限内答复。")
    part1 = [
        lead,
        f"（一）主动公开情况。全年通过政府网站、政务新媒体、公开栏等渠道主动公开各类政府信息{active}条，其中政府网站发布{web}条；"
        + _documents_sentence(spec),
        f"（二）依申请公开情况。{me}进一步规范依申请公开受理、登记、审核、答复、归档等环节。{received}",
        "（三）政府信息管理情况。一是强化人员保障，明确专人负责信息发布。二是严格落实信息发布审核制度，按照拟稿、审核、签发的顺序层层把关。三是定期清理过时信息，确保信息准确有效。",
        rng.choice((
            "（四）政府信息公开平台建设情况。一是做好政府网站公开专栏日常维护；二是规范政务新媒体管理，严格落实“三审三校”制度；三是在便民服务中心设置政务公开专区。",
            "（四）平台建设情况。依托县政府门户网站和政务新媒体，及时发布政策文件、工作动态和通知公告，线下通过公开栏、电子屏同步公开。",
        )),
        "（五）监督保障情况。将政务公开工作纳入年度考核，定期开展自查自纠，畅通监督渠道，自觉接受群众监督，全年未发生责任追究情况。",
    ]
    part5 = [
        rng.choice((
            "一是政府信息公开的及时性有待加强；二是政策解读形式较为单一；三是工作人员业务能力有待提高。",
            "工作中仍存在一些不足：一是部分栏目更新不及时，二是公开内容的深度和广度不够，三是互动回应不够充分。",
        )),
        "下一步，一是加强业务培训，提升工作人员能力；二是丰富解读形式，扩大政策知晓率；三是健全监督机制，推动政务公开常态化。",
    ]
    penalty = t2["penalty"]
    if planted == "text_penalty":
        penalty += rng.randint(1, 9)
    if rng.random() < 0.12 and planted != "text_penalty":
        part6 = ["无"]
    else:
        enforcement = (f"（一）行政执法信息公开情况。本年度共作出行政处罚{penalty}起，全部在规定时限内公开。"
                       if penalty else "（一）行政执法信息公开情况。本年度无行政处罚案件。")
        part6 = [enforcement, "（二）收取信息处理费情况。本年度未收取信息处理费。"]
    return {"1": "\n".join(part1), "2": "", "3": "", "4": "", "5": "\n".join(part5), "6": "\n".join(part6)}


def _printed(rng: random.Random, spec: ReportSpec, dashes: bool, fullwidth: bool) -> dict:
    """Cells printed other than as plain digits: zero marks, full-width digits, thousands separators."""
    printed: dict[str, str] = {}
    cells = []
    if spec.table2_2019:
        for key, cols in spec.table2_2019.items():
            for col, value in cols.items():
                cells.append((f"table2_2019.{key}.{col}", value))
    else:
        for key in ("regulations", "normative_documents"):
            for col, value in spec.table2[key].items():
                cells.append((f"table2.{key}.{col}", value))
        for key in ("licensing", "penalty", "coercion", "fees"):
            cells.append((f"table2.{key}", spec.table2[key]))
    for row, cols in spec.table3.items():
        for col, value in cols.items():
            cells.append((f"table3.{row}.{col}", value))
    for group, cols in spec.table4.items():
        for col, value in cols.items():
            cells.append((f"table4.{group}.{col}", value))
    mark = rng.choice(ZERO_MARKS)
    commas = rng.random() < 0.6
    for path, value in cells:
        if value is None:
            continue
        text = _plain_number(value)
        if dashes and value == 0:
            printed[path] = mark
        elif commas and value >= 1000 and isinstance(value, int):
            printed[path] = f"{value:,}"
        elif fullwidth and value:
            printed[path] = text.translate(FULLWIDTH)
    return printed


def _plain_number(value) -> str:
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".") if value else "0"
    return str(value)


def generate_reports(seed: int, count: int, portals) -> list[ReportSpec]:
    """`count` invented reports spread over `portals` (dicts of portals.PORTALS), deterministic for `seed`.

    Planted faults by index, so every world has them in fixed proportions:
    ~15% one sum broken, ~10% a missing row, ~15% zero cells as —// 无/blank,
    ~8% published late, a few with no new applications but carried-over work.
    """
    portals = list(portals)
    specs: list[ReportSpec] = []
    seen: set[tuple[str, int]] = set()
    broken_index = 0
    for i in range(count):
        rng = random.Random(f"ogi-sample:{seed}:{i}")
        portal = portals[i % len(portals)]
        level = LEVEL_CYCLE[(i // len(portals)) % len(LEVEL_CYCLE)]
        year = 2021 + (i // len(portals) + seed) % 5  # every portal gets every year 2021-2025
        for _ in range(50):
            agency = _agency(rng, portal, level)
            if (agency, year) not in seen:
                break
        seen.add((agency, year))
        planted = None
        if i % 7 == 3:
            planted = PLANTED_RULES[(broken_index + seed) % len(PLANTED_RULES)]
            broken_index += 1
        missing_row = planted is None and i % 10 == 6
        dashes = i % 7 == 5 or i % 20 == 9
        fullwidth = i % 6 == 1
        late = i % 13 == 8
        zero_new = planted is None and i % 11 == 4

        due = deadline(level, year)
        start = dt.date(year + 1, 1, 10)
        published = start + dt.timedelta(days=rng.randint(0, (due - start).days))
        if late:
            published = due + dt.timedelta(days=rng.randint(3, 90))

        table2, table3, table4 = _table2(rng, level), _table3(rng, zero_new), _table4(rng)
        if planted:
            _plant(rng, planted, table3, table4)
        if missing_row:
            for row in rng.choice((("total_processed",), ("carried_forward",), ("total_processed", "carried_forward"))):
                table3[row] = dict.fromkeys(TABLE3_COLUMN_KEYS)

        variants = {}
        if rng.random() < 0.3:
            variants["social_welfare_org"] = "社会组织"
        if rng.random() < 0.3:
            variants["denied_prohibited_by_law"] = "2.其他法律法规禁止公开"
        if rng.random() < 0.2:
            variants["denied_security_stability"] = "3.危及三安全一稳定"
        if rng.random() < 0.3:
            variants["partially_granted"] = "（二）部分公开"

        year_text = rng.choice((f"{year}年", f"{year} 年", f"{year}年度"))
        spec = ReportSpec(
            id=f"{portal['id']}-g{i:03d}", portal_id=portal["id"], kind="generated", agency=agency,
            level=level, year=year, published=published,
            title=f"{agency}{year_text}政府信息公开工作年度报告",
            sections=None, table2=table2, table3=table3, table4=table4,
            label_variants=variants,
            delivery=DELIVERY_CYCLE[portal["id"]][(i // len(portals)) % 8],
            style=rng.randrange(1 << 30),
        )
        spec.sections = _sections(rng, spec, planted)
        spec.printed = _printed(rng, spec, dashes, fullwidth)
        failed = failed_arithmetic_checks(table3, table4)
        if planted in ("text_no_applications", "text_penalty"):
            failed.append(planted)
        if published > due:
            failed.append("timeliness")
        spec.expected_failed_checks = [rule for rule in CHECK_RULES if rule in failed]
        specs.append(spec)
    return specs


# --- the 2019 trial layout (reports for 2019 and 2020) -----------------------------------


def _table2_2019(rng: random.Random, level: str) -> dict:
    """The trial layout's table 2: 上一年项目数量 an order of magnitude off 处理决定数量 (a real
    2020 county report: 行政处罚 2648 projects, 538 decisions), signed 本年增/减, 采购总金额 in 万元."""
    table = blank_table2_2019()
    big = level in ("county", "department")
    table["regulations"] = {"new_made": 0, "new_published": 0, "total_published": 0}
    made = rng.randint(1, 9 if big else 3)
    table["normative_documents"] = {"new_made": made, "new_published": rng.randint(0, made),
                                    "total_published": rng.randint(made + 3, 90 if big else 25)}
    for key, scale in (("licensing", 400), ("other_services", 120), ("penalty", 3000), ("coercion", 150)):
        previous = rng.randint(scale // 4, scale) if big else rng.randint(0, scale // 10)
        table[key] = {"previous_year": previous, "change": rng.randint(-min(previous, 25), 30),
                      "decisions": rng.randint(0, max(1, previous // 5))}
    table["fees"] = {"previous_year": rng.randint(0, 12), "change": rng.randint(-3, 2)}
    table["procurement"] = {"count": rng.randint(0, 40), "amount": round(rng.uniform(0, 900), 2)}
    return table


def comparable_table2(table2_2019: dict) -> dict:
    """The 2021 keys a 2019 report fills: only those with a comparable column, the rest None."""
    table = blank_table2()
    for row in TABLE2_LAYOUT_2021:
        for column in row.columns:
            source = COMPARABLE_2019.get((row.key, column.key))
            value = table2_2019[source[0]][source[1]] if source else None
            if column.key == "value":
                table[row.key] = value
            else:
                table[row.key][column.key] = value
    return table


def to_2019_table3(table3: dict) -> dict:
    """A 2021 table 3 on the trial layout: （六）其他处理 one row, the sum of its three items."""
    merged = {}
    for key in table3_row_keys(LAYOUT_2019):
        if key == "other_processing":
            items = [table3[k] for k in ("other_no_correction", "other_unpaid_fee", "other_other")]
            merged[key] = {col: (None if any(item[col] is None for item in items) else sum(item[col] for item in items))
                           for col in TABLE3_COLUMN_KEYS}
        else:
            merged[key] = dict(table3[key])
    return merged


def trial_reports(seed: int, count: int, portals) -> list[ReportSpec]:
    """Reports for 2019 and 2020 on the 2019 trial layout, with planted faults like the others."""
    specs = []
    portals = list(portals)
    for i in range(count):
        rng = random.Random(f"ogi-sample-2019:{seed}:{i}")
        portal = portals[i % len(portals)]
        level = LEVEL_CYCLE[(i // len(portals) + 2) % len(LEVEL_CYCLE)]
        year = 2019 + (i // len(portals)) % 2
        agency = f"{portal['county']}人民政府" if level == "county" else _agency(rng, portal, level)
        planted = PLANTED_RULES[(i + seed) % len(PLANTED_RULES)] if i % 4 == 1 else None
        due = deadline(level, year)
        published = dt.date(year + 1, 1, 8) + dt.timedelta(days=rng.randint(0, (due - dt.date(year + 1, 1, 8)).days))
        table2_2019 = _table2_2019(rng, level)
        table3, table4 = _table3(rng, zero_new=i % 5 == 3), _table4(rng)
        if planted:
            _plant(rng, planted, table3, table4)
        spec = ReportSpec(
            id=f"{portal['id']}-t{i:03d}", portal_id=portal["id"], kind="generated", agency=agency, level=level,
            year=year, published=published, title=f"{agency}{year}年政府信息公开工作年度报告", sections=None,
            table2=comparable_table2(table2_2019), table3=to_2019_table3(table3), table4=table4,
            format=LAYOUT_2019, delivery=DELIVERY_CYCLE[portal["id"]][(i // len(portals) + 3) % 8],
            style=rng.randrange(1 << 30), table2_2019=table2_2019,
        )
        spec.sections = _sections(rng, spec, planted)
        spec.printed = _printed(rng, spec, dashes=i % 6 == 2, fullwidth=i % 7 == 4)
        failed = failed_arithmetic_checks(spec.table3, table4)
        if planted in ("text_no_applications", "text_penalty"):
            failed.append(planted)
        spec.expected_failed_checks = [rule for rule in CHECK_RULES if rule in failed]
        specs.append(spec)
    return specs


# --- the older 统计指标 layout (2008-2018) -----------------------------------------------

# Two provincial wordings of the 统计指标 list: the State Council's, and one with the older
# labels (网上申请数, 对申请的答复数, 收取费用) several provinces printed.
LEGACY_WORDINGS: tuple[dict[str, str], ...] = (
    {},
    {"applications_online": "网上申请数", "replies": "对申请的答复数", "fees": "收取费用",
     "replies_not_this_agency": "非本部门掌握", "replies_not_held": "信息不存在数"},
)


def pre2020_report(seed: int, portal: dict, index: int) -> ReportSpec:
    """A report before the 2019 layout: text kept, no 2021 tables (truth tables are null),
    its 统计指标 figures in `legacy`; some rows of the list left out, as provinces did."""
    rng = random.Random(f"ogi-sample-pre2020:{seed}:{index}")
    agency = f"{portal['county']}人民政府" if index % 2 == 0 else f"{portal['county']}{rng.choice(portal['townships'])}"
    year = 2018 - index % 3
    channels = [rng.randint(0, 30) for _ in range(4)]
    replies = {"replies_already_public": rng.randint(0, 6), "replies_granted": rng.randint(0, 40),
               "replies_partially_granted": rng.randint(0, 5), "replies_denied": rng.randint(0, 4),
               "replies_not_this_agency": rng.randint(0, 5), "replies_not_held": rng.randint(0, 6),
               "replies_clarify": rng.randint(0, 3), "replies_other_channel": rng.randint(0, 2)}
    legacy = {"active_disclosed": rng.randint(100, 3000), "active_normative_documents": rng.randint(0, 20),
              "normative_documents_issued": rng.randint(0, 25), "applications_received": sum(channels),
              "applications_in_person": channels[0], "applications_fax": channels[1],
              "applications_online": channels[2], "applications_letter": channels[3],
              "applications_completed": sum(channels) - rng.randint(0, 2), "replies": sum(replies.values()),
              **replies, "reviews": rng.randint(0, 3), "suits": rng.randint(0, 2), "complaints": rng.randint(0, 4),
              "fees": round(rng.uniform(0, 2), 2) if index % 2 else 0.0}
    for key in rng.sample(sorted(legacy), 3):  # provinces left rows out: not printed, so None
        legacy[key] = None
    assert set(legacy) == {row.key for row in LEGACY_ROWS}
    return ReportSpec(
        id=f"{portal['id']}-p{index:03d}", portal_id=portal["id"], kind="generated", agency=agency,
        level="county" if index % 2 == 0 else "township", year=year,
        published=dt.date(year + 1, 3, rng.randint(2, 30)),
        title=f"{agency}{year}年政府信息公开工作年度报告", sections=None,
        table2=None, table3=None, table4=None, format=LAYOUT_LEGACY, style=rng.randrange(1 << 30),
        printed={"wording": str(index % len(LEGACY_WORDINGS))}, legacy=legacy,
    )


# --- the five seeds -------------------------------------------------------------------

SEED_FACTS: tuple[tuple[str, str, str, int, str, int, str], ...] = (
    # file prefix, portal, agency, year, published, 行政处罚, delivery
    ("000", "zhongning", "中宁县徐套乡", 2024, "2025-01-20", 10, "html"),
    ("001", "yanchi", "盐池县王乐井乡", 2023, "2024-01-25", 75, "html"),
    ("002", "longde", "隆德县城关镇人民政府", 2024, "2025-01-22", 0, "html"),
    ("003", "luoning", "洛宁县马店镇人民政府", 2024, "2025-01-18", 0, "html+pdf"),
    ("004", "hunyuan", "浑源县驼峰乡", 2025, "2026-01-21", 0, "html"),
)


def seed_reports() -> list[ReportSpec]:
    """The five real reports, each on its own county's portal; tables from report-format.md's ground truth."""
    specs = []
    for prefix, portal_id, agency, year, published, penalty, delivery in SEED_FACTS:
        path = next(SEED_DIR.glob(f"{prefix}_*.txt"))
        text = path.read_text(encoding="utf-8")
        title = next(line for line in text.splitlines() if line.strip()).strip().lstrip("# ").strip()
        table2 = blank_table2()
        table2["regulations"] = {"issued": 0, "repealed": 0, "in_force": 0}
        table2["normative_documents"] = {"issued": 0, "repealed": 0, "in_force": 0}
        table2.update(licensing=0, penalty=penalty, coercion=0, fees=0.0)
        table3 = {row: dict.fromkeys(TABLE3_COLUMN_KEYS, 0) for row in TABLE3_ROW_KEYS}
        if prefix == "001":
            table3["total_processed"] = dict.fromkeys(TABLE3_COLUMN_KEYS)
            table3["carried_forward"] = dict.fromkeys(TABLE3_COLUMN_KEYS)
        table4 = {group: dict.fromkeys(("upheld", "corrected", "other", "pending", "total"), 0) for group in TABLE4_GROUP_KEYS}
        variants = {}
        if prefix == "000":
            variants["social_welfare_org"] = "社会组织"
        if prefix == "002":
            variants["denied_prohibited_by_law"] = "2.其他法律法规禁止公开"
        specs.append(ReportSpec(
            id=f"{portal_id}-seed", portal_id=portal_id, kind="seed", agency=agency, level="township",
            year=year, published=dt.date.fromisoformat(published), title=title, sections=None,
            table2=table2, table3=table3, table4=table4, label_variants=variants,
            delivery=delivery, style=int(prefix), seed_text=text,
        ))
    return specs


def spec_to_truth(spec: ReportSpec) -> dict:
    """The ground truth in the shape `ogi parse --json` prints, plus id, kind, checks, printed, delivery."""
    return {
        "id": spec.id,
        "portal_id": spec.portal_id,
        "kind": spec.kind,
        "title": spec.title,
        "agency": spec.agency,
        "level": spec.level,
        "year": spec.year,
        "published": spec.published.isoformat() if spec.published else None,
        "format": spec.format,
        "sections": copy.deepcopy(spec.sections),
        "table2": copy.deepcopy(spec.table2),
        "table3": copy.deepcopy(spec.table3),
        "table4": copy.deepcopy(spec.table4),
        "table2_2019": copy.deepcopy(spec.table2_2019),
        "legacy": copy.deepcopy(spec.legacy),
        "expected_failed_checks": list(spec.expected_failed_checks),
        "printed": dict(sorted(spec.printed.items())),
        "label_variants": dict(sorted(spec.label_variants.items())),
        "delivery": spec.delivery,
    }
