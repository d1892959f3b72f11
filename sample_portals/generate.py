"""Write the offline test world: five static county portals, ground-truth JSON and a manifest.

`generate_world(root, seed)` writes only under `root`:
  root/sites/<portal_id>/…   the files each portal serves (URL path = file path; a directory
                             URL serves its index.html; luoning's `?page=N` lists are files
                             named `index.html?page=N`)
  root/hanweb/<portal_id>/col<N>.json  every record of a Hanweb column, which the server's
                             POST /module/web/jpage/dataproxy.jsp answers from (not served)
  root/truth/<report_id>.json  what a parser must read from that report
  root/manifest.json         portals, reports (with their files), non-reports, list pages

  root/api/<portal_id>/<api>-<id>.json  every item of a column a list script fills (not served):
                             中宁's 乡镇 column is TRS 动静结合 (static page 1, then GET
                             /was5/web/search?channelid=…&chnlid=…&page=N answering <li> items),
                             浑源's 年报 column UCAP JSON (GET /common/search/<channelid>?…&page=N)
Every page's header links parts of the portal without reports (manifest chrome_404, each a
404); TRS portals' side menus link the 年报 column by name at …/nlist.htm (column_copies).
Same seed, same bytes: no wall clock, sorted iteration, a `random.Random` per purpose.

Each portal imitates one CMS family of portals.md:
  zhongning  TRS WCM: index.html, index_1.html…; the pager exists only as the JS call
             createPageHTML(total, current, "index", "html"); body in div.TRS_Editor.
  yanchi     Ningxia TRS: list.html, list_1.html… with plain 首页/下一页/尾页 links; body in div.zz-xl-ct.
  hunyuan    开普云 UCAP: index.shtml, index_1.shtml… plus the year column /hyxrmzfz/xxgknb2024/;
             <ucaptitle>, <ucapcontent>, <publishtime>; 三晋通 footer.
  longde     大汉 Hanweb JCMS: /col/colN/index.html holds its first records only inside
             <script type="text/xml"><datastore>…CDATA…</datastore></script>. The paging form
             fields are in the page as one JSON object assigned in a script:
             `var jpageParams = {"col": "1", "appid": "1", "webid": "…", "path": "/", "columnid": "N",
             "sourceContentType": "1", "unitid": "…", "permissiontype": "0"};` next to
             `var jpageProxyUrl = "/module/web/jpage/dataproxy.jsp"; var jpagePerPage = 4;
             var jpageTotalRecord = T;`. Further records: POST jpageProxyUrl
             ?startrecord=5&endrecord=8&perpage=4 with jpageParams form-encoded.
  luoning    old GBK site: bytes in GBK, no charset or a malformed `httpequiv=` meta;
             /zwgk/xxgknb/ then ?page=2… with 下一页/尾页 links and 共N页; details /YYYY/MM-DD/<id>.html;
             DOCX and opaque .wps attachments.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import math
import random
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .portals import DEPARTMENTS, PORTALS
from parsers.metadata import report_key  # what makes two reports one: the loader's key

from .forms import FORMS as FORM_FILES
from .forms import files as form_files
from .render import render
from .reports import ReportSpec, generate_reports, pre2020_report, seed_reports, spec_to_truth, trial_reports

PAGE_SIZE = 4  # items per list page on every portal (small, so each 年报 column has ≥3 pages)
MIN_MAIN_ITEMS = 2 * PAGE_SIZE + 1
OFFSITE_LINK = "http://www.gov.cn/"
REAL_HOSTS = {"zhongning": "www.znzf.gov.cn", "yanchi": "www.yanchi.gov.cn", "longde": "www.nxld.gov.cn",
              "luoning": "www.luoning.gov.cn", "hunyuan": "www.hunyuan.gov.cn"}

# Column layout per portal: the 年报 column, its 乡镇街道 and 各部门 sub-columns, the 政府信息公开 area.
COLUMNS: dict[str, dict[str, str]] = {
    "zhongning": {"main": "/zfxxgk/zfxxgknb/", "township": "/zfxxgk/zfxxgknb/xzjd/", "department": "/zfxxgk/zfxxgknb/gbm/",
                  "area": "/zfxxgk/"},
    # 盐池's departments publish on their own sub-sites of the 部门信息公开平台 (/bmxxgk/bmNN/xxgknb/),
    # reached from the header, not from the 年报 column
    "yanchi": {"main": "/xxgk/xxgknb/", "township": "/xxgk/xxgknb/xzjd/", "area": "/xxgk/",
               **{f"unit{n:02d}": f"/bmxxgk/bm{n:02d}/xxgknb/" for n in range(len(DEPARTMENTS))}},
    "hunyuan": {"main": "/hyxrmzfz/zfznbmic/", "township": "/hyxrmzfz/zfznbmic/xzjd/",
                "department": "/hyxrmzfz/zfznbmic/gbm/", "year2024": "/hyxrmzfz/xxgknb2024/", "area": "/hyxrmzfz/"},
    "longde": {"main": "/col/col1234/", "township": "/col/col1235/", "department": "/col/col1236/", "area": "/col/col1200/"},
    "luoning": {"main": "/zwgk/xxgknb/", "township": "/zwgk/xxgknb/xzjd/", "department": "/zwgk/xxgknb/bm/", "area": "/zwgk/"},
}
COLUMN_NAMES = {"main": "政府信息公开年报", "township": "乡镇（街道）年报", "department": "部门年报",
                "year2024": "2024年政府信息公开年报", "area": "政府信息公开",
                **{f"unit{n:02d}": f"{name}政府信息公开年报" for n, name in enumerate(DEPARTMENTS)}}
# A portal's platform of its units' own sub-sites: (link text in the header, path).
PLATFORMS = {"yanchi": ("地方部门平台链接", "/bmxxgk/")}
# Navigation every page carries, as real portals' headers do: links to parts of the portal
# that are no column of reports (and here answer 404, as a moved or dead column does).
CHROME_NAV = (("政府信息公开申请", "{area}ysqgk/"), ("重点领域信息公开", "{area}zdly/"), ("管委会文件", "/gwhwj/"),
              ("办事服务", "/bsfw/"), ("互动交流", "/hdjl/"), ("政务服务", "/zwfw/"))
HOME_WITHOUT_COLUMN = ("longde", "luoning")
# Columns whose pages after the first come from the CMS's list API (what their script asks):
# TRS 动静结合 (static page 1, then WAS5 `<li>` answers) and UCAP's JSON search.
API_COLUMNS = {("zhongning", "township"): "was5", ("hunyuan", "main"): "ucap"}
WAS5_PATH, WAS5_CHANNEL = "/was5/web/search", "254874"
UCAP_SEARCH = "/common/search/"
# TRS portals' side menus link the 年报 column by name to a copy of its first list page.
COLUMN_COPY = {"trs": "nlist.htm"}
# The five standard entries of a 政府信息公开 area; the 年报 entry is the column itself.
AREA_ENTRIES = (("guide", "政府信息公开指南"), ("rules", "政府信息公开制度"), ("statutory", "法定主动公开内容"),
                ("main", "政府信息公开年报"), ("apply", "依申请公开"))
LIST_FILE = {"trs": "index.html", "ucap": "index.shtml", "hanweb": "index.html", "generic": "index.html"}
HANWEB_IDS = {"webid": "39", "unitid": "5678", "appid": "1"}


@dataclass
class Item:
    """One entry of a list page: a report or a non-report page."""

    title: str
    date: dt.date
    path: str  # detail page URL path
    body: str  # HTML fragment for the detail page's content area
    agency: str
    column: str
    attachments: list = field(default_factory=list)  # (path, bytes)
    report: ReportSpec | None = None


def _uid(*parts) -> str:
    return hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()


def _list_page_paths(portal: dict, column_path: str, pages: int) -> list[str]:
    family = portal["family"]
    if portal["id"] == "yanchi":
        return [column_path + ("list.html" if n == 0 else f"list_{n}.html") for n in range(pages)]
    if family == "generic":
        return [column_path if n == 0 else f"{column_path}?page={n + 1}" for n in range(pages)]
    if family == "hanweb":
        return [column_path + "index.html"]
    name, ext = LIST_FILE[family].split(".")
    return [column_path + (f"{name}.{ext}" if n == 0 else f"{name}_{n}.{ext}") for n in range(pages)]


def _detail_path(portal: dict, column_path: str, date: dt.date, uid: str) -> str:
    family = portal["family"]
    if family == "trs":
        return f"{column_path}{date:%Y%m}/t{date:%Y%m%d}_{int(uid[:8], 16) % 9000000 + 1000000}.html"
    if family == "ucap":
        return f"{column_path}{date:%Y%m}/{uid[:32]}.shtml"
    if family == "hanweb":
        col = column_path.strip("/").split("/")[-1].removeprefix("col")
        return f"/art/{date.year}/{date.month}/{date.day}/art_{col}_{int(uid[:8], 16) % 900000 + 100000}.html"
    return f"/{date.year}/{date:%m-%d}/{int(uid[:8], 16) % 900000 + 100000}.html"


def _attachment_path(portal: dict, detail_path: str, date: dt.date, uid: str, ext: str) -> str:
    family = portal["family"]
    folder = detail_path.rsplit("/", 1)[0]
    if family == "trs":
        prefix = "P0" if ext == "pdf" else "W0"
        return f"{folder}/{prefix}{date:%Y%m%d}{int(uid[8:20], 16) % 10**12:012d}.{ext}"
    if family == "ucap":
        return f"{detail_path.removesuffix('.shtml')}/files/{uid[32:64]}.{ext}"
    if family == "hanweb":
        return f"/picture/0/{uid[32:64]}.{ext}"
    return f"/uploadfile/{date.year}/{date:%m%d}/{int(uid[8:20], 16) % 10**10}.{ext}"


def _wps_bytes(uid: str) -> bytes:
    """An opaque WPS file: OLE compound-document magic and filler a parser can only detect, not read."""
    filler = b"".join(hashlib.sha256(f"{uid}:{n}".encode()).digest() for n in range(48))
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16 + b"\x3e\x00\x03\x00\xfe\xff\x09\x00" + filler


# --- page chrome --------------------------------------------------------------------------


def _head(portal: dict, title: str, metas: dict, page_no: int) -> str:
    charset = ""
    if portal["charset"] == "utf-8":
        charset = '<meta charset="utf-8">'
    elif page_no % 2 == 1:
        charset = '<meta httpequiv="Content-Type" content="text/html; charset=gb2312">'
    meta_tags = "".join(f'<meta name="{name}" content="{html.escape(value)}">' for name, value in metas.items())
    return (f"<!DOCTYPE html>\n<html><head>{charset}<title>{html.escape(title)}</title>"
            f'<meta name="SiteName" content="{html.escape(portal["name"])}">'
            f'<meta name="SiteDomain" content="{REAL_HOSTS[portal["id"]]}">'
            f'<meta name="SiteIDCode" content="{portal["site_code"]}">{meta_tags}'
            '<link rel="stylesheet" href="/css/style.css"></head>\n')


def _header(portal: dict, breadcrumb: list[tuple[str, str]]) -> str:
    crumbs = " &gt; ".join(f'<a href="{href}">{html.escape(text)}</a>' if href else html.escape(text)
                           for text, href in breadcrumb)
    return (f'<div class="top-bar"><a href="javascript:void(0)" id="wza">无障碍</a> | <a href="javascript:;">长者版</a> | '
            f'<a href="javascript:;" id="fjt">繁體版</a> | <a href="javascript:;">智能问答</a></div>\n'
            f'<div class="header"><h1 class="logo">{html.escape(portal["name"])}</h1>'
            f'<div class="nav"><a href="/">首页</a><a href="{COLUMNS[portal["id"]]["area"]}">政府信息公开</a>'
            + "".join(f'<a href="{href}">{text}</a>' for text, href in _header_links(portal))
            + '</div></div>\n'
            + (_side_menu(portal) if len(breadcrumb) > 1 else "")  # the 信息公开 area's pages, not the home page
            + f'<div class="position">当前位置：{crumbs}</div>\n')


def chrome_links(portal: dict) -> list[tuple[str, str]]:
    """The header's links that lead nowhere a report is (each answers 404)."""
    return [(text, href.format(area=COLUMNS[portal["id"]]["area"])) for text, href in CHROME_NAV]


