"""The forms a report takes when it went through a scanner, Kingsoft WPS or a spreadsheet.

Townships print the report, sign it and scan it (an image-only PDF at 150-200 dpi, a few
tenths of a degree askew, specks of noise), post the scan as JPG pages, or replace the
signed pages of a PDF with their scan (half text, half scan); Henan counties post `.wps`
(the OLE Word binary), older sites `.doc`; some offices post the tables as `.xls`; a
report printed from Word runs table 3 over three pages with a row split at a break; a
few offices post the OFD a PDF-to-OFD converter made.

Made from render.py's PDF, DOCX and HTML: rasters by pypdfium2 and Pillow (seeded from
spec.style, so a world is reproducible byte for byte), .doc and .xls by LibreOffice (the
tool that writes them in the field; its output is byte-stable for a given input).
"""

from __future__ import annotations

import datetime as dt
import html
import io
import random
import subprocess
import tempfile
from pathlib import Path

from .render import _PDF_FONT, pdf_table, render, report_blocks
from .reports import ReportSpec

# delivery -> (file extension, what the manifest calls the form)
FORMS = {
    "scan_pdf": "pdf",
    "jpg": "jpg",
    "half_scan_pdf": "pdf",
    "doc": "doc",
    "wps": "wps",
    "xls": "xls",
    "long_pdf": "pdf",
    "ofd": "ofd",
}
SCAN_DPI = (150, 200)


def _raster_pages(pdf: bytes, rng: random.Random, dpi: int):
    """The PDF's pages as scanned greyscale images: rotated a little, with specks."""
    import numpy
    import pypdfium2
    from PIL import Image

    document = pypdfium2.PdfDocument(pdf)
    try:
        for index in range(len(document)):
            image = document[index].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
            image = image.rotate(rng.uniform(-1.0, 1.0), resample=Image.BICUBIC, fillcolor=255)
            pixels = numpy.asarray(image).astype(numpy.int16)
            noise = numpy.random.default_rng(rng.randrange(1 << 30))
            pixels = pixels - noise.integers(0, 28, pixels.shape)  # paper grey
            specks = noise.random(pixels.shape) < 0.0008
            pixels[specks] = noise.integers(0, 120, int(specks.sum()))
            yield Image.fromarray(pixels.clip(0, 255).astype(numpy.uint8), "L")
    finally:
        document.close()


def scan_pdf(spec: ReportSpec) -> bytes:
    rng = random.Random(f"scan:{spec.style}")
    dpi = SCAN_DPI[spec.style % 2]
    pages = list(_raster_pages(render(spec, "pdf"), rng, dpi))
    buffer = io.BytesIO()
    stamp = dt.datetime.combine(spec.published, dt.time(9)) if spec.published else dt.datetime(2020, 1, 1)
    pages[0].save(buffer, "PDF", resolution=dpi, save_all=True, append_images=pages[1:], quality=80,
                  creationDate=stamp.timetuple(), modDate=stamp.timetuple())
    return buffer.getvalue()


def jpg_pages(spec: ReportSpec) -> list[bytes]:
    """One JPG per page; the second page was scanned on its side."""
    rng = random.Random(f"jpg:{spec.style}")
    out = []
    for index, page in enumerate(_raster_pages(render(spec, "pdf"), rng, 150)):
        if index == 1:
            page = page.rotate(90, expand=True)
        buffer = io.BytesIO()
        page.save(buffer, "JPEG", quality=85, dpi=(150, 150))
        out.append(buffer.getvalue())
    return out


def half_scan_pdf(spec: ReportSpec) -> bytes:
    """The text PDF with every page after the first replaced by its scan."""
    import pypdfium2

    text_pdf = render(spec, "pdf")
    rng = random.Random(f"half:{spec.style}")
    scans = list(_raster_pages(text_pdf, rng, 150))
    source = pypdfium2.PdfDocument(text_pdf)
    target = pypdfium2.PdfDocument.new()
    try:
        target.import_pages(source, [0])
        for index in range(1, len(source)):
            width, height = source[index].get_size()
            page = target.new_page(width, height)
            jpeg = io.BytesIO()
            scans[index].save(jpeg, "JPEG", quality=80)
            jpeg.seek(0)
            image = pypdfium2.PdfImage.new(target)
            image.load_jpeg(jpeg, inline=True)
            image.set_matrix(pypdfium2.PdfMatrix().scale(width, height))
            page.insert_obj(image)
            page.gen_content()
        buffer = io.BytesIO()
        target.save(buffer)
        return _fixed_pdfium_stamps(buffer.getvalue(), spec)
    finally:
        target.close()
        source.close()


