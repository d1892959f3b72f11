"""The captures index: one `captures` row per WARC response/revisit record, plus the
crawl bookkeeping tables (`crawl_runs`, `errors`, `portals`) in DIR/ogi.db.

May touch: the database it is given (sqlite-utils, schema from archive.schema.open_db) and,
in `repair_warcs` only, the torn unindexed tail of a WARC file.

Why the order matters: a row is written only after its record is flushed to the WARC, so
the index never points at bytes that are not there. A kill between the two leaves an
unindexed record at the tail of the file, which `repair_warcs` cuts off before the next
run; that URL is then simply fetched again. Rows and records stay equal in number.
"""

from __future__ import annotations

import itertools
import json
import os
from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils

from archive.warc import MEMBER_CHUNK, ArchivedResponse, RecordLocation, gzip_member, read_record


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


# -- portals ----------------------------------------------------------------------------
def upsert_portals(db: sqlite_utils.Database, registry: list[dict]) -> None:
    """Keep the `portals` table in step with the registry this run crawls."""
    columns = ("id", "name", "province", "city", "county", "admin_code", "family")
    rows = []
    for portal in registry:
        row = {key: portal.get(key) for key in columns}
        row["hosts"] = json.dumps(portal.get("hosts", []), ensure_ascii=False)
        row["start_urls"] = json.dumps(portal.get("start_urls", []), ensure_ascii=False)
        row["verified"] = int(bool(portal.get("verified")))
        row["local"] = int(bool(portal.get("local")))
        rows.append(row)
    if rows:
        db["portals"].upsert_all(rows, pk="id")


# -- runs -------------------------------------------------------------------------------
def start_run(db: sqlite_utils.Database) -> int:
    table = db["crawl_runs"]
    table.insert({"started_at": now_iso(), "status": "running"})
    return table.last_pk


RUN_FIGURES = ("requests", "bytes_received", "new_captures", "unchanged", "gone", "errors", "blocked")


def finish_run(db: sqlite_utils.Database, run_id: int, summary: dict, status: str) -> None:
    """Close a run's row; a figure the run never counted stays NULL, not 0."""
    row = {key: summary.get(key) for key in RUN_FIGURES}
    row["per_portal"] = json.dumps(summary.get("per_portal", {}), ensure_ascii=False, sort_keys=True)
    row["finished_at"] = now_iso()
    row["status"] = status
    db["crawl_runs"].update(run_id, row)


def mark_interrupted_runs(db: sqlite_utils.Database) -> None:
    """A run still 'running' when a new one starts (under the lock) was killed: mark it
    interrupted and recover what its captures and errors rows tell (bytes received are
    not recoverable and stay NULL)."""
    db.execute(
        """
        update crawl_runs set status = 'interrupted',
          requests = (select count(*) from captures c where c.run_id = crawl_runs.id),
          new_captures = (select count(*) from captures c
                          where c.run_id = crawl_runs.id and c.outcome in ('new', 'changed')),
          unchanged = (select count(*) from captures c where c.run_id = crawl_runs.id and c.outcome = 'unchanged'),
          gone = (select count(*) from captures c where c.run_id = crawl_runs.id and c.outcome = 'gone'),
          errors = (select count(*) from errors e
                    where e.run_id = crawl_runs.id and e.stage = 'crawl' and e.kind != 'blocked'),
          blocked = (select count(*) from captures c where c.run_id = crawl_runs.id and c.outcome = 'blocked')
        where status = 'running'
        """
    )
    db.conn.commit()


# -- captures ---------------------------------------------------------------------------
def record_capture(db: sqlite_utils.Database, location: RecordLocation, **fields) -> int:
    """Index one flushed WARC record; `fields` are the other `captures` columns."""
    row = dict(fields)
    row.update(
        warc_file=location.warc_file,
        warc_offset=location.offset,
        warc_length=location.length,
        warc_record_id=location.record_id,
        payload_sha256=location.payload_sha256,
    )
    table = db["captures"]
    table.insert(row)
    return table.last_pk


def set_outcome(db: sqlite_utils.Database, capture_id: int, outcome: str) -> None:
    """Correct a capture's outcome once more is known (a response refused after it was
    archived, e.g. a decompression bomb); the WARC record it indexes is not touched."""
    db["captures"].update(capture_id, {"outcome": outcome})
    db.conn.commit()


