"""`ogi load`: turn the archive's report captures into reports, cells, checks and search rows.

May touch: DIR/ogi.db (reads captures/portals; writes reports, report_sources,
report_cells, checks, reports_fts and `errors` rows of stage "load") and reads DIR/warc/.
Never the network: every payload comes from the WARC record its capture points at, so a
load can be repeated at any time with a newer parser.

Why it works capture by capture, each in its own transaction: a capture that cannot be
read or parsed must not take other reports down with it, and a capture already attributed
(a `loaded_captures` row) is skipped, which makes loading twice add nothing. `--rebuild`
forgets what was derived and re-parses every capture with the current parser.

How captures become reports (one row per report *version*):
- report_key = portal + normalised agency + year, so the HTML page and the PDF of one
  report are one report with two `report_sources`; when the parser cannot tell agency or
  year, an attachment joins the report of the page that links it (captures.referrer),
  anything else is keyed by its URL.
- A capture of a URL the current version already holds with the same payload is only
  another sighting (report_sources.sightings and last_seen). A different payload at that
  URL is a new version of its document; the old one stays with is_current = 0. A new URL
  of the same form (html/pdf/...) for a report_key is another *document* (reports.document),
  current beside the first and listed in conflicting_reports: which came first is crawl
  order, not evidence that one replaces the other (one that does not parse is kept in the
  history instead, never current over a parsed one).
- The version's fields and cells come from its primary source: the best-parsed form.
- Every report page and attachment the crawler archived is a report: one the parser reads
  nothing from (a scanned PDF, a .wps, a page a script fills in) or whose parse raises is
  listed with status "failed" and the reason in problems.
- captures.outcome "gone" (404/410 for a known URL) sets reports.gone_at.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

from archive.ahead import Ahead
from archive.lock import write_lock
from archive.places import township_code
from archive.publish import publish
from archive.runs import recorded
from archive.schema import REPORT_HEADLINE_COLUMNS, open_db
from archive.search import bigram_text
from archive.views import agency_years_select
from parsers.checks import AGGREGATE_RULES, YEAR_RULES, aggregate_checks, year_checks
from parsers.metadata import agency_id, report_key, split_agency_id
from parsers.sniff import declared_format, detect_format

# Lower is better: which form's parse a version shows when it has several.
_STATUS_RANK = {"ok": 0, "partial": 1, "failed": 3}  # any other status ranks 2


def status_rank(status: str | None, numbers_read: int) -> tuple[int, int]:
    return (_STATUS_RANK.get(status or "", 2), -numbers_read)


# -- pure parts ---------------------------------------------------------------------------
def source_form(url: str | None, content_type: str | None) -> str:
    """html | pdf | docx | doc | wps | xls | xlsx | ofd | rtf | text | image | other (parsers.sniff)."""
    return declared_format(url, content_type)


def _plain(value: Any) -> Any:
    """A parser value as SQLite stores it: Decimal as float, containers as JSON."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (list, dict, tuple)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


@dataclass
class ParsedCapture:
    """What the loader keeps of one parse: the report's JSON, its cells and checks."""

    fields: dict  # Report.to_json()
    cells: list = field(default_factory=list)  # Cell(table, row_key, col_key, value, printed, flag, reason)

    @property
    def status(self) -> str:
        return self.fields.get("status") or "ok"

    @property
    def rank(self) -> tuple[int, int]:
        return status_rank(self.status, sum(1 for cell in self.cells if getattr(cell, "value", None) is not None))


def parse_capture(parse: Callable, payload: bytes, url: str, content_type: str | None,
                  **derived) -> ParsedCapture:
    """Run the parser. It never raises for bad input (parsers.parse has the one catch-all);
    if it raises anyway, that is a bug, and the run loop records it as this capture's error.
    `derived` (converted=…, ocr=…: archive.derive) is passed only when there is some, so a
    parser that reads only bytes still plugs in."""
    report = parse(payload, url, content_type, **derived)
    return ParsedCapture(fields=report.to_json(), cells=list(report.cells))


def headline_numbers(fields: dict) -> dict:
    """The headline columns of `reports` from a Report's tables; missing stays None."""
    table2 = fields.get("table2") or {}
    table3 = fields.get("table3") or {}
    table4 = fields.get("table4") or {}

    def total3(row: str):
        return (table3.get(row) or {}).get("total")

    def total4(group: str):
        return (table4.get(group) or {}).get("total")

    direct, after_review = total4("litigation_direct"), total4("litigation_after_review")
    numbers = {
        "penalty": table2.get("penalty"), "licensing": table2.get("licensing"),
        "coercion": table2.get("coercion"), "fees": table2.get("fees"),
        "review_total": total4("review"),
        "litigation_total": None if direct is None or after_review is None else direct + after_review,
    }
    for row in ("new_received", "carried_over", "granted", "partially_granted",
                "total_processed", "carried_forward"):
        numbers[row] = total3(row)
    return {name: _plain(numbers[name]) for name in REPORT_HEADLINE_COLUMNS}


