"""The published archive in a real headless browser (Debian's chromium) over a real server.

`ogi serve` serves a small real archive on a free
127.0.0.1 port; chromium loads the pages a journalist opens first, `--dump-dom` gives the
DOM after scripts ran, and `--screenshot` leaves PNGs in test-artifacts/ for a human.
Skipped only when chromium is missing outside CI; in CI (CI=true) a missing chromium fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from conftest import CHROMIUM_FLAGS, chromium_path, free_port, query
from sample_portals.render import render
from archive_builder import PDF, ArchiveBuilder, report_page, sample_specs, url_of

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
@contextmanager
def datasette_on(data_dir: Path, process: dict | None = None):
    """`ogi serve` on a free port; yields its base URL (`process["pid"]`: the server's pid)."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "ogi.cli", "serve", "--data", str(data_dir), "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if process is not None:
        process["pid"] = server.pid
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(base + "/-/versions.json", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"datasette did not start: {server.stdout.read().decode()[-2000:]}")
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def beacon():
    """A loopback server standing for the live web: every request it gets is a leak."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    import threading

    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"live")

        do_POST = do_GET

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield {"base": f"http://127.0.0.1:{server.server_address[1]}", "hits": hits}
    server.shutdown()


def leaky_page(live: str) -> bytes:
    """An archived page that reaches for the live web every way a page can."""
    return (f"<html><head><meta http-equiv='refresh' content='0;url={live}/refresh'><base href='{live}/base/'>"
            f"<link rel='stylesheet' href='style.css'><script src='script.js'></script></head><body>"
            f"<h1>leaky page</h1><img src='{live}/img.png'><img src='relative.png'>"
            f"<iframe src='{live}/frame'></iframe><object data='{live}/object'></object>"
            f"<form action='{live}/form' method='post'><input name='a' value='1'></form>"
            f"<script>document.forms[0].submit()</script>"
            f"<svg xmlns='http://www.w3.org/2000/svg'><script>new Image().src='{live}/svg'</script>"
            f"<image href='{live}/svg-image.png'/></svg>"
            f"<video poster='{live}/poster.png'></video><a id='a' href='{live}/link'>live link</a>"
            f"<script>document.getElementById('a').click()</script></body></html>").encode()


@pytest.fixture(scope="module")
def site(tmp_path_factory, beacon):
    chromium = chromium_path()
    data_dir = tmp_path_factory.mktemp("browser-archive")
    archive = ArchiveBuilder(data_dir)
    specs = sample_specs(3, seed=31)
    fined = specs[0]
    fined.sections["6"] = (fined.sections["6"] or "") + "\n本年度依法收取罚款共计3万元。"
    page_url, pdf_url = url_of(fined), url_of(fined, ".pdf")
    page_capture = archive.capture(fined.portal_id, page_url, report_page(fined, attachment=pdf_url))
    pdf_capture = archive.capture(fined.portal_id, pdf_url, render(fined, "pdf"), PDF, kind="attachment",
                                  referrer=page_url)
    for spec in specs[1:]:
        archive.capture(spec.portal_id, url_of(spec), report_page(spec))
    # An archived page that tries to run script on our origin.
    hostile = b"<html><body><h1 id='t'>archived page</h1><script>document.getElementById('t').textContent='SCRIPT RAN'</script></body></html>"
    hostile_capture = archive.capture("yanchi", "http://127.0.0.1:8999/yanchi/x.html", hostile, kind="other")
    leaky_capture = archive.capture("yanchi", "http://127.0.0.1:8999/yanchi/leaky.html", leaky_page(beacon["base"]),
                                    kind="other")
    archive.load()
    archive.db.conn.close()

    with datasette_on(data_dir) as base:
        ARTIFACTS.mkdir(exist_ok=True)
        yield {"base": base, "chromium": chromium, "profile": tmp_path_factory.mktemp("chromium-profile"),
               "specs": specs, "fined": fined, "page_capture": page_capture, "pdf_capture": pdf_capture, "hostile_capture": hostile_capture,
               "leaky_capture": leaky_capture}


def browse(site, path: str, screenshot: str) -> str:
    """The DOM chromium built for `path` after scripts ran; also saves a screenshot.

    Each chromium gets a profile of its own: one started on a profile whose last user is
    still shutting down hands its URL to that process and exits 0 having printed nothing."""
    url = site["base"] + path

    def chromium(*args):
        with tempfile.TemporaryDirectory(dir=site["profile"]) as profile:
            run = subprocess.run([site["chromium"], *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                                  "--virtual-time-budget=5000", "--window-size=1280,2200", *args, url],
                                 capture_output=True, timeout=90)
        assert run.returncode == 0, run.stderr.decode(errors="replace")[-2000:]
        return run

    dom = chromium("--dump-dom").stdout.decode("utf-8", errors="replace")
    assert "</html>" in dom, f"chromium printed no page for {url}"
    shot = chromium(f"--screenshot={ARTIFACTS / screenshot}")
    assert (ARTIFACTS / screenshot).stat().st_size > 1000, shot.stderr.decode(errors="replace")[-2000:]
    return dom


def test_every_page_image_asked_for_at_once_is_drawn_and_the_server_stays_up(site):
    """A browser opening an archived PDF asks for all its page pictures at once, and two
    readers may do so together: PDFium is not thread-safe, and rendering pages side by
    side crashed the server (the next reader found it restarting)."""
    from concurrent.futures import ThreadPoolExecutor

    import pypdfium2

    pdf = pypdfium2.PdfDocument(render(site["fined"], "pdf"))
    pages = len(pdf)
    pdf.close()
    server = httpx.get(site["base"] + "/-/health", timeout=10).json()["pid"]
    urls = [f"{site['base']}/-/archived/{site['pdf_capture']}/page/{n}.png" for n in range(pages)] * 8
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda url: httpx.get(url, timeout=60), urls))
    assert [(a.status_code, a.content[:8]) for a in answers] == [(200, b"\x89PNG\r\n\x1a\n")] * len(urls)
    assert httpx.get(site["base"] + "/-/health", timeout=10).json()["pid"] == server


def test_report_list_shows_every_report(site):
    dom = browse(site, "/ogi/report_summary", "report-list.png")
    for spec in site["specs"]:
        assert spec.agency in dom
    assert "/-/archive/" in dom  # the link to each archived original


def test_search_box_finds_a_two_character_word(site):
    dom = browse(site, f"/ogi/reports?_search={quote('罚款')}", "search-fakuan.png")
    assert site["fined"].agency in dom
    assert all(spec.agency not in dom for spec in site["specs"][1:])


def test_canned_query_with_a_chart(site):
    path = ("/ogi/penalties_and_licensing_by_county_year?level="
            "#g.mark=bar&g.x_column=county&g.x_type=ordinal&g.y_column=penalty&g.y_type=quantitative")
    dom = browse(site, path, "chart-penalties-by-county.png")
    assert "Penalties and licensing decisions by county and year" in dom
    assert 'class="marks"' in dom, "datasette-vega drew no chart"


def test_archived_original_opens_and_its_scripts_do_not_run(site):
    dom = browse(site, f"/-/archive/{site['page_capture']}", "archived-original.png")
    assert site["fined"].title in dom
    hostile = browse(site, f"/-/archive/{site['hostile_capture']}", "archived-hostile.png")
    assert '<h1 id="t">archived page</h1>' in hostile  # the sandbox kept the script from rewriting it


def test_an_archived_page_loads_nothing_from_the_live_web(site, beacon):
    """meta refresh, <base>, remote images, frames, objects, forms, SVG script, a scripted
    click: the reader stays in the archive and the beacon (the live web) hears nothing."""
    dom = browse(site, f"/-/archive/{site['leaky_capture']}", "archived-leaky.png")
    assert "leaky page" in dom
    time.sleep(1)
    assert beacon["hits"] == []


# -- the demo archive, as `make demo` leaves it -------------------------------------------
@pytest.fixture(scope="module")
def demo_site(demo_archive, tmp_path_factory):
    chromium = chromium_path()
    with datasette_on(demo_archive) as base:
        ARTIFACTS.mkdir(exist_ok=True)
        yield {"base": base, "chromium": chromium, "profile": tmp_path_factory.mktemp("chromium-demo"),
               "archive": demo_archive}


def test_demo_archive_lists_the_seed_reports_searches_and_opens_an_original(demo_site):
    listing = browse(demo_site, "/ogi/report_summary?_sort=agency&_size=100", "demo-report-list.png")
    for agency in ("中宁县徐套乡", "盐池县王乐井乡", "浑源县驼峰乡"):
        assert agency in listing
    found = browse(demo_site, f"/ogi/report_summary?_search={quote('罚款')}", "demo-search-fakuan.png")
    assert "中宁县徐套乡" in found  # seed 000: 罚款金额1900元 in section 六
    failing = browse(demo_site, "/ogi/failing_checks", "demo-failing-checks.png")
    assert "t3_" in failing or "t4_total" in failing  # the generator planted broken sums
    [(archived_url, title)] = query(demo_site["archive"], "select archived_url, title from report_summary"
                                    " where agency = '中宁县徐套乡'")
    original = browse(demo_site, archived_url, "demo-archived-original.png")
    assert title in original and "行政处罚" in original  # the seed report's own page, as archived


def test_a_journalists_path_through_the_demo_archive(demo_site):
    """Landing page → a county and year → a report page with its three tables → its
    original under the banner → the same agency's previous year → a failed check's
    sentence → a search hit with its snippet → a CSV that opens in Excel in Chinese.
    Every step is followed from a link the page before showed; screenshots in test-artifacts/."""
    import re

    archive = demo_site["archive"]
    [(report_id, county, year, previous_id)] = query(
        archive, "select report_id, county, year, prev_report_id from agency_years"
                 " where prev_report_id is not null and agency_id = 'zhongning|新堡镇' order by year desc limit 1")
    landing = browse(demo_site, "/", "path-1-landing.png")
    assert "本档案现有" in landing
    province = query(archive, "select province from reports where id = ?", [report_id])[0][0]
    by_year = re.search(rf'href="(/ogi/report_summary\?province={quote(province)}&amp;year={year})"', landing)
    assert by_year, "the landing page links each province and year"
    listing = browse(demo_site, by_year.group(1).replace("&amp;", "&") + f"&county={quote(county)}",
                     "path-2-county-year.png")
    assert f'href="/-/report/{report_id}"' in listing
    page = browse(demo_site, f"/-/report/{report_id}", "path-3-report-page.png")
    for table in ("表二 主动公开政府信息情况", "表三 收到和处理政府信息公开申请情况", "表四 政府信息公开行政复议、行政诉讼情况"):
        assert table in page
    original = re.search(r'href="(/-/archived/\d+)"', page).group(1)
    banner = browse(demo_site, original, "path-4-original-with-banner.png")
    assert "这是存档副本，不是现行网页" in banner
    assert '<iframe class="ogi-original" sandbox' in banner or "下载 download" in banner  # a page shown, a file offered
    assert f'href="/-/report/{previous_id}" rel="prev"' in page
    before = browse(demo_site, f"/-/report/{previous_id}", "path-5-previous-year.png")
    assert f"{year - 1}" in before and f'href="/-/report/{report_id}" rel="next"' in before
    failing = browse(demo_site, "/ogi/failing_checks", "path-6-failing-checks.png")
    failed_report = re.search(r'href="/-/report/(\d+)"', failing).group(1)
    [(sentence,)] = query(archive, "select sentence_zh from checks where report_id = ? and passed = 0"
                                   " and rule like 't%' and rule not like 'text%' and rule != 'timeliness'"
                                   " order by id limit 1", [int(failed_report)])
    checked = browse(demo_site, f"/-/report/{failed_report}", "path-7-failed-check.png")
    assert sentence in checked.replace("&quot;", '"') and "failing" in checked
    found = browse(demo_site, f"/ogi/search_reports?q={quote('罚款')}", "path-8-search-snippet.png")
    assert "<mark>罚款</mark>" in found
    csv_link = re.search(r'href="(/ogi/search_reports\.csv\?[^"]*)"', found).group(1).replace("&amp;", "&")
    download = httpx.get(demo_site["base"] + csv_link, timeout=30)
    assert download.content.startswith(b"\xef\xbb\xbf") and "罚款" in download.content.decode("utf-8-sig")
    assert f"{demo_site['base']}/-/report/" in download.text


# -- serving while loads run ---------------------------------------------------------------
def test_readers_see_only_whole_states_through_a_rebuild_and_the_next_load_without_a_restart(tmp_path):
    """A reader polls `ogi serve` while `ogi load --rebuild` re-derives everything: only
    200s and the full count; then a load adding a report is served without a restart."""
    import threading

    archive = ArchiveBuilder(tmp_path / "data")
    specs = sample_specs(12, seed=5)
    for spec in specs[:-1]:
        archive.capture(spec.portal_id, url_of(spec), report_page(spec))
    archive.load(convert=False)
    expected = len(specs) - 1
    sql = quote("select count(*) as n from reports where is_current = 1")
    answers, stop = [], threading.Event()
    with datasette_on(archive.data_dir) as base:
        def poll():
            with httpx.Client(timeout=10) as client:
                while not stop.is_set():
                    response = client.get(f"{base}/ogi.json?sql={sql}&_shape=array")
                    answers.append((response.status_code, response.json()[0]["n"] if response.status_code == 200 else None))

        readers = [threading.Thread(target=poll) for _ in range(2)]
        for reader in readers:
            reader.start()
        rebuild = subprocess.run([sys.executable, "-m", "ogi.cli", "load", "--data", str(archive.data_dir), "--rebuild",
                                  "--no-convert"], capture_output=True, text=True, timeout=300)
        time.sleep(0.5)
        stop.set()
        for reader in readers:
            reader.join()
        assert rebuild.returncode == 0, rebuild.stderr[-2000:]
        assert len(answers) > 20 and set(answers) == {(200, expected)}

        archive.capture(specs[-1].portal_id, url_of(specs[-1]), report_page(specs[-1]))
        archive.load(convert=False)
        after = httpx.get(f"{base}/ogi.json?sql={sql}&_shape=array", timeout=10).json()[0]["n"]
        assert after == expected + 1
        assert httpx.get(f"{base}/ogi/reports.json?_size=1", timeout=10).json()["filtered_table_rows_count"] == expected + 1


ABUSE = {
    "zeroblob": "select zeroblob(1000000000)",
    "randomblob": "select randomblob(300000000)",
    "printf": "select length(printf('%.*c', 500000000, 'x'))",
    "cross join": "select count(*) from report_cells a, report_cells b, report_cells c",
    "recursive cte": "with recursive r(n) as (select 1 union all select n + 1 from r) select count(*) from r",
    "group_concat of every section": (
        "select length(group_concat(coalesce(section_1, '') || coalesce(section_2, '') || coalesce(section_3, '')"
        " || coalesce(section_4, '') || coalesce(section_5, '') || coalesce(section_6, ''), ''))"
        " from reports, (with recursive r(n) as (select 1 union all select n + 1 from r limit 5000) select n from r)"),
}


def peak_rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def test_no_single_query_kills_or_starves_the_server(tmp_path):
    """Each abusive query ends in an error, the server's peak memory stays under 1 GB, a
    second reader is answered in under a second meanwhile, and /-/health says ok after."""
    import threading

    archive = ArchiveBuilder(tmp_path / "data")
    for spec in sample_specs(6, seed=9):
        archive.capture(spec.portal_id, url_of(spec), report_page(spec))
    archive.load(convert=False)
    process = {}
    with datasette_on(archive.data_dir, process) as base:
        for name, sql in ABUSE.items():
            answers, done = [], threading.Event()

            def read_meanwhile():  # until the abusive query ends, and at least once
                with httpx.Client(timeout=10) as client:
                    while not done.is_set() or not answers:
                        started = time.monotonic()
                        try:
                            status = client.get(f"{base}/ogi.json?sql={quote('select count(*) from reports')}").status_code
                        except httpx.HTTPError as error:
                            status = repr(error)
                        answers.append((status, time.monotonic() - started))
                        time.sleep(0.05)

            reader = threading.Thread(target=read_meanwhile)
            reader.start()
            abusive = httpx.get(f"{base}/ogi.json?sql={quote(sql)}", timeout=60)
            done.set()
            reader.join()
            if name == "printf":  # SQLite gives NULL for a string over the length limit
                assert abusive.status_code >= 400 or abusive.json()["rows"] == [[None]], abusive.text[:200]
            else:
                assert abusive.status_code >= 400, (name, abusive.text[:200])
            assert {status for status, _ in answers} == {200}, (name, answers)
            assert max(seconds for _, seconds in answers) < 1.0, (name, answers)
        health = httpx.get(f"{base}/-/health", timeout=10)
        assert health.status_code == 200 and health.json()["ok"] is True and health.json()["current_reports"] == 6
        server = health.json()["pid"]  # the supervisor's child: the process that served the queries
        assert server != process["pid"] and peak_rss_bytes(server) < 1 << 30

        os.kill(server, 9)  # dies anyway (the OOM killer, a bug): the supervisor starts it again
        deadline = time.monotonic() + 30
        while True:
            try:
                again = httpx.get(f"{base}/-/health", timeout=2)
                if again.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the server was not started again"
            time.sleep(0.3)
        assert again.json()["ok"] is True and again.json()["pid"] != server
