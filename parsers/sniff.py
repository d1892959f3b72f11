"""Which format a payload is in: magic bytes first, then file name, then content type.

A portal's Content-Type and file extension are often wrong (PDFs served as
application/octet-stream, .doc files that are really .docx), so the bytes decide when they
can. This module is the one place that maps extensions and content types to formats: the
loader's source form, the reindexer's and the crawler's idea of an attachment ask it. Pure.
"""

from __future__ import annotations

import io
import re
import zipfile

# Formats a report can be published in as a file of its own (an attachment to a page).
DOCUMENT_FORMATS = frozenset({"pdf", "docx", "doc", "wps", "ofd", "xls", "xlsx", "rtf"})

_EXTENSIONS = {
    "html": "html", "htm": "html", "shtml": "html", "jsp": "html", "php": "html", "asp": "html",
    "aspx": "html", "txt": "text", "md": "text", "pdf": "pdf", "docx": "docx", "doc": "doc",
    "wps": "wps", "ofd": "ofd", "xls": "xls", "xlsx": "xlsx", "et": "xls", "rtf": "rtf",
    "jpg": "image", "jpeg": "image", "png": "image", "gif": "image", "bmp": "image", "tif": "image",
    "tiff": "image", "webp": "image",
}
_CONTENT_TYPES = (
    ("html", "html"), ("pdf", "pdf"), ("wordprocessingml", "docx"), ("msword", "doc"),
    ("spreadsheetml", "xlsx"), ("ms-excel", "xls"), ("rtf", "rtf"), ("ofd", "ofd"),
    ("wps", "wps"), ("image/", "image"), ("text/plain", "text"),
)
_IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\x00", b"MM\x00*", b"RIFF")


def _zip_kind(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError, RuntimeError):
        return None
    if "word/document.xml" in names:
        return "docx"
    if any(name.startswith("xl/") for name in names):
        return "xlsx"
    if "OFD.xml" in names or any(name.lower().endswith("ofd.xml") for name in names):
        return "ofd"
    return None


def _ole_kind(data: bytes) -> str:
    """doc, xls or wps inside an OLE2 compound file, by the stream names it contains."""
    head = data[:65536]
    if "WordDocument".encode("utf-16-le") in head:
        return "doc"
    if "Workbook".encode("utf-16-le") in head or "Book".encode("utf-16-le") in head:
        return "xls"
    return "doc"


def format_from_name(name: str) -> str | None:
    """The format a file name or URL path's extension names, if any."""
    match = re.search(r"\.([A-Za-z0-9]{1,5})(?:[?#].*)?$", name or "")
    return _EXTENSIONS.get(match.group(1).lower()) if match else None


def format_from_content_type(content_type: str | None) -> str | None:
    lowered = (content_type or "").lower()
    return next((kind for needle, kind in _CONTENT_TYPES if needle in lowered), None)


def declared_format(url: str | None, content_type: str | None) -> str:
    """What a response says it is, without its bytes: content type first, then the URL's
    extension; "other" when neither says (html, pdf, docx, doc, wps, … text, image)."""
    return (format_from_content_type(content_type)
            or format_from_name((url or "").split("?", 1)[0]) or "other")



def detect_format(data: bytes, name: str = "", content_type: str | None = None) -> str:
    """html, text, pdf, docx, doc, wps, ofd, xls, xlsx, rtf, image or unknown. Never raises."""
    data = data or b""
    head = data[:1024].lstrip(b"\xef\xbb\xbf\r\n\t ")
    if head.startswith(b"%PDF") or b"%PDF-" in data[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        kind = _zip_kind(data)
        if kind:
            return kind
        by_name = format_from_name(name)
        if by_name in ("docx", "xlsx", "ofd", "wps"):
            return by_name
        return "unknown"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        by_name = format_from_name(name)
        if by_name in ("wps", "xls", "doc"):
            return by_name
        return _ole_kind(data)
    if head.startswith(b"{\\rtf"):
        return "rtf"
    if any(head.startswith(magic) for magic in _IMAGE_MAGIC):
        return "image"
    lowered = head[:512].lower()
    if lowered.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<html" in lowered or b"<body" in lowered \
            or b"<div" in lowered or b"<p" in lowered or b"<table" in lowered or b"<meta" in lowered:
        return "html"
    by_name = format_from_name(name)
    if by_name:
        return by_name
    declared = format_from_content_type(content_type)
    if declared:
        return declared
    if not data.strip():
        return "unknown"
    if b"\x00" not in data[:4096]:
        return "text"
    return "unknown"