def _fixed_pdfium_stamps(data: bytes, spec: ReportSpec) -> bytes:
    """PDFium stamps the save time and a random /ID: replaced by the report's own, byte for
    byte the same length, so the cross-reference offsets stay right."""
    import hashlib
    import re

    stamp = f"D:{spec.published:%Y%m%d}090000+00'00'".encode() if spec.published else b"D:20200101090000+00'00'"
    data = re.sub(rb"/CreationDate\(D:\d{14}\+00'00'\)", b"/CreationDate(" + stamp + b")", data)
    digest = hashlib.md5(spec.id.encode()).hexdigest().upper().encode()
    return re.sub(rb"/ID\[<[0-9A-F]{32}><[0-9A-F]{32}>\]", b"/ID[<" + digest + b"><" + digest + b">]", data)


def long_pdf(spec: ReportSpec) -> bytes:
    """Printed from Word at a large size: table 3 runs over three pages, its header printed
    once, and a row whose label wraps is split by a page break (splitInRow)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    if _PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(_PDF_FONT))
    body = ParagraphStyle("body", fontName=_PDF_FONT, fontSize=12, leading=20, wordWrap="CJK", firstLineIndent=24)
    title = ParagraphStyle("title", parent=body, fontSize=18, leading=26, alignment=1, firstLineIndent=0)
    cell = ParagraphStyle("cell", fontName=_PDF_FONT, fontSize=10, leading=15, wordWrap="CJK", alignment=1)
    story = []
    for block in report_blocks(spec):
        kind = block[0]
        if kind in ("title", "heading", "para"):
            story.append(Paragraph(html.escape(block[1]), title if kind == "title" else body))
            continue
        data, spans, ncols = pdf_table(block[1], cell)
        width = 17 * cm
        widths = ([1.2 * cm, 1.2 * cm, 3.4 * cm] + [(width - 5.8 * cm) / 7] * 7 if ncols == 10
                  else [width / ncols] * ncols)
        padding = 14 if ncols == 10 else 3
        table = Table(data, colWidths=widths, repeatRows=0, splitInRow=1)
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                                   ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                                   ("TOPPADDING", (0, 0), (-1, -1), padding),
                                   ("BOTTOMPADDING", (0, 0), (-1, -1), padding)] + spans))
        story.append(table)
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, leftMargin=2 * cm, rightMargin=2 * cm, topMargin=2 * cm,
                      bottomMargin=2 * cm, title=spec.title, author=spec.agency, invariant=1).build(story)
    return buffer.getvalue()


def _libreoffice(data: bytes, name: str, target: str, infilter: str | None = None) -> bytes:
    """Convert with LibreOffice headless (as an office would save it)."""
    with tempfile.TemporaryDirectory(prefix="ogi-world-") as folder:
        source = Path(folder) / name
        source.write_bytes(data)
        command = ["soffice", f"-env:UserInstallation={(Path(folder) / 'profile').as_uri()}", "--headless",
                   "--norestore"]
        if infilter:
            command.append(f"--infilter={infilter}")
        command += ["--convert-to", target, "--outdir", folder, str(source)]
        subprocess.run(command, check=True, capture_output=True, timeout=180, cwd=folder,
                       env={"PATH": "/usr/bin:/bin:/usr/local/bin", "HOME": folder, "LANG": "C.UTF-8"})
        made = Path(folder) / f"{source.stem}.{target.split(':')[0]}"
        if not made.exists():
            raise RuntimeError(f"LibreOffice wrote no {made.name} (is libreoffice installed? `make converters`)")
        return made.read_bytes()


def doc(spec: ReportSpec) -> bytes:
    return _libreoffice(render(spec, "docx"), "report.docx", "doc:MS Word 97")


def rtf(spec: ReportSpec) -> bytes:
    """The report as Word saves it as Rich Text (not published in the world: a test form)."""
    return _libreoffice(render(spec, "docx"), "report.docx", "rtf:Rich Text Format")


def sheet_html(spec: ReportSpec) -> str:
    """The report's title, headings and tables as one HTML page, the way a sheet holds them."""
    parts = ["<html><head><meta charset='utf-8'></head><body><table>"]
    for block in report_blocks(spec):
        if block[0] in ("title", "heading"):
            parts.append(f"<tr><td>{html.escape(block[1])}</td></tr>")
        elif block[0] == "table":
            parts.append("<tr><td></td></tr>")
            for row in block[1]:
                cells = "".join(
                    f"<td rowspan='{c.rowspan}' colspan='{c.colspan}'>{html.escape(c.text)}</td>" for c in row)
                parts.append(f"<tr>{cells}</tr>")
            parts.append("<tr><td></td></tr>")
    parts.append("</table></body></html>")
    return "".join(parts)


def xls(spec: ReportSpec) -> bytes:
    return _libreoffice(sheet_html(spec).encode("utf-8"), "report.html", "xls:MS Excel 97", "HTML (StarCalc)")


_OFD_NS = "http://www.ofdspec.org/2016"
_MM = 25.4 / 72  # PDF points to OFD millimetres


