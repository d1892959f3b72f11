"""The offline test world: what the crawler and parser tests rely on it to be.

One world is generated per module (about 2 s) and served on 127.0.0.1; a small reference
walker follows links the way a crawler must (plain <a>, TRS createPageHTML pagers, Hanweb
CDATA records and the dataproxy POST) to prove every report is reachable.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import io
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import docx
import lxml.html
import pdfplumber
import pytest
from pdfminer.high_level import extract_text

from parsers.template import (TABLE3_COLUMN_KEYS, TABLE3_ROW_KEYS, TABLE4_GROUP_KEYS, table3_outcome_keys,
                              table3_row_keys)
from parsers.pdf_document import scanned_pages
from sample_portals.forms import FORMS
from sample_portals.generate import file_for, generate_world
from sample_portals.render import cell_text, render
from sample_portals.reports import ReportSpec, seed_reports
from sample_portals.server import serve_world

SEED = 2025


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("world")
    generate_world(path, seed=SEED)
    return path


@pytest.fixture(scope="module")
def manifest(root) -> dict:
    return json.loads((root / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def truths(root, manifest) -> dict[str, dict]:
    return {r["id"]: json.loads((root / r["truth"]).read_text(encoding="utf-8")) for r in manifest["reports"]}


@pytest.fixture(scope="module")
def world(root):
    with serve_world(root) as running:
        yield running


def fetch(url: str, method: str = "GET", data: bytes | None = None, headers: dict | None = None):
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def tree_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# --- determinism ---------------------------------------------------------------------------


def test_same_seed_writes_the_same_bytes_and_another_seed_differs(root, tmp_path):
    again = tmp_path / "again"
    generate_world(again, seed=SEED)
    assert tree_files(again) == tree_files(root)
    other = tmp_path / "other"
    generate_world(other, seed=SEED + 1)
    other_files = tree_files(other)
    assert other_files["manifest.json"] != tree_files(root)["manifest.json"]
    assert any(other_files.get(name) != content for name, content in tree_files(root).items() if name.startswith("truth/"))


# --- the numbers ---------------------------------------------------------------------------


def _nonzero(table) -> bool:
    if isinstance(table, dict):
        return any(_nonzero(v) for v in table.values())
    return bool(table)


def _broken_rules(truth: dict) -> set[str]:
    """The arithmetic rules of report-format.md, written out again here; None cells skip a rule."""
    t3, t4, broken = truth["table3"], truth["table4"], set()

    def known(*values):
        return all(v is not None for v in values)

    rows = table3_row_keys(truth["format"])  # the 2019 layout's table 3 has （六）其他处理 as one row
    for row in rows:
        parts = [t3[row][c] for c in TABLE3_COLUMN_KEYS[:-1]]
        if known(t3[row]["total"], *parts) and sum(parts) != t3[row]["total"]:
            broken.add("t3_row_total")
    for col in TABLE3_COLUMN_KEYS:
        outcomes = [t3[r][col] for r in table3_outcome_keys(truth["format"])]
        if known(t3["total_processed"][col], *outcomes) and sum(outcomes) != t3["total_processed"][col]:
            broken.add("t3_outcome_total")
        a, b, c, d = (t3[r][col] for r in ("new_received", "carried_over", "total_processed", "carried_forward"))
        if known(a, b, c, d) and a + b != c + d:
            broken.add("t3_balance")
    for group in TABLE4_GROUP_KEYS:
        cells = t4[group]
        if sum(cells[k] for k in ("upheld", "corrected", "other", "pending")) != cells["total"]:
            broken.add("t4_total")
    published = dt.date.fromisoformat(truth["published"])
    due = dt.date(truth["year"] + 1, 1, 31) if truth["level"] == "department" else dt.date(truth["year"] + 1, 3, 31)
    if published > due:
        broken.add("timeliness")
    sections = truth["sections"]
    if sections:
        says_none = "未收到政府信息公开申请" in sections["1"]
        if says_none != (t3["new_received"]["total"] == 0):
            broken.add("text_no_applications")
        stated = re.findall(r"行政处罚(\d+)起", sections["6"])
        if stated and int(stated[0]) != truth["table2"]["penalty"]:
            broken.add("text_penalty")
    return broken


def test_at_least_forty_generated_reports_with_nonzero_numbers_in_all_three_tables(truths):
    generated = [t for t in truths.values() if t["kind"] == "generated" and t["format"] == "2021"]
    assert len(generated) >= 40
    for truth in generated:
        assert _nonzero(truth["table2"]) and _nonzero(truth["table3"]) and _nonzero(truth["table4"]), truth["id"]
    # varied, not one pattern repeated
    assert len({t["table3"]["new_received"]["total"] for t in generated}) > 10
    assert len({t["table2"]["penalty"] for t in generated}) > 10


def test_truth_satisfies_every_rule_except_the_planted_ones(truths):
    planted: set[str] = set()
    for truth in truths.values():
        if truth["format"] == "pre-2020":
            assert truth["table3"] is None and truth["expected_failed_checks"] == []
            assert any(value is not None for value in truth["legacy"].values())
            continue
        assert _broken_rules(truth) == set(truth["expected_failed_checks"]), truth["id"]
        planted.update(truth["expected_failed_checks"])
    assert planted == {"t3_row_total", "t3_outcome_total", "t3_balance", "t4_total",
                       "text_no_applications", "text_penalty", "timeliness"}
    broken = [t for t in truths.values() if t["expected_failed_checks"]]
    assert 0.1 < len(broken) / len(truths) < 0.35


def test_worlds_include_missing_rows_zero_marks_and_label_variants(truths):
    generated = [t for t in truths.values() if t["kind"] == "generated" and t["format"] == "2021"]
    missing = [t for t in generated if any(all(v is None for v in t["table3"][r].values()) for r in TABLE3_ROW_KEYS)]
    marked = [t for t in generated if any(text in ("—", "/", "无", "") for text in t["printed"].values())]
    variants = [t for t in generated if t["label_variants"]]
    assert len(missing) >= 3 and len(marked) >= 4 and len(variants) >= 5
    for truth in marked:  # a dash or blank printed where the value is zero
        for path, text in truth["printed"].items():
            if text in ("—", "/", "无", ""):
                table, *keys = path.split(".")
                value = truth[table]
                for key in keys:
                    value = value[key]
                assert value == 0


def test_seed_ground_truth_matches_report_format():
    seeds = {spec.id: spec for spec in seed_reports()}
    assert sorted(seeds) == ["hunyuan-seed", "longde-seed", "luoning-seed", "yanchi-seed", "zhongning-seed"]
    assert seeds["zhongning-seed"].table2["penalty"] == 10
    assert seeds["yanchi-seed"].table2["penalty"] == 75
    assert all(v is None for v in seeds["yanchi-seed"].table3["total_processed"].values())
    assert all(v is None for v in seeds["yanchi-seed"].table3["carried_forward"].values())
    assert seeds["yanchi-seed"].table3["new_received"]["total"] == 0
    for spec in seeds.values():
        assert spec.sections is None
        assert render(spec, "text").decode("utf-8") == spec.seed_text


# --- reachability --------------------------------------------------------------------------


def walk(world, portal: dict, dead: set[str] = frozenset(), api_paths: list[str] = ()) -> set[str]:
    """Every URL path reachable from the start paths, following what a crawler must follow;
    `dead`: the chrome's links the world means to answer 404 (checked, not followed);
    `api_paths`: what a browser's list script fetches (WAS5 `<li>` items, UCAP JSON)."""
    base = world.base_url(portal["id"])
    host = urllib.parse.urlsplit(base).netloc
    queue = [base + path for path in portal["start_paths"]]
    seen: set[str] = set()
    for path in api_paths:
        status, headers, body = fetch(base + path)
        assert status == 200, path
        if headers.get("Content-Type", "").startswith("application/json"):
            queue += [base + item["url"] for item in json.loads(body)["data"]["results"]]
        else:
            queue += [base + a.get("href") for a in lxml.html.fragment_fromstring(body.decode(), create_parent="div").iter("a")]

    def local(url: str, href: str) -> str | None:
        if not href or href.startswith(("javascript:", "mailto:", "#", "data:")):
            return None
        absolute = urllib.parse.urljoin(url, href).split("#")[0]
        return absolute if urllib.parse.urlsplit(absolute).netloc == host else None

    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        status, headers, body = fetch(url)
        if urllib.parse.urlsplit(url).path in dead:
            assert status == 404, url
            continue
        assert status == 200, url
        if not headers.get("Content-Type", "").startswith("text/html"):
            continue
        text = body.decode("gb18030" if portal["charset"] == "gbk" else "utf-8")
        page = lxml.html.fromstring(text)
        hrefs = [a.get("href") for a in page.iter("a")]
        for script in page.iter("script"):
            code = script.text or ""
            for fragment in re.findall(r"<!\[CDATA\[(.*?)\]\]>", code, re.S):
                if fragment.strip():
                    hrefs += [a.get("href") for a in lxml.html.fragment_fromstring(fragment, create_parent="div").iter("a")]
            pager = re.search(r'createPageHTML\((\d+),\s*(\d+),\s*"(\w+)",\s*"(\w+)"\)', code)
            if pager:
                total, _, name, ext = int(pager[1]), int(pager[2]), pager[3], pager[4]
                hrefs += [f"{name}.{ext}" if n == 0 else f"{name}_{n}.{ext}" for n in range(total)]
            params = re.search(r"var jpageParams = (\{.*?\});", code)
            if params:
                form = urllib.parse.urlencode(json.loads(params[1])).encode()
                per_page = int(re.search(r"var jpagePerPage = (\d+);", code)[1])
                total = int(re.search(r"var jpageTotalRecord = (\d+);", code)[1])
                proxy = json.loads(re.search(r"var jpageProxyUrl = (\".*?\");", code)[1])
                for start in range(1, total + 1, per_page):
                    query = f"?startrecord={start}&endrecord={start + per_page - 1}&perpage={per_page}"
                    status, _, answer = fetch(base + proxy + query, "POST", form,
                                              {"Content-Type": "application/x-www-form-urlencoded"})
                    assert status == 200
                    for fragment in re.findall(r"<!\[CDATA\[(.*?)\]\]>", answer.decode(), re.S):
                        if fragment.strip():
                            hrefs += [a.get("href") for a in lxml.html.fragment_fromstring(fragment, create_parent="div").iter("a")]
        for href in hrefs:
            target = local(url, href)
            if target and target not in seen:
                queue.append(target)
    return {urllib.parse.urlsplit(u).path + (f"?{urllib.parse.urlsplit(u).query}" if urllib.parse.urlsplit(u).query else "")
            for u in seen}


