"""Serve a generated world on 127.0.0.1: one stdlib HTTP server per portal, each on a free port.

Reads root/manifest.json, root/sites/<portal>/ and root/hanweb/<portal>/ written by
generate.py; never writes files. Tests change what a portal serves in memory only
(`replace`, `remove`, `add_route`), and read `request_log` to count requests and bytes.

Behaviour a crawler relies on: GET/HEAD on static files, POST (or GET) of Hanweb's
/module/web/jpage/dataproxy.jsp, ETag (quoted sha256 prefix) and a deterministic
Last-Modified per file, 304 for If-None-Match / If-Modified-Since, Content-Type by
extension (luoning's HTML is GBK served as bare `text/html`), a directory without its
trailing slash redirects (301) to it.

Opt-in (`serve_world(root, coding="gzip")`): 200 bodies go out `Content-Encoding: gzip` to
clients that accept it, as many real county portals answer; "br" and "zstd" go out to every
client, asked or not, as a misconfigured server or CDN sends them. `encoded_sent` keeps
the exact compressed bytes sent per (portal, request target), so tests can compare the
archive with the wire. Off by default: bodies go out as stored.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import gzip as gzip_codec
import hashlib
import html
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from .generate import PAGE_SIZE, UCAP_SEARCH, WAS5_CHANNEL, WAS5_PATH, file_for, hanweb_datastore


def _brotli(body: bytes) -> bytes:
    import brotli

    return brotli.compress(body, quality=5)  # on-the-fly quality (11, the default, takes seconds a MB)


def _zstd(body: bytes) -> bytes:
    try:
        from compression import zstd  # Python 3.14
    except ImportError:
        from backports import zstd
    return zstd.compress(body)


# mtime 0: the same page compresses the same
ENCODERS = {"gzip": lambda body: gzip_codec.compress(body, mtime=0), "br": _brotli, "zstd": _zstd}

DATAPROXY_PATH = "/module/web/jpage/dataproxy.jsp"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8", ".shtml": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8",
    ".pdf": "application/pdf", ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".wps": "application/kswps", ".txt": "text/plain; charset=utf-8", ".css": "text/css",
    ".xml": "text/xml; charset=utf-8", ".json": "application/json",
}
INDEX_FILES = ("index.html", "index.shtml", "index.htm", "list.html")
EPOCH = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)


def etag_for(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:20] + '"'


def last_modified_for(key: str, body: bytes) -> dt.datetime:
    """Deterministic per file: a moment in 2025 derived from its path and bytes."""
    seconds = int(hashlib.sha256(key.encode() + body).hexdigest()[:8], 16) % (300 * 86400)
    return EPOCH + dt.timedelta(seconds=seconds)


class _CountingWriter:
    def __init__(self, raw):
        self.raw, self.sent = raw, 0

    def write(self, data):
        self.sent += len(data)
        return self.raw.write(data)

    def flush(self):
        return self.raw.flush()

    def __getattr__(self, name):
        return getattr(self.raw, name)


class _PortalHandler(BaseHTTPRequestHandler):
    world: "SampleWorld"
    portal_id: str
    server_version = "SamplePortal/1.0"

    def log_message(self, format, *args):  # quiet: tests read request_log instead
        pass

    def send_response(self, code, message=None):
        self.status_sent = code
        super().send_response(code, message)

    def do_GET(self):
        self._handle("GET")

    def do_HEAD(self):
        self._handle("HEAD")

    def do_POST(self):
        self._handle("POST")

    def _handle(self, method: str) -> None:
        self.status_sent = None
        self.wfile = _CountingWriter(self.wfile)
        parts = urlsplit(self.path)
        full = parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            self.world._respond(self, method, parts.path, parts.query, full)
        finally:
            self.world.request_log.append((self.portal_id, method, full, self.status_sent, self.wfile.sent))

    def send_body(self, status: int, body: bytes, content_type: str, headers: dict | None = None, method: str = "GET"):
        coding = self.world.coding
        if coding and status == 200 and body and (coding != "gzip" or "gzip" in (self.headers.get("Accept-Encoding") or "")):
            body = ENCODERS[coding](body)
            headers = {**(headers or {}), "Content-Encoding": coding, "Vary": "Accept-Encoding"}
            self.world.encoded_sent[(self.portal_id, self.path)] = body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(body)


class SampleWorld:
    """The running sample portals. Use as a context manager, or call start()/stop()."""

    def __init__(self, root: Path, ports: dict[str, int] | None = None, coding: str | None = None):
        if coding not in (None, *ENCODERS):
            raise ValueError(f"coding {coding!r}: not one of {', '.join(ENCODERS)}")
        self.root = Path(root)
        self.coding = coding  # Content-Encoding of 200 bodies (gzip: only to clients that accept it)
        self.encoded_sent: dict[tuple[str, str], bytes] = {}  # (portal, request target) -> last body sent
        # Fixed ports keep URLs stable between runs (a re-crawl then sees the same pages); default: free ports.
        self.ports = dict(ports or {})
        self.manifest = json.loads((self.root / "manifest.json").read_text(encoding="utf-8"))
        self.portals = {p["id"]: p for p in self.manifest["portals"]}
        self.request_log: list[tuple[str, str, str, int | None, int]] = []
        self._servers: dict[str, ThreadingHTTPServer] = {}
        self._threads: list[threading.Thread] = []
        self._overrides: dict[tuple[str, str], tuple[bytes, dt.datetime]] = {}
        self._removed: dict[tuple[str, str], int] = {}
        self._routes: dict[tuple[str, str], object] = {}
        self._lock = threading.Lock()

    # --- lifecycle ---
    def start(self) -> "SampleWorld":
        for portal_id in sorted(self.portals):
            handler = type(f"{portal_id}Handler", (_PortalHandler,), {"world": self, "portal_id": portal_id})
            try:
                server = ThreadingHTTPServer(("127.0.0.1", self.ports.get(portal_id, 0)), handler)
            except OSError:
                self.stop()  # don't leave the portals already started behind
                raise
            server.daemon_threads = True
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                      name=f"sample-{portal_id}", daemon=True)
            thread.start()
            self._servers[portal_id] = server
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        for server in self._servers.values():
            server.shutdown()
            server.server_close()
        self._servers.clear()
        self._threads.clear()

    def __enter__(self) -> "SampleWorld":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- what tests and the crawler ask ---
    def base_url(self, portal_id: str) -> str:
        host, port = self._servers[portal_id].server_address[:2]
        return f"http://{host}:{port}"

    def registry(self) -> list[dict]:
        """Portal-registry entries pointing at the local servers."""
        entries = []
        for portal_id, portal in sorted(self.portals.items()):
            base = self.base_url(portal_id)
            entry = {key: portal[key] for key in ("id", "name", "province", "city", "county", "admin_code", "family")}
            entry.update(hosts=[base.removeprefix("http://")], start_urls=[base + p for p in portal["start_paths"]],
                         verified=True, local=True)
            entries.append(entry)
        return entries

    def replace(self, portal_id: str, path: str, body: bytes) -> None:
        """Serve `body` at `path` from now on; ETag and Last-Modified change with it."""
        key = file_for(path)
        with self._lock:
            _, _, old_modified = self._static(portal_id, key) or (None, b"", EPOCH)
            self._removed.pop((portal_id, key), None)
            self._overrides[(portal_id, key)] = (body, old_modified + dt.timedelta(days=1))

    def remove(self, portal_id: str, path: str, status: int = 404) -> None:
        if status not in (404, 410):
            raise ValueError("a removed page answers 404 or 410")
        self._removed[(portal_id, file_for(path))] = status

    def add_route(self, portal_id: str, path: str, handler) -> None:
        """`handler(request_handler)` writes the whole response for requests to `path` (with or without its query)."""
        self._routes[(portal_id, path)] = handler

    @property
    def routes(self) -> set[tuple[str, str]]:
        """(portal_id, path) of every route added and not removed."""
        return set(self._routes)

    def remove_route(self, portal_id: str, path: str) -> None:
        """Undo add_route: the path serves its static file (or 404) again."""
        self._routes.pop((portal_id, path), None)

    # --- serving ---
    def _static(self, portal_id: str, key: str):
        """(key, body, last_modified) for a file key, overrides first; None if absent."""
        candidates = [key]
        if key.endswith("/index.html"):
            candidates += [key.removesuffix("index.html") + name for name in INDEX_FILES[1:]]
        site = (self.root / "sites" / portal_id).resolve()
        for candidate in candidates:
            if (portal_id, candidate) in self._overrides:
                body, modified = self._overrides[(portal_id, candidate)]
                return candidate, body, modified
            target = (site / candidate.lstrip("/")).resolve()
            if target.is_file() and site in target.parents:
                body = target.read_bytes()
                return candidate, body, last_modified_for(candidate, body)
        return None

    def _respond(self, request: _PortalHandler, method: str, path: str, query: str, full: str) -> None:
        portal_id = request.portal_id
        route = self._routes.get((portal_id, full)) or self._routes.get((portal_id, path))
        if route is not None:
            route(request)
            return
        if path == DATAPROXY_PATH and self.portals[portal_id]["family"] == "hanweb" and method in ("GET", "POST"):
            self._dataproxy(request, method, query)
            return
        if method == "GET" and (path == WAS5_PATH or path.startswith(UCAP_SEARCH)):
            self._list_api(request, path, query)
            return
        key = file_for(full)
        if (portal_id, key) in self._removed:
            status = self._removed[(portal_id, key)]
            request.send_body(status, b"<html><body>Not Found</body></html>", "text/html; charset=utf-8", method=method)
            return
        if method == "POST":
            request.send_body(405, b"method not allowed", "text/plain; charset=utf-8", {"Allow": "GET, HEAD"}, method)
            return
        found = self._static(portal_id, key)
        if found is None and query:  # like most static servers: an unknown query string is ignored
            found = self._static(portal_id, file_for(path))
        if found is None:
            site = self.root / "sites" / portal_id
            if not path.endswith("/") and (site / path.lstrip("/")).is_dir():
                request.send_body(301, b"", "text/html; charset=utf-8", {"Location": path + "/"}, method)
                return
            request.send_body(404, b"<html><body>404 Not Found</body></html>", "text/html; charset=utf-8", method=method)
            return
        found_key, body, modified = found
        etag = etag_for(body)
        headers = {"ETag": etag, "Last-Modified": email.utils.format_datetime(modified, usegmt=True)}
        if self._not_modified(request, etag, modified):
            request.send_response(304)
            for name, value in headers.items():
                request.send_header(name, value)
            request.end_headers()
            return
        request.send_body(200, body, self._content_type(portal_id, found_key), headers, method)

    @staticmethod
    def _not_modified(request: _PortalHandler, etag: str, modified: dt.datetime) -> bool:
        if_none_match = request.headers.get("If-None-Match")
        if if_none_match is not None:
            tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
            return etag in tags or "*" in tags
        if_modified_since = request.headers.get("If-Modified-Since")
        if if_modified_since:
            try:
                since = email.utils.parsedate_to_datetime(if_modified_since)
            except (TypeError, ValueError):
                return False
            if since.tzinfo is None:
                since = since.replace(tzinfo=dt.timezone.utc)
            return modified <= since
        return False

    def _content_type(self, portal_id: str, key: str) -> str:
        name = key.partition("?")[0]
        suffix = name[name.rfind("."):] if "." in name.rsplit("/", 1)[-1] else ".html"
        content_type = CONTENT_TYPES.get(suffix, "application/octet-stream")
        if content_type.startswith("text/html") and self.portals[portal_id]["charset"] != "utf-8":
            return "text/html"  # luoning: GBK bytes, no charset in the header
        return content_type

    def _list_api(self, request: _PortalHandler, path: str, query: str) -> None:
        """TRS WAS5 (`channelid`, `chnlid`, `page`: `<li>` items) and UCAP's JSON search
        (`/common/search/<channel>?_pageSize=&page=`), answered from root/api/<portal>/."""
        params = {name: values[0] for name, values in parse_qs(query).items()}
        api, api_id = ("was5", params.get("chnlid", "")) if path == WAS5_PATH else ("ucap", path[len(UCAP_SEARCH):])
        store = self.root / "api" / request.portal_id / f"{api}-{api_id}.json"
        wrong_channel = api == "was5" and params.get("channelid") != WAS5_CHANNEL
        if not api_id.isalnum() or wrong_channel or not store.is_file():
            request.send_body(400, b'{"error": "unknown channel"}', "application/json", method="GET")
            return
        items = json.loads(store.read_text(encoding="utf-8"))
        try:
            page = max(int(params.get("page") or 1), 1)
            size = max(int(params.get("_pageSize") or PAGE_SIZE), 1) if api == "ucap" else PAGE_SIZE
        except ValueError:
            request.send_body(400, b'{"error": "bad page"}', "application/json", method="GET")
            return
        chunk = items[(page - 1) * size:page * size]
        if api == "was5":
            body = "".join(f'<li><a href="{html.escape(i["url"])}" title="{html.escape(i["title"])}">{html.escape(i["title"])}'
                           f'</a><span>{i["publishedTimeStr"][:10]}</span></li>\n' for i in chunk)
            request.send_body(200, body.encode(), "text/html; charset=utf-8", method="GET")
            return
        answer = {"data": {"page": page, "rows": size, "channelId": api_id, "total": len(items),
                           "relateSubChannels": "true", "results": chunk}, "locationUrl": "", "channelName": ""}
        request.send_body(200, json.dumps(answer, ensure_ascii=False).encode(), "application/json;charset=UTF-8",
                          method="GET")

    def _dataproxy(self, request: _PortalHandler, method: str, query: str) -> None:
        """Hanweb paging: records startrecord..endrecord (1-based, inclusive) of the column named by columnid."""
        params = parse_qs(query)
        if method == "POST":
            length = int(request.headers.get("Content-Length") or 0)
            params.update(parse_qs(request.rfile.read(length).decode("utf-8", "replace")))
        first = lambda name, default: (params.get(name) or [default])[0]  # noqa: E731
        column = first("columnid", "")
        store = self.root / "hanweb" / request.portal_id / f"col{column}.json"
        if not column.isdigit() or not store.is_file():
            request.send_body(400, b"<datastore><error>unknown columnid</error></datastore>", "text/xml; charset=utf-8",
                              method=method)
            return
        records = json.loads(store.read_text(encoding="utf-8"))
        try:
            start, end, per_page = int(first("startrecord", "1")), int(first("endrecord", "15")), int(first("perpage", "15"))
        except ValueError:
            request.send_body(400, b"<datastore><error>bad range</error></datastore>", "text/xml; charset=utf-8", method=method)
            return
        chunk = records[max(start, 1) - 1:max(end, 0)]
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n' + hanweb_datastore(chunk, len(records), max(per_page, 1))).encode()
        request.send_body(200, body, "text/xml; charset=utf-8", method=method)


def serve_world(root: Path, ports: dict[str, int] | None = None, coding: str | None = None) -> SampleWorld:
    """A SampleWorld for `root` (not yet started: use `with serve_world(root) as world:` or `.start()`).

    `ports` pins portal ids to ports (e.g. {"zhongning": 18401}); others get a free port.
    `coding` ("gzip", "br", "zstd") sends 200 bodies compressed (see the module docstring).
    """
    return SampleWorld(root, ports, coding)
