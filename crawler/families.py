"""Page objects per CMS family: a list page in, report links + sub-columns + next pages out.

Pure over a Scrapy `TextResponse` (no requests are sent here), so each family is tested
offline on saved pages. The spider only picks the family named in the registry
(`family`: trs | ningxia | ucap | hanweb | vsb | generic); every family falls back on the
generic link reading, so an unknown layout still yields its plain links.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlencode, urljoin, urlsplit

from lxml import html as lxml_html

from crawler import apilists, linkrules


@dataclass(frozen=True)
class Link:
    url: str
    text: str = ""


@dataclass(frozen=True)
class PageRequest:
    """A next page that is not a plain GET link (Hanweb's POST to dataproxy.jsp)."""

    url: str
    method: str = "GET"
    formdata: tuple[tuple[str, str], ...] = ()


@dataclass
class ListPage:
    reports: list[Link] = field(default_factory=list)  # detail pages or report attachments
    columns: list[Link] = field(default_factory=list)  # sub-columns (years, towns, departments)
    next_pages: list[Link | PageRequest] = field(default_factory=list)
    platforms: list[Link] = field(default_factory=list)  # 部门信息公开平台: units' own sub-sites


def _anchors(fragment_html: str, base_url: str) -> list[Link]:
    if not fragment_html.strip():
        return []
    try:
        tree = lxml_html.fromstring(fragment_html)
    except Exception:  # malformed beyond lxml's repair: no links, not a crash
        return []
    links = []
    for a in tree.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "#", "tel:")):
            continue
        text = " ".join(a.text_content().split()) or (a.get("title") or "").strip()
        title = (a.get("title") or "").strip()
        if title and len(title) > len(text):
            text = title  # lists often cut titles ("2023年…") and keep the full one in title=
        links.append(Link(urljoin(base_url, href).split("#")[0], text))
    return links


def response_text(response) -> str:
    try:
        return response.text
    except (AttributeError, UnicodeDecodeError):
        return response.body.decode("gb18030", errors="replace")


class GenericFamily:
    """Plain links: report titles, sub-column names, 下一页/尾页 and same-list page numbers."""

    name = "generic"

    def links(self, response) -> list[Link]:
        return _anchors(response_text(response), response.url)

    def parse_list(self, response, start_urls: list[str] = (), list_selector: str | None = None) -> ListPage:
        """`list_selector` (registry hint, CSS) narrows report links to one part of the
        page; sub-columns and pagers are still read from the whole page."""
        page = ListPage()
        answer = apilists.read_answer(response.url, response_text(response))
        if answer is not None:  # a CMS API's answer: its items, and its further pages
            items, more = answer
            self.classify(_anchors(items, response.url), response.url, page, start_urls)
            page.next_pages += [Link(url) for url in more]
            return page
        links = self.links(response)
        if list_selector:
            inside = {link.url for link in _anchors("".join(response.css(list_selector).getall()), response.url)}
            links = [link for link in links if link.url in inside or not linkrules.is_report_title(link.text)]
        self.classify(links, response.url, page, start_urls)
        self.more_pages(response, page)
        page.next_pages += [Link(url) for url in apilists.declared_pages(response_text(response), response.url)
                            if not linkrules.same_page(url, response.url)]
        return page

    def classify(self, links: list[Link], current_url: str, page: ListPage, start_urls=()) -> None:
        seen = set()
        for link in links:
            if link.url in seen or linkrules.same_page(link.url, current_url):
                continue
            seen.add(link.url)
            if linkrules.is_next_page_text(link.text) or linkrules.is_pager_link(current_url, link.url):
                page.next_pages.append(link)
            elif linkrules.is_platform_text(link.text):
                page.platforms.append(link)
            elif linkrules.is_column_name(link.text) and not linkrules.is_detail_url(link.url) \
                    and not linkrules.attachment_extension(link.url):
                page.columns.append(link)  # 政府信息公开年报 → …/nlist.htm: the column again, not a report
            elif linkrules.is_list_url(link.url):
                if self.is_column(link, start_urls):
                    page.columns.append(link)
            elif linkrules.is_report_title(link.text):
                page.reports.append(link)
            elif linkrules.attachment_extension(link.url) or linkrules.is_detail_url(link.url):
                continue  # a detail page or file that is not a report
            elif self.is_column(link, start_urls):
                page.columns.append(link)

    @staticmethod
    def is_column(link: Link, start_urls) -> bool:
        """Under a start URL's folder (a known column path), or named as an annual-report
        column. Chrome (政府信息公开申请, 办事服务, 人事信息…) is neither: it is not followed."""
        if linkrules.is_lookalike(link.text):
            return False
        if linkrules.is_report_title(link.text) or linkrules.is_column_title(link.text):
            return True  # 「乡镇（街道）年报」, 「部门年报」, 「2024年政府信息公开年报」
        path = urlsplit(link.url).path
        return any(path.startswith(urlsplit(s).path.rsplit("/", 1)[0] + "/") and
                   len(path) > len(urlsplit(s).path.rsplit("/", 1)[0] + "/")
                   for s in start_urls)

    def more_pages(self, response, page: ListPage) -> None:
        """`共N页` with `?page=N` links: make every page, not only the next one shown."""
        text = response_text(response)
        total = re.search(r"共\s*(\d+)\s*页", text)
        if not total:
            return
        pages = min(int(total.group(1)), 500)
        for link in list(page.next_pages):
            if isinstance(link, Link) and re.search(r"[?&]page=\d+", link.url):
                for n in range(2, pages + 1):  # page 1 is the bare column URL
                    page.next_pages.append(Link(re.sub(r"([?&]page=)\d+", rf"\g<1>{n}", link.url), f"{n}"))
                break

    def attachments(self, response) -> list[Link]:
        """Attachment links of a report page (pdf, doc, docx, wps, xls, xlsx, ofd, rtf…, and
        linked images: the report's scanned pages)."""
        return [link for link in self.links(response)
                if linkrules.attachment_extension(link.url) or linkrules.image_extension(link.url)]