INSERT_CHECK = ("insert into checks (report_id, rule, scope, passed, expected, actual, detail, printed, computed,"
                " sentence_zh, sentence_en) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")  # the rows check_rows makes


def check_rows(report_id: int, checks: list[dict]) -> list[tuple]:
    rows = []
    for check in checks or []:
        scope = check.get("scope")
        passed = check.get("passed")
        rows.append((
            report_id, check.get("rule"), scope or None, None if passed is None else int(bool(passed)),
            _plain(check.get("expected")), _plain(check.get("actual")), _plain(check.get("detail")),
            check.get("printed"), check.get("computed"), check.get("sentence_zh"), check.get("sentence_en"),
        ))
    return rows


def cell_rows(report_id: int, cells: list) -> list[tuple]:
    return [
        (report_id, cell.table, cell.row_key, cell.col_key or "", _plain(cell.value),
         cell.printed, cell.flag, cell.reason, getattr(cell, "confidence", None))
        for cell in cells
    ]


# -- database parts ------------------------------------------------------------------------
def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _one(conn: sqlite3.Connection, sql: str, params=()) -> sqlite3.Row | None:
    return conn.execute(sql, params).fetchone()


def _search_text(row: dict) -> str:
    return bigram_text(row.get("title"), row.get("agency"),
                       *(row.get(f"section_{n}") for n in "123456"))


def _report_fields(parsed: ParsedCapture, capture: sqlite3.Row) -> dict:
    """The `reports` columns a parse and its capture determine (not identity/versioning)."""
    fields = parsed.fields
    problems = list(fields.get("problems") or [])
    sections = fields.get("sections") or {}
    checks = fields.get("checks") or []
    row = {
        "agency": fields.get("agency"), "level": fields.get("level"),
        "province": capture["province"], "city": capture["city"], "county": capture["county"],
        "admin_code": capture["admin_code"], "portal_id": capture["portal_id"],
        "year": fields.get("year"), "title": fields.get("title"),
        "agency_id": agency_id(capture["portal_id"], fields.get("agency"), capture["county"]),
        "published": _plain(fields.get("published")),
        "source_url": capture["url"], "source_capture_id": capture["id"],
        "content_sha256": capture["payload_sha256"], "format": fields.get("format"),
        "status": parsed.status,
        "problems": json.dumps([str(p) for p in problems], ensure_ascii=False) if problems else None,
        **{f"section_{n}": sections.get(n) for n in "123456"},
        "aggregates": fields.get("aggregates"),
        "checks_failed": sum(1 for check in checks if check.get("passed") is not None and not check.get("passed")) if checks else None,
    }
    row.update(headline_numbers(fields))
    row["township_code"] = township_code(row["admin_code"], row["agency_id"], row["level"])
    return row


def _write_content(conn: sqlite3.Connection, report_id: int, parsed: ParsedCapture, row: dict) -> None:
    conn.executemany(
        "insert or ignore into report_cells (report_id, table_name, row_key, col_key, value, printed, flag, reason,"
        " confidence) values (?, ?, ?, ?, ?, ?, ?, ?, ?)", cell_rows(report_id, parsed.cells))
    conn.executemany(
        INSERT_CHECK,
        check_rows(report_id, parsed.fields.get("checks")))
    conn.execute("insert into reports_fts (rowid, search_text) values (?, ?)", (report_id, _search_text(row)))


def _clear_content(conn: sqlite3.Connection, report_id: int) -> None:
    old = dict(_one(conn, "select * from reports where id = ?", (report_id,)))
    conn.execute("insert into reports_fts (reports_fts, rowid, search_text) values ('delete', ?, ?)",
                 (report_id, _search_text(old)))
    conn.execute("delete from report_cells where report_id = ?", (report_id,))
    conn.execute("delete from checks where report_id = ?", (report_id,))


def _insert_report(conn: sqlite3.Connection, row: dict) -> int:
    columns = list(row)
    cursor = conn.execute(
        f"insert into reports ({', '.join(columns)}) values ({', '.join('?' for _ in columns)})",
        [row[c] for c in columns])
    return cursor.lastrowid


