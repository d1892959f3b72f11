"""The published archive through Datasette's HTTP API, as a journalist's browser or script sees it.

The archive is real: WARC records, captures rows, pages and PDFs from the sample-portal
generator, parsed by parsers.parse and loaded by archive.load; Datasette is the one
`ogi serve` builds (archive.serve.build_datasette), with the ogi_archive plugin.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
from collections import Counter
from urllib.parse import quote

import pytest

from archive.datasette_plugin import ARCHIVED_HTML_POLICY
from archive.serve import build_datasette, metadata
from sample_portals.portals import PORTALS
from sample_portals.render import render
from sample_portals.reports import generate_reports
from archive_builder import PDF, ArchiveBuilder, report_page, sample_specs, url_of


def get(datasette, path: str, **kwargs):
    return asyncio.run(datasette.client.get(path, **kwargs))


def rows(datasette, path: str) -> list[dict]:
    separator = "&" if "?" in path else "?"
    response = get(datasette, f"{path}{separator}_shape=array")
    assert response.status_code == 200, response.text[:500]
    return response.json()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Four reports: one fined (罚款) with an HTML page + PDF, one with a broken table 3 sum,
    one whose narrative contradicts table 2, one plain."""
    specs = sample_specs(2, seed=21)
    faulty = {}
    for spec in generate_reports(21, 60, PORTALS):
        for rule in ("t3_row_total", "text_penalty"):
            if spec.format == "2021" and spec.expected_failed_checks == [rule] and rule not in faulty:
                faulty[rule] = spec
    fined = specs[0]
    fined.sections["6"] = (fined.sections["6"] or "") + "\n（三）其他事项。本年度依法收取罚款共计3万元，已全部上缴国库。"
    reviewed = specs[1]
    reviewed.sections["5"] = (reviewed.sections["5"] or "") + "\n本年度发生政府信息公开行政复议案件1件，已依法答复。"
    specs = [*specs, faulty["t3_row_total"], faulty["text_penalty"]]

    archive = ArchiveBuilder(tmp_path_factory.mktemp("published"))
    page_url, pdf_url = url_of(fined), url_of(fined, ".pdf")
    archive.capture(fined.portal_id, page_url, report_page(fined, attachment=pdf_url))
    pdf_capture = archive.capture(fined.portal_id, pdf_url, render(fined, "pdf"), PDF, kind="attachment",
                                  referrer=page_url)
    for spec in specs[1:]:
        archive.capture(spec.portal_id, url_of(spec), report_page(spec))
    # A hostile page: script, and a URL whose last segment must not become a file name.
    hostile_url = 'http://127.0.0.1:8999/yanchi/../../etc/"passwd;.pdf'
    hostile = archive.capture("yanchi", hostile_url, b"%PDF-1.4 not really", PDF, kind="other")
    summary = archive.load()
    assert summary["new_reports"] == 4, summary
    archive.db.conn.close()  # as after `ogi load`: nothing else holds the database open
    db_file = archive.data_dir / "ogi.db"
    return {
        "datasette": build_datasette(archive.data_dir), "archive": archive, "fined": fined, "specs": specs,
        "faulty": faulty, "pdf_capture": pdf_capture, "hostile": hostile,
        "db_sha": hashlib.sha256(db_file.read_bytes()).hexdigest(), "db_file": db_file,
    }


# -- search ----------------------------------------------------------------------------
@pytest.mark.parametrize("word", ["罚款", "国库"])
def test_search_finds_a_two_character_word_only_where_it_is_written(world, word):
    found = rows(world["datasette"], f"/ogi/reports.json?_search={quote(word)}&_col=agency")
    assert [row["agency"] for row in found] == [world["fined"].agency]


def test_search_finds_common_two_character_words_in_every_report(world):
    found = rows(world["datasette"], f"/ogi/report_summary.json?_search={quote('公开')}&_col=agency")
    assert {row["agency"] for row in found} == {spec.agency for spec in world["specs"]}
    found = rows(world["datasette"], f"/ogi/reports.json?_search={quote('复议')}&_col=agency")
    assert [row["agency"] for row in found] == [world["specs"][1].agency]


