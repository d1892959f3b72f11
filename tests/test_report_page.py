"""The page per report (`/-/report/{id}`, archive.report_page) and the agency across years
(reports.agency_id, the agency_years table), through the Datasette `ogi serve` builds.

What a journalist relies on: one agency is one agency whatever its name's variant
(中宁县宁安镇人民政府 one year, 宁安镇 the next); the page lays the tables out as printed, in
the template's order with Chinese labels; a number not read says so (未读出) with its
reason; a broken sum is marked on the cell it concerns with its quotable sentence; the
previous year is one click away, with the changes.
"""

from __future__ import annotations

import asyncio
import copy
import re
from urllib.parse import quote

import pytest

from archive.serve import build_datasette
from parsers import template
from parsers.metadata import agency_id
from sample_portals.portals import PORTALS
from sample_portals.render import render
from sample_portals.reports import generate_reports
from archive_builder import ArchiveBuilder, report_page, sample_specs, url_of

TEXT = "text/plain; charset=utf-8"


def get(datasette, path: str):
    return asyncio.run(datasette.client.get(path))


def another_year(spec, year: int, agency: str, added: int, planted: int = 2):
    """The same body's report for `year` (the year before `spec`), under another spelling of
    its name: table 3's natural-person applications raised by `added`; what it carried
    forward is what `spec` carried over, but for other_org, `planted` more (a difference
    the year check must find); its normative documents in force are what `spec`'s are
    before this year's issued and repealed. Its own sums stay intact."""
    other = copy.deepcopy(spec)
    other.year, other.agency = year, agency
    other.title = f"{agency}{year}年政府信息公开工作年度报告"
    other.published = spec.published.replace(year=year + 1) if spec.published else None
    t3 = other.table3
    received = t3["new_received"]["total"]
    for row in ("new_received", "total_processed", "granted"):
        t3[row]["natural_person"] += added
        t3[row]["total"] += added
    other.sections = {key: text.replace(f"申请{received}件", f"申请{received + added}件") if text else text
                      for key, text in other.sections.items()}
    for col in t3["carried_forward"]:
        t3["carried_forward"][col] = spec.table3["carried_over"][col] + (planted if col in ("other_org", "total") else 0)
        t3["carried_over"][col] = t3["total_processed"][col] + t3["carried_forward"][col] - t3["new_received"][col]
        assert t3["carried_over"][col] >= 0
    docs = spec.table2["normative_documents"]
    other.table2["normative_documents"] = {"issued": 1, "repealed": 0,
                                           "in_force": docs["in_force"] - docs["issued"] + docs["repealed"]}
    other.table2["licensing"] = spec.table2["licensing"] * 6  # a fall to a sixth: a jump to ask about
    other.printed = {}
    return other


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    base = sample_specs(1, seed=31)[0]  # 中宁县… 人民政府, 2022
    short = re.sub(r"人民政府$", "", base.agency)
    earlier = another_year(base, base.year - 1, short, 5)
    broken = next(s for s in generate_reports(31, 80, PORTALS)
                  if s.format == "2021" and s.expected_failed_checks == ["t3_row_total"])
    unread = sample_specs(1)[0]
    archive = ArchiveBuilder(tmp_path_factory.mktemp("report-page"))
    ids = {}
    for name, spec in (("base", base), ("earlier", earlier), ("broken", broken)):
        archive.capture(spec.portal_id, url_of(spec, f"-{name}.html"), report_page(spec))
    text = render(unread, "text").decode("utf-8")
    line = next(line for line in text.splitlines() if "本年新收" in line)
    damaged = re.sub(r"\| [0-9]+ \|", "| 不详 |", line, count=1)
    assert damaged != line
    archive.capture(unread.portal_id, url_of(unread, ".txt"), text.replace(line, damaged).encode("utf-8"), TEXT)
    archive.load(convert=False)
    for name, spec in (("base", base), ("earlier", earlier), ("broken", broken), ("unread", unread)):
        [row] = archive.rows("select id from reports where year = ? and agency like ?",
                             (spec.year, re.sub(r"人民政府$", "", spec.agency) + "%"))
        ids[name] = row["id"]
    archive.db.conn.close()
    return {"datasette": build_datasette(archive.data_dir), "archive": archive, "ids": ids,
            "base": base, "earlier": earlier, "broken": broken}


