"""Offline tests of the crawler's page objects, link rules and small components.

Pages are shaped after the CMS families of shared/design/portals.md; no network.
"""

from __future__ import annotations

import asyncio
import json
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone

import pytest
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Request

from crawler import linkrules
from crawler.families import HanwebFamily, PageRequest, family_for
from crawler.ledger import RunLedger
from crawler.middlewares import (ChineseEncodingMiddleware, PortalRoutingMiddleware, PrivateAddressMiddleware,
                                 is_private_host, retry_after_seconds)
from crawler.registry import RegistryError, load_registry, on_portal

REPORT = "中宁县2023年政府信息公开工作年度报告"


def page(url: str, body: str, encoding="utf-8", headers=None) -> HtmlResponse:
    return HtmlResponse(url, body=body.encode(encoding), encoding=encoding, headers=headers)


# -- link rules --------------------------------------------------------------------------
@pytest.mark.parametrize("pattern", linkrules.rules()["lookalike_patterns"])
def test_every_lookalike_pattern_rejects_a_report_shaped_title(pattern):
    assert not linkrules.is_report_title(f"中宁县2024年{pattern}政府信息公开工作年度报告")


@pytest.mark.parametrize("title", [REPORT, "盐池县王乐井乡2021年政府信息公开年报",
                                   "浑源县人力资源和社会保障局2023 年政府信息公开工作年度报告",
                                   "隆德县 2022 年度 政府信息公开 工作年度报告",
                                   "洛宁县人民政府办公室关于印发洛宁县2023年政府信息公开工作年度报告的通知"])
def test_report_titles_are_reports(title):
    assert linkrules.is_report_title(title)


@pytest.mark.parametrize("title", ["中宁县2025年政府工作报告", "政府信息公开指南", "中宁县人民政府2024年度工作总结",
                                   "关于做好2024年度政府信息公开工作年度报告编制发布工作的通知", "2025年政务公开工作要点"])
def test_lookalikes_are_not_reports(title):
    assert not linkrules.is_report_title(title)


@pytest.mark.parametrize("ext", ["pdf", "doc", "docx", "wps", "xls", "xlsx", "et", "ofd", "rtf",
                                 *linkrules.rules()["archive_extensions"]])
def test_every_attachment_extension_is_recognised(ext):
    """Every document format parsers.sniff names, and the archives the rules list."""
    assert linkrules.attachment_extension(f"http://x.gov.cn/a/P020240101.{ext.upper()}") == ext


@pytest.mark.parametrize("url", ["http://x.gov.cn/a/b.html", "http://x.gov.cn/a/b.jpg", "http://x.gov.cn/a/b"])
def test_pages_and_images_are_not_attachments(url):
    assert linkrules.attachment_extension(url) is None


def test_a_report_page_links_its_scanned_pages_as_attachments():
    body = ('<html><body><img src="/logo.png"><a href="/"><img src="/banner.jpg"></a><div class="article">'
            '<p><a href="/uploadfile/1.jpg"><img src="/uploadfile/1.jpg"></a></p>'
            '<p><a href="/uploadfile/2.JPG">第2页</a></p><a href="/a/b.html">其他</a></div></body></html>')
    response = HtmlResponse("http://x.gov.cn/a/t20240101_1.html", body=body.encode(), encoding="utf-8")
    assert [link.url for link in family_for("generic").attachments(response)] == [
        "http://x.gov.cn/uploadfile/1.jpg", "http://x.gov.cn/uploadfile/2.JPG"]
    assert linkrules.kind_of_url("http://x.gov.cn/uploadfile/1.jpg", "image/jpeg") == "attachment"


def test_pages_of_one_list_share_a_key():
    assert linkrules.is_pager_link("http://h/a/index.html", "http://h/a/index_3.html")
    assert linkrules.is_pager_link("http://h/list.jsp?PAGENUM=1&wbtreeid=2", "http://h/list.jsp?PAGENUM=4&wbtreeid=2")
    assert not linkrules.is_pager_link("http://h/a/index.html", "http://h/b/index_1.html")


