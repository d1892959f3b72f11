"""The one spider: walk each registered portal's report columns and fetch every annual
report page and attachment. Which links count is decided by the portal's CMS family
(crawler/families.py) and the link rules (crawler/link_rules.json); archiving, conditional
requests and address safety are downloader middlewares, so this file only decides what to
fetch next.

Bounds (settings, so traps end): OGI_MAX_DEPTH sub-column levels below a start URL,
OGI_MAX_PAGES_PER_PORTAL requests per portal.
"""

from __future__ import annotations

from urllib.parse import urlsplit
from collections import Counter

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import (ConnectionRefusedError, DNSLookupError, TCPTimedOutError,
                                    TimeoutError)
from twisted.web._newclient import ResponseFailed

from crawler import discover, linkrules
from crawler.families import PageRequest, family_for
from crawler.extensions import ledger_of
from crawler.ledger import RunLedger
from crawler.registry import load_registry, on_portal
from parsers.charset import guess_encoding


LIST_PRIORITY = 10


class AnnualReportsSpider(scrapy.Spider):
    name = "annual_reports"

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.recheck_known, signal=signals.spider_idle)
        return spider

    def __init__(self, registry=None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rechecked = False
        self._registry_arg = registry
        self.budget: Counter = Counter()
        self.requested: set[tuple] = set()  # (method, url, body): no budget spent on repeats

    @property
    def ledger(self) -> RunLedger:
        # the spider is built before the extensions, so it looks the ledger up when used
        return ledger_of(self.crawler)

    async def start(self):
        for request in self.start_requests():
            yield request

    def start_requests(self):
        registry = self.ledger.registry
        if not registry:  # plain `scrapy crawl annual_reports` (not through crawler.run)
            from archive.captures import upsert_portals

            registry = self.ledger.registry = load_registry(self._registry_arg)
            upsert_portals(self.ledger.db, registry)
            self.ledger.db.conn.commit()
        for portal in registry:
            for url in portal["start_urls"]:
                request = self.make(portal["id"], url, "list", depth=0, callback=self.parse_list)
                if request is not None:
                    yield request

    # -- request making -----------------------------------------------------------------
    def portal(self, portal_id: str) -> dict:
        return next(p for p in self.ledger.registry if p["id"] == portal_id)

    def make(self, portal_id, url, kind, depth, callback, referrer=None, link_text=None,
             method="GET", formdata=None, dont_filter=False, root=None):
        portal = self.portal(portal_id)
        url = linkrules.canonical_url(url)  # one page, one identity: no session ids, no fragment
        if not on_portal(portal, url):
            return None
        key = (method, url, tuple(sorted(formdata or ())))
        if key in self.requested:
            return None
        self.requested.add(key)
        too_long = self.settings.getint("URLLENGTH_LIMIT", 2083)
        if too_long and len(url) > too_long:  # Scrapy would drop it with a log line: record it
            self.ledger.error(scrapy.Request(url, meta={"ogi_portal": portal_id}), "url_too_long",
                              f"a URL of {len(url)} characters (URLLENGTH_LIMIT={too_long}): not fetched;"
                              f" linked from {referrer}")
            return None
        limit = self.settings.getint("OGI_MAX_PAGES_PER_PORTAL", 2000)
        if self.budget[portal_id] >= limit:
            if self.budget[portal_id] == limit:
                self.budget[portal_id] += 1
                self.logger.warning("portal %s reached OGI_MAX_PAGES_PER_PORTAL=%d", portal_id, limit)
            return None
        self.budget[portal_id] += 1
        meta = {"ogi_portal": portal_id, "ogi_kind": kind, "ogi_depth": depth,
                "ogi_referrer": referrer, "ogi_link_text": link_text,
                "ogi_root": root,  # a platform unit's own 年报 column: its start URL
                # one download slot per host:port, known already when scheduling, so the
                # downloader-aware queue can interleave portals instead of starving them
                "download_slot": urlsplit(url).netloc.lower()}
        if kind == "report":
            meta["handle_httpstatus_list"] = [304]  # unchanged: walk the archived copy
        delay = portal.get("hints", {}).get("delay")
        if delay is not None:
            meta["download_delay"] = delay
        # list pages first: each one found early widens the host's queue, so its slot never
        # waits on discovery while the delay ticks (the run ends when the busiest host ends)
        priority = LIST_PRIORITY if kind == "list" else 0
        if method == "POST":
            return scrapy.FormRequest(url, formdata=dict(formdata or ()), callback=callback,
                                      errback=self.failed, meta=meta, dont_filter=dont_filter,
                                      priority=priority)
        return scrapy.Request(url, callback=callback, errback=self.failed, meta=meta,
                              dont_filter=dont_filter, priority=priority)

    # -- callbacks ----------------------------------------------------------------------
    def parse_list(self, response):
        if not hasattr(response, "text"):
            return
        meta = response.meta
        portal = self.portal(meta["ogi_portal"])
        family = family_for(portal.get("family"))
        root = meta.get("ogi_root")
        page = family.parse_list(response, portal["start_urls"] + ([root] if root else []),
                                 portal.get("hints", {}).get("list_selector"))
        if not (page.reports or page.next_pages or page.columns) and response.status == 200:
            # a list the page object reads nothing from: a layout it does not know, or a JS list
            self.ledger.error(response.request, "empty_list",
                              f"list page: the {portal.get('family') or 'generic'} page object found no report "
                              f"links, sub-columns or next pages", status=response.status,
                              capture_id=meta.get("ogi_capture_id"))
        depth = meta.get("ogi_depth", 0)
        max_depth = self.settings.getint("OGI_MAX_DEPTH", 4)
        for link in page.reports:
            if linkrules.attachment_extension(link.url):
                yield from self._one(portal, link.url, "attachment", depth, self.parse_attachment,
                                     response.url, link.text)
            else:
                yield from self._one(portal, link.url, "report", depth, self.parse_report,
                                     response.url, link.text)
        for nxt in page.next_pages:
            if isinstance(nxt, PageRequest):
                yield from self._one(portal, nxt.url, "list", depth, self.parse_list, response.url,
                                     None, method=nxt.method, formdata=nxt.formdata, root=root)
            else:
                yield from self._one(portal, nxt.url, "list", depth, self.parse_list, response.url, nxt.text,
                                     root=root)
        if depth < max_depth:
            for link in page.columns:
                yield from self._one(portal, link.url, "list", depth + 1, self.parse_list,
                                     response.url, link.text, root=root)
            for link in page.platforms:
                yield from self._one(portal, link.url, "list", depth + 1, self.parse_platform,
                                     response.url, link.text)

    def _one(self, portal, url, kind, depth, callback, referrer, text, method="GET", formdata=None, root=None):
        request = self.make(portal["id"], url, kind, depth, callback, referrer, text, method, formdata, root=root)
        if request is not None:
            yield request

    def parse_platform(self, response):
        """A 部门信息公开平台: its units' pages, at most OGI_MAX_PLATFORM_UNITS of them."""
        if not hasattr(response, "text"):
            return
        portal = self.portal(response.meta["ogi_portal"])
        limit = self.settings.getint("OGI_MAX_PLATFORM_UNITS", 300)
        units = [link for link in family_for(portal.get("family")).links(response)
                 if linkrules.is_unit_name(link.text) and on_portal(portal, link.url)]
        if len(units) > limit:
            self.logger.warning("platform %s lists %d units; following OGI_MAX_PLATFORM_UNITS=%d",
                                response.url, len(units), limit)
        for link in units[:limit]:
            yield from self._one(portal, link.url, "list", response.meta.get("ogi_depth", 0) + 1, self.parse_unit,
                                 response.url, link.text)

    def parse_unit(self, response):
        """A unit's own page on the platform: its 年报 column(s), crawled as a start URL is."""
        if not hasattr(response, "text"):
            return
        portal = self.portal(response.meta["ogi_portal"])
        links = family_for(portal.get("family")).links(response)
        found = discover.read_links(links, lambda url: on_portal(portal, url))
        for link in found.columns:
            yield from self._one(portal, link.url, "list", response.meta.get("ogi_depth", 0) + 1, self.parse_list,
                                 response.url, link.text, root=link.url)

    def parse_report(self, response):
        if response.status == 304:
            response = self.archived_copy(response)
        if response is None or not hasattr(response, "text"):
            return
        portal = self.portal(response.meta["ogi_portal"])
        for link in family_for(portal.get("family")).attachments(response):
            yield from self._one(portal, link.url, "attachment", response.meta.get("ogi_depth", 0),
                                 self.parse_attachment, response.url, link.text)

    def archived_copy(self, response):
        """The last archived body of a URL that answered 304, as a response to parse."""
        from archive.captures import last_capture, read_capture
        from scrapy.http import HtmlResponse

        previous = last_capture(self.ledger.db, response.url)
        if not previous:
            return None
        archived = read_capture(self.ledger.db, self.ledger.data_dir / "warc", previous)
        if not archived.payload:
            return None
        return HtmlResponse(response.url, body=archived.payload, request=response.request,
                            encoding=guess_encoding(archived.payload))

    def parse_attachment(self, response):
        return None  # archived by WarcArchiveMiddleware; parsing happens later from the WARC

    def recheck_known(self, spider=None):
        """Once the walk is done: ask (conditionally) for every report and attachment
        archived before that no list linked this time, so a report taken off its list
        and then deleted is still seen as "gone"."""
        if self.rechecked or not self.settings.getbool("OGI_RECHECK_UNLINKED", True):
            return
        self.rechecked = True
        portals = {p["id"]: p for p in self.ledger.registry}
        rows = self.ledger.db.execute(
            "select url, kind, portal_id, max(id) from captures where kind in ('report', 'attachment') "
            "group by url order by url").fetchall()
        requests = []
        for url, kind, portal_id, _ in rows:
            if portal_id not in portals or ("GET", url, ()) in self.requested:
                continue
            callback = self.parse_report if kind == "report" else self.parse_attachment
            request = self.make(portal_id, url, kind, 0, callback)
            if request is not None:
                requests.append(request)
        for request in requests:
            self.crawler.engine.crawl(request)
        if requests:
            raise DontCloseSpider

    # -- failures -----------------------------------------------------------------------
    def failed(self, failure):
        request = failure.request
        ledger = self.ledger
        outcome = request.meta.get("ogi_outcome")
        if request.meta.get("ogi_error_recorded"):
            return  # a component already wrote this request's errors row
        if failure.check(HttpError):
            response = failure.value.response
            if outcome in ("gone", "blocked", "unchanged") or request.meta.get("ogi_probe"):
                return  # recorded as such by the archive (a probe may miss), not an error
            ledger.error(request, "http_status", f"HTTP {response.status}", status=response.status,
                         capture_id=request.meta.get("ogi_capture_id"))
            yield from self.folder_fallbacks(request, response.status)
            return
        kind, reason = classify_failure(failure)
        if kind not in ("refused", "robots", "blocked") and not request.meta.get("ogi_capture_id"):
            ledger.failed_request(request)  # sent, but no response came back
        if kind == "blocked" or outcome == "blocked":
            return
        if kind == "refused":
            return  # PortalRoutingMiddleware wrote the row when it refused
        capture_id = request.meta.get("ogi_capture_id")
        if capture_id is not None:  # archived as received, then refused (a decompression bomb)
            ledger.mark_error(capture_id)
        ledger.error(request, kind, reason, capture_id=capture_id)


    def folder_fallbacks(self, request, status):
        """A start URL's folder answering 404: ask for its usual index files instead. Only
        a registry start URL is worth the guesses; a discovered column that 404s is gone."""
        meta = request.meta
        if status != 404 or meta.get("ogi_kind") != "list" or not request.url.endswith("/") \
                or meta.get("ogi_depth", 0) != 0 or meta.get("ogi_referrer"):
            return
        portal = self.portal(meta["ogi_portal"])
        for name in linkrules.directory_index_files():
            for probe in self._one(portal, request.url + name, "list", meta.get("ogi_depth", 0),
                                   self.parse_list, meta.get("ogi_referrer"), meta.get("ogi_link_text")):
                probe.meta["ogi_probe"] = True
                yield probe


def classify_failure(failure) -> tuple[str, str]:
    """(errors.kind, reason) for a request that ended without a usable response."""
    value = failure.value
    name = type(value).__name__
    text = f"{name}: {value}"
    if "Timeout" in name or "timeout" in str(value).lower():
        return "timeout", text
    if "DataLoss" in name:
        return "truncated", f"{name}: body ended before its announced Content-Length {value}".strip()
    if "Cancelled" in name and ("max size" in str(value) or "maxsize" in str(value).lower()):
        return "too_large", text
    if failure.check(TimeoutError, TCPTimedOutError):
        return "timeout", text
    if failure.check(DNSLookupError):
        return "dns", text
    if failure.check(ConnectionRefusedError):
        return "connection", text
    if failure.check(ResponseFailed):
        return "truncated", text
    if failure.check(IgnoreRequest):
        message = str(value)
        if type(value).__name__ == "RefusedRequest":
            return "refused", message
        if "robots.txt" in message:
            return "robots", message
        if "redirect" in message.lower():
            return "redirect_loop", message
        if "max size" in message.lower() or "larger than" in message.lower() or "maxsize" in message.lower():
            return "too_large", message
        if "blocked" in message:
            return "blocked", message
        return "ignored", message
    message = text.lower()
    if "maxsize" in message or "max size" in message or "larger than" in message or "cancelled" in message:
        return "too_large", text
    if "dataloss" in message or "data loss" in message or "truncat" in message:
        return "truncated", text
    return "fetch", text
