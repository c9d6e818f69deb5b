"""A pre-rendered synthetic demo web and a cheap static server for it, in its own process.

Rendering a demo page costs the demo server milliseconds of CPU; at a few hundred pages per second
that makes the server, not the crawler, the bottleneck. So the pages of `demo.generate.synthetic_blogs`
are rendered once (every page reachable from each blog's home page, robots.txt and sitemap), kept under
bench/out/web/, and served from memory by an asyncio server with one port per blog: precomputed
headers, ETag / If-None-Match → 304, keep-alive, `GET /__stats__` for request counts, `/__fetched__` for
GETs per URL (`/__reset__` zeroes both), and optionally a fixed latency per answer.

    with serve_web(render_web(5000, seed=1)) as web:   # web.base_urls, web.stats()
        ...
    python -m bench.staticweb serve WEB.pkl   # what serve_web starts; prints {"ports": [...]} first
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import pickle
import re
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

from demo.generate import synthetic_blogs
from demo.site import Site
from demo.sites import spec_for

from .common import ROOT, out_dir

HOST = "127.0.0.1"
PLACEHOLDER = 60000  # blog k is rendered on port 60000 + k; the server substitutes its real ports
_PORT = re.compile(rb"127\.0\.0\.1:(6\d{4})")
_URL = re.compile(r"""(?:href|src)=["']([^"'#?]+)|https?://127\.0\.0\.1:6\d{4}/[^\s"'<>#?]*""")


@dataclass
class Web:
    """Rendered pages: per blog, path → (content type, Last-Modified, body); the article paths."""

    slugs: list[str]
    pages: list[dict[str, tuple[str, str, bytes]]]
    articles: list[list[str]]
    ports: list[int] = field(default_factory=list)

    def base_url(self, k: int) -> str:
        return f"http://{HOST}:{self.ports[k] if self.ports else PLACEHOLDER + k}"

    def with_ports(self, ports: list[int]) -> Web:
        """The same pages with every placeholder port replaced by the served one (one regex pass)."""
        real = {PLACEHOLDER + k: str(p).encode() for k, p in enumerate(ports)}

        def swap(match: re.Match[bytes]) -> bytes:
            return b"127.0.0.1:" + real.get(int(match.group(1)), match.group(1))

        pages = [
            {path: (kind, modified, _PORT.sub(swap, body)) for path, (kind, modified, body) in site.items()}
            for site in self.pages
        ]
        return Web(self.slugs, pages, self.articles, list(ports))


def _links(body: bytes, base: str) -> Iterator[str]:
    for match in _URL.finditer(body.decode("utf-8", "replace")):
        url = urljoin(base + "/", match.group(1) or match.group(0))
        if url.startswith(base + "/"):
            yield urlsplit(url).path or "/"


def _render_site(site: Site) -> dict[str, tuple[str, str, bytes]]:
    """Every page reachable from /, /robots.txt and /sitemap.xml (breadth first)."""
    now = datetime.now(UTC)
    queue, pages, seen = ["/", "/robots.txt", "/sitemap.xml"], {}, set()
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        response = site.get(path)
        if response is None or response.status != 200:
            continue
        modified = format_datetime(min(response.last_modified, now).astimezone(UTC), usegmt=True)
        pages[path] = (response.content_type, modified, response.body)
        if response.content_type.startswith(("text/html", "application/", "text/plain")):
            queue.extend(p for p in _links(response.body, site.base_url) if p not in seen)
    return pages


def render_web(
    n_pages: int, seed: int = 1, anchor: date = date(2026, 11, 20), n_blogs: int | None = None
) -> Path:
    """Render (once; cached by size, seed, anchor and blogs) a synthetic web of `n_pages` article pages."""
    blogs_part = f"-b{n_blogs}" if n_blogs else ""
    path = out_dir("web") / f"web-{n_pages}{blogs_part}-s{seed}-{anchor.isoformat()}.pkl"
    if path.exists():
        return path
    blogs = synthetic_blogs(n_pages, seed=seed, anchor=anchor, n_blogs=n_blogs)
    web = Web([b.slug for b in blogs], [], [])
    for k, blog in enumerate(blogs):
        site = Site(blog, spec_for(blog.slug, k), f"http://{HOST}:{PLACEHOLDER + k}")
        web.pages.append(_render_site(site))
        web.articles.append([site.post_path(p) for p in blog.posts])
    tmp = path.with_suffix(".tmp")
    data = {"slugs": web.slugs, "pages": web.pages, "articles": web.articles}  # plain data: loads anywhere
    tmp.write_bytes(pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))
    tmp.replace(path)
    return path


def load_web(path: Path) -> Web:
    data = pickle.loads(Path(path).read_bytes())
    return Web(data["slugs"], data["pages"], data["articles"])