def _header_links(portal: dict) -> list[tuple[str, str]]:
    platform = PLATFORMS.get(portal["id"])
    return chrome_links(portal) + ([platform] if platform else [])


def column_copy_path(portal: dict) -> str | None:
    name = COLUMN_COPY.get(portal["family"])
    return COLUMNS[portal["id"]]["main"] + name if name else None


def _side_menu(portal: dict) -> str:
    """The 政府信息公开 side menu: its five entries, the 年报 one pointing at the column's copy
    (TRS: …/nlist.htm) where the CMS keeps one."""
    cols = COLUMNS[portal["id"]]
    links = []
    for key, name in AREA_ENTRIES:
        href = (column_copy_path(portal) or _list_page_paths(portal, cols["main"], 1)[0]) if key == "main" \
            else f"{cols['area']}{key}/index.html"
        links.append(f'<li><a href="{href}">{name}</a></li>')
    return f'<div class="left-menu"><ul>{"".join(links)}</ul></div>\n'


def _footer(portal: dict) -> str:
    extra = ""
    if portal["id"] == "hunyuan":
        extra = '<div class="app"><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="">三晋通APP</div>'
    return (f'<div class="footer"><div class="links">相关链接：<a href="{OFFSITE_LINK}" target="_blank">中国政府网</a></div>'
            f'<p>主办单位：{portal["county"]}人民政府办公室　承办单位：{portal["county"]}政务服务中心　技术支持：某某信息技术有限公司</p>'
            f'<p>版权所有 {portal["name"]}　<a href="javascript:;">网站声明</a> | <a href="javascript:;">联系我们</a> | <a href="javascript:;">网站地图</a></p>'
            f'<p>{portal["icp"]}　{portal["police"]}　网站标识码 {portal["site_code"]}</p>{extra}'
            f'<script id="_jiucuo_" sitecode="{portal["site_code"]}"></script></div>\n</body></html>\n')