def test_agency_id_is_one_body_across_name_variants():
    assert agency_id("zhongning", "中宁县新堡镇人民政府", "中宁县") == agency_id("zhongning", "新堡镇", "中宁县") \
        == agency_id("zhongning", "中宁县 新堡镇", "中宁县") == agency_id("zhongning", "中宁县新堡镇", "中宁县") \
        == "zhongning|新堡镇"
    assert agency_id("zhongning", "中共中宁县委办公室", "中宁县") == agency_id("zhongning", "中宁县委办公室", "中宁县")
    assert agency_id("zhongning", "中宁县人民政府", "中宁县") == "zhongning|中宁县"  # the county itself keeps its name
    assert agency_id("zhongning", "中宁县新堡镇", "中宁县") != agency_id("yanchi", "中宁县新堡镇", "盐池县")
    assert agency_id("zhongning", None, "中宁县") is None


def test_one_row_per_agency_year_with_the_previous_years_figures(site):
    base, earlier = site["base"], site["earlier"]
    rows = site["archive"].rows("select * from agency_years where report_id in (?, ?) order by year",
                                (site["ids"]["earlier"], site["ids"]["base"]))
    assert [(r["year"], r["agency_id"]) for r in rows] == [(earlier.year, rows[0]["agency_id"]), (base.year, rows[0]["agency_id"])]
    before, now = rows
    assert (before["prev_year"], before["prev_new_received"]) == (None, None)
    assert now["prev_report_id"] == site["ids"]["earlier"]
    assert now["new_received"] == base.table3["new_received"]["total"]
    assert now["prev_new_received"] == earlier.table3["new_received"]["total"]
    assert now["change_new_received"] == -5


def test_the_report_page_shows_the_tables_as_printed_in_the_templates_order(site):
    response = get(site["datasette"], f"/-/report/{site['ids']['base']}")
    assert response.status_code == 200
    page = response.text
    base = site["base"]
    assert base.title in page and "行政区划代码" in page
    table3 = page.split('data-table="table3"', 1)[1]
    labels = [row.label for row in template.TABLE3_ROWS]
    positions = [table3.index(f"{label}</th>") for label in labels]
    assert positions == sorted(positions)  # the template's order, every row there
    for key, label in template.TABLE3_COLUMNS:
        assert f'data-col="{key}">{label}</th>' in page
    cell = re.search(r'<tr data-row="new_received">.*?</tr>', page, re.S).group(0)
    numbers = [int(n.replace(",", "")) for n in re.findall(r'<td class="num[^"]*"[^>]*>([\d,]+)', cell)]
    assert numbers == [base.table3["new_received"][key] for key in template.TABLE3_COLUMN_KEYS]


def test_a_number_not_read_says_so_with_its_reason(site):
    page = get(site["datasette"], f"/-/report/{site['ids']['unread']}").text
    cell = re.search(r'<tr data-row="new_received">.*?</tr>', page, re.S).group(0)
    first = re.search(r"<td class=\"([^\"]*)\"[^>]*>(.*?)</td>", cell, re.S)
    assert "missing" in first.group(1)
    assert "未读出" in first.group(2) and "不详" in first.group(2)


def test_a_failed_sum_is_marked_on_its_cell_with_its_sentence(site):
    datasette = site["datasette"]
    page = get(datasette, f"/-/report/{site['ids']['broken']}").text
    failed = site["archive"].rows("select rule, scope, sentence_zh from checks where report_id = ? and passed = 0",
                                  (site["ids"]["broken"],))
    assert failed and {check["rule"] for check in failed} == {"t3_row_total"}
    for check in failed:
        key = check["scope"].split(":", 1)[1]
        cells = re.search(rf'<tr data-row="{key}">.*?</tr>', page, re.S).group(0)
        marked = re.findall(r'<td class="num[^"]*failing[^"]*" title="([^"]*)"', cells)
        assert marked == [check["sentence_zh"]]  # the row's 总计, with its sentence
        assert f"<strong>{check['sentence_zh']}</strong>" in page
    assert page.count(" failing") == len(failed)
    assert " failing" not in get(datasette, f"/-/report/{site['ids']['earlier']}").text


