"""Parsers: bytes of one captured file in, a Report out. Pure: no network, no database.

    >>> from parsers import parse
    >>> report = parse(open("report.html", "rb").read(), name="t20250121_1.html")
    >>> report.status, report.table3["new_received"]["total"]

`parse` never raises for bad input: what went wrong is in Report.status and
Report.problems. An exception out of parsers/ is a bug.
"""

from __future__ import annotations

from parsers.charset import decode_text
from parsers.report import Report, failed_report, report_from_document
from parsers.sniff import detect_format

__all__ = ["parse", "Report", "detect_format", "decode_text"]

UNSUPPORTED = ("doc", "wps", "ofd", "xls", "xlsx", "rtf", "image")


def parse(data: bytes, name: str = "", content_type: str | None = None) -> Report:
    """Sniff the format, build a Document, read the Report. Never raises for bad input."""
    from parsers import document as documents

    try:
        data = bytes(data or b"")
        kind = detect_format(data, name, content_type)
        if not data.strip():
            return failed_report("empty file")
        if kind in UNSUPPORTED:
            return failed_report(f"unsupported format: {kind} (not yet read)")
        if kind == "html":
            document = documents.document_from_html(data, url=name, content_type=content_type)
        elif kind == "pdf":
            document = documents.document_from_pdf(data)
        elif kind == "docx":
            document = documents.document_from_docx(data)
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