def _page(portal: dict, title: str, breadcrumb, main: str, metas: dict | None = None, page_no: int = 0) -> str:
    return (_head(portal, title, metas or {}, page_no) + "<body>\n" + _header(portal, breadcrumb)
            + f'<div class="main">\n{main}\n</div>\n' + _footer(portal))


def _breadcrumb(portal: dict, column: str) -> list[tuple[str, str]]:
    cols = COLUMNS[portal["id"]]
    crumbs = [("首页", "/"), ("政府信息公开", cols["area"])]
    if column != "area":
        crumbs.append(("政府信息公开年报", _list_page_paths(portal, cols["main"], 1)[0]))
        if column != "main":
            crumbs.append((COLUMN_NAMES[column], _list_page_paths(portal, cols[column], 1)[0]))
    return crumbs


def _detail_page(portal: dict, item: Item, index_no: str, page_no: int) -> str:
    family = portal["family"]
    date_text = f"{item.date:%Y-%m-%d} {9 + page_no % 8:02d}:{page_no * 7 % 60:02d}"
    metas = {"ArticleTitle": item.title, "PubDate": date_text, "ContentSource": item.agency,
             "ColumnName": COLUMN_NAMES[item.column]}
    meta_table = (
        '<table class="xxgk-table"><tr><td>索  引  号：</td><td>' + index_no + '</td><td>发布机构：</td><td>'
        + html.escape(item.agency) + '</td></tr><tr><td>发布日期：</td><td>'
        + f"{item.date.year}年{item.date.month:02d}月{item.date.day:02d}日" + '</td><td>主题分类：</td><td>政务公开</td></tr>'
        + '<tr><td>名　　称：</td><td colspan="3">' + html.escape(item.title) + "</td></tr></table>")
    toolbar = (f'<div class="info">来源：{html.escape(item.agency)}　发布时间：{date_text}　浏览次数：<span id="hits"></span>'
               '　【字体：<a href="javascript:;">大</a> <a href="javascript:;">中</a> <a href="javascript:;">小</a>】</div>')
    tail = ('<div class="tools">【<a href="javascript:window.print()">打印本页</a>】【<a href="javascript:window.close()">关闭窗口</a>】</div>'
            '<div class="share">分享到：<a href="javascript:;">微信</a> <a href="javascript:;">微博</a> <a href="javascript:;">QQ空间</a></div>'
            '<div class="qr"><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="二维码"><p>扫一扫在手机上查看当前页面</p></div>'
            f'<div class="jiucuo">【<a href="javascript:;">我要纠错</a>】 责任编辑：{["李明", "王芳", "张伟", "马丽"][page_no % 4]}</div>')
    title = html.escape(item.title)
    if family == "ucap":
        content = (f"<ucaptitle>{title}</ucaptitle>\n<publishtime>{date_text}</publishtime>\n"
                   f'<div class="article">{toolbar}<ucapcontent>\n{item.body}\n</ucapcontent></div>')
    else:
        container = {"trs": '<div class="TRS_Editor">', "hanweb": '<div id="zoom">', "generic": '<div id="content" class="content">'}[family]
        if portal["id"] == "yanchi":
            container = '<div class="zz-xl-ct">'
        content = f'<h2 class="title">{title}</h2>{toolbar}\n{container}\n{item.body}\n</div>'
    return _page(portal, item.title, _breadcrumb(portal, item.column), meta_table + "\n" + content + "\n" + tail,
                 metas, page_no)


