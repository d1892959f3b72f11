"""Loading an archive into reports: what a journalist relies on when the archive grows.

Each test builds a small real archive: WARC records written by archive.warc.WarcWriter,
`captures` rows pointing at them, report pages and PDFs rendered by the sample-portal
generator, and the real parser (parsers.parse) run by archive.load.load_archive.
"""

from __future__ import annotations

import json
import sqlite3

import pytest

from archive.load import load_archive, source_form
from parsers.metadata import normalise_agency, report_key
from sample_portals.portals import PORTALS
from sample_portals.render import render
from sample_portals.reports import generate_reports, pre2020_report, trial_reports

from conftest import derived_tables
from archive_builder import HTML, PDF, ArchiveBuilder, report_page, sample_specs, url_of  # noqa: F401


@pytest.fixture
def archive(tmp_path) -> ArchiveBuilder:
    return ArchiveBuilder(tmp_path)


# -- pure parts ------------------------------------------------------------------------
def test_report_key_is_the_same_for_the_page_and_its_pdf_spelling_of_an_agency():
    assert report_key("longde", "隆德县城关镇人民政府", 2024) == report_key("longde", "隆德县 城关镇", 2024)
    assert report_key("longde", "隆德县城关镇", 2024) != report_key("longde", "隆德县城关镇", 2023)
    assert report_key("longde", None, 2024) is None and report_key("longde", "隆德县", None) is None
    assert normalise_agency("（浑源县）驼峰乡") == "浑源县驼峰乡"


@pytest.mark.parametrize("url, content_type, form", [
    ("http://x/a.html", HTML, "html"), ("http://x/P0.pdf", None, "pdf"), ("http://x/f", PDF, "pdf"),
    ("http://x/a.docx", None, "docx"), ("http://x/a.wps", "application/octet-stream", "wps"),
])
def test_source_form_from_content_type_or_extension(url, content_type, form):
    assert source_form(url, content_type) == form


# -- loading ---------------------------------------------------------------------------
def test_load_makes_one_report_per_page_with_its_numbers_and_checks(archive):
    specs = sample_specs(3)
    for spec in specs:
        archive.capture(spec.portal_id, url_of(spec), report_page(spec))
    summary = archive.load()
    assert summary["new_reports"] == 3
    for spec in specs:
        [row] = archive.rows("select * from report_summary where agency = ? and year = ?", (spec.agency, spec.year))
        assert row["penalty"] == spec.table2["penalty"]
        assert row["new_received"] == spec.table3["new_received"]["total"]
        assert row["granted"] == spec.table3["granted"]["total"]
        assert row["province"] and row["county"]
        assert row["archived_url"] == f"/-/archive/{archive.rows('select source_capture_id from reports where id = ?', (row['id'],))[0]['source_capture_id']}"
        cells = archive.rows("select count(*) as n from report_cells where report_id = ?", (row["id"],))[0]["n"]
        assert cells >= 175 + 10 + 15
        wide = archive.rows("select * from table3_wide where report_id = ? order by position", (row["id"],))
        assert [w["row_key"] for w in wide][:2] == ["new_received", "carried_over"]
        assert wide[0]["total"] == spec.table3["new_received"]["total"]
        assert archive.rows("select count(*) as n from checks where report_id = ?", (row["id"],))[0]["n"] > 0


def test_failed_checks_load_with_their_numbers_and_quotable_sentences(archive):
    """A report with planted broken sums: each failed check row has numeric printed and
    computed columns and the sentence the parser made; passing ones have no sentence."""
    spec = next(s for s in generate_reports(11, 40, PORTALS)
                if s.format == "2021" and set(s.expected_failed_checks) & {"t3_row_total", "t4_total"})
    archive.capture(spec.portal_id, url_of(spec), report_page(spec))
    archive.load()
    failed = archive.rows("select rule, printed, computed, sentence_zh, sentence_en, typeof(printed) as kind"
                          " from checks where passed = 0 and rule != 'timeliness'")
    assert {row["rule"] for row in failed} == set(spec.expected_failed_checks) - {"timeliness"}
    for row in failed:
        assert row["kind"] == "integer" and row["printed"] != row["computed"]
        assert f"印为 {row['printed']}" in row["sentence_zh"] and str(row["computed"]) in row["sentence_zh"]
        assert row["sentence_en"].startswith(("Table", "The text"))
    assert archive.rows("select count(*) as n from checks where passed = 1 and sentence_zh is not null")[0]["n"] == 0


