"""The offline test world: five imitation county portals with known reports, served on 127.0.0.1.

Crawler, parser and demo tests run against this instead of the real (unreachable) portals:

    from sample_portals.generate import generate_world
    from sample_portals.server import serve_world

    manifest = generate_world(tmp_path, seed=2025)      # sites/, truth/, hanweb/, manifest.json
    with serve_world(tmp_path) as world:
        registry = world.registry()                     # portal entries pointing at 127.0.0.1:PORT
        ...                                             # crawl, then compare with truth/<id>.json

Modules: portals (the five portals as data), reports (ReportSpec, generate_reports,
seed_reports, spec_to_truth — pure), render (ReportSpec -> html_body/pdf/docx/text bytes —
pure), generate (writes the world), server (serves it). `python -m sample_portals DIR --serve`
does both by hand.
"""
