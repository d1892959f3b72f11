"""Publishing: what `ogi serve` reads is a finished snapshot of the archive database, never
the file a load is writing.

May touch: DIR/published/ (snapshots `<time>/ogi.db` with their `<time>/counts.json`, and
`current`, a one-line file naming the newest: a plain file, so a copy of DIR keeps it);
reads DIR/ogi.db.

Why snapshots: a load (above all `--rebuild`) is thousands of transactions; a reader of
the working file would see counts move under it, and an immutable open of a file being
written reads torn pages ("database disk image is malformed"). `publish` copies the
committed state with `VACUUM INTO` (a consistent read of one transaction), fsyncs it,
renames it into place and swaps `current` to it with one rename, so a reader opens
either the previous snapshot or the new one, whole. `ogi serve` follows `current`
between requests (archive.datasette_plugin), without a restart. Row counts are taken
here, once per snapshot, for Datasette's table pages.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

PUBLISHED = "published"
CURRENT = "current"  # names the newest snapshot's folder; each holds ogi.db (Datasette names it "ogi")
KEEP = 3  # snapshots kept: the current one and two a slow request may still be reading


def published_dir(data_dir: Path) -> Path:
    return Path(data_dir) / PUBLISHED


def current_snapshot(data_dir: Path) -> Path | None:
    """The snapshot `current` points at, or None before the first publish."""
    pointer = published_dir(data_dir) / CURRENT
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return pointer.parent / name / "ogi.db" if name and "/" not in name else None


def row_counts(db_path: Path) -> dict:
    """Datasette's inspect data for one database file: the row count of every table and view.

    Why: the snapshot is served immutable, so its counts cannot change while we serve it, yet
    Datasette runs `select count(*)` on every unfiltered table page. For table3_wide that is
    2.5 million joined rows (~200 ms) on 100,000 reports. Counting once here is Datasette's
    own `datasette inspect` mechanism. `hash` is left empty: hashing a multi-GB file
    would delay the index page by seconds and nothing we serve depends on it.
    """
    conn = sqlite3.connect(f"file:{db_path}?immutable=1", uri=True)
    try:
        names = [row[0] for row in conn.execute(
            "select name from sqlite_master where type in ('table', 'view')"
            " and name not like 'sqlite_%' and sql not like 'create virtual table%'")]
        tables = {}
        for name in names:
            try:
                tables[name] = {"count": conn.execute(f'select count(*) from "{name}"').fetchone()[0]}
            except sqlite3.Error:  # e.g. an FTS shadow table or a view over something missing
                continue
    finally:
        conn.close()
    return {"hash": None, "size": db_path.stat().st_size, "file": str(db_path), "tables": tables}


def counts_of(snapshot: Path) -> dict:
    """The counts `publish` stored beside a snapshot (taken again if they are missing)."""
    stored = snapshot.with_name("counts.json")
    try:
        counts = json.loads(stored.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return row_counts(snapshot)
    return dict(counts, file=str(snapshot))


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(data_dir: Path) -> Path:
    """Snapshot DIR/ogi.db into DIR/published/ and make it current; return its path.
    Called by `ogi load` (and so `ogi update`) at the end, under the write lock."""
    data_dir = Path(data_dir)
    target_dir = published_dir(data_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    name = f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S%f}"
    partial = target_dir / (name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    conn = sqlite3.connect(data_dir / "ogi.db")
    try:
        conn.execute("vacuum into ?", [str(partial / "ogi.db")])
    finally:
        conn.close()
    (partial / "counts.json").write_text(json.dumps(row_counts(partial / "ogi.db")), encoding="utf-8")
    for path in (partial / "ogi.db", partial / "counts.json", partial):
        _fsync(path)
    os.rename(partial, target_dir / name)
    pointer = target_dir / (CURRENT + ".partial")
    pointer.write_text(name + "\n", encoding="utf-8")
    _fsync(pointer)
    os.replace(pointer, target_dir / CURRENT)
    _fsync(target_dir)
    _prune(target_dir, keep=name)
    return target_dir / name / "ogi.db"


def _prune(target_dir: Path, keep: str) -> None:
    snapshots = sorted(p for p in target_dir.iterdir() if p.is_dir() and p.name[:1].isdigit()
                       and not p.name.endswith(".partial"))
    for old in snapshots[:-KEEP]:
        if old.name != keep:
            shutil.rmtree(old, ignore_errors=True)
    for stale in target_dir.glob("*.partial"):  # a publish killed midway
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)