def test_this_years_carried_over_and_documents_in_force_are_checked_against_last_years_report(site):
    """y2y_carried_over per column: 上年结转 = last year's 结转下年度 (planted: other_org and
    total differ by 2); y2y_in_force: 现行有效件数 = last year's + 本年制发 − 本年废止."""
    base, earlier = site["base"], site["earlier"]
    checks = {(c["rule"], c["scope"]): c for c in site["archive"].rows(
        "select * from checks where report_id = ? and rule like 'y2y%'", (site["ids"]["base"],))}
    assert len(checks) == len(template.TABLE3_COLUMN_KEYS) + 2
    for col in template.TABLE3_COLUMN_KEYS:
        check = checks[("y2y_carried_over", f"column:{col}")]
        assert (check["printed"], check["computed"]) == (base.table3["carried_over"][col],
                                                         earlier.table3["carried_forward"][col])
        assert check["passed"] == (0 if col in ("other_org", "total") else 1)
    failed = checks[("y2y_carried_over", "column:other_org")]
    assert failed["sentence_zh"] == (f"表三「二、上年结转」·其他 印为 {base.table3['carried_over']['other_org']}，"
                                     f"{earlier.year} 年度报告「四、结转下年度继续办理」为 "
                                     f"{earlier.table3['carried_forward']['other_org']}")
    in_force = checks[("y2y_in_force", "row:normative_documents")]
    assert in_force["passed"] == 1 and in_force["computed"] == base.table2["normative_documents"]["in_force"]
    assert checks[("y2y_in_force", "row:regulations")]["passed"] == 1
    assert site["archive"].rows("select count(*) as n from checks where report_id != ? and rule like 'y2y%'",
                                (site["ids"]["base"],)) == [{"n": 0}]  # no year before them in the archive
    page = get(site["datasette"], f"/-/report/{site['ids']['base']}").text
    row = re.search(r'<tr data-row="carried_over">.*?</tr>', page, re.S).group(0)
    assert len(re.findall(r'class="num[^"]*failing', row)) == 2


def test_the_previous_year_is_linked_with_the_changes(site):
    datasette = site["datasette"]
    page = get(datasette, f"/-/report/{site['ids']['base']}").text
    assert f'<a href="/-/report/{site["ids"]["earlier"]}" rel="prev">' in page
    earlier = get(datasette, f"/-/report/{site['ids']['earlier']}").text
    assert f'<a href="/-/report/{site["ids"]["base"]}" rel="next">' in earlier
    row = re.search(r"<tr><th scope=\"row\">本年新收申请</th>(.*?)</tr>", page, re.S).group(1)
    cells = re.findall(r'<td class="num">([^<]*)</td>', row)
    assert cells[:3] == [str(site["earlier"].table3["new_received"]["total"]),
                         str(site["base"].table3["new_received"]["total"]), "-5"]


def test_report_lists_link_to_the_report_page_and_unknown_ids_are_404(site):
    datasette = site["datasette"]
    summary = get(datasette, "/ogi/report_summary").text
    for report_id in site["ids"].values():
        assert f'href="/-/report/{report_id}"' in summary
    assert get(datasette, "/-/report/99999999").status_code == 404
    assert get(datasette, "/-/report/99999999999999999999999").status_code == 404


def test_the_landing_page_says_what_the_archive_holds_and_links_straight_in(site):
    page = get(site["datasette"], "/").text
    reports = site["archive"].rows("select province, year, count(*) as n from reports where is_current = 1"
                                   " group by province, year")
    assert f"本档案现有 <strong>{sum(r['n'] for r in reports)}</strong> 份年报" in page
    for row in reports:
        assert f"?province={quote(row['province'])}&amp;year={row['year']}\">{row['n']}</a>" in page
    for target in ("/ogi/report_summary", "/ogi/agency_years", "/ogi/failing_checks", "/ogi/year_over_year_jumps",
                   "/ogi/late_reports", 'name="_search"'):
        assert target in page, target
    for report_id in site["ids"].values():
        assert f'href="/-/report/{report_id}"' in page