def test_a_2020_report_on_the_2019_layout_loads_its_comparable_headline_figures(archive):
    """处理决定数量 in the penalty/licensing/coercion columns (not 上一年项目数量), the trial
    layout's own cells beside them, its 23-row table 3 in table3_wide; a 2019 report too."""
    specs = [next(s for s in trial_reports(11, 10, PORTALS) if s.year == year and not s.expected_failed_checks)
             for year in (2020, 2019)]
    for spec in specs:
        archive.capture(spec.portal_id, url_of(spec), report_page(spec))
    archive.load()
    for spec in specs:
        [row] = archive.rows("select * from report_summary where agency = ? and year = ?", (spec.agency, spec.year))
        own = spec.table2_2019
        assert row["format"] == "2019" and row["status"] == "ok", row["problems"]
        assert (row["penalty"], row["licensing"], row["coercion"]) == (
            own["penalty"]["decisions"], own["licensing"]["decisions"], own["coercion"]["decisions"])
        assert row["penalty"] != own["penalty"]["previous_year"] and row["fees"] is None
        assert row["new_received"] == spec.table3["new_received"]["total"]
        cells = {(c["row_key"], c["col_key"]): c["value"] for c in archive.rows(
            "select row_key, col_key, value from report_cells where report_id = ? and table_name = 'table2_2019'",
            (row["id"],))}
        assert cells == {(key, col): value for key, cols in own.items() for col, value in cols.items()}
        wide = {w["row_key"]: w for w in archive.rows("select * from table3_wide where report_id = ?", (row["id"],))}
        assert wide["other_processing"]["total"] == spec.table3["other_processing"]["total"]
        assert wide["other_other"]["total"] is None  # a 2021 item the trial layout does not print
        labels = archive.rows("select label from template_rows where table_name = 'table2_2019' and row_key = 'procurement'")
        assert labels == [{"label": "政府集中采购"}]


def test_a_pre_2020_report_loads_its_statistics_as_legacy_cells(archive):
    spec = pre2020_report(11, PORTALS[0], 1)
    archive.capture(spec.portal_id, url_of(spec), report_page(spec))
    archive.load()
    [row] = archive.rows("select id, format, penalty from report_summary")
    assert row["format"] == "pre-2020" and row["penalty"] is None
    cells = {c["row_key"]: c["value"] for c in archive.rows(
        "select row_key, value from report_cells where report_id = ? and table_name = 'legacy'", (row["id"],))}
    assert cells == spec.legacy


def test_loading_twice_adds_nothing(archive):
    for spec in sample_specs(2):
        archive.capture(spec.portal_id, url_of(spec), report_page(spec))
    archive.load()
    counts = {t: archive.rows(f"select count(*) as n from {t}")[0]["n"]
              for t in ("reports", "report_sources", "report_cells", "checks", "errors")}
    second = archive.load()
    assert second["captures"] == 0
    assert {t: archive.rows(f"select count(*) as n from {t}")[0]["n"] for t in counts} == counts


def test_unchanged_recapture_is_a_sighting_not_a_version(archive):
    spec = sample_specs(1)[0]
    archive.capture(spec.portal_id, url_of(spec), report_page(spec))
    archive.load()
    archive.new_run()
    archive.capture(spec.portal_id, url_of(spec), report_page(spec))  # identical payload: a revisit
    summary = archive.load()
    assert summary["unchanged"] == 1
    rows = archive.rows("select version, first_seen, last_seen from reports")
    assert len(rows) == 1 and rows[0]["last_seen"] > rows[0]["first_seen"]
    [source] = archive.rows("select sightings, fetched_at, last_seen from report_sources")
    assert source["sightings"] == 2 and source["last_seen"] > source["fetched_at"]


