"""`/-/report/{id}`: one report as a journalist reads it, on one page.

Its title, agency, level, region and administrative code, year, published date and
whether it was on time; tables 2, 3 and 4 laid out as the template prints them (Chinese
labels in the template's order: parsers.template owns them), each number beside the text
printed when they differ, a number not read shown as 未读出 with its reason, and the cells
a failed check concerns marked with the check's sentence; the same agency's previous and
next year with the changes; every version and every source with its archived original.

May touch: reads the archive database it is given. `report_page_data` is a plain function
of a sqlite3 connection (tested without a server); `report_page` is the Datasette route.
"""

from __future__ import annotations

import json
import sqlite3

from parsers import template
from archive.views import ARCHIVED_PAGE_PATH, REPORT_PATH, YEAR_OVER_YEAR

NOT_READ = "未读出"
FIGURE_LABELS = {  # the headline figures, as the tables print them
    "new_received": "本年新收申请", "total_processed": "办理结果总计", "granted": "予以公开",
    "penalty": "行政处罚", "licensing": "行政许可", "coercion": "行政强制",
    "review_total": "行政复议总计", "litigation_total": "行政诉讼总计",
}
LEVEL_LABELS = {"county": "县级政府", "township": "乡镇", "street": "街道", "department": "部门", "unknown": "未知"}


def _grids(fmt: str | None) -> list[dict]:
    """The report's tables as its layout prints them: title, column headers, rows
    (key, group, label) and the report_cells table_name / col_key of each position."""
    grids = []
    if fmt == template.LAYOUT_LEGACY:
        grids.append({"title": "统计指标 / Statistics (pre-2020 layout)", "table": "legacy",
                      "columns": [("value", "统计数")],
                      "rows": [(row.key, "", row.label) for row in template.LEGACY_ROWS]})
        return grids
    table2 = "table2_2019" if fmt == template.LAYOUT_2019 else "table2"
    layout = template.TABLE2_LAYOUTS[template.LAYOUT_2019 if fmt == template.LAYOUT_2019 else template.LAYOUT_2021]
    block: dict | None = None
    for row in layout:  # one grid per run of rows sharing their columns, as printed
        columns = [(column.key, column.header) for column in row.columns]
        if block is None or block["columns"] != columns:
            block = {"title": "表二 主动公开政府信息情况" if not grids else "", "table": table2,
                     "columns": columns, "rows": []}
            grids.append(block)
        block["rows"].append((row.key, row.block, row.label))
    rows3 = template.TABLE3_LAYOUTS[template.LAYOUT_2019 if fmt == template.LAYOUT_2019 else template.LAYOUT_2021]
    grids.append({"title": "表三 收到和处理政府信息公开申请情况", "table": "table3",
                  "columns": list(template.TABLE3_COLUMNS),
                  "rows": [(row.key, row.group, row.label) for row in rows3]})
    grids.append({"title": "表四 政府信息公开行政复议、行政诉讼情况", "table": "table4",
                  "columns": list(template.TABLE4_COLUMNS),
                  "rows": [(key, "", label) for key, label in template.TABLE4_GROUPS]})
    return grids


def _checked_cells(check: dict) -> list[tuple[str, str, str]]:
    """The printed cell(s) a check is about (parsers.checks' scopes)."""
    rule, scope = check["rule"], check["scope"] or ""
    kind, _, key = scope.partition(":")
    if rule == "t3_row_total" and kind == "row":
        return [("table3", key, "total")]
    if rule == "t3_outcome_total" and kind == "column":
        return [("table3", "total_processed", key)]
    if rule == "t3_balance" and kind == "column":
        return [("table3", row, key) for row in ("new_received", "carried_over", "total_processed", "carried_forward")]
    if rule == "t4_total" and kind == "group":
        return [("table4", key, "total")]
    if rule == "y2y_carried_over" and kind == "column":
        return [("table3", "carried_over", key)]
    if rule == "y2y_in_force" and kind == "row":
        return [("table2", key, "in_force")]
    if rule == "county_aggregate" and kind == "cell":
        return [tuple(key.split("."))]
    if rule == "text_no_applications":
        return [("table3", "new_received", "total")]
    if rule == "text_penalty":
        return [("table2", "penalty", "value")]
    return []


def _number(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) else str(value)


