"""Fixtures and helpers shared across test modules: the sample world, the demo archive,
and reading an archive folder (its database and its WARC records) the way a user would."""

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from sample_portals.generate import generate_world
from sample_portals.server import SampleWorld

REPO = Path(__file__).resolve().parents[1]
WARCIO = str(Path(sys.executable).with_name("warcio"))
RESERVED_PORTS = {8001, *range(18401, 18406)}  # the demo's Datasette and sample portals


def free_port() -> int:
    """A free 127.0.0.1 port that is not one `ogi demo` uses."""
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port not in RESERVED_PORTS:
            return port


def query(data_dir: Path, sql: str, params=()) -> list[tuple]:
    """Rows of a query on DIR/ogi.db."""
    conn = sqlite3.connect(data_dir / "ogi.db")
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


DERIVED_COLUMNS = {  # every column but the load's own clock
    "reports": "*", "report_cells": "*", "checks": "*",
    "report_sources": "*", "loaded_captures": "capture_id, report_id, outcome",
    "errors": "portal_id, url, stage, kind, reason, status, capture_id",
    "conversions": "id, source_sha256, kind, pages, tool, content_type, source_url, refers_to"}  # a DOCX holds its making time


def derived_tables(data_dir: Path) -> dict:
    """What `ogi load` wrote, row by row, for comparing two loads of one archive."""
    conn = sqlite3.connect(data_dir / "ogi.db")
    try:
        return {table: conn.execute(f"select {columns} from {table} order by 1, 2, 3").fetchall()
                for table, columns in DERIVED_COLUMNS.items()}
    finally:
        conn.close()


CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars")


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail("chromium is not installed but CI is set: run `make browser` (apt-get install chromium)")
    pytest.skip("chromium is not installed (apt-get install chromium, or `make browser`); CI would fail here")


def warc_records(data_dir: Path) -> list[tuple[str, str, int]]:
    """(file, WARC-Type, offset) of every response/revisit record in DIR/warc."""
    records = []
    for path in sorted((data_dir / "warc").glob("*.warc.gz")):
        with open(path, "rb") as stream:
            iterator = ArchiveIterator(stream)
            for record in iterator:
                if record.rec_type in ("response", "revisit"):
                    records.append((path.name, record.rec_type, iterator.get_record_offset()))
    return records


def served_world(tmp_path_factory, name: str):
    """Generate the sample portals (seed 2025) into a new folder and serve them on free
    127.0.0.1 ports until the generator is closed; for module fixtures to yield from."""
    root = tmp_path_factory.mktemp(name)
    generate_world(root)
    with SampleWorld(root) as running:
        yield running


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The sample portals served for one test module."""
    yield from served_world(tmp_path_factory, "world")


def run_ogi(*args: str) -> subprocess.CompletedProcess:
    """Run the `ogi` command as a user would, in a child process."""
    result = subprocess.run([sys.executable, "-m", "ogi.cli", *args], capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-4000:]
    return result


@pytest.fixture(scope="session")
def demo_archive(tmp_path_factory) -> Path:
    """A data folder made by `ogi demo --no-serve`: the README's first command, minus the server."""
    data_dir = tmp_path_factory.mktemp("demo")
    run_ogi("demo", "--data", str(data_dir), "--no-serve")
    return data_dir