def republish_with_penalty(archive, spec, added: int) -> None:
    """A later crawl finds the same report page edited: 行政处罚 raised by `added`."""
    archive.new_run()
    spec.table2["penalty"] = spec.table2["penalty"] + added
    spec.printed.pop("table2.penalty", None)
    archive.capture(spec.portal_id, url_of(spec), report_page(spec), outcome="changed")


def test_a_changed_report_becomes_a_new_version_and_the_old_one_is_kept(archive):
    spec = sample_specs(1)[0]
    archive.capture(spec.portal_id, url_of(spec), report_page(spec))
    archive.load()
    republish_with_penalty(archive, spec, 7)
    summary = archive.load()
    assert summary["new_versions"] == 1
    versions = archive.rows("select version, is_current, penalty from reports order by version")
    assert [(v["version"], v["is_current"]) for v in versions] == [(1, 0), (2, 1)]
    assert versions[1]["penalty"] == versions[0]["penalty"] + 7
    assert archive.rows("select penalty from report_summary") == [{"penalty": spec.table2["penalty"]}]


def test_rebuild_reparses_every_capture_and_keeps_the_version_history(archive):
    """`ogi load --rebuild`: a newer parser re-reads what the crawl archived; the versions
    come back in capture order and nothing is counted twice."""
    spec = sample_specs(1)[0]
    archive.capture(spec.portal_id, url_of(spec), report_page(spec))
    archive.load()
    republish_with_penalty(archive, spec, 3)
    archive.load()
    tables = ("reports", "report_sources", "report_cells", "checks")
    before = {t: archive.rows(f"select count(*) as n from {t}")[0]["n"] for t in tables}
    searchable = archive.rows("select count(*) as n from reports_fts where reports_fts match '处罚'")[0]["n"]
    summary = load_archive(archive.data_dir, rebuild=True)
    assert summary["captures"] == 2 and summary["new_versions"] == 1
    assert {t: archive.rows(f"select count(*) as n from {t}")[0]["n"] for t in tables} == before
    assert archive.rows("select penalty from report_summary") == [{"penalty": spec.table2["penalty"]}]
    assert archive.rows("select count(*) as n from reports_fts where reports_fts match '处罚'")[0]["n"] == searchable


def test_the_same_report_as_html_and_pdf_is_one_report_with_two_sources(archive):
    spec = sample_specs(1)[0]
    page_url, pdf_url = url_of(spec), url_of(spec, ".pdf")
    archive.capture(spec.portal_id, page_url, report_page(spec, attachment=pdf_url))
    archive.capture(spec.portal_id, pdf_url, render(spec, "pdf"), PDF, kind="attachment", referrer=page_url)
    archive.load()
    reports = archive.rows("select * from reports")
    assert len(reports) == 1, [(r["agency"], r["year"], r["source_url"]) for r in reports]
    sources = archive.rows("select form, url, is_primary from report_sources order by form")
    assert [(s["form"], s["url"]) for s in sources] == [("html", page_url), ("pdf", pdf_url)]
    assert sum(s["is_primary"] for s in sources) == 1
    assert reports[0]["penalty"] == spec.table2["penalty"]


def test_a_pdf_only_report_joins_the_page_that_links_it(archive):
    spec = sample_specs(1)[0]
    page_url, pdf_url = url_of(spec), url_of(spec, ".pdf")
    stub = report_page(spec, body="<p>详见附件。</p>", attachment=pdf_url)
    archive.capture(spec.portal_id, page_url, stub)
    archive.capture(spec.portal_id, pdf_url, render(spec, "pdf"), PDF, kind="attachment", referrer=page_url)
    archive.load()
    [report] = archive.rows("select * from report_summary")
    assert report["new_received"] == spec.table3["new_received"]["total"]
    assert report["source_url"] == pdf_url  # the version shows the form that holds the tables
    assert archive.rows("select count(*) as n from report_sources")[0]["n"] == 2


