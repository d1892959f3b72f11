"""What a payload needs before the parser can read it: a DOCX from LibreOffice, an OCR result.

May touch: DIR/ogi.db (the `conversions` index, `errors` rows of stage "load" for a
conversion that failed) and DIR/warc/conversions/*.warc.gz (new files only). Never the
response records: the original bytes are never altered.

Why keep what was derived: OCR is seconds a page and the conversion is evidence of which
text every number came from, so each result is written once as a WARC `conversion`
record (WARC-Refers-To the response record, the tool and its version in Ogi- fields) and
indexed; the next load, `--rebuild` included, reads it back. A failure is not kept: a
newer LibreOffice may read the file, so the next load tries again.

Which payloads: parsers decides (sniff.detect_format; pdf_document.scanned_pages says
which pages of a PDF are scans, so a half-scanned PDF OCRs only its scanned half).
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from archive import convert, ocr
from archive.warc import WarcWriter, read_conversion
from parsers import CONVERTED, detect_format
from parsers.ocr_document import merge_ocr
from parsers.pdf_document import scanned_pages

CONVERSIONS_FOLDER = "conversions"  # under DIR/warc; not a crawl WARC (repair_warcs globs warc/*.warc.gz)


@dataclass
class Inputs:
    """The parser's extra arguments for one payload, and why one could not be made."""

    kwargs: dict = field(default_factory=dict)  # converted=… or ocr=…
    problems: list[str] = field(default_factory=list)
    reused: int = 0
    made: int = 0


@dataclass
class Job:
    kind: str  # docx | ocr: the conversions.kind
    pages: str  # the PDF pages OCR reads, '' for all
    argument: str  # the parsers.parse keyword it feeds
    run: Callable[[], convert.Derived]


def job_for(url: str, payload: bytes, content_type: str | None, ocr_threads: int = 1,
            time_limit: float | None = None) -> Job | None:
    """The tool a payload needs before it can be parsed, or None. `time_limit` (seconds)
    overrides each tool's own."""
    kind = detect_format(payload, url, content_type)
    if kind in CONVERTED:
        return Job("docx", "", "converted",
                   lambda: convert.to_docx(payload, kind, time_limit=time_limit or convert.TIME_LIMIT))
    if kind == "image":
        return Job("ocr", "", "ocr", lambda: ocr.ocr_pages(payload, "image", threads=ocr_threads, time_limit=time_limit))
    if kind == "pdf":
        pages = scanned_pages(payload)
        if pages:
            return Job("ocr", ",".join(map(str, pages)), "ocr",
                       lambda: ocr.ocr_pages(payload, "pdf", pages=pages, threads=ocr_threads,
                                             time_limit=time_limit))
    return None


def derive_once(name: str, payload: bytes | list[bytes], ocr_threads: int = 1) -> Inputs:
    """The conversion a file outside any archive needs (`ogi parse`): made, not kept.
    A list of images is one report's pages, read as one."""
    if isinstance(payload, list):
        parts = [derive_once(name, page, ocr_threads) for page in payload]
        found = [part.kwargs["ocr"] for part in parts if "ocr" in part.kwargs]
        return Inputs({"ocr": merge_ocr(found)} if found else {},
                      [problem for part in parts for problem in part.problems], made=len(found))
    job = job_for(name, payload, None, ocr_threads)
    if job is None:
        return Inputs()
    result = job.run()
    if result.data is None:
        return Inputs(problems=[result.reason or f"{result.tool}: failed"])
    return Inputs({job.argument: result.data}, made=1)