# -- families ----------------------------------------------------------------------------
def test_trs_js_pager_and_relative_report_links():
    response = page("http://127.0.0.1:9/zfxxgk/zfxxgknb/index.html", f"""
        <ul class="sub-nav"><li><a href="/zfxxgk/zfxxgknb/xzjd/">乡镇（街道）年报</a></li></ul>
        <ul><li><a href="./202401/t20240115_1234567.html" title="{REPORT}">{REPORT[:10]}…</a></li>
        <li><a href="./202501/t20250105_7654321.html">中宁县2025年政府工作报告</a></li></ul>
        <div class="page"><script>createPageHTML(3, 0, "index", "html");</script></div>""")
    result = family_for("trs").parse_list(response, ["http://127.0.0.1:9/zfxxgk/zfxxgknb/index.html"])
    assert [(l.url, l.text) for l in result.reports] == [
        ("http://127.0.0.1:9/zfxxgk/zfxxgknb/202401/t20240115_1234567.html", REPORT)]
    assert {l.url for l in result.next_pages} >= {"http://127.0.0.1:9/zfxxgk/zfxxgknb/index_1.html",
                                                  "http://127.0.0.1:9/zfxxgk/zfxxgknb/index_2.html"}
    assert [l.url for l in result.columns] == ["http://127.0.0.1:9/zfxxgk/zfxxgknb/xzjd/"]


def test_hanweb_datastore_records_and_dataproxy_posts():
    params = {"col": "1", "appid": "1", "webid": "39", "path": "/", "columnid": "1234",
              "sourceContentType": "1", "unitid": "5678", "permissiontype": "0"}
    record = f'<li><a href="/art/2024/1/20/art_1234_100001.html" title="{REPORT}">{REPORT}</a></li>'
    response = page("http://127.0.0.1:9/col/col1234/index.html", f"""
        <div id="5678"><script type="text/xml"><datastore><totalrecord>10</totalrecord>
        <recordset><record><![CDATA[{record}]]></record></recordset></datastore></script></div>
        <script>var jpageParams = {json.dumps(params)}; var jpagePerPage = 4; var jpageTotalRecord = 10;</script>""")
    result = HanwebFamily().parse_list(response)
    assert [l.url for l in result.reports] == ["http://127.0.0.1:9/art/2024/1/20/art_1234_100001.html"]
    posts = [p for p in result.next_pages if isinstance(p, PageRequest)]
    assert posts and all(p.method == "POST" and "dataproxy.jsp?startrecord=" in p.url for p in posts)
    assert dict(posts[0].formdata) == params
    covered = []
    for post in posts:
        query = dict(part.split("=") for part in post.url.split("?")[1].split("&"))
        covered += range(int(query["startrecord"]), int(query["endrecord"]) + 1)
    assert covered == list(range(2, 11))


def test_generic_pager_with_total_pages_reaches_every_page():
    response = page("http://127.0.0.1:9/zwgk/xxgknb/", """
        <div class="pages">共5页 第1页 <a href="?page=2">下一页</a> <a href="?page=5">尾页</a></div>""", "gbk")
    urls = {l.url for l in family_for("generic").parse_list(response).next_pages}
    assert {f"http://127.0.0.1:9/zwgk/xxgknb/?page={n}" for n in range(2, 6)} <= urls


def test_report_page_attachments():
    response = page("http://127.0.0.1:9/2024/01-20/123456.html", """
        <p>附件：<a href="/uploadfile/2024/0120/1.docx">报告.docx</a> <a href="/uploadfile/2024/0120/2.wps">报告.wps</a>
        <a href="/about.html">关于我们</a></p>""")
    assert [l.url.rsplit(".", 1)[1] for l in family_for("generic").attachments(response)] == ["docx", "wps"]


def test_malformed_html_yields_links_not_crashes():
    response = HtmlResponse("http://127.0.0.1:9/x/", body=b"<table><tr><td><a href='a.html'>" + REPORT.encode("gbk")
                            + b"\xff\xfe<<<>>></p></div>", encoding="gb18030")
    assert family_for("generic").parse_list(response).reports


# -- registry and components -------------------------------------------------------------
def test_shipped_registry_is_the_five_unverified_seed_counties():
    portals = load_registry()
    assert {p["id"] for p in portals} == {"zhongning", "yanchi", "longde", "hunyuan", "luoning"}
    assert all(not p["verified"] and not p["local"] for p in portals)
    zhongning = next(p for p in portals if p["id"] == "zhongning")
    assert {"www.znxf.gov.cn", "www.znzf.gov.cn"} <= set(zhongning["hosts"])