def _list_items_html(portal: dict, items: list[Item], page_path: str) -> str:
    rows = []
    for item in items:
        href = item.path
        if portal["family"] == "trs":  # TRS lists use links relative to the column folder
            folder = page_path.rsplit("/", 1)[0] + "/"
            if href.startswith(folder):
                href = "./" + href[len(folder):]
        rows.append(f'<li><a href="{href}" title="{html.escape(item.title)}" target="_blank">{html.escape(item.title)}</a>'
                    f"<span>{item.date:%Y-%m-%d}</span></li>")
    return '<ul class="list">\n' + "\n".join(rows) + "\n</ul>"


def _pager(portal: dict, paths: list[str], current: int) -> str:
    total = len(paths)
    if portal["id"] == "zhongning":
        return ('<div class="page"><script type="text/javascript">\n'
                f'createPageHTML({total}, {current}, "index", "html");\n</script></div>')
    if portal["family"] == "generic":
        first = paths[0]
        href = lambda n: first if n == 0 else f"?page={n + 1}"  # noqa: E731 — page 1 is the bare column URL
        links = [f"共{total}页 第{current + 1}页"]
        if current > 0:
            links += [f'<a href="{first}">首页</a>', f'<a href="{href(current - 1)}">上一页</a>']
        if current < total - 1:
            links += [f'<a href="{href(current + 1)}">下一页</a>', f'<a href="{href(total - 1)}">尾页</a>']
        return '<div class="pages">' + " ".join(links) + "</div>"
    name = lambda n: paths[n].rsplit("/", 1)[1]  # noqa: E731 — relative file names, as these CMSs print them
    links = [f"共{total}页"]
    if current > 0:
        links += [f'<a href="{name(0)}">首页</a>', f'<a href="{name(current - 1)}">上一页</a>']
    if portal["family"] == "ucap":
        links += [f'<a href="{name(n)}">{n + 1}</a>' if n != current else f"<span>{n + 1}</span>" for n in range(total)]
    if current < total - 1:
        links += [f'<a href="{name(current + 1)}">下一页</a>', f'<a href="{name(total - 1)}">尾页</a>']
    return '<div class="pages">' + " ".join(links) + "</div>"


def _sub_nav(portal: dict, column: str) -> str:
    cols = COLUMNS[portal["id"]]
    keys = [k for k in ("main", "township", "department", "year2024") if k in cols]
    links = "".join(f'<li><a href="{_list_page_paths(portal, cols[k], 1)[0]}">{COLUMN_NAMES[k]}</a></li>'
                    for k in keys if k != column)
    return f'<ul class="sub-nav">{links}</ul>'


def hanweb_record(item: Item) -> str:
    """One Hanweb record, the <li> fragment that sits in CDATA (first page) or the dataproxy answer."""
    return (f'<li><a href="{item.path}" title="{html.escape(item.title)}" target="_blank">{html.escape(item.title)}</a>'
            f"<span>{item.date:%Y-%m-%d}</span></li>")


def hanweb_datastore(records: list[str], total: int, per_page: int) -> str:
    body = "".join(f"<record><![CDATA[{r}]]></record>" for r in records)
    return (f"<datastore><nextgroup><![CDATA[]]></nextgroup><totalrecord>{total}</totalrecord>"
            f"<totalpage>{math.ceil(total / per_page) if total else 0}</totalpage><recordset>{body}</recordset></datastore>")


