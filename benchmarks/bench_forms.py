"""What reading the forms that need a tool costs: OCR per page and per report, LibreOffice
per file, and `ogi load --rebuild` with the conversions kept in the archive against without.

- OCR: the sample world's scan (sample_portals.forms.scan_pdf) of `--reports` generated
  reports, read by archive.ocr.ocr_pages on one thread (rapidocr, one core), seconds per page
  and per report, and its cell accuracy; then tesseract (Debian's chi_sim) on the same
  prepared pages (despeckled, deskewed, rules erased: the same preparation), its words fed
  to the same parsers.ocr_document, so the two engines differ only in the engine.
- LibreOffice: archive.convert.to_docx on each report's .doc, seconds per file.
- Rebuild: `ogi demo --no-serve` on a temporary folder, then load_archive(rebuild=True) with
  its conversions kept, then again with the conversions index and records removed.

    .venv/bin/python benchmarks/bench_forms.py [--reports 3] [--generated 10] [--no-rebuild]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import parsers  # noqa: E402
from parsers.pdf_document import scanned_pages  # noqa: E402
from archive import convert, ocr  # noqa: E402
from parsers.ocr_document import OCR_CONTENT_TYPE  # noqa: E402
from sample_portals import forms  # noqa: E402
from sample_portals.accuracy import flat_cells  # noqa: E402
from sample_portals.portals import PORTALS  # noqa: E402
from sample_portals.reports import generate_reports, spec_to_truth  # noqa: E402


def _accuracy(report, spec) -> tuple[int, int]:
    truth, got = flat_cells(spec_to_truth(spec)), flat_cells(report.to_json())
    return sum(got.get(key) == value for key, value in truth.items()), len(truth)


def _tesseract_page(image) -> dict:
    """One prepared page through tesseract: its words in archive.ocr's result shape."""
    from PIL import Image

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "page.png"
        Image.fromarray(image).save(path)
        tsv = subprocess.run(["tesseract", str(path), "stdout", "-l", "chi_sim", "--psm", "6", "tsv"],
                             capture_output=True, check=True, env={"OMP_THREAD_LIMIT": "1", "PATH": "/usr/bin:/bin"}
                             ).stdout.decode("utf-8", "replace")
    words = []
    for line in tsv.splitlines()[1:]:
        parts = line.split("\t")
        if len(parts) == 12 and parts[0] == "5" and parts[11].strip():
            x, y, w, h, conf = int(parts[6]), int(parts[7]), int(parts[8]), int(parts[9]), float(parts[10])
            words.append({"box": [[x, y], [x + w, y], [x + w, y + h], [x, y + h]], "text": parts[11].strip(),
                          "score": max(conf, 0) / 100})
    return words


def bench_ocr(specs) -> None:
    pages = seconds = 0.0
    right = total = 0
    tesseract_seconds = 0.0
    tesseract_right = 0
    for spec in specs:
        scan = forms.scan_pdf(spec)
        result = ocr.ocr_pages(scan, "pdf", pages=scanned_pages(scan), threads=1)
        assert result.data, result.reason
        count = len(json.loads(result.data)["pages"])
        pages += count
        seconds += result.seconds
        got, of = _accuracy(parsers.parse(scan, "scan.pdf", ocr=result.data), spec)
        right, total = right + got, total + of
        if shutil.which("tesseract"):
            folder = Path(tempfile.mkdtemp())
            (folder / "scan.pdf").write_bytes(scan)
            result_pages = []
            started = time.monotonic()
            for number, image in ocr._page_images(folder / "scan.pdf", "pdf", None):
                image, _ = ocr._straighten(ocr._despeckled(image))
                masks = ocr._rule_mask(image)
                result_pages.append({"page": number, "width": image.shape[1], "height": image.shape[0],
                                     "rotated": 0, "deskewed_degrees": 0, "rules": ocr._rules(masks),
                                     "words": _tesseract_page(ocr._erased(image))})
            tesseract_seconds += time.monotonic() - started
            shutil.rmtree(folder)
            fake = json.dumps({"content_type": OCR_CONTENT_TYPE, "engine": "tesseract", "pages": result_pages})
            tesseract_right += _accuracy(parsers.parse(scan, "scan.pdf", ocr=fake.encode()), spec)[0]
    print(f"OCR rapidocr, 1 thread: {pages:.0f} pages of {len(specs)} reports in {seconds:.1f} s: "
          f"{seconds / pages:.2f} s/page, {seconds / len(specs):.1f} s/report (child start and model load included); "
          f"cells {right}/{total} ({100 * right / total:.2f}%)")
    if tesseract_seconds:
        print(f"OCR tesseract chi_sim, 1 thread, same prepared pages: {tesseract_seconds / pages:.2f} s/page "
              f"({tesseract_seconds / seconds:.2f}x rapidocr's time); cells {tesseract_right}/{total} "
              f"({100 * tesseract_right / total:.2f}%)")


def bench_libreoffice(specs) -> None:
    docs = [forms.doc(spec) for spec in specs]
    convert.tool_version()  # measured apart: `soffice --version` once per process
    times = []
    for data in docs:
        result = convert.to_docx(data, "wps")
        assert result.data, result.reason
        times.append(result.seconds)
    print(f"LibreOffice .wps/.doc -> DOCX: {len(times)} files, {sum(times) / len(times):.2f} s/file "
          f"(min {min(times):.2f}, max {max(times):.2f}), {convert.tool_version()}")


def bench_rebuild(generated: int) -> None:
    from archive.load import load_archive

    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data"
        subprocess.run([str(Path(sys.executable).parent / "ogi"), "demo", "--data", str(data), "--no-serve", "--generated",
                        str(generated)], check=True, capture_output=True, cwd=Path(__file__).resolve().parents[1])
        started = time.monotonic()
        kept = load_archive(data, rebuild=True)
        with_kept = time.monotonic() - started
        import sqlite3

        conn = sqlite3.connect(data / "ogi.db")
        conn.execute("delete from conversions")
        conn.commit()
        conn.close()
        shutil.rmtree(data / "warc" / "conversions")
        started = time.monotonic()
        redone = load_archive(data, rebuild=True)
        without = time.monotonic() - started
    print(f"ogi load --rebuild ({kept['captures']} captures): with kept conversions {with_kept:.1f} s "
          f"(reused {kept['conversions_reused']}, made {kept['conversions_made']}); without {without:.1f} s "
          f"(made {redone['conversions_made']}); ratio {without / with_kept:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=3)
    parser.add_argument("--generated", type=int, default=10)
    parser.add_argument("--no-rebuild", action="store_true")
    args = parser.parse_args()
    specs = [s for s in generate_reports(2025, args.reports * 3, PORTALS) if s.format == "2021"][:args.reports]
    bench_ocr(specs)
    bench_libreoffice(specs)
    if not args.no_rebuild:
        bench_rebuild(args.generated)


if __name__ == "__main__":
    main()
