"""Runs of the archive's writing commands, as rows of `command_runs`: what `ogi status`
reads to show the last run of each command and how it ended.

May touch: DIR/ogi.db (command_runs only).

Why a row even for a refused run: a timer's `ogi load` that found the archive locked, or
died on a full disk, is exactly what a person checking the night wants to see.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from archive.lock import ArchiveLocked
from archive.schema import open_db

EXIT_CODES = {"ok": 0, "incomplete": 1, "failed": 1, "locked": 3}


@dataclass
class Run:
    status: str = "ok"
    summary: dict = field(default_factory=dict)
    detail: str | None = None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@contextmanager
def recorded(data_dir: Path, command: str):
    """Record the block as a run of `command`; the block sets run.summary and run.status.
    A lock refusal ends as `locked`, any other exception as `failed`; both re-raised."""
    db = open_db(Path(data_dir) / "ogi.db")
    try:
        with db.conn:
            run_id = db["command_runs"].insert({"command": command, "started_at": _now(), "status": "running"}).last_pk
        run = Run()
        try:
            yield run
        except ArchiveLocked as locked:
            run.status, run.detail = "locked", str(locked)
            raise
        except BaseException as exc:
            run.status, run.detail = "failed", f"{type(exc).__name__}: {exc}"
            raise
        finally:
            with db.conn:
                db["command_runs"].update(run_id, {
                    "finished_at": _now(), "status": run.status, "exit_code": EXIT_CODES.get(run.status, 1),
                    "summary": json.dumps(run.summary, ensure_ascii=False, default=str) if run.summary else None,
                    "detail": run.detail})
    finally:
        db.conn.close()


def last_runs(conn) -> dict:
    """{command: {started_at, finished_at, status, exit_code, detail}} of each command's last run."""
    rows = conn.execute(
        "select command, started_at, finished_at, status, exit_code, detail from command_runs"
        " where id in (select max(id) from command_runs group by command) order by command").fetchall()
    return {row[0]: dict(zip(("started_at", "finished_at", "status", "exit_code", "detail"), row[1:])) for row in rows}
