"""The archive's write lock: one writer at a time on DIR (crawl, load, reindex, update).

May touch: DIR/crawl.lock (the same file the crawl's run lock holds, so a load never runs
beside a crawl or another load) and DIR/crawl.lock.owner (who holds it, for the message).

Why flock: a killed process never leaves a stale lock behind. Why re-entrant within one
process: `ogi update` holds the lock across its crawl and load, which each take it too.
"""

from __future__ import annotations

import fcntl
import os
import time
from contextlib import contextmanager
from pathlib import Path

LOCK_NAME = "crawl.lock"
_HELD: dict[str, int] = {}  # resolved DIR -> the fd this process holds the lock with


class ArchiveLocked(RuntimeError):
    """Another ogi command is writing the archive (CLI exit code 3)."""


def lock_path(data_dir: Path) -> Path:
    return Path(data_dir) / LOCK_NAME


def held_here(data_dir: Path) -> bool:
    """This process already holds DIR's write lock (inside `ogi update`)."""
    return str(Path(data_dir).resolve()) in _HELD


def holder(data_dir: Path) -> str:
    owner = Path(data_dir) / (LOCK_NAME + ".owner")
    try:
        return owner.read_text(encoding="utf-8").strip() or "another ogi command"
    except OSError:
        return "another ogi command"


@contextmanager
def write_lock(data_dir: Path, command: str, wait: float = 0.0):
    """Hold DIR's write lock for the block, waiting at most `wait` seconds for it."""
    data_dir = Path(data_dir)
    key = str(data_dir.resolve()) if data_dir.exists() else None
    if key in _HELD:
        yield
        return
    data_dir.mkdir(parents=True, exist_ok=True)
    key = str(data_dir.resolve())
    fd = os.open(lock_path(data_dir), os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + max(wait, 0.0)
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                waited = f" after waiting {wait:g} s" if wait else ""
                raise ArchiveLocked(f"{command}: {holder(data_dir)} is writing {data_dir}{waited} "
                                    f"(lock {lock_path(data_dir)})") from None
            time.sleep(0.2)
    _HELD[key] = fd
    owner = data_dir / (LOCK_NAME + ".owner")
    try:
        owner.write_text(f"ogi {command} (pid {os.getpid()})\n", encoding="utf-8")
        yield
    finally:
        owner.unlink(missing_ok=True)
        _HELD.pop(key, None)
        os.close(fd)
