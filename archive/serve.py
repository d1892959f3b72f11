"""`ogi serve`: publish DIR/ogi.db with Datasette, read-only.

May touch: reads DIR/ogi.db and DIR/warc/; writes nothing (the database is opened
immutable, so no statement and no plugin can change it, and we count rows once at start).
Metadata (titles, column meanings in Chinese and English, facets, canned queries) lives in
archive/metadata.json, not in code; the ogi_archive plugin (archive.datasette_plugin)
adds bigram search and the archived originals at /-/archive/{capture_id}.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from datasette.app import Datasette

METADATA_PATH = Path(__file__).with_name("metadata.json")
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


def row_counts(db_path: Path) -> dict:
    """Datasette's inspect data for DIR/ogi.db: the row count of every table and view.

    Why: the file is served immutable, so its counts cannot change while we serve it, yet
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


def build_datasette(data_dir: Path) -> Datasette:
    """A Datasette over DIR/ogi.db, immutable, with our metadata, settings and row counts."""
    db_path = Path(data_dir) / "ogi.db"
    if not db_path.exists():
        raise FileNotFoundError(f"{db_path} does not exist: run `ogi load --data {data_dir}` first")
    checkpoint(db_path)
    meta = metadata()
    meta.setdefault("plugins", {})["ogi-archive"] = {"warc_dir": str((Path(data_dir) / "warc").resolve())}
    counts = row_counts(db_path)
    datasette = Datasette(immutables=[str(db_path)], metadata=meta, settings=SETTINGS,
                          inspect_data={db_path.stem: counts})
    # The table page reads a view's count from inspect data (what we want), but the
    # database page treats every name there as a table and fails on a view (Datasette
    # 0.65): give the database its tables-only counts up front.
    views = view_names(db_path)
    datasette.get_database(db_path.stem)._cached_table_counts = {
        name: figures["count"] for name, figures in counts["tables"].items() if name not in views}
    return datasette


def view_names(db_path: Path) -> set[str]:
    conn = sqlite3.connect(f"file:{db_path}?immutable=1", uri=True)
    try:
        return {row[0] for row in conn.execute("select name from sqlite_master where type = 'view'")}
    finally:
        conn.close()


def serve(data_dir: Path, port: int = 8001, host: str = "127.0.0.1") -> None:
    """Run Datasette on DIR/ogi.db until interrupted."""
    import uvicorn

    datasette = build_datasette(data_dir)
    print(f"Serving {Path(data_dir) / 'ogi.db'} at http://{host}:{port}/", flush=True)
    uvicorn.run(datasette.app(), host=host, port=port, log_level="warning")
