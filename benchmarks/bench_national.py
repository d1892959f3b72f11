"""A national crawl on one machine: N county portals on loopback (sample_portals.national),
crawled by the real `ogi crawl` with the default politeness, every time scaled by
--time-scale so a run fits the machine (the scale is printed with the figures).

Each of the N hosts (127.1.x.y, one port) copies one of the five sample CMS families and
answers like a real county portal: most after 50-500 ms, 5% only after a first byte of
20-30 s, 2% never, a few with an anti-bot 412/521, a few `Disallow: /`.

Prints: wall time against the politeness bound (the slowest host's requests × the time
each must take there: the delay, or the host's own latency when slower, or the download
timeout on a host that never answers), requests/s, the crawl process's peak RSS, reports
reached of those the live hosts publish, and how the dead, blocked and forbidden hosts
ended (errors rows by kind: none may leave the run stuck).

    .venv/bin/python benchmarks/bench_national.py --hosts 300 --time-scale 0.1 [--jobs 2]
    .venv/bin/python benchmarks/bench_national.py --hosts 3000 --generated 10 --time-scale 0.05

May touch: a temporary directory; loopback addresses 127.1.0.0/16.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_crawl import crawl  # noqa: E402
from sample_portals.generate import generate_world  # noqa: E402
from sample_portals.national import NationalWorld  # noqa: E402

# crawler/settings.py's politeness, the times to be scaled
DOWNLOAD_DELAY, DOWNLOAD_TIMEOUT, AUTOTHROTTLE_START_DELAY, AUTOTHROTTLE_MAX_DELAY = 2.0, 45.0, 2.0, 60.0
# more NAME=VALUE settings for an experiment, comma-separated: OGI_BENCH_EXTRA=AUTOTHROTTLE_ENABLED=false
EXTRA = [item for item in os.environ.get("OGI_BENCH_EXTRA", "").split(",") if item]


def politeness(scale: float, concurrency: int) -> list[str]:
    return [f"DOWNLOAD_DELAY={DOWNLOAD_DELAY * scale}", "DOWNLOAD_DELAY_JITTER=0.5",
            "AUTOTHROTTLE_ENABLED=true", f"AUTOTHROTTLE_START_DELAY={AUTOTHROTTLE_START_DELAY * scale}",
            f"AUTOTHROTTLE_MAX_DELAY={AUTOTHROTTLE_MAX_DELAY * scale}", "AUTOTHROTTLE_TARGET_CONCURRENCY=1.0",
            "CONCURRENT_REQUESTS_PER_DOMAIN=2", f"CONCURRENT_REQUESTS={concurrency}",
            f"DOWNLOAD_TIMEOUT={DOWNLOAD_TIMEOUT * scale}", "RETRY_TIMES=2", "LOG_LEVEL=WARNING", *EXTRA]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=300, help="portals (distinct loopback hosts)")
    parser.add_argument("--generated", type=int, default=20, help="invented reports in the world each host copies")
    parser.add_argument("--time-scale", type=float, default=0.1, help="every delay, latency and timeout × this")
    parser.add_argument("--concurrency", type=int, default=512, help="CONCURRENT_REQUESTS (crawler.run.concurrency_for's cap)")
    parser.add_argument("--jobs", type=int, default=1, help="crawler processes (`ogi crawl --jobs`)")
    args = parser.parse_args()
    scale = args.time_scale
    with tempfile.TemporaryDirectory(prefix="bench-national-") as tmp:
        tmp = Path(tmp)
        manifest = generate_world(tmp / "world", generated=args.generated)
        with NationalWorld(tmp / "world", args.hosts, time_scale=scale) as national:
            kinds = Counter(host.kind for host in national.hosts)
            print(f"{args.hosts} hosts on 127.1.x.y:{national.port} ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))});"
                  f" each copies one of 5 sample portals ({len(manifest['reports'])} reports in all five);"
                  f" time scale {scale}: delay {DOWNLOAD_DELAY * scale:.2f} s, slow first byte {20 * scale:.1f}-{30 * scale:.1f} s,"
                  f" timeout {DOWNLOAD_TIMEOUT * scale:.1f} s")
            summary, elapsed, peak = crawl(tmp / "data", national.registry(), *politeness(scale, args.concurrency),
                                           jobs=args.jobs)
            requests = dict(national.requests)
            arrivals = {address: list(times) for address, times in national.arrivals.items()}
            first_bytes = {address: list(times) for address, times in national.first_bytes.items()}
            by_host = {host.address: host for host in national.hosts}

        def floor_seconds(host) -> float:
            if host.kind == "dead":
                return DOWNLOAD_TIMEOUT * scale
            if host.kind in ("antibot", "disallow"):
                return 0.0
            return max(DOWNLOAD_DELAY * scale, sum(host.latency) / 2 * scale)

        bounds = {address: count * floor_seconds(by_host[address]) for address, count in requests.items()}
        slowest = max(bounds, key=bounds.get)
        bound = bounds[slowest]
        with sqlite3.connect(tmp / "data" / "ogi.db") as conn:
            errors = conn.execute("select kind, count(*), count(distinct portal_id) from errors group by kind").fetchall()
            reached = conn.execute("select count(*) from captures where kind = 'report' and status = 200").fetchone()[0]
        per_family = Counter(report["portal_id"] for report in manifest["reports"])
        live = [host for host in national.hosts if host.kind in ("normal", "slow")]
        published = sum(per_family[host.family_portal] for host in live)
        served = first_bytes.get(slowest, [])
        if served:
            print(f"[slowest host as served] {len(served)} answers, first byte after {sum(served) / len(served):.2f} s on"
                  f" average (nominal {sum(by_host[slowest].latency) / 2 * scale:.2f} s); its requests × that ="
                  f" {requests[slowest] * max(DOWNLOAD_DELAY * scale, sum(served) / len(served)):.1f} s")
        print(f"[national crawl] {summary['requests']} requests in {elapsed:.1f} s = {summary['requests'] / elapsed:.1f}"
              f" requests/s; politeness bound {bound:.1f} s (host {slowest}, {by_host[slowest].kind}, {requests[slowest]}"
              f" requests); wall/bound = {elapsed / bound:.2f} (target <= 1.2)")
        start = min(times[0] for times in arrivals.values() if times)  # the crawl's first request
        times = arrivals.get(slowest, [])
        gaps = sorted(b - a for a, b in zip(times, times[1:]))
        if gaps:
            spacing = gaps[len(gaps) // 2]
            print(f"[slowest host] {len(times)} requests over {times[-1] - times[0]:.1f} s: gap between arrivals"
                  f" median {spacing:.2f} s (the delay AutoThrottle gave it), longest {gaps[-1]:.2f} s; first request"
                  f" {times[0] - start:.1f} s after the crawl's first;"
                  f" its requests × that delay = {len(times) * spacing:.1f} s, wall/that = {elapsed / (len(times) * spacing):.2f}")
        last = max((address for address, times in arrivals.items() if times), key=lambda a: arrivals[a][-1])
        print(f"[last host to finish] {last} ({by_host[last].kind}, {requests.get(last, 0)} requests): first request"
              f" {arrivals[last][0] - start:.1f} s, last {arrivals[last][-1] - start:.1f} s after the crawl's first")
        arrived = sorted(t for times in arrivals.values() for t in times)
        if arrived and summary.get("startup_s") is not None:
            print(f"[timeline] launch to the first archived response {summary['startup_s']:.1f} s; requests arrived"
                  f" over {arrived[-1] - arrived[0]:.1f} s; the last response archived"
                  f" {summary['startup_s'] + summary['archiving_s']:.1f} s after launch, the run ended at {elapsed:.1f} s")
        print(f"[crawler] --jobs {args.jobs}: {summary['cpu_s']:.1f} s CPU in all, "
              f"{summary['cpu_s'] / max(summary['requests'], 1) * 1000:.1f} ms a request")
        print(f"[memory] crawl process peak RSS {peak / 1024:.0f} MiB for {summary['requests']} requests"
              f" ({peak / max(summary['requests'], 1):.1f} KiB a request)")
        print(f"[reach] report pages archived {reached} of {published} the live hosts publish"
              f" ({100 * reached / max(published, 1):.1f}%); status {summary['status']}")
        with sqlite3.connect(tmp / "data" / "ogi.db") as conn:
            odd = conn.execute("select kind, url, reason from errors where kind not in ('blocked', 'robots', 'timeout')"
                               " limit 5").fetchall()
        for kind, url, reason in odd:
            print(f"[unexpected error] {kind} {url}: {reason}")
        print("[ended as errors rows] " + "; ".join(f"{kind}: {n} rows on {hosts} hosts" for kind, n, hosts in errors)
              + f" (dead hosts {kinds['dead']}, anti-bot {kinds['antibot']}, Disallow {kinds['disallow']})")


if __name__ == "__main__":
    main()
