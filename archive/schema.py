"""The SQLite schema of `DIR/ogi.db`, built and migrated with sqlite-utils.

Migrations are plain functions applied in order and recorded in `_migrations`, so an
old archive opens under new code without hand edits. A migration only ever adds
(tables, columns, indexes): nothing archived is rewritten by a schema change, and a
migration is history — it never calls today's code. The views and `template_rows` are
derived from today's code instead (archive.views): `refresh_derived` rebuilds them after
the migrations whenever their definition changed (a fingerprint in `_derived`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import sqlite_utils

from archive import views

MIGRATIONS: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = []


def migration(name: str):
    """Register a migration; order of definition is order of application."""

    def register(fn):
        MIGRATIONS.append((name, fn))
        return fn

    return register


def open_db(path: str | Path) -> sqlite_utils.Database:
    """Open (creating if need be) the archive database and bring its schema up to date."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite_utils.Database(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA foreign_keys=ON")
    migrate(db)
    refresh_derived(db)
    return db


def refresh_derived(db: sqlite_utils.Database) -> bool:
    """Recreate the views and template_rows when today's definition differs from the one
    the database holds; True when it did. Most opens (every crawl, every load) change
    nothing and write nothing."""
    fingerprint = views.fingerprint()
    db["_derived"].create({"name": str, "fingerprint": str}, pk="name", if_not_exists=True)
    stored = db.execute("select fingerprint from _derived where name = 'views'").fetchone()
    if stored and stored[0] == fingerprint:
        return False
    with db.conn:
        db.execute("delete from template_rows")
        db["template_rows"].insert_all(views.template_rows())
        views.create_views(db)
        db["_derived"].upsert({"name": "views", "fingerprint": fingerprint}, pk="name")
    return True


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Apply the migrations this database has not seen; return their names."""
    db["_migrations"].create({"name": str, "applied_at": str}, pk="name", if_not_exists=True)
    done = {row["name"] for row in db["_migrations"].rows}
    applied = []
    for name, fn in MIGRATIONS:
        if name in done:
            continue
        with db.conn:
            fn(db)
            db["_migrations"].insert(
                {"name": name, "applied_at": db.execute("select datetime('now')").fetchone()[0]}
            )
        applied.append(name)
    return applied


@migration("0001_crawl_tables")
def _crawl_tables(db: sqlite_utils.Database) -> None:
    db["portals"].create(
        {
            "id": str,
            "name": str,
            "province": str,
            "city": str,
            "county": str,
            "admin_code": str,
            "family": str,
            "hosts": str,  # JSON list
            "start_urls": str,  # JSON list
            "verified": int,
            "local": int,  # 1 for the offline sample portals
        },
        pk="id",
    )
    db["crawl_runs"].create(
        {
            "id": int,
            "started_at": str,
            "finished_at": str,
            "status": str,  # running | finished | interrupted | failed | closed:<reason> | reindexed
            "requests": int,
            "bytes_received": int,
            "new_captures": int,
            "unchanged": int,
            "gone": int,
            "errors": int,
            "blocked": int,
            "per_portal": str,  # JSON {portal_id: {requests, bytes_received, ...}}
        },
        pk="id",
    )
    db["captures"].create(
        {
            "id": int,
            "run_id": int,
            "portal_id": str,
            "url": str,
            "method": str,
            "fetched_at": str,
            "status": int,
            "content_type": str,
            "content_length": int,
            "payload_sha256": str,
            "record_type": str,  # response | revisit
            "warc_record_id": str,
            "refers_to": str,  # for revisits: the WARC-Record-ID of the original
            "warc_file": str,  # file name under DIR/warc/
            "warc_offset": int,
            "warc_length": int,
            "etag": str,
            "last_modified": str,
            "referrer": str,
            "link_text": str,
            "kind": str,  # list | report | attachment | robots | other
            "outcome": str,  # new | changed | unchanged | gone | error | blocked | redirect | redirect_loop | reindexed
        },
        pk="id",
        foreign_keys=[("run_id", "crawl_runs", "id"), ("portal_id", "portals", "id")],
    )
    db["captures"].create_index(["url", "fetched_at"])
    db["captures"].create_index(["payload_sha256"])
    db["captures"].create_index(["portal_id"])
    db["captures"].create_index(["warc_file", "warc_offset"], unique=True)
    db["errors"].create(
        {
            "id": int,
            "run_id": int,
            "portal_id": str,
            "url": str,
            "occurred_at": str,
            "stage": str,  # crawl | load (README: errors)
            "kind": str,  # http_status | timeout | dns | too_large | blocked | refused | parse ...
            "reason": str,
            "status": int,
            "capture_id": int,
        },
        pk="id",
        foreign_keys=[("run_id", "crawl_runs", "id")],
    )
    db["errors"].create_index(["url"])


# --- reports: written by archive.load, read by Datasette ---------------------------------

# Headline numbers kept on each report version so the journalist-facing views need no
# joins and stay fast on 100,000 reports; report_cells keeps every number of tables 2-4.
REPORT_HEADLINE_COLUMNS: tuple[str, ...] = (
    "penalty", "licensing", "coercion", "fees",
    "new_received", "carried_over", "granted", "partially_granted",
    "total_processed", "carried_forward", "review_total", "litigation_total",
)


@migration("0002_reports")
def _report_tables(db: sqlite_utils.Database) -> None:
    # Short columns first, long texts last: SQLite reads a column by walking the record,
    # so numbers stored after section texts would cost overflow-page reads on every
    # facet and sum over 100,000 reports.
    columns = {
        "id": int,
        "report_key": str,  # portal + normalised agency + year: one report across forms and versions
        "version": int,  # 1, 2, ... in order of capture
        "is_current": int,  # 1 for the latest version of its report_key
        "agency": str,
        "level": str,  # parsers.template.LEVELS
        "province": str,
        "city": str,
        "county": str,
        "admin_code": str,
        "portal_id": str,
        "year": int,
        "published": str,  # ISO date from the page metadata, if any
        "format": str,  # 2021 | pre-2020 | unknown (parser's Report.format)
        "status": str,  # ok | partial | failed (parser's Report.status)
        "first_seen": str,
        "last_seen": str,
        "gone_at": str,  # when the portal stopped serving it (404/410)
    }
    columns.update({name: float if name == "fees" else int for name in REPORT_HEADLINE_COLUMNS})
    columns.update({
        "checks_failed": int,
        "source_capture_id": int,
        "content_sha256": str,  # payload sha256 of the primary source
        "source_url": str,
        "title": str,
        "problems": str,  # JSON list of reasons
        **{f"section_{number}": str for number in "123456"},
    })
    db["reports"].create(
        columns,
        pk="id",
        foreign_keys=[("portal_id", "portals", "id"), ("source_capture_id", "captures", "id")],
    )
    db["reports"].create_index(["report_key", "version"], unique=True)
    db["reports"].create_index(["is_current", "county", "year"])
    db["reports"].create_index(["is_current", "year", "agency"])
    db["reports"].create_index(["is_current", "agency", "year"])
    db["reports"].create_index(["is_current", "province"])
    db["reports"].create_index(["is_current", "level"])
    db["reports"].create_index(["source_url"])

    db["report_sources"].create(
        {
            "id": int,
            "report_id": int,
            "capture_id": int,
            "url": str,
            "form": str,  # html | pdf | docx | doc | wps | other
            "is_primary": int,  # 1: the version's fields and cells come from this capture
            "payload_sha256": str,
            "fetched_at": str,
        },
        pk="id",
        foreign_keys=[("report_id", "reports", "id"), ("capture_id", "captures", "id")],
    )
    db["report_sources"].create_index(["report_id", "capture_id"], unique=True)
    db["report_sources"].create_index(["capture_id"])
    db["report_sources"].create_index(["url"])

    # Long format, one number a row. WITHOUT ROWID: the primary key is the lookup path,
    # so 20 million cells need no second index.
    db.execute(
        """
        create table report_cells (
            report_id integer not null references reports(id),
            table_name text not null,  -- table2 | table2_2019 | table3 | table4 | legacy
            row_key text not null,
            col_key text not null,  -- '' for table 2's single-number rows
            value numeric,  -- NULL when not read; see flag and reason
            printed text,
            flag text,
            reason text,
            primary key (report_id, table_name, row_key, col_key)
        ) without rowid
        """
    )
    db["checks"].create(
        {
            "id": int,
            "report_id": int,
            "rule": str,
            "scope": str,  # the row, column or group a check looked at
            "passed": int,  # 1, 0, or NULL when it could not be evaluated
            "expected": str,
            "actual": str,
            "detail": str,
        },
        pk="id",
        foreign_keys=[("report_id", "reports", "id")],
    )
    db["checks"].create_index(["report_id"])
    db.execute("create index checks_failed_rule on checks(rule, report_id) where passed = 0")

    # Chinese-aware full-text search: a contentless FTS5 index over character bigrams
    # (see archive.search). rowid = reports.id.
    db.execute(
        "create virtual table reports_fts using fts5(search_text, content='', tokenize='unicode61')"
    )

    # The template's labels, so views and canned queries show 予以公开 next to granted.
    db["template_rows"].create(
        {"position": int, "table_name": str, "row_key": str, "group_label": str, "label": str},
        pk="position",
    )
    db["template_rows"].create_index(["table_name", "row_key"], unique=True)


@migration("0003_template_rows_and_views")
def _views(db: sqlite_utils.Database) -> None:
    """Filled template_rows and made the views; both are derived objects now
    (refresh_derived), so this step has nothing left to do."""


# --- 0004: speed on 100,000 reports (benchmarks/bench_db.py, p95 < 200 ms) -----------------

# report_summary's columns minus archived_url (computed from source_capture_id); short,
# faceted columns first, the longer texts last.
CURRENT_REPORT_COLUMNS: tuple[str, ...] = (
    "id", "year", "level", "province", "county", "checks_failed", "status", "format",
    *REPORT_HEADLINE_COLUMNS, "version", "source_capture_id", "city", "admin_code",
    "published", "first_seen", "last_seen", "gone_at", "agency", "report_key", "title", "source_url",
)


def _create_current_reports_triggers(db: sqlite_utils.Database, columns: tuple[str, ...]) -> None:
    """(Re)create the triggers that copy `columns` of current versions into current_reports."""
    names = ", ".join(columns)
    new_values = ", ".join(f"new.{name}" for name in columns)
    for trigger in ("insert", "update", "delete"):
        db.execute(f"drop trigger if exists current_reports_{trigger}")
    db.execute(f"""create trigger current_reports_insert after insert on reports when new.is_current = 1
        begin insert or replace into current_reports ({names}) values ({new_values}); end""")
    db.execute(f"""create trigger current_reports_update after update on reports
        begin
            delete from current_reports where id = old.id;
            insert into current_reports ({names}) select {new_values} where new.is_current = 1;
        end""")
    db.execute("""create trigger current_reports_delete after delete on reports
        begin delete from current_reports where id = old.id; end""")


@migration("0004_current_reports_and_query_indexes")
def _current_reports(db: sqlite_utils.Database) -> None:
    """`current_reports`: a narrow copy of the current versions' short columns, kept by
    triggers so every writer of `reports` (the loader, a benchmark, a hand fix) keeps it
    right without knowing about it. A `reports` row is ~1 page (section texts), so a
    search matching half the archive and its facets probed 50,000 pages per query;
    report_summary now reads ~20 rows a page. Plus the indexes the canned queries need."""
    columns = CURRENT_REPORT_COLUMNS
    types = {name: "integer" for name in ("id", "year", "checks_failed", "version", "source_capture_id")}
    types.update({name: "real" if name == "fees" else "integer" for name in REPORT_HEADLINE_COLUMNS})
    db.execute("create table current_reports (\n    "
               + ",\n    ".join(f"{name} {types.get(name, 'text')}" + (" primary key" if name == "id" else "")
                                for name in columns)
               + "\n)")
    names = ", ".join(columns)
    _create_current_reports_triggers(db, columns)
    db.execute(f"insert into current_reports ({names}) select {names} from reports where is_current = 1")
    # report_summary's facets (province, county, level, year, checks_failed): one index each.
    for column in ("province", "county", "level", "year", "checks_failed"):
        db.execute(f"create index current_reports_{column} on current_reports({column})")
    db.execute("create index current_reports_agency_year on current_reports(agency, year)")

    # Canned queries grouping current reports by county: covering, in group order.
    db.execute("create index reports_current_by_county on reports(is_current, province, county, year, level,"
               " penalty, licensing, granted, partially_granted, total_processed)")
    # agencies_missing_year groups by the report_key without its year.
    db.execute("create index reports_current_by_agency_key on reports("
               "is_current, rtrim(report_key, '0123456789'), year, province, county, agency)")
    # changed_or_removed: the few report_keys with a second version or gone from the portal.
    db.execute("create index reports_changed_or_gone on reports(report_key)"
               " where version > 1 or gone_at is not null")
    # The reports table's own facets (year, status) without reading its wide rows.
    db.execute("create index reports_year on reports(year)")
    db.execute("create index reports_status on reports(status)")


@migration("0005_loaded_captures_and_sightings")
def _loaded_captures(db: sqlite_utils.Database) -> None:
    """Which captures `ogi load` has attributed, so a re-sighting of the same file updates
    its source row instead of adding one per crawl."""
    db["loaded_captures"].create(
        {"capture_id": int, "report_id": int, "outcome": str, "loaded_at": str},
        pk="capture_id",
        foreign_keys=[("capture_id", "captures", "id"), ("report_id", "reports", "id")],
    )
    db["loaded_captures"].create_index(["report_id"])
    db.execute(
        "insert or ignore into loaded_captures (capture_id, report_id, outcome, loaded_at)"
        " select capture_id, report_id, 'source', fetched_at from report_sources")
    db.execute(
        "insert or ignore into loaded_captures (capture_id, report_id, outcome, loaded_at)"
        " select capture_id, null, kind, occurred_at from errors where stage = 'load' and capture_id is not null")
    db["report_sources"].add_column("last_seen", str)
    db["report_sources"].add_column("sightings", int)
    db.execute("update report_sources set last_seen = fetched_at, sightings = 1")
    db["report_sources"].create_index(["report_id", "url", "payload_sha256"])


@migration("0006_report_summary_problems")
def _summary_problems(db: sqlite_utils.Database) -> None:
    """report_summary shows why a report is partial or failed, without a join."""
    db.execute("alter table current_reports add column problems text")
    db.execute("update current_reports set problems = (select problems from reports where reports.id = current_reports.id)")
    _create_current_reports_triggers(db, (*CURRENT_REPORT_COLUMNS, "problems"))


@migration("0007_conversions_and_cell_confidence")
def _conversions(db: sqlite_utils.Database) -> None:
    """What LibreOffice and OCR derived from a payload: an index of the WARC conversion
    records under warc/conversions/, one per (payload, tool kind, pages), so a rebuild
    reads them again instead of redoing minutes of OCR. Not derived by `ogi load` in the
    sense of DERIVED_TABLES: `--rebuild` keeps it. report_cells.confidence is the OCR
    score of a number read from a scan."""
    db["conversions"].create(
        {
            "id": int,
            "source_sha256": str,  # the payload converted (report_sources.payload_sha256)
            "kind": str,  # docx | ocr
            "pages": str,  # PDF pages OCR read, '' for all
            "tool": str,  # name and version
            "content_type": str,
            "source_url": str,
            "refers_to": str,  # WARC-Record-ID of the response record converted
            "warc_file": str,  # under warc/conversions/
            "warc_offset": int,
            "warc_length": int,
            "record_id": str,
            "sha256": str,
            "seconds": float,
            "created_at": str,
        },
        pk="id",
    )
    db["conversions"].create_index(["source_sha256", "kind", "pages"], unique=True)
    db.execute("alter table report_cells add column confidence real")


@migration("0008_command_runs")
def _command_runs(db: sqlite_utils.Database) -> None:
    """One row per `ogi load`, `ogi reindex` and `ogi update` (crawls have crawl_runs): so
    `ogi status` shows a bad night in one command. status: running | ok | incomplete (some
    captures left for the next run) | failed (reason in detail) | locked (another command
    held the write lock)."""
    db["command_runs"].create(
        {"id": int, "command": str, "started_at": str, "finished_at": str, "status": str,
         "exit_code": int, "summary": str, "detail": str},
        pk="id",
    )
    db["command_runs"].create_index(["command", "id"])


@migration("0009_report_documents")
def _report_documents(db: sqlite_utils.Database) -> None:
    """reports.document: which document of its report_key a version belongs to (the URL of
    the document's first version). Versions are one document changing (same URL, or a
    file at a new URL when no document of that form still stands); two different documents
    live at once for one agency and year are two documents, both current, side by side in
    the conflicting_reports view, whatever order their captures load in."""
    db.execute("alter table reports add column document text")
    db.execute("update reports set document = (select r1.source_url from reports r1"
               " where r1.report_key = reports.report_key order by r1.version limit 1)")
    db.execute("drop index if exists idx_reports_report_key_version")
    db["reports"].create_index(["report_key", "document", "version"], unique=True)


@migration("0010_quotable_checks")
def _quotable_checks(db: sqlite_utils.Database) -> None:
    """checks.printed / computed: numbers whose meaning is the same for every rule (the
    figure printed in the cell checked; what the report's other statements make it), where
    expected/actual swap meaning between the sum and the text checks. sentence_zh /
    sentence_en: what a failed check says, quotable. Filled by the next `ogi load --rebuild`
    for reports loaded before."""
    for column, kind in (("printed", int), ("computed", int), ("sentence_zh", str), ("sentence_en", str)):
        db["checks"].add_column(column, kind)


@migration("0011_agency_id")
def _agency_id(db: sqlite_utils.Database) -> None:
    """reports.agency_id (parsers.metadata.agency_id): one agency across years and name
    variants, for year-over-year questions without string surgery on report_key. Filled
    here for reports loaded before, from their portal's county."""
    from parsers.metadata import agency_id

    db["reports"].add_column("agency_id", str)
    db.execute("alter table current_reports add column agency_id text")
    rows = db.execute("select id, portal_id, agency, county from reports").fetchall()
    db.conn.executemany("update reports set agency_id = ? where id = ?",
                        [(agency_id(portal, agency, county), report_id) for report_id, portal, agency, county in rows])
    db.execute("update current_reports set agency_id = (select agency_id from reports where reports.id = current_reports.id)")
    _create_current_reports_triggers(db, (*CURRENT_REPORT_COLUMNS, "problems", "agency_id"))
    db.execute("create index reports_agency_year on reports(agency_id, year) where is_current = 1")
    db.execute("create index current_reports_agency_id on current_reports(agency_id, year, status)")
    # agency_years: one row per agency and year with the year before beside it, filled by
    # every load (archive.load.refresh_agency_years) from views.agency_years_select.
    db.execute("drop view if exists agency_years")
    db.execute(f"create table agency_years as {views.agency_years_select()}")
    db.execute("create unique index agency_years_agency_year on agency_years(agency_id, year)")
    db.execute("create index agency_years_year on agency_years(year, county, agency)")
    db.execute("create index agency_years_report on agency_years(report_id)")
    # report_feed: the newest versions and removals first
    db.execute("create index reports_first_seen on reports(first_seen)")
    db.execute("create index reports_gone_at on reports(gone_at) where gone_at is not null")


@migration("0012_county_aggregates")
def _county_aggregates(db: sqlite_utils.Database) -> None:
    """reports.aggregates: the sentence in which a county report says it was compiled from
    its departments' and townships' reports (parsers.checks.aggregation_statement); such a
    report is checked against the sum of those reports (rule county_aggregate). Filled by
    the next `ogi load --rebuild` for reports loaded before."""
    db["reports"].add_column("aggregates", str)
    # the across-report checks find every version of an agency's year, or a portal's year,
    # without walking all reports of that year (seconds a load on 100,000 reports)
    db.execute("create index reports_agency_id_year on reports(agency_id, year)")
    db.execute("create index reports_portal_year on reports(portal_id, year)")


@migration("0013_township_codes")
def _township_codes(db: sqlite_utils.Database) -> None:
    """reports.township_code: a township's or street's 9-digit 统计用区划代码 (its county's
    GB/T 2260 code and three digits), by name within its county (archive.places). Filled
    here for reports loaded before."""
    from archive.places import township_code

    db["reports"].add_column("township_code", str)
    rows = db.execute("select id, admin_code, agency_id, level from reports where level in ('township', 'street')")
    db.conn.executemany("update reports set township_code = ? where id = ?",
                        [(township_code(code, agency, level), report_id) for report_id, code, agency, level in rows])
    # report_summary shows it: current_reports carries it, kept by the triggers like the rest
    db.execute("alter table current_reports add column township_code text")
    db.execute("update current_reports set township_code = (select township_code from reports"
               " where reports.id = current_reports.id)")
    _create_current_reports_triggers(db, (*CURRENT_REPORT_COLUMNS, "problems", "agency_id", "township_code"))