class Deriver:
    """One per load: finds or makes each payload's conversion and keeps new ones."""

    def __init__(self, conn: sqlite3.Connection, warc_dir: Path, ocr_threads: int = 1,
                 time_limit: float | None = None):
        self.conn = conn
        self.folder = Path(warc_dir) / CONVERSIONS_FOLDER
        self.ocr_threads = ocr_threads
        self.time_limit = time_limit
        self._writer: WarcWriter | None = None

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()

    def inputs(self, url: str, payload: bytes, content_type: str | None, sha256: str,
               record_id: str | None) -> Inputs:
        job = job_for(url, payload, content_type, self.ocr_threads, self.time_limit)
        if job is None:
            return Inputs()
        found = self.conn.execute(
            "select warc_file, warc_offset from conversions where source_sha256 = ? and kind = ? and pages = ?",
            (sha256, job.kind, job.pages)).fetchone()
        if found is not None:
            return Inputs({job.argument: read_conversion(self.folder / found[0], found[1])}, reused=1)
        result = job.run()
        if result.data is None:
            return Inputs(problems=[result.reason or f"{result.tool}: failed"])
        self.keep(url, record_id, sha256, job.kind, job.pages, result)
        return Inputs({job.argument: result.data}, made=1)

    def image_pages(self, images: list[tuple]) -> Inputs:
        """Several images of one report (the pages a detail page links): each OCR'd and
        kept on its own, then read as one multi-page result in the order given.
        `images` are (url, payload, content_type, sha256, record_id)."""
        found: list[bytes] = []
        out = Inputs()
        for image in images:
            one = self.inputs(*image)
            out.made, out.reused = out.made + one.made, out.reused + one.reused
            out.problems += one.problems
            if "ocr" in one.kwargs:
                found.append(one.kwargs["ocr"])
        if found:
            out.kwargs["ocr"] = merge_ocr(found)
        return out

    def keep(self, url: str, record_id: str | None, sha256: str, what: str, pages: str,
             result: convert.Derived) -> None:
        if self._writer is None:
            self._writer = WarcWriter(self.folder, prefix="ogi-conversions")
        location = self._writer.write_conversion(
            url, record_id, result.data, result.content_type,
            {"tool": result.tool, "source_sha256": sha256, "pages": pages or None,
             "seconds": f"{result.seconds:.3f}"})
        _insert(self.conn, {
            "source_sha256": sha256, "kind": what, "pages": pages, "tool": result.tool,
            "content_type": result.content_type, "source_url": url, "refers_to": record_id,
            "warc_file": location.warc_file, "warc_offset": location.offset, "warc_length": location.length,
            "record_id": location.record_id, "sha256": location.payload_sha256, "seconds": round(result.seconds, 3),
            "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds")})


def _insert(conn: sqlite3.Connection, row: dict) -> int:
    """One `conversions` row; an already indexed (payload, kind, pages) is left as it is."""
    cursor = conn.execute(f"insert or ignore into conversions ({', '.join(row)}) values ({', '.join('?' * len(row))})",
                          list(row.values()))
    return cursor.rowcount


def reindex_conversions(conn: sqlite3.Connection, warc_dir: Path) -> int:
    """Index the conversion records of DIR/warc/conversions/ the `conversions` table lacks
    (after ogi.db was lost: `ogi reindex`), from the records' own fields. Returns how many."""
    from urllib.parse import unquote

    from warcio.archiveiterator import ArchiveIterator

    from archive.warc import CONVERSION_FIELDS

    added = 0
    for path in sorted((Path(warc_dir) / CONVERSIONS_FOLDER).glob("*.warc.gz")):
        with open(path, "rb") as stream:
            records = ArchiveIterator(stream)
            for record in records:
                if record.rec_type != "conversion":
                    continue
                headers = record.rec_headers
                payload = record.content_stream().read()
                fields = {key: unquote(headers.get_header(name) or "") for key, name in CONVERSION_FIELDS.items()}
                kind = "ocr" if "ocr" in (headers.get_header("Content-Type") or "") else "docx"
                added += _insert(conn, {
                    "source_sha256": fields["source_sha256"], "kind": kind, "pages": fields["pages"],
                    "tool": fields["tool"], "content_type": headers.get_header("Content-Type"),
                    "source_url": headers.get_header("WARC-Target-URI"),
                    "refers_to": headers.get_header("WARC-Refers-To"), "warc_file": path.name,
                    "warc_offset": records.get_record_offset(), "warc_length": records.get_record_length(),
                    "record_id": headers.get_header("WARC-Record-ID"), "sha256": hashlib.sha256(payload).hexdigest(),
                    "seconds": float(fields["seconds"] or 0), "created_at": headers.get_header("WARC-Date")})
    return added
