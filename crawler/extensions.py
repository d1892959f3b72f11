"""RunLedgerExtension: close the run's ledger when the spider closes, writing the
crawl_runs row (counts, per-portal JSON) and closing the WARC file.

May touch: DIR/ogi.db crawl_runs through the ledger.
"""

from scrapy import signals

from crawler.ledger import RunLedger


class RunLedgerExtension:
    def __init__(self, crawler):
        self.crawler = crawler
        self.summary = None

    @classmethod
    def from_crawler(cls, crawler):
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider, reason):
        status = "finished" if reason == "finished" else f"closed:{reason}"
        self.crawler.ogi_summary = RunLedger.of(self.crawler).close(status)
