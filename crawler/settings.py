"""Scrapy settings of the ogi-archive crawler: polite by default, every knob overridable
(`crawler.run.crawl(settings={...})`, `ogi crawl --set KEY=VALUE`).

Our components and why they sit where they do (process_response runs from high to low):
  WarcArchive 595 -> HttpCompression 590 -> encoding 583
    -> MetaRefresh/Redirect 580 -> RetryAfter 550
so the archive keeps each body as it came over the wire (gzip stays gzip, as archivists
expect; a decompression bomb is archived before HttpCompression refuses it), the crawler
sees decoded bodies, every redirect hop and retry attempt is recorded (the ledger reads a
gzipped anti-bot page decoded to recognise it); the encoding is settled before MetaRefresh reads the text (else Scrapy guesses each undeclared
GBK page with charset_normalizer, ~7 ms of reactor time a page).
"""

import os

BOT_NAME = "ogi-archive"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# Politeness
# An honest User-Agent names who runs the crawl: deployments set OGI_CONTACT_URL to their
# own page or mailto: address, so a portal's webmaster can reach a person.
OGI_CONTACT_URL = os.environ.get("OGI_CONTACT_URL", "https://github.com/ogi-archive/ogi-archive")
USER_AGENT = f"ogi-archive/0.1 (+{OGI_CONTACT_URL}; archiving government open-information annual reports)"
ROBOTSTXT_OBEY = True
# Only gzip and deflate, which every WARC reader decodes (warcio's br breaks on brotli 1.2;
# it and pywb have no zstd): Scrapy would offer br and zstd when their libraries are
# installed. A server that sends them unasked is still archived as sent and loaded
# (archive.warc.decode_payload reads both).
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5",
    "Accept-Encoding": "gzip, deflate",
}
CONCURRENT_REQUESTS = 16  # at least; crawler.run.concurrency_for raises it with the number of portals
OGI_MAX_CONCURRENT_REQUESTS = 512  # ... up to this many requests in flight
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 2.0
DOWNLOAD_DELAY_JITTER = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
OGI_THROTTLE_LATENCY_WEIGHT = 0.3  # crawler.throttle: how fast a host's mean latency follows it
DOWNLOAD_TIMEOUT = 45  # slow first bytes of 19-31 s are common on county portals
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
OGI_RETRY_AFTER_MAX = 300.0
REDIRECT_MAX_TIMES = 10
DOWNLOAD_MAXSIZE = 64 * 1024 * 1024
DOWNLOAD_WARNSIZE = 16 * 1024 * 1024
DOWNLOAD_FAIL_ON_DATALOSS = True
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
# Scrapy >= 2.19 starts an HTTP code-execution console and writes job files under $HOME by
# default: a crawler run from cron wants neither (and it costs start-up time).
REMOTE_CONTROL_ENABLED = False
LOG_LEVEL = "INFO"
# The spider yields requests, never items: Scrapy starts CONCURRENT_ITEMS asyncio tasks per
# callback output (100 by default), a few ms of reactor time per page for nothing.
CONCURRENT_ITEMS = 4
# Many portals at once: hand the downloader requests of idle hosts first (broad-crawl queue).
SCHEDULER_PRIORITY_QUEUE = "scrapy.pqueues.DownloaderAwarePriorityQueue"

DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.PortalRoutingMiddleware": 50,
    "crawler.middlewares.PrivateAddressMiddleware": 55,
    "crawler.middlewares.ConditionalRequestMiddleware": 60,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.RetryAfterMiddleware": 550,
    "crawler.middlewares.RobotsServerErrorMiddleware": 560,  # below the archive: the WARC keeps the 5xx
    "crawler.middlewares.ChineseEncodingMiddleware": 583,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": 580,
    "crawler.middlewares.WarcArchiveMiddleware": 595,  # below HttpCompression (590): wire bytes
}
EXTENSIONS = {
    # AutoThrottle's settings, its mean-latency policy (crawler/throttle.py says why)
    "scrapy.extensions.throttle.AutoThrottle": None,
    "crawler.throttle.MeanLatencyThrottle": 0,
    "crawler.extensions.RunLedgerExtension": 500,
    "crawler.distributed.DistributedIdleExtension": 510,  # off unless OGI_REDIS_URL is set
}

# ogi-archive
OGI_DATA_DIR = "data"
OGI_REGISTRY = None  # list of portal entries; crawler.run fills it
OGI_RUN_ID = None
OGI_RUN_PART = False  # crawler.run.crawl_in_processes: one of a run's processes
OGI_MAX_DEPTH = 4  # sub-column levels below a start URL
OGI_MAX_PAGES_PER_PORTAL = 2000  # requests per portal per run
OGI_MAX_PLATFORM_UNITS = 300  # units followed on one 部门/乡镇信息公开平台 page
OGI_WARC_MAX_BYTES = 100_000_000
OGI_WARC_FSYNC = False  # True: fsync each record before its captures row (survives power loss)
OGI_CONDITIONAL_REQUESTS = True
OGI_DNS_TIMEOUT = 10.0  # seconds to resolve a public portal host before refusing it
OGI_RECHECK_UNLINKED = True  # at the end of a run, re-ask archived reports no list linked

# Distributed crawling (crawler/distributed.py; needs the `distributed` extra, scrapy-redis):
# N `ogi crawl` workers on one DIR share a Redis scheduler queue and dupefilter. Set both
# the Redis URL and a run name the workers share (a new name per run, e.g. the date).
OGI_REDIS_URL = os.environ.get("OGI_REDIS_URL") or None
OGI_DISTRIBUTED_RUN = os.environ.get("OGI_DISTRIBUTED_RUN") or None
OGI_DISTRIBUTED_WORKERS = 2  # each worker takes 1/N of the per-host delay/concurrency budget

# Settings for the offline sample portals on 127.0.0.1 (tests, benchmarks, demo).
LOCAL_TEST_SETTINGS = {
    "DOWNLOAD_DELAY": 0,
    "DOWNLOAD_DELAY_JITTER": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 4,
    "CONCURRENT_REQUESTS": 32,
    "DOWNLOAD_TIMEOUT": 5,
    "RETRY_TIMES": 1,
    "OGI_RETRY_AFTER_MAX": 2.0,
    "LOG_LEVEL": "WARNING",
}
