"""Run one crawl: `crawl(data_dir, registry, settings)` in-process, or
`ogi crawl --data DIR [--registry FILE] [--local] [--set KEY=VALUE]` from cron.

May touch: DIR/crawl.lock (+ .guard, crawl.distributed), DIR/ogi.db, DIR/warc/, and in a
distributed run the Redis keys ogi:<run>:*. Twisted's reactor starts once per
process, so call `crawl()` once per process (tests run it in a subprocess).

Why the lock and the repair: a timer may fire while a slow run is still going (the lock
makes the second run exit non-zero at once), and a run may be killed (-9) mid-write; the
next run sets the torn/unindexed WARC tail aside in DIR/warc/quarantine/, then marks it
interrupted (archive.captures.recover_killed_runs; a repair killed midway is redone) and
starts a new WARC file. Nothing archived is lost: known report pages are asked again
conditionally, so what the killed run already stored comes back as "unchanged".
"""

from __future__ import annotations

import json
from pathlib import Path

from archive import captures
from archive.schema import open_db
from crawler import distributed
from crawler.distributed import CrawlLocked  # noqa: F401 - part of this module's interface
from crawler.ledger import BUSY_TIMEOUT_MS
from crawler.registry import load_registry

FINISHED_MARK_SECONDS = 7 * 86400  # a finished distributed run's name stays taken this long


def crawl(data_dir: Path, registry: list[dict] | Path | None = None, settings: dict | None = None,
          spider_cls=None) -> dict:
    """Crawl every portal of `registry` (default crawler/portals.json) into `data_dir`.

    When every portal is local (the sample world), crawler.settings.LOCAL_TEST_SETTINGS
    (no delays, no AutoThrottle) apply unless `settings` says otherwise. With
    OGI_REDIS_URL + OGI_DISTRIBUTED_RUN set, this process is one worker of a distributed
    run (crawler.distributed): same DIR, shared Redis queue and dupefilter.
    Returns the run summary: run_id, requests, bytes_received, new_captures, changed,
    unchanged, gone, errors, blocked, reports, attachments, lists, per_portal, status.
    Raises CrawlLocked when another run holds the lock. `spider_cls`: another spider on
    the same machinery (crawler.spiders.discover.DiscoverSpider for `ogi portals discover`).
    """
    from scrapy.crawler import CrawlerProcess

    from crawler.spiders.annual_reports import AnnualReportsSpider

    spider_cls = spider_cls or AnnualReportsSpider

    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    portals = load_registry(registry)
    scrapy_settings = build_settings(portals, settings)
    run = distributed.run_name(scrapy_settings)
    redis_url = scrapy_settings.get("OGI_REDIS_URL")

    def prepare_archive():  # the first (or only) process: nobody else writes DIR yet
        db = open_db(data_dir / "ogi.db")
        captures.recover_killed_runs(db, data_dir / "warc")
        db.conn.close()
        if run is not None:
            client = distributed.redis_client(redis_url)
            if client.exists(distributed.keys(run)["finished"]):
                raise distributed.CrawlLocked(f"distributed run {run!r} has already finished: "
                                              "start a new run under a new OGI_DISTRIBUTED_RUN name")
            distributed.clear_run(client, run)  # stale queue of a killed run

    def finish_distributed():  # the last worker out
        client = distributed.redis_client(redis_url)
        distributed.clear_run(client, run)
        client.set(distributed.keys(run)["finished"], 1, ex=FINISHED_MARK_SECONDS)

    lock = distributed.RunLock(data_dir)
    lock.acquire(run, on_first=prepare_archive)
    try:
        db = open_db(data_dir / "ogi.db")
        db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        captures.upsert_portals(db, portals)
        run_id = captures.start_run(db)
        db.conn.commit()
        db.conn.close()
        scrapy_settings.set("OGI_DATA_DIR", str(data_dir), priority="cmdline")
        scrapy_settings.set("OGI_REGISTRY", portals, priority="cmdline")
        scrapy_settings.set("OGI_RUN_ID", run_id, priority="cmdline")

        process = CrawlerProcess(scrapy_settings)
        crawler = process.create_crawler(spider_cls)
        process.crawl(crawler)
        process.start()
        if getattr(crawler, "ogi_storage_failure", None) is not None:
            raise crawler.ogi_storage_failure  # the run stays 'running': the next start repairs it
        summary = getattr(crawler, "ogi_summary", None)
        if summary is not None and hasattr(crawler.spider, "columns"):
            summary["columns"] = crawler.spider.columns  # a discovery run: what it found
        db = open_db(data_dir / "ogi.db")
        db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if summary is None:  # the spider never opened (bad settings): record the failure
            summary = {"run_id": run_id, "per_portal": {}}
            captures.finish_run(db, run_id, summary, "failed")
            db.conn.commit()
            db.conn.close()
            summary["status"] = "failed"
            return summary
        summary["status"] = db["crawl_runs"].get(run_id)["status"]
        db.conn.close()
        if run is not None:
            summary["distributed_run"] = run
        return summary
    finally:
        lock.release(on_last=finish_distributed if run is not None else None)


