"""A small real archive for tests: WARC records written by archive.warc.WarcWriter and
the `captures` rows pointing at them, the way the crawler writes them, with report pages
rendered by the sample-portal generator. Shared by the load, Datasette and browser tests
(a helper module, so no test module imports another)."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

from archive.captures import original_by_digest, record_capture, revisit_reference, upsert_portals
from archive.load import load_archive
from archive.schema import open_db
from archive.warc import WarcWriter
from sample_portals.portals import PORTALS
from sample_portals.render import render
from sample_portals.reports import generate_reports

HTML = "text/html; charset=utf-8"
PDF = "application/pdf"


def report_page(spec, body: str | None = None, attachment: str | None = None) -> bytes:
    """A detail page as a portal serves it: metadata, the title, the report body, a link."""
    body = render(spec, "html_body").decode("utf-8") if body is None else body
    link = f'<p>附件：<a href="{attachment}">{spec.title}.pdf</a></p>' if attachment else ""
    published = spec.published.isoformat() if spec.published else ""
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<meta name='ArticleTitle' content='{spec.title}'><meta name='PubDate' content='{published}'>"
        f"<title>{spec.title}</title></head><body><div class='article'><h1>{spec.title}</h1>"
        f"{body}{link}</div></body></html>"
    ).encode("utf-8")


class ArchiveBuilder:
    """Writes captures the way the crawler does: WARC record first, then its index row."""

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)
        self.db = open_db(self.data_dir / "ogi.db")
        upsert_portals(self.db, PORTALS)
        self.clock = datetime(2025, 3, 1, tzinfo=timezone.utc)
        self.run_id = None
        self.new_run()

    def new_run(self) -> int:
        runs = self.db["crawl_runs"]
        runs.insert({"started_at": self.clock.isoformat(), "status": "finished"})
        self.run_id = runs.last_pk
        return self.run_id

    def capture(self, portal_id: str, url: str, payload: bytes, content_type: str = HTML,
                kind: str = "report", referrer: str | None = None, status: int = 200,
                outcome: str = "new") -> int:
        self.clock += timedelta(minutes=1)
        fetched_at = self.clock.isoformat()
        sha = hashlib.sha256(payload).hexdigest()
        previous = original_by_digest(self.db, sha) if status == 200 else None
        revisit_of = revisit_reference(self.db, previous) if previous else None
        with WarcWriter(self.data_dir / "warc") as writer:
            location = writer.write_exchange(url, [("User-Agent", "ogi-test")], None, status, "OK",
                                             [("Content-Type", content_type)], payload, fetched_at,
                                             revisit_of=revisit_of)
        record_type = "revisit" if revisit_of else "response"
        return record_capture(
            self.db, location, run_id=self.run_id, portal_id=portal_id, url=url, method="GET",
            fetched_at=fetched_at, status=status, content_type=content_type,
            content_length=len(payload), record_type=record_type,
            refers_to=revisit_of["record_id"] if revisit_of else None,
            referrer=referrer, kind=kind, outcome=outcome)

    def gone(self, portal_id: str, url: str) -> int:
        return self.capture(portal_id, url, b"<html>404 Not Found</html>", status=404, outcome="gone")

    def load(self, **options) -> dict:
        return load_archive(self.data_dir, **options)

    def rows(self, sql: str, params=()) -> list[dict]:
        conn = sqlite3.connect(self.data_dir / "ogi.db")
        conn.row_factory = sqlite3.Row
        try:
            return [dict(row) for row in conn.execute(sql, params)]
        finally:
            conn.close()


def sample_specs(count: int = 4, seed: int = 11):
    """Generated 2021-layout reports with varied non-zero numbers and intact sums."""
    specs = [s for s in generate_reports(seed, count * 4, PORTALS)
             if s.format == "2021" and not s.expected_failed_checks and s.table3 and s.table2]
    return specs[:count]


def url_of(spec, suffix: str = ".html") -> str:
    return f"http://127.0.0.1:8999/{spec.portal_id}/xxgknb/{spec.id}{suffix}"
