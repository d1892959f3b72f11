"""The run ledger: one object per crawl that owns the WARC writer, the captures database
and the run's bookkeeping. RunLedgerExtension builds it in `from_crawler` and the other
components take it from there in theirs (`ledger_of(crawler)`); its counters are Scrapy
stats (`ogi/<counter>`, `ogi/portal/<id>/<counter>`), shown in the crawl's stats dump.

May touch: DIR/warc/*.warc.gz (through archive.warc) and DIR/ogi.db (through
archive.captures). Why one object: the archiving middleware, the conditional-request
middleware and the spider's errback must agree on one run id, one writer and one set of
counters, and Scrapy builds each component separately.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence
from urllib.parse import urljoin, urlsplit

from archive import captures
from archive.schema import open_db
from archive.warc import UndecodablePayload, WarcWriter, decode_payload, sha256_hex
from crawler import linkrules
from crawler.registry import portal_for_url

BUSY_TIMEOUT_MS = 30_000
COUNTERS = ("requests", "bytes_received", "new_captures", "changed", "unchanged", "gone",
            "errors", "blocked", "disallowed", "reports", "attachments", "lists")


STATS_PREFIX = "ogi/"

# A write the archive's disk refused (full, read-only, I/O error) or SQLite could not commit.
STORAGE_ERRORS = (OSError, sqlite3.OperationalError)

CHALLENGE_PAGE_MAX = 64_000  # anti-bot challenge pages are small; bigger bodies are not decoded here


def readable_body(payload: bytes, content_encoding: str | None) -> bytes:
    """The body as a browser reads it, for the anti-bot check only: the archive keeps the
    bytes as received (a gzipped challenge page stays gzipped), the check needs the text."""
    if not content_encoding:
        return payload
    try:
        return decode_payload(payload, content_encoding, max_decoded=CHALLENGE_PAGE_MAX)
    except UndecodablePayload:
        return b""  # too big or unknown coding: not a challenge page we can recognise


@dataclass(frozen=True)
class Decision:
    """What one response is to the archive: its outcome, the capture a revisit record should
    refer to (None: write the full response), and where a redirect loop pointed."""

    outcome: str
    revisit: dict | None = None
    loop_target: str | None = None


def decide_outcome(url: str, status: int, digest: str, has_payload: bool, blocked: bool, previous: dict | None,
                   gone_before: Callable[[], bool], original_for: Callable[[str], dict | None],
                   location: str | None = None, redirect_urls: Sequence[str] = ()) -> Decision:
    """The policy, apart from storage (as Scrapy's httpcache keeps its policy apart): blocked,
    unchanged (a 304 or the same payload), gone (404/410 of a page we had), error,
    redirect / redirect_loop, changed or new; a payload seen before becomes a revisit.
    `previous` is the URL's last usable capture; `gone_before` and `original_for` are
    asked only where the answer matters. Pure given those two."""
    if blocked:
        return Decision("blocked")
    if status == 304 and previous:
        return Decision("unchanged", previous)
    if status in (404, 410) and (previous or gone_before()):
        return Decision("gone")
    if status >= 400 or status == 304:
        return Decision("error")
    if 300 <= status < 400:
        target = urljoin(url, location or "")
        looped = target in [*redirect_urls, url]
        return Decision("redirect_loop" if looped else "redirect", None, target)
    if previous and previous["payload_sha256"] == digest:
        outcome = "unchanged"
    else:
        outcome = "changed" if previous else "new"
    return Decision(outcome, original_for(digest) if has_payload else None)


class RunLedger:
    def __init__(self, data_dir: Path, registry: list[dict], run_id: int | None, stats,
                 warc_max_bytes: int = 100_000_000, warc_fsync: bool = False, part: bool = False):
        self.data_dir = Path(data_dir)
        self.db = open_db(self.data_dir / "ogi.db")
        # Workers of a distributed run share this file: wait for the writer lock, don't fail.
        self.db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if not warc_fsync:
            # WAL + NORMAL: a kill never loses a commit; a power cut may lose the last rows,
            # which is the safe side (an unindexed WARC tail is repaired, a row never points
            # at missing bytes). FULL would fsync per capture on the reactor thread.
            self.db.execute("PRAGMA synchronous=NORMAL")
        self.writer = WarcWriter(self.data_dir / "warc", max_bytes=warc_max_bytes, fsync=warc_fsync)
        self.registry = registry
        self.run_id = run_id if run_id is not None else captures.start_run(self.db)
        self.stats = stats
        self.part = part  # one of a run's processes: the run's row is the parent's to close
        # The first write the disk refused. From then on nothing more is written: a WARC
        # record whose row failed must stay the file's tail, which the next start cuts
        # (the run is left 'running', as a killed one is, so its repair is owed).
        self.storage_failure: BaseException | None = None
        self.on_storage_failure: Callable[[BaseException], None] = lambda failure: None

    @classmethod
    def from_crawler(cls, crawler) -> "RunLedger":
        settings = crawler.settings
        registry = settings.get("OGI_REGISTRY") or []
        if isinstance(registry, str):
            registry = json.loads(registry)
        return cls(Path(settings.get("OGI_DATA_DIR") or "data"), registry, settings.get("OGI_RUN_ID"),
                   crawler.stats, settings.getint("OGI_WARC_MAX_BYTES", 100_000_000),
                   settings.getbool("OGI_WARC_FSYNC", False), settings.getbool("OGI_RUN_PART", False))

    # -- counting -----------------------------------------------------------------------
    def count(self, portal_id: str | None, key: str, n: int = 1) -> None:
        assert key in COUNTERS, key
        self.stats.inc_value(f"{STATS_PREFIX}{key}", n)
        self.stats.inc_value(f"{STATS_PREFIX}portal/{portal_id or '?'}/{key}", n)

    def summary(self) -> dict:
        """The crawl_runs summary (its JSON keys are a contract), read back from the stats."""
        values = self.stats.get_stats()
        out = {key: values.get(f"{STATS_PREFIX}{key}", 0) for key in COUNTERS}
        out["run_id"] = self.run_id
        per_portal: dict[str, dict] = defaultdict(dict)
        prefix = f"{STATS_PREFIX}portal/"
        for name, value in values.items():
            if name.startswith(prefix):
                portal_id, key = name[len(prefix):].rsplit("/", 1)
                per_portal[portal_id][key] = value
        out["per_portal"] = {pid: per_portal[pid] for pid in sorted(per_portal)}
        return out

    def portal_id(self, request) -> str | None:
        return request.meta.get("ogi_portal") or (portal_for_url(self.registry, request.url) or {}).get("id")

    # -- archiving ----------------------------------------------------------------------
    def storage_failed(self, failure: BaseException) -> None:
        """The disk refused a write: remember the first refusal and stop the run."""
        if self.storage_failure is None:
            self.storage_failure = failure
            self.on_storage_failure(failure)

    def archive(self, request, response) -> dict:
        """Write one exchange to WARC, then its captures row; return the row."""
        try:
            return self._archive(request, response)
        except STORAGE_ERRORS as failure:
            self.storage_failed(failure)
            raise

    def _archive(self, request, response) -> dict:
        portal_id = self.portal_id(request)
        kind = request.meta.get("ogi_kind") or ("robots" if urlsplit(request.url).path == "/robots.txt" else "other")
        payload = response.body or b""
        status = response.status
        digest = sha256_hex(payload)
        previous = captures.last_capture(self.db, request.url) if status in (200, 203, 304) or status >= 400 else None
        blocked = self.is_blocked(status, readable_body(payload, _header(response.headers, "Content-Encoding")))
        decision = decide_outcome(
            request.url, status, digest, bool(payload), blocked, previous,
            gone_before=lambda: captures.latest_outcome(self.db, request.url) == "gone",
            original_for=lambda sha: captures.original_by_digest(self.db, sha),
            location=_header(response.headers, "Location"), redirect_urls=request.meta.get("redirect_urls", ()))
        outcome, loop_target = decision.outcome, decision.loop_target
        revisit_of = captures.revisit_reference(self.db, decision.revisit) if decision.revisit else None
        # what the crawler knows beyond HTTP goes into the record too (archive.reindex)
        fetched_at = captures.now_iso()
        annotations = dict(
            run_id=self.run_id, portal_id=portal_id, kind=kind, outcome=outcome,
            referrer=request.meta.get("ogi_referrer") or _header(request.headers, "Referer"),
            link_text=request.meta.get("ogi_link_text"))
        location = self.writer.write_exchange(
            request.url, request.headers, request.body, status, _reason(status),
            _pairs(response.headers), payload, fetched_at, revisit_of=revisit_of, method=request.method,
            annotations=annotations)
        record_type = location.record_type
        headers = response.headers
        row = dict(
            **annotations, url=request.url, method=request.method,
            fetched_at=fetched_at, status=status,
            content_type=_header(headers, "Content-Type"), content_length=len(payload),
            record_type=record_type,
            refers_to=revisit_of["record_id"] if record_type == "revisit" else None,
            etag=_header(headers, "ETag"), last_modified=_header(headers, "Last-Modified"),
        )
        if status == 304 and previous:  # a 304 has no body: keep what it stands for
            row["content_type"] = row["content_type"] or previous.get("content_type")
            row["etag"] = row["etag"] or previous.get("etag")
            row["last_modified"] = row["last_modified"] or previous.get("last_modified")
        row["id"] = captures.record_capture(self.db, location, **row)
        self.db.conn.commit()

        self.count(portal_id, "requests")
        self.count(portal_id, "bytes_received", len(payload))
        if outcome in ("new", "changed"):
            self.count(portal_id, "new_captures")
            if outcome == "changed":
                self.count(portal_id, "changed")
            if kind in ("report", "attachment", "list"):
                self.count(portal_id, {"report": "reports", "attachment": "attachments", "list": "lists"}[kind])
        elif outcome in ("unchanged", "gone", "blocked"):
            self.count(portal_id, outcome)
        if blocked:
            self.error(request, "blocked", f"anti-bot answer (HTTP {status})", status=status, capture_id=row["id"])
        elif outcome == "redirect_loop":
            self.error(request, "redirect_loop", f"redirect back to {loop_target} after "
                       f"{len(request.meta.get('redirect_urls', [])) + 1} hop(s)", status=status, capture_id=row["id"])
        return row

    @staticmethod
    def is_blocked(status: int, payload: bytes) -> bool:
        if status in (412, 521):
            return True
        if status == 200 and len(payload) < 20_000:
            head = payload[:20_000].decode("latin-1")
            return any(marker in head for marker in linkrules.blocked_markers()) and "<script" in head.lower()
        return False

    def error(self, request, kind: str, reason: str, status: int | None = None,
              capture_id: int | None = None) -> None:
        portal_id = self.portal_id(request)
        request.meta["ogi_error_recorded"] = True
        if self.storage_failure is not None:
            return  # the disk refused writes: the run stops with that reason instead
        try:
            captures.record_error(self.db, run_id=self.run_id, portal_id=portal_id, url=request.url,
                                  kind=kind, reason=reason[:500], status=status, capture_id=capture_id)
            self.db.conn.commit()
        except STORAGE_ERRORS as failure:
            self.storage_failed(failure)
            return
        if kind == "robots":
            self.count(portal_id, "disallowed")  # robots.txt said no: obeyed, not a fault
        elif kind != "blocked":
            self.count(portal_id, "errors")

    def mark_error(self, capture_id: int) -> None:
        """An archived response the crawler then refused (too large once decoded): its
        capture stays, with outcome "error", so `ogi load` does not parse it as a report."""
        captures.set_outcome(self.db, capture_id, "error")
        self.db.conn.commit()

    def failed_request(self, request) -> None:
        """A request that got no response at all still counts as a request."""
        self.count(self.portal_id(request), "requests")

    def close(self, status: str = "finished") -> dict:
        summary = self.summary()
        if self.storage_failure is not None:
            try:
                self.writer.close()
            except STORAGE_ERRORS:
                pass  # a torn tail is the next start's to cut
            return summary
        if self.part:
            summary["status"] = status
        else:
            captures.finish_run(self.db, self.run_id, summary, status)
            self.db.conn.commit()
        self.writer.close()
        return summary


def _header(headers, name: str) -> str | None:
    value = headers.get(name) if headers is not None else None
    if value is None:
        return None
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def _pairs(headers) -> list[tuple[str, str]]:
    pairs = []
    for name, values in headers.items():
        for value in values:
            pairs.append((name.decode("latin-1"), value.decode("latin-1")))
    return pairs


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
