"""Write and read the WARC files under DIR/warc/ (warcio, gzip per record).

May touch: files inside the `warc_dir` it is given, and nothing else. It knows nothing
about the database: callers pass `revisit_of` (found in the captures index) and store the
`RecordLocation` this module returns.

Why these rules:
- File names come from a timestamp, a counter and random hex, never from URLs, and a file
  is opened with exclusive create ("xb"), so nothing is ever overwritten; a finished file
  (rotated away or left by an earlier process) is never appended to.
- The payload we are given is the body as it came over the wire (WarcArchiveMiddleware sits
  below Scrapy's HttpCompression), so a `Content-Encoding: gzip` body is stored gzipped
  with its headers unrenamed, as warcio's capture_http, Heritrix and Browsertrix store it;
  readers (pywb, warcio's content_stream(), `read_record` here) decode on read.
- Chunking is the exception: Scrapy's downloader has already joined the chunks, so the
  bytes we hold are not chunked. `Transfer-Encoding` is kept as
  `X-Archive-Orig-Transfer-Encoding` and `Content-Length` is the stored length (a
  `Content-Length` that disagrees with the stored bytes, e.g. a HEAD answer, is kept as
  `X-Archive-Orig-Content-Length`), so the HTTP block says exactly what it holds.
- Payload digests are sha256 of the stored (still compressed) bytes (base32 in the WARC
  header, hex in `payload_sha256`), so the captures index, the WARC and `warcio check`
  agree on one digest, and revisits compare what is stored.

Our own fields: each response/revisit record also carries what the crawler knew beyond
HTTP (portal, kind, referrer, link text, outcome, run; see OGI_FIELDS), and its WARC-Date
is the capture's fetched_at, so `archive.reindex` can rebuild a lost captures index exactly.

Reading: `read_record` returns the payload decoded (Content-Encoding undone, up to
DECODED_MAX_BYTES, so an archived gzip bomb cannot exhaust memory) for parsing and serving,
and the stored bytes as `raw_payload`.

Revisits: `read_record` returns a revisit record as it is (empty payload, `refers_to`
filled). Callers resolve it to the original bytes through the captures index:
`archive.captures.read_capture(db, warc_dir, capture)` follows `captures.refers_to`.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import secrets
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote, urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import BufferedReader
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

# Our own WARC named fields (WARC 1.1 allows fields it does not define; readers ignore
# them) on each response/revisit record: what the crawler knew about the fetch beyond
# HTTP, so a lost captures index can be rebuilt from the WARCs alone (archive.reindex).
# captures column -> field name. Not "WARC-" (the standard's namespace), not "X-" (RFC 6648).
OGI_FIELDS = {
    "portal_id": "Ogi-Portal",
    "kind": "Ogi-Kind",
    "referrer": "Ogi-Referrer",
    "link_text": "Ogi-Link-Text",
    "outcome": "Ogi-Outcome",  # the crawler's judgement when it wrote the record
    "run_id": "Ogi-Run",  # the crawl_runs.id of the database that wrote it (a grouping key)
}

# Fields of a `conversion` record: the tool that derived it and how (archive.derive).
CONVERSION_FIELDS = {
    "tool": "Ogi-Tool",  # name and version, e.g. "LibreOffice 7.4.7.2"
    "source_sha256": "Ogi-Source-Sha256",  # the payload it was derived from
    "pages": "Ogi-Pages",  # the PDF pages OCR read (0-based, comma-separated); absent: all
    "seconds": "Ogi-Seconds",
}

IDENTICAL_PAYLOAD = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
SERVER_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"

# Decoding an archived payload stops past this many bytes (above DOWNLOAD_MAXSIZE's default).
DECODED_MAX_BYTES = 256 * 1024 * 1024


class UndecodablePayload(ValueError):
    """A stored payload whose Content-Encoding we cannot undo (unknown coding, or it
    decodes past DECODED_MAX_BYTES). The stored bytes are untouched in the WARC."""


@dataclass(frozen=True)
class RecordLocation:
    """Where one response/revisit record sits: enough for a captures row."""

    warc_file: str  # file name under warc_dir
    offset: int
    length: int
    record_id: str
    payload_sha256: str  # hex; for a revisit, the digest of the original payload
    record_type: str = "response"  # response | revisit: what write_exchange decided to write


@dataclass
class ArchivedResponse:
    """One archived HTTP response as a reader sees it."""

    url: str
    status: int | None
    headers: list[tuple[str, str]]
    payload: bytes  # decoded: Content-Encoding undone
    content_type: str | None
    record_type: str  # response | revisit
    raw_payload: bytes = b""  # the bytes as stored (as received over the wire)
    record_id: str = ""
    warc_date: str = ""
    refers_to: str | None = None  # WARC-Refers-To of a revisit
    refers_to_target_uri: str | None = None
    refers_to_date: str | None = None
    profile: str | None = None


def sha256_hex(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def warc_digest(sha256_hex_value: str) -> str:
    """The WARC header form of a sha256 digest: `sha256:BASE32`."""
    return "sha256:" + base64.b32encode(bytes.fromhex(sha256_hex_value)).decode("ascii")


def warc_date(when: datetime | str | None) -> str:
    """ISO-8601 UTC with a Z, as WARC-Date wants; accepts datetimes or ISO strings."""
    if when is None:
        when = datetime.now(timezone.utc)
    if isinstance(when, str):
        when = datetime.fromisoformat(when.replace("Z", "+00:00"))
    if when.tzinfo is not None:
        when = when.astimezone(timezone.utc).replace(tzinfo=None)
    return datetime_to_iso_date(when, use_micros=True)


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)


class WarcWriter:
    """Append exchanges to size-rotated `.warc.gz` files in `warc_dir`.

    One writer owns one open file at a time; each new writer (each crawl run, each
    restart after a kill) starts a new file.
    """

    def __init__(self, warc_dir: Path, max_bytes: int = 100_000_000, prefix: str = "ogi",
                 fsync: bool = False):
        self.warc_dir = Path(warc_dir)
        self.warc_dir.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self.prefix = prefix
        self.fsync = fsync
        self._counter = 0
        self._file = None
        self._name: str | None = None
        self._writer: WARCWriter | None = None

    # -- files -------------------------------------------------------------------------
    def _new_file_name(self) -> str:
        self._counter += 1
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S%f")
        return f"{self.prefix}-{stamp}-{self._counter:05d}-{secrets.token_hex(4)}.warc.gz"

    def _open(self) -> None:
        while True:
            name = self._new_file_name()
            try:
                self._file = open(self.warc_dir / name, "xb")
                break
            except FileExistsError:  # pragma: no cover - random suffix makes this rare
                continue
        self._name = name
        self._writer = WARCWriter(self._file, gzip=True, warc_version="1.1")
        info = self._writer.create_warcinfo_record(
            name, {"software": "ogi-archive crawler (warcio)", "format": "WARC File Format 1.1"}
        )
        self._writer.write_record(info)
        self._flush()

    def _flush(self) -> None:
        self._file.flush()
        if self.fsync:
            os.fsync(self._file.fileno())

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        self._file = self._writer = self._name = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- records -----------------------------------------------------------------------
    def write_exchange(
        self,
        url: str,
        request_headers,
        request_body: bytes | None,
        status: int,
        reason: str,
        response_headers: list[tuple],
        payload: bytes,
        fetched_at: datetime | str | None,
        revisit_of: dict | None = None,
        method: str = "GET",
        annotations: dict | None = None,
    ) -> RecordLocation:
        """Write a `request` record and then a `response` (or `revisit`) record.

        `revisit_of` is a previous capture of the same payload (or, for a 304, of the
        same URL): {"url", "fetched_at", "record_id", "payload_sha256"}. A revisit is
        written only when it really holds: status 304 (server-not-modified) or the
        payload's sha256 equals `revisit_of["payload_sha256"]` (identical-payload-digest).
        `annotations` ({captures column: value}, keys of OGI_FIELDS) go on the
        response/revisit record as our own named fields; None values are left out.
        Returns the location of the response/revisit record.
        """
        if self._file is None:
            self._open()
        payload = payload or b""
        date = warc_date(fetched_at)
        digest_hex = sha256_hex(payload)
        w = self._writer

        profile = None
        if revisit_of:
            if status == 304:
                profile = SERVER_NOT_MODIFIED
                digest_hex = revisit_of.get("payload_sha256") or digest_hex
            elif revisit_of.get("payload_sha256") == digest_hex:
                profile = IDENTICAL_PAYLOAD

        http_headers = self._response_headers(status, reason, response_headers, payload)
        if profile:
            record = w.create_revisit_record(
                url,
                digest=warc_digest(digest_hex),
                refers_to_uri=revisit_of["url"],
                refers_to_date=warc_date(revisit_of["fetched_at"]),
                http_headers=http_headers,
                warc_headers_dict={"WARC-Date": date},
            )
            record.rec_headers.replace_header("WARC-Profile", profile)
            if revisit_of.get("record_id"):
                record.rec_headers.add_header("WARC-Refers-To", revisit_of["record_id"])
        else:
            record = w.create_warc_record(
                url,
                "response",
                payload=io.BytesIO(payload),
                length=len(payload),
                http_headers=http_headers,
                warc_headers_dict={
                    "WARC-Date": date,
                    "WARC-Payload-Digest": warc_digest(digest_hex),
                },
            )
        for column, value in (annotations or {}).items():
            if value is not None:
                record.rec_headers.add_header(OGI_FIELDS[column], field_value(value))
        record_id = record.rec_headers.get_header("WARC-Record-ID")

        request = self._request_record(url, method, request_headers, request_body, date, record_id)
        w.write_record(request)
        offset = self._file.tell()
        w.write_record(record)
        self._flush()
        end = self._file.tell()
        location = RecordLocation(self._name, offset, end - offset, record_id, digest_hex,
                                  "revisit" if profile else "response")
        if end >= self.max_bytes:
            self.close()
        return location

    def write_conversion(self, url: str, refers_to: str | None, payload: bytes, content_type: str,
                         fields: dict) -> RecordLocation:
        """Write a `conversion` record: what a tool (LibreOffice, OCR) derived from the
        response record `refers_to` of `url`. `fields` ({CONVERSION_FIELDS key: value})
        name the tool, its version and its time, so a reader sees exactly where a text came from."""
        if self._file is None:
            self._open()
        digest_hex = sha256_hex(payload)
        headers = {"WARC-Date": warc_date(None), "Content-Type": content_type,
                   "WARC-Payload-Digest": warc_digest(digest_hex)}
        if refers_to:
            headers["WARC-Refers-To"] = refers_to
        record = self._writer.create_warc_record(url, "conversion", payload=io.BytesIO(payload),
                                                 length=len(payload), warc_headers_dict=headers)
        for key, value in fields.items():
            if value is not None:
                record.rec_headers.add_header(CONVERSION_FIELDS[key], field_value(value))
        offset = self._file.tell()
        self._writer.write_record(record)
        self._flush()
        end = self._file.tell()
        location = RecordLocation(self._name, offset, end - offset, record.rec_headers.get_header("WARC-Record-ID"),
                                  digest_hex, "conversion")
        if end >= self.max_bytes:
            self.close()
        return location

    def _response_headers(self, status, reason, response_headers, payload) -> StatusAndHeaders:
        """The response's headers as received, except where they would misdescribe the
        stored block: chunking (already undone by the downloader) and a Content-Length
        that is not the stored length."""
        headers: list[tuple[str, str]] = []
        for name, value in response_headers or []:
            name, value = _text(name), _text(value)
            lower = name.lower()
            if lower == "transfer-encoding":
                headers.append(("X-Archive-Orig-" + name, value))
            elif lower == "content-length" and (status == 304 or value.strip() != str(len(payload))):
                headers.append(("X-Archive-Orig-" + name, value))
            elif lower != "content-length":
                headers.append((name, value))
        if status != 304:
            headers.append(("Content-Length", str(len(payload))))
        statusline = f"{int(status)} {reason or ''}".strip()
        return StatusAndHeaders(statusline, headers, protocol="HTTP/1.1")

    def _request_record(self, url, method, request_headers, body, date, concurrent_to):
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = [(_text(k), _text(v)) for k, v in _header_pairs(request_headers)]
        if not any(k.lower() == "host" for k, _ in headers):
            headers.insert(0, ("Host", parts.netloc))
        http = StatusAndHeaders(f"{method} {target}", headers, protocol="HTTP/1.1",
                                is_http_request=True)
        body = body or b""
        return self._writer.create_warc_record(
            url,
            "request",
            payload=io.BytesIO(body),
            length=len(body),
            http_headers=http,
            warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": concurrent_to},
        )


_FIELD_UNSAFE = re.compile(r"[%\x00-\x1f\x7f]|^\s|\s$")


def field_value(value) -> str:
    """A value as one WARC header line: UTF-8 as is (WARC 1.1 allows it), but '%', control
    characters (a newline would end the field) and edge white space percent-escaped, so
    `read_annotations` gives back exactly the value written."""
    return _FIELD_UNSAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode("utf-8")), str(value))


def read_annotations(rec_headers) -> dict:
    """The OGI_FIELDS a record carries, as {captures column: value}; absent ones are left out."""
    found = {}
    for column, name in OGI_FIELDS.items():
        value = rec_headers.get_header(name)
        if value is not None:
            found[column] = unquote(value)
    if "run_id" in found:
        found["run_id"] = int(found["run_id"]) if found["run_id"].isdigit() else None
    return found


def _header_pairs(headers):
    """Accept a list of pairs, a dict, or Scrapy's Headers (values are lists)."""
    if headers is None:
        return []
    items = headers.items() if hasattr(headers, "items") else headers
    pairs = []
    for name, value in items:
        if isinstance(value, (list, tuple)):
            pairs.extend((name, v) for v in value)
        else:
            pairs.append((name, value))
    return pairs