def _add_source(conn: sqlite3.Connection, report_id: int, capture: sqlite3.Row, primary: bool) -> None:
    """One source row per (report, url, payload): seeing the same file again in a later
    crawl counts a sighting and moves last_seen, it adds no row."""
    same_file = _one(conn, "select id from report_sources where report_id = ? and url = ? and payload_sha256 = ?",
                     (report_id, capture["url"], capture["payload_sha256"]))
    if same_file:
        conn.execute("update report_sources set last_seen = max(coalesce(last_seen, ''), ?),"
                     " sightings = coalesce(sightings, 1) + 1 where id = ?", (capture["fetched_at"], same_file["id"]))
    else:
        conn.execute(
            "insert into report_sources (report_id, capture_id, url, form, is_primary, payload_sha256, fetched_at,"
            " last_seen, sightings) values (?, ?, ?, ?, ?, ?, ?, ?, 1)",
            (report_id, capture["id"], capture["url"], source_form(capture["url"], capture["content_type"]),
             int(primary), capture["payload_sha256"], capture["fetched_at"], capture["fetched_at"]))
    conn.execute(
        "update reports set last_seen = max(coalesce(last_seen, ''), ?),"
        " first_seen = min(coalesce(first_seen, ?), ?), gone_at = null where id = ?",
        (capture["fetched_at"], capture["fetched_at"], capture["fetched_at"], report_id))


def _current_by_url(conn: sqlite3.Connection, url: str | None) -> sqlite3.Row | None:
    if not url:
        return None
    return _one(conn,
                "select r.* from report_sources s join reports r on r.id = s.report_id"
                " where s.url = ? and r.is_current = 1 order by r.id desc limit 1", (url,))


def _currents_by_key(conn: sqlite3.Connection, key: str) -> list[sqlite3.Row]:
    """The current version of each document of a report_key, in document order (usually one)."""
    return conn.execute("select * from reports where report_key = ? and is_current = 1 order by document, id",
                        (key,)).fetchall()


class UnreadableRecord(Exception):
    """The archived WARC record of a capture cannot be read: bad input, not retried."""