def test_a_report_that_failed_to_parse_is_listed_with_its_reason(archive):
    spec = sample_specs(1)[0]
    archive.capture(spec.portal_id, url_of(spec), report_page(spec))
    wps_url = url_of(spec, ".wps")
    archive.capture(spec.portal_id, wps_url, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600,
                    "application/octet-stream", kind="attachment", referrer="http://127.0.0.1:8999/elsewhere.html")
    archive.load()
    [failed] = archive.rows("select * from reports where source_url = ?", (wps_url,))
    assert failed["status"] == "failed"
    assert json.loads(failed["problems"]), "a failed report must say why"
    assert failed["penalty"] is None  # missing is not zero
    assert archive.rows("select count(*) as n from reports where status != 'failed'")[0]["n"] == 1


def test_a_report_page_the_parser_reads_nothing_from_is_listed_as_failed_with_the_reason(archive):
    """The crawler archived it as a report (its link said so); an empty body, e.g. one a
    script fills in, must not make it vanish from the reports."""
    archive.capture("yanchi", "http://127.0.0.1:8999/yanchi/t20240301_1.html",
                    b"<html><body><p></p></body></html>")
    archive.load()
    [report] = archive.rows("select status, problems, report_key from reports")
    assert report["status"] == "failed" and report["problems"]
    assert report["report_key"].startswith("url:")
    assert archive.load()["captures"] == 0  # attributed once, not retried


def test_a_report_removed_from_its_portal_gets_gone_at(archive):
    spec = sample_specs(1)[0]
    archive.capture(spec.portal_id, url_of(spec), report_page(spec))
    archive.load()
    archive.new_run()
    archive.gone(spec.portal_id, url_of(spec))
    archive.load()
    [row] = archive.rows("select gone_at, last_seen from report_summary")
    assert row["gone_at"] and row["gone_at"] > row["last_seen"]


def test_a_report_whose_pdf_is_taken_down_while_its_page_stays_is_not_gone(archive):
    spec = sample_specs(1)[0]
    page_url, pdf_url = url_of(spec), url_of(spec, ".pdf")
    page = report_page(spec, attachment=pdf_url)
    archive.capture(spec.portal_id, page_url, page)
    archive.capture(spec.portal_id, pdf_url, render(spec, "pdf"), PDF, kind="attachment", referrer=page_url)
    archive.load()
    archive.new_run()
    archive.capture(spec.portal_id, page_url, page)  # the page is still served
    archive.gone(spec.portal_id, pdf_url)             # only its PDF went away
    archive.load()
    assert archive.rows("select gone_at from report_summary") == [{"gone_at": None}]
    archive.new_run()
    archive.gone(spec.portal_id, page_url)            # now the page too
    archive.load()
    [report] = archive.rows("select gone_at from report_summary")
    assert report["gone_at"] is not None


def test_an_unreadable_warc_record_is_an_error_and_others_still_load(archive):
    good, bad = sample_specs(2)
    archive.capture(good.portal_id, url_of(good), report_page(good))
    bad_id = archive.capture(bad.portal_id, url_of(bad), report_page(bad))
    archive.db.execute("update captures set warc_offset = 3 where id = ?", [bad_id])
    archive.db.conn.commit()
    summary = archive.load()
    assert summary["errors"] == 1
    assert [r["agency"] for r in archive.rows("select agency from reports")] == [good.agency]
    [error] = archive.rows("select * from errors where stage = 'load'")
    assert error["capture_id"] == bad_id


def test_search_index_holds_each_loaded_report(archive):
    from archive.search import fts_query

    spec = sample_specs(1)[0]
    archive.capture(spec.portal_id, url_of(spec), report_page(spec))
    archive.load()
    hits = archive.rows("select rowid from reports_fts where reports_fts match ?", (fts_query("公开"),))
    assert len(hits) == 1
    assert archive.rows("select rowid from reports_fts where reports_fts match ?", (fts_query("不存在的词语"),)) == []


