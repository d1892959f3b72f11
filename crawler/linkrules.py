"""Link rules (crawler/link_rules.json) as functions: is this link a report, an
attachment, a sub-column, a next page? Pure; no Scrapy, no I/O beyond loading the data file.

Why data: adding a look-alike title ("…审计报告") or an attachment type is a data change
that the tests pick up by iterating over the same lists.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from posixpath import splitext
from urllib.parse import urlsplit, urlunsplit

from parsers import sniff

RULES_FILE = Path(__file__).with_name("link_rules.json")


@lru_cache(maxsize=None)
def rules() -> dict:
    return json.loads(RULES_FILE.read_text(encoding="utf-8"))


def normalize_title(text: str | None) -> str:
    """NFKC and no white space: `政府信息公开 年报` and full-width forms compare equal."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def is_lookalike(title: str) -> bool:
    """政府工作报告, 指南, a 通知 about compiling reports…; but not a notice that publishes
    the report itself (关于印发…政府信息公开工作年度报告的通知)."""
    title = normalize_title(title)
    if any(re.search(pattern, title) for pattern in rules().get("lookalike_exceptions", [])):
        return False
    return any(p in title for p in rules()["lookalike_patterns"])


def is_report_title(title: str) -> bool:
    """A 政府信息公开工作年度报告 by its title, and not a 政府工作报告/指南/总结 look-alike."""
    title = normalize_title(title)
    if not title or is_lookalike(title):
        return False
    return any(p in title for p in rules()["report_patterns"])


def attachment_extension(url: str) -> str | None:
    """The extension of a link to a report file: a document format (parsers.sniff) or an archive."""
    ext = splitext(urlsplit(url).path)[1].lower().lstrip(".")
    if sniff.format_from_name("." + ext) in sniff.DOCUMENT_FORMATS or ext in rules()["archive_extensions"]:
        return ext
    return None


def image_extension(url: str) -> str | None:
    """The extension of a link to an image file: on a report page, a scanned page of the
    report (a logo or banner is an <img>, not a link to the file)."""
    ext = splitext(urlsplit(url).path)[1].lower().lstrip(".")
    return ext if ext in rules()["image_extensions"] else None


def kind_of_url(url: str, content_type: str | None) -> str:
    """What the crawler would have called a fetch, from its URL and type alone: these
    rules without the link text it judged reports by (archive.reindex asks, for records
    that do not say their kind). Conservative: a page is a "report" only on a detail-page
    URL, else list or other."""
    if urlsplit(url).path == "/robots.txt":
        return "robots"
    lowered = (content_type or "").lower()
    if attachment_extension(url) or image_extension(url) or sniff.format_from_content_type(content_type) in sniff.DOCUMENT_FORMATS \
            or any(kind in lowered for kind in rules()["archive_extensions"]):
        return "attachment"
    if is_list_url(url):
        return "list"
    if is_detail_url(url):
        return "report"
    return "other"


