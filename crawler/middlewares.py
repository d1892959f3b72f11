"""Downloader middlewares, one job each, ordered in crawler/settings.py.

- PortalRoutingMiddleware: per-portal slot (host:port), proxy from hints; refuses requests
  (redirect targets included) that leave the portal or point at loopback/private addresses.
- PrivateAddressMiddleware: resolves each public portal host once and refuses names that
  resolve to loopback/private/link-local addresses (a resolution failure is an errors row).
- ConditionalRequestMiddleware: If-None-Match / If-Modified-Since for known reports and
  attachments (list pages are always fetched whole).
- WarcArchiveMiddleware: every response, whatever its status, becomes a WARC record and a
  captures row (through crawler.ledger.RunLedger) before anything else looks at it, with
  its body as received (still compressed: it sits below HttpCompression).
- RetryAfterMiddleware: Scrapy's retry, plus waiting out 429/503 `Retry-After`.
- ChineseEncodingMiddleware: undeclared or wrongly declared GBK pages decoded as GB18030.

May touch: requests/responses in flight; the archive through the ledger.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from email.utils import parsedate_to_datetime
from datetime import datetime, timezone
from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, TextResponse
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import task

from crawler.extensions import ledger_of
from crawler.ledger import STORAGE_ERRORS, RunLedger
from parsers import charset
from parsers.charset import guess_encoding
from crawler.registry import on_portal, portal_for_url

logger = logging.getLogger(__name__)


class RefusedRequest(IgnoreRequest):
    """A request the crawler will not send (off the portal, or to a private address)."""


def is_private_host(host: str | None) -> bool:
    """A host that is private by its spelling alone (an IP literal, or a localhost name);
    names that only resolve to a private address are PrivateAddressMiddleware's job."""
    if not host:
        return True
    name = host.lower().rstrip(".")  # "localhost." is localhost too
    if name in ("localhost", "localhost.localdomain") or name.endswith(".localhost"):
        return True
    return is_private_address(host.strip("[]"))


def is_private_address(text: str) -> bool:
    """True for loopback, private, link-local, reserved, unspecified and multicast IPs
    (an IPv4-mapped IPv6 address is judged by its IPv4 part)."""
    try:
        address = ipaddress.ip_address(text.split("%")[0])  # drop an IPv6 zone (fe80::1%eth0)
    except ValueError:
        return False
    if getattr(address, "ipv4_mapped", None):
        address = address.ipv4_mapped
    return (address.is_loopback or address.is_private or address.is_link_local
            or address.is_reserved or address.is_unspecified or address.is_multicast)


def resolve_addresses(host: str, port: int | None = None) -> list[str]:
    """Every address `host` resolves to (the system resolver, as the download will use)."""
    infos = socket.getaddrinfo(host, port or 80, type=socket.SOCK_STREAM)
    return sorted({info[4][0] for info in infos})


class PortalRoutingMiddleware:
    def __init__(self, ledger: RunLedger):
        self.ledger = ledger

    @classmethod
    def from_crawler(cls, crawler):
        return cls(ledger_of(crawler))

    def process_request(self, request, spider=None):
        ledger = self.ledger
        portal_id = request.meta.get("ogi_portal")
        portal = next((p for p in ledger.registry if p["id"] == portal_id), None) if portal_id else None
        if portal is None:
            portal = portal_for_url(ledger.registry, request.url)
        if portal is None:
            ledger.error(request, "refused", "host is on no registered portal")
            raise RefusedRequest(f"refused: {request.url} is on no registered portal")
        if not on_portal(portal, request.url):
            ledger.error(request, "refused", f"off portal {portal['id']} (redirect or link to another host)")
            raise RefusedRequest(f"refused: {request.url} leaves portal {portal['id']}")
        host = urlsplit(request.url).hostname
        if is_private_host(host) and not portal.get("local"):
            ledger.error(request, "refused", f"private or loopback address {host} for a public portal")
            raise RefusedRequest(f"refused: {request.url} is a private address")
        request.meta.setdefault("ogi_portal", portal["id"])
        request.meta.setdefault("download_slot", urlsplit(request.url).netloc.lower())
        proxy = portal.get("hints", {}).get("proxy")
        if proxy and "proxy" not in request.meta:
            request.meta["proxy"] = proxy
        return None