def test_every_report_file_is_reachable_from_the_start_paths(world, manifest):
    for portal in manifest["portals"]:
        dead = {c["path"] for c in manifest["chrome_404"] if c["portal_id"] == portal["id"]}
        api = [a["path"] for a in manifest["api_pages"] if a["portal_id"] == portal["id"]]
        reached = walk(world, portal, dead, api)
        assert dead and dead <= reached  # every page's header links them
        reports = [r for r in manifest["reports"] if r["portal_id"] == portal["id"]]
        assert reports
        for report in reports:
            assert report["detail_path"] in reached, report["id"]
            for entry in report["files"]:
                assert entry["path"] in reached, (report["id"], entry)
        lists = {p["path"] for p in manifest["list_pages"] if p["portal_id"] == portal["id"]}
        assert lists <= reached


def test_each_portal_has_a_three_page_column_sub_columns_and_non_reports(manifest, root):
    for portal in manifest["portals"]:
        pid = portal["id"]
        if portal["family"] == "hanweb":
            store = json.loads((root / "hanweb" / pid / "col1234.json").read_text(encoding="utf-8"))
            assert len(store) > 2 * 4
        else:
            main = portal["start_paths"][0].rsplit("/", 1)[0] + "/"
            main_lists = [p for p in manifest["list_pages"] if p["portal_id"] == pid and p["path"].startswith(main)
                          and p["path"].count("/") == main.count("/")]
            if pid == "hunyuan":  # a JSON-driven column: page 1 static, every page from the API
                main_lists = [p for p in manifest["api_pages"] if p["portal_id"] == pid]
            assert len(main_lists) >= 3, pid
        levels = {r["level"] for r in manifest["reports"] if r["portal_id"] == pid}
        assert {"township", "department"} <= levels
        titles = [n["title"] for n in manifest["non_reports"] if n["portal_id"] == pid]
        assert "政府信息公开指南" in titles and len(titles) >= 5
        assert (root / "sites" / pid / "robots.txt").read_text() == "User-agent: *\nAllow: /\n"
    assert any(r["detail_path"].startswith("/hyxrmzfz/xxgknb2024/") for r in manifest["reports"])  # 浑源's year column
    assert len([r for r in manifest["reports"] if r["format"] == "pre-2020"]) == 2
    assert {r["delivery"] for r in manifest["reports"]} == {"html", "pdf", "docx", "html+pdf", *FORMS}
    assert sorted(r["delivery"] for r in manifest["reports"] if r["delivery"] in FORMS) == sorted(FORMS)  # one each
    assert any(f["form"] == "wps_opaque" for r in manifest["reports"] for f in r["files"])


