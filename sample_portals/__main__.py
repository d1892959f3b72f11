"""`python -m sample_portals DIR [--seed N] [--generated N] [--serve]`: write a world, optionally serve it.

Writes only under DIR; --serve runs the five local portals until Ctrl-C.
"""

from __future__ import annotations

import argparse
import threading
from pathlib import Path

from .generate import generate_world
from .server import serve_world


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sample_portals", description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path, help="where to write sites/, truth/ and manifest.json")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--generated", type=int, default=40, help="number of invented reports (seeds come on top)")
    parser.add_argument("--serve", action="store_true", help="serve the portals on 127.0.0.1 until interrupted")
    args = parser.parse_args(argv)
    manifest = generate_world(args.dir, seed=args.seed, generated=args.generated)
    print(f"wrote {len(manifest['reports'])} reports, {len(manifest['non_reports'])} other pages, "
          f"{len(manifest['list_pages'])} list pages to {args.dir}")
    if args.serve:
        with serve_world(args.dir) as world:
            for entry in world.registry():
                print(f"{entry['id']:10} {entry['start_urls'][0]}", flush=True)
            try:
                threading.Event().wait()
            except KeyboardInterrupt:
                pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
