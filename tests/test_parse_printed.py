"""Reports as a reader's browser prints them: a portal's detail page, its navigation and
share buttons around the report, sent through headless chromium's print-to-PDF.

What real printed copies showed (a 开普云 page printed to PDF came back `partial` with
headings 1, 2, 5 and 6 not found): headings set as a bold run at the start of their first
paragraph, and a Chinese title whose year a browser sets in a Latin font. No real printed
copy could be kept as a fixture, so the pages are the sample world's own UCAP and TRS
detail pages, written with the run-in headings, and printed here by a real chromium.
Skipped only when chromium is missing outside CI (conftest.chromium_path).
"""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest

import parsers
from conftest import CHROMIUM_FLAGS, chromium_path
from sample_portals import generate
from sample_portals.portals import PORTALS
from sample_portals.render import render
from sample_portals.reports import generate_reports, spec_to_truth
from test_parse_layouts import RUN_IN, run_in_html


def printed(html_text: str, tmp_path, name: str) -> bytes:
    page = tmp_path / f"{name}.html"
    page.write_text(html_text, encoding="utf-8")
    pdf = tmp_path / f"{name}.pdf"
    result = subprocess.run([chromium_path(), *CHROMIUM_FLAGS, "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
                             page.as_uri()], capture_output=True, timeout=120)
    assert result.returncode == 0 and pdf.exists(), result.stderr[-2000:]
    return pdf.read_bytes()


def detail_page(portal_id: str, spec) -> str:
    """The portal family's own detail page (chrome, metadata table, toolbar, share and QR
    blocks) with the report body's headings 1, 5 and 6 run into their paragraphs."""
    portal = next(p for p in PORTALS if p["id"] == portal_id)
    item = generate.Item(title=spec.title, date=spec.published or dt.date(spec.year + 1, 1, 20), path="/a.html",
                         body=run_in_html(render(spec, "html_body").decode("utf-8")), agency=spec.agency,
                         column="main", report=spec)
    return generate._detail_page(portal, item, "000000000/2024-00001", 3)


@pytest.mark.parametrize("portal_id", ["hunyuan", "zhongning"])  # 开普云 UCAP, TRS
def test_a_detail_page_printed_by_a_browser_reads_every_number_and_section(portal_id, tmp_path):
    specs = [s for s in generate_reports(2025, 40, PORTALS)
             if s.portal_id == portal_id and s.format == "2021" and not s.expected_failed_checks][:2]
    assert specs
    for n, spec in enumerate(specs):
        report = parsers.parse(printed(detail_page(portal_id, spec), tmp_path, f"{portal_id}{n}"), name="r.pdf")
        truth = spec_to_truth(spec)
        data = report.to_json()
        assert {t: data[t] for t in ("table2", "table3", "table4")} == {t: truth[t] for t in ("table2", "table3", "table4")}
        assert (report.agency, report.year) == (spec.agency, spec.year)
        assert not [p for p in report.problems if "headings not found" in p], report.problems
        for number in RUN_IN:
            assert report.sections[str(number)], number
        assert report.status == "ok", report.problems
        assert [c.rule for c in report.checks if not c.passed] == []


def test_a_title_whose_year_the_browser_sets_in_a_latin_font_keeps_its_year(tmp_path):
    """No <title> to fall back on (a Word file saved as HTML and printed): the year's digits
    sit 3.6 pt lower in their Latin font's box on the title's baseline, and must stay on the
    title's line."""
    specs = [s for s in generate_reports(2025, 40, PORTALS) if s.format == "2021"
             and "font-size:22px" in render(s, "html_body").decode("utf-8")[:300]][:2]
    assert specs
    for n, spec in enumerate(specs):
        body = render(spec, "html_body").decode("utf-8")
        report = parsers.parse(printed(f"<html><head><meta charset='utf-8'></head><body>{body}</body></html>",
                                       tmp_path, f"title{n}"), name="r.pdf")
        assert (report.title, report.agency, report.year) == (spec.title, spec.agency, spec.year)