class PrivateAddressMiddleware:
    """Refuse a public portal's request whose host name resolves to a loopback, private or
    link-local address (a public-looking name pointing into our own network, e.g. through a
    redirect). Runs after PortalRoutingMiddleware, which already refused IP literals.

    Each host is resolved once per run, in a thread (never blocking the reactor), with
    OGI_DNS_TIMEOUT seconds; a host that does not resolve is an errors row of kind "dns"
    and its requests are not sent. Portals marked "local" are exempt, and so are requests
    sent through a portal's proxy hint (the proxy resolves the name, not us).
    """

    def __init__(self, ledger: RunLedger, lookup=None, timeout: float = 10.0):
        self.ledger = ledger
        self.lookup = lookup or self.resolve_in_thread  # async (host, port) -> addresses
        self.timeout = timeout
        self.verdicts: dict[str, str | None] = {}  # host -> why refused (None: allowed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(ledger_of(crawler), timeout=crawler.settings.getfloat("OGI_DNS_TIMEOUT", 10.0))

    async def process_request(self, request, spider=None):
        ledger = self.ledger
        portal_id = request.meta.get("ogi_portal")
        portal = next((p for p in ledger.registry if p["id"] == portal_id), None)
        if portal is None or portal.get("local") or request.meta.get("proxy"):
            return None  # through a proxy, the proxy resolves (IP literals were refused already)
        parts = urlsplit(request.url)
        host = (parts.hostname or "").lower()
        if host not in self.verdicts:
            self.verdicts[host] = await self._verdict(host, parts.port)
        reason = self.verdicts[host]
        if reason is not None:
            kind = "dns" if reason.startswith("does not resolve") else "refused"
            ledger.error(request, kind, f"{host} {reason}")
            raise RefusedRequest(f"refused: {request.url}: {host} {reason}")
        return None

    async def resolve_in_thread(self, host: str, port: int | None) -> list[str]:
        from twisted.internet import reactor
        from twisted.internet.threads import deferToThread

        lookup = deferToThread(resolve_addresses, host, port)
        lookup.addTimeout(self.timeout, reactor)
        return await maybe_deferred_to_future(lookup)

    async def _verdict(self, host: str, port: int | None) -> str | None:
        if is_private_host(host):
            return "is a private address"
        try:
            addresses = await self.lookup(host, port)
        except Exception as failure:  # noqa: BLE001 - any resolver failure is a "dns" row
            return f"does not resolve ({type(failure).__name__}: {failure})"[:300]
        if not addresses:
            return "does not resolve (no address)"
        private = [address for address in addresses if is_private_address(address)]
        if private:
            return f"resolves to private or loopback address {', '.join(private)}"
        return None


class ConditionalRequestMiddleware:
    CONDITIONAL_KINDS = ("report", "attachment")

    def __init__(self, ledger: RunLedger, enabled: bool = True):
        self.ledger = ledger
        self.enabled = enabled

    @classmethod
    def from_crawler(cls, crawler):
        return cls(ledger_of(crawler), crawler.settings.getbool("OGI_CONDITIONAL_REQUESTS", True))

    def process_request(self, request, spider=None):
        if not self.enabled or request.meta.get("ogi_kind") not in self.CONDITIONAL_KINDS:
            return None
        if b"If-None-Match" in request.headers or b"If-Modified-Since" in request.headers:
            return None
        from archive.captures import last_capture

        previous = last_capture(self.ledger.db, request.url)
        if previous:
            if previous.get("etag"):
                request.headers["If-None-Match"] = previous["etag"]
            if previous.get("last_modified"):
                request.headers["If-Modified-Since"] = previous["last_modified"]
        return None


class WarcArchiveMiddleware:
    """Sits between the downloader and HttpCompression (below it: bodies arrive as they came
    over the wire, still gzipped if the server gzipped) and below Redirect/Retry (every
    redirect hop and retry attempt is archived).

    Why below HttpCompression: archivists expect the payload as received (pywb and warcio
    decode on read), the stored digest is then the wire's, and a decompression bomb that
    HttpCompression refuses (IgnoreRequest, an errors row "too_large") has already been
    archived as the few compressed bytes it was. Bodies the downloader refused outright
    (DOWNLOAD_MAXSIZE on the wire) never reach here: they are errors rows only, as before.
    """

    def __init__(self, ledger: RunLedger):
        self.ledger = ledger

    @classmethod
    def from_crawler(cls, crawler):
        return cls(ledger_of(crawler))

    def process_response(self, request, response, spider=None):
        if self.ledger.storage_failure is not None:
            raise IgnoreRequest(f"not archived, the archive's disk failed: {request.url}")
        try:
            row = self.ledger.archive(request, response)
        except STORAGE_ERRORS as failure:  # the ledger has stopped the run
            raise IgnoreRequest(f"not archived, the archive's disk failed: {request.url}") from failure
        request.meta["ogi_outcome"] = row["outcome"]
        request.meta["ogi_capture_id"] = row["id"]
        if row["outcome"] == "blocked" and 200 <= response.status < 300:
            raise IgnoreRequest(f"blocked by anti-bot challenge: {request.url}")
        if row["outcome"] == "redirect_loop":
            raise IgnoreRequest(f"redirect loop at {request.url}")
        return response


