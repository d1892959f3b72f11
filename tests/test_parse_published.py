"""The publication date a report prints itself: the signature date of its closing lines
(in year + 1) or a 发布日期 statement, in text, PDF and DOCX; the page's own date wins on
HTML. The generator prints no signature, so these reports are built here.
"""

from __future__ import annotations

import io

import pytest

import parsers

BODY = """某县某镇2024年政府信息公开工作年度报告
一、总体情况
本报告统计数据从2024年1月1日至2024年12月31日。2024年我镇未收到政府信息公开申请。
二、主动公开政府信息情况
行政处罚 7
三、收到和处理政府信息公开申请情况
四、政府信息公开行政复议、行政诉讼情况
五、存在的主要问题及改进情况
下一步将于2025年3月1日前完成整改。
六、其他需要报告的事项
本年度共作出行政处罚7起。"""


@pytest.mark.parametrize("closing,expected", [
    ("某县某镇人民政府\n2025年1月20日", "2025-01-20"),
    ("某县某镇人民政府\n二〇二五年三月十五日", "2025-03-15"),
    ("某县某镇人民政府 2025年2月3日", "2025-02-03"),
    ("某县某镇人民政府\n２０２５年１月２８日", "2025-01-28"),
    ("2025-01-06", "2025-01-06"),
    ("某县某镇人民政府\n2025年1月6日\n扫一扫在手机上查看当前页面\n晋公网安备 14022502000101号", "2025-01-06"),
])
def test_signature_date_in_closing_lines(closing, expected):
    report = parsers.parse(f"{BODY}\n\n{closing}\n".encode(), name="r.txt")
    assert report.published.isoformat() == expected
    assert report.metadata["published_from"] == "signature line"
    assert [c.passed for c in report.checks if c.rule == "timeliness"] == [True]


def test_late_signature_fails_timeliness():
    report = parsers.parse(f"{BODY}\n某县某镇人民政府\n2025年5月9日\n".encode(), name="r.txt")
    assert report.published.isoformat() == "2025-05-09"
    assert [c.passed for c in report.checks if c.rule == "timeliness"] == [False]


@pytest.mark.parametrize("closing", [
    "",  # no signature: the sentence dates of the body never count
    "某县某镇人民政府\n2024年12月20日",  # not in year + 1
    "某县某镇人民政府\n2027年1月20日",
    "我镇将于2025年1月20日前完成整改，并接受监督。",  # a date inside a sentence
])
def test_no_signature_date_means_null(closing):
    report = parsers.parse(f"{BODY}\n{closing}\n".encode(), name="r.txt")
    assert report.published is None
    assert [c.passed for c in report.checks if c.rule == "timeliness"] == [None]


def test_signature_needs_a_known_year():
    text = BODY.replace("某县某镇2024年政府信息公开工作年度报告", "某县某镇政府信息公开工作年度报告")
    report = parsers.parse(f"{text}\n某县某镇人民政府\n2025年1月20日\n".encode(), name="r.txt")
    assert report.year is None and report.published is None


def test_stated_publication_date():
    text = BODY.replace("一、总体情况", "发布日期：2025年02月14日\n一、总体情况")
    report = parsers.parse(f"{text}\n某县某镇人民政府\n2025年1月20日\n".encode(), name="r.txt")
    assert report.published.isoformat() == "2025-02-14"
    assert report.metadata["published_from"] == "text 发布日期"


def test_signature_in_a_pdf():
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.setFont("STSong-Light", 11)
    y = 800
    for line in BODY.split("\n"):
        page.drawString(60, y, line)
        y -= 18
    page.drawRightString(530, y - 30, "某县某镇人民政府")  # signature block, right aligned
    page.drawRightString(530, y - 48, "2025年3月2日")
    page.showPage()
    page.save()
    report = parsers.parse(buffer.getvalue(), name="r.pdf")
    assert report.year == 2024 and report.published.isoformat() == "2025-03-02"


def test_signature_in_a_docx_and_file_dates_ignored():
    import datetime as dt

    import docx

    document = docx.Document()
    for line in BODY.split("\n"):
        document.add_paragraph(line)
    document.add_paragraph("某县某镇人民政府").alignment = 2
    document.add_paragraph("二〇二五年一月二十七日").alignment = 2
    document.core_properties.created = dt.datetime(2025, 1, 2, 9, 0)  # authoring time, not publication
    buffer = io.BytesIO()
    document.save(buffer)
    report = parsers.parse(buffer.getvalue(), name="r.docx")
    assert report.published.isoformat() == "2025-01-27"

    unsigned = docx.Document()
    for line in BODY.split("\n"):
        unsigned.add_paragraph(line)
    unsigned.core_properties.created = dt.datetime(2025, 1, 2, 9, 0)
    buffer = io.BytesIO()
    unsigned.save(buffer)
    assert parsers.parse(buffer.getvalue(), name="r.docx").published is None


def test_page_date_wins_over_signature_on_html():
    paragraphs = "".join(f"<p>{line}</p>" for line in BODY.split("\n"))
    page = (f"<html><head><meta charset='utf-8'><meta name='PubDate' content='2025-01-21 08:54'></head><body>"
            f"<div class='TRS_Editor'>{paragraphs}<p>某县某镇人民政府</p><p>2025年1月20日</p></div></body></html>")
    report = parsers.parse(page.encode(), name="a.html")
    assert report.published.isoformat() == "2025-01-21"
    assert report.metadata["published_from"] == "page PubDate"
