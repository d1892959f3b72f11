"""Word-processor files (.doc, Kingsoft .wps, .rtf) to DOCX with LibreOffice headless.

May touch: a temporary folder of its own (the input copy, the output, a private
LibreOffice profile) and a child process; nothing in DIR.

Why LibreOffice and why this way: it is the field's tool for the OLE Word binary that
both .doc and Kingsoft's .wps are, and its DOCX goes through the DOCX reader the other
forms use. One file per `soffice` process, with a profile of its own (a shared profile
is locked by the first instance and a second one silently converts nothing), in its own
session with a time limit: a file that makes it hang is killed with all its children and
the reason is recorded. `run_limited` is the runner archive.ocr uses too.
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

TIME_LIMIT = 120  # seconds for one file; a real report converts in 2-5 s
DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# The name the input is given: the extension LibreOffice's type detection starts from.
# Kingsoft .wps is the Word 97 binary; named .wps, LibreOffice would try Microsoft Works.
_INPUT_NAMES = {"doc": "input.doc", "wps": "input.doc", "rtf": "input.rtf"}


@dataclass
class Outcome:
    returncode: int | None
    stderr: str
    reason: str | None  # None when the command exited 0 in time


@dataclass
class Derived:
    """What a tool made of one payload: `data` (None when it failed) and why not."""

    data: bytes | None
    reason: str | None
    seconds: float
    tool: str  # name and version, as recorded on the conversion record
    content_type: str


def run_limited(command: list[str], limit: float, env: dict | None = None, cwd: str | None = None) -> Outcome:
    """Run a converter in its own session; at `limit` seconds kill its whole process group
    (LibreOffice forks soffice.bin, which a plain kill would leave running)."""
    try:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                   stdin=subprocess.DEVNULL, start_new_session=True, env=env, cwd=cwd)
    except OSError as error:
        return Outcome(None, "", f"could not start {command[0]}: {error.strerror or error}")
    try:
        _, stderr = process.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        process.communicate()
        return Outcome(None, "", f"killed at its time limit of {limit:g} s")
    finally:
        _kill_group(process)  # anything it left behind in its session
    text = (stderr or b"").decode("utf-8", "replace").strip()
    if process.returncode != 0:
        last = text.splitlines()[-1][:200] if text else ""
        return Outcome(process.returncode, text, f"exit status {process.returncode}" + (f": {last}" if last else ""))
    return Outcome(0, text, None)


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def soffice() -> str:
    """The LibreOffice command: $OGI_SOFFICE (tests point it at a stand-in), else soffice on PATH."""
    return os.environ.get("OGI_SOFFICE") or shutil.which("soffice") or "soffice"


def _profile_args(folder: Path) -> list[str]:
    return [f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless", "--norestore",
            "--nolockcheck", "--nodefault"]


def _env(folder: Path) -> dict:
    # HOME inside the folder: nothing of the user's is read or written.
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(folder), "LANG": "C.UTF-8",
            "SAL_USE_VCLPLUGIN": "svp"}


@functools.lru_cache(maxsize=4)
def tool_version(command: str | None = None) -> str:
    """'LibreOffice 7.4.7.2' (the first two words of `soffice --version`), as recorded."""
    command = command or soffice()
    with tempfile.TemporaryDirectory(prefix="ogi-soffice-") as folder:
        try:
            done = subprocess.run([command, *_profile_args(Path(folder)), "--version"], capture_output=True,
                                  timeout=60, env=_env(Path(folder)), start_new_session=True)
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"{Path(command).name} (version unknown: {type(error).__name__})"
    words = done.stdout.decode("utf-8", "replace").split()
    return " ".join(words[:2]) if len(words) >= 2 else Path(command).name


def to_docx(data: bytes, kind: str, time_limit: float = TIME_LIMIT) -> Derived:
    """Convert one .doc/.wps/.rtf payload to DOCX bytes; the reason when it cannot."""
    command = soffice()
    tool = tool_version(command)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="ogi-convert-") as name:
        folder = Path(name)
        source = folder / _INPUT_NAMES.get(kind, "input.doc")
        source.write_bytes(data)
        out = folder / "out"
        outcome = run_limited([command, *_profile_args(folder), "--convert-to", "docx:MS Word 2007 XML",
                               "--outdir", str(out), str(source)], time_limit, env=_env(folder), cwd=name)
        seconds = time.monotonic() - started
        result = out / (source.stem + ".docx")
        if outcome.reason:
            return Derived(None, f"{tool}: {outcome.reason}", seconds, tool, DOCX_CONTENT_TYPE)
        if not result.exists() or not result.stat().st_size:
            # soffice exits 0 when it could not load the file: it just writes nothing.
            detail = outcome.stderr.splitlines()[-1][:200] if outcome.stderr else "no output written"
            return Derived(None, f"{tool}: could not convert the {kind} file ({detail})", seconds, tool,
                           DOCX_CONTENT_TYPE)
        return Derived(result.read_bytes(), None, seconds, tool, DOCX_CONTENT_TYPE)
