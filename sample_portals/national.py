"""Thousands of county portals on loopback, for a national crawl on one machine.

One generated world (its five CMS families, served by SampleWorld) stands behind a proxy
that listens on N distinct loopback addresses (127.1.x.y, one port), so the crawler sees N
hosts, each with its own politeness budget. Host i is a copy of family portal i mod 5, and
answers the way real county portals do (shared/design/portals.md): most after 50-500 ms,
a share only after a first byte of 20-30 s, a share never (the connection stays open),
a few with an anti-bot 412 or 521 to everything, a few with `Disallow: /`. Every latency is
multiplied by `time_scale`, so a run fits the machine; callers state the scale.

The proxy is one asyncio loop in a thread: accepting, waiting and piping cost no thread per
connection; the family servers it forwards to are the ordinary sample portals.

May touch: loopback sockets only (127.0.0.0/8); reads the world it is given.
"""

from __future__ import annotations

import asyncio
import random
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .server import SampleWorld

KINDS = ("normal", "slow", "dead", "antibot", "disallow")


@dataclass(frozen=True)
class Host:
    index: int
    address: str  # 127.1.x.y
    family_portal: str  # the sample portal it copies
    kind: str  # one of KINDS
    latency: tuple[float, float]  # seconds before the first byte, before time_scale


def plan_hosts(count: int, portal_ids: list[str], seed: int = 2260, slow: float = 0.05, dead: float = 0.02,
               antibot: float = 0.005, disallow: float = 0.005) -> list[Host]:
    """`count` hosts with their behaviour, the same for the same seed."""
    rng = random.Random(seed)
    hosts = []
    for index in range(count):
        draw = rng.random()
        if draw < dead:
            kind = "dead"
        elif draw < dead + slow:
            kind = "slow"
        elif draw < dead + slow + antibot:
            kind = "antibot"
        elif draw < dead + slow + antibot + disallow:
            kind = "disallow"
        else:
            kind = "normal"
        latency = (20.0, 30.0) if kind == "slow" else (0.05, 0.5)
        address = f"127.1.{1 + index // 250}.{1 + index % 250}"
        hosts.append(Host(index, address, sorted(portal_ids)[index % len(portal_ids)], kind, latency))
    return hosts


class NationalWorld:
    """A SampleWorld behind `count` loopback hosts. Use as a context manager."""

    def __init__(self, root: Path, count: int, time_scale: float = 1.0, seed: int = 2260, **shares):
        self.world = SampleWorld(root)
        self.hosts = plan_hosts(count, list(self.world.portals), seed, **shares)
        self.time_scale = time_scale
        self.rng = random.Random(seed + 1)
        self.port: int | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._servers: list[asyncio.AbstractServer] = []
        self._upstream: dict[str, tuple[str, int]] = {}
        self.requests: dict[str, int] = {}  # address -> requests answered or held
        self.arrivals: dict[str, list[float]] = {}  # address -> when each request arrived (monotonic)
        # address -> seconds from each request's arrival to the first byte of its answer, as served
        self.first_bytes: dict[str, list[float]] = {}

    # --- lifecycle ---
    def __enter__(self) -> "NationalWorld":
        self.world.start()
        for portal_id in self.world.portals:
            host, port = self.world.base_url(portal_id).removeprefix("http://").split(":")
            self._upstream[portal_id] = (host, int(port))
        self.port = _free_port(self.hosts[0].address)
        self._thread = threading.Thread(target=self._run, name="national-proxy", daemon=True)
        self._thread.start()
        if not self._ready.wait(60):
            raise RuntimeError("the national proxy did not start")
        return self

    def __exit__(self, *exc) -> None:
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self.loop.stop)
        if self._thread is not None:
            self._thread.join(10)
        self.world.stop()

    def registry(self) -> list[dict]:
        """Registry entries, one per host, each the copy of its family portal's entry."""
        entries = {entry["id"]: entry for entry in self.world.registry()}
        out = []
        for host in self.hosts:
            family = entries[host.family_portal]
            base = self.world.base_url(host.family_portal)
            here = f"{host.address}:{self.port}"
            out.append(dict(family, id=f"n{host.index:04d}", name=f"{family['name']}（{host.index}）",
                            hosts=[here], start_urls=[url.replace(base, f"http://{here}") for url in family["start_urls"]],
                            local=True))
        return out

    # --- the proxy ---
    def _run(self) -> None:
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        by_address = {host.address: host for host in self.hosts}

        async def start():
            for host in self.hosts:
                server = await asyncio.start_server(
                    lambda r, w, h=by_address[host.address]: self._serve(h, r, w), host.address, self.port,
                    backlog=64, reuse_address=True)
                self._servers.append(server)

        self.loop.run_until_complete(start())
        self._ready.set()
        try:
            self.loop.run_forever()
        finally:
            for server in self._servers:
                server.close()
            self.loop.close()

    async def _serve(self, host: Host, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            body = await reader.readexactly(length) if length else b""
            path = head.split(b" ", 2)[1] if head.count(b" ") >= 2 else b"/"
            self.requests[host.address] = self.requests.get(host.address, 0) + 1
            arrived = time.monotonic()
            self.arrivals.setdefault(host.address, []).append(arrived)
            if host.kind == "dead":
                await reader.read()  # holds the connection until the client gives up
                return
            if host.kind == "antibot":
                status = b"412 Precondition Failed" if host.index % 2 else b"521 Web Server Is Down"
                await self._answer(writer, status, b"<html><body>Please enable JavaScript</body></html>")
                return
            if host.kind == "disallow" and path.split(b"?")[0] == b"/robots.txt":
                await self._answer(writer, b"200 OK", b"User-agent: *\nDisallow: /\n", b"text/plain")
                return
            await asyncio.sleep(self.rng.uniform(*host.latency) * self.time_scale)
            await self._forward(host, head, body, writer, arrived)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass
        finally:
            writer.close()

    @staticmethod
    async def _answer(writer, status: bytes, body: bytes, content_type: bytes = b"text/html; charset=utf-8") -> None:
        writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Type: " + content_type + b"\r\nContent-Length: "
                     + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
        await writer.drain()

    async def _forward(self, host: Host, head: bytes, body: bytes, writer, arrived: float) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self._upstream[host.family_portal])
        try:
            upstream_writer.write(head + body)
            await upstream_writer.drain()
            first = True
            while chunk := await upstream_reader.read(65536):
                if first:
                    self.first_bytes.setdefault(host.address, []).append(time.monotonic() - arrived)
                    first = False
                writer.write(chunk)
                await writer.drain()
        finally:
            upstream_writer.close()


def _free_port(address: str) -> int:
    with socket.socket() as sock:
        sock.bind((address, 0))
        return sock.getsockname()[1]