def test_search_finds_four_character_words_and_phrases_in_order(world):
    fined = world["fined"]
    found = rows(world["datasette"], f"/ogi/reports.json?_search={quote('收取罚款')}&_col=agency")
    assert [row["agency"] for row in found] == [fined.agency]
    assert len(rows(world["datasette"], f"/ogi/reports.json?_search={quote('行政处罚')}")) == len(world["specs"])
    assert rows(world["datasette"], f"/ogi/reports.json?_search={quote('罚款收取')}") == []


def test_search_hits_come_with_the_passage_that_matched_most_relevant_first(world):
    """The canned search: OR and NOT between words, hits ordered by relevance (bm25) with
    a snippet of the section that matched, the hit marked."""
    fined, reviewed = world["fined"], world["specs"][1]
    found = rows(world["datasette"], f"/ogi/search_reports.json?q={quote('罚款 OR 复议')}")
    assert {row["agency"] for row in found} == {fined.agency, reviewed.agency}
    by_agency = {row["agency"]: row["snippet"] for row in found}
    assert "【罚款】共计3万元" in by_agency[fined.agency]
    assert "行政【复议】案件1件" in by_agency[reviewed.agency]
    assert [row["agency"] for row in rows(world["datasette"], f"/ogi/search_reports.json?q={quote('公开 NOT 罚款')}")
            ] and fined.agency not in {row["agency"] for row in rows(
                world["datasette"], f"/ogi/search_reports.json?q={quote('公开 NOT 罚款')}")}
    ranked = rows(world["datasette"], f"/ogi/search_reports.json?q={quote('公开')}")
    conn = sqlite3.connect(world["db_file"])
    try:
        scores = dict(conn.execute("select rowid, bm25(reports_fts) from reports_fts where reports_fts match ?",
                                   ['"公开"']).fetchall())
    finally:
        conn.close()
    assert sorted(row["report_id"] for row in ranked) == sorted(scores)
    in_order = [scores[row["report_id"]] for row in ranked]
    assert in_order == sorted(in_order)  # bm25: lower is more relevant
    page = get(world["datasette"], f"/ogi/search_reports?q={quote('罚款')}").text
    assert "<mark>罚款</mark>" in page


def test_the_search_box_on_the_table_page_uses_the_same_search(world):
    page = get(world["datasette"], f"/ogi/reports?_search={quote('罚款')}")
    assert page.status_code == 200
    assert 'name="_search"' in page.text
    assert world["fined"].agency in page.text
    assert world["specs"][1].agency not in page.text


def test_search_with_fts_syntax_typed_by_a_user_is_text_not_an_error(world):
    for query in ['"', "AND", "罚款 OR", "NEAR(", "*"]:
        response = get(world["datasette"], f"/ogi/reports.json?_search={quote(query)}")
        assert response.status_code == 200, (query, response.text[:300])


# -- views and canned queries -------------------------------------------------------------
def test_report_summary_is_one_row_per_report_with_headline_numbers(world):
    summary = {row["agency"]: row for row in rows(world["datasette"], "/ogi/report_summary.json")}
    fined = world["fined"]
    row = summary[fined.agency]
    assert row["penalty"] == fined.table2["penalty"]
    litigation = fined.table4["litigation_direct"]["total"] + fined.table4["litigation_after_review"]["total"]
    assert row["litigation_total"] == litigation
    assert row["archived_url"].startswith("/-/archive/")


SUMMARY_FACETS = ("province", "county", "level", "year", "checks_failed")


@pytest.mark.parametrize("query", ["", f"_search={quote('公开')}", f"_search={quote('罚款')}", "year={year}"])
def test_report_summary_facets_count_the_rows_the_page_shows(world, query):
    """Searched pages count all five facets in one scan, unfiltered ones per column: the
    journalist sees the same facets either way, each value linking to its rows."""
    datasette = world["datasette"]
    query = query.format(year=world["fined"].year)
    page = get(datasette, f"/ogi/report_summary.json?{query}&_size=max&_shape=objects").json()
    shown = page["rows"]
    assert shown, query
    facets = page["facet_results"]
    assert set(facets) == set(SUMMARY_FACETS)  # a timed-out facet would be missing
    for column in SUMMARY_FACETS:
        expected = Counter(row[column] for row in shown if row[column] is not None)
        assert {f["value"]: f["count"] for f in facets[column]["results"]} == dict(expected), column
        assert facets[column]["type"] == "column"
    first = facets["county"]["results"][0]
    narrowed = get(datasette, first["toggle_url"].replace("http://localhost", "")).json()["rows"]  # keeps _shape
    assert narrowed and {row["county"] for row in narrowed} == {first["value"]}


