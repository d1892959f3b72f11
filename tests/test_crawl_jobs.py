"""`ogi crawl --jobs N`: one run crawled by N processes, each with a share of the portals.

What a user relies on: the same archive as a one-process crawl (every URL, every report,
one crawl_runs row whose figures are the captures'), WARC files each process wrote
itself with every record indexed, a second run as cheap as ever, and a stop that stops
every process: SIGTERM ends the run cleanly, and a parent killed outright leaves parts
that hold the run's lock until they are gone, so no second run starts beside them.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

from conftest import REPO, WARCIO, query, warc_records
from crawler.run import merge_summaries, split_portals
from test_crawl import run_crawl, summary_of


def portal(pid: str) -> dict:
    return {"id": pid, "hosts": [f"{pid}.example"], "start_urls": [f"http://{pid}.example/"]}


# -- the shares (pure) ------------------------------------------------------------------------
def test_shares_balance_the_requests_each_portal_took_last_time():
    portals = [portal(p) for p in ("a", "b", "c", "d", "e")]
    shares = split_portals(portals, 2, {"a": 600, "b": 450, "c": 400, "d": 300, "e": 250})
    costs = [sorted(p["id"] for p in share) for share in shares]
    assert costs == [["a", "d"], ["b", "c", "e"]]  # 900 against 1100: largest first, each to the lightest
    assert sorted(p["id"] for share in shares for p in share) == ["a", "b", "c", "d", "e"]


def test_a_portal_never_crawled_costs_the_median_and_no_share_is_empty():
    portals = [portal(p) for p in ("a", "b", "c", "new")]
    shares = split_portals(portals, 3, {"a": 900, "b": 100, "c": 300})
    assert [[p["id"] for p in share] for share in shares] == [["a"], ["c", "b"], ["new"]]  # new costs 300
    assert split_portals(portals[:1], 4, {}) == [portals[:1]]


def test_merged_summary_adds_counters_and_keeps_the_first_unfinished_status():
    one = {"requests": 5, "bytes_received": 100, "errors": 1, "per_portal": {"b": {"requests": 5}}, "status": "finished"}
    two = {"requests": 7, "bytes_received": 50, "errors": 0, "per_portal": {"a": {"requests": 7}},
           "status": "closed:shutdown"}
    merged = merge_summaries(9, [one, two])
    assert (merged["run_id"], merged["requests"], merged["bytes_received"], merged["errors"]) == (9, 12, 150, 1)
    assert list(merged["per_portal"]) == ["a", "b"]
    assert merged["status"] == "closed:shutdown"
    assert merge_summaries(9, [one, one])["status"] == "finished"


# -- a real crawl in two processes ------------------------------------------------------------
@pytest.fixture(scope="module")
def crawled_both_ways(world, tmp_path_factory):
    one = tmp_path_factory.mktemp("one-process") / "data"
    two = tmp_path_factory.mktemp("two-processes") / "data"
    single = summary_of(run_crawl(one, world.registry()))
    parts = summary_of(run_crawl(two, world.registry(), jobs=2))
    again = summary_of(run_crawl(two, world.registry(), jobs=2))
    return {"one": one, "two": two, "single": single, "parts": parts, "again": again}


def test_two_processes_archive_what_one_process_archives(crawled_both_ways):
    one, two = crawled_both_ways["one"], crawled_both_ways["two"]
    sql = "select url, kind, status, payload_sha256 from captures where run_id = 1"
    assert sorted(query(two, sql)) == sorted(query(one, sql))
    single, parts = crawled_both_ways["single"], crawled_both_ways["parts"]
    for key in ("requests", "bytes_received", "new_captures", "reports", "attachments", "lists", "errors"):
        assert parts[key] == single[key], key
    assert parts["per_portal"] == single["per_portal"]


def test_the_run_row_holds_the_parts_figures_and_each_part_wrote_its_own_files(crawled_both_ways):
    two, parts = crawled_both_ways["two"], crawled_both_ways["parts"]
    (status, requests, per_portal), = query(two, "select status, requests, per_portal from crawl_runs where id = 1")
    assert (status, requests) == ("finished", parts["requests"])
    assert json.loads(per_portal) == parts["per_portal"]
    assert query(two, "select count(*) from captures where run_id = 1")[0][0] == parts["requests"]
    first_run_files = {f for (f,) in query(two, "select distinct warc_file from captures where run_id = 1")}
    assert len(first_run_files) == 2  # one open file per process
    # a portal's captures all sit in one file: its process's
    per_file = query(two, "select portal_id, count(distinct warc_file) from captures where run_id = 1 group by 1")
    assert {n for _, n in per_file} == {1}
    files = sorted((two / "warc").glob("*.warc.gz"))
    assert subprocess.run([WARCIO, "check", *map(str, files)]).returncode == 0
    assert sorted(warc_records(two)) == sorted(query(two, "select warc_file, record_type, warc_offset from captures"))


def test_a_process_with_a_reactor_already_installed_spawns_its_parts(crawled_both_ways, world, tmp_path, monkeypatch):
    """The parts are forked (Scrapy already imported) only from a process that has no
    reactor yet: a forked reactor would be shared with the parent. Spawned, they crawl the same."""
    import multiprocessing

    from crawler import run
    from crawler.settings import LOCAL_TEST_SETTINGS

    asked = []
    real = multiprocessing.get_context
    monkeypatch.setattr(multiprocessing, "get_context", lambda method=None: asked.append(method) or real(method))
    monkeypatch.setitem(sys.modules, "twisted.internet.reactor", object())
    summary = run.crawl(tmp_path / "data", world.registry(), settings=dict(LOCAL_TEST_SETTINGS), jobs=2)
    assert asked == ["spawn"] and summary["status"] == "finished"
    sql = "select url, kind, status, payload_sha256 from captures where run_id = 1"
    assert sorted(query(tmp_path / "data", sql)) == sorted(query(crawled_both_ways["one"], sql))


def test_a_second_run_in_two_processes_is_as_cheap_as_ever(crawled_both_ways):
    parts, again = crawled_both_ways["parts"], crawled_both_ways["again"]
    assert again["status"] == "finished"
    assert again["bytes_received"] <= 0.10 * parts["bytes_received"]
    assert again["new_captures"] == 0 and again["unchanged"] == again["requests"] - again["errors"]


def test_jobs_and_a_distributed_run_do_not_mix(world, tmp_path):
    result = run_crawl(tmp_path / "data", world.registry(), "OGI_REDIS_URL=redis://127.0.0.1:1",
                       "OGI_DISTRIBUTED_RUN=r1", jobs=2)
    assert result.returncode == 1 and "start more workers instead of --jobs" in result.stderr


# -- stopping ---------------------------------------------------------------------------------
def _start(world, tmp_path) -> tuple[subprocess.Popen, object]:
    data_dir = tmp_path / "data"
    registry_file = tmp_path / "registry.json"
    registry_file.write_text(json.dumps(world.registry(), ensure_ascii=False), encoding="utf-8")
    args = [sys.executable, "-m", "ogi.cli", "crawl", "--data", str(data_dir), "--registry", str(registry_file),
            "--local", "--jobs", "2", "--json", "--set", "CONCURRENT_REQUESTS_PER_DOMAIN=1",
            "--set", "DOWNLOAD_DELAY=0.2"]
    child = subprocess.Popen(args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        time.sleep(0.2)
        try:
            if query(data_dir, "select count(distinct portal_id) from captures")[0][0] >= 4:
                break
        except Exception:  # noqa: BLE001 - the database is not there yet
            pass
    assert child.poll() is None, "the crawl ended before it could be stopped: slow it down further"
    return child, data_dir


def _parts_of(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    return found


def test_sigterm_stops_every_part_and_closes_the_run(world, tmp_path):
    child, data_dir = _start(world, tmp_path)
    parts = _parts_of(child.pid)  # the two parts (and multiprocessing's resource tracker)
    assert len(parts) >= 2
    child.send_signal(signal.SIGTERM)
    out, err = child.communicate(timeout=60)
    assert child.returncode == 1, err[-2000:]
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["status"] == "closed:shutdown"
    assert query(data_dir, "select status from crawl_runs") == [("closed:shutdown",)]
    assert summary["requests"] == query(data_dir, "select count(*) from captures")[0][0]
    deadline = time.time() + 10
    while time.time() < deadline and any(os.path.exists(f"/proc/{p}") for p in parts):
        time.sleep(0.1)
    assert not any(os.path.exists(f"/proc/{p}") for p in parts), "a part outlived the run"


def test_a_killed_parent_leaves_no_part_crawling_beside_a_new_run(world, tmp_path):
    child, data_dir = _start(world, tmp_path)
    parts = _parts_of(child.pid)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    fd = os.open(data_dir / "crawl.lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        taken = True
    except BlockingIOError:
        taken = False
    finally:
        os.close(fd)
    still_stopping = any(os.path.exists(f"/proc/{p}") for p in parts)  # so alive while the lock was tried
    assert still_stopping, "the parts stopped before the lock could be tried: slow them down"
    assert not taken, "the run's lock was free while its parts were still running"
    deadline = time.time() + 60
    while time.time() < deadline and any(os.path.exists(f"/proc/{p}") for p in parts):
        time.sleep(0.2)
    assert not any(os.path.exists(f"/proc/{p}") for p in parts), "a part outlived its parent"
    summary = summary_of(run_crawl(data_dir, world.registry()))
    assert summary["status"] == "finished"
    assert Counter(s for (s,) in query(data_dir, "select status from crawl_runs")) == \
        Counter({"interrupted": 1, "finished": 1})
    assert sorted(warc_records(data_dir)) == sorted(query(data_dir, "select warc_file, record_type, warc_offset "
                                                                    "from captures"))