@pytest.mark.parametrize("query", ["", "?_stream=on", "?_size=2"])
def test_csv_opens_in_excel_in_chinese_with_links_that_work_off_the_site(site, query):
    import csv
    import io

    response = get(site["datasette"], f"/ogi/report_summary.csv{query}")
    assert response.status_code == 200
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\xef\xbb\xbf") == 1
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    expected = site["archive"].rows("select id, agency, source_capture_id from reports where is_current = 1 order by id")
    assert len(rows) == (2 if query == "?_size=2" else len(expected))
    for row, report in zip(rows, expected):
        assert row["agency"] == report["agency"]
        assert row["archived_url"] == f"http://localhost/-/archive/{report['source_capture_id']}"
        assert row["report_page"] == f"http://localhost/-/report/{report['id']}"
    assert not get(site["datasette"], "/ogi/report_summary.json").content.startswith(b"\xef\xbb\xbf")


def test_the_archived_original_is_shown_under_a_banner_saying_what_it_is(site):
    datasette = site["datasette"]
    [capture] = site["archive"].rows(
        "select c.* from captures c join reports r on r.source_capture_id = c.id where r.id = ?", (site["ids"]["base"],))
    page = get(datasette, f"/-/report/{site['ids']['base']}").text
    assert f'href="/-/archived/{capture["id"]}"' in page
    shown = get(datasette, f"/-/archived/{capture['id']}")
    assert shown.status_code == 200
    text = shown.text
    assert "这是存档副本，不是现行网页" in text and capture["url"] in text
    assert capture["payload_sha256"] in text and capture["fetched_at"] in text
    assert capture["warc_record_id"].replace("<", "&lt;").replace(">", "&gt;") in text
    assert f'<iframe class="ogi-original" sandbox src="/-/archive/{capture["id"]}"' in text
    assert f'href="/-/report/{site["ids"]["base"]}"' in text
    assert get(datasette, "/-/archived/99999999").status_code == 404
    assert get(datasette, "/-/archived/99999999999999999999999").status_code == 404


def test_year_over_year_jumps_lists_a_figure_that_fell_to_a_sixth(site):
    import asyncio as _asyncio

    base, earlier = site["base"], site["earlier"]
    response = _asyncio.run(site["datasette"].client.get(f"/ogi/year_over_year_jumps.json?year={base.year}&_shape=array"))
    assert response.status_code == 200, response.text[:300]
    jumps = [(r["report_id"], r["figure"], r["previous"], r["this_year"], r["prev_report_id"]) for r in response.json()]
    assert jumps == [(site["ids"]["base"], "licensing", earlier.table2["licensing"], base.table2["licensing"],
                      site["ids"]["earlier"])]


def test_table_pages_put_chinese_labels_over_column_names_and_fold_the_glossary(site):
    page = get(site["datasette"], "/ogi/report_summary").text
    assert '<span class="ogi-zh">发布机关</span><br><small>agency</small>' in page
    assert '<span class="ogi-zh">本年新收政府信息公开申请数量</span><br><small>new_received</small>' in page
    assert '<strong>县（区） <small>county</small>' not in page and '<strong>县 <small>county</small>' in page  # a facet
    glossary = page.index('<details class="ogi-glossary">')
    assert glossary < page.index('<dl class="column-descriptions">') < page.index("</details>", glossary)


def test_an_atom_feed_of_new_changed_and_removed_reports(site):
    from xml.etree import ElementTree

    response = get(site["datasette"], "/ogi/report_feed.atom")
    assert response.status_code == 200, response.text[:300]
    feed = ElementTree.fromstring(response.content)
    ns = {"atom": "http://www.w3.org/2005/Atom"}
    entries = feed.findall("atom:entry", ns)
    current = site["archive"].rows("select id, title from reports where status != 'failed' order by id")
    assert sorted(e.find("atom:id", ns).text for e in entries) == sorted(
        f"tag:ogi-archive,2025:report/{r['id']}/new" for r in current)
    titles = {e.find("atom:title", ns).text for e in entries}
    assert f"新收录 New: {site['base'].title}" in titles
    links = {e.find("atom:link", ns).get("href") for e in entries}
    assert f"/-/report/{site['ids']['base']}" in links