def test_report_summary_page_shows_its_facets_and_takes_more(world):
    datasette = world["datasette"]
    html = get(datasette, f"/ogi/report_summary?_search={quote('公开')}").text
    for column in SUMMARY_FACETS:
        assert f'data-column="{column}"' in html
    assert "one_scan" not in html and "timed out" not in html
    extra = get(datasette, f"/ogi/report_summary.json?_search={quote('公开')}&_facet=status&_shape=objects").json()
    assert {f["value"] for f in extra["facet_results"]["status"]["results"]} == {r["status"] for r in extra["rows"]}


def test_failing_checks_query_names_the_broken_rule(world):
    failing = rows(world["datasette"], "/ogi/failing_checks.json?county=")
    spec = world["faulty"]["t3_row_total"]
    assert {(r["agency"], r["rule"]) for r in failing} == {(spec.agency, "t3_row_total")}


def test_narrative_contradiction_query_finds_the_text_check(world):
    found = rows(world["datasette"], "/ogi/narrative_contradicts_table.json")
    assert {(r["agency"], r["rule"]) for r in found} == {(world["faulty"]["text_penalty"].agency, "text_penalty")}


def test_grant_rate_by_county_is_granted_plus_partial_over_processed(world):
    spec = world["fined"]
    county = next(p["county"] for p in PORTALS if p["id"] == spec.portal_id)
    same_county = [s for s in world["specs"] if s.portal_id == spec.portal_id]
    granted = sum(s.table3["granted"]["total"] + s.table3["partially_granted"]["total"] for s in same_county)
    processed = sum(s.table3["total_processed"]["total"] for s in same_county)
    [row] = [r for r in rows(world["datasette"], "/ogi/grant_rate_by_county.json?year=&level=")
             if r["county"] == county]
    assert row["grant_rate_percent"] == round(100 * granted / processed, 1)


def test_every_canned_query_runs(world):
    params = {"year": "2030", "county": "", "agency": "", "level": "", "q": "公开"}
    for name, query in metadata()["databases"]["ogi"]["queries"].items():
        needed = {p: params[p] for p in params if f":{p}" in query["sql"]}
        path = f"/ogi/{name}.json?" + "&".join(f"{k}={quote(v)}" for k, v in needed.items())
        response = get(world["datasette"], path)
        assert response.status_code == 200, (name, response.text[:300])
    missing = rows(world["datasette"], "/ogi/agencies_missing_year.json?year=2030")
    assert {r["agency"] for r in missing} == {s.agency for s in world["specs"]}


def test_every_page_a_visitor_can_reach_from_the_home_page_answers(world):
    """The home page, the database page and every table, view and canned query page: a
    500 anywhere is what a journalist meets first."""
    datasette = world["datasette"]
    database = get(datasette, "/ogi.json").json()
    names = [t["name"] for t in database["tables"]] + [v["name"] for v in database["views"]]
    assert {"reports", "report_summary", "table3_wide"} <= set(names)
    paths = ["/", "/ogi", *(f"/ogi/{name}" for name in names),
             *(f"/ogi/{name}" for name in metadata()["databases"]["ogi"]["queries"])]
    for path in paths:
        response = get(datasette, path)
        assert response.status_code == 200, (path, response.text[:300])


# -- archived originals ------------------------------------------------------------------
def test_archived_original_is_served_sandboxed_with_its_bytes(world):
    [summary] = [r for r in rows(world["datasette"], "/ogi/report_summary.json") if r["agency"] == world["specs"][1].agency]
    response = get(world["datasette"], summary["archived_url"])
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == ARCHIVED_HTML_POLICY
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-type"].startswith("text/html")
    assert response.content == report_page(world["specs"][1])