class Loader:
    """Attributes captures to report versions in one database; one instance per load."""

    def __init__(self, conn: sqlite3.Connection, warc_dir: Path, parse: Callable, deriver=None,
                 ahead: Ahead | None = None):
        self.conn = conn
        self.warc_dir = warc_dir
        self.parse = parse
        self.deriver = deriver  # archive.derive.Deriver; None: parse the bytes alone
        self.ahead = ahead or Ahead(parse, 1, tools=deriver is not None)  # one job: nothing ahead
        self.touched: set[tuple] = set()  # (agency_id, year) of every version written: their year checks are redone
        self.summary = {"captures": 0, "new_reports": 0, "new_versions": 0, "sources_added": 0,
                        "unchanged": 0, "errors": 0,
                        "cells": 0, "gone": 0, "conversions_made": 0, "conversions_reused": 0,
                        "conversions_failed": 0, "kept_not_current": 0, "not_loaded": 0,
                        "conflicting_documents": 0}

    # one capture ---------------------------------------------------------------------
    def seen(self, capture: sqlite3.Row) -> sqlite3.Row | None:
        """The current version, or a failed one kept beside it, that already holds this
        URL with this payload: seeing it again is a sighting."""
        return _one(self.conn,
                    "select r.id from report_sources s join reports r on r.id = s.report_id"
                    " where s.url = ? and s.payload_sha256 = ? and (r.is_current = 1 or r.status = 'failed')"
                    " order by r.is_current desc, r.id desc limit 1", (capture["url"], capture["payload_sha256"]))

    def prepare(self, capture: sqlite3.Row):
        """What a worker parses ahead for this capture: (response, content type), or None
        for a capture that looks like a sighting now or whose record cannot be read (the
        writer meets either again in its turn, exactly as a one-process load does)."""
        if self.seen(capture):
            return None
        try:
            response = self.read(capture)
        except Exception:  # noqa: BLE001 - raised again, and recorded, when its turn comes
            return None
        return response, response.content_type or capture["content_type"]

    def load_capture(self, capture: sqlite3.Row, prepared: tuple | None = None) -> str:
        """Attribute one capture; `prepared` is (response, the Future of its parse) when
        archive.ahead parsed it in a worker."""
        conn = self.conn
        seen = self.seen(capture)
        if seen:
            _add_source(conn, seen["id"], capture, primary=False)
            return "unchanged"

        response, future = prepared or (self.read(capture), None)
        content_type = response.content_type or capture["content_type"]
        parsed = self.ahead.result(future) if future is not None else None  # needed no tool
        if parsed is None:
            inputs = self.derive(capture, response.payload, content_type)
            parsed = parse_capture(self.parse, response.payload, capture["url"], content_type, **inputs.kwargs)
            if inputs.problems:  # the tool's own reason first: it is why the report is failed
                parsed.fields["problems"] = inputs.problems + list(parsed.fields.get("problems") or [])

        key = report_key(capture["portal_id"], parsed.fields.get("agency"), parsed.fields.get("year"))
        form = source_form(capture["url"], capture["content_type"])
        row = _report_fields(parsed, capture)

        previous = _current_by_url(conn, capture["url"])
        if previous and (key is None or key == previous["report_key"]):
            return self.new_version(previous, row, parsed, capture)

        if capture["kind"] == "attachment":
            page_report = _current_by_url(conn, capture["referrer"])
            # A page that failed to parse is a landing page for this file ("附件：…"):
            # the file is the report, whatever the page's own text suggested.
            if page_report and (key is None or key == page_report["report_key"]
                                or page_report["report_key"].startswith("url:")
                                or page_report["status"] == "failed"):
                if key and page_report["report_key"] != key and not _currents_by_key(conn, key):
                    conn.execute("update reports set report_key = ? where report_key = ?",
                                 (key, page_report["report_key"]))
                return self.another_form(page_report["id"], row, parsed, capture)

        key = key or f"url:{capture['url']}"
        currents = _currents_by_key(conn, key)
        if not currents:
            self.summary["new_reports"] += 1
            return self.new_version(None, {**row, "report_key": key}, parsed, capture)
        same_form = [c for c in currents if _one(conn, "select 1 from report_sources where report_id = ? and form = ?",
                                                 (c["id"], form))]
        if not same_form:  # the same report in another form: one more source
            return self.another_form(currents[0]["id"], row, parsed, capture)
        if parsed.status == "failed" and any(c["status"] != "failed" for c in same_form):
            # a page that does not parse, at a new URL (a list copy linked like a report):
            # kept in the history of the document it names, never a current one of its own
            return self.new_version(next(c for c in same_form if c["status"] != "failed"), row, parsed, capture)
        # Another document of the same form, live beside the first: not a version of it
        # (which one came first is only crawl order). Both are current; conflicting_reports
        # shows them side by side.
        self.summary["new_reports"] += 1
        self.summary["conflicting_documents"] += 1
        return self.new_version(None, {**row, "report_key": key}, parsed, capture)

    def new_version(self, previous: sqlite3.Row | None, row: dict, parsed: ParsedCapture,
                    capture: sqlite3.Row) -> str:
        conn = self.conn
        row = dict(row)
        current = 1
        if previous is None:
            row.update(version=1, document=capture["url"])
        else:
            last = _one(conn, "select max(version) from reports where report_key = ? and document is ?",
                        (previous["report_key"], previous["document"]))[0]
            row.update(report_key=previous["report_key"], document=previous["document"], version=last + 1)
            if parsed.status == "failed" and previous["status"] != "failed":
                # A page that did not parse (a list copy linked like a report, an error
                # page served with 200) is kept and listed, never shown instead of a report.
                current = 0
                problems = json.loads(row["problems"] or "[]")
                problems.append(f"not made current: this capture did not parse; version {previous['version']}"
                                f" ({previous['status']}) stays current")
                row["problems"] = json.dumps(problems, ensure_ascii=False)
                self.summary["kept_not_current"] += 1
            else:
                conn.execute("update reports set is_current = 0 where report_key = ? and document is ?",
                             (previous["report_key"], previous["document"]))
                self.summary["new_versions"] += 1
        row.update(is_current=current, first_seen=capture["fetched_at"], last_seen=capture["fetched_at"])
        report_id = _insert_report(conn, row)
        self.touched.add((row.get("agency_id"), row.get("year")))
        if previous is not None:
            self.touched.add((previous["agency_id"], previous["year"]))
        _write_content(conn, report_id, parsed, row)
        _add_source(conn, report_id, capture, primary=True)
        if previous is not None:
            # The other forms of the report (not re-fetched in this change) still stand for it.
            conn.execute(
                "insert or ignore into report_sources (report_id, capture_id, url, form, is_primary, payload_sha256,"
                " fetched_at, last_seen, sightings)"
                " select ?, capture_id, url, form, 0, payload_sha256, fetched_at, last_seen, sightings from report_sources"
                " where report_id = ? and url != ? and form != ?",
                (report_id, previous["id"], capture["url"], source_form(capture["url"], capture["content_type"])))
        self.summary["cells"] += len(parsed.cells)
        return "version" if previous is not None else "report"

    def another_form(self, report_id: int, row: dict, parsed: ParsedCapture, capture: sqlite3.Row) -> str:
        """The same report in another form: a second source; it becomes the primary one
        (the version shows its parse) when it parsed better than the current primary."""
        conn = self.conn
        primary = _one(conn, "select status, (select count(*) from report_cells where report_id = ?"
                             " and value is not null) as numbers from reports where id = ?",
                       (report_id, report_id))
        better = parsed.rank < status_rank(primary["status"], primary["numbers"])
        # Both failed: the file's reason (its converter's) says more than its landing page's.
        better = better or (primary["status"] == "failed" == parsed.status and capture["kind"] == "attachment")
        if better:
            before = _one(conn, "select agency_id, year from reports where id = ?", (report_id,))
            self.touched.update({(before["agency_id"], before["year"]), (row.get("agency_id"), row.get("year"))})
            _clear_content(conn, report_id)
            keep = {k: v for k, v in row.items() if k not in ("report_key",)}
            conn.execute(f"update reports set {', '.join(f'{k} = ?' for k in keep)} where id = ?",
                         [*keep.values(), report_id])
            conn.execute("update report_sources set is_primary = 0 where report_id = ?", (report_id,))
            _write_content(conn, report_id, parsed, dict(_one(conn, "select * from reports where id = ?", (report_id,))))
            self.summary["cells"] += len(parsed.cells)
        _add_source(conn, report_id, capture, primary=better)
        return "source"

    # reading and errors -----------------------------------------------------------------
    def derive(self, capture: sqlite3.Row, payload: bytes, content_type: str | None):
        """The conversion or OCR the payload needs (archive.derive), kept or reused."""
        from archive.derive import Inputs

        if self.deriver is None:
            return Inputs()
        siblings = self.sibling_images(capture, payload, content_type)
        if len(siblings) > 1:
            inputs = self.deriver.image_pages(siblings)
        else:
            inputs = self.deriver.inputs(capture["url"], payload, content_type, capture["payload_sha256"],
                                         _response_id(capture))
        self.summary["conversions_made"] += inputs.made
        self.summary["conversions_reused"] += inputs.reused
        for problem in inputs.problems:
            self.summary["conversions_failed"] += 1
            self.record_error(capture, "conversion", problem)
        return inputs

    def sibling_images(self, capture: sqlite3.Row, payload: bytes, content_type: str | None) -> list[tuple]:
        """The images the page linking this image links too, in the page's order: the scanned
        pages of one report are one report (every one of them loads as that report)."""
        if capture["kind"] != "attachment" or not capture["referrer"] \
                or detect_format(payload, capture["url"], content_type) != "image":
            return []
        rows = self.conn.execute(
            "select * from captures where referrer = ? and kind = 'attachment' and status between 200 and 299"
            " and record_type in ('response', 'revisit') order by id", (capture["referrer"],)).fetchall()
        latest = {row["url"]: row for row in rows}  # the newest capture of each URL
        page = _one(self.conn, "select * from captures where url = ? and status between 200 and 299"
                               " order by id desc limit 1", (capture["referrer"],))
        text = self.read(page).payload.decode("utf-8", "replace") if page else ""
        images = []
        for url, row in latest.items():
            if url == capture["url"]:
                body, kind = payload, content_type
            else:
                response = self.read(row)
                body, kind = response.payload, response.content_type or row["content_type"]
            if detect_format(body, url, kind) != "image":
                continue
            where = text.find(urlsplit(url).path)
            images.append((where if where >= 0 else len(text), row["id"],
                           (url, body, kind, row["payload_sha256"], _response_id(row))))
        return [image for *_, image in sorted(images)]

    def read(self, capture: sqlite3.Row):
        from archive.captures import read_capture  # the crawler side's revisit-aware reader

        try:
            return read_capture(_RowDatabase(self.conn), self.warc_dir, dict(capture))
        except (OSError, sqlite3.Error):
            raise  # the disk or the database, not the record: the next load tries again
        except Exception as exc:  # the archived record itself cannot be read
            raise UnreadableRecord(f"{type(exc).__name__}: {exc}") from exc

    def mark_loaded(self, capture: sqlite3.Row, outcome: str) -> None:
        """Attribute the capture once: the report it went to (if any) and how."""
        source = _one(self.conn, "select report_id from report_sources where capture_id = ? order by report_id desc"
                                 " limit 1", (capture["id"],))
        if source is None:
            source = _one(self.conn, "select s.report_id from report_sources s join reports r on r.id = s.report_id"
                                     " where s.url = ? and s.payload_sha256 = ? and r.is_current = 1 limit 1",
                          (capture["url"], capture["payload_sha256"]))
        self.conn.execute("insert or replace into loaded_captures (capture_id, report_id, outcome, loaded_at)"
                          " values (?, ?, ?, ?)", (capture["id"], source[0] if source else None, outcome, _now()))

    def record_retry(self, capture: sqlite3.Row, exc: Exception) -> None:
        """An errors row for a capture left pending, if the database takes one now."""
        try:
            self.conn.execute("begin immediate")
            self.record_error(capture, "load_retry", f"not loaded, the next load retries: {type(exc).__name__}: {exc}")
            self.conn.execute("commit")
        except sqlite3.Error:
            if self.conn.in_transaction:
                self.conn.execute("rollback")

    def record_error(self, capture: sqlite3.Row, kind: str, reason: str) -> None:
        self.conn.execute(
            "insert into errors (run_id, portal_id, url, occurred_at, stage, kind, reason, status, capture_id)"
            " values (?, ?, ?, ?, 'load', ?, ?, ?, ?)",
            (capture["run_id"], capture["portal_id"], capture["url"], _now(), kind, reason[:2000],
             capture["status"], capture["id"]))

    # the whole archive ----------------------------------------------------------------
    def pending_captures(self) -> list[sqlite3.Row]:
        return self.conn.execute(
            """
            select c.*, p.province, p.city, p.county, p.admin_code
            from captures c left join portals p on p.id = c.portal_id
            where c.kind in ('report', 'attachment')
              and c.record_type in ('response', 'revisit')
              and (c.status between 200 and 299 or (c.status = 304 and c.record_type = 'revisit'))
              and coalesce(c.outcome, '') not in ('gone', 'error', 'blocked')
              and not exists (select 1 from loaded_captures l where l.capture_id = c.id)
            order by coalesce(c.run_id, 0), case c.kind when 'report' then 0 else 1 end, c.fetched_at, c.id
            """
        ).fetchall()

    def mark_gone(self) -> int:
        """reports.gone_at once every file that stands for the current version is gone:
        the latest capture of each of its source URLs answered 404/410. A PDF taken down
        while its page is still served is not a removed report."""
        cursor = self.conn.execute(
            """
            update reports set gone_at = (
                select max(g.fetched_at) from captures g join report_sources s on s.url = g.url
                where s.report_id = reports.id and g.outcome = 'gone')
            where is_current = 1 and gone_at is null
              and exists (select 1 from report_sources s where s.report_id = reports.id)
              and not exists (
                select 1 from report_sources s
                where s.report_id = reports.id
                  and coalesce((select c.outcome from captures c where c.url = s.url
                                order by c.fetched_at desc, c.id desc limit 1), '') != 'gone')
            """
        )
        return cursor.rowcount

    def run(self) -> dict:
        conn = self.conn
        for capture, prepared in self.ahead.walk(self.pending_captures(), self.prepare):
            self.summary["captures"] += 1
            cells_before = self.summary["cells"]
            conn.execute("begin immediate")
            try:
                outcome = self.load_capture(capture, prepared)
                self.mark_loaded(capture, outcome)  # loaded in the transaction that wrote its report
                conn.execute("commit")
            except Exception as exc:  # a bad record must not stop the others
                conn.execute("rollback")
                self.summary["cells"] = cells_before
                self.summary["errors"] += 1
                if isinstance(exc, UnreadableRecord):  # bad input: recorded once, not retried
                    conn.execute("begin immediate")
                    self.record_error(capture, "load", str(exc))
                    self.mark_loaded(capture, "error")
                    conn.execute("commit")
                else:  # the disk, a lock, our bug: left pending for the next load
                    self.summary["not_loaded"] += 1
                    self.record_retry(capture, exc)
                continue
            key = {"report": "sources_added", "version": "sources_added", "source": "sources_added",
                   "unchanged": "unchanged"}[outcome]
            self.summary[key] += 1
        self.summary["parsed_ahead"] = self.ahead.used
        conn.execute("begin immediate")
        self.summary["gone"] = self.mark_gone()
        refresh_agency_years(conn)
        self.summary["year_checks"] = check_across_years(conn, self.touched)
        self.summary["aggregate_checks"] = check_county_aggregates(conn, self.touched)
        conn.execute("commit")
        for table in ("reports", "report_sources", "checks"):
            self.summary[f"{table}_total"] = _one(conn, f"select count(*) from {table}")[0]
        self.summary["current_reports"] = _one(conn, "select count(*) from reports where is_current = 1")[0]
        self.summary["failed_reports"] = _one(
            conn, "select count(*) from reports where is_current = 1 and status = 'failed'")[0]
        return self.summary