def update(data_dir: Path, registry: list[dict] | Path | None = None, settings: dict | None = None,
           wait: float = 0.0, **load_options) -> dict:
    """What a timer runs: crawl, then load (archive.load.load_archive with `load_options`),
    under one hold of DIR's write lock, so nothing else writes between the two and a reader
    of the published database sees the night's result at once. Returns {crawl, load, status}:
    status ok, or incomplete when the crawl did not finish or some captures were not loaded."""
    from archive.load import load_archive
    from archive.lock import write_lock
    from archive.runs import recorded

    with recorded(data_dir, "update") as run:
        with write_lock(data_dir, "update", wait):
            crawled = crawl(data_dir, registry, settings)
            loaded = load_archive(data_dir, **load_options)
        run.status = "ok" if crawled.get("status") == "finished" and not loaded["not_loaded"] else "incomplete"
        run.summary = {"crawl": one_line(crawled), "load": {k: loaded[k] for k in ("captures", "new_reports",
                                                                                    "errors", "not_loaded")}}
        return {"crawl": crawled, "load": loaded, "status": run.status}


def discover_portal(data_dir: Path, home_url: str, local: bool = False, settings: dict | None = None,
                    **fields) -> tuple[dict, dict]:
    """(registry entry, run summary) for the portal whose home page (or 政府信息公开 page) is
    `home_url`: its 年报 columns as start URLs, its family guessed from what the columns
    show. The pages it read are archived in `data_dir` like any crawl's."""
    from crawler import discover
    from crawler.spiders.discover import DiscoverSpider

    entry = discover.registry_entry(home_url, [], local, **fields)
    provisional = dict(entry, hosts=[discover.host_of(home_url, local)], start_urls=[home_url])
    summary = crawl(data_dir, [provisional], settings, spider_cls=DiscoverSpider)
    columns = summary.pop("columns", [])
    return discover.registry_entry(home_url, columns, local, **fields), summary


def build_settings(portals: list[dict], settings: dict | None):
    """crawler.settings, then per-portal delays, then local-world and caller overrides,
    then (when switched on) the distributed worker's share."""
    from scrapy.settings import Settings

    scrapy_settings = Settings()
    scrapy_settings.setmodule("crawler.settings", priority="project")
    slots = dict(scrapy_settings.getdict("DOWNLOAD_SLOTS"))
    for portal in portals:
        delay = portal.get("hints", {}).get("delay")
        if delay is not None:
            for host in portal["hosts"]:
                slots.setdefault(host.lower(), {})["delay"] = float(delay)
    scrapy_settings.set("DOWNLOAD_SLOTS", slots, priority="project")
    scrapy_settings.set("CONCURRENT_REQUESTS", concurrency_for(portals, scrapy_settings), priority="project")
    if portals and all(p.get("local") for p in portals):
        # only the offline sample portals: politeness toward 127.0.0.1 buys nothing
        from crawler.settings import LOCAL_TEST_SETTINGS

        for key, value in LOCAL_TEST_SETTINGS.items():
            scrapy_settings.set(key, value, priority="cmdline")
    for key, value in (settings or {}).items():
        scrapy_settings.set(key, value, priority="cmdline")
    run = distributed.run_name(scrapy_settings)
    if run is not None:
        share = distributed.distributed_settings(
            run, scrapy_settings.get("OGI_REDIS_URL"), scrapy_settings.getint("OGI_DISTRIBUTED_WORKERS", 2),
            scrapy_settings.getfloat("DOWNLOAD_DELAY"), scrapy_settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"))
        for key, value in share.items():
            scrapy_settings.set(key, value, priority="cmdline")
        workers = share["OGI_DISTRIBUTED_WORKERS"]
        scrapy_settings.set("DOWNLOAD_SLOTS", {host: dict(slot, delay=slot["delay"] * workers)
                                               for host, slot in slots.items() if "delay" in slot},
                            priority="cmdline")
    return scrapy_settings


def concurrency_for(portals: list[dict], settings) -> int:
    """Requests in flight at once: enough for every portal's own allowance, so that hosts
    answering after 20-30 s (or never) do not hold the fast ones back; at least the
    project's CONCURRENT_REQUESTS, at most OGI_MAX_CONCURRENT_REQUESTS (sockets and memory)."""
    hosts = sum(len(portal.get("hosts") or [None]) for portal in portals)
    wanted = hosts * settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
    return max(settings.getint("CONCURRENT_REQUESTS"), min(wanted, settings.getint("OGI_MAX_CONCURRENT_REQUESTS")))


def one_line(summary: dict) -> str:
    """The monitoring line; a figure the run never counted prints as `?`, not 0."""
    keys = ("requests", "bytes_received", "new_captures", "changed", "unchanged", "gone", "errors", "blocked")
    return f"crawl run {summary.get('run_id')} {summary.get('status')}: " + " ".join(
        f"{key}={'?' if summary.get(key) is None else summary[key]}" for key in keys)


def setting_value(text: str):
    """A setting given on the command line: JSON when it parses (numbers, booleans), else the string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text
