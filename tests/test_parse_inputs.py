"""Every format is sniffed, bad input never raises, chrome and labels rules are data."""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import parsers
from parsers.chrome import chrome_patterns, is_chrome
from parsers.labels import label_variants, match_table3_column, match_table3_row, read_number
from parsers.sniff import detect_format

HTML_REPORT = """<html><head><meta charset="gb2312"><meta name="ArticleTitle" content="某县某镇2024年政府信息公开工作年度报告">
<meta name="PubDate" content="2025-01-20 08:54"></head><body><div class="nav">当前位置：首页 &gt; 政府信息公开</div>
<table><tr><td>索  引  号：</td><td>640400001/2025-00012</td><td>发布机构：</td><td>某县某镇</td></tr></table>
<div class="TRS_Editor"><p>某县某镇2024年政府信息公开工作年度报告</p><p><b>一、总体情况</b></p><p>2024年我镇未收到政府信息公开申请。</p>
<p>二、主动公开政府信息情况</p><table><tr><td>信息内容</td><td>本年处理决定数量</td></tr><tr><td>行政处罚</td><td><span>1</span><span>2</span><o:p></o:p></td></tr>
<tr><td>信息内容</td><td>本年收费金额（单位：万元）</td></tr><tr><td>行政事业性收费</td><td>１,２３4.5</td></tr></table><p>【字体：大 中 小】</p>
<p>三、收到和处理政府信息公开申请情况</p><table><tr><td colspan="3">一、本年新收政府信息公开申请数量</td><td>1</td><td>—</td><td>/</td><td>无</td><td></td><td>0</td><td>1</td></tr>
<tr><td rowspan="2">（三）不予公开</td><td>1.属于国家秘密</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td></tr>
<tr><td>2.其他法律行政法规禁止公开</td><td>2</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>3</td></tr></table>
<p>六、其他需要报告的事项</p><p>本年度共作出行政处罚12起。</p><p>扫一扫在手机上查看当前页面</p></div>
<div class="footer">晋ICP备12345678号-1 晋公网安备 14022502000101号</div></body></html>"""


def test_html_metadata_body_and_numbers():
    report = parsers.parse(HTML_REPORT.encode("gb18030"), name="t20250120_1.html")
    assert report.agency == "某县某镇" and report.year == 2024 and report.level == "township"
    assert report.published.isoformat() == "2025-01-20"
    assert report.metadata["索引号"] == "640400001/2025-00012"
    assert report.table2["penalty"] == 12  # digits split over spans
    assert report.table2["fees"] == 1234.5  # full width + thousands separator
    assert report.table3["new_received"] == {"natural_person": 1, "commercial_enterprise": 0,
                                             "research_institution": 0, "social_welfare_org": 0,
                                             "legal_service_org": 0, "other_org": 0, "total": 1}
    flags = {c.col_key: c.flag for c in report.cells if c.row_key == "new_received"}
    assert flags["commercial_enterprise"] == "dash" and flags["social_welfare_org"] == "none_word"
    assert flags["legal_service_org"] == "blank"
    assert report.table3["denied_prohibited_by_law"]["total"] == 3  # rowspan group expanded
    row_total = [c for c in report.checks if c.scope == "row:denied_prohibited_by_law"][0]
    assert row_total.passed is False and (row_total.expected, row_total.actual) == (3, 2)
    assert "扫一扫" not in (report.sections["6"] or "") and "字体" not in (report.sections["2"] or "")
    by_rule = {c.rule: c for c in report.checks}
    assert by_rule["text_penalty"].passed is True
    assert by_rule["text_no_applications"].passed is False  # text says none, table says 1
    assert by_rule["timeliness"].passed is True


@pytest.mark.parametrize("printed,value,flag", [
    ("12", 12, None), ("１２", 12, "fullwidth"), ("1,234", 1234, "thousands"), ("—", 0, "dash"),
    ("-", 0, "dash"), ("/", 0, "slash"), ("无", 0, "none_word"), ("", 0, "blank"), ("3件", 3, "unit"),
])
def test_number_reader(printed, value, flag):
    number = read_number(printed)
    assert (number.value, number.flag, number.printed) == (value, flag, printed)


@pytest.mark.parametrize("printed", ["十二", "1.5", "x", "12?"])
def test_unreadable_numbers_are_none_with_reason(printed):
    number = read_number(printed)
    assert number.value is None and number.reason and number.printed == printed


