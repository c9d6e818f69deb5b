"""The demo blogosphere web server: one process, a hub plus one origin (port) per blog on 127.0.0.1.

Ports: the hub listens on the base port (default 8750: index, /opml.xml, /sites.json, /healthz and
`POST /__demo__/publish?site=SLUG&n=1`); blog i of `demo.sites.SITES` on base + 1 + i, so URLs stay
stable between runs; base port 0 puts every origin on a free port. In tests::

    with DemoWeb(content_dir=folder, anchor=date(2026, 3, 15), base_port=0) as web:
        web.feed_urls["mittelstand-digital"]; web.publish("erp-insider"); web.request_log
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import NamedTuple, Protocol
from urllib.parse import parse_qs, urlsplit

from .hub import Hub, json_response
from .model import Blog, load_blogs, today_berlin
from .site import Response, Site
from .sites import SiteSpec, port_offsets, spec_for
from .wpapi import API_PREFIX

log = logging.getLogger(__name__)

DEFAULT_PORT = 8750
HOST = "127.0.0.1"
HUB = "hub"
PUBLISH_PATH = "/__demo__/publish"


class DemoWebError(OSError):
    """The demo web cannot listen (a port is taken); the message names the port and the blog."""


class LoggedRequest(NamedTuple):
    """One request as the server saw it."""

    site: str  # blog slug, or "hub"
    method: str
    path: str  # with the query string
    status: int
    headers: dict[str, str]


class _Origin(Protocol):
    def get(self, path: str) -> Response | None: ...


def not_modified(etag: str, last_modified: datetime, headers: Mapping[str, str]) -> bool:
    """True when the conditional request headers match (If-None-Match wins over If-Modified-Since)."""
    if_none_match = headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or etag in tags
    if_modified_since = headers.get("If-Modified-Since")
    if not if_modified_since:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return int(last_modified.timestamp()) <= int(since.timestamp())


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], name: str, origin: _Origin, web: DemoWeb) -> None:
        super().__init__(address, _Handler)
        self.name = name
        self.origin = origin
        self.web = web

    def handle_error(self, request: object, client_address: object) -> None:
        log.debug("demo web: %s: connection from %s failed", self.name, client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx/1.24.0"
    server: _Server

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        parts = urlsplit(self.path)
        if self.server.name != HUB or parts.path != PUBLISH_PATH:
            self._send(_not_found(), head=False)
            return
        query = parse_qs(parts.query)
        slug = (query.get("site") or [None])[0]
        try:
            n = int((query.get("n") or ["1"])[0])
            urls = self.server.web.publish(slug, n)
        except (KeyError, ValueError) as exc:
            status = 404 if isinstance(exc, KeyError) else 400
            self._send(json_response({"error": str(exc.args[0])}, datetime.now(UTC), status), head=False)
            return
        self._send(json_response({"published": urls}, datetime.now(UTC)), head=False)

    def _serve(self, head: bool) -> None:
        parts = urlsplit(self.path)
        path = parts.path + (f"?{parts.query}" if parts.query and parts.path.startswith(API_PREFIX) else "")
        try:
            response = self.server.origin.get(path) or _not_found()
        except Exception:
            log.exception("demo web: %s failed on %s", self.server.name, path)
            response = Response(b"internal error\n", "text/plain; charset=utf-8", datetime.now(UTC), 500)
        self._send(response, head)

    def _send(self, response: Response, head: bool) -> None:
        # never later than now (RFC 9110 8.8.2.1): content dates of the anchor day may lie ahead
        last_modified = min(response.last_modified, datetime.now(UTC)).astimezone(UTC)
        status = response.status
        if status == 200 and self.command in ("GET", "HEAD"):
            status = 304 if not_modified(response.etag, last_modified, self.headers) else status
        entry = LoggedRequest(self.server.name, self.command, self.path, status, dict(self.headers.items()))
        self.server.web.record(entry)  # before answering, so a client sees its request in the log
        self.send_response(status)
        self.send_header("ETag", response.etag)
        self.send_header("Last-Modified", format_datetime(last_modified, usegmt=True))
        if status != 304:
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Cache-Control", "no-cache")
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if status != 304 and not head:
            self.wfile.write(response.body)

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s %s", self.server.name, format % args)


def _not_found() -> Response:
    body = b'<!DOCTYPE html><html lang="en"><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>\n'
    return Response(body, "text/html; charset=utf-8", datetime(2026, 1, 1, tzinfo=UTC), 404)


class DemoWeb:
    """The demo blogosphere: start(), then hub_url, sites, feed_urls, publish(), request_log, stop()."""

    def __init__(
        self,
        content_dir: Path | str | None = None,
        anchor: date | None = None,
        base_port: int = DEFAULT_PORT,
        host: str = HOST,
        blogs: Iterable[Blog] | None = None,
        specs: Mapping[str, SiteSpec] | None = None,
    ) -> None:
        self.anchor = anchor or today_berlin()
        self.base_port = base_port
        self.host = host
        loaded = (
            list(blogs)
            if blogs is not None
            else load_blogs(Path(content_dir) if content_dir else None, self.anchor)
        )
        self._offsets = port_offsets([b.slug for b in loaded])
        self._sites: dict[str, Site] = {}
        for i, blog in enumerate(sorted(loaded, key=lambda b: self._offsets[b.slug])):
            spec = (specs or {}).get(blog.slug) or spec_for(blog.slug, i)
            self._sites[blog.slug] = Site(blog, spec)
        self._hub = Hub(list(self._sites.values()), self.anchor, lambda: self.hub_url)
        self._servers: list[_Server] = []
        self._threads: list[threading.Thread] = []
        self._log: list[LoggedRequest] = []
        self._log_lock = threading.Lock()

    # --- lifecycle ------------------------------------------------------------------------------
    def start(self) -> DemoWeb:
        """Bind every origin and serve each in a background thread."""
        if self._servers:
            return self
        try:
            self._bind(HUB, self._hub, 0)
            for slug, site in self._sites.items():
                server = self._bind(slug, site, self._offsets[slug])
                site.base_url = f"http://{self.host}:{server.server_address[1]}"
        except OSError:
            self.stop()
            raise
        for server in self._servers:
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.1},
                daemon=True,
                name=f"demo-web-{server.name}",
            )
            thread.start()
            self._threads.append(thread)
        log.info("demo web: hub %s, %d blogs", self.hub_url, len(self._sites))
        return self

    def _bind(self, name: str, origin: _Origin, offset: int) -> _Server:
        port = self.base_port + offset if self.base_port else 0
        try:
            server = _Server((self.host, port), name, origin, self)
        except OSError as exc:
            raise DemoWebError(
                f"demo web: cannot listen on {self.host}:{port} for {name} ({exc.strerror}); "
                "stop the other demo web or pass another --port (0 = any free ports)"
            ) from exc
        self._servers.append(server)
        return server

    def stop(self) -> None:
        """Shut every origin down (idempotent)."""
        stoppers = [
            threading.Thread(target=server.shutdown) for server in self._servers[: len(self._threads)]
        ]
        for thread in stoppers:
            thread.start()
        for thread in stoppers:
            thread.join()
        for server in self._servers:
            server.server_close()
        self._servers, self._threads = [], []

    def __enter__(self) -> DemoWeb:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def serve_forever(self) -> None:
        """Block until interrupted (Ctrl-C), then stop."""
        self.start()
        try:
            threading.Event().wait()
        finally:
            self.stop()

    # --- addresses ------------------------------------------------------------------------------
    @property
    def hub_url(self) -> str:
        if not self._servers:
            raise RuntimeError("demo web: not started (call start() first)")
        return f"http://{self.host}:{self._servers[0].server_address[1]}"

    @property
    def sites(self) -> dict[str, str]:
        """Blog slug → base URL (no trailing slash), in port order."""
        return {slug: site.base_url for slug, site in self._sites.items()}

    @property
    def feed_urls(self) -> dict[str, str]:
        """Blog slug → main feed URL (blogs without a feed are absent)."""
        return {slug: site.feed_url for slug, site in self._sites.items() if site.feed_url}

    @property
    def comment_feed_urls(self) -> dict[str, str]:
        """Blog slug → site-wide comment feed URL (only blogs that have one)."""
        return {slug: site.comments_feed_url for slug, site in self._sites.items() if site.comments_feed_url}

    def site(self, slug: str) -> Site:
        """The served Site of `slug` (KeyError names the known slugs)."""
        try:
            return self._sites[slug]
        except KeyError:
            raise KeyError(f"unknown demo blog {slug!r}; known: {', '.join(self._sites)}") from None

    # --- publishing and the request log ---------------------------------------------------------
    def publish(self, slug: str | None = None, n: int = 1) -> list[str]:
        """Publish `n` reserve posts of `slug` (None: of every blog); returns the new post URLs."""
        targets = [self.site(slug)] if slug else list(self._sites.values())
        return [url for site in targets for url in site.publish(n)]

    def record(self, entry: LoggedRequest) -> None:
        with self._log_lock:
            self._log.append(entry)

    @property
    def request_log(self) -> list[LoggedRequest]:
        """A snapshot of every request so far (thread-safe copy)."""
        with self._log_lock:
            return list(self._log)

    def clear_log(self) -> None:
        with self._log_lock:
            self._log.clear()