def test_year_checks_follow_a_later_load_of_either_year(tmp_path):
    """Loaded a year at a time, and then the year before republished: the later year's
    checks are made when its year before arrives and made anew when that one changes."""
    base = sample_specs(1, seed=31)[0]
    earlier = another_year(base, base.year - 1, re.sub(r"人民政府$", "", base.agency), 5, planted=0)
    archive = ArchiveBuilder(tmp_path / "data")
    archive.capture(base.portal_id, url_of(base), report_page(base))
    archive.load(convert=False)
    assert archive.rows("select count(*) as n from checks where rule like 'y2y%'") == [{"n": 0}]
    archive.new_run()
    archive.capture(earlier.portal_id, url_of(earlier, "-earlier.html"), report_page(earlier))
    archive.load(convert=False)

    def other_org():
        return archive.rows("select c.passed, c.computed from checks c join reports r on r.id = c.report_id"
                            " where r.is_current = 1 and r.year = ? and c.rule = 'y2y_carried_over'"
                            " and c.scope = 'column:other_org'", (base.year,))

    assert other_org() == [{"passed": 1, "computed": base.table3["carried_over"]["other_org"]}]
    archive.new_run()
    for row in ("carried_forward", "carried_over"):  # republished: 3 more carried, its own sums intact
        for col in ("other_org", "total"):
            earlier.table3[row][col] += 3
    archive.capture(earlier.portal_id, url_of(earlier, "-earlier.html"), report_page(earlier), outcome="changed")
    archive.load(convert=False)
    assert other_org() == [{"passed": 0, "computed": base.table3["carried_over"]["other_org"] + 3}]
    assert archive.rows("select count(*) as n from checks c join reports r on r.id = c.report_id"
                        " where r.is_current = 0 and c.rule like 'y2y%'") == [{"n": 0}]


def county_summing(units: list, statement: str, planted: int):
    """The county government's report of the units' portal and year that sums their tables,
    but for `planted` more applications received (and granted, so its own sums hold)."""
    county = copy.deepcopy(units[0])
    name = next(portal["county"] for portal in PORTALS if portal["id"] == county.portal_id)
    county.agency, county.level = f"{name}人民政府", "county"
    county.title = f"{county.agency}{county.year}年政府信息公开工作年度报告"
    received = county.table3["new_received"]["total"]
    for table in ("table3", "table4"):
        summed = getattr(county, table)
        for row in summed:
            for col in summed[row]:
                summed[row][col] = sum(getattr(unit, table)[row][col] for unit in units)
    for row in ("new_received", "granted", "total_processed"):
        for col in ("natural_person", "total"):
            county.table3[row][col] += planted
    total = county.table3["new_received"]["total"]
    county.sections = {key: text.replace(f"申请{received}件", f"申请{total}件") if text else text
                       for key, text in county.sections.items()}
    county.sections["1"] = f"{statement}。{county.sections['1'] or ''}"
    county.printed = {}
    return county