def test_an_unreadable_attachment_of_a_report_page_is_a_source_but_does_not_replace_its_numbers(archive):
    spec = sample_specs(1)[0]
    page_url, wps_url = url_of(spec), url_of(spec, ".wps")
    archive.capture(spec.portal_id, page_url, report_page(spec, attachment=wps_url))
    archive.capture(spec.portal_id, wps_url, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600,
                    "application/kswps", kind="attachment", referrer=page_url)
    archive.load()
    [report] = archive.rows("select * from reports")
    assert report["status"] != "failed" and report["penalty"] == spec.table2["penalty"]
    sources = archive.rows("select form, is_primary from report_sources order by form")
    assert sources == [{"form": "html", "is_primary": 1}, {"form": "wps", "is_primary": 0}]


def test_a_second_document_for_the_same_agency_and_year_is_current_beside_the_first(archive):
    """Two live pages, one agency and year, different numbers: neither is a version of the
    other (which came first is crawl order). Both are current, side by side in
    conflicting_reports, until one is gone."""
    spec = sample_specs(1)[0]
    archive.capture(spec.portal_id, url_of(spec), report_page(spec))
    archive.load()
    archive.new_run()
    first = spec.table3["new_received"]["total"]
    spec.table3["new_received"]["natural_person"] += 1
    spec.table3["new_received"]["total"] += 1
    for key in ("table3.new_received.natural_person", "table3.new_received.total"):
        spec.printed.pop(key, None)
    archive.capture(spec.portal_id, url_of(spec, "-corrected.html"), report_page(spec))
    summary = archive.load()
    assert summary["conflicting_documents"] == 1
    rows = archive.rows("select version, is_current, new_received, source_url from reports order by new_received")
    assert [(r["version"], r["is_current"], r["new_received"]) for r in rows] == [(1, 1, first), (1, 1, first + 1)]
    conflict = archive.rows("select source_url, new_received from conflicting_reports order by new_received")
    assert [c["source_url"] for c in conflict] == [url_of(spec), url_of(spec, "-corrected.html")]
    archive.gone(spec.portal_id, url_of(spec))  # the first page is taken down
    archive.load()
    assert archive.rows("select count(*) as n from conflicting_reports")[0]["n"] == 0
    live = archive.rows("select new_received from report_summary where gone_at is null")
    assert live == [{"new_received": first + 1}]


def test_the_same_captures_in_any_order_give_the_same_current_reports(tmp_path):
    """Two live documents of one key among other reports: captured in one order or the
    reverse, the current set is the same (no document hides the other)."""
    specs = sample_specs(3)
    twin = sample_specs(3)[0]  # the same agency and year, other numbers, at another URL
    twin.table2["penalty"] += 5
    twin.printed.pop("table2.penalty", None)
    captures = [(specs[0], url_of(specs[0]), report_page(specs[0])),
                (twin, url_of(twin, "-b.html"), report_page(twin)),
                (specs[1], url_of(specs[1]), report_page(specs[1])),
                (specs[2], url_of(specs[2]), report_page(specs[2]))]
    current = []
    for order in (captures, captures[::-1]):
        builder = ArchiveBuilder(tmp_path / f"order{len(current)}")
        for spec, url, payload in order:
            builder.capture(spec.portal_id, url, payload)
        builder.load(convert=False)
        current.append(sorted(tuple(r.values()) for r in builder.rows(
            "select report_key, source_url, status, penalty, new_received from reports where is_current = 1")))
    assert current[0] == current[1] and len(current[0]) == 4


def changed_and_removed(archive) -> None:
    """Two reports loaded; then the first republished with another penalty and the
    second gone from its portal (404), and loaded again."""
    first, second = sample_specs(2, seed=5)
    archive.capture(first.portal_id, url_of(first), report_page(first))
    archive.capture(second.portal_id, url_of(second), report_page(second))
    archive.load()
    republish_with_penalty(archive, first, 3)
    archive.gone(second.portal_id, url_of(second))
    archive.load()