def refresh_agency_years(conn: sqlite3.Connection) -> None:
    """Make the agency_years table again from the current reports (views.agency_years_select)."""
    conn.execute("delete from agency_years")
    conn.execute(f"insert into agency_years {agency_years_select()}")


# The cells year_checks reads, by report_cells' primary key (report_id, table_name, row_key):
# a few lookups a report, never a scan of every cell of the archive.
_YEAR_CELLS = ("select table_name, row_key, col_key, value from report_cells where report_id = ?"
               " and table_name = 'table3' and row_key in ('carried_over', 'carried_forward')"
               " union all select table_name, row_key, col_key, value from report_cells where report_id = ?"
               " and table_name = 'table2' and row_key in ('regulations', 'normative_documents')")


def check_across_years(conn: sqlite3.Connection, touched: set[tuple]) -> int:
    """The checks of current reports against their agency's report of the year before
    (parsers.checks.year_checks, rules YEAR_RULES). `touched`: the (agency_id, year) pairs
    this load wrote a version of; their checks and the next year's are made anew (a new
    version of either year changes them; a rebuild touches every pair). Where the year
    before has two documents live (conflicting_reports), which one to compare with is for
    a person to judge: no check. Returns the checks written."""
    rules = ", ".join("?" * len(YEAR_RULES))
    current = ("select id from reports where is_current = 1 and status != 'failed'"
               " and agency_id = ? and year = ? order by id")
    keys = sorted({(agency, year + step) for agency, year in touched if agency and year for step in (0, 1)})
    for agency, year in keys:
        conn.execute(f"delete from checks where rule in ({rules}) and report_id in"
                     " (select id from reports where agency_id = ? and year = ?)", (*YEAR_RULES, agency, year))
    reports = {}
    for agency, year in {(a, y + step) for a, y in keys for step in (-1, 0)}:
        reports[(agency, year)] = [row[0] for row in conn.execute(current, (agency, year))]
    pairs = [(report_id, year, before[0]) for agency, year in keys
             if len(before := reports.get((agency, year - 1), [])) == 1 for report_id in reports.get((agency, year), [])]
    cells: dict[int, dict] = {}
    for report_id in {id_ for report_id, _, before_id in pairs for id_ in (report_id, before_id)}:
        found = cells[report_id] = {}
        for table, row, col, value in conn.execute(_YEAR_CELLS, [report_id, report_id]):
            found[(table, row, col)] = value
    rows = []
    for report_id, year, before_id in pairs:
        rows += check_rows(report_id, [check.to_json() for check in year_checks(year, cells[report_id], cells[before_id])])
    conn.executemany(INSERT_CHECK, rows)
    return len(rows)