def last_capture(db: sqlite_utils.Database, url: str) -> dict | None:
    """The latest capture of `url` that holds (or revisits) a usable payload."""
    rows = list(db.query(
        "select * from captures where url = ? and outcome not in ('gone', 'error', 'blocked') "
        "and status between 200 and 399 order by id desc limit 1", [url]))
    return rows[0] if rows else None


def latest_outcome(db: sqlite_utils.Database, url: str) -> str | None:
    rows = list(db.query("select outcome from captures where url = ? order by id desc limit 1", [url]))
    return rows[0]["outcome"] if rows else None


def original_by_digest(db: sqlite_utils.Database, payload_sha256: str) -> dict | None:
    """The first full `response` record holding this payload: what a revisit refers to."""
    rows = list(db.query(
        "select * from captures where payload_sha256 = ? and record_type = 'response' "
        "and status between 200 and 299 order by id limit 1", [payload_sha256]))
    return rows[0] if rows else None


# The one way a revisit is resolved: the captures row of the record its WARC-Refers-To names.
# A query string, so the Datasette plugin's async database can run it too.
ORIGINAL_OF_REVISIT = "select * from captures where warc_record_id = ?"


def original_of(db: sqlite_utils.Database, capture: dict) -> dict:
    """The capture holding a revisit's payload (the capture itself when it is no revisit,
    or when the record it refers to is not indexed)."""
    if capture.get("record_type") == "revisit" and capture.get("refers_to"):
        rows = list(db.query(ORIGINAL_OF_REVISIT, [capture["refers_to"]]))
        if rows:
            return rows[0]
    return capture


def revisit_reference(db: sqlite_utils.Database, capture: dict) -> dict:
    """The `revisit_of` argument WarcWriter.write_exchange wants: always the original
    full response, even when `capture` is itself a revisit."""
    original = original_of(db, capture)
    return {
        "url": original["url"],
        "fetched_at": original["fetched_at"],
        "record_id": original["warc_record_id"],
        "payload_sha256": original["payload_sha256"],
    }


def read_capture(db: sqlite_utils.Database, warc_dir: Path, capture: dict | int) -> ArchivedResponse:
    """The archived response of a capture, with a revisit resolved to the original bytes.

    The revisit's own status and headers are kept (they describe that fetch); only the
    payload (and its content type, when the revisit has none, e.g. a 304) come from the
    record named by `captures.refers_to`. `payload` is decoded (Content-Encoding undone),
    `raw_payload` the bytes as stored; the original's headers say how they were encoded,
    so they are decoded by the original record's Content-Encoding, not the revisit's.
    """
    if isinstance(capture, int):
        capture = db["captures"].get(capture)
    response = read_record(Path(warc_dir) / capture["warc_file"], capture["warc_offset"])
    if response.record_type == "revisit":
        holder = original_of(db, capture)
        if holder is not capture:
            original = read_record(Path(warc_dir) / holder["warc_file"], holder["warc_offset"])
            response.payload = original.payload
            response.raw_payload = original.raw_payload
            response.content_type = response.content_type or original.content_type
    return response


# -- errors -----------------------------------------------------------------------------
def record_error(db: sqlite_utils.Database, *, run_id: int | None, portal_id: str | None, url: str,
                 kind: str, reason: str, status: int | None = None,
                 capture_id: int | None = None, stage: str = "crawl") -> int:
    table = db["errors"]
    table.insert({
        "run_id": run_id, "portal_id": portal_id, "url": url, "occurred_at": now_iso(),
        "stage": stage, "kind": kind, "reason": reason, "status": status, "capture_id": capture_id,
    })
    return table.last_pk


# -- recovery ---------------------------------------------------------------------------
class ArchiveIndexMissing(RuntimeError):
    """DIR/warc holds archived records that DIR/ogi.db does not index."""


def recover_killed_runs(db: sqlite_utils.Database, warc_dir: Path) -> list[tuple[str, int, int]]:
    """Repair the WARC tails of runs still 'running' (killed), then mark them interrupted;
    return what repair_warcs cut. The runs are marked only once the repair is whole, so a
    repair killed midway is still owed, and redone, by the next start."""
    row = db.execute("select min(started_at) from crawl_runs where status = 'running'").fetchone()
    repaired = repair_warcs(db, warc_dir, row[0] if row else None)
    mark_interrupted_runs(db)
    return repaired


