"""`ogi reindex`: rebuild the captures index (DIR/ogi.db `captures`) from DIR/warc/*.warc.gz.

May touch: DIR/ogi.db (inserts `captures`, `crawl_runs` and, for portal ids the records
name that the database does not know, stub `portals` rows). Reads the WARC files and
never writes them: a torn tail (a killed crawl) is reported and left as it is;
archive.captures.repair_warcs is the one place that sets such bytes aside.

Why: the WARCs are the archive, the index is derived. If ogi.db is lost or replaced,
`ogi crawl` refuses to run (ArchiveIndexMissing) rather than cut files it does not know;
this puts the index back so the archive can be loaded, served and crawled again.

What a record tells exactly: url, method (the paired request record), fetched_at
(WARC-Date), status, content_type, content_length, payload_sha256, record_type,
warc_record_id, refers_to, warc_file/offset/length, etag, last_modified. Records written
since the crawler annotates them (archive.warc.OGI_FIELDS) also tell portal_id, kind,
referrer, link_text, outcome and which run wrote them. Older records get those inferred
(the caller's `kind_of`, `portal_of`), with outcome "reindexed" so an inferred row says so.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

import sqlite_utils
from warcio.archiveiterator import ArchiveIterator

from archive import captures
from archive.derive import reindex_conversions
from archive.lock import write_lock
from archive.runs import recorded
from archive.schema import open_db
from archive.warc import RecordLocation, gzip_member, read_annotations

INFERRED_OUTCOME = "reindexed"  # outcome of a row whose kind/portal/outcome were inferred
RUN_STATUS = "reindexed"  # status of the crawl_runs rows that own recovered rows
CHUNK = 1 << 20


def reindex_warcs(data_dir: Path, registry: list[dict] | None = None,
                  kind_of: Callable[[str, str | None], str] | None = None,
                  portal_of: Callable[[list[dict], str], dict | None] | None = None, wait: float = 0.0) -> dict:
    """Index every response/revisit record of DIR/warc/*.warc.gz that `captures` lacks.

    `registry` (portal entries), when given, is written to `portals` first. Records that
    do not name their kind or portal (written before the crawler annotated them) get them
    from `kind_of(url, content_type)` and `portal_of(portals, url)` (the portals table's
    entries) — the crawler's link rules and host matching, which the caller passes in
    (this room does not look up into the crawler);
    without them such a record is kind "other" with no portal. Idempotent: a record
    already indexed (same warc_file + warc_offset) is counted, not added again.
    Returns {files, records, captures_added, already_indexed, unreadable, runs_added,
    portals_added, conversions_added}; `unreadable` lists {file, offset, reason} of records not indexed
    (torn tail, digest mismatch, unparseable bytes). Holds DIR's write lock (archive.lock).
    """
    data_dir = Path(data_dir)
    with recorded(data_dir, "reindex") as run:
        with write_lock(data_dir, "reindex", wait):
            run.summary = _reindex(data_dir, registry, kind_of, portal_of)
        run.status = "incomplete" if run.summary["unreadable"] else "ok"
        return run.summary


def _reindex(data_dir: Path, registry, kind_of, portal_of) -> dict:
    db = open_db(data_dir / "ogi.db")
    try:
        if registry:
            captures.upsert_portals(db, registry)
            db.conn.commit()
        indexer = _Indexer(db, kind_of or (lambda url, content_type: "other"), portal_of or (lambda portals, url: None))
        paths = sorted((data_dir / "warc").glob("*.warc.gz"))
        for path in paths:
            with db.conn:  # one transaction per file: a crash leaves whole files indexed
                indexer.index_file(path)
        indexer.close_runs()
        db.conn.commit()
        with db.conn:
            added = reindex_conversions(db.conn, data_dir / "warc")
        return {"files": len(paths), **indexer.summary, "conversions_added": added}
    finally:
        db.conn.close()


def payload_hex(digest: str | None) -> str | None:
    """The hex sha256 of a `sha256:BASE32` (or `sha256:HEX`) WARC digest; None for other algorithms."""
    if not digest or ":" not in digest:
        return None
    algorithm, value = digest.split(":", 1)
    if algorithm.lower().replace("-", "") != "sha256":
        return None
    value = value.strip()
    if len(value) == 64:
        return value.lower()
    try:
        return base64.b32decode(value.upper() + "=" * (-len(value) % 8)).hex()
    except ValueError:
        return None


def _iso(warc_date: str | None) -> str | None:
    """WARC-Date as captures.fetched_at writes times (captures.now_iso)."""
    if not warc_date:
        return None
    try:
        return datetime.fromisoformat(warc_date.replace("Z", "+00:00")).isoformat(timespec="microseconds")
    except ValueError:
        return warc_date


def torn_reason(path: Path, offset: int) -> str | None:
    """Why the record at `offset` (the file's last) is not whole, or None when it is."""
    return gzip_member(path, offset)[1]


class _Indexer:
    """Walks WARC files and inserts the captures rows they lack; one per reindex."""

    def __init__(self, db: sqlite_utils.Database, kind_of: Callable[[str, str | None], str],
                 portal_of: Callable[[list[dict], str], dict | None]):
        self.db = db
        self.kind_of, self.portal_of = kind_of, portal_of
        self.runs: dict[int | None, int] = {}  # run the record names (None: unnamed) -> new crawl_runs.id
        self.portal_ids = {row["id"] for row in db["portals"].rows}
        self.registry = [
            {"id": row["id"], "hosts": json.loads(row["hosts"] or "[]"), "local": bool(row["local"])}
            for row in db["portals"].rows
        ]
        self.summary = {"records": 0, "captures_added": 0, "already_indexed": 0, "unreadable": [],
                        "runs_added": [], "portals_added": []}

    # -- one file -------------------------------------------------------------------------
    def index_file(self, path: Path) -> None:
        indexed = {offset for (offset,) in self.db.execute(
            "select warc_offset from captures where warc_file = ?", [path.name])}
        size = path.stat().st_size
        request = None  # the last request record: its response follows it
        offset = 0
        with open(path, "rb") as stream:
            iterator = ArchiveIterator(stream)
            try:
                for record in iterator:
                    offset = iterator.offset
                    kind = record.rec_type
                    if kind == "request":
                        http = record.http_headers
                        request = {"for": record.rec_headers.get_header("WARC-Concurrent-To"),
                                   "method": http.protocol if http else None,
                                   "referer": http.get_header("Referer") if http else None}
                        iterator.read_to_end()
                        request["offset"], request["end"] = offset, offset + iterator.get_record_length()
                        continue
                    if kind not in ("response", "revisit"):
                        continue
                    sha256, stored = self._digest_of_block(record)
                    iterator.read_to_end()
                    length = iterator.get_record_length()
                    paired = request if request and request["for"] == record.rec_headers.get_header("WARC-Record-ID") else None
                    request = None
                    if offset + length >= size and (reason := torn_reason(path, offset)):
                        self.unreadable(path, offset, reason)
                        continue
                    self.summary["records"] += 1
                    if offset in indexed:
                        self.summary["already_indexed"] += 1
                        continue
                    self.add(path, record, offset, length, paired, sha256, stored)
            except Exception as error:  # noqa: BLE001 - a bad file must not stop the others
                self.unreadable(path, iterator.offset, f"unreadable from here: {type(error).__name__}: {error}")
                return
            whole_end = iterator.offset  # where the last record warcio could read ends
        if request is not None:  # a request whose response never made it to disk
            reason = torn_reason(path, request["offset"]) if request["end"] >= size else None
            self.unreadable(path, request["offset"], reason or "request record without its response")
        if whole_end < size:  # bytes warcio stopped at without a record: a member cut short
            self.unreadable(path, whole_end, (torn_reason(path, whole_end) or "not a WARC record")
                            + f" ({size - whole_end} bytes)")

    def _digest_of_block(self, record) -> tuple[str | None, int]:
        """sha256 hex and length of a response's stored payload (revisits store none)."""
        if record.rec_type != "response":
            return None, 0
        digest, stored = hashlib.sha256(), 0
        while chunk := record.raw_stream.read(CHUNK):
            digest.update(chunk)
            stored += len(chunk)
        return digest.hexdigest(), stored

    def unreadable(self, path: Path, offset: int, reason: str) -> None:
        self.summary["unreadable"].append({"file": path.name, "offset": offset, "reason": reason})

    # -- one record -----------------------------------------------------------------------
    def add(self, path: Path, record, offset: int, length: int, request: dict | None,
            computed_sha256: str | None, stored: int) -> None:
        headers = record.rec_headers
        http = record.http_headers
        url = headers.get_header("WARC-Target-URI")
        record_id = headers.get_header("WARC-Record-ID")
        declared = payload_hex(headers.get_header("WARC-Payload-Digest"))
        refers_to = headers.get_header("WARC-Refers-To")
        if record.rec_type == "response":
            if declared and declared != computed_sha256:
                self.unreadable(path, offset, f"payload digest mismatch: header {declared}, stored bytes {computed_sha256}")
                return
            sha256, content_length = computed_sha256, stored
        else:
            sha256 = declared or self._original_digest(refers_to)
            content_length = None
        status_code = http.get_statuscode() if http else None
        status = int(status_code) if status_code and str(status_code).isdigit() else None
        if record.rec_type == "revisit":
            declared_length = http.get_header("Content-Length") if http else None
            if declared_length and declared_length.strip().isdigit():
                content_length = int(declared_length)
            elif status == 304:
                content_length = 0  # a 304 has no body
        row = {
            "url": url,
            "method": request["method"] if request else None,
            "fetched_at": _iso(headers.get_header("WARC-Date")),
            "status": status,
            "content_type": http.get_header("Content-Type") if http else None,
            "content_length": content_length,
            "record_type": record.rec_type,
            "refers_to": refers_to,
            "etag": http.get_header("ETag") if http else None,
            "last_modified": http.get_header("Last-Modified") if http else None,
        }
        if status == 304:  # as the crawler did: a 304 stands for what it revisits
            previous = captures.last_capture(self.db, url)
            if previous:
                for column in ("content_type", "etag", "last_modified"):
                    row[column] = row[column] or previous.get(column)
        annotations = read_annotations(headers)
        run_key = annotations.pop("run_id", None)
        row["portal_id"] = annotations.get("portal_id") or self.portal_for(url)
        row["kind"] = annotations.get("kind") or self.kind_of(url, row["content_type"])
        row["referrer"] = annotations.get("referrer") or (request["referer"] if request else None)
        row["link_text"] = annotations.get("link_text")
        row["outcome"] = annotations.get("outcome") or INFERRED_OUTCOME
        if row["portal_id"] and row["portal_id"] not in self.portal_ids:
            self.stub_portal(row["portal_id"], url)
        row["run_id"] = self.run_for(run_key)
        location = RecordLocation(path.name, offset, length, record_id, sha256)
        captures.record_capture(self.db, location, **row)
        self.summary["captures_added"] += 1

    def _original_digest(self, refers_to: str | None) -> str | None:
        if not refers_to:
            return None
        found = self.db.execute("select payload_sha256 from captures where warc_record_id = ?", [refers_to]).fetchone()
        return found[0] if found else None

    def portal_for(self, url: str) -> str | None:
        return (self.portal_of(self.registry, url) or {}).get("id")

    def stub_portal(self, portal_id: str, url: str) -> None:
        """A portal the records name but the database does not know: a row with its id
        and the host it was seen on, so the foreign key holds; `ogi crawl` with a
        registry fills in the rest (upsert by id)."""
        host = urlsplit(url).netloc
        self.db["portals"].insert({"id": portal_id, "hosts": json.dumps([host]), "start_urls": "[]",
                                   "verified": 0})
        self.portal_ids.add(portal_id)
        self.summary["portals_added"].append(portal_id)

    def run_for(self, run_key: int | None) -> int:
        """One `reindexed` crawl_runs row per run the records name (created in the order
        first met, files being named by time), one for records that name none."""
        if run_key not in self.runs:
            self.runs[run_key] = self.db["crawl_runs"].insert({"status": RUN_STATUS}).last_pk
            self.summary["runs_added"].append(self.runs[run_key])
        return self.runs[run_key]

    def close_runs(self) -> None:
        """What the recovered rows tell about their run: its span and its request count
        per portal. Figures the WARCs do not hold (bytes, errors) stay NULL."""
        for run_id in self.runs.values():
            started, finished, requests = self.db.execute(
                "select min(fetched_at), max(fetched_at), count(*) from captures where run_id = ?",
                [run_id]).fetchone()
            per_portal = {portal or "?": {"requests": n} for portal, n in self.db.execute(
                "select portal_id, count(*) from captures where run_id = ? group by portal_id", [run_id])}
            self.db["crawl_runs"].update(run_id, {
                "started_at": started, "finished_at": finished, "requests": requests,
                "per_portal": json.dumps(per_portal, ensure_ascii=False, sort_keys=True)})
