"""`ogi serve`: publish the archive with Datasette, read-only.

May touch: reads DIR/published/ (the snapshots `ogi load` publishes, archive.publish) and
DIR/warc/; publishes a first snapshot of DIR/ogi.db when there is none. The snapshot is
opened immutable, so no statement and no plugin can change it, its rows are counted once
per snapshot, and a newer snapshot is served from the next request on, without a restart.
Metadata (titles, column meanings in Chinese and English, facets, canned queries) lives in
archive/metadata.json, not in code; the ogi_archive plugin (archive.datasette_plugin)
adds bigram search and the archived originals at /-/archive/{capture_id}.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import traceback
from pathlib import Path

from datasette.app import Datasette
from datasette.database import Database
from datasette.database import connections as thread_connections

from archive.publish import counts_of, current_snapshot, publish, published_dir

METADATA_PATH = Path(__file__).with_name("metadata.json")
DATABASE_NAME = "ogi"  # every snapshot is a file ogi.db: URLs stay /ogi/…
SETTINGS = {
    "sql_time_limit_ms": 3000,  # a canned query on 100,000 reports runs well under this
    "facet_time_limit_ms": 500,
    "suggest_facets": False,  # suggestions query every column: seconds on 100,000 reports
    "max_returned_rows": 1000,
    "allow_download": True,  # the whole archive is public data
    "truncate_cells_html": 400,  # section texts are long; the row page shows them whole
}


def metadata() -> dict:
    return json.loads(METADATA_PATH.read_text(encoding="utf-8"))


def checkpoint(db_path: Path) -> None:
    """Fold committed WAL pages into the database file: an immutable open reads only the
    main file, so a load whose WAL is still beside it would otherwise be invisible."""
    conn = sqlite3.connect(db_path)
    try:
        conn.execute("pragma wal_checkpoint(truncate)")
    finally:
        conn.close()


def served_file(data_dir: Path) -> Path:
    """The current published snapshot; an archive loaded before snapshots existed is
    published once here, so serving never reads the file a load writes."""
    snapshot = current_snapshot(data_dir)
    if snapshot is not None and snapshot.exists():
        return snapshot
    db_path = Path(data_dir) / "ogi.db"
    if not db_path.exists():
        raise FileNotFoundError(f"{db_path} does not exist: run `ogi load --data {data_dir}` first")
    checkpoint(db_path)
    return publish(data_dir)


def build_datasette(data_dir: Path) -> Datasette:
    """A Datasette over the current snapshot of DIR/ogi.db (as database "ogi"), immutable,
    with our metadata, settings and row counts; the plugin moves it to each newer snapshot."""
    snapshot = served_file(data_dir)
    meta = metadata()
    meta.setdefault("plugins", {})["ogi-archive"] = {
        "warc_dir": str((Path(data_dir) / "warc").resolve()),
        "published_dir": str(published_dir(data_dir).resolve())}
    datasette = Datasette(immutables=[str(snapshot)], metadata=meta, settings=SETTINGS,
                          template_dir=str(Path(__file__).with_name("templates")),
                          inspect_data={DATABASE_NAME: counts_of(snapshot)})
    serve_snapshot(datasette, snapshot)
    return datasette


class SnapshotDatabase(Database):
    """Datasette's Database, its per-thread connections keyed by the snapshot file too:
    Datasette keys them by database name alone, so after a swap a thread would go on
    reading the previous snapshot. A thread's connection to an older snapshot is closed
    when it opens the new one. A failed query's cursor is let go in its own thread."""

    async def execute_fn(self, fn):
        if self.ds.executor is None:
            return await super().execute_fn(fn)
        key = f"{self.name}@{self.path}"

        def in_thread():
            conn = getattr(thread_connections, key, None)
            if conn is None:
                for other, old in list(vars(thread_connections).items()):
                    if other.startswith(f"{self.name}@"):
                        delattr(thread_connections, other)
                        old.close()
                conn = self.connect()
                self.ds._prepare_connection(conn, self.name)
                setattr(thread_connections, key, conn)
            try:
                return fn(conn)
            except BaseException as error:
                # Datasette keeps a failed query's error, so its traceback keeps the query's
                # cursor alive in a cycle. The collector, run later in another thread, then
                # resets that cursor there and waits on this connection's mutex for as long
                # as the connection runs its next query: a reader stalled behind an abusive one.
                traceback.clear_frames(error.__traceback__)
                raise

        return await asyncio.get_running_loop().run_in_executor(self.ds.executor, in_thread)


def serve_snapshot(datasette: Datasette, snapshot: Path) -> None:
    """Make `snapshot` the "ogi" database in one assignment (a request sees the old one or
    the new one, never none), with its counts: Datasette's inspect data for its table
    pages, and tables-only counts for its database page, which treats every name in
    inspect data as a table and fails on a view (Datasette 0.65)."""
    counts = counts_of(snapshot)
    database = SnapshotDatabase(datasette, path=str(snapshot), is_mutable=False)
    database.name = database.route = DATABASE_NAME
    views = view_names(snapshot)
    database._cached_table_counts = {name: figures["count"] for name, figures in counts["tables"].items()
                                     if name not in views}
    datasette.inspect_data = {**(datasette.inspect_data or {}), DATABASE_NAME: counts}
    datasette.databases = {**datasette.databases, DATABASE_NAME: database}
    datasette.ogi_snapshot = snapshot


def view_names(db_path: Path) -> set[str]:
    conn = sqlite3.connect(f"file:{db_path}?immutable=1", uri=True)
    try:
        return {row[0] for row in conn.execute("select name from sqlite_master where type = 'view'")}
    finally:
        conn.close()


def serve(data_dir: Path, port: int = 8001, host: str = "127.0.0.1") -> None:
    """Run Datasette on the current snapshot until interrupted (one process)."""
    import uvicorn

    datasette = build_datasette(data_dir)
    print(f"Serving {datasette.ogi_snapshot} at http://{host}:{port}/", flush=True)
    uvicorn.run(datasette.app(), host=host, port=port, log_level="warning")


RESTART_BACKOFF = (1, 2, 5, 10, 30)  # seconds before restarts 1, 2, 3…; reset after a minute up


def supervise(child: list[str], echo=print) -> int:
    """Run `child` (the one-process server) and start it again whenever it dies — killed
    by the OOM killer or a signal, or crashed — until this process is told to stop
    (SIGTERM/SIGINT), which stops the child too. Returns the exit code to end with."""
    import signal
    import subprocess
    import time

    stopping = {"signal": None}
    process = None

    def stop(signum, _frame):
        stopping["signal"] = signum
        if process is not None and process.poll() is None:
            process.terminate()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stop)
    restarts = 0
    while True:
        started = time.monotonic()
        process = subprocess.Popen(child)
        code = process.wait()
        if stopping["signal"] is not None:
            return 0
        if time.monotonic() - started > 60:
            restarts = 0
        wait = RESTART_BACKOFF[min(restarts, len(RESTART_BACKOFF) - 1)]
        echo(f"ogi serve: the server exited with {code}; starting it again in {wait} s")
        restarts += 1
        time.sleep(wait)
        if stopping["signal"] is not None:
            return 0
