"""`ogi demo --no-serve` end to end: the README's first command, minus the server.

Runs the real pipeline in a child process (generate the sample world, serve it on
127.0.0.1, crawl it with Scrapy, write WARCs, parse, load SQLite) and checks what a
newcomer would look at: the five seed reports and the generated ones are in the
database with their numbers, the WARCs exist, and a second run adds nothing.
"""

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import query, run_ogi

SEED_AGENCIES = {
    "zhongning": "中宁县徐套乡",
    "yanchi": "盐池县王乐井乡",
    "longde": "隆德县城关镇人民政府",
    "luoning": "洛宁县马店镇人民政府",
    "hunyuan": "浑源县驼峰乡",
}


@pytest.fixture(scope="module")
def demo_dir(demo_archive) -> Path:
    return demo_archive


def test_demo_archives_every_response_as_warc(demo_dir):
    """Every response or revisit record of the WARCs is one captures row, and the other way round."""
    from warcio.archiveiterator import ArchiveIterator

    warcs = sorted((demo_dir / "warc").glob("*.warc.gz"))
    assert warcs, "the demo wrote no WARC file"
    records = set()
    for path in warcs:
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type in ("response", "revisit"):
                    records.add(record.rec_headers.get_header("WARC-Record-ID"))
    indexed = {row[0] for row in query(demo_dir, "select warc_record_id from captures")}
    manifest = json.loads((demo_dir / "sample-portals" / "manifest.json").read_text(encoding="utf-8"))
    assert indexed == records and len(records) >= len(manifest["reports"]) + len(manifest["list_pages"])


def test_demo_loads_the_five_seed_reports_with_their_penalties(demo_dir):
    rows = dict(query(demo_dir, "select agency, penalty from report_summary"))
    for agency in SEED_AGENCIES.values():
        assert agency in rows, f"seed report of {agency} missing; have {sorted(rows)[:10]}"
    assert rows["中宁县徐套乡"] == 10
    assert rows["盐池县王乐井乡"] == 75


def test_demo_loads_generated_reports_with_their_true_numbers(demo_dir):
    manifest = json.loads((demo_dir / "sample-portals" / "manifest.json").read_text(encoding="utf-8"))
    generated = [r for r in manifest["reports"] if r["kind"] == "generated" and r.get("format", "2021") == "2021"]
    assert len(generated) >= 40
    loaded = {
        (agency, year): new_received
        for agency, year, new_received in query(demo_dir, "select agency, year, new_received from report_summary")
    }
    matched = 0
    for entry in generated:
        truth = json.loads((demo_dir / "sample-portals" / entry["truth"]).read_text(encoding="utf-8"))
        key = (truth["agency"], truth["year"])
        if key in loaded:
            matched += 1
            assert loaded[key] == truth["table3"]["new_received"]["total"], key
    assert matched >= 0.95 * len(generated)


def test_demo_twice_on_the_same_folder_adds_no_report(demo_dir, tmp_path):
    """On a copy: the demo archive is shared with the browser tests, which must see it as made."""
    import shutil

    copy = tmp_path / "demo"
    shutil.copytree(demo_dir, copy)
    before = query(copy, "select count(*) from reports")[0][0]
    run_ogi("demo", "--data", str(copy), "--no-serve")
    after = query(copy, "select count(*) from reports")[0][0]
    assert after == before


def test_status_reports_the_archive(demo_dir):
    figures = json.loads(run_ogi("status", "--data", str(demo_dir), "--json").stdout)
    assert figures["reports"] == query(demo_dir, "select count(*) from reports")[0][0] > 0
    assert figures["warc_files"] == len(list((demo_dir / "warc").glob("*.warc.gz")))


def test_demo_reads_every_published_form_through_its_kept_conversion(demo_dir):
    """A scan, JPG pages, a half scan, a long PDF, .doc, .wps, .xls and .ofd: each loads as one
    readable report with its true numbers; what LibreOffice and OCR made of it is a
    conversion record referring to the archived original."""
    manifest = json.loads((demo_dir / "sample-portals" / "manifest.json").read_text(encoding="utf-8"))
    entries = [r for r in manifest["reports"] if r["kind"] == "form"]
    assert sorted(r["delivery"] for r in entries) == sorted(
        ["scan_pdf", "jpg", "half_scan_pdf", "long_pdf", "doc", "wps", "xls", "ofd"])
    for entry in entries:
        truth = json.loads((demo_dir / "sample-portals" / entry["truth"]).read_text(encoding="utf-8"))
        [(report_id, status, new_received, penalty)] = query(
            demo_dir, "select id, status, new_received, penalty from current_reports where agency = ? and year = ?",
            (truth["agency"], truth["year"]))
        # a row the generator left out (missing, not zero) makes the report partial, in any form
        missing = any(value is None for row in truth["table3"].values() for value in row.values())
        assert status == ("partial" if missing else "ok"), (entry["delivery"], status)
        assert (new_received, penalty) == (truth["table3"]["new_received"]["total"], truth["table2"]["penalty"])
        cells = dict(((t, r, c), v) for t, r, c, v in query(
            demo_dir, "select table_name, row_key, col_key, value from report_cells where report_id = ?", (report_id,)))
        for row, columns in truth["table3"].items():
            for column, value in columns.items():
                assert cells.get(("table3", row, column)) == value, (entry["delivery"], row, column)
        sources = query(demo_dir, "select s.url, c.warc_record_id, s.payload_sha256 from report_sources s"
                                  " join captures c on c.id = s.capture_id where s.report_id = ?", (report_id,))
        files = [f for f in entry["files"]]
        assert {urlsplit(url).path for url, _, _ in sources} >= {f["path"] for f in files}
        needs_tool = entry["delivery"] not in ("long_pdf", "xls", "ofd")
        kept = query(demo_dir, "select c.refers_to, c.kind from conversions c join report_sources s"
                               " on s.payload_sha256 = c.source_sha256 where s.report_id = ?", (report_id,))
        assert bool(kept) == needs_tool, entry["delivery"]
        assert {refers for refers, _ in kept} <= {record for _, record, _ in sources}
        if entry["delivery"] == "jpg":
            assert len(kept) == len(files) == 3  # every page OCR'd once, read as one report
    conversion_warcs = list((demo_dir / "warc" / "conversions").glob("*.warc.gz"))
    assert conversion_warcs


def test_one_agency_under_two_spellings_is_one_agency_across_years(demo_dir):
    """The sample world publishes a township as 中宁县新堡镇人民政府 one year and 中宁县新堡镇
    the next: one agency_id, and agency_years puts the year before beside the later one."""
    spelled = query(demo_dir, "select agency_id, group_concat(distinct agency) from reports where is_current = 1"
                              " and agency_id is not null group by agency_id having count(distinct agency) > 1")
    assert spelled, "the sample world publishes no agency under two names"
    side_by_side = []
    for agency_id, names in spelled:
        years = query(demo_dir, "select year, prev_year, agency from agency_years where agency_id = ? order by year",
                      [agency_id])
        assert len({name for *_, name in years}) > 1, (agency_id, names, years)
        side_by_side += [(agency_id, year) for year, prev, _ in years if prev == year - 1]
    assert side_by_side  # two consecutive years under two spellings: the year before stands beside
