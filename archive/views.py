"""SQL views a journalist can query without joins, and the template labels they show.

May touch: the database it is given (creates/replaces views, fills `template_rows`).
The row and column keys come from parsers.template, the one place that spells them.
"""

from __future__ import annotations

import hashlib
import json

import sqlite_utils

from parsers import template
from parsers.template import TABLE3_COLUMN_KEYS

ARCHIVE_PATH = "/-/archive/"  # the plugin route serving a capture's archived original
REPORT_PATH = "/-/report/"  # the plugin route showing one report as printed
ARCHIVED_PAGE_PATH = "/-/archived/"  # the archived original under a banner saying what it is


def template_rows() -> list[dict]:
    """One row per template row of every layout's tables, in printed order, with its
    Chinese label: table2 (2021 keys, which 2019 reports fill where comparable),
    table2_2019 (the trial layout's own table 2), table3 (2021 rows, and the trial
    layout's single （六）其他处理 after the 2021 items), table4, legacy (统计指标)."""
    rows: list[dict] = []
    for table, layout in (("table2", template.TABLE2_LAYOUT_2021), ("table2_2019", template.TABLE2_LAYOUT_2019)):
        for row in layout:
            rows.append({"table_name": table, "row_key": row.key, "group_label": row.block, "label": row.label})
    table3 = list(template.TABLE3_ROWS)
    after = next(i for i, row in enumerate(table3) if row.key == "other_other")
    table3.insert(after + 1, template.OTHER_PROCESSING)
    for row in table3:
        rows.append({"table_name": "table3", "row_key": row.key, "group_label": row.group, "label": row.label})
    for key, label in template.TABLE4_GROUPS:
        rows.append({"table_name": "table4", "row_key": key, "group_label": "", "label": label})
    for row in template.LEGACY_ROWS:
        rows.append({"table_name": "legacy", "row_key": row.key, "group_label": template.LEGACY_SIGNATURE,
                     "label": row.label})
    for position, row in enumerate(rows, 1):
        row["position"] = position
    return rows


# Reads `current_reports` (schema migration 0004): the current versions' short columns,
# kept by triggers on `reports`, ~20 rows a page instead of one.
REPORT_SUMMARY_SQL = f"""
create view report_summary as
select
    id, report_key, agency, level, province, city, county, admin_code, year, title, published,
    status, problems, format, source_url,
    '{ARCHIVE_PATH}' || source_capture_id as archived_url,
    penalty, licensing, coercion, fees,
    new_received, carried_over, granted, partially_granted, total_processed, carried_forward,
    review_total, litigation_total, checks_failed,
    version, first_seen, last_seen, gone_at,
    agency_id, '{REPORT_PATH}' || id as report_page, township_code
from current_reports
"""


def _table3_wide_sql() -> str:
    """Rows come in report id then template order without an ORDER BY: reports is scanned
    by rowid (NOT INDEXED) and template_rows by position (+ disables its index). An ORDER
    BY would stop SQLite flattening the view, so Datasette's count(*) would compute every
    cell of every row (archive.serve gives Datasette that count once, at start)."""
    cell = (
        "(select value from report_cells c where c.report_id = r.id and c.table_name = 'table3'"
        " and c.row_key = t.row_key and c.col_key = '{col}') as {col}"
    )
    columns = ",\n    ".join(cell.format(col=col) for col in TABLE3_COLUMN_KEYS)
    return f"""
create view table3_wide as
select
    r.id as report_id, r.agency, r.level, r.province, r.county, r.year,
    t.position, t.row_key, t.group_label, t.label,
    {columns}
from reports r not indexed
join template_rows t on +t.table_name = 'table3'
where r.is_current = 1
  and r.status != 'failed'  -- a failed parse read no cell; partial ones show NULL = not read
"""


# Two different documents live at once for one agency and year (two URLs, neither a
# version of the other): both are current; this lists them side by side.
CONFLICTING_REPORTS_SQL = f"""
create view conflicting_reports as
select
    report_key, agency, year, id as report_id, source_url, '{ARCHIVE_PATH}' || source_capture_id as archived_url,
    status, new_received, granted, total_processed, penalty, licensing, published, first_seen, last_seen
from current_reports
where gone_at is null
  and report_key in (select report_key from current_reports where gone_at is null
                     group by report_key having count(*) > 1)
"""


# The figures compared year over year (reports' headline columns a journalist quotes).
YEAR_OVER_YEAR = ("new_received", "total_processed", "granted", "penalty", "licensing", "coercion",
                  "review_total", "litigation_total")


def agency_years_select() -> str:
    """The rows of the `agency_years` table (archive.load.refresh_agency_years fills it at
    the end of every load; the served snapshot is immutable, so one pass there spares every
    reader the work): one row per agency and year (agency_id: parsers.metadata.agency_id),
    the previous year's figures beside this year's and the change. Two documents live for
    one agency and year (conflicting_reports) count as `documents`; the row shows the
    first loaded."""
    figures = ",\n    ".join(
        f"r.{name}, p.{name} as prev_{name}, r.{name} - p.{name} as change_{name}" for name in YEAR_OVER_YEAR)
    # INDEXED BY: before ANALYZE has run (a new archive, a load's own transaction) the
    # planner may pick the year index and visit every report of the year for each row.
    first = ("(select min(id) from current_reports m indexed by current_reports_agency_id"
             " where m.agency_id = r.agency_id and m.year = {year} and m.status != 'failed')")
    return f"""
select
    r.agency_id, r.agency, r.level, r.province, r.city, r.county, r.admin_code, r.year,
    r.id as report_id,
    (select count(*) from current_reports d indexed by current_reports_agency_id
     where d.agency_id = r.agency_id and d.year = r.year and d.status != 'failed') as documents,
    p.year as prev_year, p.id as prev_report_id,
    {figures}
from current_reports r
left join current_reports p on p.id = {first.format(year="r.year - 1")}
where r.agency_id is not null and r.year is not null and r.status != 'failed'
  and r.id = {first.format(year="r.year")}
"""


def fingerprint() -> str:
    """What the derived objects are made of today: schema.refresh_derived rebuilds them when it changes."""
    made_of = json.dumps([REPORT_SUMMARY_SQL, _table3_wide_sql(), CONFLICTING_REPORTS_SQL, template_rows()],
                         ensure_ascii=False)
    return hashlib.sha256(made_of.encode("utf-8")).hexdigest()


def create_views(db: sqlite_utils.Database) -> None:
    """(Re)create the views (schema.refresh_derived calls this when they changed)."""
    for name, sql in (("report_summary", REPORT_SUMMARY_SQL), ("table3_wide", _table3_wide_sql()),
                      ("conflicting_reports", CONFLICTING_REPORTS_SQL)):
        db.execute(f"drop view if exists {name}")
        db.execute(sql)