def report_page_data(conn: sqlite3.Connection, report_id: int) -> dict | None:
    """Everything the page shows, or None when there is no such report."""
    conn.row_factory = sqlite3.Row
    row = conn.execute("select * from reports where id = ?", [report_id]).fetchone()
    if row is None:
        return None
    report = dict(row)
    cells = {(c["table_name"], c["row_key"], c["col_key"]): dict(c) for c in conn.execute(
        "select * from report_cells where report_id = ?", [report_id])}
    checks = [dict(c) for c in conn.execute(
        "select rule, scope, passed, printed, computed, sentence_zh, sentence_en, detail from checks"
        " where report_id = ? order by passed is null, passed, id", [report_id])]
    failing: dict[tuple, list[str]] = {}
    for check in checks:
        if check["passed"] == 0:
            for place in _checked_cells(check):
                failing.setdefault(place, []).append(check["sentence_zh"] or check["detail"])

    grids = []
    for grid in _grids(report["format"]):
        rows = []
        for key, group, label in grid["rows"]:
            shown = []
            for col_key, _ in grid["columns"]:
                cell = cells.get((grid["table"], key, col_key))
                if cell is None:
                    shown.append({"text": "", "absent": True})
                    continue
                value = cell["value"]
                printed = cell["printed"]
                shown.append({
                    "text": _number(value) if value is not None else NOT_READ,
                    "missing": value is None,
                    "printed": printed if printed not in (None, "", _number(value), str(value)) else None,
                    "reason": cell["reason"] or cell["flag"],
                    "confidence": cell["confidence"],
                    "failing": failing.get((grid["table"], key, col_key), []),
                })
            if any(not c.get("absent") for c in shown):
                rows.append({"key": key, "group": group, "label": label, "cells": shown})
        if rows:
            grids.append({**grid, "rows": rows})

    versions = [dict(v) for v in conn.execute(
        "select id, version, is_current, status, first_seen, last_seen, source_url, source_capture_id from reports"
        " where report_key = ? and document is ? order by version", [report["report_key"], report["document"]])]
    sources = [dict(s) for s in conn.execute(
        "select form, url, is_primary, capture_id, fetched_at, last_seen, sightings, payload_sha256"
        " from report_sources where report_id = ? order by is_primary desc, form", [report_id])]
    for item in (*versions, *sources):
        capture = item.get("source_capture_id", item.get("capture_id"))
        item["archived_url"] = f"{ARCHIVED_PAGE_PATH}{capture}" if capture is not None else None
    others = [dict(o) for o in conn.execute(
        "select id, report_key, source_url from reports where is_current = 1 and report_key = ? and id != ?",
        [report["report_key"], report_id])]

    years = {}
    if report["agency_id"] and report["year"]:
        for other in conn.execute(
                "select * from agency_years where agency_id = ? and year in (?, ?, ?)",
                [report["agency_id"], report["year"] - 1, report["year"], report["year"] + 1]):
            years[other["year"] - report["year"]] = dict(other)
    comparison = []
    this_year = years.get(0)
    for figure in YEAR_OVER_YEAR:
        now = report.get(figure)
        before = years[-1][figure] if -1 in years else None
        after = years[1][figure] if 1 in years else None
        if now is None and before is None and after is None:
            continue
        comparison.append({"figure": figure, "label": FIGURE_LABELS[figure], "previous": _number(before),
                           "this_year": _number(now), "next": _number(after),
                           "change": _number(now - before) if now is not None and before is not None else ""})
    timeliness = next((c for c in checks if c["rule"] == "timeliness"), None)
    on_time = None if timeliness is None or timeliness["passed"] is None else bool(timeliness["passed"])
    return {
        "report": report,
        "level_label": LEVEL_LABELS.get(report["level"] or "unknown", report["level"]),
        "problems": json.loads(report["problems"]) if report["problems"] else [],
        "grids": grids,
        "checks_failed": [c for c in checks if c["passed"] == 0],
        "checks_passed": sum(1 for c in checks if c["passed"] == 1),
        "checks_unknown": sum(1 for c in checks if c["passed"] is None),
        "on_time": on_time,
        "timeliness": timeliness,
        "versions": versions,
        "sources": sources,
        "other_documents": others,
        "previous": years.get(-1),
        "next": years.get(1),
        "this_year": this_year,
        "comparison": comparison,
        "permalink": f"{REPORT_PATH}{report_id}",
        "archived_url": f"{ARCHIVED_PAGE_PATH}{report['source_capture_id']}",
        "report_path": REPORT_PATH,
        "sections": [(number, section.heading, report.get(f"section_{number}"))
                     for number, section in ((s.number, s) for s in template.SECTIONS)],
    }


async def report_page(datasette, request):
    from datasette.utils.asgi import Response

    from archive.datasette_plugin import SQLITE_MAX_INTEGER, _archive_database

    report_id = int(request.url_vars["report_id"])
    database = _archive_database(datasette)
    if report_id > SQLITE_MAX_INTEGER or database is None:
        return Response.html(f"<p>report {report_id} is not in the archive</p>", status=404)
    data = await database.execute_fn(lambda conn: report_page_data(conn, report_id))
    if data is None:
        return Response.html(f"<p>report {report_id} is not in the archive</p>", status=404)
    return Response.html(await datasette.render_template("ogi_report.html", data, request=request))
