"""`ogi serve`: publish DIR/ogi.db with Datasette, read-only.

May touch: reads DIR/ogi.db and DIR/warc/; writes nothing (the database is opened
immutable, so no statement and no plugin can change it, and Datasette may cache counts).
Metadata (titles, column meanings in Chinese and English, facets, canned queries) lives in
archive/metadata.json, not in code; the ogi_archive plugin (archive.datasette_plugin)
adds bigram search and the archived originals at /-/archive/{capture_id}.

    python -m archive.serve --data data --port 8001
"""

from __future__ import annotations

import argparse
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


def build_datasette(data_dir: Path) -> Datasette:
    """A Datasette over DIR/ogi.db, immutable, with our metadata and settings."""
    db_path = Path(data_dir) / "ogi.db"
    if not db_path.exists():
        raise FileNotFoundError(f"{db_path} does not exist: run `ogi load --data {data_dir}` first")
    checkpoint(db_path)
    meta = metadata()
    meta.setdefault("plugins", {})["ogi-archive"] = {"warc_dir": str((Path(data_dir) / "warc").resolve())}
    return Datasette(immutables=[str(db_path)], metadata=meta, settings=SETTINGS)


def serve(data_dir: Path, port: int = 8001, host: str = "127.0.0.1") -> None:
    """Run Datasette on DIR/ogi.db until interrupted."""
    import uvicorn

    datasette = build_datasette(data_dir)
    print(f"Serving {Path(data_dir) / 'ogi.db'} at http://{host}:{port}/", flush=True)
    uvicorn.run(datasette.app(), host=host, port=port, log_level="warning")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("data"))
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    serve(args.data, port=args.port, host=args.host)


if __name__ == "__main__":
    main()