def test_fees_keep_decimals():
    assert read_number("0.35", decimal=True).value == 0.35


def test_label_variants_match_their_rows():
    for key, variants in label_variants()["table3_rows"].items():
        for variant in variants:
            assert match_table3_row(variant) == key, variant
    assert match_table3_row("(二) 部分公开 (区分处理的, 只计这一情形, 不计其他情形)") == "partially_granted"
    assert match_table3_row("3. 其他") == "other_other" and match_table3_row("其他") is None
    assert match_table3_column("社会组织") == match_table3_column("社会公益组织") == "social_welfare_org"


CHROME_LINES = ["扫一扫在手机上查看当前页面", "三晋通APP", "晋公网安备 14022502000101号", "宁ICP备05000561号-1",
                "网站标识码：6404000001", "【我要纠错】", "【打印本页】【关闭窗口】", "分享到：微信 微博 QQ空间",
                "当前位置：首页 > 政府信息公开 > 年报", "【字体：大 中 小】", "上一篇：关于……", "责任编辑：张三"]


@pytest.mark.parametrize("line", CHROME_LINES)
def test_chrome_lines_are_dropped(line):
    assert is_chrome(line)


@pytest.mark.parametrize("line", ["【一、总体情况】", "六、其他需要报告的事项", "2024年我乡未收到政府信息公开申请。",
                                  "（二）依申请公开情况"])
def test_real_text_is_not_chrome(line):
    assert not is_chrome(line)


def test_every_chrome_pattern_compiles_and_is_used():
    assert len(chrome_patterns()) > 20


@pytest.mark.parametrize("data,name,content_type,expected", [
    (b"%PDF-1.4\n", "", None, "pdf"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, "a.wps", None, "wps"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "WordDocument".encode("utf-16-le"), "", None, "doc"),
    (b"{\\rtf1 x}", "", None, "rtf"),
    (b"\x89PNG\r\n", "", None, "image"),
    (b"<html><body>x</body></html>", "x.pdf", "application/pdf", "html"),
    ("一、总体情况".encode(), "a.txt", None, "text"),
    (b"", "", None, "unknown"),
])
def test_detect_format(data, name, content_type, expected):
    assert detect_format(data, name, content_type) == expected


@pytest.mark.parametrize("kind, reason", [
    ("wps", "wps file: needs conversion to DOCX (LibreOffice), none given"),
    ("doc", "doc file: needs conversion to DOCX (LibreOffice), none given"),
    ("rtf", "rtf file: needs conversion to DOCX (LibreOffice), none given"),
    ("image", "image: needs OCR, none given"),
])
def test_forms_needing_a_tool_fail_with_the_tool_they_need(kind, reason):
    data = {"rtf": b"{\\rtf1 x}", "image": b"\x89PNG\r\n\x1a\n" + b"\0" * 20}.get(
        kind, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64)
    report = parsers.parse(data, name=f"a.{kind}")
    assert report.status == "failed" and report.problems == [reason]


def test_broken_spreadsheet_fails_with_reason():
    report = parsers.parse(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, name="a.xls")
    assert report.status == "failed" and report.problems[0].startswith("spreadsheet unreadable: ")


def _pdf(encrypt: str | None = None, text: bool = True) -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, encrypt=encrypt)
    if text:
        page.drawString(72, 720, "Report 2024 " * 10)
    else:
        page.rect(72, 72, 300, 300, fill=1)  # an image-like page with no text layer
    page.showPage()
    page.save()
    return buffer.getvalue()


def test_encrypted_pdf_fails_with_reason():
    report = parsers.parse(_pdf(encrypt="secret"), name="a.pdf")
    assert report.status == "failed" and "encrypt" in report.problems[0].lower()


def test_scanned_pdf_fails_with_reason():
    report = parsers.parse(_pdf(text=False), name="a.pdf")
    assert report.status == "failed" and "scanned" in report.problems[0]


@pytest.mark.parametrize("cut", [10, 200, 600])
def test_truncated_pdf_fails_without_raising(cut):
    report = parsers.parse(_pdf()[:cut], name="a.pdf")
    assert report.status == "failed" and report.problems