def test_pages_link_no_other_portal_and_one_offsite_site(root, manifest):
    for portal in manifest["portals"]:
        for page in (root / "sites" / portal["id"]).rglob("*.*html*"):
            text = page.read_bytes().decode("gb18030" if portal["charset"] == "gbk" else "utf-8")
            hrefs = re.findall(r'href="([^"]+)"', text)
            external = {h for h in hrefs if re.match(r"https?://", h)}
            assert external <= {"http://www.gov.cn/"}, page


# --- renderings carry the truth's numbers -------------------------------------------------


def _numbers(text: str) -> list[str]:
    return re.findall(r"[0-9０-９][0-9０-９,.．]*", text)


def _expected_tokens(truth: dict) -> list[str]:
    """Printed numbers of table 3's total column and table 2, which every rendering must show."""
    spec = ReportSpec(**_spec_fields(truth))
    tokens = [cell_text(spec, f"table3.{row}.total", truth["table3"][row]["total"]) for row in TABLE3_ROW_KEYS]
    tokens += [cell_text(spec, f"table2.{key}", truth["table2"][key]) for key in ("licensing", "penalty", "fees")]
    return [t for t in tokens if re.fullmatch(r"[0-9０-９][0-9０-９,.．]*", t)]


def _html_row(page: lxml.html.HtmlElement, label_start: str) -> list[str]:
    """A row's cell texts; a Word-paste space between a number's digits (`5 6`) taken out."""
    for row in page.iter("tr"):
        cells = [re.sub(r"(?<=\d) (?=\d)", "", c.text_content().replace("\xa0", "").strip()) for c in row.iter("td")]
        labels = [c for c in cells if c.startswith(label_start)]
        if labels:
            return cells[cells.index(labels[0]) + 1:]
    raise AssertionError(f"no row {label_start}")


