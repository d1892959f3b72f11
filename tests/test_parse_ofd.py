"""OFD (GB/T 33190) reports: text placed by ofdkit, tables by the rules their paths draw.

Generated reports (every layout, varied numbers, broken sums) go through the sample
portals' PDF-to-OFD writer; real OFD files made by real tools are in fixtures/real/forms/.
"""

from __future__ import annotations

import io
import zipfile

import pytest

import parsers
from parsers.ofd_document import PIXELS_PER_MM, _segments, page_rules
from sample_portals import forms
from sample_portals.accuracy import flat_cells
from sample_portals.generate import world_specs
from sample_portals.reports import spec_to_truth


@pytest.fixture(scope="module")
def specs():
    every = world_specs(2025, 40, forms=1)
    by_layout = {}
    for spec in every:
        if spec.kind not in ("seed",) and spec.format in ("2021", "2019") and spec.table3:
            by_layout.setdefault((spec.format, bool(spec.expected_failed_checks)), spec)
    return by_layout


@pytest.mark.parametrize("layout, broken", [("2021", False), ("2021", True), ("2019", False)])
def test_an_ofd_report_reads_every_number_and_check_as_printed(specs, layout, broken):
    spec = specs.get((layout, broken))
    assert spec is not None, sorted(specs)
    report = parsers.parse(forms.ofd(spec), "report.ofd")
    truth = spec_to_truth(spec)
    assert report.metadata.get("format_detected") == "ofd"
    assert flat_cells(report.to_json()) == flat_cells(truth), report.problems
    failed = sorted({check.rule for check in report.checks if check.passed is False})
    assert failed == sorted(spec.expected_failed_checks)
    assert report.status != "failed"


def test_path_segments_follow_moves_lines_closes_and_skip_curves():
    assert _segments("M 0 0 L 10 0 L 10 5 C M 20 0 B 1 1 2 2 30 0 L 40 0") == [
        (0, 0, 10, 0), (10, 0, 10, 5), (10, 5, 0, 0), (30, 0, 40, 0)]
    assert _segments("S 1 1 L 2") == []  # a path cut short: what is whole, nothing made up


def test_rules_are_placed_by_boundary_and_ctm_and_short_or_slanted_strokes_are_not_rules():
    content = """<?xml version="1.0"?><ofd:Page xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Content><ofd:Layer>
      <ofd:PathObject Boundary="20 50 100 30"><ofd:AbbreviatedData>M 0 0 L 100 0 M 0 0 L 0 30</ofd:AbbreviatedData></ofd:PathObject>
      <ofd:PathObject Boundary="20 50 100 30" CTM="0.5 0 0 0.5 0 0"><ofd:AbbreviatedData>M 0 60 L 200 60</ofd:AbbreviatedData></ofd:PathObject>
      <ofd:PathObject Boundary="0 0 10 10"><ofd:AbbreviatedData>M 0 0 L 1 0 M 0 0 L 8 8</ofd:AbbreviatedData></ofd:PathObject>
      <ofd:PathObject Boundary="0 0 10 10" Visible="false"><ofd:AbbreviatedData>M 0 5 L 10 5</ofd:AbbreviatedData></ofd:PathObject>
    </ofd:Layer></ofd:Content></ofd:Page>""".encode()
    rules = page_rules(content)
    scale = PIXELS_PER_MM
    assert rules["h"] == [pytest.approx((20 * scale, 50 * scale, 120 * scale)), pytest.approx((20 * scale, 80 * scale, 120 * scale))]
    assert rules["v"] == [pytest.approx((20 * scale, 50 * scale, 80 * scale))]


def _without(data: bytes, drop) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            content = source.read(name)
            target.writestr(name, drop(name, content))
    return out.getvalue()


def test_an_ofd_without_text_or_truncated_or_not_an_ofd_fails_with_its_reason(specs):
    import re

    data = forms.ofd(specs[("2021", False)])
    blank = _without(data, lambda name, content: re.sub(rb"<ofd:TextObject .*?</ofd:TextObject>", b"", content)
                     if name.endswith("Content.xml") else content)
    report = parsers.parse(blank, "scan.ofd")
    assert report.status == "failed" and report.problems == ["OFD has no text (its pages may be images: not OCR'd)"]
    cut = parsers.parse(data[: len(data) // 2], "cut.ofd")
    assert cut.status == "failed" and cut.problems == [
        "OFD unreadable: OFDFormatError: not an OFD file (not a ZIP container): File is not a zip file"]
    no_root = _without(data, lambda name, content: b"<x/>" if name == "OFD.xml" else content)
    report = parsers.parse(no_root, "odd.ofd")
    assert report.status == "failed" and report.problems == ["OFD unreadable: OFDFormatError: not an OFD file: OFD.xml has root <x>"]


REAL = __import__("pathlib").Path(__file__).parent / "fixtures" / "real" / "ofd"


@pytest.mark.parametrize("name", ["ofdrw-z-suwell-table", "ofdrw-signout-form-grid", "ofdrw-n-gongwen"])
def test_real_ofd_files_read_into_their_expected_blocks(name):
    """Files made by 数科, iOFD and an office system: text in reading order, each ruled
    table cell by cell, merged cells as the grid draws them."""
    import hashlib
    import json

    from parsers.document import Table
    from parsers.ofd_document import document_from_ofd

    data = (REAL / f"{name}.ofd").read_bytes()
    provenance = json.loads((REAL / f"{name}.provenance.json").read_text("utf-8"))
    assert hashlib.sha256(data).hexdigest() == provenance["sha256"]
    expected = json.loads((REAL / f"{name}.expected.json").read_text("utf-8"))
    document = document_from_ofd(data)
    blocks = [{"table": [[None if cell.spanned else cell.text for cell in row] for row in block.rows]}
              if isinstance(block, Table) else {"paragraph": block.text} for block in document.blocks]
    assert not document.failed and document.problems == []
    assert {"title": document.metadata.get("ArticleTitle"), "blocks": blocks} == expected


def test_a_real_form_grid_keeps_each_value_in_its_own_row():
    """The signout form draws a value column's row borders as strokes that cross no rule of
    their own; they still divide the cells (else three values merge into one)."""
    from parsers.ofd_document import document_from_ofd

    document = document_from_ofd((REAL / "ofdrw-signout-form-grid.ofd").read_bytes())
    table = document.blocks[1]
    values = {row[0].text: [cell.text for cell in row if not cell.spanned][-1] for row in table.rows[:4]}
    assert values == {"来文文号": "市人民政府办公室", "来文日期": "", "收文日期": "X725", "收文机关": "陈小明"}