def test_registry_entry_without_hosts_is_named_in_the_error():
    with pytest.raises(RegistryError, match="broken.*hosts"):
        load_registry([{"id": "broken", "family": "trs", "start_urls": ["http://x/"]}])


def test_local_portals_are_told_apart_by_port():
    portal = {"hosts": ["127.0.0.1:8001"], "local": True}
    assert on_portal(portal, "http://127.0.0.1:8001/a") and not on_portal(portal, "http://127.0.0.1:8002/a")


@pytest.mark.parametrize("host,private", [("127.0.0.1", True), ("10.1.2.3", True), ("192.168.0.1", True),
                                          ("169.254.1.1", True), ("localhost", True), ("[::1]", True),
                                          ("localhost.", True), ("LOCALHOST", True), ("a.localhost.", True),
                                          ("::ffff:127.0.0.1", True), ("fe80::1%eth0", True),
                                          ("www.nxld.gov.cn", False), ("202.100.1.1", False)])
def test_private_hosts(host, private):
    assert is_private_host(host) is private


class FakeLedger:
    def __init__(self, registry):
        self.registry = registry
        self.errors = []

    def error(self, request, kind, reason, **_):
        self.errors.append((request.url, kind))


def test_redirect_to_a_private_address_is_refused_for_public_portals():
    ledger = FakeLedger([{"id": "yanchi", "hosts": ["www.yanchi.gov.cn", "10.0.0.5"], "local": False, "hints": {}}])
    middleware = PortalRoutingMiddleware(ledger)
    redirected = Request("http://10.0.0.5/admin", meta={"ogi_portal": "yanchi"})
    with pytest.raises(IgnoreRequest):
        middleware.process_request(redirected)
    with pytest.raises(IgnoreRequest):
        middleware.process_request(Request("http://evil.example/x", meta={"ogi_portal": "yanchi"}))
    assert [kind for _, kind in ledger.errors] == ["refused", "refused"]
    ok = Request("http://www.yanchi.gov.cn/xxgk/", meta={"ogi_portal": "yanchi"})
    assert middleware.process_request(ok) is None and ok.meta["download_slot"] == "www.yanchi.gov.cn"


class FakeResolver:
    """Answers from a table instead of DNS (no network); counts the look-ups."""

    def __init__(self, answers):
        self.answers, self.asked = answers, []

    async def __call__(self, host, port):
        self.asked.append(host)
        answer = self.answers[host]
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.mark.parametrize("host,answer,refused_as", [
    ("www.yanchi.gov.cn", ["202.100.96.5"], None),
    ("intranet.yanchi.gov.cn", ["127.0.0.1"], "refused"),
    ("oa.yanchi.gov.cn", ["202.100.96.6", "10.1.2.3"], "refused"),  # one private answer is enough
    ("v6.yanchi.gov.cn", ["::1"], "refused"),
    ("link.yanchi.gov.cn", ["169.254.169.254"], "refused"),
    ("gone.yanchi.gov.cn", OSError(-2, "Name or service not known"), "dns"),
    ("slow.yanchi.gov.cn", TimeoutError("resolver took too long"), "dns")])
def test_public_names_resolving_to_private_addresses_are_refused(host, answer, refused_as):
    ledger = FakeLedger([{"id": "yanchi", "hosts": [host], "local": False, "hints": {}}])
    resolver = FakeResolver({host: answer})
    middleware = PrivateAddressMiddleware(ledger, lookup=resolver)
    for path in ("/xxgk/", "/xxgk/2.html"):
        request = Request(f"http://{host}{path}", meta={"ogi_portal": "yanchi"})
        if refused_as is None:
            assert asyncio.run(middleware.process_request(request)) is None
        else:
            with pytest.raises(IgnoreRequest):
                asyncio.run(middleware.process_request(request))
    assert resolver.asked == [host]  # resolved once per host, not per request
    assert [kind for _, kind in ledger.errors] == ([] if refused_as is None else [refused_as] * 2)