def test_a_county_report_that_sums_its_units_is_checked_against_the_units_we_hold(tmp_path):
    """A county report saying it was compiled from its townships' and departments' reports
    is compared, figure by figure, with the sum of those of the same year in the archive:
    a difference is a failed county_aggregate check whose sentence says how many reports
    were summed; a later load adding a unit's report makes the checks anew."""
    units = []
    for index, spec in enumerate(sample_specs(2, seed=41)):
        unit = copy.deepcopy(spec)
        unit.portal_id, unit.year = "zhongning", 2022
        unit.agency = f"中宁县{'新堡镇' if index == 0 else '余丁乡'}人民政府"
        unit.title = f"{unit.agency}2022年政府信息公开工作年度报告"
        unit.printed = {}
        units.append(unit)
    statement = "本报告由县人民政府办公室在各乡镇人民政府、县政府各部门政府信息公开工作年度报告基础上汇总编制"
    county = county_summing(units, statement, planted=3)
    archive = ArchiveBuilder(tmp_path / "data")
    for name, spec in (("county", county), ("unit0", units[0])):
        archive.capture(spec.portal_id, url_of(spec, f"-{name}.html"), report_page(spec))
    archive.load(convert=False)

    def aggregate_checks():
        return {row["scope"]: row for row in archive.rows(
            "select c.scope, c.passed, c.printed, c.computed, c.sentence_zh from checks c"
            " join reports r on r.id = c.report_id where c.rule = 'county_aggregate' and r.level = 'county'")}

    [stated] = archive.rows("select aggregates from reports where level = 'county'")
    assert stated["aggregates"] == statement
    one = aggregate_checks()["cell:table3.carried_over.total"]  # the other unit not yet archived
    assert (one["passed"], one["computed"]) == (0, units[0].table3["carried_over"]["total"])
    assert "本档案所存同年 1 份部门、乡镇报告" in one["sentence_zh"]

    archive.new_run()
    archive.capture(units[1].portal_id, url_of(units[1], "-unit1.html"), report_page(units[1]))
    archive.load(convert=False)
    checks = aggregate_checks()
    received = checks.pop("cell:table3.new_received.total")
    processed = checks.pop("cell:table3.total_processed.total")
    assert (received["passed"], received["printed"], received["computed"]) == (
        0, county.table3["new_received"]["total"], county.table3["new_received"]["total"] - 3)
    assert received["sentence_zh"] == (
        f"表三「一、本年新收政府信息公开申请数量」·总计 印为 {received['printed']}，"
        f"本档案所存同年 2 份部门、乡镇报告合计为 {received['computed']}（相差 3）")
    assert processed["passed"] == 0 and processed["printed"] - processed["computed"] == 3
    assert sorted(checks) == sorted(["cell:table3.carried_over.total", "cell:table3.carried_forward.total",
                                     *(f"cell:table4.{group}.total" for group in template.TABLE4_GROUP_KEYS)])
    assert {(row["passed"], row["printed"] == row["computed"]) for row in checks.values()} == {(1, True)}
    assert archive.rows("select count(*) as n from checks c join reports r on r.id = c.report_id"
                        " where c.rule = 'county_aggregate' and r.level != 'county'") == [{"n": 0}]
    county_id = archive.rows("select id from reports where level = 'county'")[0]["id"]
    archive.db.conn.close()
    page = get(build_datasette(archive.data_dir), f"/-/report/{county_id}").text
    assert received["sentence_zh"] in page


def test_a_townships_report_carries_its_township_code_and_others_none(tmp_path):
    """中宁县新堡镇 is 640521103 in 国家统计局's 2023 list; a department has no township code,
    and neither has a township the county's list does not name (renamed, merged, misspelt)."""
    archive = ArchiveBuilder(tmp_path / "data")
    for index, (agency, level) in enumerate((("中宁县新堡镇人民政府", "township"), ("中宁县教育局", "department"),
                                             ("中宁县新城镇人民政府", "township"))):
        spec = copy.deepcopy(sample_specs(1, seed=41)[0])
        spec.portal_id, spec.agency, spec.level = "zhongning", agency, level
        spec.title = f"{agency}{spec.year}年政府信息公开工作年度报告"
        archive.capture(spec.portal_id, url_of(spec, f"-{index}.html"), report_page(spec))
    archive.load(convert=False)
    found = {row["agency"]: (row["level"], row["admin_code"], row["township_code"])
             for row in archive.rows("select agency, level, admin_code, township_code from reports")}
    assert found == {"中宁县新堡镇人民政府": ("township", "640521", "640521103"),
                     "中宁县教育局": ("department", "640521", None),
                     "中宁县新城镇人民政府": ("township", "640521", None)}
    assert {row["agency"]: row["township_code"] for row in archive.rows(
        "select agency, township_code from report_summary")} == {agency: code for agency, (_, _, code) in found.items()}
    report_id = archive.rows("select id from reports where township_code is not null")[0]["id"]
    archive.db.conn.close()
    assert "乡级统计用区划代码 640521103" in get(build_datasette(archive.data_dir), f"/-/report/{report_id}").text
