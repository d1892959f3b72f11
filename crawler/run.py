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
import os
import sys
from pathlib import Path

from archive import captures
from archive.schema import open_db
from crawler import distributed
from crawler.distributed import CrawlLocked  # noqa: F401 - part of this module's interface
from crawler.ledger import BUSY_TIMEOUT_MS
from crawler.registry import load_registry

FINISHED_MARK_SECONDS = 7 * 86400  # a finished distributed run's name stays taken this long


def crawl(data_dir: Path, registry: list[dict] | Path | None = None, settings: dict | None = None,
          spider_cls=None, jobs: int = 1) -> dict:
    """Crawl every portal of `registry` (default crawler/portals.json) into `data_dir`.

    When every portal is local (the sample world), crawler.settings.LOCAL_TEST_SETTINGS
    (no delays, no AutoThrottle) apply unless `settings` says otherwise. With
    OGI_REDIS_URL + OGI_DISTRIBUTED_RUN set, this process is one worker of a distributed
    run (crawler.distributed): same DIR, shared Redis queue and dupefilter.
    Returns the run summary: run_id, requests, bytes_received, new_captures, changed,
    unchanged, gone, errors, blocked, reports, attachments, lists, per_portal, status.
    Raises CrawlLocked when another run holds the lock. `spider_cls`: another spider on
    the same machinery (crawler.spiders.discover.DiscoverSpider for `ogi portals discover`).
    `jobs` > 1: that many crawler processes, each with a share of the portals
    (crawl_in_processes); one run, one summary, as if one process had crawled.
    """
    from crawler.spiders.annual_reports import AnnualReportsSpider

    if jobs > 1 and spider_cls is not None:
        raise ValueError("jobs > 1 runs the annual-reports spider only")
    spider_cls = spider_cls or AnnualReportsSpider

    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    portals = load_registry(registry)
    scrapy_settings = build_settings(portals, settings)
    run = distributed.run_name(scrapy_settings)
    redis_url = scrapy_settings.get("OGI_REDIS_URL")
    if run is not None and jobs > 1:
        raise distributed.DistributedConfigError("a distributed run's workers are processes already: start "
                                                 "more workers instead of --jobs")

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
        parts = split_portals(portals, jobs, portal_weights(data_dir)) if jobs > 1 else [portals]  # not distributed: refused above
        if len(parts) > 1:
            summary = crawl_in_processes(data_dir, parts, settings, run_id, lock.fd)
        else:
            set_run(scrapy_settings, data_dir, portals, run_id)
            summary = run_spider(scrapy_settings, spider_cls)
        db = open_db(data_dir / "ogi.db")
        db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if summary is None:  # the spider never opened (bad settings): record the failure
            summary = {"run_id": run_id, "per_portal": {}}
            captures.finish_run(db, run_id, summary, "failed")
            db.conn.commit()
            db.conn.close()
            summary["status"] = "failed"
            return summary
        if len(parts) > 1:  # the parts left the run's row to us
            captures.finish_run(db, run_id, summary, summary["status"])
            db.conn.commit()
        summary["status"] = db["crawl_runs"].get(run_id)["status"]
        db.conn.close()
        if run is not None:
            summary["distributed_run"] = run
        return summary
    finally:
        lock.release(on_last=finish_distributed if run is not None else None)


def set_run(scrapy_settings, data_dir: Path, portals: list[dict], run_id: int, part: bool = False) -> None:
    """What every process of one run shares: DIR, its portals, the run id. A `part` (one of
    crawl_in_processes' processes) leaves the crawl_runs row to the process that made it."""
    scrapy_settings.set("OGI_DATA_DIR", str(data_dir), priority="cmdline")
    scrapy_settings.set("OGI_REGISTRY", portals, priority="cmdline")
    scrapy_settings.set("OGI_RUN_ID", run_id, priority="cmdline")
    scrapy_settings.set("OGI_RUN_PART", part, priority="cmdline")


def run_spider(scrapy_settings, spider_cls) -> dict | None:
    """Run the spider in this process (once: Twisted's reactor does not restart); its
    summary, or None when it never opened. A storage failure is raised: the run stays
    'running' and the next start repairs it."""
    from scrapy.crawler import CrawlerProcess

    process = CrawlerProcess(scrapy_settings)
    crawler = process.create_crawler(spider_cls)
    process.crawl(crawler)
    process.start()
    if getattr(crawler, "ogi_storage_failure", None) is not None:
        raise crawler.ogi_storage_failure
    summary = getattr(crawler, "ogi_summary", None)
    if summary is not None and hasattr(crawler.spider, "columns"):
        summary["columns"] = crawler.spider.columns  # a discovery run: what it found
    return summary


# -- one run in several processes -------------------------------------------------------
def portal_weights(data_dir: Path, runs: int = 30) -> dict[str, int]:
    """Requests each portal took in the newest of the last `runs` finished runs that
    crawled it (crawl_runs.per_portal): what the next run of it will roughly cost."""
    db = open_db(data_dir / "ogi.db")
    try:
        weights: dict[str, int] = {}
        for (per_portal,) in db.execute("select per_portal from crawl_runs where status = 'finished' "
                                        "and per_portal is not null order by id desc limit ?", [runs]).fetchall():
            for portal_id, figures in json.loads(per_portal).items():
                weights.setdefault(portal_id, int(figures.get("requests") or 0))
        return weights
    finally:
        db.conn.close()