@pytest.mark.parametrize("data, reason", [
    (b"", "empty file"), (b"   ", "empty file"), (b"PK\x03\x04garbage", "unknown format"),
    (b"%PDF-", "PDF unreadable (truncated or corrupt)"), (b"<html>", "section headings not found"),
    (b"\x00\x01\x02", "unknown format"),
])
def test_empty_and_garbage_never_raise_and_say_why(data, reason):
    report = parsers.parse(data, name="x")
    assert report.status == "failed" and report.problems[0].startswith(reason), report.problems
    assert report.to_json()["status"] == "failed"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000), st.sampled_from(["a.html", "a.txt", "a.pdf", "a.docx", ""]))
def test_random_bytes_never_raise(data, name):
    report = parsers.parse(data, name=name)
    assert report.status in ("ok", "partial", "failed")
    assert not any(p.startswith("parser error") for p in report.problems), report.problems


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(HTML_REPORT) - 1), st.integers(1, 200), st.text(max_size=30))
def test_mangled_html_never_raises(start, length, junk):
    mangled = HTML_REPORT[:start] + junk + HTML_REPORT[start + length:]
    report = parsers.parse(mangled.encode("utf-8"), name="a.html")
    assert not any(p.startswith("parser error") for p in report.problems), report.problems


@pytest.fixture(scope="module")
def generated_specs():
    reports = pytest.importorskip("sample_portals.reports")
    from sample_portals import portals

    return [spec for spec in reports.generate_reports(2025, 6, portals.PORTALS) if spec.format == "2021"
            and not any(spec.printed.get(path) == "" for path in spec.printed)]


def test_cid_glyph_pdf_falls_back_to_pypdfium2(generated_specs, monkeypatch):
    """pdfminer yields only (cid:NNN) for fonts without a ToUnicode map: the report is read
    from pypdfium2's text instead, labels wrapped over lines included."""
    import pdfplumber.page

    from sample_portals.render import render

    spec = generated_specs[0]
    data = render(spec, "pdf")
    real = pdfplumber.page.Page.extract_text_lines

    def cid_lines(self, *args, **kwargs):
        return [dict(line, text="".join(f"(cid:{ord(ch) % 900})" for ch in line["text"]))
                for line in real(self, *args, **kwargs)]

    monkeypatch.setattr(pdfplumber.page.Page, "extract_text_lines", cid_lines)
    # the full reader's fallback: as when the cheap reading (pypdfium2 too) leaves a number unread
    monkeypatch.setattr("parsers.pdf_document.pdf_cheap_readings", lambda data: None)
    report = parsers.parse(data, name="r.pdf")
    assert any("pypdfium2" in problem for problem in report.problems)
    assert (report.table2, report.table3, report.table4) == (spec.table2, spec.table3, spec.table4)
    assert report.year == spec.year and report.sections["6"]


def test_trailing_tabs_are_blank_cells():
    """`规章\t\t\t`: a row printed with empty cells for zero keeps its three blank cells."""
    text = "二、主动公开政府信息情况\n信息内容\t本年制发件数\t本年废止件数\t现行有效件数\n规章\t\t\t\n行政规范性文件\t7\t3\t52\n"
    report = parsers.parse(text.encode(), name="r.txt")
    assert report.table2["regulations"] == {"issued": 0, "repealed": 0, "in_force": 0}
    assert report.table2["normative_documents"] == {"issued": 7, "repealed": 3, "in_force": 52}
    assert {c.flag for c in report.cells if c.row_key == "regulations"} == {"blank"}


def test_a_landing_page_takes_its_title_from_the_page_not_from_the_sentence_announcing_it():
    """Detail pages that only link the PDF say "现将…年度报告发布如下": the agency is the
    one the page's ArticleTitle names, so the page and its PDF key to one report."""
    page = (
        '<html><head><meta name="ArticleTitle" content="浑源县北岳街道办事处2025年政府信息公开工作年度报告">'
        "</head><body><div class='TRS_Editor'><p>现将浑源县北岳街道办事处2025年度政府信息公开工作年度报告发布如下。</p>"
        "<p>附件：<a href='/files/a.pdf'>年度报告.pdf</a></p></div></body></html>"
    ).encode("utf-8")
    report = parsers.parse(page, "t20260126_1.html")
    assert report.agency == "浑源县北岳街道办事处"
    assert report.year == 2025
    assert report.status == "failed"  # no tables on the page itself: the PDF is the report


