"""Lists a page's script fills from its CMS's API: ask the API the script asks, with the
parameters the page declares, so a column's items past its static first page(s) are
reached. Pure: page text in, request URLs and links out (no Scrapy, no I/O).

The shapes (evidence in tests/fixtures/real/pages/README.md and the tests):
- TRS 动静结合: `listModel({maxStaticIndex:M, pagebar:{prepage:P, recordCount:'N'}})` (or
  `var recordCount = N`): pages 1..M are static `index.html`, `index_1.html`…; later pages come
  from WAS5, `GET /was5/web/search?channelid=<wasid>&chnlid=<wcmid>&page=K`, whose answer is
  `<li>` items (no templet) or docs.jsp's JSON-like `{"count", "pagenum", "docs": [{title, url}]}`.
- 开普云 UCAP: `<meta name="channelid">` (or `var channelid = '…'`) and a script calling
  `/common/search/` (or `/search/`, `/searchList/`) `<channelid>?_isJson=true&_pageSize=S&page=K`;
  the answer is JSON `{"data": {"total", "rows", "page", "results": [{title, url}]}}`.
- 大汉 JPaaS unit: `<script … url="/api-gateway/jpaas-publish-server/front/page/build/unit"
  queryData="{'webId':…,'pageId':…,'tagId':…}">`; `GET unit?<each queryData key>&paramJson=
  {"pageNo":K,"pageSize":S}` answers JSON whose `data.html` holds the items and a pager
  element with `rows`, `count`, `pageNo`.
"""

from __future__ import annotations

import json
import math
import re
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

MAX_API_PAGES = 500

WAS5_PATH = "/was5/web/search"
UCAP_PATHS = ("/common/search/", "/searchList/", "/search/")
JPAAS_PATH = "/api-gateway/jpaas-publish-server/front/page/build/unit"


def _first(pattern: str, text: str, flags=re.I) -> str | None:
    match = re.search(pattern, text, flags)
    return match.group(1) if match else None


def _number(pattern: str, text: str) -> int | None:
    value = _first(pattern, text)
    return int(value) if value and value.isdigit() else None


# -- what a list page declares ---------------------------------------------------------------
def declared_pages(text: str, url: str) -> list[str]:
    """Every page URL the page's list script would fetch beyond what its HTML shows."""
    return trs_pages(text, url) + ucap_pages(text, url) + jpaas_pages(text, url)


def trs_pages(text: str, url: str) -> list[str]:
    """TRS 动静结合: the static pages the pager config names, then WAS5 for the rest."""
    static = _number(r"maxStaticIndex['\"]?\s*[:=]\s*['\"]?(\d+)", text)
    records = _number(r"recordCount['\"]?\s*[:=]\s*['\"]?(\d+)", text)
    per_page = _number(r"\bpre?page['\"]?\s*[:=]\s*['\"]?(\d+)", text)
    if static is None or not records or not per_page:
        return []
    pages = min(math.ceil(records / per_page), MAX_API_PAGES)
    out = [urljoin(url, "index.html" if n == 0 else f"index_{n}.html") for n in range(min(static, pages))]
    wasid = _first(r"\b(?:wasid|channelid)\s*[:=]\s*['\"]?(\d+)", text)
    wcmid = _first(r"\b(?:wcmid|chnlid)\s*[:=]\s*['\"]?(\d+)", text)
    if wasid and wcmid:
        base = urljoin(url, WAS5_PATH)
        out += [f"{base}?{urlencode({'channelid': wasid, 'chnlid': wcmid, 'page': n})}"
                for n in range(static + 1, pages + 1)]
    return out


def ucap_pages(text: str, url: str) -> list[str]:
    """UCAP: page 1 of the JSON list (its answer says how many more there are)."""
    path = next((p for p in UCAP_PATHS if re.search(rf"['\"]{re.escape(p)}['\"]\s*\+", text)), None)
    if path is None:
        return []
    channel = (_first(r"<meta\s+name=['\"]channelid['\"]\s+content=['\"]([\w-]+)", text)
               or _first(r"\bchannelid\s*=\s*['\"]([\w-]+)['\"]", text)
               or (parse_qs(urlsplit(url).query).get("channelid") or [None])[0])
    if not channel:
        return []
    size = (_number(r"id=['\"]pageSize['\"][^>]*value=['\"](\d+)", text)
            or _number(r"value=['\"](\d+)['\"][^>]*id=['\"]pageSize['\"]", text) or 20)
    return [ucap_page_url(url, path, channel, size, 1)]


def ucap_page_url(url: str, path: str, channel: str, size: int, page: int) -> str:
    query = urlencode({"_isAgg": "false", "_isJson": "true", "_pageSize": size, "_template": "index", "page": page})
    return f"{urljoin(url, path + channel)}?{query}"