def test_report_summary_follows_every_change_to_reports(archive):
    """report_summary reads current_reports, a copy kept by triggers: after new versions,
    a second form and a removal it must still equal the current rows of `reports`."""
    changed_and_removed(archive)
    columns = ("id, report_key, agency, level, province, city, county, admin_code, year, title, published,"
               " status, problems, format, source_url, '/-/archive/' || source_capture_id as archived_url,"
               " penalty, licensing, coercion, fees, new_received, carried_over, granted, partially_granted,"
               " total_processed, carried_forward, review_total, litigation_total, checks_failed,"
               " version, first_seen, last_seen, gone_at, agency_id, '/-/report/' || id as report_page, township_code")
    expected = archive.rows(f"select {columns} from reports where is_current = 1 order by id")
    assert archive.rows("select * from report_summary order by id") == expected
    assert len(expected) == 2 and {row["version"] for row in expected} == {1, 2}
    assert any(row["gone_at"] for row in expected)


def column_copy_page(specs) -> bytes:
    """A side-menu link 政府信息公开年报 to a copy of the list page (`…/nlist.htm`): the
    crawler took its link text for a report title. It lists the reports; it is none."""
    items = "".join(f'<li><a href="{url_of(s)}">{s.title}</a><span>{s.published}</span></li>' for s in specs)
    return ("<html><head><meta charset='utf-8'><title>政府信息公开年报</title></head><body>"
            f"<ul class='list'>{items}</ul><div class='page'>共1页</div></body></html>").encode("utf-8")


@pytest.mark.parametrize("copy_first", [False, True], ids=["copy-after", "copy-before"])
def test_a_list_copy_linked_like_a_report_never_displaces_the_report(archive, copy_first):
    spec = sample_specs(1)[0]
    copy_url = f"http://127.0.0.1:8999/{spec.portal_id}/xxgknb/nlist.htm"
    captures = [(url_of(spec), report_page(spec)), (copy_url, column_copy_page([spec]))]
    for url, payload in (captures[::-1] if copy_first else captures):
        archive.capture(spec.portal_id, url, payload)
        archive.load()
    [current] = archive.rows("select * from reports where is_current = 1 and source_url = ?", (url_of(spec),))
    assert current["status"] == "ok" and current["granted"] == spec.table3["granted"]["total"]
    [copy] = archive.rows("select * from reports where source_url = ?", (copy_url,))
    assert copy["status"] == "failed"  # kept and listed, not hidden
    assert copy["report_key"] == current["report_key"]  # its first line named the report
    if not copy_first:
        assert copy["is_current"] == 0 and "not made current" in copy["problems"]
    archive.capture(spec.portal_id, copy_url, column_copy_page([spec]))  # seen again next crawl
    assert archive.load()["unchanged"] == 1
    assert archive.rows("select count(*) as n from reports")[0]["n"] == 2


# -- one writer at a time, and a failed load leaves nothing marked done --------------------
def ogi_load(data_dir, *args):
    import subprocess
    import sys

    from conftest import REPO
    return subprocess.run([sys.executable, "-m", "ogi.cli", "load", "--data", str(data_dir), "--no-convert", *args],
                          cwd=REPO, capture_output=True, text=True, timeout=300)


def report_rows(archive) -> list[tuple]:
    return [tuple(r.values()) for r in archive.rows(
        "select report_key, version, is_current, status, granted, new_received from reports order by report_key, version")]


