"""`ogi load` on every core: reports/s with one process and with --jobs N, and proof that
both wrote the same rows.

An archive of generated reports (WARC records and captures rows as the crawler writes
them; HTML pages and, for every third report, the PDF a portal attaches) is copied, then
loaded once with jobs=1 and once with jobs=N (archive.ahead parses ahead in N worker
processes while one writer attributes captures in order), each load in a fresh process. Conversions are off: OCR and
LibreOffice run in their own processes already and are measured by bench_forms.py.

    .venv/bin/python benchmarks/bench_load.py                    # 300 reports, jobs = cores
    .venv/bin/python benchmarks/bench_load.py --reports 1000 --jobs 2

May touch: a scratch folder (a temporary directory, removed afterwards).
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive.ahead import default_jobs  # noqa: E402
from archive.captures import record_capture, upsert_portals  # noqa: E402
from archive.load import load_archive  # noqa: E402
from archive.schema import open_db  # noqa: E402
from archive.warc import WarcWriter  # noqa: E402
from sample_portals.portals import PORTALS  # noqa: E402
from sample_portals.render import render  # noqa: E402
from sample_portals.reports import generate_reports  # noqa: E402

HTML = "text/html; charset=utf-8"


def build_archive(data_dir: Path, count: int, pdf_every: int = 3) -> int:
    """`count` generated 2021-layout report pages (and a PDF for every `pdf_every`-th, 0:
    none) archived as a crawl would; returns the captures written."""
    db = open_db(data_dir / "ogi.db")
    upsert_portals(db, PORTALS)
    clock = datetime(2025, 3, 1, tzinfo=timezone.utc)
    specs = [s for s in generate_reports(5, count, PORTALS) if s.format == "2021"]
    written = 0
    with WarcWriter(data_dir / "warc") as writer:
        for n, spec in enumerate(specs):
            body = render(spec, "html_body").decode("utf-8")
            page = (f"<html><head><meta charset='utf-8'><title>{spec.title}</title></head>"
                    f"<body><h1>{spec.title}</h1>{body}</body></html>").encode("utf-8")
            url = f"http://127.0.0.1:8999/{spec.portal_id}/{spec.id}.html"
            files = [(url, page, HTML, "report", None)]
            if pdf_every and n % pdf_every == 0:
                files.append((url[:-5] + ".pdf", render(spec, "pdf"), "application/pdf", "attachment", url))
            for file_url, payload, content_type, kind, referrer in files:
                clock += timedelta(seconds=1)
                location = writer.write_exchange(file_url, [], None, 200, "OK", [("Content-Type", content_type)],
                                                 payload, clock.isoformat())
                record_capture(db, location, portal_id=spec.portal_id, url=file_url, method="GET",
                               fetched_at=clock.isoformat(), status=200, content_type=content_type,
                               content_length=len(payload), record_type="response", kind=kind,
                               referrer=referrer, outcome="new")
                written += 1
    db.conn.commit()
    db.conn.close()
    return written


def _load_in_child(data_dir: Path, jobs: int, answer) -> None:
    started = time.perf_counter()
    summary = load_archive(data_dir, convert=False, jobs=jobs)
    answer.put((summary, time.perf_counter() - started))


def timed_load(data_dir: Path, jobs: int) -> tuple[dict, float]:
    """One load in a fresh process, as `ogi load` runs it: nothing parsed, cached or
    imported beforehand by an earlier load (a forked worker would inherit it)."""
    context = multiprocessing.get_context("spawn")
    answer = context.Queue()
    child = context.Process(target=_load_in_child, args=(data_dir, jobs, answer))
    child.start()
    result = answer.get()
    child.join()
    return result


def rows(data_dir: Path) -> list:
    conn = sqlite3.connect(data_dir / "ogi.db")
    try:
        return [conn.execute(f"select * from {table} order by 1").fetchall()
                for table in ("reports", "report_cells", "checks", "report_sources")]
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=300, help="generated reports (default 300)")
    parser.add_argument("--jobs", type=int, default=default_jobs(), help="workers of the parallel load (default: cores)")
    parser.add_argument("--pdf-every", type=int, default=3, help="a PDF attachment for every N-th report (0: none)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ogi-bench-load-"))
    try:
        captures = build_archive(work / "one", args.reports, args.pdf_every)
        shutil.copytree(work / "one", work / "many")
        one, one_s = timed_load(work / "one", 1)
        many, many_s = timed_load(work / "many", args.jobs)
        print(f"== ogi load of {captures} captures ({one['reports_total']} reports, {one['cells']:,} cells)")
        print(f"  jobs=1:  {one_s:6.1f} s  {one['reports_total'] / one_s:6.1f} reports/s")
        print(f"  jobs={args.jobs}:  {many_s:6.1f} s  {many['reports_total'] / many_s:6.1f} reports/s"
              f"  ({many['parsed_ahead']} parsed in workers)")
        print(f"  speed-up: {one_s / many_s:.2f}x on {default_jobs()} core(s)")
        print(f"  same rows (reports, cells, checks, sources): {rows(work / 'one') == rows(work / 'many')}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