def test_a_pre_2020_report_keeps_its_text_and_leaves_the_2021_tables_null_with_the_reason():
    text = (
        "某县某镇2019年政府信息公开工作年度报告\n"
        "一、概述\n2019年，某镇主动公开政府信息240条。\n"
        "二、主动公开政府信息情况\n统计指标\t单位\t统计数\n主动公开政府信息数\t条\t240\n"
        "三、依申请公开政府信息情况\n本年度未收到政府信息公开申请。\n"
    ).encode("utf-8")
    report = parsers.parse(text, "2019.txt")
    assert report.format == "pre-2020"
    assert "主动公开政府信息240条" in report.sections["1"]
    assert report.table3["new_received"]["total"] is None
    assert all(cell.value is None and "pre-2020" in cell.reason for cell in report.cells if cell.table != "legacy")
    assert report.legacy["active_disclosed"] == 240 and report.legacy["applications_received"] is None
    assert all(check.rule == "timeliness" for check in report.checks)


# -- bounded: a hostile file ends as a failed report with its reason, in seconds -----------
def _ogi_parse_bounded(path):
    """`ogi parse FILE --json` in a child: (its exit code and error line, seconds, the
    child's peak RSS in bytes). os.wait4 gives that one child's rusage; RUSAGE_CHILDREN
    would be the largest of every child this test process ever reaped."""
    import os
    import subprocess
    import sys
    import threading
    import time

    started = time.monotonic()
    with subprocess.Popen([sys.executable, "-m", "ogi.cli", "parse", str(path), "--json"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as child:
        watchdog = threading.Timer(120, child.kill)
        watchdog.start()
        said = child.stderr.read()
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        watchdog.cancel()
    seconds = time.monotonic() - started
    return (child.returncode, said.strip()), seconds, usage.ru_maxrss * 1024


def test_a_docx_zip_bomb_is_a_failed_report_in_seconds(tmp_path):
    import zipfile

    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            chunk = b"<w:t>" + b"0" * 10_000_000
            for _ in range(100):  # 1 GB inside, about 1 MB on disk
                member.write(chunk)
    assert bomb.stat().st_size < 5_000_000
    (code, said), seconds, peak = _ogi_parse_bounded(bomb)
    assert code == 2 and "not a report: DOCX decompresses to 1,000,000," in said
    assert seconds < 30 and peak < 1 << 30


def test_a_two_thousand_page_pdf_is_a_failed_report_in_seconds(tmp_path):
    import pypdfium2

    pdf = pypdfium2.PdfDocument.new()
    for _ in range(2000):
        pdf.new_page(595, 842)
    path = tmp_path / "long.pdf"
    pdf.save(str(path))
    pdf.close()
    (code, said), seconds, peak = _ogi_parse_bounded(path)
    assert code == 2 and said.endswith("not a report: PDF of 2000 pages (more than 300): not read")
    assert seconds < 30 and peak < 1 << 30


def _full_reader_calls(monkeypatch) -> list:
    """Record each call of the full (pdfplumber) PDF reader, which still reads the file."""
    import parsers.pdf_document as pdf_document

    calls, full = [], pdf_document.document_from_pdf
    monkeypatch.setattr(pdf_document, "document_from_pdf", lambda *a, **k: calls.append(1) or full(*a, **k))
    return calls


def test_a_whole_pdf_report_is_read_from_its_text_positions_alone(monkeypatch):
    """A PDF whose tables are all there and add up is read from PDFium's text runs and the
    page's ruling lines; pdfplumber never runs."""
    from sample_portals import portals
    from sample_portals.render import render
    from sample_portals.reports import generate_reports, spec_to_truth, trial_reports

    specs = [s for s in generate_reports(2025, 12, portals.PORTALS) + trial_reports(2025, 4, portals.PORTALS)
             if not s.expected_failed_checks and all(v is not None for row in s.table3.values() for v in row.values())]
    assert {s.format for s in specs} == {"2021", "2019"}
    calls = _full_reader_calls(monkeypatch)
    for spec in specs:
        report = parsers.parse(render(spec, "pdf"), name="r.pdf").to_json()
        truth = spec_to_truth(spec)
        assert {t: report[t] for t in ("table2", "table3", "table4", "table2_2019")} == {
            t: truth[t] for t in ("table2", "table3", "table4", "table2_2019")}, spec.id
        assert (report["agency"], report["year"], report["format"], report["status"]) == (
            spec.agency, spec.year, spec.format, "ok")
    assert calls == []


def test_where_pdfium_gives_no_box_for_a_text_run_the_full_reader_reads_the_file(generated_specs, monkeypatch):
    """The cheap reading stops at PDFium's first failure on the file (here: a text run
    with no box) instead of reading on without it; pdfplumber reads every number."""
    import pypdfium2.raw as pdfium_c

    from sample_portals.render import render

    spec = generated_specs[0]
    data = render(spec, "pdf")
    monkeypatch.setattr(pdfium_c, "FPDFText_GetRect", lambda *args: 0)
    calls = _full_reader_calls(monkeypatch)
    report = parsers.parse(data, name="r.pdf")
    assert calls == [1]
    assert (report.table2, report.table3, report.table4) == (spec.table2, spec.table3, spec.table4)


def _broken_sum_report():
    from sample_portals import portals
    from sample_portals.render import render
    from sample_portals.reports import generate_reports

    broken = next(s for s in generate_reports(2025, 40, portals.PORTALS)
                  if s.format == "2021" and s.expected_failed_checks == ["t3_row_total"])
    return broken, render(broken, "pdf")


def test_a_pdf_whose_sums_fail_as_printed_is_read_cheaply_where_a_second_reader_agrees(monkeypatch):
    """A broken sum could be the positioned reading's own misplacement. PDFium's plain text,
    read as a text copy, is a second reading that places nothing by position: where it reads
    every cell the same, the printed sum is what the file says, and pdfplumber is not asked."""
    broken, data = _broken_sum_report()
    calls = _full_reader_calls(monkeypatch)
    report = parsers.parse(data, name="r.pdf")
    assert calls == []
    assert (report.table2, report.table3, report.table4) == (broken.table2, broken.table3, broken.table4)
    assert {c.rule for c in report.checks if c.passed is False} == {"t3_row_total"}


def _unprinted_row_report():
    from sample_portals import portals
    from sample_portals.render import render
    from sample_portals.reports import generate_reports

    spec = next(s for s in generate_reports(2025, 60, portals.PORTALS)
                if s.format == "2021" and any(v is None for row in s.table3.values() for v in row.values()))
    return spec, render(spec, "pdf")


def test_a_pdf_with_a_table_3_row_not_printed_anywhere_is_read_cheaply(monkeypatch):
    """Both cheap readings miss the row and its label is nowhere in the file's text: not
    printed, so pdfplumber (reading the same text layer) could not find it either."""
    spec, data = _unprinted_row_report()
    calls = _full_reader_calls(monkeypatch)
    report = parsers.parse(data, name="r.pdf")
    assert calls == []
    assert report.status == "partial" and any("row not printed" in p for p in report.problems)
    assert report.table3 == spec.table3  # the missing row NULL, every other number as printed
    assert {c.reason for c in report.cells if c.value is None} == {"row not printed"}


def test_a_pdf_whose_missing_row_label_is_in_its_text_is_read_by_the_full_reader(monkeypatch):
    """A label both cheap readings missed but the text holds (a row split over a page
    break, say): pdfplumber reads the file."""
    import parsers.pdf_document
    from parsers.template import TABLE3_LAYOUTS

    spec, data = _unprinted_row_report()
    missing = next(row for row, cols in spec.table3.items() if None in cols.values())
    label = next(row.label for row in TABLE3_LAYOUTS["2021"] if row.key == missing)
    real = parsers.pdf_document.pdf_cheap_readings

    def label_in_text(data):
        document, text = real(data)
        return document, text + "\n" + label[:3] + "\n" + label[3:]

    monkeypatch.setattr(parsers.pdf_document, "pdf_cheap_readings", label_in_text)
    calls = _full_reader_calls(monkeypatch)
    parsers.parse(data, name="r.pdf")
    assert calls == [1]


def test_where_the_two_cheap_readings_differ_by_one_cell_the_full_reader_decides(monkeypatch):
    import dataclasses

    broken, data = _broken_sum_report()
    real = parsers._text_reading

    def one_cell_off(data):
        report = real(data)
        report.cells[5] = dataclasses.replace(report.cells[5], value=(report.cells[5].value or 0) + 1)
        return report

    monkeypatch.setattr(parsers, "_text_reading", one_cell_off)
    calls = _full_reader_calls(monkeypatch)
    report = parsers.parse(data, name="r.pdf")
    assert calls == [1]
    assert (report.table2, report.table3, report.table4) == (broken.table2, broken.table3, broken.table4)
    assert {c.rule for c in report.checks if c.passed is False} == {"t3_row_total"}
