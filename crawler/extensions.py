"""RunLedgerExtension: owns the run's ledger. It builds it when the crawler is set up (so
the middlewares and the spider take it in their own `from_crawler`, see `ledger_of`) and
closes it when the spider closes, writing the crawl_runs row (counts, per-portal JSON) and
closing the WARC file.

May touch: DIR/ogi.db crawl_runs through the ledger.
"""

from scrapy import signals
from scrapy.utils.defer import deferred_from_coro

from crawler.ledger import RunLedger


class RunLedgerExtension:
    def __init__(self, crawler, ledger: RunLedger):
        self.crawler = crawler
        self.ledger = ledger

    @classmethod
    def from_crawler(cls, crawler):
        extension = cls(crawler, RunLedger.from_crawler(crawler))
        # Stop at the first write the disk refuses, so a record written but not indexed stays the tail.
        extension.ledger.on_storage_failure = lambda failure: deferred_from_coro(
            crawler.engine.close_spider_async(reason="storage_failed"))
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider, reason):
        status = "finished" if reason == "finished" else f"closed:{reason}"
        self.crawler.ogi_summary = self.ledger.close(status)
        self.crawler.ogi_storage_failure = self.ledger.storage_failure


def ledger_of(crawler) -> RunLedger:
    """The run's ledger, for a component's `from_crawler` (extensions are built first)."""
    extension = crawler.get_extension(RunLedgerExtension)
    if extension is None:
        raise RuntimeError("crawler.extensions.RunLedgerExtension is not enabled in EXTENSIONS")
    return extension.ledger
