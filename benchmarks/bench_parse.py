"""Parser speed per form: reports/s per core and each form's own peak RSS, plus pypdfium2's
raw text extraction on the same PDFs (the floor any PDF text reader can reach), and the
cheap PDF reading alone (pdf_positions: text runs and rules to a Document, no report).

HTML is measured twice: `html_body` is the bare report body (render(spec, "html_body")),
`html_page` the full detail pages of the sample world with their chrome, head metadata and
信息公开 table (what the crawler really stores); `html_page_trafilatura` parses the same
pages with only the trafilatura body step, for comparison with the default chain. `ofd` is
the same reports' PDF as a PDF-to-OFD converter writes it (sample_portals.forms.ofd).

    .venv/bin/python benchmarks/bench_parse.py [--reports 30] [--repeat 3]

Each form runs in its own fresh process (spawned), so its peak RSS is its own and figures
are per core; `baseline RSS` is that process after importing parsers, before parsing. Each
form reads its first file once before the clock starts: the modules and libraries it
imports on first use are a cost per process, not per report.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

NAMES = {"html_body": "r.html", "html_page": "r.html", "html_page_trafilatura": "r.html", "text": "r.txt",
         "docx": "r.docx", "pdf": "r.pdf", "pypdfium2": "r.pdf", "ofd": "r.ofd"}


def _peak_mib() -> float:
    """This process's peak RSS. VmHWM, because ru_maxrss survives exec on Linux and would
    report the parent's peak in a spawned child."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def pdfium_raw_text(data: bytes) -> None:
    """The floor: pypdfium2's raw text of every page, what any PDF text reader does at least."""
    import pypdfium2

    pdf = pypdfium2.PdfDocument(data)
    for page in pdf:
        page.get_textpage().get_text_range()
    pdf.close()


def run_form(form: str, payloads: list[bytes], repeat: int, answer) -> None:
    """In a fresh process: parse every payload `repeat` times; send (seconds per pass, baseline, peak)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import parsers

    baseline = _peak_mib()
    if form == "pypdfium2":
        one = pdfium_raw_text
    elif form == "pdf_positions":
        from parsers.pdf_document import document_from_pdf_positions

        def one(data: bytes) -> None:
            document_from_pdf_positions(data)
    elif form == "html_page_trafilatura":
        from parsers.html_document import document_from_html
        from parsers.report import report_from_document

        def one(data: bytes) -> None:
            report_from_document(document_from_html(data, steps=("trafilatura",)))
    else:
        def one(data: bytes) -> None:
            parsers.parse(data, name=NAMES[form])
    if payloads:  # the imports each form makes on first use are not a per-report cost
        one(payloads[0])
    start = time.perf_counter()
    for _ in range(repeat):
        for data in payloads:
            one(data)
    answer.put(((time.perf_counter() - start) / repeat, baseline, _peak_mib()))


def interleaved_pdf(payloads: list[bytes], passes: int, answer) -> None:
    """In a fresh process: a pass of parsers.parse and a pass of pypdfium2's raw text over the
    same PDFs, in turn, `passes` times; send each one's fastest pass. Taken in turn, both see
    the same machine: two processes one after the other can meet different loads."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import parsers

    def parse(data: bytes) -> None:
        parsers.parse(data, name=NAMES["pdf"])

    best = {"parse": float("inf"), "floor": float("inf")}
    for one in (parse, pdfium_raw_text):
        one(payloads[0])
    for _ in range(passes):
        for name, one in (("parse", parse), ("floor", pdfium_raw_text)):
            start = time.perf_counter()
            for data in payloads:
                one(data)
            best[name] = min(best[name], time.perf_counter() - start)
    answer.put(best)


def detail_pages(directory: Path, reports: int) -> list[bytes]:
    """The sample world's full HTML detail pages of reports delivered as HTML (2021 layout)."""
    from sample_portals.generate import generate_world

    generate_world(directory, seed=2025, generated=reports)
    manifest = json.loads((directory / "manifest.json").read_text("utf-8"))
    pages = []
    for entry in manifest["reports"]:
        if entry.get("format") == "pre-2020":
            continue
        for file in entry["files"]:
            if file.get("form") == "html":
                pages.append((directory / "sites" / entry["portal_id"] / file["path"].lstrip("/")).read_bytes())
    return pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import pypdfium2
    from sample_portals import portals
    from sample_portals.render import render
    from sample_portals.reports import generate_reports

    specs = [s for s in generate_reports(2025, args.reports, portals.PORTALS) if s.format != "pre-2020"]
    from sample_portals.forms import ofd

    forms = {form: [render(spec, form) for spec in specs] for form in ("html_body", "text", "docx", "pdf")}
    forms["ofd"] = [ofd(spec) for spec in specs]  # the PDF as a PDF-to-OFD converter writes it
    with tempfile.TemporaryDirectory() as directory:
        forms["html_page"] = detail_pages(Path(directory), args.reports)
    forms["html_page_trafilatura"] = forms["html_page"]
    forms["pypdfium2"] = forms["pdf"]
    forms["pdf_positions"] = forms["pdf"]  # the cheap reading alone: text runs and rules to a Document
    pages = 0
    for data in forms["pdf"]:
        pdf = pypdfium2.PdfDocument(data)
        pages += len(pdf)
        pdf.close()

    context = multiprocessing.get_context("spawn")
    results = {}
    for form, payloads in forms.items():
        answer = context.Queue()
        process = context.Process(target=run_form, args=(form, payloads, args.repeat, answer))
        process.start()
        results[form] = answer.get()
        process.join()

    print(f"reports {len(specs)}, detail pages {len(forms['html_page'])}, PDF pages {pages}, repeat {args.repeat} "
          f"(one process per form = one core)")
    for form, (seconds, baseline, peak) in results.items():
        n = len(forms[form])
        size = sum(map(len, forms[form])) / max(n, 1) / 1024
        print(f"{form:22} {n / seconds:8.1f} reports/s  {1000 * seconds / n:7.2f} ms/report  "
              f"{size:6.1f} KiB/report  peak RSS {peak:6.1f} MiB (baseline {baseline:5.1f})")
    pdf_seconds, pdfium_seconds = results["pdf"][0], results["pypdfium2"][0]
    positions_seconds = results["pdf_positions"][0]
    print(f"pdf pages/s: parsers {pages / pdf_seconds:.1f} (report included; the full pdfplumber reader where the "
          f"cheap one leaves a report incomplete), pypdfium2 raw text {pages / pdfium_seconds:.1f}; "
          f"parsers {pdf_seconds / pdfium_seconds:.1f}x slower")
    print(f"pdf reading alone (text runs and rules to a Document): {pages / positions_seconds:.1f} pages/s, "
          f"{positions_seconds / pdfium_seconds:.1f}x pypdfium2's raw text")
    answer = context.Queue()
    process = context.Process(target=interleaved_pdf, args=(forms["pdf"], 5, answer))
    process.start()
    best = answer.get()
    process.join()
    n = len(forms["pdf"])
    print(f"pdf, the two in turn in one process (fastest of 5 passes each): parsers {1000 * best['parse'] / n:.2f} ms/report,"
          f" pypdfium2 raw text {1000 * best['floor'] / n:.2f} ms/report; parsers {best['parse'] / best['floor']:.2f}x slower")


if __name__ == "__main__":
    main()