def test_renderings_show_the_truth_numbers(root, manifest, truths):
    done, checked_pdfs = set(), 0
    for report in manifest["reports"]:
        truth = truths[report["id"]]
        if truth["format"] != "2021" or truth["kind"] not in ("generated", "form"):
            continue
        site = root / "sites" / report["portal_id"]
        for entry in report["files"]:
            data = (site / file_for(entry["path"]).lstrip("/")).read_bytes()
            spec = ReportSpec(**_spec_fields(truth))
            expected = [cell_text(spec, f"table3.new_received.{c}", truth["table3"]["new_received"][c])
                        for c in TABLE3_COLUMN_KEYS]
            if entry["form"] == "html":
                page = lxml.html.fromstring(data.decode("gb18030" if report["portal_id"] == "luoning" else "utf-8"))
                assert _html_row(page, "一、本年新收") == expected
                assert _html_row(page, "行政处罚") == [cell_text(spec, "table2.penalty", truth["table2"]["penalty"])]
                text = page.text_content()
                for number in ("1", "5", "6"):
                    for line in truth["sections"][number].split("\n"):
                        assert line in text, (report["id"], number)
            elif entry["form"] == "pdf":
                checked_pdfs += 1
                if checked_pdfs > 6:  # pdfminer is the slow part; six PDFs cover split and unsplit tables
                    continue
                tokens = _numbers(extract_text(io.BytesIO(data)))
                for token in _expected_tokens(truth):
                    assert token in tokens, (report["id"], token)
            elif entry["form"] == "docx":
                document = docx.Document(io.BytesIO(data))
                rows = [[c.text for c in row.cells] for table in document.tables for row in table.rows]
                row = next(r for r in rows if r[0].startswith("一、本年新收"))
                assert row[3:] == expected
                assert any(truth["sections"]["5"].split("\n")[0] == p.text for p in document.paragraphs)
            elif entry["form"] in ("wps_opaque", "wps", "doc", "xls"):  # the OLE binary formats
                assert data.startswith(b"\xd0\xcf\x11\xe0")
            elif entry["form"] in ("scan_pdf", "half_scan_pdf", "long_pdf"):
                pages = len(pdfplumber.open(io.BytesIO(data)).pages)
                scanned = scanned_pages(data)
                assert len(scanned) == {"scan_pdf": pages, "half_scan_pdf": pages - 1, "long_pdf": 0}[entry["form"]]
                if entry["form"] == "long_pdf":  # table 3 runs over three pages
                    texts = [re.sub(r"\s", "", page.extract_text()) for page in pdfplumber.open(io.BytesIO(data)).pages]
                    start = next(i for i, text in enumerate(texts) if "申请人情况" in text)
                    end = next(i for i, text in enumerate(texts) if "四、政府信息公开行政复议" in text)
                    assert end - start >= 2
            elif entry["form"] == "jpg":
                assert data.startswith(b"\xff\xd8\xff")
            done.add(entry["form"])
    assert done == {"html", "pdf", "docx", "wps_opaque", *FORMS}


