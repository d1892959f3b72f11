"""How exactly the parser reads the sample world, per delivery form.

Generates a world (sample_portals.generate.generate_world) into a temp dir, parses every
file of every report (the full detail page with its chrome, the PDF, the DOCX) plus
render(spec, "text") and that text with a signature date appended ("text_signed": the
generator prints no signature date in its PDF/DOCX/text, so this form measures the
signature rule), compares every table cell and the metadata (agency, year) with the truth,
and checks that the planted failed checks fail and no other check does. Prints per-form
figures and every miss.

published is measured in every form where the truth has a date: `found` (right date),
`null` (not read) and `wrong` (a different date: the only real error, since PDF/DOCX/text
renderings of the generator carry no date and null is then the correct answer). It counts
in metadata accuracy only in the forms that print it (html, text_signed).

--body-steps also parses every full detail page with each HTML body step forced alone
(selector, headings, trafilatura, whole_page) and prints their cell accuracy side by side.

It also prints, per layout (2021, 2019, pre-2020) and rendering (html, pdf, docx, text, and
one line of page text: text_oneline separated by spaces, text_glued with no separators,
text_spaced with stray spaces inside numbers; `/blank_lost` where blank cells left no trace),
the cells read right, NULL and WRONG; the planted header swaps (numbers read under a swapped
header: must be 0); and the glued solver's time per report, worst case included.

    .venv/bin/python benchmarks/parse_accuracy.py [--seed 2025] [--generated 40] [--body-steps] [--ocr-threads 2] [--forms 1]

The forms that need a tool (scans, JPG pages, .doc/.wps/.xls …) are read through
archive.derive.derive_once: LibreOffice and OCR as `ogi parse` runs them.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archive.derive import derive_once  # noqa: E402
from sample_portals.accuracy import glued_worst_case, measure, summary  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--generated", type=int, default=40)
    parser.add_argument("--ocr-threads", type=int, default=2, help="threads for OCR of the scanned forms")
    parser.add_argument("--forms", type=int, default=1, help="reports in each tool-needing form (scan, JPG, .wps …)")
    parser.add_argument("--body-steps", action="store_true",
                        help="also parse each detail page with every HTML body step forced alone")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        results = measure(Path(directory), args.seed, args.generated, args.body_steps,
                          derive=lambda name, data: derive_once(name, data, ocr_threads=args.ocr_threads),
                          forms=args.forms)
    for line in summary(results):
        print(line)
    seconds, placed = glued_worst_case()
    print(f"glued worst case (every table 3/4 row a run of 40 ones): {seconds:.2f} s, {placed} cells placed")
    print(f"misses ({len(results['misses'])}):")
    for miss in results["misses"]:
        print("  " + miss)


if __name__ == "__main__":
    main()
