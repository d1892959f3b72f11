"""The `ogi` command: one thin sub-command per room (crawl, parse, load, serve, status, reindex, demo).

Each sub-command parses its flags and calls one function in crawler/, parsers/ or
archive/; the logic lives there. `--data DIR` (default ./data) is the archive folder:
DIR/ogi.db (SQLite) and DIR/warc/*.warc.gz.
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path

import click

DATA_OPTION = click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("data"),
    show_default=True,
    help="Archive folder: DIR/ogi.db and DIR/warc/.",
)
REGISTRY_OPTION = click.option(
    "--registry",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="A JSON list of portal entries, like crawler/portals.json (crawl uses that file by default).",
)


def CRAWL_OPTIONS(command):  # noqa: N802 - a decorator, named like the options beside it
    """--registry, --portal, --local, --set: what `crawl` and `update` crawl, and how."""
    for option in reversed((
        REGISTRY_OPTION,
        click.option("--portal", "portal_ids", multiple=True, help="Only these portal ids (repeatable)."),
        click.option("--local", is_flag=True, help="Politeness off: for the sample portals on 127.0.0.1."),
        click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE",
                     help="Scrapy setting (JSON value; repeatable)."),
    )):
        command = option(command)
    return command


def JOBS_OPTION(command):  # noqa: N802 - a decorator, named like the options beside it
    """--jobs: worker processes that parse ahead of the one writer (archive.ahead)."""
    from archive.ahead import default_jobs

    return click.option("--jobs", type=click.IntRange(1, 256), default=default_jobs(), show_default=True,
                        help="Worker processes parsing ahead of the writer (default: the cores this"
                             " process may use); the result is the same database whatever N is.")(command)


WAIT_OPTION = click.option(
    "--wait", type=click.FloatRange(min=0), default=0.0, show_default=True,
    help="Seconds to wait for the archive's write lock when another command holds it (then exit 3).")


@contextmanager
def exiting_on_archive_errors(command: str):
    """Exit 3 with the holder named when another ogi command is writing the archive; exit 1
    with the reason when the disk fails under it (full, read-only): what was written stays,
    and the next run goes on from there."""
    import sqlite3

    from archive.lock import ArchiveLocked

    try:
        yield
    except ArchiveLocked as locked:
        click.echo(f"ogi {command}: {locked}", err=True)
        sys.exit(3)
    except (OSError, sqlite3.OperationalError) as storage:
        click.echo(f"ogi {command}: stopped, the archive's disk failed: {type(storage).__name__}: {storage}."
                   " Nothing archived is lost; run it again once there is space (or the disk is writable).", err=True)
        sys.exit(1)


@click.group()
@click.version_option(package_name="ogi-archive")
def main() -> None:
    """Archive of China's open-government-information annual reports (政府信息公开工作年度报告)."""


@main.command()
@DATA_OPTION
@click.option("--no-serve", is_flag=True, help="Stop after loading (for CI and scripts).")
@click.option("--port", type=int, default=8001, show_default=True, help="Datasette port.")
@click.option("--seed", type=int, default=2025, show_default=True, help="Sample-portal generator seed.")
@click.option("--generated", type=int, default=40, show_default=True, help="Generated reports per run.")
def demo(data_dir: Path, no_serve: bool, port: int, seed: int, generated: int) -> None:
    """Whole pipeline on the bundled offline sample portals: build, serve, crawl, archive, parse, load, Datasette."""
    from ogi.demo import DemoPortsBusy, run_demo

    try:
        run_demo(data_dir, serve=not no_serve, port=port, seed=seed, generated=generated, echo=click.echo)
    except DemoPortsBusy as busy:
        raise click.ClickException(str(busy)) from None


@main.command()
@DATA_OPTION
@CRAWL_OPTIONS
@click.option("--json", "as_json", is_flag=True, help="Print the whole run summary as JSON.")
@click.option("--jobs", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Crawler processes, each with a share of the portals (one run, one summary): for a "
                   "crawl of many portals, where one process's CPU is the limit.")
