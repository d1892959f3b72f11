"""Parsing ahead on every core: `ogi load --jobs N`.

The parsers are pure (bytes in, Report out), so the parse of the next captures can run in
worker processes while the one writer attributes captures in order. Nothing else moves:
the Loader still takes captures one by one, in capture order, each in its own
transaction, and decides sightings, versions and sources exactly as a one-process load
does; a parse made ahead is only used in place of the same call made inline. That is why
the result is the same database (ids, versions, cells, checks) whatever N is.

What stays in the writer's process: reading the WARC (captures may be revisits, resolved
through the index), the conversions (LibreOffice, OCR: archive.derive writes their WARC
records and rows), and any capture whose payload needs one. A worker only parses what
needs no tool; a worker that dies leaves the rest of the load to the writer.

May touch: nothing but memory and the worker processes it starts.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Callable, Iterable, Iterator

AHEAD_PER_JOB = 4  # captures read and queued per worker: enough to keep each one busy


def default_jobs() -> int:
    """One worker per core this process may use."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def parse_without_tools(parse: Callable, payload: bytes, url: str, content_type: str | None, tools: bool):
    """In a worker: the parse of a payload that needs no converter, or None when it needs
    one (the writer's Deriver finds or makes the conversion and parses it then)."""
    from archive.load import parse_capture

    if tools:
        from archive.derive import job_for

        if job_for(url, payload, content_type) is not None:
            return None
    return parse_capture(parse, payload, url, content_type)


class Ahead:
    """Captures in order, each with the parse made ahead for it (a Future) or None."""

    def __init__(self, parse: Callable, jobs: int, tools: bool):
        self.parse = parse
        self.jobs = jobs
        self.tools = tools
        self.pool: ProcessPoolExecutor | None = None
        self.used = 0  # parses made ahead and taken
        if jobs > 1:
            # fork (Linux): a spawned worker spends the first second of the load importing the
            # parsers, a tenth of a 400-report load's CPU. The pool forks all its workers at the
            # first submit, before its own thread starts and before any conversion runs; they
            # never touch the writer's SQLite connection or files they inherit, and leave by
            # os._exit, which flushes and closes nothing of the writer's.
            method = "fork" if sys.platform == "linux" else "spawn"
            self.pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context(method))

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None

    def walk(self, captures: Iterable, prepare: Callable) -> Iterator[tuple]:
        """(capture, prepared) in the captures' order; `prepare(capture)` gives the
        (response, payload, content_type) to parse, or None where no parse should be made
        ahead (a sighting, an unreadable record)."""
        if self.pool is None:
            for capture in captures:
                yield capture, None
            return
        window: deque = deque()
        pending = iter(captures)
        for capture in pending:
            window.append((capture, self._submit(capture, prepare)))
            if len(window) >= self.jobs * AHEAD_PER_JOB:
                break
        while window:
            yield window.popleft()
            following = next(pending, None)
            if following is not None:
                window.append((following, self._submit(following, prepare)))

    def _submit(self, capture, prepare: Callable):
        if self.pool is None:
            return None
        prepared = prepare(capture)
        if prepared is None:
            return None
        response, content_type = prepared
        try:
            future = self.pool.submit(parse_without_tools, self.parse, response.payload, capture["url"],
                                      content_type, self.tools)
        except BrokenProcessPool:
            self.close()
            return None
        return response, future

    def result(self, future: Future):
        """The parse made ahead, or None: it needs a tool, or its worker died (then every
        later capture is parsed by the writer). A parser's own exception is raised, as the
        same call made inline would raise it."""
        try:
            parsed = future.result()
        except BrokenProcessPool:
            self.close()
            return None
        self.used += parsed is not None
        return parsed