def test_local_and_proxied_portals_are_not_resolved():
    ledger = FakeLedger([{"id": "sample", "hosts": ["127.0.0.1:9"], "local": True, "hints": {}},
                         {"id": "far", "hosts": ["www.far.gov.cn"], "local": False, "hints": {}}])
    resolver = FakeResolver({})
    middleware = PrivateAddressMiddleware(ledger, lookup=resolver)
    assert asyncio.run(middleware.process_request(Request("http://127.0.0.1:9/", meta={"ogi_portal": "sample"}))) is None
    proxied = Request("http://www.far.gov.cn/", meta={"ogi_portal": "far", "proxy": "http://127.0.0.1:3128"})
    assert asyncio.run(middleware.process_request(proxied)) is None
    assert resolver.asked == [] and ledger.errors == []


def test_proxy_hint_goes_on_the_request():
    ledger = FakeLedger([{"id": "p", "hosts": ["www.x.gov.cn"], "local": False,
                          "hints": {"proxy": "http://127.0.0.1:3128"}}])
    request = Request("http://www.x.gov.cn/", meta={"ogi_portal": "p"})
    PortalRoutingMiddleware(ledger).process_request(request)
    assert request.meta["proxy"] == "http://127.0.0.1:3128"


def test_undeclared_gbk_is_read_as_gb18030():
    ledger = FakeLedger([{"id": "luoning", "hosts": ["127.0.0.1:9"], "local": True, "hints": {}}])
    middleware = ChineseEncodingMiddleware(ledger)
    body = f"<html><body><a href='a.html'>{REPORT}</a>𠀀</body></html>".encode("gb18030")
    response = HtmlResponse("http://127.0.0.1:9/", body=body, headers={"Content-Type": "text/html"})
    request = Request("http://127.0.0.1:9/", meta={"ogi_portal": "luoning"})
    fixed = middleware.process_response(request, response)
    assert REPORT in fixed.text
    lying = HtmlResponse("http://127.0.0.1:9/", body=body, headers={"Content-Type": "text/html; charset=utf-8"})
    assert REPORT in middleware.process_response(request, lying).text


def test_retry_after_as_seconds_or_http_date():
    assert retry_after_seconds(b"120") == 120
    later = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=60), usegmt=True)
    assert 55 <= retry_after_seconds(later) <= 60
    assert retry_after_seconds(b"soon") is None


@pytest.mark.parametrize("status,body,blocked", [
    (412, b"", True), (521, b"<script>x</script>", True),
    (200, b"<html><meta r='m'><script>var $_ts=window['$_ts'];</script></html>", True),
    (200, "<html><p>年度报告</p></html>".encode(), False), (404, b"", False)])
def test_anti_bot_answers_are_blocked(status, body, blocked):
    assert RunLedger.is_blocked(status, body) is blocked


def test_list_selector_hint_keeps_report_links_inside_it():
    response = page("http://127.0.0.1:9/zfxxgk/zfxxgknb/index.html", f"""
        <div class="hot"><a href="/other/t20240101_1.html">{REPORT}（转载）</a></div>
        <ul class="list"><li><a href="./202401/t20240115_1.html">{REPORT}</a></li></ul>""")
    result = family_for("trs").parse_list(response, list_selector="ul.list")
    assert [l.url for l in result.reports] == ["http://127.0.0.1:9/zfxxgk/zfxxgknb/202401/t20240115_1.html"]


def test_decide_outcome_is_the_archive_policy_without_storage():
    """The outcome of a response from what the index knows, no database or WARC needed."""
    from crawler.ledger import decide_outcome

    had = {"payload_sha256": "a" * 64, "url": "http://h/r.html"}
    asked = []

    def never(*args):
        asked.append(args)
        return None

    def call(status, digest="a" * 64, previous=had, **kw):
        return decide_outcome("http://h/r.html", status, digest, True, kw.pop("blocked", False), previous,
                              gone_before=kw.pop("gone_before", lambda: False),
                              original_for=kw.pop("original_for", never), **kw)

    assert call(200, blocked=True).outcome == "blocked"
    assert call(304).outcome == "unchanged" and call(304).revisit is had
    assert call(304, previous=None).outcome == "error"
    assert call(404).outcome == "gone" and call(410, previous=None, gone_before=lambda: True).outcome == "gone"
    assert call(404, previous=None).outcome == "error" and call(500).outcome == "error"
    assert call(302, location="/r.html").outcome == "redirect_loop"
    moved = call(301, location="/new.html")
    assert moved.outcome == "redirect" and moved.loop_target == "http://h/new.html"
    assert call(200).outcome == "unchanged" and call(200, digest="b" * 64).outcome == "changed"
    other = {"payload_sha256": "c" * 64, "url": "http://h/other.html"}
    fresh = call(200, digest="c" * 64, previous=None, original_for=lambda sha: other)
    assert fresh.outcome == "new" and fresh.revisit is other  # the same bytes elsewhere: a revisit
    asked.clear()
    call(500)
    assert asked == []  # the index is asked only where the answer matters