def _spec_fields(truth: dict) -> dict:
    return {"id": truth["id"], "portal_id": truth["portal_id"], "kind": truth["kind"], "agency": truth["agency"],
            "level": truth["level"], "year": truth["year"], "published": None, "title": truth["title"],
            "sections": truth["sections"], "table2": truth["table2"], "table3": truth["table3"],
            "table4": truth["table4"], "printed": truth["printed"]}


def test_text_rendering_layouts_carry_the_numbers(truths):
    layouts = set()
    for truth in list(truths.values()):
        if truth["kind"] != "generated" or truth["format"] != "2021":
            continue
        spec = ReportSpec(**_spec_fields(truth), label_variants=truth["label_variants"],
                          style=int(truth["id"][-3:]) * 7919)
        text = render(spec, "text").decode("utf-8")
        layouts.add("tab" if "\t" in text else "cells" if "\n|\n" in text else "pipe")
        tokens = _numbers(text)
        for token in _expected_tokens(truth):
            assert token in tokens
    assert layouts == {"tab", "cells", "pipe"}


# --- luoning's GBK --------------------------------------------------------------------------


def test_luoning_pages_are_gbk_without_a_charset_header(root, world, manifest):
    pages = list((root / "sites" / "luoning").rglob("*.html*"))
    assert len(pages) > 10
    for page in pages:
        data = page.read_bytes()
        data.decode("gb18030")
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
    status, headers, _ = fetch(world.base_url("luoning") + "/zwgk/xxgknb/?page=2")
    assert status == 200 and headers["Content-Type"] == "text/html"
    _, headers, _ = fetch(world.base_url("yanchi") + manifest["portals"][1]["start_paths"][0])
    assert headers["Content-Type"] == "text/html; charset=utf-8"


# --- the server -----------------------------------------------------------------------------


def test_conditional_get_answers_304(world, manifest):
    report = next(r for r in manifest["reports"] if r["portal_id"] == "zhongning")
    url = world.base_url("zhongning") + report["detail_path"]
    status, headers, body = fetch(url)
    assert status == 200 and body and headers["ETag"].startswith('"')
    status, _, body = fetch(url, headers={"If-None-Match": headers["ETag"]})
    assert status == 304 and body == b""
    status, _, _ = fetch(url, headers={"If-Modified-Since": headers["Last-Modified"]})
    assert status == 304
    earlier = email.utils.parsedate_to_datetime(headers["Last-Modified"]) - dt.timedelta(days=1)
    status, _, _ = fetch(url, headers={"If-Modified-Since": email.utils.format_datetime(earlier, usegmt=True)})
    assert status == 200
    status, head_headers, body = fetch(url, method="HEAD")
    assert status == 200 and body == b"" and head_headers["ETag"] == headers["ETag"]