def test_an_archived_pages_link_to_its_pdf_opens_our_copy_of_it(world):
    fined = [r for r in rows(world["datasette"], "/ogi/report_summary.json") if r["agency"] == world["fined"].agency]
    page_capture = world["archive"].rows("select id from captures where url = ?", (url_of(world["fined"]),))[0]["id"]
    response = get(world["datasette"], f"/-/archive/{page_capture}")
    assert fined and f'href="/-/archive/{world["pdf_capture"]}"' in response.text
    assert response.headers["x-ogi-shown-copy"] == "1 link(s) to our archived copies; the archived bytes are unchanged"


def test_an_archived_pdf_is_shown_as_pictures_of_its_pages_under_the_banner(world):
    import io

    import pypdfium2
    from PIL import Image

    capture = world["pdf_capture"]
    pdf = pypdfium2.PdfDocument(render(world["fined"], "pdf"))
    pages = len(pdf)
    pdf.close()
    page = get(world["datasette"], f"/-/archived/{capture}").text
    shown = [f"/-/archived/{capture}/page/{n}.png" for n in range(pages)]
    assert [src for src in shown if f'src="{src}"' in page] == shown and f"PDF 共 {pages} 页" in page
    first = get(world["datasette"], shown[0])
    assert first.status_code == 200 and first.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(first.content))
    assert image.format == "PNG" and image.width > 800
    assert get(world["datasette"], f"/-/archived/{capture}/page/{pages}.png").status_code == 404
    hostile = world["hostile"]  # "%PDF-1.4 not really": no page to show, and no error
    assert get(world["datasette"], f"/-/archived/{hostile}/page/0.png").status_code == 404
    assert get(world["datasette"], f"/-/archived/{hostile}").status_code == 200


def test_archived_pdf_is_a_download_with_a_name_we_made(world):
    response = get(world["datasette"], f"/-/archive/{world['pdf_capture']}")
    assert response.headers["content-type"] == PDF
    assert response.headers["content-disposition"] == f'attachment; filename="ogi-capture-{world["pdf_capture"]}.pdf"'
    assert response.content == render(world["fined"], "pdf")
    hostile = get(world["datasette"], f"/-/archive/{world['hostile']}")
    assert hostile.headers["content-disposition"] == f'attachment; filename="ogi-capture-{world["hostile"]}.pdf"'
    assert hostile.headers["content-security-policy"] == "sandbox"


def test_unknown_capture_is_404(world):
    for capture_id in ("999999", "9223372036854775808", "99999999999999999999999"):
        assert get(world["datasette"], f"/-/archive/{capture_id}").status_code == 404
    traversal = get(world["datasette"], "/-/archive/..%2Fogi.db")
    assert traversal.status_code != 200 and not traversal.content.startswith(b"SQLite format")


# -- read-only ---------------------------------------------------------------------------
@pytest.mark.parametrize("sql", [
    "insert into reports (agency) values ('x')",
    "update reports set penalty = 0",
    "delete from reports",
    "drop table reports",
    "select 1; delete from reports",
    "attach database '/tmp/x.db' as x",
    "pragma writable_schema = 1",
])
def test_nothing_can_be_written_through_datasette(world, sql):
    datasette = world["datasette"]
    response = get(datasette, f"/ogi.json?sql={quote(sql)}")
    assert response.status_code >= 400 or not response.json().get("ok", True), response.text[:300]
    posted = asyncio.run(datasette.client.post(f"/ogi?sql={quote(sql)}", data={"sql": sql}))
    assert posted.status_code >= 400
    assert hashlib.sha256(world["db_file"].read_bytes()).hexdigest() == world["db_sha"]
    assert len(rows(datasette, "/ogi/reports.json")) == 4


def test_database_is_served_immutable_with_a_time_limit(world):
    datasette = world["datasette"]
    assert datasette.databases["ogi"].is_mutable is False
    assert datasette.setting("sql_time_limit_ms") <= 5000
    slow = "with recursive n(i) as (select 1 union all select i + 1 from n) select count(*) from n"
    response = get(datasette, f"/ogi.json?sql={quote(slow)}")
    assert response.status_code >= 400 and "interrupted" in response.text.lower()
    assert json.loads(get(datasette, "/-/metadata.json").text)["databases"]["ogi"]["tables"]["reports"]["fts_table"] == "reports_fts"


