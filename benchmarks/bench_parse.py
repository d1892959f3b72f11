"""Parser speed: HTML reports/s per core, PDF pages/s, peak RSS, and pypdfium2's raw text
extraction on the same PDFs side by side (the floor any PDF text reader can reach).

    .venv/bin/python benchmarks/bench_parse.py [--reports 30] [--repeat 3]

Single process, so figures are per core.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import parsers  # noqa: E402


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
    forms = {form: [render(spec, form) for spec in specs] for form in ("html_body", "text", "docx", "pdf")}
    pages = 0
    for data in forms["pdf"]:
        pdf = pypdfium2.PdfDocument(data)
        pages += len(pdf)
        pdf.close()

    timings = {}
    for form, payloads in forms.items():
        name = {"html_body": "r.html", "text": "r.txt", "docx": "r.docx", "pdf": "r.pdf"}[form]
        start = time.perf_counter()
        for _ in range(args.repeat):
            for data in payloads:
                parsers.parse(data, name=name)
        timings[form] = (time.perf_counter() - start) / args.repeat

    start = time.perf_counter()
    for _ in range(args.repeat):
        for data in forms["pdf"]:
            pdf = pypdfium2.PdfDocument(data)
            for page in pdf:
                page.get_textpage().get_text_range()
            pdf.close()
    pdfium = (time.perf_counter() - start) / args.repeat

    n = len(specs)
    print(f"reports {n}, PDF pages {pages}, repeat {args.repeat} (one process = one core)")
    for form, seconds in timings.items():
        print(f"{form:9} {n / seconds:8.1f} reports/s   {1000 * seconds / n:7.2f} ms/report")
    print(f"pdf       {pages / timings['pdf']:8.1f} pages/s (parsers: pdfplumber tables + text)")
    print(f"pypdfium2 {pages / pdfium:8.1f} pages/s (raw text only)   ratio parsers/pdfium "
          f"{timings['pdf'] / pdfium:.1f}x slower")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak RSS  {peak / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