def test_a_load_waits_for_the_write_lock_or_exits_3_naming_its_holder(archive):
    import threading
    import time

    from archive.lock import write_lock

    for spec in sample_specs(2):
        archive.capture(spec.portal_id, url_of(spec), report_page(spec))
    with write_lock(archive.data_dir, "crawl"):
        refused = ogi_load(archive.data_dir)
        assert refused.returncode == 3 and "ogi crawl (pid" in refused.stderr
        assert archive.rows("select count(*) as n from reports")[0]["n"] == 0
    held = threading.Event()

    def hold_a_while():
        with write_lock(archive.data_dir, "crawl"):
            held.set()
            time.sleep(1.5)

    holder = threading.Thread(target=hold_a_while)
    holder.start()
    held.wait()
    waited = ogi_load(archive.data_dir, "--wait", "30")
    holder.join()
    assert waited.returncode == 0, waited.stderr
    assert archive.rows("select count(*) as n from reports")[0]["n"] == 2


def test_two_loads_started_together_end_with_the_reports_of_one(archive, tmp_path):
    import subprocess
    import sys

    from conftest import REPO
    reference = ArchiveBuilder(tmp_path / "reference")  # the same captures, loaded once
    for builder in (archive, reference):
        for spec in sample_specs(4):
            builder.capture(spec.portal_id, url_of(spec), report_page(spec))
    reference.load(convert=False)
    command = [sys.executable, "-m", "ogi.cli", "load", "--data", str(archive.data_dir), "--no-convert"]
    both = [subprocess.Popen(command + extra, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for extra in ([], [])]
    codes = sorted(p.wait(timeout=300) for p in both)
    assert codes in ([0, 0], [0, 3])  # the second waited its turn (and found nothing left) or was refused
    assert report_rows(archive) == report_rows(reference)
    assert archive.rows("select count(*) as n from errors")[0]["n"] == 0


def test_a_load_that_fails_midway_is_completed_by_the_next_with_nothing_missing(archive, tmp_path):
    from parsers import parse as real_parse
    specs = sample_specs(4)
    reference = ArchiveBuilder(tmp_path / "reference")  # the same captures, loaded once
    for builder in (archive, reference):
        for spec in specs:
            builder.capture(spec.portal_id, url_of(spec), report_page(spec))
    reference.load(convert=False)

    def broken(data, name="", content_type=None, **kwargs):  # our bug, on the third capture
        if name == url_of(specs[2]):
            raise sqlite3.OperationalError("database or disk is full")
        return real_parse(data, name, content_type, **kwargs)

    first = load_archive(archive.data_dir, parse=broken, convert=False)
    assert (first["not_loaded"], first["errors"], first["current_reports"]) == (1, 1, 3)
    [retry] = archive.rows("select kind, url from errors")
    assert retry == {"kind": "load_retry", "url": url_of(specs[2])}
    second = load_archive(archive.data_dir, convert=False)
    assert (second["captures"], second["not_loaded"]) == (1, 0)
    assert report_rows(archive) == report_rows(reference)


def test_a_load_on_a_full_disk_stops_with_its_reason_and_the_next_one_loses_nothing(tmp_path):
    """On a small filesystem of its own (tmpfs), filled up before the load."""
    import hashlib
    import os
    import subprocess

    mount = tmp_path / "small"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=40m", "tmpfs", str(mount)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (not root): the full-disk test needs its own small filesystem")
    try:
        archive = ArchiveBuilder(mount / "data")
        reference = ArchiveBuilder(tmp_path / "reference")
        for builder in (archive, reference):
            for spec in sample_specs(6):
                builder.capture(spec.portal_id, url_of(spec), report_page(spec))
        archive.db.conn.close()
        reference.load(convert=False)
        warcs = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (mount / "data" / "warc").glob("*.warc.gz")}
        with open(mount / "filler", "wb") as filler:
            try:
                while True:
                    filler.write(b"\0" * 65536)
                    filler.flush()
            except OSError:
                pass
        os.truncate(mount / "filler", os.path.getsize(mount / "filler") - 30000)
        full = ogi_load(mount / "data")
        assert full.returncode == 1 and "stopped, the archive's disk failed" in full.stderr
        assert "Traceback" not in full.stderr
        os.unlink(mount / "filler")
        assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                for p in (mount / "data" / "warc").glob("*.warc.gz")} == warcs  # byte for byte
        again = ogi_load(mount / "data")
        assert again.returncode == 0, again.stderr[-2000:]
        assert report_rows(archive) == report_rows(reference)
    finally:
        subprocess.run(["umount", str(mount)], capture_output=True)


