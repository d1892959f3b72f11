"""`ogi portals discover URL`: walk from a portal's home page to its 年报 column(s).

The same engine, middlewares and ledger as the crawl (robots.txt, politeness, address
safety, every response archived), a few requests in all: the home page, at most
discover.MAX_AREAS 政府信息公开 pages (two levels), and each candidate column's first page,
read by the page object of the CMS it shows.
"""

from __future__ import annotations

from crawler import discover
from crawler.families import GenericFamily, family_for, guess_family, response_text
from crawler.registry import on_portal
from crawler.spiders.annual_reports import AnnualReportsSpider

MAX_AREA_DEPTH = 2


class DiscoverSpider(AnnualReportsSpider):
    name = "discover"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.columns: list[discover.Column] = []

    def start_requests(self):
        portal = self.ledger.registry[0]
        request = self.make(portal["id"], portal["start_urls"][0], "list", depth=0, callback=self.parse_entry)
        if request is not None:
            yield request

    def recheck_known(self, spider=None):
        return None  # nothing archived before is re-asked: discovery reads, it does not watch

    def parse_entry(self, response):
        if not hasattr(response, "text"):
            return
        portal = self.portal(response.meta["ogi_portal"])
        home = portal["start_urls"][0]
        found = discover.read_links(GenericFamily().links(response),
                                    lambda url: discover.same_site(url, home, portal["local"]))
        for link in found.columns + found.areas:  # a sibling host (xxgk.<site>) joins the portal
            if not on_portal(portal, link.url):
                portal["hosts"].append(discover.host_of(link.url, portal["local"]))
        depth = response.meta.get("ogi_depth", 0)
        for link in found.columns:
            yield from self._one(portal, link.url, "list", depth, self.parse_column, response.url, link.text)
        if not found.columns and depth < MAX_AREA_DEPTH:
            for link in found.areas:
                yield from self._one(portal, link.url, "list", depth + 1, self.parse_entry, response.url, link.text)

    def parse_column(self, response):
        if not hasattr(response, "text"):
            return
        family, evidence = guess_family(response_text(response))
        page = family_for(family).parse_list(response, [response.url])
        asked = (response.meta.get("redirect_urls") or [response.url])[0]  # the link, not where it sent us
        self.columns.append(discover.Column(asked, response.meta.get("ogi_link_text") or "", family, evidence,
                                            len(page.reports), len(page.columns), len(page.next_pages)))
