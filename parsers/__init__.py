"""Parsers: bytes of one captured file in, a Report out. Pure: no network, no database.

    >>> from parsers import parse
    >>> report = parse(open("report.html", "rb").read(), name="t20250121_1.html")
    >>> report.status, report.table3["new_received"]["total"]

`parse` never raises for bad input: what went wrong is in Report.status and
Report.problems. An exception out of parsers/ is a bug.

Forms that need a tool first (archive/convert.py, archive/ocr.py at the edge) come with
what the tool derived: `converted`, the DOCX LibreOffice made of a .doc/.wps/.rtf, and
`ocr`, the OCR result of an image or of a PDF's scanned pages. Without it such a file is
a failed report that says which tool it needs.
"""

from __future__ import annotations

from parsers.charset import decode_text
from parsers.report import Report, failed_report, read_whole, report_from_document, same_reading
from parsers.sniff import detect_format

__all__ = ["parse", "Report", "detect_format", "decode_text"]

# Formats read only through what a converter made of them (archive.convert).
CONVERTED = ("doc", "wps", "rtf")


def parse(data: bytes, name: str = "", content_type: str | None = None, converted: bytes | None = None,
          ocr: bytes | dict | None = None) -> Report:
    """Sniff the format, build a Document, read the Report. Never raises for bad input."""
    from parsers import document as documents

    try:
        data = bytes(data or b"")
        kind = detect_format(data, name, content_type)
        if not data.strip():
            return failed_report("empty file")
        if kind in CONVERTED:
            if converted is None:
                return failed_report(f"{kind} file: needs conversion to DOCX (LibreOffice), none given")
            document = documents.document_from_docx(converted)
        elif kind == "image":
            if ocr is None:
                return failed_report("image: needs OCR, none given")
            document = documents.document_from_ocr(ocr)
        elif kind in ("xls", "xlsx"):
            document = documents.document_from_sheet(data)
        elif kind == "html":
            document = documents.document_from_html(data, url=name, content_type=content_type)
        elif kind == "pdf":
            cheap = documents.pdf_cheap_readings(data) if ocr is None else None
            report = _cheap_pdf_report(*cheap) if cheap is not None else None
            if report is not None:
                report.metadata.setdefault("format_detected", kind)
                return report
            document = documents.document_from_pdf(data, ocr=ocr)
        elif kind == "docx":
            document = documents.document_from_docx(data)
        elif kind == "ofd":
            document = documents.document_from_ofd(data)
        elif kind == "text":
            document = documents.document_from_text(decode_text(data))
        else:
            return failed_report(f"unknown format ({name or 'no name'}, {content_type or 'no content type'})")
        report = report_from_document(document)
        report.metadata.setdefault("format_detected", kind)
        return report
    except RecursionError:
        return failed_report("document nested too deeply to read")
    except Exception as error:  # noqa: BLE001 - the contract: bad input never raises
        return failed_report(f"parser error: {type(error).__name__}: {error}"[:300])


def _text_reading(text: str | None) -> Report | None:
    """The second cheap reading of a PDF: its plain text read as a text copy."""
    from parsers import document as documents

    return report_from_document(documents.document_from_text(text)) if text else None


def _cheap_pdf_report(document, text: str) -> Report | None:
    """The report of the cheap PDF readings where it can be kept: read whole, or confirmed
    cell for cell by the plain text read as a text copy. None: pdfplumber reads the file."""
    report = report_from_document(document)
    return report if read_whole(report) or same_reading(report, _text_reading(text), text) else None