def crawl(data_dir: Path, registry: Path | None, portal_ids: tuple[str, ...], local: bool,
          overrides: tuple[str, ...], as_json: bool, jobs: int) -> None:
    """Crawl the registry's portals into DIR/warc and the captures index.

    Safe under cron: exit 0 when the run finished, 1 when it did not finish cleanly,
    3 when another run holds the lock; the last line is a one-line summary.
    """
    from archive.captures import ArchiveIndexMissing
    from crawler.distributed import DistributedConfigError
    from crawler.run import CrawlPartFailed, one_line
    from crawler.run import crawl as run_crawl

    entries, settings = crawl_inputs(registry, portal_ids, local, overrides)
    with exiting_on_archive_errors("crawl"):
        try:
            summary = run_crawl(data_dir, registry=entries, settings=settings, jobs=jobs)
        except (ArchiveIndexMissing, DistributedConfigError, CrawlPartFailed) as refused:
            raise click.ClickException(str(refused)) from None
    click.echo(json.dumps(summary, ensure_ascii=False) if as_json else one_line(summary))
    sys.exit(0 if summary.get("status") == "finished" else 1)


def crawl_inputs(registry: Path | None, portal_ids, local: bool, overrides) -> tuple[list[dict], dict]:
    """The registry entries and Scrapy settings `--registry/--portal/--local/--set` ask for."""
    from crawler.registry import load_registry
    from crawler.run import setting_value

    entries = load_registry(registry)
    if portal_ids:
        entries = [entry for entry in entries if entry["id"] in portal_ids]
        if not entries:
            raise click.ClickException(f"no portal in the registry has id {', '.join(portal_ids)}")
    settings = {}
    if local:
        not_local = [entry["id"] for entry in entries if not entry.get("local")]
        if not_local:  # politeness is only ours to switch off on our own sample portals
            raise click.ClickException(f"--local is for the sample portals; not local: {', '.join(not_local)}")
        from crawler.settings import LOCAL_TEST_SETTINGS

        settings.update(LOCAL_TEST_SETTINGS)
    for item in overrides:
        name, _, value = item.partition("=")
        settings[name] = setting_value(value)
    return entries, settings


@main.command()
@DATA_OPTION
@CRAWL_OPTIONS
@click.option("--no-convert", is_flag=True, help="Load without LibreOffice or OCR.")
@click.option("--ocr-threads", type=click.IntRange(1, 64), default=1, show_default=True)
@JOBS_OPTION
@WAIT_OPTION
def update(data_dir: Path, registry: Path | None, portal_ids, local: bool, overrides, no_convert: bool,
           ocr_threads: int, jobs: int, wait: float) -> None:
    """What a timer runs: crawl, then load, under one hold of the archive's write lock.

    Exit 0 when the crawl finished and every capture loaded; 1 when either fell short (the
    next run picks up what is left); 3 when another command holds the write lock.
    """
    from archive.captures import ArchiveIndexMissing
    from crawler.distributed import DistributedConfigError
    from crawler.run import one_line
    from crawler.run import update as run_update

    entries, settings = crawl_inputs(registry, portal_ids, local, overrides)
    with exiting_on_archive_errors("update"):
        try:
            result = run_update(data_dir, entries, settings, wait=wait, convert=not no_convert, ocr_threads=ocr_threads,
                                jobs=jobs)
        except (ArchiveIndexMissing, DistributedConfigError) as refused:
            raise click.ClickException(str(refused)) from None
    loaded = result["load"]
    click.echo(one_line(result["crawl"]))
    click.echo("ogi load: " + " ".join(f"{key}={loaded[key]}" for key in
                                       ("captures", "new_reports", "new_versions", "errors", "not_loaded", "current_reports")))
    click.echo(f"ogi update: {result['status']}")
    sys.exit(0 if result["status"] == "ok" else 1)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