def repair_warcs(db: sqlite_utils.Database, warc_dir: Path,
                 interrupted_since: str | None = None) -> list[tuple[str, int, int]]:
    """After a killed run, set aside the WARC bytes no captures row points at.

    Returns (file, old size, new size) for each file repaired. Bytes are never deleted:
    the unindexed tail of a file (a torn record, or a pair whose row was never written)
    is moved to DIR/warc/quarantine/ before the file is cut back to its last indexed
    record, so the next writer starts from whole records and an archivist can still
    inspect what the killed run received. Files written by the killed run that hold no
    indexed record at all move to quarantine whole.

    Refuses (ArchiveIndexMissing) when WARC files exist but the index has no row at all and
    no killed run of its own: a lost or replaced ogi.db must not make a crawl cut the archive
    it does not know (`ogi reindex` rebuilds the index).
    """
    warc_dir = Path(warc_dir)
    paths = sorted(warc_dir.glob("*.warc.gz"))
    if not paths:
        return []
    indexed = db.execute("select count(*) from captures").fetchone()[0]
    # No row at all, and no killed run of this database to explain it: not our index.
    if indexed == 0 and interrupted_since is None and any(
            path.stat().st_size > _first_member_end(path) for path in paths):
        raise ArchiveIndexMissing(
            f"{warc_dir} holds {len(paths)} WARC file(s) that {db.conn.execute('pragma database_list').fetchone()[2]} "
            "does not index: restore the database, or rebuild its index with `ogi reindex`, before crawling")
    if interrupted_since is None:
        return []  # the last run closed its files: nothing can be torn
    repaired = []
    for path in paths:
        row = db.execute(
            "select max(warc_offset + warc_length) from captures where warc_file = ?", [path.name]
        ).fetchone()
        indexed_end = row[0] if row and row[0] else None
        size = path.stat().st_size
        if indexed_end is None:
            written_since = _mtime(path) >= datetime.fromisoformat(interrupted_since).replace(microsecond=0)
            if written_since and size > _first_member_end(path):
                _quarantine(path, 0, size)
                repaired.append((path.name, size, 0))
            continue
        if indexed_end < size:
            _quarantine(path, indexed_end, size)
            with open(path, "r+b") as stream:
                stream.truncate(indexed_end)
            repaired.append((path.name, size, indexed_end))
    return repaired


def _mtime(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)


def _quarantine(path: Path, start: int, end: int) -> Path:
    """Copy bytes start..end of a WARC to DIR/warc/quarantine/ (a whole file is moved).

    Idempotent under kills: the copy is written beside its name and renamed when whole,
    so a name in quarantine always holds whole bytes; a repair killed between the copy
    and the cut finds its copy and keeps it; other bytes under a taken name get `.1`, `.2`.
    """
    quarantine = path.parent / "quarantine"
    quarantine.mkdir(exist_ok=True)
    name = f"{path.name}.{start}-{end}"
    for n in itertools.count():
        target = quarantine / (name if n == 0 else f"{name}.{n}")
        if not target.exists():
            break
        if start > 0 and _holds(target, path, start, end):
            return target
    if start == 0:
        path.rename(target)
        return target
    partial = quarantine / f".{target.name}.partial"  # a killed repair's leftover is rewritten
    with open(path, "rb") as source, open(partial, "wb") as sink:
        source.seek(start)
        left = end - start
        while left and (chunk := source.read(min(left, MEMBER_CHUNK))):
            sink.write(chunk)
            left -= len(chunk)
        sink.flush()
        os.fsync(sink.fileno())
    partial.rename(target)
    return target


def _holds(copy: Path, path: Path, start: int, end: int) -> bool:
    """Whether `copy` holds exactly bytes start..end of `path` (compared a chunk at a time)."""
    if copy.stat().st_size != end - start:
        return False
    with open(copy, "rb") as kept, open(path, "rb") as source:
        source.seek(start)
        while chunk := kept.read(MEMBER_CHUNK):
            if source.read(len(chunk)) != chunk:
                return False
    return True


def _first_member_end(path: Path) -> int:
    """Where the file's first record (its warcinfo) ends; 0 when even that is not whole."""
    return gzip_member(path, 0)[0] or 0