class RetryAfterMiddleware(RetryMiddleware):
    """Retry as Scrapy does; for 429/503 first wait what `Retry-After` asks (capped by
    OGI_RETRY_AFTER_MAX seconds) and slow the host's download slot to match — for that
    long only: then the slot's own delay returns (one 429 must not slow a portal for the
    rest of the run)."""

    def __init__(self, settings, clock=None):
        super().__init__(settings)
        self.max_wait = settings.getfloat("OGI_RETRY_AFTER_MAX", 300.0)
        self.crawler = None
        self.clock = clock  # twisted's reactor unless a test gives a task.Clock
        self._normal: dict[str, float] = {}  # slot -> its delay before a Retry-After
        self._until: dict[str, float] = {}  # slot -> when the longest Retry-After ends

    @classmethod
    def from_crawler(cls, crawler):
        middleware = cls(crawler.settings)
        middleware.crawler = crawler
        return middleware

    async def process_response(self, request, response, spider=None):
        if response.status in (429, 503) and not request.meta.get("dont_retry"):
            wait = retry_after_seconds(response.headers.get("Retry-After"))
            if wait:
                wait = min(wait, self.max_wait)
                self._slow_slot(request, wait)
                from twisted.internet import reactor

                await maybe_deferred_to_future(task.deferLater(reactor, wait, lambda: None))
        return super().process_response(request, response)

    def _clock(self):
        if self.clock is None:
            from twisted.internet import reactor

            self.clock = reactor
        return self.clock

    def _slots(self) -> dict:
        try:
            return self.crawler.engine.downloader.slots
        except AttributeError:  # engine gone (shutting down): nothing to slow
            return {}

    def _slow_slot(self, request, wait: float) -> None:
        key = request.meta.get("download_slot")
        slot = self._slots().get(key)
        if slot is None:
            return
        clock = self._clock()
        self._normal.setdefault(key, slot.delay)
        slot.delay = max(slot.delay, wait)
        self._until[key] = max(self._until.get(key, 0.0), clock.seconds() + wait)
        clock.callLater(wait, self._restore_slot, key)

    def _restore_slot(self, key: str) -> None:
        if self._clock().seconds() < self._until.get(key, 0.0):
            return  # a later Retry-After on this host still runs
        self._until.pop(key, None)
        normal = self._normal.pop(key, None)
        slot = self._slots().get(key)
        if slot is not None and normal is not None:
            slot.delay = normal


def retry_after_seconds(value) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


class RobotsServerErrorMiddleware:
    """robots.txt answering 5xx means "disallow everything" (RFC 9309 §2.3.1.4), not the
    allow-all Scrapy reads from an error page's body. Sits below the archive, so the WARC
    keeps the 500 as received; the portal is asked again on the next run."""

    DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"

    def __init__(self, stats):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats)

    def process_response(self, request, response, spider=None):
        if urlsplit(request.url).path == "/robots.txt" and response.status >= 500:
            self.stats.inc_value("ogi/robots_server_error")
            return response.replace(body=self.DISALLOW_ALL)
        return response


class ChineseEncodingMiddleware:
    """Scrapy maps declared gb2312/gbk to gb18030 already; this covers the rest: no
    charset anywhere (it would guess cp1252), or a UTF-8 declaration over GBK bytes."""

    def __init__(self, ledger: RunLedger):
        self.ledger = ledger

    @classmethod
    def from_crawler(cls, crawler):
        return cls(ledger_of(crawler))

    def process_response(self, request, response, spider=None):
        if not isinstance(response, TextResponse):
            if response.status == 200 and _looks_like_html(response):
                return response.replace(cls=HtmlResponse, encoding=guess_encoding(response.body))
            return response
        declared = response._declared_encoding()
        hinted = self._hint(request)
        if hinted:
            return _with_encoding(response, hinted)
        if declared is None or declared in ("utf-8", "utf8") or declared in charset.IGNORED:
            guess = guess_encoding(response.body)
            if guess != "utf-8" or declared is None:
                return _with_encoding(response, guess)
        return response

    def _hint(self, request) -> str | None:
        portal_id = request.meta.get("ogi_portal")
        for portal in self.ledger.registry:
            if portal["id"] == portal_id:
                return portal.get("hints", {}).get("encoding")
        return None


def _with_encoding(response, encoding: str):
    """response.replace(encoding=...) without reading the old encoding first: replace()
    fetches every attribute, and an undeclared page's `encoding` runs charset detection."""
    kwargs = {name: getattr(response, name) for name in response.attributes if name != "encoding"}
    return response.__class__(**kwargs, encoding=encoding)


def _looks_like_html(response) -> bool:
    head = response.body[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html"))
