"""`ogi status`: what an archive folder holds, read from DIR/ogi.db (read-only)."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def archive_status(data_dir: Path) -> dict:
    """Counts a person or a monitor wants at a glance; missing tables count as absent, not zero."""
    db_path = Path(data_dir) / "ogi.db"
    warc_dir = Path(data_dir) / "warc"
    figures: dict = {"database": str(db_path), "exists": db_path.exists()}
    warcs = sorted(warc_dir.glob("*.warc.gz")) if warc_dir.exists() else []
    figures["warc_files"] = len(warcs)
    figures["warc_bytes"] = sum(path.stat().st_size for path in warcs)
    if not db_path.exists():
        return figures
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        tables = {row[0] for row in conn.execute("select name from sqlite_master where type in ('table','view')")}

        def scalar(sql: str):
            return conn.execute(sql).fetchone()[0]

        for table in ("portals", "captures", "crawl_runs", "errors", "reports", "report_cells", "checks"):
            figures[table] = scalar(f"select count(*) from [{table}]") if table in tables else None
        if "crawl_runs" in tables:
            row = conn.execute(
                "select id, started_at, finished_at, status, requests, new_captures, errors "
                "from crawl_runs order by id desc limit 1"
            ).fetchone()
            figures["last_run"] = (
                dict(zip(("id", "started_at", "finished_at", "status", "requests", "new_captures", "errors"), row))
                if row
                else None
            )
        if "command_runs" in tables:
            from archive.runs import last_runs

            figures["last_runs"] = last_runs(conn)
            if figures.get("last_run"):  # crawls keep their own table
                crawl = figures["last_run"]
                figures["last_runs"]["crawl"] = {"started_at": crawl["started_at"], "finished_at": crawl["finished_at"],
                                                 "status": crawl["status"]}
        if "reports" in tables:
            figures["reports_by_status"] = dict(
                conn.execute("select coalesce(status, '?'), count(*) from reports group by 1 order by 1").fetchall()
            )
    finally:
        conn.close()
    return figures
