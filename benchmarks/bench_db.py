"""How fast the archive database loads and answers, printed as figures.

1. Load rate: a real archive of generated report pages (WARC + captures, the real parser)
   loaded by archive.load.load_archive — reports/s and cells/s.
2. Query latency at scale: a synthetic archive of --reports reports (default 100,000, i.e.
   ~20 million cells) built directly with executemany, published by `ogi serve`
   on 127.0.0.1, and every canned query, a search and the main table pages
   fetched over HTTP --repeat times: p50/p95 in ms. Target p95 < 200 ms.
3. Database size, per table (dbstat).

    .venv/bin/python benchmarks/bench_db.py                  # full: a few minutes
    .venv/bin/python benchmarks/bench_db.py --reports 5000   # quick look

May touch: a scratch folder (--work, default a temporary directory, removed afterwards
unless --keep).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive.captures import record_capture, upsert_portals  # noqa: E402
from archive.load import load_archive, refresh_agency_years  # noqa: E402
from archive.schema import open_db  # noqa: E402
from archive.search import bigram_text  # noqa: E402
from archive.serve import metadata  # noqa: E402
from archive.warc import WarcWriter  # noqa: E402
from parsers.checks import RULES  # noqa: E402
from parsers.metadata import agency_id  # noqa: E402
from parsers.template import (  # noqa: E402
    TABLE2_DOCUMENT_COLUMNS, TABLE2_DOCUMENT_ROWS, TABLE2_SINGLE_ROWS, TABLE3_COLUMN_KEYS,
    TABLE3_ROW_KEYS, TABLE4_COLUMN_KEYS, TABLE4_GROUP_KEYS,
)
from sample_portals.portals import PORTALS  # noqa: E402
from sample_portals.render import render  # noqa: E402
from sample_portals.reports import generate_reports  # noqa: E402


# -- 1. load rate ---------------------------------------------------------------------------
def bench_load(work: Path, count: int) -> dict:
    data_dir = work / "load"
    db = open_db(data_dir / "ogi.db")
    upsert_portals(db, PORTALS)
    clock = datetime(2025, 3, 1, tzinfo=timezone.utc)
    specs = [s for s in generate_reports(5, count, PORTALS) if s.format == "2021"]
    with WarcWriter(data_dir / "warc") as writer:
        for spec in specs:
            clock += timedelta(seconds=1)
            body = render(spec, "html_body").decode("utf-8")
            page = (f"<html><head><meta charset='utf-8'><title>{spec.title}</title></head>"
                    f"<body><h1>{spec.title}</h1>{body}</body></html>").encode("utf-8")
            url = f"http://127.0.0.1:8999/{spec.portal_id}/{spec.id}.html"
            location = writer.write_exchange(url, [], None, 200, "OK", [("Content-Type", "text/html; charset=utf-8")],
                                             page, clock.isoformat())
            record_capture(db, location, portal_id=spec.portal_id, url=url, method="GET",
                           fetched_at=clock.isoformat(), status=200, content_type="text/html; charset=utf-8",
                           content_length=len(page), record_type="response", kind="report", outcome="new")
    db.conn.close()
    started = time.perf_counter()
    summary = load_archive(data_dir)
    seconds = time.perf_counter() - started
    again = time.perf_counter()
    load_archive(data_dir)
    return {"captures": summary["captures"], "reports": summary["reports_total"], "cells": summary["cells"],
            "seconds": seconds, "reports_per_s": summary["reports_total"] / seconds,
            "cells_per_s": summary["cells"] / seconds, "reload_seconds": time.perf_counter() - again}


# -- 2. synthetic archive -------------------------------------------------------------------
SENTENCES = (
    "本机关认真贯彻落实《中华人民共和国政府信息公开条例》，坚持以公开为常态、不公开为例外。",
    "全年主动公开政府信息{n}条，其中政策文件{m}件。",
    "本年度共作出行政处罚{n}起，收取罚款共计{m}万元，全部在规定时限内公开。",
    "本年度发生政府信息公开行政复议案件{m}件，行政诉讼{k}件。",
    "本年度未收到政府信息公开申请。",
    "政府网站和政务新媒体运行平稳，政务公开专栏及时更新。",
    "工作中仍存在一些不足：一是部分栏目更新不及时，二是政策解读形式较为单一。",
    "本年度未收取信息处理费。",
)
RARE_SENTENCE = "依申请公开中涉及征地拆迁补偿的申请占多数。"
CHECK_RULES = RULES  # the parser's rule names (parsers.checks), so the benchmark's rows are real ones


def agency_id_of(report_id: int) -> str:
    """The agency_id build_synthetic gives report `report_id` (for the latency paths)."""
    portal_id, county = synthetic_counties()[(report_id // 5) % len(synthetic_counties())][::3][:2]
    return agency_id(portal_id, f"{county}第{(report_id // 5) % 40}镇人民政府", county)


def synthetic_counties() -> list[tuple]:
    counties = [(p["id"], p["province"], p["city"], p["county"], p.get("admin_code")) for p in PORTALS]
    # Hundreds of invented counties so grouping queries see realistic cardinality.
    return counties + [(f"synthetic{i:03d}", f"省{i % 31:02d}", f"市{i % 300:03d}", f"县{i:04d}", f"{100000 + i}")
                       for i in range(1, 2000)]


def table_cells() -> list[tuple[str, str, str]]:
    cells = [("table2", row, col) for row, _ in TABLE2_DOCUMENT_ROWS for col, _ in TABLE2_DOCUMENT_COLUMNS]
    cells += [("table2", key, "value") for key, *_ in TABLE2_SINGLE_ROWS]
    cells += [("table3", row, col) for row in TABLE3_ROW_KEYS for col in TABLE3_COLUMN_KEYS]
    cells += [("table4", group, col) for group in TABLE4_GROUP_KEYS for col in TABLE4_COLUMN_KEYS]
    return cells


def build_synthetic(data_dir: Path, count: int, batch: int = 2000) -> dict:
    """`count` reports with every cell, ~7 checks each, section text and the bigram index."""
    started = time.perf_counter()
    db = open_db(data_dir / "ogi.db")
    upsert_portals(db, PORTALS)
    db.conn.close()
    conn = sqlite3.connect(data_dir / "ogi.db", isolation_level=None)
    conn.execute("pragma journal_mode = off")
    conn.execute("pragma synchronous = off")
    conn.execute("pragma cache_size = -400000")
    rng = random.Random(100_000)
    cells = table_cells()
    counties = synthetic_counties()
    levels = ("county", "township", "street", "department")
    report_columns = ("id", "report_key", "version", "is_current", "agency", "level", "province", "city", "county",
                      "admin_code", "portal_id", "year", "title", "published", "source_url", "source_capture_id",
                      "content_sha256", "format", "status", "problems", "section_1", "section_5", "section_6",
                      "first_seen", "last_seen", "gone_at", "penalty", "licensing", "coercion", "fees",
                      "new_received", "carried_over", "granted", "partially_granted", "total_processed",
                      "carried_forward", "review_total", "litigation_total", "checks_failed", "agency_id")
    insert_report = f"insert into reports ({', '.join(report_columns)}) values ({', '.join('?' * len(report_columns))})"
    n_cells = n_checks = 0
    conn.execute("begin")
    for first in range(1, count + 1, batch):
        reports, cell_rows, check_rows, fts_rows = [], [], [], []
        for report_id in range(first, min(first + batch, count + 1)):
            agency_no, year = divmod(report_id, 5)  # each agency: five consecutive years
            year = 2020 + year
            portal_id, province, city, county, code = counties[agency_no % len(counties)]
            agency = f"{county}第{agency_no % 40}镇人民政府"
            values = {}
            t3 = {row: [rng.randint(0, 30) for _ in TABLE3_COLUMN_KEYS[:-1]] for row in TABLE3_ROW_KEYS}
            for row, parts in t3.items():
                parts.append(sum(parts))
            for table, row, col in cells:
                if table == "table3":
                    values[(table, row, col)] = t3[row][TABLE3_COLUMN_KEYS.index(col)]
                else:
                    values[(table, row, col)] = rng.randint(0, 200)
            broken = report_id % 13 == 0
            sections = [rng.choice(SENTENCES).format(n=rng.randint(1, 900), m=rng.randint(0, 30), k=rng.randint(0, 5))
                        for _ in range(6)]
            section_1, section_5, section_6 = "".join(sections[:3]), sections[3], "".join(sections[4:])
            if report_id % 100 == 7:  # a rare subject: 1% of reports
                section_6 += RARE_SENTENCE
            title = f"{agency}{year}年政府信息公开工作年度报告"
            lit = values[("table4", "litigation_direct", "total")] + values[("table4", "litigation_after_review", "total")]
            version = 2 if report_id % 50 == 0 else 1
            reports.append((
                report_id, f"{portal_id}|{agency}|{year}", 1, 1, agency, levels[report_id % 4], province, city,
                county, code, portal_id if portal_id in {p["id"] for p in PORTALS} else None, year, title,
                f"{year + 1}-03-{1 + report_id % 28:02d}", f"http://127.0.0.1:8999/{portal_id}/{report_id}.html",
                None, hashlib.sha256(str(report_id).encode()).hexdigest(), "2021", "ok", None,
                section_1, section_5, section_6, "2025-03-01T00:00:00", "2025-03-02T00:00:00",
                "2025-06-01T00:00:00" if report_id % 97 == 0 else None,
                values[("table2", "penalty", "value")], values[("table2", "licensing", "value")],
                values[("table2", "coercion", "value")], values[("table2", "fees", "value")],
                t3["new_received"][-1], t3["carried_over"][-1], t3["granted"][-1], t3["partially_granted"][-1],
                t3["total_processed"][-1], t3["carried_forward"][-1],
                values[("table4", "review", "total")], lit, int(broken), agency_id(portal_id, agency, county)))
            if version == 2:  # a few reports were changed after first capture
                reports[-1] = reports[-1][:2] + (2,) + reports[-1][3:]
            cell_rows.extend((report_id, t, r, c, values[(t, r, c)], str(values[(t, r, c)]), None, None)
                             for t, r, c in cells)
            for rule in CHECK_RULES:
                passed = 0 if broken and rule in ("t3_row_total", "text_penalty") else 1
                check_rows.append((report_id, rule, "total", passed, "10", "10" if passed else "12", None))
            fts_rows.append((report_id, bigram_text(title, agency, section_1, section_5, section_6)))
        conn.executemany(insert_report, reports)
        conn.executemany("insert into report_cells (report_id, table_name, row_key, col_key, value, printed, flag, reason)"
                         " values (?, ?, ?, ?, ?, ?, ?, ?)", cell_rows)
        conn.executemany("insert into checks (report_id, rule, scope, passed, expected, actual, detail)"
                         " values (?, ?, ?, ?, ?, ?, ?)", check_rows)
        conn.executemany("insert into reports_fts (rowid, search_text) values (?, ?)", fts_rows)
        n_cells += len(cell_rows)
        n_checks += len(check_rows)
        print(f"\r  built {min(first + batch - 1, count):,} / {count:,} reports", end="", flush=True)
    refresh_agency_years(conn)  # as every load ends
    conn.execute("commit")
    conn.execute("insert into reports_fts (reports_fts) values ('optimize')")
    conn.execute("analyze")
    conn.close()
    print()
    return {"reports": count, "cells": n_cells, "checks": n_checks, "seconds": time.perf_counter() - started}


def database_size(db_path: Path) -> dict:
    conn = sqlite3.connect(db_path)
    try:
        per_table = dict(conn.execute(
            "select name, sum(pgsize) from dbstat group by name order by 2 desc limit 12").fetchall())
    finally:
        conn.close()
    return {"bytes": db_path.stat().st_size, "largest": per_table}


# -- 3. latency over HTTP -------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def latency_paths() -> dict[str, str]:
    params = {"year": "2024", "county": "", "agency": "第3镇", "level": "", "q": "罚款", "rank_by": "applications",
              "limit": "20"}
    paths = {}
    for name, query in metadata()["databases"]["ogi"]["queries"].items():
        needed = {p: v for p, v in params.items() if f":{p}" in query["sql"]}
        paths[f"canned {name}"] = f"/ogi/{name}.json?" + "&".join(f"{k}={quote(v)}" for k, v in needed.items())
    paths["search 罚款 (reports page; in 55% of reports)"] = f"/ogi/reports.json?_search={quote('罚款')}&_col=agency"
    paths["search 行政处罚 (reports page; 55%)"] = f"/ogi/reports.json?_search={quote('行政处罚')}&_col=agency"
    paths["search 征地拆迁 (reports page; 1%)"] = f"/ogi/reports.json?_search={quote('征地拆迁')}&_col=agency"
    paths["search 罚款 (report_summary page; 55%)"] = f"/ogi/report_summary.json?_search={quote('罚款')}"
    paths["report_summary page + facets"] = "/ogi/report_summary.json"
    paths["table3_wide first page"] = "/ogi/table3_wide.json"
    paths["report_cells of one report"] = "/ogi/report_cells.json?report_id=4242"
    paths["landing page"] = "/"
    paths["report page"] = "/-/report/4242"
    paths["agency_years first page"] = "/ogi/agency_years.json"
    paths["agency_years of one agency"] = f"/ogi/agency_years.json?agency_id={quote(agency_id_of(4242))}"
    paths["search_reports 罚款 OR 复议 (snippets, relevance)"] = f"/ogi/search_reports.json?q={quote('罚款 OR 复议')}"
    return paths


def bench_latency(data_dir: Path, repeat: int, only: str | None = None) -> dict:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "ogi.cli", "serve", "--data", str(data_dir), "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    figures = {}
    launched = time.perf_counter()
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            while time.perf_counter() - launched < 3600:  # it publishes a snapshot first: minutes at 1M
                try:
                    if client.get("/-/versions.json").status_code == 200:
                        break
                except httpx.HTTPError:
                    if server.poll() is not None:
                        raise SystemExit(f"ogi serve exited with {server.returncode}") from None
                    time.sleep(0.2)
            print(f"  ogi serve answered {time.perf_counter() - launched:.1f} s after launch (it publishes the "
                  "snapshot it serves first)", flush=True)
            for label, path in latency_paths().items():
                if only and only not in label:
                    continue
                client.get(path)  # warm the page cache once
                times, status = [], None
                for _ in range(repeat):
                    started = time.perf_counter()
                    response = client.get(path)
                    times.append((time.perf_counter() - started) * 1000)
                    status = response.status_code
                times.sort()
                p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
                figures[label] = {"p50": statistics.median(times), "p95": p95, "status": status}
    finally:
        server.terminate()
        server.wait(timeout=10)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=100_000, help="synthetic reports (default 100000)")
    parser.add_argument("--load-reports", type=int, default=120, help="real pages to parse and load")
    parser.add_argument("--repeat", type=int, default=20, help="requests per query")
    parser.add_argument("--work", type=Path, help="scratch folder (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument("--synthetic-cache", type=Path,
                        help="reuse the synthetic ogi.db kept here (built and kept on first use); new"
                             " migrations are applied to the copy, so iterate here, measure fresh at the end")
    parser.add_argument("--skip-load", action="store_true", help="skip the load-rate part")
    parser.add_argument("--only", help="measure only requests whose label contains this text")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="ogi-bench-db-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        if not args.skip_load:
            print(f"== load rate: {args.load_reports} generated report pages, real parser")
            load = bench_load(work, args.load_reports)
            print(f"  {load['reports']} reports, {load['cells']:,} cells in {load['seconds']:.1f} s: "
                  f"{load['reports_per_s']:.1f} reports/s, {load['cells_per_s']:,.0f} cells/s; "
                  f"second load (nothing new) {load['reload_seconds']:.2f} s")

        print(f"== synthetic archive: {args.reports:,} reports")
        synthetic_dir = work / "synthetic"
        cached = args.synthetic_cache / f"ogi-{args.reports}.db" if args.synthetic_cache else None
        if cached and cached.exists():
            synthetic_dir.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(cached, synthetic_dir / "ogi.db")
            started = time.perf_counter()
            db = open_db(synthetic_dir / "ogi.db")  # applies migrations newer than the cache
            with db.conn:
                refresh_agency_years(db.conn)
            db.execute("analyze")
            db.execute("pragma wal_checkpoint(truncate)")
            db.conn.close()
            print(f"  reused {cached}; migrated in {time.perf_counter() - started:.0f} s")
        else:
            built = build_synthetic(synthetic_dir, args.reports)
            print(f"  {built['reports']:,} reports, {built['cells']:,} cells, {built['checks']:,} checks "
                  f"built in {built['seconds']:.0f} s")
            if cached:
                cached.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(synthetic_dir / "ogi.db", cached)
        size = database_size(synthetic_dir / "ogi.db")
        print(f"  database size {size['bytes'] / 1e6:,.0f} MB; largest: " + ", ".join(
            f"{name} {pages / 1e6:,.0f} MB" for name, pages in size["largest"].items()))
        scale = 1_000_000 / args.reports  # every table grows with the reports: linear, measured here
        print(f"  extrapolated to 1,000,000 reports: {size['bytes'] * scale / 1e9:,.1f} GB, of which "
              + ", ".join(f"{name} {pages * scale / 1e9:,.1f} GB" for name, pages in list(size["largest"].items())[:4])
              + "; the snapshot `ogi load` publishes (VACUUM INTO) copies all of it each load")

        print(f"== latency over HTTP (ogi serve), {args.repeat} requests each")
        figures = bench_latency(synthetic_dir, args.repeat, args.only)
        width = max(map(len, figures))
        for label, figure in figures.items():
            flag = "" if figure["p95"] < 200 else "  <-- over 200 ms"
            print(f"  {label:<{width}}  p50 {figure['p50']:7.1f} ms  p95 {figure['p95']:7.1f} ms"
                  f"  HTTP {figure['status']}{flag}")
    finally:
        if not args.keep and not args.work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
