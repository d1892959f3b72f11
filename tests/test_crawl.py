"""A real Scrapy crawl over HTTP against the sample world, run as a user runs it:
`ogi crawl --data DIR --registry FILE --local` in a subprocess (Twisted's
reactor starts once per process). Politeness is off for the local portals.

What a user relies on: every report of the generator's manifest is archived (recall
100%), nothing else is kept as a report, WARCs open with warcio, every WARC record has
its captures row, a second run is cheap, edits and removals are noticed, faults are
recorded while the crawl goes on, and two runs never overlap.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from filelock import FileLock
from warcio.archiveiterator import ArchiveIterator

from archive.captures import read_capture
from archive.schema import open_db
from crawler import linkrules
from conftest import REPO, WARCIO, query, run_ogi, served_world, warc_records
from sample_portals.server import SampleWorld

CDXJ_INDEXER = str(Path(sys.executable).with_name("cdxj-indexer"))


# -- helpers --------------------------------------------------------------------------------
def run_crawl(data_dir: Path, registry: list[dict] | Path, *settings: str, timeout=240,
              local=True, jobs: int = 1) -> subprocess.CompletedProcess:
    if not isinstance(registry, Path):
        path = data_dir.parent / f"{data_dir.name}-registry.json"
        path.write_text(json.dumps(registry, ensure_ascii=False), encoding="utf-8")
        registry = path
    args = [sys.executable, "-m", "ogi.cli", "crawl", "--data", str(data_dir), "--registry", str(registry),
            "--json", "--jobs", str(jobs)] + (["--local"] if local else [])
    for item in settings:
        args += ["--set", item]
    return subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=timeout)


def summary_of(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def url_of(world: SampleWorld, portal_id: str, path: str) -> str:
    return world.base_url(portal_id) + path


@pytest.fixture(scope="module")
def changing_world(tmp_path_factory):
    """A world of its own: two_runs edits and removes pages in it."""
    yield from served_world(tmp_path_factory, "changing-world")


@pytest.fixture(scope="module")
def two_runs(changing_world, tmp_path_factory):
    """Crawl once, change one report and remove another, crawl again."""
    world = changing_world
    data_dir = tmp_path_factory.mktemp("crawl") / "data"
    log_start = len(world.request_log)
    first = summary_of(run_crawl(data_dir, world.registry()))
    first_requests = world.request_log[log_start:]
    first_ids = query(data_dir, "select max(id) from captures")[0][0]
    html_reports = [r for r in world.manifest["reports"] if r["delivery"] == "html"]
    changed, gone = html_reports[0], html_reports[1]
    world.replace(changed["portal_id"], changed["detail_path"],
                  "<html><body><p>2023年政府信息公开工作年度报告（更正版）</p></body></html>".encode())
    world.remove(gone["portal_id"], gone["detail_path"], 410)
    second = summary_of(run_crawl(data_dir, world.registry()))
    return {"dir": data_dir, "first": first, "second": second, "first_ids": first_ids, "first_requests": first_requests,
            "changed": url_of(world, changed["portal_id"], changed["detail_path"]),
            "gone": url_of(world, gone["portal_id"], gone["detail_path"])}


# -- the first run --------------------------------------------------------------------------
def test_every_report_and_its_files_are_archived(changing_world, two_runs):
    world = changing_world
    data_dir = two_runs["dir"]
    archived = {url for (url,) in query(data_dir, "select url from captures where status = 200 and run_id = 1")}
    missing = []
    for report in world.manifest["reports"]:
        for path in [report["detail_path"]] + [f["path"] for f in report["files"]]:
            if url_of(world, report["portal_id"], path) not in archived:
                missing.append((report["portal_id"], path, report["title"]))
    assert not missing, f"{len(missing)} report files not archived: {missing[:5]}"
    kinds = dict(query(data_dir, "select url, kind from captures where run_id = 1 and status = 200"))
    for report in world.manifest["reports"]:
        assert kinds[url_of(world, report["portal_id"], report["detail_path"])] == "report"
        for entry in report["files"]:
            if entry["form"] != "html":
                assert kinds[url_of(world, report["portal_id"], entry["path"])] == "attachment"


def test_no_non_report_is_kept_as_a_report(changing_world, two_runs):
    world = changing_world
    reports = {url for (url,) in query(two_runs["dir"], "select url from captures where kind = 'report'")}
    report_urls = {url_of(world, r["portal_id"], r["detail_path"]) for r in world.manifest["reports"]}
    assert reports <= report_urls, sorted(reports - report_urls)[:5]
    for page in world.manifest["non_reports"]:
        assert url_of(world, page["portal_id"], page["path"]) not in reports, page["title"]


def test_chrome_and_guessed_index_names_cost_no_request(changing_world, two_runs):
    """Header links to parts of the portal without reports (here 404s) are not columns, and
    nothing is asked for by a guessed index name: the politeness budget goes to reports."""
    world, requests = changing_world, two_runs["first_requests"]
    chrome = {(c["portal_id"], c["path"]) for c in world.manifest["chrome_404"]}
    asked = {(portal_id, path.split("?")[0]) for portal_id, _method, path, _status, _sent in requests}
    assert chrome and not chrome & asked
    assert [(p, path, status) for p, _m, path, status, _s in requests if status == 404] == []
    index_names = tuple(linkrules.directory_index_files())
    linked_or_served = {(l["portal_id"], l["path"]) for l in world.manifest["list_pages"]}
    guessed = [(p, path) for p, _m, path, _st, _s in requests
               if path.endswith(index_names) and (p, path) not in linked_or_served]
    assert guessed == []


def test_a_side_menu_copy_of_the_column_is_a_list_not_a_report(changing_world, two_runs):
    copies = [url_of(changing_world, c["portal_id"], c["path"]) for c in changing_world.manifest["column_copies"]]
    kinds = dict(query(two_runs["dir"], "select url, kind from captures where run_id = 1"))
    assert copies and {kinds.get(url) for url in copies} == {"list"}


def test_columns_a_script_fills_are_read_through_the_cms_api(changing_world, two_runs):
    """TRS 动静结合 (WAS5 `<li>` answers) and UCAP JSON lists: the API asked with the page's
    own parameters, its answers archived as lists, and the reports only they list reached."""
    rows = query(two_runs["dir"], "select url, kind, status from captures where run_id = 1"
                                  " and (url like '%/was5/web/search?%' or url like '%/common/search/%')")
    assert {(kind, status) for _url, kind, status in rows} == {("list", 200)}
    asked = {url.split("/", 3)[3].split("?")[0] for url, _k, _s in rows}
    declared = {page["path"].split("?")[0].lstrip("/") for page in changing_world.manifest["api_pages"]}
    assert asked == declared
    pages = {(url.split("/", 3)[3].split("?")[0], url.rsplit("page=", 1)[1]) for url, _k, _s in rows}
    assert pages == {(p["path"].split("?")[0].lstrip("/"), p["path"].rsplit("page=", 1)[1])
                     for p in changing_world.manifest["api_pages"]}


def test_departments_on_their_own_platform_sub_sites_are_reached(changing_world, two_runs):
    """盐池's departments publish only on the 部门信息公开平台 (header link → units → each
    unit's 年报 column): every unit page and column is asked, each department report archived."""
    world = changing_world
    kinds = dict(query(two_runs["dir"], "select url, kind from captures where run_id = 1 and status = 200"))
    units = world.manifest["platform_units"]
    assert units and all(kinds.get(url_of(world, u["portal_id"], u["path"].removesuffix("index.html"))) == "list"
                         for u in units)
    on_platform = [r for r in world.manifest["reports"] if r["detail_path"].startswith("/bmxxgk/")]
    assert on_platform and all(kinds.get(url_of(world, r["portal_id"], r["detail_path"])) == "report"
                               for r in on_platform)


