"""Reports in the forms that need a tool first: .doc/.wps through LibreOffice, scans and
images through OCR, each kept as a WARC conversion record and reused by `ogi load --rebuild`.

Real tools, no stand-ins, except where the point is a tool that misbehaves: a converter
that hangs is a script that sleeps (and leaves a child behind), killed at its limit.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

import parsers
from archive.convert import to_docx
from archive.derive import derive_once
from archive.load import load_archive
from archive.reindex import reindex_warcs
from sample_portals import forms
from sample_portals.accuracy import flat_cells
from sample_portals.generate import world_specs
from sample_portals.reports import spec_to_truth

from archive_builder import ArchiveBuilder, report_page, sample_specs, url_of

WPS = "application/kswps"


@pytest.fixture
def archive(tmp_path):
    return ArchiveBuilder(tmp_path / "data")


@pytest.fixture
def hanging_soffice(tmp_path, monkeypatch):
    """A LibreOffice that never finishes and forks a child that would outlive a plain kill."""
    script = tmp_path / "soffice"
    pids = tmp_path / "pids"
    script.write_text(f"#!/bin/sh\nif [ \"$5\" = --version ] || [ \"$6\" = --version ]; then echo 'Hang 0.1'; exit 0; fi\n"
                      f"sleep 300 &\necho $! >> {pids}\necho $$ >> {pids}\nsleep 300\n")
    script.chmod(0o755)
    monkeypatch.setenv("OGI_SOFFICE", str(script))
    from archive import convert

    convert.tool_version.cache_clear()
    yield pids
    convert.tool_version.cache_clear()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat")
    return status.exists() and status.read_text().split()[2] != "Z"


def test_a_hanging_converter_is_killed_with_its_children_at_its_limit(hanging_soffice):
    spec = sample_specs(1)[0]
    started = time.monotonic()
    result = to_docx(forms.doc(spec), "wps", time_limit=2)
    assert time.monotonic() - started < 15
    assert result.data is None and result.reason == "Hang 0.1: killed at its time limit of 2 s"
    pids = [int(line) for line in hanging_soffice.read_text().split()]
    assert len(pids) == 2
    time.sleep(0.2)
    assert not any(_alive(pid) for pid in pids)


def _crawl_warcs(data_dir: Path) -> dict:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in (data_dir / "warc").glob("*.warc.gz")}


def _conversion_records(data_dir: Path) -> list:
    records = []
    for path in sorted((data_dir / "warc" / "conversions").glob("*.warc.gz")):
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "conversion":
                    records.append((dict(record.rec_headers.headers), record.content_stream().read()))
    return records


def test_a_wps_loads_through_a_kept_conversion_that_rebuild_reuses(archive, hanging_soffice, monkeypatch):
    spec = sample_specs(1)[0]
    page_url, wps_url = url_of(spec), url_of(spec, ".wps")
    archive.capture(spec.portal_id, page_url, report_page(spec, body="<p>详见附件。</p>", attachment=wps_url))
    wps = forms.doc(spec)  # a Kingsoft .wps is the Word 97 binary
    capture_id = archive.capture(spec.portal_id, wps_url, wps, WPS, kind="attachment", referrer=page_url)
    archived = _crawl_warcs(archive.data_dir)

    # 1. the converter hangs: killed, the report fails saying so, nothing is kept, the load goes on
    summary = archive.load(time_limit=2)
    assert summary["conversions_failed"] == 1 and summary["errors"] == 0
    [failed] = archive.rows("select status, problems from reports where source_url = ?", (wps_url,))
    assert failed["status"] == "failed"
    assert json.loads(failed["problems"])[0] == "Hang 0.1: killed at its time limit of 2 s"
    [error] = archive.rows("select kind, reason from errors where stage = 'load'")
    assert error == {"kind": "conversion", "reason": "Hang 0.1: killed at its time limit of 2 s"}
    assert archive.rows("select count(*) as n from conversions")[0]["n"] == 0

    # 2. the real LibreOffice: the report reads whole, the DOCX is kept as a conversion record
    monkeypatch.delenv("OGI_SOFFICE")
    from archive import convert

    convert.tool_version.cache_clear()
    summary = archive.load(rebuild=True)
    assert (summary["conversions_made"], summary["conversions_reused"]) == (1, 0)
    [report] = archive.rows("select id, status, source_url from reports where is_current = 1")
    assert report["status"] == "ok" and report["source_url"] == wps_url
    cells = {f"{r['table_name']}.{r['row_key']}" + (f".{r['col_key']}" if r["col_key"] != "value" else ""): r["value"]
             for r in archive.rows("select * from report_cells where report_id = ?", (report["id"],))}
    truth = flat_cells(spec_to_truth(spec))
    assert {key: cells.get(key) for key in truth} == truth
    [conversion] = archive.rows("select * from conversions")
    [capture] = archive.rows("select * from captures where id = ?", (capture_id,))
    assert conversion["source_sha256"] == capture["payload_sha256"] and conversion["kind"] == "docx"
    assert conversion["refers_to"] == capture["warc_record_id"] and conversion["tool"].startswith("LibreOffice ")
    [(headers, docx)] = _conversion_records(archive.data_dir)
    assert headers["WARC-Refers-To"] == capture["warc_record_id"] and headers["WARC-Target-URI"] == wps_url
    assert headers["Ogi-Tool"] == conversion["tool"] and headers["WARC-Record-ID"] == conversion["record_id"]
    assert docx.startswith(b"PK")
    assert parsers.parse(wps, "a.wps", converted=docx).table3 == spec.table3  # the text the numbers came from

    # 3. rebuild again: the kept conversion is read back, LibreOffice is not run
    monkeypatch.setenv("OGI_SOFFICE", "/nonexistent/soffice")
    convert.tool_version.cache_clear()
    summary = archive.load(rebuild=True)
    assert (summary["conversions_made"], summary["conversions_reused"], summary["conversions_failed"]) == (1 - 1, 1, 0)
    assert archive.rows("select status from reports where is_current = 1") == [{"status": "ok"}]
    assert len(_conversion_records(archive.data_dir)) == 1
    assert _crawl_warcs(archive.data_dir) == archived  # the archived originals, byte for byte

    # 4. ogi.db lost: `ogi reindex` finds the conversion record again, the next load reuses it
    kept = archive.rows("select * from conversions")
    (archive.data_dir / "ogi.db").unlink()
    kind_of = lambda url, content_type: "attachment" if url.endswith(".wps") else "report"  # noqa: E731
    summary = reindex_warcs(archive.data_dir, kind_of=kind_of)
    assert summary["conversions_added"] == 1 and summary["captures_added"] == 2
    assert [{k: v for k, v in row.items() if k != "id"} for row in archive.rows("select * from conversions")] == [
        {k: v for k, v in row.items() if k not in ("id", "created_at")} | {"created_at": headers["WARC-Date"]}
        for row in kept]
    assert reindex_warcs(archive.data_dir, kind_of=kind_of)["conversions_added"] == 0
    summary = load_archive(archive.data_dir)
    assert (summary["conversions_made"], summary["conversions_reused"]) == (0, 1)


@pytest.mark.parametrize("kind", ["doc", "wps", "rtf"])
def test_every_word_processor_form_reads_whole_through_libreoffice(kind):
    spec = sample_specs(2)[1]
    data = forms.rtf(spec) if kind == "rtf" else forms.doc(spec)
    assert data.startswith(b"{\\rtf" if kind == "rtf" else b"\xd0\xcf\x11\xe0")
    inputs = derive_once(f"report.{kind}", data)
    assert not inputs.problems and inputs.made == 1
    report = parsers.parse(data, f"report.{kind}", **inputs.kwargs)
    assert report.status == "ok", report.problems
    assert flat_cells(report.to_json()) == flat_cells(spec_to_truth(spec))


@pytest.fixture(scope="module")
def scanned():
    """A generated report as a scan (skewed, specks) and its real OCR result."""
    spec = next(s for s in sample_specs(4) if s.table4["review"]["total"] > 0)
    spec.delivery = "scan_pdf"
    scan = forms.scan_pdf(spec)
    inputs = derive_once("scan.pdf", scan, ocr_threads=2)
    assert not inputs.problems
    return spec, scan, json.loads(inputs.kwargs["ocr"])


def test_a_scanned_pdf_reads_whole_and_every_number_keeps_its_confidence(scanned):
    spec, scan, ocr = scanned
    report = parsers.parse(scan, "scan.pdf", ocr=ocr)
    assert report.status == "ok", report.problems
    assert flat_cells(report.to_json()) == {k: v for k, v in flat_cells(spec_to_truth(spec)).items()}
    numbers = [cell for cell in report.cells if cell.value is not None]
    assert numbers and all(0.3 <= cell.confidence <= 1 for cell in numbers)
    assert parsers.parse(scan, "scan.pdf").problems == [
        f"scanned PDF (no text layer on {len(ocr['pages'])} of its {len(ocr['pages'])} page(s)); needs OCR"]


def test_a_planted_ocr_misread_is_flagged_doubtful_and_the_checks_catch_it(scanned):
    spec, scan, ocr = scanned
    planted = json.loads(json.dumps(ocr))
    total = str(spec.table4["review"]["total"])
    wrong = str(int(total) + 3)
    # the OCR read the review total (the 5th number of table 4's number row) as another digit, unsure
    page = next(p for p in planted["pages"] if any(w["text"] == "行政复议" for w in p["words"]))
    header = next(w for w in page["words"] if w["text"] == "行政复议")
    digits = [w for w in page["words"] if w["box"][0][1] > header["box"][0][1] and w["text"].isdigit()]
    top = min(w["box"][0][1] for w in digits)  # table 4's one row of numbers
    row = sorted((w for w in digits if abs(w["box"][0][1] - top) < 15), key=lambda w: w["box"][0][0])
    assert len(row) == 15
    target = row[4]
    assert target["text"] == total
    target.update(text=wrong, score=0.61)
    report = parsers.parse(scan, "scan.pdf", ocr=planted)
    [cell] = [c for c in report.cells if c.table == "table4" and c.row_key == "review" and c.col_key == "total"]
    assert (cell.value, cell.flag, cell.confidence) == (int(wrong), "ocr_doubtful", 0.61)
    failed = [(check.rule, check.scope) for check in report.checks if check.passed is False]
    assert failed == [("t4_total", "group:review")]


@pytest.mark.parametrize("mark, delivery", [("/", "scan_pdf"), ("—", "jpg")])
def test_zero_marks_survive_ocr(mark, delivery):
    """A scan whose zeros are printed `/` (the recognizer reads 1) or `—` (it reads 一):
    every cell as printed, no zero read as one."""
    spec = next(s for s in world_specs(2025, 40, forms=5)
                if s.kind == "form" and mark in s.printed.values() and s.table3)
    spec.delivery = delivery
    pages = forms.files(spec)
    inputs = derive_once(f"report.{forms.FORMS[delivery]}", pages if delivery == "jpg" else pages[0],
                         ocr_threads=2)
    report = parsers.parse(pages[0], f"report.{forms.FORMS[delivery]}", **inputs.kwargs)
    assert flat_cells(report.to_json()) == flat_cells(spec_to_truth(spec)), report.problems
    marked = [path for path, printed in spec.printed.items() if printed == mark]
    assert marked and not [c for c in report.checks if c.passed is False and c.rule.startswith("t")]