def jpaas_pages(text: str, url: str) -> list[str]:
    """JPaaS units that hold a list (their tagId says so); the first page of each."""
    out = []
    for tag in re.finditer(r"<script\b[^>]*\burl=['\"]([^'\"]*front/page/build/unit)['\"][^>]*>", text, re.I):
        query = _first(r"queryData=\"(\{[^\"]*\})\"", tag.group(0)) or _first(r"queryData='(\{[^']*\})'", tag.group(0))
        try:
            params = json.loads((query or "").replace("'", '"'))
        except json.JSONDecodeError:
            continue
        if not re.search(r"列表|list|分页|zw|内容", str(params.get("tagId", "")), re.I):
            continue  # a nav or footer unit
        size = _number(r"pageSize['\"]?\s*[:=]\s*['\"]?(\d+)", text) or 15
        out.append(jpaas_page_url(urljoin(url, tag.group(1)), params, size, 1))
    return out


def jpaas_page_url(endpoint: str, params: dict, size: int, page: int) -> str:
    query = {k: v for k, v in params.items() if k != "paramJson"}
    query["paramJson"] = json.dumps({"pageNo": page, "pageSize": size}, separators=(",", ":"))
    return f"{endpoint}?{urlencode(query)}"


# -- what an API answers ---------------------------------------------------------------------
def is_answer(url: str) -> bool:
    path = urlsplit(url).path
    return path == WAS5_PATH or path.endswith(JPAAS_PATH) or any(path.startswith(p) for p in UCAP_PATHS)


def read_answer(url: str, text: str) -> tuple[str, list[str]] | None:
    """(HTML of its items, more page URLs) for an API answer; None for any other page.
    The items come back as HTML so the family's own link reading classifies them."""
    if not is_answer(url):
        return None
    path = urlsplit(url).path
    if path == WAS5_PATH:
        return _was5(text), []
    if path.endswith(JPAAS_PATH):
        return _jpaas(url, text)
    return _ucap(url, text)


def _anchor(title: str, href: str) -> str:
    from html import escape

    return f'<li><a href="{escape(href, quote=True)}" title="{escape(title, quote=True)}">{escape(title)}</a></li>'


def _was5(text: str) -> str:
    """WAS5 answers `<li>` items, or docs.jsp's JSON-like text (single quotes, raw newlines:
    not JSON), read field by field."""
    if '"docs"' not in text:
        return text
    items = []
    for doc in re.finditer(r"\{[^{}]*\}", text.split('"docs"', 1)[1]):
        title = _first(r"['\"]title['\"]\s*:\s*['\"]([^'\"]*)", doc.group(0))
        href = (_first(r"['\"](?:url|chnldocurl|docpuburl)['\"]\s*:\s*['\"]([^'\"]+)", doc.group(0)))
        if title and href:
            items.append(_anchor(title, href))
    return "".join(items)


def _json(text: str) -> dict:
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _ucap(url: str, text: str) -> tuple[str, list[str]]:
    data = _json(text).get("data") or {}
    results = data.get("results") or []
    html = "".join(_anchor(str(r.get("title") or ""), str(r.get("url") or ""))
                   for r in results if isinstance(r, dict) and r.get("url"))
    more = []
    query = parse_qs(urlsplit(url).query)
    page = int((query.get("page") or ["1"])[0] or 1)
    rows = int(data.get("rows") or (query.get("_pageSize") or ["20"])[0] or 20)
    if page == 1 and isinstance(data.get("total"), int) and rows > 0:
        path = next(p for p in UCAP_PATHS if urlsplit(url).path.startswith(p))
        channel = urlsplit(url).path[len(path):]
        last = min(math.ceil(data["total"] / rows), MAX_API_PAGES)
        more = [ucap_page_url(url, path, channel, rows, n) for n in range(2, last + 1)]
    return html, more


def _jpaas(url: str, text: str) -> tuple[str, list[str]]:
    html = str((_json(text).get("data") or {}).get("html") or "")
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    try:
        paging = json.loads(query.get("paramJson") or "{}")
    except json.JSONDecodeError:
        paging = {}
    more = []
    rows = _number(r"\brows=['\"]?(\d+)", html)
    count = _number(r"\bcount=['\"]?(\d+)", html)
    if paging.get("pageNo") == 1 and rows and count:
        endpoint = url.split("?")[0]
        last = min(math.ceil(count / rows), MAX_API_PAGES)
        more = [jpaas_page_url(endpoint, query, rows, n) for n in range(2, last + 1)]
    return html, more
