"""WARC files we write open with standard tools (warcio check/index, cdxj-indexer) and read
back; a compressed response is stored as received and decoded on read."""

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive import captures
from archive.schema import open_db
from archive.warc import (IDENTICAL_PAYLOAD, SERVER_NOT_MODIFIED, UndecodablePayload, WarcWriter,
                          read_record, sha256_hex, warc_digest)

WARCIO = str(Path(sys.executable).with_name("warcio"))
CDXJ_INDEXER = str(Path(sys.executable).with_name("cdxj-indexer"))
URL = "http://127.0.0.1:8001/zfxxgk/zfxxgknb/t20240115_1.html"
BODY = "<html><body>2023年政府信息公开工作年度报告</body></html>".encode("gbk")


def write_one(writer, url=URL, body=BODY, status=200, revisit_of=None, headers=None):
    return writer.write_exchange(
        url, [("User-Agent", "ogi-test")], None, status, "OK",
        headers or [("Content-Type", "text/html"), ("Content-Length", str(len(body)))],
        body, "2024-03-01T08:00:00+00:00", revisit_of=revisit_of)


def test_round_trip_and_warcio_tools(tmp_path):
    with WarcWriter(tmp_path) as writer:
        loc = write_one(writer)
    files = list(tmp_path.glob("*.warc.gz"))
    assert [f.name for f in files] == [loc.warc_file]
    assert "127.0.0.1" not in loc.warc_file and "zfxxgk" not in loc.warc_file
    check = subprocess.run([WARCIO, "check", "-v", str(files[0])], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "digest pass" in check.stdout
    index = subprocess.run([WARCIO, "index", "-f", "warc-type,warc-target-uri,offset", str(files[0])],
                           capture_output=True, text=True, check=True)
    entries = [json.loads(line) for line in index.stdout.splitlines()]
    assert [e["warc-type"] for e in entries] == ["warcinfo", "request", "response"]
    assert int(entries[2]["offset"]) == loc.offset

    back = read_record(files[0], loc.offset)
    assert back.payload == BODY == back.raw_payload and back.status == 200 and back.url == URL
    assert back.record_type == "response"
    assert loc.payload_sha256 == sha256_hex(BODY)


def gzip_exchange(writer, body=BODY, extra=()):
    wire = gzip.compress(body, mtime=0)
    headers = [("Content-Type", "text/html"), ("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding"),
               ("Content-Length", str(len(wire))), *extra]
    return wire, write_one(writer, body=wire, headers=headers)


def test_a_gzip_response_is_stored_as_received_and_read_back_decoded(tmp_path):
    with WarcWriter(tmp_path) as writer:
        wire, loc = gzip_exchange(writer)
    path = tmp_path / loc.warc_file
    check = subprocess.run([WARCIO, "check", "-v", str(path)], capture_output=True, text=True)
    assert check.returncode == 0 and "digest pass" in check.stdout, check.stdout + check.stderr
    seen = []
    for read in ("content", "raw"):
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type != "response":
                    continue
                assert record.http_headers.get_header("Content-Encoding") == "gzip"
                assert record.http_headers.get_header("Content-Length") == str(len(wire))
                assert record.rec_headers.get_header("WARC-Payload-Digest") == warc_digest(sha256_hex(wire))
                seen.append(record.content_stream().read() if read == "content" else record.raw_stream.read())
    assert seen == [BODY, wire]  # warcio decodes on read; the block holds the wire bytes
    back = read_record(path, loc.offset)
    assert back.raw_payload == wire and back.payload == BODY
    assert loc.payload_sha256 == sha256_hex(wire)
    assert ("Content-Encoding", "gzip") in back.headers


def test_chunked_framing_is_renamed_and_content_length_tells_the_stored_length(tmp_path):
    """Scrapy joins chunks before we see the body: the record must not claim chunking."""
    body = b"<p>" + BODY * 50 + b"</p>"
    with WarcWriter(tmp_path) as writer:
        loc = write_one(writer, body=body, headers=[("Content-Type", "text/html"), ("Transfer-Encoding", "chunked")])
        head = write_one(writer, body=b"", headers=[("Content-Type", "text/html"), ("Content-Length", "999")])
    path = tmp_path / loc.warc_file
    assert subprocess.run([WARCIO, "check", str(path)]).returncode == 0
    back = dict((k.lower(), v) for k, v in read_record(path, loc.offset).headers)
    assert "transfer-encoding" not in back and back["x-archive-orig-transfer-encoding"] == "chunked"
    assert back["content-length"] == str(len(body))
    assert read_record(path, loc.offset).payload == body
    no_body = dict((k.lower(), v) for k, v in read_record(path, head.offset).headers)
    assert no_body["content-length"] == "0" and no_body["x-archive-orig-content-length"] == "999"


def test_an_archived_bomb_or_unknown_coding_is_a_clear_error_not_a_memory_blowup(tmp_path):
    bomb = gzip.compress(b"\0" * 2_000_000)
    with WarcWriter(tmp_path) as writer:
        loc = write_one(writer, body=bomb, headers=[("Content-Encoding", "gzip")])
        odd = write_one(writer, body=b"\x28\xb5\x2f\xfd", headers=[("Content-Encoding", "zstd-ish")])
    path = tmp_path / loc.warc_file
    assert len(read_record(path, loc.offset).payload) == 2_000_000
    with pytest.raises(UndecodablePayload, match="decodes past"):
        read_record(path, loc.offset, max_decoded=100_000)
    with pytest.raises(UndecodablePayload, match="zstd-ish"):
        read_record(path, odd.offset)


@pytest.mark.parametrize("coding", ["br", "zstd"])
def test_brotli_and_zstd_payloads_read_back_bounded_and_mislabelled_ones_as_stored(tmp_path, coding):
    import brotli
    from backports import zstd

    compress = {"br": brotli.compress, "zstd": zstd.compress}[coding]
    page = "<html><body>2023年政府信息公开工作年度报告</body></html>".encode() * 50
    with WarcWriter(tmp_path) as writer:
        good = write_one(writer, body=compress(page), headers=[("Content-Encoding", coding)])
        bomb = write_one(writer, body=compress(b"\0" * 5_000_000), headers=[("Content-Encoding", coding)])
        plain = write_one(writer, body=page, headers=[("Content-Encoding", coding)])
    path = tmp_path / good.warc_file
    assert read_record(path, good.offset).payload == page
    assert read_record(path, plain.offset).payload == page  # labelled but not compressed: as stored
    with pytest.raises(UndecodablePayload, match=f"{coding} payload of .* decodes past 100000 bytes"):
        read_record(path, bomb.offset, max_decoded=100_000)
    assert len(read_record(path, bomb.offset).payload) == 5_000_000


def test_cdxj_indexer_indexes_every_response_and_revisit(tmp_path):
    """pywb's indexer (cdxj-indexer) reads our records, gzip payloads and revisits alike."""
    with WarcWriter(tmp_path) as writer:
        wire, first = gzip_exchange(writer)
        ref = {"url": URL, "fetched_at": "2024-03-01T08:00:00+00:00", "record_id": first.record_id,
               "payload_sha256": first.payload_sha256}
        again = write_one(writer, body=wire, revisit_of=ref,
                          headers=[("Content-Type", "text/html"), ("Content-Encoding", "gzip")])
    assert again.payload_sha256 == first.payload_sha256  # same stored bytes: a revisit
    index = subprocess.run([CDXJ_INDEXER, str(tmp_path / first.warc_file)], capture_output=True, text=True)
    assert index.returncode == 0, index.stderr
    lines = [json.loads(line.split(" ", 2)[2]) for line in index.stdout.splitlines()]
    assert [(entry["mime"], int(entry["offset"])) for entry in lines] == [
        ("text/html", first.offset), ("warc/revisit", again.offset)]
    assert {entry["digest"] for entry in lines} == {warc_digest(first.payload_sha256)}


def test_rotation_never_reuses_a_file(tmp_path):
    writer = WarcWriter(tmp_path, max_bytes=2_000)
    locations = [write_one(writer, url=f"{URL}?n={i}", body=BODY * (i + 1) * 20) for i in range(6)]
    writer.close()
    files = sorted(tmp_path.glob("*.warc.gz"))
    assert len(files) > 1
    for loc in locations:
        assert read_record(tmp_path / loc.warc_file, loc.offset).payload.startswith(BODY)
    sizes = {f.name: f.stat().st_size for f in files}
    # a new writer starts its own file; old ones stay byte-identical
    with WarcWriter(tmp_path, max_bytes=2_000) as again:
        loc = write_one(again)
    assert loc.warc_file not in sizes
    assert {f.name: f.stat().st_size for f in files} == sizes


def test_revisits_identical_payload_and_not_modified(tmp_path):
    with WarcWriter(tmp_path) as writer:
        first = write_one(writer)
        ref = {"url": URL, "fetched_at": "2024-03-01T08:00:00+00:00", "record_id": first.record_id,
               "payload_sha256": first.payload_sha256}
        same = write_one(writer, revisit_of=ref)
        not_modified = write_one(writer, body=b"", status=304, revisit_of=ref, headers=[("ETag", '"a"')])
        changed = write_one(writer, body=BODY + b"!", revisit_of=ref)
    path = tmp_path / first.warc_file
    same_rec = read_record(path, same.offset)
    assert same_rec.record_type == "revisit" and same_rec.profile == IDENTICAL_PAYLOAD
    assert same_rec.refers_to == first.record_id and same_rec.refers_to_target_uri == URL
    assert same.payload_sha256 == first.payload_sha256
    nm = read_record(path, not_modified.offset)
    assert nm.record_type == "revisit" and nm.profile == SERVER_NOT_MODIFIED and nm.status == 304
    assert read_record(path, changed.offset).record_type == "response"
    assert subprocess.run([WARCIO, "check", str(path)]).returncode == 0


def test_read_capture_resolves_revisit_and_repair_cuts_torn_tail(tmp_path):
    db = open_db(tmp_path / "ogi.db")
    warc_dir = tmp_path / "warc"
    writer = WarcWriter(warc_dir)
    first = write_one(writer)
    first_id = captures.record_capture(db, first, url=URL, fetched_at="2024-03-01T08:00:00+00:00",
                                       status=200, record_type="response", outcome="new")
    ref = captures.revisit_reference(db, db["captures"].get(first_id))
    again = write_one(writer, revisit_of=ref)
    captures.record_capture(db, again, url=URL, fetched_at="2024-04-01T08:00:00+00:00", status=200,
                            record_type="revisit", refers_to=first.record_id, outcome="unchanged")
    write_one(writer, url=URL + "?unindexed")  # killed before its row was written
    writer.close()
    path = warc_dir / first.warc_file
    with open(path, "ab") as stream:  # and a torn half record
        stream.write(path.read_bytes()[first.offset:first.offset + first.length // 2])
    size_before = path.stat().st_size
    assert captures.repair_warcs(db, warc_dir) == []  # no run was interrupted: nothing touched
    cut = captures.repair_warcs(db, warc_dir, interrupted_since="2000-01-01T00:00:00+00:00")
    assert cut and path.stat().st_size == again.offset + again.length
    (kept,) = (warc_dir / "quarantine").iterdir()  # the cut bytes are set aside, not lost
    assert kept.stat().st_size == size_before - path.stat().st_size
    assert subprocess.run([WARCIO, "check", str(path)]).returncode == 0
    resolved = captures.read_capture(db, warc_dir, db["captures"].get(2))
    assert resolved.record_type == "revisit" and resolved.payload == BODY


def test_a_repair_killed_between_its_copy_and_its_cut_is_finished_by_the_next(tmp_path):
    """The quarantine copy exists, the file was never cut: the next repair cuts it, keeping
    one copy; a different tail under the same name is kept beside it, not overwritten."""
    db = open_db(tmp_path / "ogi.db")
    warc_dir = tmp_path / "warc"
    writer = WarcWriter(warc_dir)
    first = write_one(writer)
    captures.record_capture(db, first, url=URL, fetched_at="2024-03-01T08:00:00+00:00",
                            status=200, record_type="response", outcome="new")
    write_one(writer, url=URL + "?unindexed")
    writer.close()
    path = warc_dir / first.warc_file
    size, end = path.stat().st_size, first.offset + first.length
    quarantine = warc_dir / "quarantine"
    quarantine.mkdir()
    (quarantine / f"{path.name}.{end}-{size}").write_bytes(path.read_bytes()[end:])  # the killed repair's copy
    since = "2000-01-01T00:00:00+00:00"
    assert captures.repair_warcs(db, warc_dir, since) == [(path.name, size, end)]
    assert path.stat().st_size == end and len(list(quarantine.iterdir())) == 1

    with open(path, "ab") as stream:
        stream.write(b"x" * (size - end))  # other bytes over the same range
    (quarantine / f"{path.name}.{end}-{size}").write_bytes(b"y" * (size - end))
    captures.repair_warcs(db, warc_dir, since)
    assert sorted(p.name for p in quarantine.iterdir()) == [f"{path.name}.{end}-{size}", f"{path.name}.{end}-{size}.1"]
    assert (quarantine / f"{path.name}.{end}-{size}.1").read_bytes() == b"x" * (size - end)


def test_a_crawl_refuses_to_touch_warcs_its_database_does_not_index(tmp_path):
    """A lost or replaced ogi.db must not make the next crawl cut the archive."""
    warc_dir = tmp_path / "warc"
    writer = WarcWriter(warc_dir)
    location = write_one(writer)
    writer.close()
    size = (warc_dir / location.warc_file).stat().st_size
    db = open_db(tmp_path / "new.db")
    with pytest.raises(captures.ArchiveIndexMissing):  # a new database knows no killed run
        captures.recover_killed_runs(db, warc_dir)
    assert (warc_dir / location.warc_file).stat().st_size == size


def test_a_first_run_killed_before_its_first_row_is_repaired_not_refused(tmp_path):
    """The kill -9 resume case at its earliest: records written, no captures row yet."""
    db = open_db(tmp_path / "ogi.db")
    run_id = captures.start_run(db)
    db.conn.commit()
    warc_dir = tmp_path / "warc"
    writer = WarcWriter(warc_dir)
    location = write_one(writer)
    writer.close()
    size = (warc_dir / location.warc_file).stat().st_size
    repaired = captures.recover_killed_runs(db, warc_dir)
    assert db["crawl_runs"].get(run_id)["status"] == "interrupted"
    assert repaired == [(location.warc_file, size, 0)]
    (kept,) = (warc_dir / "quarantine").iterdir()  # set aside whole, not deleted
    assert kept.stat().st_size == size


@pytest.mark.parametrize("shift", [1, 3, 7, 11, 40])
def test_an_offset_that_is_not_a_records_first_byte_is_refused_not_read_as_another_record(tmp_path, shift):
    with WarcWriter(tmp_path) as writer:
        first = write_one(writer)
        write_one(writer, url=URL + "?second", body=BODY + b"2")
    path = tmp_path / first.warc_file
    assert read_record(path, first.offset).payload == BODY
    with pytest.raises(ValueError, match=f"no WARC record starts at offset {first.offset + shift}"):
        read_record(path, first.offset + shift)
