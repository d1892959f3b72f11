"""Rebuilding the captures index from the WARC files alone (archive.reindex).

What an archivist relies on: with ogi.db lost, the WARCs give back every captures row
(the columns a record carries, exactly), `ogi load` then makes the same reports, a
second reindex adds nothing, a torn tail left by a killed crawl is reported and its bytes
are not touched, and `ogi crawl` runs again on the rebuilt index.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from warcio.archiveiterator import ArchiveIterator

from archive import captures
from archive.reindex import INFERRED_OUTCOME, RUN_STATUS
from archive.reindex import reindex_warcs as reindex_with
from crawler.linkrules import kind_of_url
from crawler.registry import portal_for_url


def reindex_warcs(data_dir, registry=None):
    """`ogi reindex` as the CLI calls it: with the crawler's link rules and host matching."""
    return reindex_with(data_dir, registry, kind_of=kind_of_url, portal_of=portal_for_url)
from archive.schema import open_db
from archive.warc import WarcWriter, read_annotations
from conftest import REPO, derived_tables, query, run_ogi, warc_records

# Every captures column but the row's own id and run_id (ids of one database).
CARRIED = ("portal_id", "url", "method", "fetched_at", "status", "content_type", "content_length",
           "payload_sha256", "record_type", "warc_record_id", "refers_to", "warc_file", "warc_offset",
           "warc_length", "etag", "last_modified", "referrer", "link_text", "kind", "outcome")
HEADLINES = ("penalty", "licensing", "coercion", "fees", "new_received", "carried_over", "granted",
             "partially_granted", "total_processed", "carried_forward", "review_total", "litigation_total")


def rows_by_place(data_dir: Path, columns=CARRIED) -> dict:
    rows = query(data_dir, f"select {', '.join(columns)} from captures")
    at = columns.index("warc_file"), columns.index("warc_offset")
    return {(row[at[0]], row[at[1]]): dict(zip(columns, row)) for row in rows}


def copy_archive(source: Path, target: Path) -> Path:
    """The WARC folder alone, as an archivist holding only the WARCs has it."""
    shutil.copytree(source / "warc", target / "warc")
    return target


def file_digests(data_dir: Path) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((data_dir / "warc").glob("*.warc.gz"))}


def crawl(data_dir: Path, registry_file: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ogi.cli", "crawl", "--data", str(data_dir), "--registry",
                           str(registry_file), "--local", "--json"], cwd=REPO, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope="module")
def original(world, tmp_path_factory):
    """A crawled and loaded archive: the index every rebuilt one is compared with."""
    root = tmp_path_factory.mktemp("reindex")
    registry_file = root / "registry.json"
    registry_file.write_text(json.dumps(world.registry(), ensure_ascii=False), encoding="utf-8")
    data_dir = root / "original"
    result = crawl(data_dir, registry_file)
    assert result.returncode == 0, result.stderr[-3000:]
    return {"dir": data_dir, "registry": registry_file, "root": root, "portals": world.registry()}


@pytest.fixture(scope="module")
def rebuilt(original):
    """The original's WARCs in a folder of their own, reindexed into a fresh ogi.db."""
    data_dir = copy_archive(original["dir"], original["root"] / "rebuilt")
    summary = reindex_warcs(data_dir, registry=original["portals"])
    return {"dir": data_dir, "summary": summary}


# -- the rebuilt index ----------------------------------------------------------------------
def test_rebuilt_captures_equal_the_originals_on_every_carried_column(original, rebuilt):
    before, after = rows_by_place(original["dir"]), rows_by_place(rebuilt["dir"])
    assert before and set(after) == set(before)
    differing = [(place, column, before[place][column], after[place][column])
                 for place in before for column in CARRIED if before[place][column] != after[place][column]]
    assert not differing, differing[:10]
    kinds = {row["kind"] for row in after.values()}
    assert {"report", "attachment", "list"} <= kinds  # the sample world has each, so the check means something


def test_one_row_per_warc_record_owned_by_a_reindexed_run(original, rebuilt):
    data_dir = rebuilt["dir"]
    records = warc_records(data_dir)
    assert sorted(records) == sorted(query(data_dir, "select warc_file, record_type, warc_offset from captures"))
    summary = rebuilt["summary"]
    assert summary["captures_added"] == summary["records"] == len(records)
    assert summary["unreadable"] == [] and summary["already_indexed"] == 0
    runs = query(data_dir, "select id, status, requests from crawl_runs")
    assert [(status, requests) for _, status, requests in runs] == [(RUN_STATUS, len(records))]
    assert query(data_dir, "select distinct run_id from captures") == [(runs[0][0],)]


