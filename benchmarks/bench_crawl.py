"""Crawler benchmark: how fast without politeness, how close to the politeness bound with
it, and what a second run costs. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/bench_crawl.py [--generated 200] [--worlds 5] [--delay 0.25] [--jobs 2]

1. Throughput, politeness off: one world (5 portals, --generated reports), crawled once:
   pages/s, bytes/s written into WARC, peak RSS of the crawl process.
   Then the engine's own rate: --worlds copies of the world (25 portals), politeness off,
   crawled by one process and by `--jobs` processes (`ogi crawl --jobs`): pages/s for the
   whole process and between the first and last archived response, and CPU per page. Five
   portals alone measure the largest portal's chain of list pages, not the engine.
   Discovery cost: requests per report found (lists, robots, chrome and guesses included:
   the politeness price of finding the reports).
2. Second run over the unchanged world: bytes received ÷ first run's bytes.
3. Politeness-bound efficiency: --worlds copies of the world served at once (5 portals
   each, so 25 portals by default, each its own host:port), DOWNLOAD_DELAY=--delay, one
   request at a time per host. The bound is the largest portal's request count × delay
   (portals are crawled in parallel); efficiency = elapsed ÷ bound (1.0 is ideal). The
   start-up (launch to first archived response) is printed on its own line.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sample_portals.generate import generate_world  # noqa: E402
from sample_portals.server import SampleWorld  # noqa: E402


def crawl(data_dir: Path, registry: list[dict], *settings: str, local: bool = True, jobs: int = 1) -> tuple[dict, float, int]:
    """Run one crawl in a child process; (summary, seconds, peak RSS of the child in KiB).
    summary["startup_s"]: from launching the process to its first archived response."""
    registry_file = data_dir.parent / f"{data_dir.name}-registry.json"
    registry_file.write_text(json.dumps(registry, ensure_ascii=False), encoding="utf-8")
    args = [sys.executable, "-m", "ogi.cli", "crawl", "--data", str(data_dir), "--registry", str(registry_file), "--json",
            "--jobs", str(jobs)]
    if local:
        args.append("--local")
    for item in settings:
        args += ["--set", item]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    cpu_before = _children_cpu()
    launched = datetime.now(timezone.utc)
    started = time.perf_counter()
    result = subprocess.run(args, cwd=REPO, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"crawl failed ({result.returncode}):\n{result.stderr[-3000:]}")
    peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    summary["cpu_s"] = _children_cpu() - cpu_before
    with sqlite3.connect(data_dir / "ogi.db") as conn:
        first, last = conn.execute("select min(fetched_at), max(fetched_at) from captures where run_id = ?",
                                   [summary["run_id"]]).fetchone()
    summary["startup_s"] = (datetime.fromisoformat(first) - launched).total_seconds() if first else None
    summary["archiving_s"] = (datetime.fromisoformat(last) - datetime.fromisoformat(first)).total_seconds() if first else None
    return summary, elapsed, peak


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def copies(stack: ExitStack, world: SampleWorld, root: Path, count: int) -> list[dict]:
    """The registry of `count` copies of the world, each served on its own ports."""
    registry = []
    for n in range(count):
        copy = world if n == 0 else stack.enter_context(SampleWorld(root))
        for entry in copy.registry():
            registry.append(dict(entry, id=f"{entry['id']}-{n}"))
    return registry


def warc_bytes(data_dir: Path) -> int:
    return sum(p.stat().st_size for p in (data_dir / "warc").glob("*.warc.gz"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--generated", type=int, default=200, help="invented reports per world")
    parser.add_argument("--worlds", type=int, default=5, help="world copies served for the politeness run")
    parser.add_argument("--delay", type=float, default=0.25, help="per-host DOWNLOAD_DELAY for the politeness run")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="crawler processes for the engine's rate")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-crawl-") as tmp, ExitStack() as stack:
        tmp = Path(tmp)
        manifest = generate_world(tmp / "world", generated=args.generated)
        world = stack.enter_context(SampleWorld(tmp / "world"))
        print(f"world: {len(manifest['reports'])} reports, {len(manifest['list_pages'])} list pages, 5 portals")

        data = tmp / "fast"
        first, elapsed, peak = crawl(data, world.registry())
        stored = warc_bytes(data)
        print(f"[throughput, politeness off] {first['requests']} requests in {elapsed:.2f} s "
              f"(whole process incl. start-up) = {first['requests'] / elapsed:.1f} pages/s; "
              f"{first['bytes_received'] / elapsed / 1e6:.2f} MB/s received, "
              f"{stored / elapsed / 1e6:.2f} MB/s into WARC ({stored / 1e6:.2f} MB gzip); peak RSS {peak / 1024:.0f} MiB")

        with sqlite3.connect(data / "ogi.db") as conn:
            kinds = dict(conn.execute("select kind, count(*) from captures where run_id = ? group by kind",
                                      [first["run_id"]]).fetchall())
            failed = conn.execute("select count(*) from errors where run_id = ?", [first["run_id"]]).fetchone()[0]
        found = len(manifest["reports"])
        print(f"[discovery cost] {first['requests']} requests for {found} reports = "
              f"{first['requests'] / found:.2f} requests per report found (captures by kind: "
              f"{', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}; errors rows {failed})")

        second, elapsed2, _ = crawl(data, world.registry())
        ratio = second["bytes_received"] / max(first["bytes_received"], 1)
        print(f"[second run, unchanged] {second['requests']} requests, {second['bytes_received']} B received vs "
              f"{first['bytes_received']} B: cost ratio {ratio:.3f}; unchanged={second['unchanged']} "
              f"new={second['new_captures']} in {elapsed2:.2f} s")

        registry = copies(stack, world, tmp / "world", args.worlds)
        for jobs in sorted({1, args.jobs}):
            broad, elapsed_b, _ = crawl(tmp / f"broad-{jobs}", registry, jobs=jobs)
            print(f"[engine, politeness off, {len(registry)} portals, --jobs {jobs}] {broad['requests']} requests in "
                  f"{elapsed_b:.2f} s = {broad['requests'] / elapsed_b:.1f} pages/s (whole process); "
                  f"{broad['requests'] / broad['archiving_s']:.1f} pages/s from first to last archived response; "
                  f"{broad['cpu_s'] / broad['requests'] * 1000:.1f} ms CPU a page (every process, start-up included)")

        polite, elapsed3, _ = crawl(tmp / "polite", registry, f"DOWNLOAD_DELAY={args.delay}",
                                    "CONCURRENT_REQUESTS_PER_DOMAIN=1", "CONCURRENT_REQUESTS=64",
                                    "AUTOTHROTTLE_ENABLED=false", "DOWNLOAD_DELAY_JITTER=0")
        per_portal = Counter({pid: c.get("requests", 0) for pid, c in polite["per_portal"].items()})
        largest_id, largest = per_portal.most_common(1)[0]
        bound = largest * args.delay
        startup = polite["startup_s"] or 0.0
        print(f"[politeness, {len(registry)} portals, delay {args.delay} s/host] {polite['requests']} requests in "
              f"{elapsed3:.2f} s; largest portal {largest_id} = {largest} requests -> bound {bound:.2f} s; "
              f"efficiency elapsed/bound = {elapsed3 / bound:.2f} (1.0 ideal; whole process)")
        print(f"[politeness, start-up] {startup:.2f} s from launch to the first archived response "
              f"(interpreter, imports, DB migrations, Scrapy set-up, first robots.txt); "
              f"without it: {(elapsed3 - startup) / bound:.2f}")


if __name__ == "__main__":
    main()
