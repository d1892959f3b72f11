"""Distributed crawling as a configuration switch: two `ogi crawl` workers on one DIR share a
local redis-server (scrapy-redis scheduler + dupefilter) over the sample world.

What a user relies on: every report is fetched by exactly one worker (no duplicate full
fetch), both workers do work, each writes its own WARC files and its own crawl_runs row into
the shared DIR/ogi.db, the archive stays whole (warcio check, one captures row per record),
and the run lock lets the workers of one run in while keeping any other run out.

redis-server is a system package (Debian: redis-server). Without it the crawl test is
skipped on a developer machine and fails under CI=true, where the Makefile installs it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO, WARCIO, free_port, query, warc_records
from crawler.distributed import CrawlLocked, RunLock, keys



def _require(what: str, present: bool) -> None:
    if present:
        return
    message = f"{what} is not installed (Debian: apt-get install -y redis-server; pip: the `distributed` extra)"
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the distributed test: {message}")
    pytest.skip(message)


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    server = shutil.which("redis-server")
    _require("redis-server", server is not None)
    try:
        import redis
        import scrapy_redis  # noqa: F401
    except ImportError:
        _require("scrapy-redis", False)
    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    child = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                              "--dir", str(workdir), "--protected-mode", "yes"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(host="127.0.0.1", port=port)
    deadline = time.time() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.time() > deadline or child.poll() is not None:
                child.kill()
                pytest.fail(f"redis-server did not start on 127.0.0.1:{port}")
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    child.terminate()
    child.wait(timeout=10)


def crawl_args(data_dir: Path, registry_file: Path, *settings: str) -> list[str]:
    args = [sys.executable, "-m", "ogi.cli", "crawl", "--data", str(data_dir), "--registry", str(registry_file),
            "--local", "--json"]
    for item in settings:
        args += ["--set", item]
    return args


@pytest.fixture(scope="module")
def two_workers(world, redis_url, tmp_path_factory):
    """Two worker processes of distributed run "t1", started together."""
    tmp = tmp_path_factory.mktemp("distributed")
    data_dir = tmp / "data"
    registry_file = tmp / "registry.json"
    registry_file.write_text(json.dumps(world.registry(), ensure_ascii=False), encoding="utf-8")
    switch = (f"OGI_REDIS_URL={redis_url}", "OGI_DISTRIBUTED_RUN=t1",
              "DOWNLOAD_DELAY=0.25")  # pacing, so both workers are up while work remains (a loaded CI machine starts slowly)
    workers = [subprocess.Popen(crawl_args(data_dir, registry_file, *switch), cwd=REPO, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    outputs = [worker.communicate(timeout=240) for worker in workers]
    for worker, (out, err) in zip(workers, outputs):
        assert worker.returncode == 0, err[-3000:]
    summaries = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
    return {"dir": data_dir, "registry": registry_file, "summaries": summaries, "switch": switch}


def test_every_report_is_fetched_once_by_one_of_the_workers(world, two_workers):
    data_dir = two_workers["dir"]
    for report in world.manifest["reports"]:
        url = world.base_url(report["portal_id"]) + report["detail_path"]
        fetched = query(data_dir, "select run_id, record_type from captures where url = ? and status = 200", [url])
        assert len(fetched) == 1 and fetched[0][1] == "response", (url, fetched)
    # no page at all twice (robots.txt aside: each worker reads it for itself)
    twice = query(data_dir, "select url, count(*) from captures where kind != 'robots' group by url having count(*) > 1")
    assert not twice


def test_both_workers_worked_and_wrote_their_own_files(two_workers):
    data_dir = two_workers["dir"]
    runs = query(data_dir, "select id, status from crawl_runs order by id")
    assert [status for _, status in runs] == ["finished", "finished"]
    pages = dict(query(data_dir, "select run_id, count(*) from captures where kind != 'robots' group by run_id"))
    assert sorted(pages) == sorted(run_id for run_id, _ in runs) and all(n > 0 for n in pages.values()), pages
    files = [set(f for (f,) in query(data_dir, "select distinct warc_file from captures where run_id = ?", [run_id]))
             for run_id, _ in runs]
    assert files[0] and files[1] and not files[0] & files[1]
    assert {s["distributed_run"] for s in two_workers["summaries"]} == {"t1"}


def test_the_shared_archive_is_whole(two_workers):
    data_dir = two_workers["dir"]
    paths = sorted((data_dir / "warc").glob("*.warc.gz"))
    assert subprocess.run([WARCIO, "check", *map(str, paths)], capture_output=True).returncode == 0
    assert sorted(warc_records(data_dir)) == sorted(
        query(data_dir, "select warc_file, record_type, warc_offset from captures"))


def test_a_finished_run_is_not_crawled_again_and_leaves_no_queue(two_workers, redis_url):
    import redis

    client = redis.Redis.from_url(redis_url)
    names = keys("t1")
    assert not client.exists(names["requests"], names["dupefilter"])
    late = subprocess.run(crawl_args(two_workers["dir"], two_workers["registry"], *two_workers["switch"]),
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert late.returncode == 3 and "already finished" in late.stderr


def test_half_set_switch_is_a_clear_error(world, tmp_path, redis_url):
    registry_file = tmp_path / "registry.json"
    registry_file.write_text(json.dumps(world.registry(), ensure_ascii=False), encoding="utf-8")
    result = subprocess.run(crawl_args(tmp_path / "data", registry_file, f"OGI_REDIS_URL={redis_url}"),
                            cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "OGI_DISTRIBUTED_RUN" in result.stderr
    assert "Traceback" not in result.stderr  # one clear line, not a stack


# -- the run lock (no Redis needed) -------------------------------------------------------------
def test_run_lock_admits_workers_of_one_run_and_keeps_other_runs_out(tmp_path):
    first, second = RunLock(tmp_path), RunLock(tmp_path)
    prepared = []
    assert first.acquire("a", on_first=lambda: prepared.append("a")) is True
    assert second.acquire("a", on_first=lambda: prepared.append("again")) is False  # joins, no second repair
    assert prepared == ["a"]
    with pytest.raises(CrawlLocked, match="another crawl"):
        RunLock(tmp_path).acquire(None)  # a plain run waits for none
    with pytest.raises(CrawlLocked, match="distributed run 'a'"):
        RunLock(tmp_path).acquire("b")  # nor does a worker of another run
    finished = []
    assert first.release(on_last=lambda: finished.append(1)) is False  # `second` still works
    assert second.release(on_last=lambda: finished.append(1)) is True and finished == [1]
    plain = RunLock(tmp_path)
    assert plain.acquire(None) is True
    with pytest.raises(CrawlLocked):
        RunLock(tmp_path).acquire("a")  # and workers wait for no plain run either
    plain.release()


def test_a_plain_run_is_refused_while_a_worker_holds_the_directory(world, tmp_path):
    worker = RunLock(tmp_path / "data")
    (tmp_path / "data").mkdir()
    worker.acquire("a")
    registry_file = tmp_path / "registry.json"
    registry_file.write_text(json.dumps(world.registry(), ensure_ascii=False), encoding="utf-8")
    try:
        result = subprocess.run(crawl_args(tmp_path / "data", registry_file), cwd=REPO, capture_output=True,
                                text=True, timeout=120)
    finally:
        worker.release()
    assert result.returncode == 3 and "another crawl is running" in result.stderr
