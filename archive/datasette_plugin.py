"""The ogi-archive Datasette plugin: bigram search and the archived originals.

May touch: reads the archive database Datasette opened and the WARC files beside it
(DIR/warc/, or the plugin setting `warc_dir`). Writes nothing.

- `prepare_connection` replaces Datasette's `escape_fts` SQL function (which the table
  view wraps around `?_search=`) with archive.search.fts_query on databases that have the
  bigram index `reports_fts`, so the search box finds 公开 and 罚款 as well as 行政处罚.
  It also offers `bigram_query(text)` to canned queries.
- `/-/archive/{capture_id}` serves a capture's payload from its WARC record with the
  stored content type, `Content-Security-Policy: sandbox` and `X-Content-Type-Options:
  nosniff` (archived pages then run no script on our origin), and as a download with a
  file name we make (never the URL's) for anything that is not HTML.
- `render_cell` turns archived_url values into links.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from archive.load import source_form
from archive.search import fts_query
from archive.views import ARCHIVE_PATH
from archive.warc import read_record

PLUGIN_NAME = "ogi-archive"
_INLINE_FORMS = ("html", "text")
_EXTENSION_BY_FORM = {"html": "html", "text": "txt", "other": "bin"}


def _has_bigram_index(conn) -> bool:
    try:
        return conn.execute("select 1 from sqlite_master where name = 'reports_fts'").fetchone() is not None
    except Exception:  # an unreadable database: leave Datasette's default alone
        return False


# Read the (immutable) file through mmap rather than read() into each connection's page
# cache: a search matching half of 100,000 reports visits tens of thousands of pages per
# query, and copying them in halved its speed. SQLite caps this at its compile-time limit.
MMAP_BYTES = 1 << 32


@hookimpl(trylast=True)
def prepare_connection(conn, database, datasette):
    # trylast: run after Datasette's own prepare_connection, which registers escape_fts.
    conn.execute(f"pragma mmap_size = {MMAP_BYTES}")
    conn.create_function("bigram_query", 1, fts_query, deterministic=True)
    if _has_bigram_index(conn):
        conn.create_function("escape_fts", 1, fts_query, deterministic=True)


@hookimpl
def render_cell(value, column):
    if column == "archived_url" and isinstance(value, str) and value.startswith(ARCHIVE_PATH):
        return Markup('<a href="{0}" rel="nofollow">{0}</a>').format(escape(value))
    return None


def _archive_database(datasette):
    for name, database in datasette.databases.items():
        if name != "_internal" and not database.is_memory:
            return database
    return None


def _warc_dir(datasette, database) -> Path:
    configured = (datasette.plugin_config(PLUGIN_NAME) or {}).get("warc_dir")
    return Path(configured) if configured else Path(database.path).parent / "warc"


def download_name(capture_id: int, form: str) -> str:
    """A file name we make from trusted parts: capture id and a known extension."""
    return f"ogi-capture-{int(capture_id)}.{_EXTENSION_BY_FORM.get(form, form)}"


async def archived_original(datasette, request):
    capture_id = int(request.url_vars["capture_id"])
    database = _archive_database(datasette)
    if database is None:
        return Response.text("no archive database", status=404)
    rows = (await database.execute(
        "select id, url, content_type, record_type, refers_to, warc_file, warc_offset from captures where id = ?",
        [capture_id])).rows
    if not rows:
        return Response.text(f"capture {capture_id} is not in the archive", status=404)
    capture = dict(rows[0])
    warc_dir = _warc_dir(datasette, database)
    if capture["record_type"] == "revisit" and capture["refers_to"]:
        originals = (await database.execute(
            "select warc_file, warc_offset, content_type from captures where warc_record_id = ?",
            [capture["refers_to"]])).rows
        if originals:
            capture.update(warc_file=originals[0]["warc_file"], warc_offset=originals[0]["warc_offset"],
                           content_type=capture["content_type"] or originals[0]["content_type"])
    warc_path = warc_dir / Path(capture["warc_file"]).name  # a bare file name, never a path
    try:
        record = await asyncio.to_thread(read_record, warc_path, capture["warc_offset"])
    except (OSError, ValueError) as exc:
        return Response.text(f"archived record unreadable: {exc}", status=500)

    content_type = record.content_type or capture["content_type"] or "application/octet-stream"
    form = source_form(capture["url"], content_type)
    headers = {
        "Content-Security-Policy": "sandbox",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Archived-From": "".join(ch for ch in capture["url"].encode("ascii", "backslashreplace").decode("ascii") if ch.isprintable()),
    }
    disposition = "inline" if form in _INLINE_FORMS else "attachment"
    headers["Content-Disposition"] = f'{disposition}; filename="{download_name(capture_id, form)}"'
    return Response(record.payload, status=200, headers=headers, content_type=content_type)


@hookimpl
def register_routes():
    return [(r"^" + ARCHIVE_PATH + r"(?P<capture_id>\d+)$", archived_original)]
