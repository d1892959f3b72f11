"""The SQLite schema of `DIR/ogi.db`, built and migrated with sqlite-utils.

Migrations are plain functions applied in order and recorded in `_migrations`, so an
old archive opens under new code without hand edits. A migration only ever adds
(tables, columns, indexes, views): nothing archived is rewritten by a schema change.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import sqlite_utils

MIGRATIONS: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = []


def migration(name: str):
    """Register a migration; order of definition is order of application."""

    def register(fn):
        MIGRATIONS.append((name, fn))
        return fn

    return register


def open_db(path: str | Path) -> sqlite_utils.Database:
    """Open (creating if need be) the archive database and bring its schema up to date."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite_utils.Database(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA foreign_keys=ON")
    migrate(db)
    return db


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Apply the migrations this database has not seen; return their names."""
    db["_migrations"].create({"name": str, "applied_at": str}, pk="name", if_not_exists=True)
    done = {row["name"] for row in db["_migrations"].rows}
    applied = []
    for name, fn in MIGRATIONS:
        if name in done:
            continue
        with db.conn:
            fn(db)
            db["_migrations"].insert(
                {"name": name, "applied_at": db.execute("select datetime('now')").fetchone()[0]}
            )
        applied.append(name)
    return applied


@migration("0001_crawl_tables")
def _crawl_tables(db: sqlite_utils.Database) -> None:
    db["portals"].create(
        {
            "id": str,
            "name": str,
            "province": str,
            "city": str,
            "county": str,
            "admin_code": str,
            "family": str,
            "hosts": str,  # JSON list
            "start_urls": str,  # JSON list
            "verified": int,
            "local": int,  # 1 for the offline sample portals
        },
        pk="id",
    )
    db["crawl_runs"].create(
        {
            "id": int,
            "started_at": str,
            "finished_at": str,
            "status": str,  # running | finished | interrupted | failed
            "requests": int,
            "bytes_received": int,
            "new_captures": int,
            "unchanged": int,
            "gone": int,
            "errors": int,
            "blocked": int,
            "per_portal": str,  # JSON {portal_id: {requests, bytes_received, ...}}
        },
        pk="id",
    )
    db["captures"].create(
        {
            "id": int,
            "run_id": int,
            "portal_id": str,
            "url": str,
            "method": str,
            "fetched_at": str,
            "status": int,
            "content_type": str,
            "content_length": int,
            "payload_sha256": str,
            "record_type": str,  # response | revisit
            "warc_record_id": str,
            "refers_to": str,  # for revisits: the WARC-Record-ID of the original
            "warc_file": str,  # file name under DIR/warc/
            "warc_offset": int,
            "warc_length": int,
            "etag": str,
            "last_modified": str,
            "referrer": str,
            "link_text": str,
            "kind": str,  # list | detail | attachment | other
            "outcome": str,  # new | changed | unchanged | gone | error | blocked
        },
        pk="id",
        foreign_keys=[("run_id", "crawl_runs", "id"), ("portal_id", "portals", "id")],
    )
    db["captures"].create_index(["url", "fetched_at"])
    db["captures"].create_index(["payload_sha256"])
    db["captures"].create_index(["portal_id"])
    db["captures"].create_index(["warc_file", "warc_offset"], unique=True)
    db["errors"].create(
        {
            "id": int,
            "run_id": int,
            "portal_id": str,
            "url": str,
            "occurred_at": str,
            "stage": str,  # crawl | parse | load
            "kind": str,  # http_status | timeout | dns | too_large | blocked | refused | parse ...
            "reason": str,
            "status": int,
            "capture_id": int,
        },
        pk="id",
        foreign_keys=[("run_id", "crawl_runs", "id")],
    )
    db["errors"].create_index(["url"])