def test_replace_changes_etag_and_remove_answers_404_or_410(world, manifest):
    reports = [r for r in manifest["reports"] if r["portal_id"] == "hunyuan"]
    url = world.base_url("hunyuan") + reports[0]["detail_path"]
    _, before, _ = fetch(url)
    world.replace("hunyuan", reports[0]["detail_path"], "<html><body>已更正</body></html>".encode())
    status, after, body = fetch(url, headers={"If-None-Match": before["ETag"]})
    assert status == 200 and "已更正" in body.decode()
    assert after["ETag"] != before["ETag"]
    assert email.utils.parsedate_to_datetime(after["Last-Modified"]) > email.utils.parsedate_to_datetime(before["Last-Modified"])
    world.remove("hunyuan", reports[1]["detail_path"])
    assert fetch(world.base_url("hunyuan") + reports[1]["detail_path"])[0] == 404
    world.remove("hunyuan", reports[2]["detail_path"], status=410)
    assert fetch(world.base_url("hunyuan") + reports[2]["detail_path"])[0] == 410


def test_dataproxy_pages_return_every_record_once(world, root):
    store = json.loads((root / "hanweb" / "longde" / "col1234.json").read_text(encoding="utf-8"))
    form = urllib.parse.urlencode({"col": 1, "appid": 1, "webid": 39, "path": "/", "columnid": 1234,
                                   "sourceContentType": 1, "unitid": 5678, "permissiontype": 0}).encode()
    seen = []
    for start in range(1, len(store) + 1, 3):
        url = world.base_url("longde") + f"/module/web/jpage/dataproxy.jsp?startrecord={start}&endrecord={start + 2}&perpage=3"
        status, headers, body = fetch(url, "POST", form, {"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 200 and headers["Content-Type"].startswith("text/xml")
        answer = body.decode()
        assert f"<totalrecord>{len(store)}</totalrecord>" in answer
        assert f"<totalpage>{-(-len(store) // 3)}</totalpage>" in answer
        seen += re.findall(r'href="([^"]+)"', answer)
    assert len(seen) == len(store) == len(set(seen))


def test_routes_faults_and_request_log(world):
    def failing(request):
        request.send_response(500)
        request.send_header("Content-Length", "5")
        request.end_headers()
        request.wfile.write(b"oops\n")

    world.add_route("yanchi", "/boom.html", failing)
    status, _, body = fetch(world.base_url("yanchi") + "/boom.html?x=1")
    assert status == 500 and body == b"oops\n"
    for _ in range(100):  # the server logs right after answering; give its thread a moment
        logged = [e for e in world.request_log if e[:4] == ("yanchi", "GET", "/boom.html?x=1", 500)]
        if logged:
            break
        time.sleep(0.01)
    assert logged and logged[0][4] > len(b"oops\n")  # status line and headers count too
    assert fetch(world.base_url("yanchi") + "/xxgk")[0] == 200  # 301 to the directory, followed
    assert fetch(world.base_url("yanchi") + "/no/such/page.html")[0] == 404


def test_registry_points_at_the_local_servers(world):
    entries = world.registry()
    assert [e["id"] for e in entries] == sorted(["zhongning", "yanchi", "longde", "luoning", "hunyuan"])
    for entry in entries:
        assert entry["local"] and entry["verified"] and entry["hosts"][0].startswith("127.0.0.1:")
        for url in entry["start_urls"]:
            assert url.startswith(f"http://{entry['hosts'][0]}/")
            assert fetch(url)[0] == 200


def test_pinned_ports_give_the_same_urls_again(root):
    with serve_world(root) as first:
        port = int(first.base_url("yanchi").rsplit(":", 1)[1])
    with serve_world(root, ports={"yanchi": port}) as again:
        assert again.base_url("yanchi") == f"http://127.0.0.1:{port}"
        entry = next(e for e in again.registry() if e["id"] == "yanchi")
        assert entry["hosts"] == [f"127.0.0.1:{port}"] and fetch(entry["start_urls"][0])[0] == 200


@pytest.mark.parametrize("generated", [0, 5])
def test_a_small_world_still_has_every_column_and_distinct_pages(tmp_path, generated):
    """`ogi demo --generated N` with a small N pads the lists with news, never reusing a page."""
    manifest = generate_world(tmp_path, seed=3, generated=generated)
    assert len([r for r in manifest["reports"] if r["kind"] == "generated" and r["format"] == "2021"]) == generated
    paths = [(p["portal_id"], p["path"]) for p in manifest["non_reports"]]
    assert len(paths) == len(set(paths))