class TrsFamily(GenericFamily):
    """TRS WCM: `createPageHTML(total, current, "index", "html")` is a JS pager; page 0
    is index.html and page n index_n.html in the same folder. Also Ningxia's list_N."""

    name = "trs"
    PAGER = re.compile(
        r"createPageHTML\(\s*['\"]?(\d+)['\"]?\s*,\s*['\"]?(\d+)['\"]?\s*,\s*['\"]([\w-]+)['\"]\s*,\s*['\"](\w+)['\"]")

    def more_pages(self, response, page: ListPage) -> None:
        super().more_pages(response, page)
        match = self.PAGER.search(response_text(response))
        if not match:
            return
        total, _current, stem, ext = int(match.group(1)), match.group(2), match.group(3), match.group(4)
        for n in range(0, min(total, 500)):
            name = f"{stem}.{ext}" if n == 0 else f"{stem}_{n}.{ext}"
            url = urljoin(response.url, name)
            if not linkrules.same_page(url, response.url):
                page.next_pages.append(Link(url, str(n + 1)))


class UcapFamily(GenericFamily):
    """开普云 UCAP: *.shtml lists; detail pages `<32 hex>.shtml` carry `<ucaptitle>`."""

    name = "ucap"


class VsbFamily(GenericFamily):
    """博达 VSB: `list.jsp?PAGENUM=N&…` pages (same-list links by page number)."""

    name = "vsb"


class HanwebFamily(GenericFamily):
    """大汉 Hanweb JCMS: first-page items hide in `<script type="text/xml"><datastore>`
    CDATA records; further pages are POSTs to /module/web/jpage/dataproxy.jsp."""

    name = "hanweb"
    FORM_FIELDS = ("col", "appid", "webid", "path", "columnid", "sourceContentType", "unitid",
                   "permissiontype", "webname")
    RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S)

    def links(self, response) -> list[Link]:
        text = response_text(response)
        records = "".join(self.RECORD.findall(text))
        return _anchors(records, response.url) + _anchors(text, response.url)

    def more_pages(self, response, page: ListPage) -> None:
        super().more_pages(response, page)
        if "dataproxy.jsp" in response.url:
            return  # a dataproxy answer: the first page already planned every chunk
        text = response_text(response)
        form = {}
        for name in self.FORM_FIELDS:
            m = re.search(rf"['\"]?\b{name}['\"]?\s*[:=]\s*['\"]?([^'\"&,}}\s<]*)", text)
            if m and m.group(1):
                form[name] = m.group(1)
        if "columnid" not in form:
            return
        total = _int(re.search(r"total[_]?record\w*['\"]?\s*[:=>]\s*['\"]?(\d+)", text, re.I))
        perpage = _int(re.search(r"perpage['\"]?\s*[:=]\s*['\"]?(\d+)", text, re.I)) or 15
        shown = len(self.RECORD.findall(text))
        if total is None or total <= shown:
            return
        chunk = perpage * 3
        proxy = urljoin(response.url, "/module/web/jpage/dataproxy.jsp")
        for start in range(shown + 1, min(total, 5000) + 1, chunk):
            end = min(start + chunk - 1, total)
            query = urlencode({"startrecord": start, "endrecord": end, "perpage": perpage})
            page.next_pages.append(PageRequest(f"{proxy}?{query}", "POST", tuple(sorted(form.items()))))


def _int(match) -> int | None:
    return int(match.group(1)) if match else None


FAMILIES = {
    "generic": GenericFamily(),
    "trs": TrsFamily(),
    "ningxia": TrsFamily(),
    "ucap": UcapFamily(),
    "hanweb": HanwebFamily(),
    "vsb": VsbFamily(),
}


# What gives a CMS away in a page it serves, strongest first: (family, pattern, what it is).
FINGERPRINTS = (
    ("hanweb", re.compile(r"<datastore>|/module/web/jpage/|大汉网络|hanweb", re.I), "Hanweb datastore/jpage"),
    ("ucap", re.compile(r"<ucap(title|content)|/[0-9a-f]{32}\.shtml", re.I), "UCAP tags or <32 hex>.shtml pages"),
    ("vsb", re.compile(r"wbtreeid=|urltype=tree\.TreeTempUrl|/system/resource/", re.I), "VSB wbtreeid/list.jsp"),
    ("trs", re.compile(r"createPageHTML\(|TRS_(Editor|UEDITOR)|/t\d{8}_\d+\.s?html?", re.I),
     "TRS createPageHTML pager or t<date>_<id> pages"),
    ("hanweb", re.compile(r"/col/col\d+/|/art/\d{4}/\d+/\d+/art_\d+_\d+", re.I), "Hanweb col/art URLs"),
)


def guess_family(text: str) -> tuple[str, str]:
    """(family, evidence) for a page's HTML: the first fingerprint it shows, else generic."""
    for family, pattern, evidence in FINGERPRINTS:
        match = pattern.search(text)
        if match:
            return family, f"{evidence}: {match.group(0)[:60]!r}"
    return "generic", "no CMS fingerprint: plain links"


def family_for(name: str | None) -> GenericFamily:
    return FAMILIES.get((name or "generic").lower(), FAMILIES["generic"])