def test_without_a_registry_portals_come_from_the_records(original, tmp_path):
    data_dir = copy_archive(original["dir"], tmp_path / "bare")
    summary = reindex_warcs(data_dir)
    assert sorted(summary["portals_added"]) == sorted(p["id"] for p in original["portals"]
                                                      if p["id"] in {r[0] for r in query(original["dir"],
                                                                     "select distinct portal_id from captures")})
    before, after = rows_by_place(original["dir"]), rows_by_place(data_dir)
    assert {k: r["portal_id"] for k, r in after.items()} == {k: r["portal_id"] for k, r in before.items()}


def test_load_makes_the_same_reports_from_the_rebuilt_index(original, rebuilt):
    def reports(data_dir):
        run_ogi("load", "--data", str(data_dir), "--no-convert")  # OCR'd forms: tests/test_forms.py
        columns = ("report_key", "version", "is_current", "agency", "year", "province", "county", "status",
                   "content_sha256", "source_url") + HEADLINES
        return sorted(query(data_dir, f"select {', '.join(columns)} from reports"), key=repr)

    before, after = reports(original["dir"]), reports(rebuilt["dir"])
    assert len(before) > 5
    assert after == before


def test_a_load_on_two_workers_makes_the_same_database_as_one_process_on_the_sample_world(rebuilt, tmp_path):
    """`ogi load --jobs 2` against `--jobs 1` on the crawled sample world: every row the
    load writes (ids, versions, cells, checks, sources, errors) is the same."""
    folders = []
    for jobs in ("1", "2"):
        folder = tmp_path / f"jobs{jobs}"
        shutil.copytree(rebuilt["dir"], folder)
        said = run_ogi("load", "--data", str(folder), "--rebuild", "--no-convert", "--jobs", jobs).stdout
        assert ("parsed_ahead=0" in said) is (jobs == "1"), said
        folders.append(folder)
    one, two = (derived_tables(folder) for folder in folders)
    assert len(one["reports"]) > 40 and len(one["report_cells"]) > 1000
    assert two == one


def test_a_second_reindex_adds_nothing(rebuilt):
    data_dir = rebuilt["dir"]
    count = query(data_dir, "select count(*) from captures")[0][0]
    runs = query(data_dir, "select count(*) from crawl_runs")[0][0]
    again = reindex_warcs(data_dir)
    assert again["captures_added"] == 0 and again["already_indexed"] == again["records"] == count
    assert query(data_dir, "select count(*) from captures")[0][0] == count
    assert query(data_dir, "select count(*) from crawl_runs")[0][0] == runs


def test_crawl_refuses_before_and_runs_after_reindexing(original, tmp_path):
    data_dir = copy_archive(original["dir"], tmp_path / "lost-db")
    refused = crawl(data_dir, original["registry"])
    assert refused.returncode != 0 and "does not index" in refused.stderr
    run_ogi("reindex", "--data", str(data_dir))  # what the refusal tells an archivist to do
    before = query(data_dir, "select count(*) from captures")[0][0]
    result = crawl(data_dir, original["registry"])
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["unchanged"] > 0  # the rebuilt index made the second crawl conditional
    assert query(data_dir, "select count(*) from captures")[0][0] > before

    # two runs, 304 revisits: rebuilt again from scratch, the same index and the same runs
    again = copy_archive(data_dir, tmp_path / "two-runs")
    reindex_warcs(again)
    before, after = rows_by_place(data_dir), rows_by_place(again)
    assert query(again, "select count(*) from captures where status = 304 and record_type = 'revisit'")[0][0] > 0
    assert after == before

    def runs(folder):
        return sorted(sorted(ids.split(",")) for (ids,) in query(
            folder, "select group_concat(warc_file || ':' || warc_offset) from captures group by run_id"))
    assert len(runs(again)) == 2 and runs(again) == runs(data_dir)


# -- torn tails -----------------------------------------------------------------------------
def record_offsets(path: Path) -> list[tuple[str, int]]:
    offsets = []
    with open(path, "rb") as stream:
        iterator = ArchiveIterator(stream)
        for record in iterator:
            iterator.read_to_end()
            offsets.append((record.rec_type, iterator.get_record_offset()))
    return offsets