def _ofd_page(page, ids) -> str:
    """One page of the PDF as OFD Content.xml: a TextObject per word (DeltaX per character,
    as converters write them) and a PathObject per ruling line, in millimetres."""
    objects = []
    for word in page.extract_words(extra_attrs=["size"], x_tolerance=1.5, keep_blank_chars=False):
        size = word["size"] * _MM
        x, top, width = word["x0"] * _MM, word["top"] * _MM, (word["x1"] - word["x0"]) * _MM
        count = len(word["text"])
        deltas = f' DeltaX="g {count - 1} {width / count:.3f}"' if count > 1 else ""
        objects.append(f'<ofd:TextObject ID="{next(ids)}" Boundary="{x:.3f} {top:.3f} {width + size:.3f} {size * 1.2:.3f}" '
                       f'Font="2" Size="{size:.3f}"><ofd:TextCode X="0" Y="{size * 0.88:.3f}"{deltas}>'
                       f'{html.escape(word["text"], quote=False)}</ofd:TextCode></ofd:TextObject>')
    for edge in page.edges:
        x0, y0, x1, y1 = (v * _MM for v in (edge["x0"], edge["top"], edge["x1"], edge["bottom"]))
        if edge["orientation"] == "h":
            box, path = f"{x0:.3f} {y0 - 0.2:.3f} {x1 - x0:.3f} 0.4", f"M 0 0.2 L {x1 - x0:.3f} 0.2"
        else:
            box, path = f"{x0 - 0.2:.3f} {y0:.3f} 0.4 {y1 - y0:.3f}", f"M 0.2 0 L 0.2 {y1 - y0:.3f}"
        objects.append(f'<ofd:PathObject ID="{next(ids)}" Boundary="{box}" LineWidth="0.176">'
                       f'<ofd:AbbreviatedData>{path}</ofd:AbbreviatedData></ofd:PathObject>')
    return (f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{_OFD_NS}"><ofd:Content>'
            f'<ofd:Layer ID="{next(ids)}">{"".join(objects)}</ofd:Layer></ofd:Content></ofd:Page>')


def ofd(spec: ReportSpec) -> bytes:
    """The report's PDF as a PDF-to-OFD converter writes it (GB/T 33190: OFD.xml, Document.xml,
    one Content.xml a page), in a zip with fixed member times."""
    import itertools
    import zipfile

    import pdfplumber

    ids = itertools.count(3)
    with pdfplumber.open(io.BytesIO(render(spec, "pdf"))) as pdf:
        width, height = (round(v * _MM, 3) for v in (pdf.pages[0].width, pdf.pages[0].height))
        pages = [_ofd_page(page, ids) for page in pdf.pages]
    date = f"{spec.published:%Y-%m-%d}" if spec.published else "2020-01-01"
    members = {
        "OFD.xml": f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{_OFD_NS}" Version="1.1" DocType="OFD">'
                   f'<ofd:DocBody><ofd:DocInfo><ofd:DocID>{spec.id}</ofd:DocID><ofd:Title>{html.escape(spec.title)}</ofd:Title>'
                   f'<ofd:Author>{html.escape(spec.agency)}</ofd:Author><ofd:CreationDate>{date}</ofd:CreationDate>'
                   '<ofd:Creator>ogi sample portals</ofd:Creator></ofd:DocInfo>'
                   '<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>',
        "Doc_0/Document.xml": f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{_OFD_NS}"><ofd:CommonData>'
                              f'<ofd:MaxUnitID>{next(ids)}</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 {width} {height}'
                              '</ofd:PhysicalBox></ofd:PageArea><ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData>'
                              '<ofd:Pages>' + "".join(f'<ofd:Page ID="{1000 + n}" BaseLoc="Pages/Page_{n}/Content.xml"/>'
                                                      for n in range(len(pages))) + '</ofd:Pages></ofd:Document>',
        "Doc_0/PublicRes.xml": f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res xmlns:ofd="{_OFD_NS}" BaseLoc="Res">'
                               '<ofd:Fonts><ofd:Font ID="2" FontName="宋体" FamilyName="宋体"/></ofd:Fonts></ofd:Res>',
        **{f"Doc_0/Pages/Page_{n}/Content.xml": page for n, page in enumerate(pages)},
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for name, text in members.items():
            package.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), text.encode("utf-8"),
                             compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def files(spec: ReportSpec) -> list[bytes]:
    """The file(s) of a report delivered in one of FORMS."""
    if spec.delivery == "jpg":
        return jpg_pages(spec)
    maker = {"scan_pdf": scan_pdf, "half_scan_pdf": half_scan_pdf, "long_pdf": long_pdf, "doc": doc,
             "wps": doc, "xls": xls, "ofd": ofd}[spec.delivery]  # Kingsoft .wps: the Word 97 binary
    return [maker(spec)]