def split_portals(portals: list[dict], jobs: int, weights: dict[str, int]) -> list[list[dict]]:
    """`jobs` shares of `portals` of about equal cost (largest first, each to the lightest
    share). A portal never crawled before costs the median of the known ones. A portal is
    never split: its hosts' politeness is counted in one process."""
    known = sorted(weights[p["id"]] for p in portals if p["id"] in weights)
    unknown = known[len(known) // 2] if known else 1
    cost = {p["id"]: weights.get(p["id"], unknown) for p in portals}
    shares: list[list[dict]] = [[] for _ in range(max(1, min(jobs, len(portals))))]
    totals = [0] * len(shares)
    for portal in sorted(portals, key=lambda p: (-cost[p["id"]], p["id"])):
        lightest = totals.index(min(totals))
        shares[lightest].append(portal)
        totals[lightest] += cost[portal["id"]]
    return [share for share in shares if share]


def merge_summaries(run_id: int, parts: list[dict]) -> dict:
    """The parts' summaries as one run's: counters added, per-portal figures side by side
    (each portal was crawled by one part), the first status that is not "finished"."""
    from crawler.ledger import COUNTERS

    merged: dict = {key: sum(part.get(key, 0) for part in parts) for key in COUNTERS}
    merged["run_id"] = run_id
    per_portal: dict = {}
    for part in parts:
        per_portal.update(part.get("per_portal", {}))
    merged["per_portal"] = {pid: per_portal[pid] for pid in sorted(per_portal)}
    merged["status"] = next((part["status"] for part in parts if part["status"] != "finished"), "finished")
    return merged


class CrawlPartFailed(RuntimeError):
    """A process of a run in parts ended without its summary (killed, or its disk failed).
    The run stays 'running': the next start repairs it, as it does a killed run's."""


def crawl_in_processes(data_dir: Path, parts: list[list[dict]], settings: dict | None, run_id: int,
                       lock_fd: int | None = None) -> dict | None:
    """Crawl each share of the portals in a process of its own, all under this process's
    lock and run id, each writing its own WARC files and its own rows into DIR/ogi.db.

    Why: one Scrapy process spends its one core on every response (WARC record, index row,
    link reading); past ~150 pages/s the engine, not the portals' politeness, is the limit.
    SIGINT and SIGTERM sent to this process reach every part once (a part is in its own
    process group, so a terminal's Ctrl-C is not delivered twice, which Scrapy reads as
    "stop now"); a part whose parent dies is sent SIGTERM, and holds DIR/crawl.lock (`lock_fd`,
    shared with it) until it has stopped, so no new run starts beside it."""
    import multiprocessing
    import signal
    from multiprocessing.reduction import DupFd

    # fork while no reactor is installed here: each part installs its own, and starts with
    # Scrapy already imported (a spawned part spends ~0.5 s of the crawl importing it). A
    # forked part holds the lock through the descriptor it inherits; a spawned one is sent it.
    forked = sys.platform == "linux" and "twisted.internet.reactor" not in sys.modules
    context = multiprocessing.get_context("fork" if forked else "spawn")
    for stream in (sys.stdout, sys.stderr):  # or a forked part would print their buffers again
        stream.flush()
    children = []
    for share in parts:
        receiver, sender = context.Pipe(duplex=False)
        held = None if lock_fd is None or forked else DupFd(lock_fd)
        child = context.Process(target=_crawl_part, args=(sender, str(data_dir), share, settings or {}, run_id, held),
                                name=f"ogi-crawl-part-{len(children) + 1}")
        child.start()
        sender.close()
        children.append((child, receiver))

    def forward(signum, frame):
        for child, _ in children:
            if child.is_alive():
                os.kill(child.pid, signum)

    previous = {signum: signal.signal(signum, forward) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        results = []
        for child, receiver in children:
            try:
                results.append(receiver.recv())
            except EOFError:
                results.append(("failed", f"{child.name} ended without a summary"))
            child.join()
            if results[-1][0] == "failed" and child.exitcode:
                results[-1] = ("failed", f"{results[-1][1]} (exit code {child.exitcode})")
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    failures = [detail for outcome, detail in results if outcome == "failed"]
    if failures:
        raise CrawlPartFailed("; ".join(failures))
    summaries = [detail for _, detail in results if detail is not None]
    return merge_summaries(run_id, summaries) if summaries else None


def _crawl_part(sender, data_dir: str, portals: list[dict], settings: dict, run_id: int, lock=None) -> None:
    """The body of one part's process: ("done", summary or None) or ("failed", why) down the pipe.
    `lock`: the parent's DIR/crawl.lock sent to a spawned part, kept open (so held) until
    this process ends (a forked part has it open already)."""
    import ctypes
    import signal

    from crawler.spiders.annual_reports import AnnualReportsSpider

    held = lock.detach() if lock is not None else None  # noqa: F841 - open until the process ends
    os.setpgrp()
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG: end with the parent (Linux)
    except (OSError, AttributeError):
        pass
    try:
        scrapy_settings = build_settings(portals, settings)
        set_run(scrapy_settings, Path(data_dir), portals, run_id, part=True)
        sender.send(("done", run_spider(scrapy_settings, AnnualReportsSpider)))
    except BaseException as failure:  # noqa: BLE001 - told to the parent, which raises it
        sender.send(("failed", f"{type(failure).__name__}: {failure}"))
    finally:
        sender.close()


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