RECORD_STARTS = (b"\x1f\x8b", b"WARC/")  # a gzip member (each record is one), or a plain record


def _record_starts_here(stream, offset: int, warc_path: Path) -> None:
    """Refuse an offset that is not a record's first byte. warcio, handed one, reads on
    as plain text and may come back with some later record: not this capture's."""
    head = stream.read(5)
    stream.seek(offset)
    if not head.startswith(RECORD_STARTS):
        raise ValueError(f"no WARC record starts at offset {offset} of {warc_path.name}")


def read_record(warc_path: Path, offset: int, max_decoded: int = DECODED_MAX_BYTES) -> ArchivedResponse:
    """Read the response or revisit record starting at `offset` in `warc_path`.

    `payload` is decoded (Content-Encoding undone), `raw_payload` is the stored bytes.
    Raises UndecodablePayload when the coding is unknown or decodes past `max_decoded`.
    A revisit comes back with an empty payload and `refers_to*` set; resolve it with
    `archive.captures.read_capture`, which looks the original up in the captures index.
    """
    with open(warc_path, "rb") as stream:
        stream.seek(offset)
        _record_starts_here(stream, offset, warc_path)
        for record in ArchiveIterator(stream):
            if record.rec_type not in ("response", "revisit"):
                # a wrong offset that happens to land before some other record: not this capture
                raise ValueError(f"no response record at offset {offset} of {warc_path.name}: "
                                 f"found a {record.rec_type} record")
            http = record.http_headers
            headers = http.headers if http else []
            status = http.get_statuscode() if http else None
            raw = record.raw_stream.read() if record.rec_type != "revisit" else b""
            coding = http.get_header("Content-Encoding") if http else None
            content_type = http.get_header("Content-Type") if http else None
            rh = record.rec_headers
            return ArchivedResponse(
                url=rh.get_header("WARC-Target-URI"),
                status=int(status) if status and str(status).isdigit() else None,
                headers=[(k, v) for k, v in headers],
                payload=decode_payload(raw, coding, max_decoded),
                raw_payload=raw,
                content_type=content_type,
                record_type=record.rec_type,
                record_id=rh.get_header("WARC-Record-ID"),
                warc_date=rh.get_header("WARC-Date"),
                refers_to=rh.get_header("WARC-Refers-To"),
                refers_to_target_uri=rh.get_header("WARC-Refers-To-Target-URI"),
                refers_to_date=rh.get_header("WARC-Refers-To-Date"),
                profile=rh.get_header("WARC-Profile"),
            )
    raise ValueError(f"no WARC record at offset {offset} in {warc_path}")