def _hanweb_list_page(portal: dict, column: str, items: list[Item]) -> str:
    col_path = COLUMNS[portal["id"]][column]
    col_id = col_path.strip("/").split("/")[-1].removeprefix("col")
    params = {"col": "1", "appid": HANWEB_IDS["appid"], "webid": HANWEB_IDS["webid"], "path": "/", "columnid": col_id,
              "sourceContentType": "1", "unitid": HANWEB_IDS["unitid"], "permissiontype": "0"}
    first = [hanweb_record(item) for item in items[:PAGE_SIZE]]
    main = (f'{_sub_nav(portal, column)}<h2>{COLUMN_NAMES[column]}</h2>\n<div id="{HANWEB_IDS["unitid"]}">'
            f'<script type="text/xml">{hanweb_datastore(first, len(items), PAGE_SIZE)}</script></div>\n'
            '<script type="text/javascript">\n'
            f"var jpageParams = {json.dumps(params, ensure_ascii=False)};\n"
            'var jpageProxyUrl = "/module/web/jpage/dataproxy.jsp";\n'
            f"var jpagePerPage = {PAGE_SIZE};\nvar jpageTotalRecord = {len(items)};\n"
            f"$('#{HANWEB_IDS['unitid']}').jpage({{dataStore: dataStore, perPage: jpagePerPage, proxyUrl: jpageProxyUrl, ajaxParam: jpageParams}});\n"
            "</script>")
    return _page(portal, COLUMN_NAMES[column], _breadcrumb(portal, column), main, {"ColumnName": COLUMN_NAMES[column]})


# --- bodies --------------------------------------------------------------------------------


def _report_body(portal: dict, spec: ReportSpec, pdf_path: str | None, docx_path: str | None, wps_path: str | None,
                 form_paths: list[str] = ()) -> str:
    parts = []
    if form_paths:
        parts.append(f"<p>现将{html.escape(spec.title)}予以公布，详见附件。</p>")
        for n, path in enumerate(form_paths, 1):
            if spec.delivery == "jpg":
                parts.append(f'<p style="text-align:center"><a href="{path}" target="_blank">'
                             f'<img src="{path}" alt="第{n}页" width="800"/></a></p>')
            else:
                name = f"{html.escape(spec.title)}.{path.rsplit('.', 1)[-1]}"
                parts.append(f'<p>附件：<a href="{path}">{name}</a></p>')
    if spec.delivery in ("html", "html+pdf"):
        parts.append(render(spec, "html_body").decode("utf-8"))
    if spec.delivery == "pdf":
        parts.append(f"<p>现将{html.escape(spec.title)}予以公布，详见附件。</p>")
    if pdf_path:
        label = "【下载PDF】" if spec.style % 2 else f"{html.escape(spec.title)}.pdf"
        prefix = "附件：" if spec.style % 3 else "相关附件："
        parts.append(f'<p>{prefix}<a href="{pdf_path}">{label}</a></p>')
    if docx_path:
        parts.append(f"<p>现将{html.escape(spec.title)}予以公布。</p>"
                     f'<p>附件下载：<a href="{docx_path}">{html.escape(spec.title)}.docx</a></p>')
    if wps_path:
        parts.append(f'<p>文件下载：<a href="{wps_path}">{html.escape(spec.title)}.wps</a></p>')
    return "\n".join(parts)


NEWS_TITLES = (
    "{county}召开2025年政务公开工作推进会", "{county}人民政府2024年度工作总结", "{county}2025年政府工作报告",
    "关于做好2024年度政府信息公开工作年度报告编制发布工作的通知", "{county}开展政务公开专题培训",
    "{county}政务公开领域基层标准化工作情况通报", "{county}人民政府2023年度工作总结", "{county}2024年政府工作报告",
    "{county}政务服务中心开展“政务公开日”活动", "{county}2025年政务公开工作要点",
)


def _news_body(rng: random.Random, portal: dict, title: str) -> str:
    return (f"<p>{html.escape(title)}。为深入贯彻落实《中华人民共和国政府信息公开条例》，{portal['county']}"
            f"持续推进政务公开标准化规范化建设，全年累计组织培训{rng.randint(2, 9)}次。</p>"
            "<p>会议要求，各乡镇、各部门要提高思想认识，压实工作责任，确保各项任务落到实处。</p>")


# --- the world -------------------------------------------------------------------------


TRIAL_SHARE = 4  # one 2019-layout report (2019/2020) for every four generated 2021-layout ones


