"""Column discovery: `ogi portals discover URL` from a portal's home page to the registry
entry that crawls its 年报 column, on the sample portals over HTTP and, for the link
reading, on saved real home pages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse

from crawler import discover
from crawler.families import GenericFamily, guess_family
from conftest import REPO, query, run_ogi, served_world

PAGES = Path(__file__).parent / "fixtures" / "real" / "pages"


def real_page(name: str) -> tuple[dict, HtmlResponse]:
    expected = json.loads((PAGES / f"{name}.expected.json").read_text(encoding="utf-8"))
    return expected, HtmlResponse(expected["url"], body=(PAGES / f"{name}.html").read_bytes(), encoding="utf-8")


@pytest.mark.parametrize("name", sorted(p.name.split(".")[0] for p in PAGES.glob("*.expected.json")))
def test_the_family_is_guessed_from_what_a_real_page_shows(name):
    expected, response = real_page(name)
    assert guess_family(response.text)[0] == expected["family"]


@pytest.mark.parametrize("name, column", [
    ("ucap-yichun-home", ("政府信息公开年度报告", "https://www.yichun.gov.cn/ycsrmzf/zfxxgknb/redirect_firstChannel.shtml")),
    ("trs-handan-xxgk-index", ("政府信息公开年报", "http://hdzfxxgk.hd.gov.cn/zfxxgknb/"))])
def test_a_real_home_page_names_its_column_among_its_navigation(name, column):
    expected, response = real_page(name)
    found = discover.read_links(GenericFamily().links(response),
                                lambda url: discover.same_site(url, expected["url"], local=False))
    assert [(link.text, link.url) for link in found.columns] == [column]


def test_a_sibling_host_of_the_home_page_is_the_same_portal():
    assert discover.same_site("http://xxgk.yichun.gov.cn/ysqgk/", "https://www.yichun.gov.cn/", local=False)
    assert not discover.same_site("http://www.gov.cn/", "https://www.yichun.gov.cn/", local=False)
    assert not discover.same_site("http://127.0.0.1:2/x", "http://127.0.0.1:1/", local=True)


@pytest.fixture(scope="module")
def discovered(tmp_path_factory):
    """Each sample portal discovered from its home page alone into one registry file."""
    for world in served_world(tmp_path_factory, "discover-world"):
        data_dir = tmp_path_factory.mktemp("discover") / "data"
        registry = data_dir.parent / "registry.json"
        log_start = len(world.request_log)
        for portal in world.manifest["portals"]:
            run_ogi("portals", "discover", world.base_url(portal["id"]) + "/", "--local", "--data", str(data_dir),
                    "--id", portal["id"], "--name", portal["name"], "--admin-code", portal["admin_code"],
                    "--write", str(registry))
        yield world, data_dir, json.loads(registry.read_text(encoding="utf-8")), world.request_log[log_start:]


def test_discovery_writes_an_entry_per_portal_with_its_family_and_column(discovered):
    world, _data, registry, requests = discovered
    by_id = {entry["id"]: entry for entry in registry}
    for portal in world.manifest["portals"]:
        entry = by_id[portal["id"]]
        assert entry["family"] == {"ningxia": "trs"}.get(portal["family"], portal["family"]), entry["hints"]
        assert entry["admin_code"] == portal["admin_code"] and entry["verified"] is False
        main = portal["start_paths"][0].rsplit("/", 1)[0] + "/"
        assert [url.split("/", 3)[3] for url in entry["start_urls"]]  # at least one column
        assert all(("/" + url.split("/", 3)[3]).startswith(main) for url in entry["start_urls"]), entry
    assert [(p, path) for p, _m, path, status, _s in requests if status == 404] == []
    assert len(requests) <= 6 * len(registry)  # robots, home, area, column: a handful each


def test_a_crawl_of_the_discovered_registry_reaches_every_report(discovered, tmp_path):
    world, _data, registry, _requests = discovered
    path = tmp_path / "registry.json"
    path.write_text(json.dumps(registry, ensure_ascii=False), encoding="utf-8")
    data_dir = tmp_path / "data"
    result = subprocess.run([sys.executable, "-m", "ogi.cli", "crawl", "--data", str(data_dir), "--registry", str(path),
                             "--local", "--json"], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    archived = {url for (url,) in query(data_dir, "select url from captures where status = 200")}
    missing = [(r["portal_id"], path) for r in world.manifest["reports"]
               for path in [r["detail_path"]] + [f["path"] for f in r["files"]]
               if world.base_url(r["portal_id"]) + path not in archived]
    assert missing == []


def test_no_column_found_is_exit_1_with_what_was_checked(tmp_path):
    result = subprocess.run([sys.executable, "-m", "ogi.cli", "portals", "discover", "http://127.0.0.1:9/", "--local",
                             "--data", str(tmp_path / "d")], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "no 年报 column found from http://127.0.0.1:9/" in result.stderr