def read_conversion(warc_path: Path, offset: int) -> bytes:
    """The payload of the conversion record at `offset` of `warc_path`."""
    with open(warc_path, "rb") as stream:
        stream.seek(offset)
        _record_starts_here(stream, offset, warc_path)
        for record in ArchiveIterator(stream):
            if record.rec_type != "conversion":
                raise ValueError(f"no conversion record at offset {offset} of {warc_path.name}: "
                                 f"found a {record.rec_type} record")
            return record.content_stream().read()
    raise ValueError(f"no WARC record at offset {offset} in {warc_path}")


MEMBER_CHUNK = 1 << 20


def gzip_member(path: Path, offset: int = 0) -> tuple[int | None, str | None]:
    """(end offset, None) of the gzip member starting at `offset`, or (None, why it is not
    whole). Each record is one gzip member, so a whole member is a whole record: the one
    test of a torn tail, for the crawl's repair and for `ogi reindex`."""
    member = zlib.decompressobj(wbits=31)
    read = 0
    with open(path, "rb") as stream:
        stream.seek(offset)
        try:
            while chunk := stream.read(MEMBER_CHUNK):
                read += len(chunk)
                member.decompress(chunk, 0)
                while member.unconsumed_tail:
                    member.decompress(member.unconsumed_tail, 0)
                if member.eof:
                    return offset + read - len(member.unused_data), None
        except zlib.error as error:
            return None, f"corrupt gzip member ({error})"
    return None, "torn record: the file ends inside it (a killed crawl?)"