def world_specs(seed: int = 2025, generated: int = 40, forms: int = 1) -> list[ReportSpec]:
    """Every report of a world: the seeds, the generated 2021-layout reports, 2019-layout
    reports and two pre-2020 ones, in the order the portals publish them."""
    specs = seed_reports() + generate_reports(seed, generated, PORTALS)
    specs += trial_reports(seed, max(len(PORTALS), generated // TRIAL_SHARE), PORTALS)
    specs += [pre2020_report(seed, PORTALS[1], 0), pre2020_report(seed, PORTALS[3], 1)]
    return specs + form_reports(seed, specs, forms)


def form_reports(seed: int, existing: list[ReportSpec], copies: int = 1) -> list[ReportSpec]:
    """`copies` 2021-layout reports in each form of sample_portals.forms (a scan, JPG pages,
    a .wps, …), agencies and years distinct from the other reports'."""
    taken = {report_key(spec.portal_id, spec.agency, spec.year) for spec in existing}
    picked = []
    wanted = copies * len(FORM_FILES)
    for spec in generate_reports(seed + 1, 6 * wanted, PORTALS):
        if len(picked) == wanted:
            break
        key = report_key(spec.portal_id, spec.agency, spec.year)
        if key in taken:
            continue
        taken.add(key)
        spec.id, spec.kind = f"{spec.portal_id}-f{len(picked):02d}", "form"
        spec.delivery = list(FORM_FILES)[len(picked) % len(FORM_FILES)]
        picked.append(spec)
    return picked


def _column_for(spec: ReportSpec, cols: dict) -> str:
    """Which of a portal's columns publishes a report (浑源's year column holds that
    year's township reports too)."""
    if "year2024" in cols and spec.year == 2024 and spec.level != "department":
        return "year2024"
    if spec.level == "department" and "department" not in cols:  # a unit's own sub-site
        return next(f"unit{n:02d}" for n, name in enumerate(DEPARTMENTS) if spec.agency.endswith(name))
    return {"township": "township", "department": "department"}.get(spec.level, "main")


class _PortalSite:
    """One portal's pages and files as they are built: reports placed in their columns,
    news padding the columns, then detail pages, list pages and the 政府信息公开 area."""

    def __init__(self, portal: dict, seed: int, root: Path, manifest: dict):
        self.portal, self.seed, self.root, self.manifest = portal, seed, root, manifest
        self.pid, self.cols = portal["id"], COLUMNS[portal["id"]]
        self.rng = random.Random(f"ogi-world:{seed}:{self.pid}")
        self.columns: dict[str, list[Item]] = {key: [] for key in self.cols if key != "area"}
        self.files: dict[str, bytes] = {}
        self.news = list(NEWS_TITLES)
        self.rng.shuffle(self.news)
        self.non_report_items: list[Item] = []
        self.used_titles: set[str] = set()

    def add_file(self, path: str, content: bytes) -> None:
        if path in self.files:
            raise ValueError(f"{self.pid}: two files at {path}")
        self.files[path] = content

    def place_report(self, spec: ReportSpec) -> None:
        portal = self.portal
        column = _column_for(spec, self.cols)
        uid = _uid(self.seed, spec.id)
        date = spec.published
        detail = _detail_path(portal, self.cols[column], date, uid)
        delivery = "html" if spec.format == "pre-2020" else spec.delivery
        pdf_path = docx_path = wps_path = None
        entry_files = []
        attachments = []
        if delivery in ("html", "html+pdf"):
            entry_files.append({"path": detail, "form": "html"})
        if delivery in ("pdf", "html+pdf"):
            pdf_path = _attachment_path(portal, detail, date, uid, "pdf")
            attachments.append((pdf_path, render(spec, "pdf")))
            entry_files.append({"path": pdf_path, "form": "pdf"})
        if delivery in FORM_FILES:
            made = form_files(spec)
            for n, content in enumerate(made):
                path = _attachment_path(portal, detail, date, _uid(uid, delivery, n), FORM_FILES[delivery])
                attachments.append((path, content))
                entry_files.append({"path": path, "form": delivery})
        if delivery == "docx":
            docx_path = _attachment_path(portal, detail, date, uid, "docx")
            attachments.append((docx_path, render(spec, "docx")))
            entry_files.append({"path": docx_path, "form": "docx"})
            if self.pid == "luoning":
                wps_path = _attachment_path(portal, detail, date, _uid(uid, "wps"), "wps")
                attachments.append((wps_path, _wps_bytes(uid)))
                entry_files.append({"path": wps_path, "form": "wps_opaque"})
        spec.delivery = delivery
        body = _report_body(portal, spec, pdf_path, docx_path, wps_path, [path for path, _ in attachments]
                            if delivery in FORM_FILES else [])
        self.columns[column].append(Item(spec.title, date, detail, body, spec.agency, column, attachments, spec))
        self.manifest["reports"].append({
            "id": spec.id, "portal_id": self.pid, "kind": spec.kind, "format": spec.format, "level": spec.level,
            "year": spec.year, "detail_path": detail, "delivery": delivery, "files": entry_files,
            "truth": f"truth/{spec.id}.json", "title": spec.title,
        })

    def add_news(self, column: str) -> None:
        portal, rng = self.portal, self.rng
        if not self.news:  # a small world pads its columns with more news than there are titles
            self.news.extend(NEWS_TITLES)
            rng.shuffle(self.news)
        title = self.news.pop().format(county=portal["county"])
        named_year = re.search(r"(20\d\d)年", title)
        if named_year:  # a 2025 work plan is published in 2025, a 2024 summary in 2025
            year = int(named_year[1]) + (1 if "总结" in title else 0)
            date = dt.date(year, 1, 5) + dt.timedelta(days=rng.randint(0, 330))
        else:
            date = dt.date(2021, 6, 1) + dt.timedelta(days=rng.randint(0, 1700))
        again = title in self.used_titles  # a reused title needs its own page
        self.used_titles.add(title)
        uid = (_uid(self.seed, self.pid, title, len(self.non_report_items)) if again
               else _uid(self.seed, self.pid, title))
        path = _detail_path(portal, self.cols[column], date, uid)
        item = Item(title, date, path, _news_body(rng, portal, title), f"{portal['county']}人民政府办公室", column)
        self.columns[column].append(item)
        self.non_report_items.append(item)

    def pad_columns(self) -> None:
        for _ in range(2):
            self.add_news("main")
        while len(self.columns["main"]) < MIN_MAIN_ITEMS:
            self.add_news("main")
        for column, items in self.columns.items():
            if not items:
                self.add_news(column)

    def write_details(self) -> None:
        portal, page_no = self.portal, 0
        for column in sorted(self.columns):
            for n, item in enumerate(sorted(self.columns[column], key=lambda i: (i.path,))):
                page_no += 1
                index_no = f"{portal['admin_code']}00{n % 10}/{item.date.year}-{int(_uid(item.path)[:6], 16) % 100000:05d}"
                self.add_file(item.path, _detail_page(portal, item, index_no, page_no).encode())
                for path, content in item.attachments:
                    self.add_file(path, content)
        for item in self.non_report_items:
            self.manifest["non_reports"].append({"portal_id": self.pid, "path": item.path, "title": item.title})

    def write_lists(self) -> None:
        portal = self.portal
        for column in sorted(self.columns):
            items = sorted(self.columns[column], key=lambda i: (i.date, i.path), reverse=True)
            col_path = self.cols[column]
            if portal["family"] == "hanweb":
                path = col_path + "index.html"
                self.add_file(path, _hanweb_list_page(portal, column, items).encode())
                self.manifest["list_pages"].append({"portal_id": self.pid, "path": path})
                store = self.root / "hanweb" / self.pid / f"col{col_path.strip('/').split('/')[-1].removeprefix('col')}.json"
                store.parent.mkdir(parents=True, exist_ok=True)
                store.write_text(json.dumps([hanweb_record(i) for i in items], ensure_ascii=False, indent=0),
                                 encoding="utf-8")
                continue
            pages = max(1, math.ceil(len(items) / PAGE_SIZE))
            paths = _list_page_paths(portal, col_path, pages)
            api = API_COLUMNS.get((self.pid, column))
            metas = {"ColumnName": COLUMN_NAMES[column]}
            if api:
                paths = paths[:1]  # the rest only through the API
                api_id, script = self.api_store(api, column, items)
                metas |= {"channelid": api_id} if api == "ucap" else {}
            for n, path in enumerate(paths):
                chunk = items[n * PAGE_SIZE:(n + 1) * PAGE_SIZE]
                pager = script if api else _pager(portal, paths, n)
                main = (f"{_sub_nav(portal, column)}<h2>{COLUMN_NAMES[column]}</h2>\n"
                        f"{_list_items_html(portal, chunk, path)}\n{pager}")
                page = _page(portal, COLUMN_NAMES[column], _breadcrumb(portal, column), main, metas, n).encode()
                self.add_file(file_for(path), page)
                self.manifest["list_pages"].append({"portal_id": self.pid, "path": path})
                copy = column_copy_path(portal)
                if column == "main" and n == 0 and copy:
                    self.add_file(copy, page)
                    self.manifest["column_copies"].append({"portal_id": self.pid, "path": copy})

    def api_store(self, api: str, column: str, items: list[Item]) -> tuple[str, str]:
        """Write the column's items where the server's API answers from (root/api/<portal>/,
        not served as files) and return (the API's id for the column, the list script)."""
        total = len(items)
        if api == "was5":
            api_id = str(3000 + sorted(self.cols).index(column))  # the WCM channel id
            script = (f'<script>var wcmid = {api_id}; var wasid = {WAS5_CHANNEL}; var recordCount = {total};</script>\n'
                      "<script>require(['list2.trsapi']);listModel({maxStaticIndex:1,pagebar:{prepage:"
                      f"{PAGE_SIZE},recordCount:'{total}'}}}})</script>")
            self.manifest["api_pages"] += [
                {"portal_id": self.pid, "path": f"{WAS5_PATH}?channelid={WAS5_CHANNEL}&chnlid={api_id}&page={n}"}
                for n in range(2, math.ceil(total / PAGE_SIZE) + 1)]
        else:
            api_id = _uid(self.seed, self.pid, column)[:32]
            script = (f'<input type="hidden" id="pageSize" value="{PAGE_SIZE}"><input type="hidden" id="page" value="1">'
                      '<div id="page_div"></div>\n<script>var channelid = $(\'meta[name="channelid"]\').attr("content");\n'
                      f"$.ajax({{url: '{UCAP_SEARCH}' + channelid + '?_isAgg=true&_isJson=true&_pageSize=' + "
                      "$(\"#pageSize\").val() + '&_template=index&_rangeTimeGte=&_channelName=&page=' + $(\"#page\").val(),"
                      " type: 'get', success: function(data) { table_page(data.data.total); }});</script>")
            self.manifest["api_pages"] += [
                {"portal_id": self.pid, "path": f"{UCAP_SEARCH}{api_id}?_isJson=true&_pageSize={PAGE_SIZE}&page={n}"}
                for n in range(1, math.ceil(total / PAGE_SIZE) + 1)]
        store = self.root / "api" / self.pid / f"{api}-{api_id}.json"
        store.parent.mkdir(parents=True, exist_ok=True)
        store.write_text(json.dumps([{"title": i.title, "url": i.path, "publishedTimeStr": f"{i.date:%Y-%m-%d} 09:00:00"}
                                     for i in items], ensure_ascii=False, indent=0), encoding="utf-8")
        return api_id, script

    def write_area(self) -> None:
        """The 政府信息公开 area, its standard entries, the home page and robots.txt."""
        portal, cols = self.portal, self.cols
        entry_paths = {}
        for key, name in AREA_ENTRIES:
            if key == "main":
                entry_paths[key] = _list_page_paths(portal, cols["main"], 1)[0]
                continue
            path = f"{cols['area']}{key}/index.html"
            body = (f"<h2>{name}</h2><p>为进一步做好{portal['county']}{name}相关工作，根据《中华人民共和国政府信息公开条例》，"
                    f"现将有关事项公布如下。</p><p>联系电话：0000-1234567</p>")
            self.add_file(path, _page(portal, name, _breadcrumb(portal, "area") + [(name, "")], body).encode())
            self.manifest["non_reports"].append({"portal_id": self.pid, "path": path, "title": name})
            entry_paths[key] = path
        area = "<ul class=\"xxgk-nav\">" + "".join(
            f'<li><a href="{entry_paths[key]}">{name}</a></li>' for key, name in AREA_ENTRIES) + "</ul>"
        self.add_file(cols["area"] + "index.html", _page(portal, "政府信息公开", _breadcrumb(portal, "area"), area).encode())
        # Some home pages link the 年报 column, others only the 政府信息公开 area that does.
        direct = "" if self.pid in HOME_WITHOUT_COLUMN else f'<li><a href="{entry_paths["main"]}">政府信息公开年报</a></li>'
        home = (f'<h2>{html.escape(portal["name"])}</h2><ul>'
                f'<li><a href="{cols["area"]}">政府信息公开</a></li>{direct}'
                f'<li><a href="/bsfw/">办事服务</a></li></ul>'
                f'<div class="news"><a href="{OFFSITE_LINK}">中国政府网</a></div>')
        self.add_file("/index.html", _page(portal, portal["name"], [("首页", "")], home).encode())
        self.write_platform()
        self.add_file("/robots.txt", b"User-agent: *\nAllow: /\n")
        self.add_file("/css/style.css", b"body{font-family:sans-serif}\n")

    def write_platform(self) -> None:
        """The 部门信息公开平台: a page listing the units, each unit's home page linking its
        own 政府信息公开年报 column."""
        if self.pid not in PLATFORMS:
            return
        portal, (title, root) = self.portal, PLATFORMS[self.pid]
        units = []
        for n, name in enumerate(DEPARTMENTS):
            agency, column = f"{portal['county']}{name}", f"unit{n:02d}"
            home = f"{root}bm{n:02d}/index.html"
            body = (f"<h2>{agency}</h2><ul class=\"unit-nav\"><li>机构职能</li>"
                    f'<li><a href="{_list_page_paths(portal, self.cols[column], 1)[0]}">政府信息公开年报</a></li></ul>')
            self.add_file(home, _page(portal, agency, [("首页", "/"), (title, root), (agency, "")], body).encode())
            units.append(f'<li><a href="{home.removesuffix("index.html")}">{agency}</a></li>')
            self.manifest["platform_units"].append({"portal_id": self.pid, "path": home, "column": self.cols[column]})
        self.add_file(root + "index.html", _page(portal, title, [("首页", "/"), (title, "")],
                                                 f"<h2>{title}</h2><ul class=\"units\">{''.join(units)}</ul>").encode())

    def manifest_entry(self) -> dict:
        start_paths = [self.cols["main"]] + ([self.cols["year2024"]] if "year2024" in self.cols else [])
        if self.portal["family"] in ("trs", "ucap", "hanweb"):
            start_paths = [_list_page_paths(self.portal, p, 1)[0] for p in start_paths]
        keys = ("id", "name", "province", "city", "county", "admin_code", "family", "charset")
        return {key: self.portal[key] for key in keys} | {"start_paths": start_paths}

    def save(self) -> None:
        """Write the files: luoning's pages are GBK, everything else as is."""
        site = self.root / "sites" / self.pid
        for path, content in sorted(self.files.items()):
            if self.portal["charset"] == "gbk" and file_for(path).endswith((".html", ".css")) or "?page=" in path:
                content = content.decode("utf-8").encode("gbk", errors="xmlcharrefreplace")
            target = site / file_for(path).lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)


def generate_world(root: Path, seed: int = 2025, generated: int = 40, forms: int = 1) -> dict:
    """Write the whole world under `root` (replacing earlier output there) and return the manifest."""
    root = Path(root)
    for sub in ("sites", "truth", "hanweb", "api"):
        shutil.rmtree(root / sub, ignore_errors=True)
    root.mkdir(parents=True, exist_ok=True)

    specs = world_specs(seed, generated, forms)
    manifest = {"seed": seed, "portals": [], "reports": [], "non_reports": [], "list_pages": [],
                "column_copies": [], "chrome_404": [], "api_pages": [], "platform_units": []}
    for portal in PORTALS:
        site = _PortalSite(portal, seed, root, manifest)
        for spec in (s for s in specs if s.portal_id == portal["id"]):
            site.place_report(spec)
        site.pad_columns()
        site.write_details()
        site.write_lists()
        site.write_area()
        manifest["portals"].append(site.manifest_entry())
        manifest["chrome_404"] += [{"portal_id": portal["id"], "path": href} for _, href in chrome_links(portal)]
        site.save()
    truth_dir = root / "truth"
    truth_dir.mkdir(parents=True, exist_ok=True)
    for spec in sorted(specs, key=lambda s: s.id):
        (truth_dir / f"{spec.id}.json").write_text(
            json.dumps(spec_to_truth(spec), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    manifest["reports"].sort(key=lambda r: r["id"])
    (root / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return manifest


def file_for(url_path: str) -> str:
    """The file under sites/<portal>/ that serves a URL path: directories serve index.html, ?query is kept in the name."""
    path, _, query = url_path.partition("?")
    if path.endswith("/"):
        path += "index.html"
    return f"{path}?{query}" if query else path