_TOTAL_CELLS = ("select table_name, row_key, col_key, value from report_cells where report_id = ?"
                " and table_name in ('table3', 'table4') and col_key = 'total'")
_UNIT_LEVELS = ("township", "street", "department")


def _total_cells(conn: sqlite3.Connection, report_id: int) -> dict:
    return {(table, row, col): value for table, row, col, value in conn.execute(_TOTAL_CELLS, [report_id])}


def check_county_aggregates(conn: sqlite3.Connection, touched: set[tuple]) -> int:
    """The checks of county reports that say they sum their departments' and townships'
    reports (reports.aggregates) against the sum of those reports of the same portal and
    year (parsers.checks.aggregate_checks, AGGREGATE_RULES). A portal and year this load
    touched is checked anew. Where one unit has two documents live (conflicting_reports),
    which to add is for a person to judge: no check. Returns the checks written."""
    rules = ", ".join("?" * len(AGGREGATE_RULES))
    places = sorted({(split_agency_id(agency)[0], year) for agency, year in touched if agency and year})
    rows = []
    for portal, year in places:
        conn.execute(f"delete from checks where rule in ({rules}) and report_id in"
                     " (select id from reports where portal_id = ? and year = ?)", (*AGGREGATE_RULES, portal, year))
        current = conn.execute("select id, agency, agency_id, level, aggregates from reports where is_current = 1"
                               " and status != 'failed' and portal_id = ? and year = ? order by id",
                               (portal, year)).fetchall()
        counties = [row for row in current if row[3] == "county" and row[4]]
        units = [row for row in current if row[3] in _UNIT_LEVELS]
        if not counties or len({row[2] for row in units}) != len(units):
            continue
        parts = {agency: _total_cells(conn, report_id) for report_id, agency, *_ in units}
        for county in counties:
            rows += check_rows(county[0], [check.to_json() for check in aggregate_checks(_total_cells(conn, county[0]), parts)])
    conn.executemany(INSERT_CHECK, rows)
    return len(rows)