@pytest.mark.parametrize("text, is_name", [
    ("政府信息公开年报", True), ("乡镇（街道）年报", True), ("部门年报", True), ("2024年政府信息公开年报", True), ("2024年年报", True),
    ("信息公开年报", True), ("政府信息公开年度报告", True),
    ("中宁县2023年政府信息公开工作年度报告", False), ("2023年政府信息公开工作年度报告", False), ("政府信息公开指南", False), ("网站年度报表", False)])
def test_a_column_is_named_by_its_whole_text(text, is_name):
    assert linkrules.is_column_name(text) == is_name


def test_a_side_menu_link_naming_the_column_is_a_list_and_chrome_is_not_followed():
    start = "http://127.0.0.1:9/zfxxgk/zfxxgknb/index.html"
    response = page(start, f"""
        <div class="nav"><a href="/zfxxgk/ysqgk/">政府信息公开申请</a><a href="/zdly/">重点领域信息公开</a>
        <a href="/bsfw/">办事服务</a><a href="/gwh/wj/">管委会文件</a><a href="/bmpt/">地方部门平台链接</a></div>
        <ul class="side"><li><a href="/zfxxgk/zfxxgknb/nlist.htm">政府信息公开年报</a></li></ul>
        <ul><li><a href="./202401/t20240115_1234567.html">{REPORT}</a></li></ul>""")
    result = family_for("trs").parse_list(response, [start])
    assert [l.url for l in result.reports] == ["http://127.0.0.1:9/zfxxgk/zfxxgknb/202401/t20240115_1234567.html"]
    assert [l.url for l in result.columns] == ["http://127.0.0.1:9/zfxxgk/zfxxgknb/nlist.htm"]
    assert [l.url for l in result.platforms] == ["http://127.0.0.1:9/bmpt/"]  # units' sub-sites: followed apart


@pytest.mark.parametrize("text, platform, unit", [
    ("地方部门平台链接", True, False), ("部门信息公开平台", True, False), ("市政府部门信息公开", True, False),
    ("乡镇（街道）信息公开", True, False), ("重点领域信息公开", False, False), ("政府信息公开申请", False, False),
    ("盐池县发展和改革局", False, True), ("花马池镇人民政府", False, True), ("盐州街道办事处", False, True),
    ("政府信息公开指南", False, False), (REPORT, False, False)])
def test_platforms_and_their_units_by_link_text(text, platform, unit):
    assert (linkrules.is_platform_text(text), linkrules.is_unit_name(text)) == (platform, unit)


# -- lists a script fills from the CMS API (crawler/apilists.py) -----------------------------
def test_trs_dynamic_static_list_asks_was5_for_the_pages_past_the_static_ones():
    """Shaped after the MOE and 福建人社 pages: `var wcmid/wasid/recordCount` and
    `listModel({maxStaticIndex, pagebar:{prepage, recordCount}})`."""
    response = page("http://127.0.0.1:9/zfxxgk/zfxxgknb/index.html", f"""
        <ul><li><a href="./202401/t20240115_1.html">{REPORT}</a></li></ul>
        <script>var wcmid = 271; var wasid = 254874; var recordCount = 45;</script>
        <script>require(['list2.trsapi']);listModel({{maxStaticIndex:2,pagebar:{{prepage:10,recordCount:'45'}}}})</script>""")
    urls = [l.url for l in family_for("trs").parse_list(response).next_pages]
    assert urls == ["http://127.0.0.1:9/zfxxgk/zfxxgknb/index_1.html"] + [
        f"http://127.0.0.1:9/was5/web/search?channelid=254874&chnlid=271&page={n}" for n in (3, 4, 5)]


