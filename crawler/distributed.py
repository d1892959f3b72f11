"""Distributed crawling, a configuration switch: with OGI_REDIS_URL and OGI_DISTRIBUTED_RUN
set, N `ogi crawl` processes on one DIR share scrapy-redis's scheduler queue and dupefilter,
so each URL is fetched by one worker only. Nothing home-made schedules or deduplicates.

May touch: the Redis keys `ogi:<run>:*` and DIR/crawl.lock, DIR/crawl.lock.guard,
DIR/crawl.distributed (the run lock).

Why each piece:
- `distributed_settings`: the Scrapy settings the switch stands for (scrapy-redis scheduler
  and dupefilter under per-run keys, kept while workers come and go, and each worker's
  politeness cut to its share so N workers together stay within the per-host limits).
- `RunLock`: one DIR, one run at a time, but a distributed run is N processes. Plain runs
  hold DIR/crawl.lock exclusively (as before, and as `filelock` does); workers of a
  distributed run hold it shared, and DIR/crawl.distributed names their run, so a worker
  of another run, or a plain run, is refused (exit 3) while any worker is still going.
  The first worker (the one that found the lock free) alone repairs the archive and clears
  stale Redis keys; the last one to leave clears the run's keys and marks it finished, so a
  worker started after the run ended does not crawl it all again.
- `DistributedIdleExtension`: a worker with an empty queue stays up while another worker is
  still busy (it may push more requests), instead of quitting at start-up or mid-run.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import time
from contextlib import contextmanager
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import DontCloseSpider, NotConfigured

from archive import lock as archive_lock
from archive.lock import ArchiveLocked

logger = logging.getLogger(__name__)

KEY_PREFIX = "ogi:{run}:"
BUSY_SECONDS = 60  # a worker killed while busy stops holding the others up after this


class CrawlLocked(ArchiveLocked):
    """Another crawl holds DIR/crawl.lock."""


class DistributedConfigError(ValueError):
    """The distributed switch is half set (e.g. a Redis URL but no run name)."""


def run_name(settings) -> str | None:
    """The distributed run this process is a worker of, or None for a plain run."""
    url = settings.get("OGI_REDIS_URL")
    name = settings.get("OGI_DISTRIBUTED_RUN")
    if not url:
        if name:
            raise DistributedConfigError("OGI_DISTRIBUTED_RUN is set but OGI_REDIS_URL is not")
        return None
    if name is None or str(name).strip() == "":
        raise DistributedConfigError(
            "OGI_REDIS_URL is set: also set OGI_DISTRIBUTED_RUN to a name shared by the workers of this run "
            "(e.g. the date), so two separate runs are never merged")
    name = str(name).strip()
    if any(ch.isspace() or ch in ":*?[]" for ch in name):
        raise DistributedConfigError(f"OGI_DISTRIBUTED_RUN {name!r}: use letters, digits, '-', '_' or '.'")
    return name


def keys(run: str) -> dict[str, str]:
    prefix = KEY_PREFIX.format(run=run)
    return {"requests": prefix + "requests", "dupefilter": prefix + "dupefilter",
            "busy": prefix + "busy:", "finished": prefix + "finished"}


def distributed_settings(run: str, url: str, workers: int, delay: float, per_domain: int) -> dict:
    """Scrapy settings for one worker of distributed run `run`.

    Each worker enforces delay and concurrency per host on its own, so a worker takes a
    1/workers share: delay × workers, concurrency ÷ workers (at least 1). Together they
    stay at the configured rate per host on average.
    """
    workers = max(1, int(workers))
    names = keys(run)
    return {
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        "SCHEDULER_QUEUE_KEY": names["requests"],
        "SCHEDULER_DUPEFILTER_KEY": names["dupefilter"],
        # a worker closing must not wipe the queue the others still work on: RunLock's
        # last worker clears the keys instead
        "SCHEDULER_PERSIST": True,
        "REDIS_URL": url,
        "DOWNLOAD_DELAY": delay * workers,
        "CONCURRENT_REQUESTS_PER_DOMAIN": max(1, per_domain // workers),
        "OGI_DISTRIBUTED_WORKERS": workers,
    }


def redis_client(url: str):
    from scrapy_redis.connection import get_redis

    return get_redis(url=url, socket_timeout=30, socket_connect_timeout=10)


def clear_run(client, run: str) -> None:
    names = keys(run)
    client.delete(names["requests"], names["dupefilter"], names["finished"],
                  *client.scan_iter(names["busy"] + "*"))


class RunLock:
    """DIR/crawl.lock: exclusive for a plain run, shared by the workers of one distributed
    run (flock, so a killed process never leaves a stale lock behind)."""

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / "crawl.lock"
        self.run_file = self.data_dir / "crawl.distributed"
        self.fd: int | None = None
        self.borrowed = False  # this process already holds DIR's write lock (archive.lock)
        self.run: str | None = None

    def acquire(self, run: str | None = None, on_first=None) -> bool:
        """Take the lock; True when this process is the first (or only) holder, which then
        runs `on_first()` before any other worker may join. Raises CrawlLocked."""
        self.run = run
        if run is None and archive_lock.held_here(self.data_dir):  # inside `ogi update`: ours already
            self.borrowed = True
            if on_first is not None:
                on_first()
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        with self._guard():
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if run is None:
                    os.close(fd)
                    raise CrawlLocked(f"another crawl is running on {self.data_dir} (lock {self.path})") from None
                return self._join(fd, run)
            try:
                if on_first is not None:
                    on_first()
                if run is not None:
                    self.run_file.write_text(run + "\n", encoding="utf-8")
                    fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)  # let this run's workers in
            except BaseException:
                os.close(fd)
                raise
        self.fd = fd
        return True

    def _join(self, fd: int, run: str) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise CrawlLocked(f"another crawl is running on {self.data_dir} (lock {self.path})") from None
        holder = self.run_file.read_text(encoding="utf-8").strip() if self.run_file.exists() else None
        if holder != run:
            os.close(fd)
            raise CrawlLocked(f"distributed run {holder!r} is running on {self.data_dir}; "
                              f"this worker belongs to run {run!r}")
        self.fd = fd
        return False

    def release(self, on_last=None) -> bool:
        """Let go; True when no other worker still holds the lock (then `on_last()` ran)."""
        if self.borrowed:
            return True
        if self.fd is None:
            return False
        with self._guard():
            os.close(self.fd)  # closing drops this process's flock
            self.fd = None
            if self.run is None:
                return True
            probe = os.open(self.path, os.O_RDWR)
            try:
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(probe)
                return False
            try:
                if on_last is not None:
                    on_last()
                self.run_file.unlink(missing_ok=True)
            finally:
                os.close(probe)
            return True

    @contextmanager
    def _guard(self):
        """Serialises join/leave decisions of workers (held for milliseconds, or for the
        first worker's archive repair)."""
        fd = os.open(self.data_dir / "crawl.lock.guard", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)


class DistributedIdleExtension:
    """Keeps an idle worker up while another worker of its run is busy, and marks this
    worker busy (a Redis key with a TTL) while it has work in hand."""

    def __init__(self, crawler, client, run: str):
        self.crawler = crawler
        self.client = client
        self.names = keys(run)
        self.me = f"{socket.gethostname()}:{os.getpid()}"
        self.busy_until = 0.0  # when our busy key expires (refreshed while we work)

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        run = run_name(settings)
        if run is None:
            raise NotConfigured("not a distributed run")
        extension = cls(crawler, redis_client(settings.get("OGI_REDIS_URL")), run)
        crawler.signals.connect(extension.working, signal=signals.request_reached_downloader)
        crawler.signals.connect(extension.idle, signal=signals.spider_idle)
        crawler.signals.connect(extension.closed, signal=signals.spider_closed)
        return extension

    def working(self, request=None, spider=None):
        now = time.monotonic()
        if now > self.busy_until - BUSY_SECONDS / 2:  # one Redis write per half TTL, not per request
            self.client.set(self.names["busy"] + self.me, 1, ex=BUSY_SECONDS)
            self.busy_until = now + BUSY_SECONDS

    def idle(self, spider=None):
        if self.busy_until:
            self.busy_until = 0.0
            self.client.delete(self.names["busy"] + self.me)
        others = [key for key in self.client.scan_iter(self.names["busy"] + "*")]
        if others:
            raise DontCloseSpider  # they may still push requests onto the shared queue

    def closed(self, spider=None, reason=None):
        self.client.delete(self.names["busy"] + self.me)