@pytest.mark.parametrize("cut", ["inside the response", "inside its gzip header", "after the request"])
def test_a_torn_tail_is_reported_and_left_untouched(original, tmp_path, cut):
    data_dir = copy_archive(original["dir"], tmp_path / "torn")
    path = sorted((data_dir / "warc").glob("*.warc.gz"))[-1]
    records = record_offsets(path)
    (_, response_at), (_, request_at) = records[-1], records[-2]
    end, reported = {"inside the response": (response_at + (path.stat().st_size - response_at) // 2, {response_at}),
                     "inside its gzip header": (response_at + 5, {request_at, response_at}),
                     "after the request": (response_at, {request_at})}[cut]
    with open(path, "r+b") as stream:  # what a kill -9 mid-write leaves
        stream.truncate(end)
    before = file_digests(data_dir)
    summary = reindex_warcs(data_dir)
    assert file_digests(data_dir) == before
    assert {u["offset"] for u in summary["unreadable"]} == reported
    assert {u["file"] for u in summary["unreadable"]} == {path.name}
    assert summary["captures_added"] == len(warc_records(original["dir"])) - 1
    assert query(data_dir, "select count(*) from captures where warc_file = ? and warc_offset >= ?",
                 [path.name, request_at])[0][0] == 0
    assert reindex_warcs(data_dir)["captures_added"] == 0 and file_digests(data_dir) == before


# -- records written before the crawler annotated them --------------------------------------
def test_unannotated_records_get_inferred_kind_portal_and_say_so(tmp_path):
    data_dir = tmp_path / "legacy"
    db = open_db(data_dir / "ogi.db")
    captures.upsert_portals(db, [{"id": "demo", "hosts": ["127.0.0.1:9"], "start_urls": ["http://127.0.0.1:9/"],
                                  "family": "generic", "local": True}])
    db.conn.commit()
    db.conn.close()
    writer = WarcWriter(data_dir / "warc")
    base = "http://127.0.0.1:9"
    page = writer.write_exchange(f"{base}/art/2024/t20240301_1.html", {"Referer": f"{base}/"}, None, 200, "OK",
                                 [("Content-Type", "text/html"), ("ETag", '"v1"')], b"<html>report</html>",
                                 "2025-03-01T00:00:00+00:00")
    writer.write_exchange(f"{base}/files/a.pdf", {"Referer": f"{base}/art/2024/t20240301_1.html"}, b"q=1",
                          200, "OK", [("Content-Type", "application/pdf")], b"%PDF-1.4", "2025-03-01T00:00:01+00:00",
                          method="POST")
    writer.write_exchange(f"{base}/art/2024/t20240301_1.html", {}, None, 304, "Not Modified", [], b"",
                          "2025-03-02T00:00:00+00:00",
                          revisit_of={"url": f"{base}/art/2024/t20240301_1.html",
                                      "fetched_at": "2025-03-01T00:00:00+00:00", "record_id": page.record_id,
                                      "payload_sha256": page.payload_sha256})
    writer.write_exchange("http://elsewhere.example/x", {}, None, 200, "OK", [], b"x", None)
    writer.close()

    summary = reindex_warcs(data_dir)
    assert summary["captures_added"] == 4 and summary["portals_added"] == []
    rows = query(data_dir, "select url, method, kind, portal_id, referrer, outcome, record_type, content_type, etag,"
                           " payload_sha256, refers_to from captures order by id")
    html, pdf, revisit, stranger = rows
    assert html[1:7] == ("GET", "report", "demo", f"{base}/", INFERRED_OUTCOME, "response")
    assert pdf[1:4] == ("POST", "attachment", "demo")
    # a 304 stands for what it revisits: its type, validators and digest
    assert revisit[2:3] + revisit[6:] == ("report", "revisit", "text/html", '"v1"', page.payload_sha256, page.record_id)
    assert stranger[3] is None  # no portal serves that host: not guessed


@settings(max_examples=40, deadline=None)
@given(text=st.text(min_size=0, max_size=40))
def test_annotations_come_back_exactly_as_written(tmp_path_factory, text):
    warc_dir = tmp_path_factory.getbasetemp() / "annotations"  # the writer never reuses a file name
    with WarcWriter(warc_dir) as writer:
        location = writer.write_exchange("http://127.0.0.1:9/a", {}, None, 200, "OK", [], b"a", None,
                                         annotations={"link_text": text, "referrer": text, "run_id": 7})
    with open(warc_dir / location.warc_file, "rb") as stream:
        stream.seek(location.offset)
        record = next(iter(ArchiveIterator(stream)))
        assert read_annotations(record.rec_headers) == {"link_text": text, "referrer": text, "run_id": 7}