# --- the server (child process) ---------------------------------------------------------------------
class _Origin:
    """One blog's pages as ready-to-send responses."""

    def __init__(
        self,
        pages: dict[str, tuple[str, str, bytes]],
        stats: dict[str, int],
        fetched: Counter | None = None,
        latency_s: float = 0.0,
        origin: str = "",
    ) -> None:
        self.stats = stats
        self.origin = origin  # host:port, the key prefix in `fetched`
        self.fetched = fetched if fetched is not None else Counter()  # path → GETs, for "fetched twice"
        self.latency_s = latency_s
        self.responses: dict[str, tuple[bytes, bytes, bytes]] = {}
        for path, (kind, modified, body) in pages.items():
            etag = '"' + hashlib.md5(body).hexdigest() + '"'
            common = f"ETag: {etag}\r\nLast-Modified: {modified}\r\nCache-Control: no-cache\r\n"
            full = f"HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\n{common}\r\n"
            self.responses[path] = (
                etag.encode(),
                full.encode() + body,
                f"HTTP/1.1 304 Not Modified\r\n{common}\r\n".encode(),
            )

    def answer(self, head: bytes) -> bytes:
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ")
        path = urlsplit(parts[1].decode("latin-1") if len(parts) > 1 else "/").path
        self.stats["requests"] += 1
        if path in ("/__stats__", "/__fetched__", "/__reset__"):
            if path == "/__reset__":
                self.fetched.clear()
                self.stats.update(dict.fromkeys(self.stats, 0))
            data = dict(self.fetched) if path == "/__fetched__" else self.stats
            body = json.dumps(data).encode()
            return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (
                len(body),
                body,
            )
        self.fetched[self.origin + path] += 1
        found = self.responses.get(path)
        if found is None:
            self.stats["not_found"] += 1
            return (
                b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nnot found\n"
            )
        etag, full, not_modified = found
        for line in lines[1:]:
            if line[:14].lower() == b"if-none-match:" and etag in line:
                self.stats["not_modified"] += 1
                return not_modified
        self.stats["ok"] += 1
        return full

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                if self.latency_s and b" /__" not in head[:16]:  # like the internet: a round trip away
                    await asyncio.sleep(self.latency_s)
                writer.write(self.answer(head))
                await writer.drain()
                if b"connection: close" in head.lower():
                    break
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass
        finally:
            writer.close()


async def _serve(path: Path, max_seconds: float, latency_s: float = 0.0) -> None:
    web = load_web(path)
    sockets = []
    for _ in web.slugs:  # bind first: the pages must name the real ports
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind((HOST, 0))
        sock.listen(256)
        sockets.append(sock)
    ports = [sock.getsockname()[1] for sock in sockets]
    web = web.with_ports(ports)
    stats = {"requests": 0, "ok": 0, "not_modified": 0, "not_found": 0}
    fetched: Counter = Counter()
    servers = []
    for pages, sock in zip(web.pages, sockets, strict=True):
        origin = _Origin(pages, stats, fetched, latency_s, f"{HOST}:{sock.getsockname()[1]}")
        servers.append(await asyncio.start_server(origin.handle, sock=sock))
    print(json.dumps({"ports": ports}), flush=True)
    parent, deadline = os.getppid(), time.monotonic() + max_seconds
    while os.getppid() == parent and time.monotonic() < deadline:  # stop with the parent, or at the limit
        await asyncio.sleep(0.5)
    for server in servers:
        server.close()


@dataclass
class Served:
    """A running static web: its base URLs (one per blog) and the pages as served."""

    web: Web
    process: subprocess.Popen

    @property
    def base_urls(self) -> list[str]:
        return [self.web.base_url(k) for k in range(len(self.web.slugs))]

    def stats(self) -> dict[str, int]:
        return httpx.get(self.base_urls[0] + "/__stats__", timeout=10).json()

    def fetched(self) -> dict[str, int]:
        """GETs per `host:port/path` since the start or the last reset (the server's request log)."""
        return httpx.get(self.base_urls[0] + "/__fetched__", timeout=30).json()

    def reset(self) -> None:
        httpx.get(self.base_urls[0] + "/__reset__", timeout=10)


@contextmanager
def serve_web(path: Path, max_seconds: float = 3600, latency_s: float = 0.0) -> Iterator[Served]:
    """Start the static server in a child process (it stops with us, or after `max_seconds`).

    `latency_s` delays every answer (not the /__stats__ ones) like a server across the internet.
    """
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.staticweb", "serve", str(path), str(max_seconds), str(latency_s)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline() if process.stdout else ""
        if not line:
            raise RuntimeError(f"static web server for {path} did not start (exit {process.poll()})")
        yield Served(load_web(path).with_ports(json.loads(line)["ports"]), process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main(argv: list[str]) -> int:
    if len(argv) >= 3 and argv[1] == "serve":
        seconds, latency = (
            (float(argv[3]) if len(argv) > 3 else 3600),
            (float(argv[4]) if len(argv) > 4 else 0),
        )
        asyncio.run(_serve(Path(argv[2]), seconds, latency))
        return 0
    if len(argv) >= 3 and argv[1] == "render":
        print(render_web(int(argv[2])))
        return 0
    print(
        "usage: python -m bench.staticweb render N_PAGES | serve WEB.pkl [MAX_SECONDS [LATENCY_S]]",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