def decode_payload(raw: bytes, content_encoding: str | None, max_decoded: int = DECODED_MAX_BYTES) -> bytes:
    """Undo `Content-Encoding` (gzip/x-gzip, deflate, br, zstd; a list is undone last
    coding first), reading at most `max_decoded` bytes. gzip and deflate go through
    warcio's decompressors, the ones its content_stream() uses; br and zstd through the
    brotli and zstd libraries directly (warcio's br hook breaks on brotli 1.2, and it has
    no zstd), each with an output limit, so a bomb is refused without being inflated.

    Like warcio, a body labelled with a coding it is not in at all is taken as it is
    (servers mislabel); an unknown coding is an UndecodablePayload, never silently raw bytes.
    """
    codings = [c.strip().lower() for c in (content_encoding or "").split(",")]
    codings = [c for c in codings if c and c != "identity"]
    body = raw
    for coding in reversed(codings):
        coding = "gzip" if coding == "x-gzip" else coding
        if coding in STREAM_DECODERS:
            decoded = STREAM_DECODERS[coding](body, max_decoded + 1)
        elif coding in BufferedReader.get_supported_decompressors() and coding != "br":
            decoded = BufferedReader(io.BytesIO(body), decomp_type=coding).read(max_decoded + 1)
        else:
            raise UndecodablePayload(f"cannot decode Content-Encoding {coding!r} "
                                     f"(supported: gzip, x-gzip, deflate, {', '.join(STREAM_DECODERS)})")
        if len(decoded) > max_decoded:
            raise UndecodablePayload(f"{coding} payload of {len(raw)} stored bytes decodes past "
                                     f"{max_decoded} bytes (a decompression bomb?)")
        body = decoded
    return body


def _brotli_decoded(body: bytes, limit: int) -> bytes:
    """At most about `limit` bytes of a brotli body (more than `limit` when it holds more);
    the body as it is when it is not brotli at all."""
    import brotli

    decompressor = brotli.Decompressor()
    try:
        decoded = decompressor.process(body, output_buffer_limit=limit)
    except brotli.error:
        return body
    if not decoded and not decompressor.is_finished():
        return body  # consumed without a byte out: not brotli (a truncated one still gives its start)
    return decoded


def _zstd_decoded(body: bytes, limit: int) -> bytes:
    """At most `limit` bytes of a zstd body's first frame; the body as it is when it is not
    zstd at all."""
    try:
        from compression import zstd  # Python 3.14
    except ImportError:
        from backports import zstd

    try:
        return zstd.ZstdDecompressor().decompress(body, max_length=limit)
    except zstd.ZstdError:
        return body


STREAM_DECODERS = {"br": _brotli_decoded, "zstd": _zstd_decoded}