def test_was5_docs_jsp_answer_that_is_not_json_still_gives_its_links():
    answer = ('{"count":"2","chnlname":"x",\n"pagenum":"1",\n"py":\'###pypy###\',\n"docs":[\n'
              f'{{"title":"{REPORT}","url":"http://127.0.0.1:9/zfxxgk/zfxxgknb/202401/t20240115_1.html","time":"2024-01-15"}},\n'
              '{"title":"中宁县2024年政府工作报告","url":"http://127.0.0.1:9/a/t20240101_2.html"}]}')
    response = page("http://127.0.0.1:9/was5/web/search?channelid=1&chnlid=2&page=3", answer)
    result = family_for("trs").parse_list(response)
    assert [(l.text, l.url) for l in result.reports] == [
        (REPORT, "http://127.0.0.1:9/zfxxgk/zfxxgknb/202401/t20240115_1.html")]


def test_jpaas_unit_is_asked_page_by_page_from_its_pager_counts():
    """Shaped after the MIIT/mofcom unitbuild.js declaration and answer."""
    response = page("http://127.0.0.1:9/col/col1234/index.html", """
        <script id="u1" src="/cms_files/AuthorizedRead/unitbuild.js" url="/api-gateway/jpaas-publish-server/front/page/build/unit"
         queryData="{'parseType':'bulidstatic','webId':'w1','tplSetId':'t1','pageType':'column','tagId':'分页列表','pageId':'p1'}"></script>
        <script id="u2" url="/api-gateway/jpaas-publish-server/front/page/build/unit" queryData="{'webId':'w1','tagId':'页脚'}"></script>""")
    [first] = [l.url for l in family_for("hanweb").parse_list(response).next_pages]
    assert "tagId=%E5%88%86%E9%A1%B5%E5%88%97%E8%A1%A8" in first and "pageNo%22%3A1" in first
    answer = json.dumps({"success": True, "code": "200", "data": {"html": (
        f'<div id="分页列表"><ul><li><a href="/art/2024/1/20/art_1234_1.html" title="{REPORT}">{REPORT}</a></li></ul>'
        '<div class="pagination" rows="15" count="40" pageNo="1"></div></div>')}}, ensure_ascii=False)
    result = family_for("hanweb").parse_list(page(first, answer))
    assert [l.url for l in result.reports] == ["http://127.0.0.1:9/art/2024/1/20/art_1234_1.html"]
    assert len(result.next_pages) == 2 and all("pageNo%22%3A" in l.url for l in result.next_pages)


def test_ucap_json_answer_plans_the_remaining_pages():
    url = "http://127.0.0.1:9/common/search/abc?_isAgg=false&_isJson=true&_pageSize=20&_template=index&page=1"
    answer = json.dumps({"data": {"page": 1, "rows": 20, "total": 45, "results": [
        {"title": REPORT, "url": "/hyxrmzfz/zfznbmic/202401/" + "a" * 32 + ".shtml"}]}}, ensure_ascii=False)
    result = family_for("ucap").parse_list(page(url, answer))
    assert [l.url for l in result.reports] == ["http://127.0.0.1:9/hyxrmzfz/zfznbmic/202401/" + "a" * 32 + ".shtml"]
    assert [l.url.rsplit("page=", 1)[1] for l in result.next_pages] == ["2", "3"]


def test_retry_after_slows_the_host_for_as_long_as_it_says_then_its_pace_returns():
    from types import SimpleNamespace

    from scrapy.settings import Settings
    from twisted.internet import task

    from crawler.middlewares import RetryAfterMiddleware

    clock = task.Clock()
    middleware = RetryAfterMiddleware(Settings({"OGI_RETRY_AFTER_MAX": 300}), clock=clock)
    slot = SimpleNamespace(delay=0.5)
    middleware.crawler = SimpleNamespace(engine=SimpleNamespace(downloader=SimpleNamespace(slots={"h:1": slot})))
    request = Request("http://h:1/x", meta={"download_slot": "h:1"})
    middleware._slow_slot(request, 30)
    assert slot.delay == 30
    clock.advance(10)
    middleware._slow_slot(request, 40)  # a second 429 while the first holds: the longer one wins
    clock.advance(25)
    assert slot.delay == 40
    clock.advance(20)
    assert slot.delay == 0.5