# -- parsing ahead on every core (archive.ahead) ------------------------------------------
def test_a_load_on_two_workers_makes_the_same_database_as_one_process(tmp_path):
    """Versions, sightings, a page and its PDF, two live documents of one key, a page that
    does not parse, an unreadable record and a .doc that needs LibreOffice: loaded with
    --jobs 2 they give the same rows, ids included, as a one-process load."""
    import shutil

    from sample_portals import forms

    specs = sample_specs(4)
    archive = ArchiveBuilder(tmp_path / "serial")
    first, second, third, fourth = specs
    archive.capture(first.portal_id, url_of(first), report_page(first, attachment=url_of(first, ".pdf")))
    archive.capture(first.portal_id, url_of(first, ".pdf"), render(first, "pdf"), PDF, kind="attachment",
                    referrer=url_of(first))
    archive.capture(second.portal_id, url_of(second), report_page(second))
    twin = sample_specs(4)[1]
    twin.table2["penalty"] += 5
    twin.printed.pop("table2.penalty", None)
    archive.capture(twin.portal_id, url_of(twin, "-b.html"), report_page(twin))
    archive.capture(third.portal_id, url_of(third), b"<html><body><p>not a report</p></body></html>")
    archive.capture(fourth.portal_id, url_of(fourth), report_page(fourth, body="<p>详见附件。</p>",
                                                                    attachment=url_of(fourth, ".doc")))
    archive.capture(fourth.portal_id, url_of(fourth, ".doc"), forms.doc(fourth), "application/msword",
                    kind="attachment", referrer=url_of(fourth))
    archive.new_run()
    archive.capture(second.portal_id, url_of(second), report_page(second))  # a sighting
    changed = sample_specs(4)[0]
    changed.table2["penalty"] += 7
    changed.printed.pop("table2.penalty", None)
    archive.capture(first.portal_id, url_of(first), report_page(changed, attachment=url_of(first, ".pdf")))
    unreadable = archive.capture(third.portal_id, url_of(third, "-x.html"), report_page(third))
    archive.db.execute("update captures set warc_offset = 3 where id = ?", [unreadable])
    archive.db.conn.commit()
    parallel = tmp_path / "parallel"
    shutil.copytree(archive.data_dir, parallel)

    one = load_archive(archive.data_dir, jobs=1)
    two = load_archive(parallel, jobs=2)
    own = ("published", "parsed_ahead")
    assert {k: v for k, v in one.items() if k not in own} == {k: v for k, v in two.items() if k not in own}
    # seven parsed in the workers; the sighting, the unreadable record and the .doc by the writer
    assert (one["parsed_ahead"], two["parsed_ahead"]) == (0, 7)
    assert (one["new_versions"], one["unchanged"], one["conflicting_documents"], one["errors"],
            one["conversions_made"]) == (1, 1, 1, 1, 1)
    serial, workers = derived_tables(archive.data_dir), derived_tables(parallel)
    assert {table: len(rows) for table, rows in workers.items()} == {table: len(rows) for table, rows in serial.items()}
    assert workers == serial


def test_the_report_feed_has_a_changed_version_and_a_removal(archive):
    from archive.serve import metadata

    changed_and_removed(archive)
    sql = metadata()["databases"]["ogi"]["queries"]["report_feed"]["sql"]
    feed = archive.rows(sql)
    events = sorted(row["atom_id"].rsplit("/", 2)[-1] for row in feed)
    assert events == ["changed", "gone", "new", "new"]
    [gone] = [row for row in feed if row["atom_id"].endswith("/gone")]
    assert gone["atom_title"].startswith("已从门户删除 Removed: ") and gone["atom_updated"]
    assert [row["atom_updated"] for row in feed] == sorted((row["atom_updated"] for row in feed), reverse=True)