def canonical_url(url: str) -> str:
    """The URL a page is known by, as Heritrix canonicalizes before dedup: no fragment, the
    host in lower case without its default port, no session id (`;jsessionid=…` or a
    session query parameter, `session_params`). The rest, query order included, is kept:
    some CMSs answer differently to a reordered query."""
    parts = urlsplit(url.split("#", 1)[0])
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port is None or (parts.scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    if parts.username:
        netloc = f"{parts.username}{':' + parts.password if parts.password else ''}@{netloc}"
    names = tuple(rules()["session_params"])
    path = re.sub(r";(?:" + "|".join(names) + r")=[^/?#]*", "", parts.path, flags=re.I)
    query = "&".join(pair for pair in parts.query.split("&")
                     if pair and not pair.split("=", 1)[0].lower().startswith(names))
    return urlunsplit((parts.scheme.lower(), netloc, path, query, ""))


def is_detail_url(url: str) -> bool:
    path = urlsplit(url).path + ("?" + urlsplit(url).query if urlsplit(url).query else "")
    return any(re.search(p, path) for p in rules()["detail_url_patterns"])


_LIST_URL = re.compile(
    r"(/|/(index|list|default|home)(_\d+)?\.\w+|/col/col\d+/?(index\.html)?|/list\.jsp)$", re.I)


def is_list_url(url: str) -> bool:
    """A URL shaped like a listing (folder, index_N.html, list.jsp…), never a detail page:
    a column named 「政府信息公开年报」 is a list even though its title says 年报."""
    return bool(_LIST_URL.search(urlsplit(url).path or "/"))


def is_column_title(title: str) -> bool:
    """A sub-column about annual reports by its text (乡镇（街道）年报, 2024年, 部门年度报告):
    the only sub-columns followed outside a start URL's folder."""
    title = normalize_title(title)
    if not title or is_lookalike(title) or len(title) > 30:
        return False
    return any(re.search(p, title) for p in rules()["column_patterns"])


def is_column_name(title: str) -> bool:
    """The link text is a column's name and nothing more (政府信息公开年报, 乡镇（街道）年报):
    a side menu's link to the column, a list whatever its URL, never a report."""
    title = normalize_title(title)
    return bool(title) and any(re.search(p, title) for p in rules()["column_name_patterns"])


def is_platform_text(title: str) -> bool:
    """A portal's platform of its units' own sub-sites (部门信息公开平台, 地方部门平台链接,
    乡镇信息公开): each unit there publishes its own 年报 column."""
    title = normalize_title(title)
    return bool(title) and any(re.search(p, title) for p in rules()["platform_patterns"])


def is_unit_name(title: str) -> bool:
    """A unit of a platform by its link text: 盐池县发展和改革局, 花马池镇人民政府."""
    title = normalize_title(title)
    return 2 < len(title) <= 30 and not is_lookalike(title) and not is_report_title(title) \
        and bool(re.search(rules()["unit_name_pattern"], title))


def is_area_text(title: str) -> bool:
    """The 政府信息公开 area of a portal by its link text (政府信息公开, 政务公开…): where
    discovery looks for the 年报 column when the home page does not link it."""
    return normalize_title(title) in rules()["area_texts"]


def is_next_page_text(title: str) -> bool:
    title = normalize_title(title)
    return title in rules()["next_page_texts"]


_PAGE_NUMBER = [
    (re.compile(r"(index|list|home|default)_\d+(\.\w+)$", re.I), r"\1\2"),
    (re.compile(r"([?&])(page|PAGENUM|pageNo|pageIndex|p|currentPage)=\d+", re.I), r"\1\2="),
    (re.compile(r"/\d+(\.s?html?)$"), r"/N\1"),
]


def page_family_key(url: str) -> str:
    """The URL with its page number removed: two pages of one list share this key."""
    key = url.split("#")[0]
    for pattern, repl in _PAGE_NUMBER:
        key = pattern.sub(repl, key)
    # page 0 of a TRS list is index.html, page n index_n.html: both reduce to the folder
    key = re.sub(r"/(index|list|home|default)\.\w+$", "/", key, flags=re.I)
    return key


def same_page(url: str, other: str) -> bool:
    """A folder and its index file are one page (`…/zfxxgknb/` = `…/zfxxgknb/index.html`):
    asking for both costs a request and brings nothing."""
    def bare(u: str) -> str:
        return re.sub(r"/index\.s?html?$", "/", u.split("#")[0], flags=re.I)
    return bare(url) == bare(other)


def is_pager_link(current_url: str, link_url: str) -> bool:
    return link_url != current_url and page_family_key(link_url) == page_family_key(current_url)


def blocked_markers() -> list[str]:
    return rules()["blocked_markers"]


def directory_index_files() -> list[str]:
    """What a column folder URL may be served as, when the folder itself answers 404."""
    return rules()["directory_index_files"]