@pytest.mark.parametrize("url, canonical", [
    ("http://WWW.Example.gov.cn:80/a/t20240101_1.html;jsessionid=ABC123#top", "http://www.example.gov.cn/a/t20240101_1.html"),
    ("https://h.gov.cn:443/list.jsp?PAGENUM=2&JSESSIONID=x&wbtreeid=7", "https://h.gov.cn/list.jsp?PAGENUM=2&wbtreeid=7"),
    ("http://127.0.0.1:8999/x/index.html?PHPSESSID=1&page=2", "http://127.0.0.1:8999/x/index.html?page=2"),
    ("http://h.gov.cn/a.html?sid=3&b=1", "http://h.gov.cn/a.html?sid=3&b=1")])  # a site id is not a session
def test_urls_are_canonical_before_dedup_and_identity(url, canonical):
    assert linkrules.canonical_url(url) == canonical


class CountingStats:
    def __init__(self):
        self.values = {}

    def inc_value(self, key, n=1):
        self.values[key] = self.values.get(key, 0) + n

    def get_stats(self):
        return dict(self.values)


def test_the_first_write_the_disk_refuses_stops_the_run_and_leaves_the_unindexed_record_as_the_tail(
        tmp_path, monkeypatch):
    """ENOSPC on a captures row after its WARC record was written: the run is stopped once,
    nothing more is written (no record after the unindexed one), the run stays 'running'
    and the next start's repair cuts exactly that record away."""
    import errno

    from archive import captures
    from crawler.middlewares import WarcArchiveMiddleware

    registry = [{"id": "zhongning", "hosts": ["127.0.0.1:9"], "local": True, "hints": {}}]
    ledger = RunLedger(tmp_path, registry, None, CountingStats())
    captures.upsert_portals(ledger.db, registry)
    ledger.db.conn.commit()
    stops = []
    ledger.on_storage_failure = stops.append
    middleware = WarcArchiveMiddleware(ledger)
    first = Request("http://127.0.0.1:9/a.html", meta={"ogi_portal": "zhongning", "ogi_kind": "report"})
    middleware.process_response(first, page(first.url, f"<p>{REPORT}</p>"))
    warc = next((tmp_path / "warc").glob("*.warc.gz"))
    size_after_first = warc.stat().st_size

    real_record = captures.record_capture
    monkeypatch.setattr(captures, "record_capture", lambda *a, **k: (_ for _ in ()).throw(
        OSError(errno.ENOSPC, "No space left on device")))
    second = Request("http://127.0.0.1:9/b.html", meta={"ogi_portal": "zhongning", "ogi_kind": "report"})
    with pytest.raises(IgnoreRequest, match="disk failed"):
        middleware.process_response(second, page(second.url, "<p>second</p>"))
    size_with_unindexed = warc.stat().st_size
    assert size_with_unindexed > size_after_first
    monkeypatch.setattr(captures, "record_capture", real_record)
    third = Request("http://127.0.0.1:9/c.html", meta={"ogi_portal": "zhongning", "ogi_kind": "report"})
    with pytest.raises(IgnoreRequest, match="disk failed"):
        middleware.process_response(third, page(third.url, "<p>third</p>"))
    ledger.error(third, "http_status", "after the failure")
    assert warc.stat().st_size == size_with_unindexed  # nothing written after the refusal
    assert [type(s) for s in stops] == [OSError] and ledger.storage_failure is stops[0]
    ledger.close("closed:storage_failed")
    db = ledger.db
    assert db.execute("select status from crawl_runs").fetchall() == [("running",)]
    assert db.execute("select count(*) from errors").fetchone()[0] == 0
    assert db.execute("select url from captures").fetchall() == [(first.url,)]
    repaired = captures.recover_killed_runs(db, tmp_path / "warc")
    assert repaired == [(warc.name, size_with_unindexed, size_after_first)]
    assert db.execute("select status from crawl_runs").fetchall() == [("interrupted",)]


@pytest.mark.parametrize("portals, given, expected", [
    (3, None, 16),  # a few portals: the project's floor
    (100, None, 200),  # each portal's own allowance (2 at a time)
    (3000, None, 512),  # a national crawl: capped
    (3000, {"CONCURRENT_REQUESTS": 64}, 64),  # a caller's setting wins
])
def test_requests_in_flight_grow_with_the_portals_so_slow_hosts_do_not_hold_fast_ones(portals, given, expected):
    from crawler.run import build_settings

    registry = [{"id": f"p{n}", "hosts": [f"www.p{n}.gov.cn"], "hints": {}} for n in range(portals)]
    assert build_settings(registry, given).getint("CONCURRENT_REQUESTS") == expected