def test_requests_offer_only_encodings_the_archive_reads_back(two_runs):
    offered = set()
    for path in sorted((two_runs["dir"] / "warc").glob("*.warc.gz")):
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "request":
                    offered.add(record.http_headers.get_header("Accept-Encoding"))
    assert offered == {"gzip, deflate"}


def test_gbk_portal_link_texts_are_read_as_chinese(two_runs):
    texts = [t for (t,) in query(two_runs["dir"], "select link_text from captures where portal_id = 'luoning' "
                                                  "and kind = 'report'")]
    assert texts and all("政府信息公开" in t for t in texts), texts[:3]


def test_warcs_pass_warcio_check_and_every_record_has_its_row(two_runs):
    data_dir = two_runs["dir"]
    files = sorted((data_dir / "warc").glob("*.warc.gz"))
    assert files
    check = subprocess.run([WARCIO, "check", *map(str, files)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout[-2000:]
    index = subprocess.run([WARCIO, "index", *map(str, files)], capture_output=True, text=True)
    assert index.returncode == 0
    records = warc_records(data_dir)
    rows = query(data_dir, "select warc_file, record_type, warc_offset from captures")
    assert sorted(records) == sorted(rows)
    assert not any("127.0.0.1" in f.name or "html" in f.name.removesuffix(".warc.gz") for f in files)


# -- the second run -------------------------------------------------------------------------
def test_second_run_receives_a_small_fraction_of_the_first(two_runs):
    first, second = two_runs["first"], two_runs["second"]
    assert second["bytes_received"] <= 0.10 * first["bytes_received"], (first["bytes_received"], second["bytes_received"])
    assert second["unchanged"] > 0 and second["new_captures"] == 1  # only the edited report


def test_changed_and_gone_reports_are_noticed(two_runs):
    data_dir = two_runs["dir"]
    changed = query(data_dir, "select outcome, record_type from captures where url = ? order by id", [two_runs["changed"]])
    assert changed[0] == ("new", "response") and changed[-1] == ("changed", "response")
    gone = query(data_dir, "select outcome, status, fetched_at from captures where url = ? order by id", [two_runs["gone"]])
    assert gone[-1][:2] == ("gone", 410) and gone[-1][2]
    assert two_runs["second"]["gone"] == 1
    runs = query(data_dir, "select status, requests, gone, per_portal from crawl_runs order by id")
    assert [r[0] for r in runs] == ["finished", "finished"]
    assert runs[1][2] == 1 and json.loads(runs[1][3])


def test_a_report_taken_off_its_list_and_deleted_is_still_seen_gone(changing_world, two_runs, tmp_path):
    world = changing_world
    zhongning = [r for r in world.manifest["reports"] if r["portal_id"] == "zhongning" and r["delivery"] == "html"]
    registry = [entry for entry in world.registry() if entry["id"] == "zhongning"]
    data_dir = tmp_path / "data"
    summary_of(run_crawl(data_dir, registry))
    world.add_route("zhongning", "/empty/index.html",
                    lambda request: request.send_body(200, b"<html><body>empty</body></html>", "text/html"))
    world.remove("zhongning", zhongning[-1]["detail_path"], 404)
    registry[0]["start_urls"] = [url_of(world, "zhongning", "/empty/index.html")]
    second = summary_of(run_crawl(data_dir, registry))
    deleted = url_of(world, "zhongning", zhongning[-1]["detail_path"])
    assert query(data_dir, "select outcome from captures where url = ? order by id desc limit 1", [deleted]) == [("gone",)]
    still = url_of(world, "zhongning", zhongning[-2]["detail_path"])
    assert query(data_dir, "select outcome, status from captures where url = ? order by id desc limit 1",
                 [still]) == [("unchanged", 304)]
    assert second["gone"] == 1


# -- faults ---------------------------------------------------------------------------------
FAULT_PATHS = {
    "/faults/server-error.html": "http_status",
    "/faults/missing.html": "http_status",
    "/faults/slow.html": "timeout",
    "/faults/truncated.html": "truncated",
    "/faults/loop.html": "redirect_loop",
    "/faults/huge.pdf": "too_large",
    "/faults/bomb.html": "too_large",
    "/faults/rs.html": "blocked",
    "/faults/jsl.html": "blocked",
    "/faults/gzip-challenge.html": "blocked",  # a 200 challenge page, gzipped: only readable decoded
    "/faults/" + "long" * 2200 + ".html": "url_too_long",  # an 8 KB URL: an errors row, never a silent drop
}


BOMB = gzip.compress(b"\0" * 20_000_000)  # ~20 KB on the wire, 20 MB decoded


def _install_faults(world: SampleWorld, portal_id: str) -> None:
    def send(status, body=b"", headers=(), content_type="text/html; charset=utf-8", length=None):
        def handler(request):
            request.send_response(status)
            request.send_header("Content-Type", content_type)
            request.send_header("Content-Length", str(len(body) if length is None else length))
            for name, value in headers:
                request.send_header(name, value)
            request.end_headers()
            request.wfile.write(body)
        return handler

    def slow(request):
        time.sleep(5)
        send(200, b"<p>late</p>")(request)

    limited = {"count": 0}

    def rate_limited(request):  # 429 once with Retry-After, then the report
        limited["count"] += 1
        if limited["count"] == 1:
            send(429, b"slow down", [("Retry-After", "1")])(request)
        else:
            send(200, "<p>限流后的年度报告</p>".encode())(request)

    links = "".join(f'<li><a href="{path}">测试县2023年政府信息公开工作年度报告{n}</a></li>'
                    for n, path in enumerate([*FAULT_PATHS, "/faults/limited.html", "/faults/malformed.html"]))
    world.add_route(portal_id, "/faults/index.html", send(200, f"<html><body><ul>{links}</ul></body></html>".encode()))
    world.add_route(portal_id, "/faults/server-error.html", send(500, b"<h1>500</h1>"))
    world.add_route(portal_id, "/faults/slow.html", slow)
    world.add_route(portal_id, "/faults/truncated.html", send(200, b"<p>cut", length=5000))
    world.add_route(portal_id, "/faults/loop.html", send(302, headers=[("Location", "/faults/loop.html?again")]))
    world.add_route(portal_id, "/faults/huge.pdf", send(200, b"%PDF" + b"0" * 400_000, content_type="application/pdf"))
    world.add_route(portal_id, "/faults/bomb.html", send(200, BOMB, [("Content-Encoding", "gzip")]))
    world.add_route(portal_id, "/faults/rs.html", send(412, b"<script>var $_ts=window['$_ts'];</script>"))
    world.add_route(portal_id, "/faults/jsl.html", send(521, b"<script>document.cookie='__jsl_clearance=1'</script>"))
    world.add_route(portal_id, "/faults/gzip-challenge.html",
                    send(200, gzip.compress(b"<html><script>var $_ts=window['$_ts'];</script></html>"),
                         [("Content-Encoding", "gzip")]))
    world.add_route(portal_id, "/faults/limited.html", rate_limited)
    world.add_route(portal_id, "/faults/missing.html", send(404, b"<h1>404 Not Found</h1>"))
    # a list page its page object reads nothing from (a layout it does not know)
    world.add_route(portal_id, "/faults/empty/index.html",
                    send(200, "<html><body><div id='list'>暂无信息</div></body></html>".encode()))
    world.add_route(portal_id, "/faults/malformed.html",
                    send(200, "<html><body><table><tr><td><p>年度报告<a href='x.pdf'>附件".encode() + b"\xff\xfe<<>>"))


@pytest.fixture
def faulty_world(world):
    """The shared world with fault routes on zhongning for one test, removed after it."""
    before = world.routes
    _install_faults(world, "zhongning")
    yield world
    for portal_id, path in world.routes - before:
        world.remove_route(portal_id, path)


def test_faults_are_recorded_and_the_crawl_goes_on(faulty_world, tmp_path):
    world = faulty_world
    portal_id = "zhongning"
    registry = world.registry()
    for entry in registry:
        if entry["id"] == portal_id:
            entry["start_urls"].append(url_of(world, portal_id, "/faults/index.html"))
            entry["start_urls"].append(url_of(world, portal_id, "/faults/empty/index.html"))
    data_dir = tmp_path / "data"
    summary = summary_of(run_crawl(data_dir, registry, "DOWNLOAD_TIMEOUT=2.5", "DOWNLOAD_MAXSIZE=200000",
                                   "REDIRECT_MAX_TIMES=3", "RETRY_TIMES=1"))
    errors = {}
    for url, kind, reason in query(data_dir, "select url, kind, reason from errors"):
        errors.setdefault(url.split("?")[0], set()).add(kind)
        assert reason
    for path, kind in FAULT_PATHS.items():
        assert kind in errors.get(url_of(world, portal_id, path), set()), (path, errors)
    assert errors[url_of(world, portal_id, "/faults/empty/index.html")] == {"empty_list"}
    blocked = query(data_dir, "select count(*) from captures where outcome = 'blocked'")[0][0]
    assert blocked == 3 and summary["blocked"] == 3
    # the gzip bomb is refused (errors row above) yet archived as the few bytes it was
    bomb_url = url_of(world, portal_id, "/faults/bomb.html")
    (bomb,) = query(data_dir, "select id, status, content_length, payload_sha256, outcome from captures where url = ?",
                    [bomb_url])
    assert bomb[1] == 200 and bomb[2] == len(BOMB) and bomb[3] == hashlib.sha256(BOMB).hexdigest()
    assert bomb[4] == "error"  # kept, but `ogi load` will not parse it as a report
    assert query(data_dir, "select count(*) from errors where capture_id = ? and kind = 'too_large'", [bomb[0]])[0][0] == 1
    with open_db(data_dir / "ogi.db") as db:
        assert read_capture(db, data_dir / "warc", bomb[0]).raw_payload == BOMB
    assert summary["errors"] >= 6
    limited = query(data_dir, "select status from captures where url = ? order by id",
                    [url_of(world, portal_id, "/faults/limited.html")])
    assert [s for (s,) in limited] == [429, 200]
    # every report of every portal is still there
    archived = {url for (url,) in query(data_dir, "select url from captures where status = 200")}
    for report in world.manifest["reports"]:
        assert url_of(world, report["portal_id"], report["detail_path"]) in archived
    assert subprocess.run([WARCIO, "check", *map(str, (data_dir / "warc").glob("*.warc.gz"))]).returncode == 0


# -- scheduling -----------------------------------------------------------------------------
def test_a_second_run_waits_for_none_and_fails_clearly_while_locked(world, tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    with FileLock(str(data_dir / "crawl.lock")):
        result = run_crawl(data_dir, world.registry())
    assert result.returncode == 3
    assert "another crawl is running" in result.stderr
    assert not (data_dir / "warc").exists()


def test_killed_run_resumes_without_losing_or_duplicating(world, tmp_path):
    data_dir = tmp_path / "data"
    registry_file = tmp_path / "registry.json"
    registry_file.write_text(json.dumps(world.registry(), ensure_ascii=False), encoding="utf-8")
    args = [sys.executable, "-m", "ogi.cli", "crawl", "--data", str(data_dir), "--registry", str(registry_file),
            "--local", "--set", "CONCURRENT_REQUESTS=2", "--set", "DOWNLOAD_DELAY=0.1"]
    child = subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        time.sleep(0.2)
        if (data_dir / "ogi.db").exists():
            try:
                if query(data_dir, "select count(*) from captures")[0][0] >= 20:
                    break
            except sqlite3.OperationalError:
                pass
    assert child.poll() is None, "the crawl ended before it could be killed: slow it down further"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    summary = summary_of(run_crawl(data_dir, registry_file))
    assert summary["status"] == "finished"
    assert query(data_dir, "select status from crawl_runs order by id") == [("interrupted",), ("finished",)]
    assert sorted(warc_records(data_dir)) == sorted(query(data_dir, "select warc_file, record_type, warc_offset from captures"))
    files = sorted((data_dir / "warc").glob("*.warc.gz"))
    assert subprocess.run([WARCIO, "check", *map(str, files)]).returncode == 0
    archived = {url for (url,) in query(data_dir, "select url from captures where status in (200, 304)")}
    for report in world.manifest["reports"]:
        assert url_of(world, report["portal_id"], report["detail_path"]) in archived
    # no full copy twice: a URL's payload is stored once, later fetches are revisits
    dupes = query(data_dir, "select url, payload_sha256, count(*) from captures where record_type = 'response' "
                            "and status = 200 group by 1, 2 having count(*) > 1")
    assert not dupes


def _kill_when(child: subprocess.Popen, ready, seconds: float = 60, every: float = 0.005) -> None:
    """kill -9 `child` as soon as `ready()` is true (it must still be running then)."""
    deadline = time.time() + seconds
    while time.time() < deadline and not ready():
        time.sleep(every)
    assert child.poll() is None, "the command ended before it could be killed"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()


def test_a_crawl_killed_while_repairing_a_killed_crawl_is_repaired_by_the_next(world, tmp_path):
    """Kill a crawl, give its last WARC a 300 MB torn tail, kill the next crawl while it
    copies that tail to quarantine, then crawl again: it finishes, the captures index and
    the WARC records agree, and quarantine holds the tail once, whole."""
    data_dir = tmp_path / "data"
    registry = tmp_path / "registry.json"
    registry.write_text(json.dumps([e for e in world.registry() if e["id"] == "zhongning"], ensure_ascii=False),
                        encoding="utf-8")
    args = [sys.executable, "-m", "ogi.cli", "crawl", "--data", str(data_dir), "--registry", str(registry),
            "--local", "--set", "CONCURRENT_REQUESTS=1", "--set", "DOWNLOAD_DELAY=0.2"]

    def captured(count):
        try:
            return (data_dir / "ogi.db").exists() and query(data_dir, "select count(*) from captures")[0][0] >= count
        except sqlite3.OperationalError:
            return False

    _kill_when(subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
               lambda: captured(5), every=0.1)
    (warc, indexed_end), = query(data_dir, "select warc_file, max(warc_offset + warc_length) from captures "
                                           "group by 1 order by 1 desc limit 1")
    path = data_dir / "warc" / warc
    block = os.urandom(1 << 20)
    with open(path, "ab") as stream:
        for _ in range(300):
            stream.write(block)
    size = path.stat().st_size
    tail = hashlib.sha256()
    with open(path, "rb") as stream:
        stream.seek(indexed_end)
        while chunk := stream.read(1 << 20):
            tail.update(chunk)
    quarantine = data_dir / "warc" / "quarantine"
    _kill_when(subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
               lambda: quarantine.exists() and any(quarantine.iterdir()))
    assert path.stat().st_size == size, "the repair finished before the kill: make the tail larger"
    assert query(data_dir, "select status from crawl_runs") == [("running",)]  # the repair is still owed

    assert summary_of(run_crawl(data_dir, registry))["status"] == "finished"
    assert path.stat().st_size == indexed_end
    assert sorted(warc_records(data_dir)) == sorted(query(data_dir, "select warc_file, record_type, warc_offset "
                                                                    "from captures"))
    warcs = sorted(str(p) for p in (data_dir / "warc").glob("*.warc.gz"))
    assert subprocess.run([WARCIO, "check", *warcs], capture_output=True).returncode == 0
    kept = [p for p in quarantine.iterdir() if p.name.startswith(f"{warc}.{indexed_end}-")]
    assert [p.name for p in kept] == [f"{warc}.{indexed_end}-{size}"]
    assert hashlib.sha256(kept[0].read_bytes()).hexdigest() == tail.hexdigest()
    # the killed repair had not started its own run yet: the first run and the last
    assert query(data_dir, "select status from crawl_runs order by id") == [("interrupted",), ("finished",)]


def _crawl_with_robots(world, data_dir: Path, robots) -> dict:
    """Crawl yanchi and zhongning while yanchi's robots.txt is answered by `robots`."""
    world.add_route("yanchi", "/robots.txt", robots)
    registry = [entry for entry in world.registry() if entry["id"] in ("yanchi", "zhongning")]
    try:
        return summary_of(run_crawl(data_dir, registry))
    finally:
        world.remove_route("yanchi", "/robots.txt")


def test_robots_disallow_is_obeyed_and_recorded(world, tmp_path):
    """One portal of the shared world says `Disallow: /` for the length of this test."""
    data_dir = tmp_path / "data"
    summary = _crawl_with_robots(world, data_dir, lambda request: request.send_body(
        200, b"User-agent: *\nDisallow: /\n", "text/plain"))
    fetched = query(data_dir, "select kind, count(*) from captures where portal_id = 'yanchi' group by kind")
    assert fetched == [("robots", 1)]
    assert query(data_dir, "select count(*) from errors where portal_id = 'yanchi' and kind = 'robots'")[0][0] >= 1
    assert summary["per_portal"]["yanchi"]["disallowed"] >= 1 and summary["per_portal"]["zhongning"]["reports"] > 0


def test_robots_answering_500_means_disallow_all_until_it_answers(world, tmp_path):
    """RFC 9309: a server error on robots.txt is a complete disallow, not an allow-all."""
    data_dir = tmp_path / "data"
    summary = _crawl_with_robots(world, data_dir, lambda request: request.send_body(
        500, b"<html>Internal Server Error</html>", "text/html"))
    fetched = query(data_dir, "select kind, status from captures where portal_id = 'yanchi'")
    assert fetched and set(fetched) == {("robots", 500)}  # archived as received, nothing else asked
    assert query(data_dir, "select count(*) from errors where portal_id = 'yanchi' and kind = 'robots'")[0][0] >= 1
    assert summary["per_portal"]["zhongning"]["reports"] > 0


def test_a_public_portal_redirected_to_localhost_is_refused(world, tmp_path):
    """A public (non-local) portal, reached through its proxy hint (here: a sample server
    answering proxy-form requests), redirects to http://localhost:PORT/ and to the
    "localhost." spelling: neither hop is sent, both are `refused` errors rows."""
    port = world.base_url("yanchi").rsplit(":", 1)[1]
    targets = {"/to-localhost.html": f"http://localhost:{port}/", "/to-localhost-dot.html": f"http://localhost.:{port}/x"}
    for path, target in targets.items():
        world.add_route("yanchi", path, lambda request, target=target: request.send_body(
            302, b"", "text/html", {"Location": target}))
    registry = [{"id": "public-county", "family": "generic", "local": False,
                 "hosts": ["county.example", "localhost", "localhost."],  # the targets count as on the portal
                 "start_urls": [f"http://county.example{path}" for path in targets],
                 "hints": {"proxy": world.base_url("yanchi")}}]
    data_dir = tmp_path / "data"
    before = len(world.request_log)
    try:
        summary = summary_of(run_crawl(data_dir, registry, "DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=false",
                                       "DOWNLOAD_TIMEOUT=5", local=False))
    finally:
        for path in targets:
            world.remove_route("yanchi", path)
    refused = query(data_dir, "select url, kind, reason from errors where kind = 'refused' order by url")
    assert [url for url, _, _ in refused] == sorted(targets.values())
    assert all("private or loopback" in reason for _, _, reason in refused)
    assert query(data_dir, "select status from captures where url like 'http://county.example/to-%'") == [(302,), (302,)]
    assert not query(data_dir, "select url from captures where url like 'http://localhost%'")
    served = [entry[2] for entry in world.request_log[before:]]
    assert not [path for path in served if path in ("/", "/x")], served  # the private target never saw a request
    assert summary["errors"] >= 2


# -- compressed portals ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def gzip_crawl(world, tmp_path_factory):
    """One portal of the sample world served gzip-compressed, crawled twice (the second time
    without conditional requests, so every page comes back whole and byte-identical)."""
    with SampleWorld(world.root, coding="gzip") as gzipped:
        registry = [entry for entry in gzipped.registry() if entry["id"] == "zhongning"]
        data_dir = tmp_path_factory.mktemp("gzip-crawl") / "data"
        first = summary_of(run_crawl(data_dir, registry))
        sent = dict(gzipped.encoded_sent)
        second = summary_of(run_crawl(data_dir, registry, "OGI_CONDITIONAL_REQUESTS=false"))
        yield {"dir": data_dir, "world": gzipped, "sent": sent, "first": first, "second": second}


def test_gzip_responses_are_archived_as_the_server_sent_them(gzip_crawl):
    data_dir, world, sent = gzip_crawl["dir"], gzip_crawl["world"], gzip_crawl["sent"]
    files = sorted((data_dir / "warc").glob("*.warc.gz"))
    check = subprocess.run([WARCIO, "check", *map(str, files)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout[-2000:]
    base = world.base_url("zhongning")
    compared = 0
    for path in files:
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type != "response" or record.http_headers.get_statuscode() != "200":
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI")
                wire = sent.get(("zhongning", url.removeprefix(base)))
                if wire is None:
                    continue  # robots.txt and the like: not compressed by the server
                assert record.http_headers.get_header("Content-Encoding") == "gzip", url
                assert record.raw_stream.read() == wire, url  # the exact bytes the server sent
                compared += 1
    assert compared >= len([r for r in world.manifest["reports"] if r["portal_id"] == "zhongning"])
    # the stored digest is the wire's, in the index too
    for url, digest in query(data_dir, "select url, payload_sha256 from captures where record_type = 'response' "
                                       "and status = 200"):
        if ("zhongning", url.removeprefix(base)) in sent:
            assert digest == hashlib.sha256(sent[("zhongning", url.removeprefix(base))]).hexdigest(), url


def test_gzip_archive_reads_back_decoded_and_loads(gzip_crawl):
    data_dir, world = gzip_crawl["dir"], gzip_crawl["world"]
    reports = [r for r in world.manifest["reports"] if r["portal_id"] == "zhongning" and r["delivery"] == "html"]
    url = url_of(world, "zhongning", reports[0]["detail_path"])
    with open_db(data_dir / "ogi.db") as db:
        (capture,) = [row for row in db.query("select * from captures where url = ? and record_type = 'response' "
                                              "order by id limit 1", [url])]
        back = read_capture(db, data_dir / "warc", capture)
        assert back.raw_payload.startswith(b"\x1f\x8b") and back.payload.lstrip().startswith(b"<!DOCTYPE html>")
        assert reports[0]["title"].encode() in back.payload
    # warcio's own reader decodes it too
    with open(data_dir / "warc" / capture["warc_file"], "rb") as stream:
        stream.seek(capture["warc_offset"])
        assert next(iter(ArchiveIterator(stream))).content_stream().read() == back.payload
    run_ogi("load", "--data", str(data_dir))
    loaded = dict(query(data_dir, "select s.url, r.status from report_sources s join reports r on r.id = s.report_id"))
    for report in reports:
        status = loaded.get(url_of(world, "zhongning", report["detail_path"]))
        assert status is not None and status != "failed", (report["title"], status)


def test_identical_gzip_payloads_become_revisits_and_cdxj_indexer_reads_them(gzip_crawl):
    data_dir = gzip_crawl["dir"]
    second = query(data_dir, "select record_type, outcome, count(*) from captures where run_id = 2 and status = 200 "
                             "and kind in ('report', 'attachment') group by 1, 2")
    assert second and all(row[:2] == ("revisit", "unchanged") for row in second), second
    assert gzip_crawl["second"]["new_captures"] == 0
    files = sorted((data_dir / "warc").glob("*.warc.gz"))
    index = subprocess.run([CDXJ_INDEXER, *map(str, files)], capture_output=True, text=True)
    assert index.returncode == 0, index.stderr[-2000:]
    entries = [json.loads(line.split(" ", 2)[2]) for line in index.stdout.splitlines()]
    indexed = sorted((Path(e["filename"]).name, int(e["offset"])) for e in entries)
    assert indexed == sorted(query(data_dir, "select warc_file, warc_offset from captures"))  # each response/revisit


@pytest.fixture(scope="module", params=["br", "zstd"])
def unasked_crawl(world, tmp_path_factory, request):
    """One portal whose server sends every 200 body br- or zstd-compressed though the
    crawler only accepts gzip and deflate, crawled once and loaded."""
    with SampleWorld(world.root, coding=request.param) as encoded:
        registry = [entry for entry in encoded.registry() if entry["id"] == "zhongning"]
        data_dir = tmp_path_factory.mktemp(f"{request.param}-crawl") / "data"
        summary = summary_of(run_crawl(data_dir, registry))
        said = run_ogi("load", "--data", str(data_dir)).stdout.split()
        loaded = dict(part.split("=", 1) for part in said if "=" in part)
        yield {"dir": data_dir, "world": encoded, "sent": dict(encoded.encoded_sent), "coding": request.param,
               "crawl": summary, "load": loaded}


def test_unasked_brotli_and_zstd_bodies_are_archived_as_sent_and_load(unasked_crawl):
    data_dir, world, sent, coding = (unasked_crawl[k] for k in ("dir", "world", "sent", "coding"))
    base = world.base_url("zhongning")
    stored = query(data_dir, "select id, url, record_type, outcome from captures where status = 200")
    encoded = [(capture_id, url) for capture_id, url, *_ in stored if ("zhongning", url.removeprefix(base)) in sent]
    assert len(encoded) == len(sent)  # every body the server compressed was archived
    with open_db(data_dir / "ogi.db") as db:
        for capture_id, url in encoded:
            back = read_capture(db, data_dir / "warc", capture_id)
            assert dict(back.headers)["Content-Encoding"] == coding, url
            assert back.raw_payload == sent[("zhongning", url.removeprefix(base))] != back.payload, url
    assert unasked_crawl["load"]["errors"] == "0" and unasked_crawl["load"].get("not_loaded", "0") == "0"
    reports = [r for r in world.manifest["reports"] if r["portal_id"] == "zhongning" and r["delivery"] == "html"]
    loaded = dict(query(data_dir, "select s.url, r.status from report_sources s join reports r on r.id = s.report_id"))
    for report in reports:
        status = loaded.get(url_of(world, "zhongning", report["detail_path"]))
        assert status is not None and status != "failed", (report["title"], status)


def test_update_crawls_and_loads_under_one_lock_and_status_shows_each_run(world, tmp_path):
    from archive.lock import write_lock

    registry = tmp_path / "registry.json"
    registry.write_text(json.dumps([e for e in world.registry() if e["id"] == "zhongning"], ensure_ascii=False),
                        encoding="utf-8")
    data_dir = tmp_path / "data"
    command = [sys.executable, "-m", "ogi.cli", "update", "--data", str(data_dir), "--registry", str(registry),
               "--local", "--no-convert"]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "ogi update: ok"
    reports = query(data_dir, "select count(*) from reports where is_current = 1")[0][0]
    assert reports == len([r for r in world.manifest["reports"] if r["portal_id"] == "zhongning"])
    with write_lock(data_dir, "load"):
        locked = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert locked.returncode == 3 and "ogi load (pid" in locked.stderr
    status = json.loads(subprocess.run([sys.executable, "-m", "ogi.cli", "status", "--data", str(data_dir), "--json"],
                                       cwd=REPO, capture_output=True, text=True, timeout=60).stdout)
    runs = status["last_runs"]
    assert (runs["update"]["status"], runs["update"]["exit_code"]) == ("locked", 3)
    assert (runs["load"]["status"], runs["crawl"]["status"]) == ("ok", "finished")


def test_session_id_variants_of_one_report_are_one_capture(world, tmp_path):
    """Heritrix-style canonicalization before dedup: 40 `;jsessionid=` links, one report."""
    report = next(r for r in world.manifest["reports"] if r["portal_id"] == "zhongning" and r["delivery"] == "html")
    links = "".join(f'<li><a href="{report["detail_path"]};jsessionid={n:032X}#p{n}">{report["title"]}</a></li>'
                    for n in range(40))
    page = f"<html><body><ul>{links}</ul></body></html>".encode()
    world.add_route("zhongning", "/sessions/index.html", lambda request: request.send_body(200, page, "text/html; charset=utf-8"))
    registry = [dict(e, start_urls=[url_of(world, "zhongning", "/sessions/index.html")])
                for e in world.registry() if e["id"] == "zhongning"]
    data_dir = tmp_path / "data"
    try:
        summary_of(run_crawl(data_dir, registry, "OGI_RECHECK_UNLINKED=false"))
    finally:
        world.remove_route("zhongning", "/sessions/index.html")
    reports = query(data_dir, "select url from captures where kind = 'report'")
    assert reports == [(url_of(world, "zhongning", report["detail_path"]),)]


def test_a_crawl_on_a_full_disk_stops_with_its_reason_and_the_next_one_loses_nothing(world, tmp_path):
    """DIR on a 3 MB tmpfs of its own: the crawl fills it and stops (exit 1, no traceback);
    with space again, the next crawl repairs the torn tail and archives every report, and
    every WARC passes warcio check."""
    mount = tmp_path / "small"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (not root): the full-disk test needs its own small filesystem")
    try:
        data_dir = mount / "data"
        full = run_crawl(data_dir, world.registry())
        last = full.stderr.strip().splitlines()[-1]  # the command's own last word, not a traceback
        assert full.returncode == 1 and last.startswith("ogi crawl: stopped, the archive's disk failed"), last
        subprocess.run(["mount", "-o", "remount,size=200m", str(mount)], check=True)
        summary_of(run_crawl(data_dir, world.registry()))
        archived = {url for (url,) in query(data_dir, "select url from captures where status = 200")}
        assert [r["detail_path"] for r in world.manifest["reports"]
                if url_of(world, r["portal_id"], r["detail_path"]) not in archived] == []
        warcs = sorted(str(p) for p in (data_dir / "warc").glob("*.warc.gz"))
        assert subprocess.run([WARCIO, "check", *warcs], capture_output=True).returncode == 0
        assert len(warc_records(data_dir)) == query(data_dir, "select count(*) from captures")[0][0]
    finally:
        subprocess.run(["umount", str(mount)], capture_output=True)


def test_national_simulator_slow_dead_and_blocked_hosts_end_as_errors_rows_not_a_stuck_run(tmp_path):
    """Twelve county hosts behind sample_portals.national (time scale 0.02): the slow ones
    are crawled whole, each dead one ends as timeout rows, the anti-bot one as blocked
    rows, the one that says `Disallow: /` as a robots row, and the run finishes."""
    from collections import Counter

    from sample_portals.generate import generate_world
    from sample_portals.national import NationalWorld

    manifest = generate_world(tmp_path / "world", generated=4)
    per_family = Counter(report["portal_id"] for report in manifest["reports"])
    with NationalWorld(tmp_path / "world", 12, time_scale=0.02, seed=2260, slow=0.25, dead=0.15, antibot=0.1,
                       disallow=0.1) as national:
        kinds = {f"n{host.index:04d}": host for host in national.hosts}
        assert set(host.kind for host in kinds.values()) == {"normal", "slow", "dead", "antibot", "disallow"}
        started = time.monotonic()
        summary = summary_of(run_crawl(tmp_path / "data", national.registry(), "DOWNLOAD_TIMEOUT=2", timeout=600))
        assert summary["status"] == "finished" and time.monotonic() - started < 300
    errors = Counter((portal, kind) for portal, kind in query(tmp_path / "data", "select portal_id, kind from errors"))
    reports = Counter(portal for (portal,) in query(
        tmp_path / "data", "select portal_id from captures where kind = 'report' and status = 200"))
    for portal_id, host in kinds.items():
        if host.kind in ("normal", "slow"):
            assert reports[portal_id] == per_family[host.family_portal], (portal_id, host)
            assert not [kind for (portal, kind) in errors if portal == portal_id
                        and kind in ("timeout", "blocked", "robots", "http_status")], (portal_id, errors)
        else:
            ended = {"dead": "timeout", "antibot": "blocked", "disallow": "robots"}[host.kind]
            assert errors[(portal_id, ended)] >= 1 and reports[portal_id] == 0, (portal_id, host, errors)
    dead = query(tmp_path / "data", "select reason from errors where kind = 'timeout'")
    assert dead and all("took longer than 2.0 seconds" in reason for (reason,) in dead)