@pytest.mark.parametrize(("sql", "status"), [
    ("select zeroblob(1000000000)", 400), ("select * from no_such_table", 400), ("select count(*) from reports", 200),
    ("with recursive n(i) as (select 1 union all select i + 1 from n) select count(*) from n", 400)])
def test_a_query_lets_go_of_its_cursor_where_it_ran(world, sql, status):
    """A cursor left for the garbage collector is reset by whichever thread collects it,
    which then waits for as long as that cursor's connection runs another query: readers
    stalled behind an abusive query. A query, failed or not, frees its cursor where it ran."""
    import gc

    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what the collector finds stays in gc.garbage, not freed
    try:
        response = get(world["datasette"], f"/ogi.json?sql={quote(sql)}")
        gc.collect()
        left = [thing for thing in gc.garbage if isinstance(thing, sqlite3.Cursor)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert response.status_code == status and left == []


def test_agencies_missing_a_year_leaves_out_agencies_that_published_it(world):
    spec = world["specs"][0]
    missing = rows(world["datasette"], f"/ogi/agencies_missing_year.json?year={spec.year}")
    assert spec.agency not in {r["agency"] for r in missing}
    later = rows(world["datasette"], f"/ogi/agencies_missing_year.json?year={spec.year + 1}")
    [row] = [r for r in later if r["agency"] == spec.agency]
    assert row["last_year_published"] == spec.year and row["years_published"] == 1


def test_table_pages_show_the_true_row_count(world):
    """Row counts are counted once at start (the file is immutable), and must be the real ones."""
    conn = sqlite3.connect(f"file:{world['db_file']}?immutable=1", uri=True)
    try:
        for table in ("table3_wide", "report_summary", "reports"):
            expected = conn.execute(f"select count(*) from {table}").fetchone()[0]
            page = get(world["datasette"], f"/ogi/{table}.json").json()
            assert page["filtered_table_rows_count"] == expected, table
        searched = get(world["datasette"], f"/ogi/report_summary.json?_search={quote('罚款')}").json()
        assert searched["filtered_table_rows_count"] == 1
    finally:
        conn.close()


def test_the_copy_shown_neutralises_meta_refresh_and_the_archive_keeps_the_bytes():
    from archive.datasette_plugin import shown_copy

    page = "<html><head><META HTTP-EQUIV='Refresh' content='0;url=http://x/'><title>页</title></head></html>".encode("gbk")
    shown, changed = shown_copy(page)
    assert changed and b"x-ogi-neutralised-Refresh" in shown and shown.decode("gbk").endswith("<title>页</title></head></html>")
    assert shown_copy(b"<meta name='refresh' content='x'>") == (b"<meta name='refresh' content='x'>", [])


def test_the_copy_shown_links_to_our_archived_copies_and_marks_live_links():
    from archive.datasette_plugin import shown_copy

    page = ("<html><head><title>页</title></head><body><a href='/xxgk/2023.pdf#p1'>附件</a>"
            "<A HREF=\"http://www.example.gov.cn/other.html\">其他</a><a href='javascript:;'>打印</a>"
            "<a href='mailto:x@y'>邮件</a></body></html>").encode("gbk")
    shown, changes = shown_copy(page, "http://127.0.0.1:8999/xxgk/t1.html", {"http://127.0.0.1:8999/xxgk/2023.pdf": 17})
    text = shown.decode("gbk")
    assert "<a href='/-/archive/17'>附件</a>" in text
    assert ('<A HREF="http://www.example.gov.cn/other.html" data-ogi-live="1" '
            'title="live link, not archived: http://www.example.gov.cn/other.html">其他</a>') in text
    assert "<a href='javascript:;'>打印</a>" in text and "<a href='mailto:x@y'>邮件</a>" in text
    assert text.startswith("<html><head><style>a[data-ogi-live]")
    assert changes == ["1 link(s) to our archived copies", "1 live link(s) marked"]