def _response_id(capture: sqlite3.Row) -> str | None:
    """The WARC-Record-ID of the response record holding a capture's payload."""
    return capture["refers_to"] if capture["record_type"] == "revisit" else capture["warc_record_id"]


class _RowDatabase:
    """The slice of sqlite_utils.Database that archive.captures.read_capture uses."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def query(self, sql: str, params=()):
        cursor = self.conn.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return (dict(zip(names, row)) for row in cursor.fetchall())


DERIVED_TABLES = ("agency_years", "checks", "report_cells", "report_sources", "loaded_captures", "reports")


def forget_loaded(conn: sqlite3.Connection) -> None:
    """Drop everything `ogi load` derived (reports, sources, cells, checks, search rows,
    its own error rows), keeping what the crawl archived: captures, runs, portals, WARCs."""
    conn.execute("begin immediate")
    for table in DERIVED_TABLES:
        conn.execute(f"delete from {table}")
    conn.execute("insert into reports_fts (reports_fts) values ('delete-all')")  # contentless FTS5
    conn.execute("delete from errors where stage = 'load'")
    conn.execute("commit")


def load_archive(data_dir: Path, parse: Callable | None = None, rebuild: bool = False,
                 convert: bool = True, ocr_threads: int = 1, time_limit: float | None = None,
                 wait: float = 0.0, jobs: int = 1) -> dict:
    """Load every not-yet-loaded report capture of DIR into DIR/ogi.db; return counts.

    `parse` defaults to parsers.parse(data, name, content_type); loading twice adds nothing.
    `convert` runs LibreOffice and OCR on the payloads that need them (archive.derive),
    reusing the conversions already archived; `ocr_threads` is OCR's thread count and
    `time_limit` (seconds) the limit for each converter run, instead of each tool's own.
    `rebuild` re-parses every capture with the current parser: the derived tables are
    rebuilt from the captures in capture order, so versions and first/last sightings come
    out as they were seen. `jobs` > 1 parses ahead in that many worker processes
    (archive.ahead; `parse` must then be picklable): the same database, sooner.

    Ends by publishing a snapshot for `ogi serve` (archive.publish): readers never see a
    load half done. Holds DIR's write lock (archive.lock; waits up to `wait` s, else ArchiveLocked). A
    capture whose load failed for a reason other than its input (disk, lock, a bug) is
    left pending, counted in `not_loaded`, and loaded by the next run.
    """
    with recorded(data_dir, "load") as run:
        with write_lock(data_dir, "load", wait):
            run.summary = _load(Path(data_dir), parse, rebuild, convert, ocr_threads, time_limit, jobs)
            run.summary["published"] = publish(data_dir).parent.name  # what `ogi serve` shows from now on
        run.status = "incomplete" if run.summary["not_loaded"] else "ok"
        return run.summary


def _load(data_dir: Path, parse, rebuild, convert, ocr_threads, time_limit, jobs) -> dict:
    if parse is None:
        from parsers import parse
    db = open_db(data_dir / "ogi.db")
    db.conn.close()
    conn = sqlite3.connect(data_dir / "ogi.db", isolation_level=None)  # explicit transactions
    conn.row_factory = sqlite3.Row
    conn.execute("pragma foreign_keys = on")
    # WAL without an fsync per commit: a power cut may lose the last captures' loads, never
    # half of one (each is one transaction with its loaded_captures row), and they are
    # pending again at the next load.
    conn.execute("pragma synchronous = normal")
    try:
        if rebuild:
            forget_loaded(conn)
        deriver = None
        if convert:
            from archive.derive import Deriver

            deriver = Deriver(conn, data_dir / "warc", ocr_threads=ocr_threads, time_limit=time_limit)
        ahead = Ahead(parse, jobs, tools=deriver is not None)
        try:
            summary = Loader(conn, data_dir / "warc", parse, deriver, ahead).run()
        finally:
            ahead.close()
            if deriver is not None:
                deriver.close()
        conn.execute("pragma wal_checkpoint(truncate)")  # `ogi serve` opens the file immutable
        return summary
    finally:
        conn.close()
