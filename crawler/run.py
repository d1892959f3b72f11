"""Run one crawl: `crawl(data_dir, registry, settings)` in-process, or
`ogi crawl --data DIR [--registry FILE] [--local] [--set KEY=VALUE]` from cron.

May touch: DIR/crawl.lock, DIR/ogi.db, DIR/warc/. Twisted's reactor starts once per
process, so call `crawl()` once per process (tests run it in a subprocess).

Why the lock and the repair: a timer may fire while a slow run is still going (the lock
makes the second run exit non-zero at once), and a run may be killed (-9) mid-write; the
next run marks it interrupted, sets the torn/unindexed WARC tail aside in DIR/warc/quarantine/ (archive.captures.repair_warcs)
and starts a new WARC file. Nothing archived is lost: known report pages are asked again
conditionally, so what the killed run already stored comes back as "unchanged".
"""

from __future__ import annotations

import json
from pathlib import Path

from filelock import FileLock, Timeout

from archive import captures
from archive.schema import open_db
from crawler.registry import load_registry


class CrawlLocked(RuntimeError):
    """Another crawl holds DIR/crawl.lock."""


def crawl(data_dir: Path, registry: list[dict] | Path | None = None, settings: dict | None = None) -> dict:
    """Crawl every portal of `registry` (default crawler/portals.json) into `data_dir`.

    When every portal is local (the sample world), crawler.settings.LOCAL_TEST_SETTINGS
    (no delays, no AutoThrottle) apply unless `settings` says otherwise.
    Returns the run summary: run_id, requests, bytes_received, new_captures, changed,
    unchanged, gone, errors, blocked, reports, attachments, lists, per_portal, status.
    Raises CrawlLocked when another run holds the lock.
    """
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    from crawler.spiders.annual_reports import AnnualReportsSpider

    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(data_dir / "crawl.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise CrawlLocked(f"another crawl is running on {data_dir} (lock {data_dir / 'crawl.lock'})") from None
    try:
        portals = load_registry(registry)
        db = open_db(data_dir / "ogi.db")
        interrupted_since = captures.mark_interrupted_runs_since(db)
        captures.repair_warcs(db, data_dir / "warc", interrupted_since)
        captures.upsert_portals(db, portals)
        run_id = captures.start_run(db)
        db.conn.commit()
        db.conn.close()

        scrapy_settings = Settings()
        scrapy_settings.setmodule("crawler.settings", priority="project")
        slots = dict(scrapy_settings.getdict("DOWNLOAD_SLOTS"))
        for portal in portals:
            delay = portal.get("hints", {}).get("delay")
            if delay is not None:
                for host in portal["hosts"]:
                    slots.setdefault(host.lower(), {})["delay"] = float(delay)
        scrapy_settings.set("DOWNLOAD_SLOTS", slots, priority="project")
        if portals and all(p.get("local") for p in portals):
            # only the offline sample portals: politeness toward 127.0.0.1 buys nothing
            from crawler.settings import LOCAL_TEST_SETTINGS

            for key, value in LOCAL_TEST_SETTINGS.items():
                scrapy_settings.set(key, value, priority="cmdline")
        for key, value in (settings or {}).items():
            scrapy_settings.set(key, value, priority="cmdline")
        scrapy_settings.set("OGI_DATA_DIR", str(data_dir), priority="cmdline")
        scrapy_settings.set("OGI_REGISTRY", portals, priority="cmdline")
        scrapy_settings.set("OGI_RUN_ID", run_id, priority="cmdline")

        process = CrawlerProcess(scrapy_settings)
        crawler = process.create_crawler(AnnualReportsSpider)
        process.crawl(crawler)
        process.start()
        summary = getattr(crawler, "ogi_summary", None)
        if summary is None:  # the spider never opened (bad settings): record the failure
            db = open_db(data_dir / "ogi.db")
            summary = {"run_id": run_id, "per_portal": {}}
            captures.finish_run(db, run_id, summary, "failed")
            db.conn.close()
            summary["status"] = "failed"
            return summary
        db = open_db(data_dir / "ogi.db")
        summary["status"] = db["crawl_runs"].get(run_id)["status"]
        db.conn.close()
        return summary
    finally:
        lock.release()


def one_line(summary: dict) -> str:
    keys = ("requests", "bytes_received", "new_captures", "changed", "unchanged", "gone", "errors", "blocked")
    return f"crawl run {summary.get('run_id')} {summary.get('status')}: " + " ".join(
        f"{key}={summary.get(key, 0)}" for key in keys)


def setting_value(text: str):
    """A setting given on the command line: JSON when it parses (numbers, booleans), else the string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text