def parse(file: Path, as_json: bool) -> None:
    """Parse one report file (HTML, text, PDF, DOCX, .doc/.wps/.rtf through LibreOffice, scans
    and images through OCR, spreadsheets; format sniffed from its bytes and name)."""
    from archive.derive import derive_once
    from parsers import parse as parse_report

    data = file.read_bytes()
    inputs = derive_once(file.name, data)
    report = parse_report(data, name=file.name, **inputs.kwargs)
    report.problems[:0] = inputs.problems
    if report.status == "failed" and not has_any_number(report):
        reason = report.problems[0] if report.problems else "nothing recognised"
        click.echo(f"ogi parse: {file}: not a report: {reason}", err=True)
        sys.exit(2)
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(format_report(report))


def has_any_number(report) -> bool:
    return any(cell.value is not None for cell in report.cells)


def format_report(report) -> str:
    """A short human summary; `--json` is the full record."""
    failed = [check for check in report.checks if check.passed is False]
    lines = [
        f"{report.title or '(no title)'}",
        f"agency={report.agency} level={report.level} year={report.year} published={report.published} "
        f"format={report.format} status={report.status}",
        f"cells read: {sum(cell.value is not None for cell in report.cells)} of {len(report.cells)}; "
        f"checks failed: {len(failed)} of {len(report.checks)}",
    ]
    lines += [f"  failed {check.rule}: {check.detail}" for check in failed]
    lines += [f"  problem: {problem}" for problem in report.problems]
    return "\n".join(lines)


@main.command()
@DATA_OPTION
@click.option("--rebuild", is_flag=True,
              help="Forget what earlier loads derived and re-parse every capture with the current parser"
                   " (conversions and OCR results already archived are reused).")
@click.option("--no-convert", is_flag=True,
              help="Do not run LibreOffice or OCR; files that need them load as failed reports saying so.")
@click.option("--ocr-threads", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Threads for OCR of scanned pages.")
@click.option("--convert-time-limit", type=click.FloatRange(min=1), default=None,
              help="Seconds before a LibreOffice or OCR run is killed (default: 120 s a file for"
                   " LibreOffice, 30 s + 60 s a page for OCR).")
@JOBS_OPTION
@WAIT_OPTION
def load(data_dir: Path, rebuild: bool, no_convert: bool, ocr_threads: int, convert_time_limit: float | None,
         jobs: int, wait: float) -> None:
    """Parse archived report captures (from the WARCs, never the network) into reports, cells and checks.

    Exit 0 when every capture was loaded (bad input is a failed report, not a failure);
    1 when some could not be loaded for another reason (disk, lock, a bug: `not_loaded`,
    retried by the next load); 3 when another command holds the archive's write lock.
    """
    from archive.load import load_archive

    if not (data_dir / "ogi.db").exists() and not (data_dir / "warc").exists():
        raise click.ClickException(f"{data_dir} is not an archive folder (no ogi.db, no warc/): run `ogi crawl` first")
    with exiting_on_archive_errors("load"):
        summary = load_archive(data_dir, rebuild=rebuild, convert=not no_convert, ocr_threads=ocr_threads,
                               time_limit=convert_time_limit, wait=wait, jobs=jobs)
    click.echo("ogi load: " + " ".join(f"{key}={value}" for key, value in summary.items()))
    if summary["not_loaded"]:
        click.echo(f"ogi load: {summary['not_loaded']} captures not loaded (see errors, kind load_retry);"
                   " the next load retries them", err=True)
        sys.exit(1)


@main.command()
@DATA_OPTION
@REGISTRY_OPTION
@WAIT_OPTION
def reindex(data_dir: Path, registry: Path | None, wait: float) -> None:
    """Rebuild the captures index from DIR/warc alone (after ogi.db was lost); never writes a WARC.

    Exit 1 when a record could not be indexed (a torn tail, a digest mismatch): each is listed.
    """
    from archive.reindex import reindex_warcs
    from crawler.linkrules import kind_of_url
    from crawler.registry import load_registry, portal_for_url

    if not (data_dir / "warc").is_dir():
        raise click.ClickException(f"{data_dir / 'warc'} does not exist: nothing to reindex")
    with exiting_on_archive_errors("reindex"):
        summary = reindex_warcs(data_dir, load_registry(registry) if registry else None,
                                kind_of=kind_of_url, portal_of=portal_for_url, wait=wait)
    unreadable = summary.pop("unreadable", [])
    click.echo("ogi reindex: " + " ".join(f"{key}={value}" for key, value in summary.items())
               + f" unreadable={len(unreadable)}")
    for record in unreadable:
        click.echo(f"  not indexed: {record['file']} at {record['offset']}: {record['reason']}", err=True)
    if unreadable:
        sys.exit(1)


@main.command()
@DATA_OPTION
@click.option("--port", type=int, default=8001, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--no-supervise", is_flag=True, hidden=True, help="Be the server process itself (the supervisor's child).")
def serve(data_dir: Path, port: int, host: str, no_supervise: bool) -> None:
    """Publish the archive with Datasette, read-only: the current snapshot of DIR/ogi.db,
    each newer one from the next request on; the server is started again if it dies;
    /-/health answers {"ok": …}."""
    from archive.serve import serve as run_serve
    from archive.serve import supervise

    if not (data_dir / "ogi.db").exists():
        raise click.ClickException(f"{data_dir / 'ogi.db'} does not exist: run `ogi crawl` and `ogi load` first")
    if no_supervise:
        run_serve(data_dir, port=port, host=host)
        return
    child = [sys.executable, "-m", "ogi.cli", "serve", "--data", str(data_dir), "--port", str(port), "--host", host,
             "--no-supervise"]
    sys.exit(supervise(child, echo=lambda line: click.echo(line, err=True)))


@main.command()
@DATA_OPTION
@click.option("--json", "as_json", is_flag=True)
def status(data_dir: Path, as_json: bool) -> None:
    """What the archive holds: portals, captures, runs, reports by status, errors."""
    from archive.status import archive_status

    figures = archive_status(data_dir)
    if as_json:
        click.echo(json.dumps(figures, ensure_ascii=False, indent=2))
    else:
        for key, value in figures.items():
            click.echo(f"{key}: {value}")
    if not figures["exists"]:  # a monitor must notice a wrong path
        sys.exit(1)


@main.group()
def portals() -> None:
    """The portal registry: add a county by discovering its 年报 column."""


@portals.command("discover")
@click.argument("url")
@DATA_OPTION
@click.option("--name", help="The portal's name, e.g. 洛宁县人民政府.")
@click.option("--admin-code", help="GB/T 2260 code of the county, e.g. 410328.")
@click.option("--id", "portal_id", help="Registry id (default: from the host name).")
@click.option("--province")
@click.option("--city")
@click.option("--county")
@click.option("--write", "registry_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Add the entry to this registry file (replacing one with the same id).")
@click.option("--local", is_flag=True, help="Politeness off: for the sample portals on 127.0.0.1.")
def portals_discover(url: str, data_dir: Path, name, admin_code, portal_id, province, city, county,
                     registry_file: Path | None, local: bool) -> None:
    """From a portal's home page (or its 政府信息公开 page) to its 年报 column(s): prints the
    registry entry (family guessed, with its evidence); exit 1 when no column was found."""
    from crawler.registry import RegistryError, save_entry
    from crawler.run import CrawlLocked, discover_portal

    if local and not url.startswith(("http://127.", "http://localhost")):
        raise click.ClickException("--local is for the sample portals on 127.0.0.1")
    try:
        entry, _summary = discover_portal(data_dir, url, local=local, name=name, admin_code=admin_code,
                                          id=portal_id, province=province, city=city, county=county)
    except CrawlLocked as locked:
        click.echo(f"ogi portals discover: {locked}", err=True)
        sys.exit(3)
    click.echo(json.dumps(entry, ensure_ascii=False, indent=2))
    if not entry["start_urls"]:
        checked = ", ".join(c["url"] for c in entry["hints"]["columns"]) or "no link named like a 年报 column"
        click.echo(f"ogi portals discover: no 年报 column found from {url} (checked: {checked})", err=True)
        sys.exit(1)
    if registry_file:
        try:
            save_entry(registry_file, entry)
        except RegistryError as bad:
            raise click.ClickException(str(bad)) from None
        click.echo(f"wrote {entry['id']} to {registry_file}", err=True)


if __name__ == "__main__":
    main()
