"""A local HTTP server for tests (127.0.0.1 only): fixture files, programmable routes and faults, a request log.

Use the fixtures by importing them into a test module::

    from httpserver import http_server, make_server  # noqa: F401

`http_server` is one server for the whole session (use distinct paths per test); `make_server()`
starts a fresh one (its own port = its own site, robots.txt and download slot), closed after the test.
"""

from __future__ import annotations

import contextlib
import email.utils
import mimetypes
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

PAGES = Path(__file__).parent / "fixtures" / "pages"


@dataclass
class Route:
    """How one path answers. Validators (etag / last_modified) make it answer 304 to matching requests."""

    body: bytes | Callable[[], bytes] = b""
    status: int = 200
    content_type: str | None = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    delay_s: float = 0.0  # before the status line (a slow server)
    drip_s: float = 0.0  # between body chunks (a slow-drip server)
    chunk: int = 16_384
    filler_bytes: int = 0  # stream this many bytes of filler instead of body (huge responses)
    send_length: bool = True


@dataclass(frozen=True)
class Logged:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    at: float


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # many sources connect at once


class LocalServer:
    """A threaded HTTP server on 127.0.0.1 with a route table, mounted directories and a request log."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.mounts: dict[str, Path] = {}
        self.sequences: dict[str, list[Route]] = {}
        self.log: list[Logged] = []
        self.in_flight = 0  # requests being answered now
        self.max_in_flight = 0  # the most answered at once (per-site concurrency)
        self._lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", 0), _handler_for(self))
        self.port = self._httpd.server_address[1]
        self.netloc = f"127.0.0.1:{self.port}"
        self.base_url = f"http://{self.netloc}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, daemon=True, name=f"httpd-{self.port}"
        )
        self._thread.start()

    def url(self, path: str = "/") -> str:
        return self.base_url + (path if path.startswith("/") else "/" + path)

    # --- routes -----------------------------------------------------------------------------------
    def add(self, path: str, body: bytes | str | Callable[[], bytes] = b"", **options) -> str:
        """Serve `body` at `path` (Route options as keywords); returns the URL."""
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.routes[path] = Route(body=body, **options)
        return self.url(path)

    def add_file(self, path: str, file: str | Path, **options) -> str:
        """Serve a file's bytes (read at each request) at `path`."""
        file = Path(file)
        options.setdefault("content_type", mimetypes.guess_type(file.name)[0] or "application/octet-stream")
        return self.add(path, file.read_bytes, **options)

    def mount(self, prefix: str, directory: str | Path) -> str:
        """Serve the files below `directory` under the URL prefix."""
        self.mounts[prefix.rstrip("/") + "/"] = Path(directory)
        return self.url(prefix)

    # --- faults -----------------------------------------------------------------------------------
    def status(self, path: str, code: int, retry_after: str | None = None, body: str = "") -> str:
        """Answer `path` with an HTTP error (404, 410, 429, 500, 503...), optionally with Retry-After."""
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        return self.add(
            path, body or f"error {code}", status=code, headers=headers, content_type="text/plain"
        )

    def redirect(self, path: str, to: str, code: int = 302) -> str:
        return self.add(path, b"", status=code, headers={"Location": to}, content_type=None)

    def redirect_loop(self, path: str) -> str:
        """`path` redirects to `path?n=1`, which redirects back: a loop."""
        self.redirect(path + "?n=1", path)
        return self.redirect(path, path + "?n=1")

    def huge(
        self, path: str, size: int, content_type: str = "application/rss+xml", send_length: bool = True
    ) -> str:
        return self.add(path, filler_bytes=size, content_type=content_type, send_length=send_length)

    def slow(self, path: str, delay_s: float, body: bytes | str = b"slow", **options) -> str:
        return self.add(path, body, delay_s=delay_s, **options)

    def hostile_site(self, *links: str) -> str:
        """A home page linking to an article (/ok/), a mislabelled one (/latin1/) and hostile pages.

        /huge/ (300 kB), /image.png.html (image/png), /error/ (503) and a redirect loop at /loop/; `links`
        are added to the home page. Returns the home page's URL.
        """
        hostile = ["/huge/", "/image.png.html", "/error/", "/loop/", "/latin1/", "/ok/", *links]
        self.add("/", "<html><body>" + " ".join(f'<a href="{p}">x</a>' for p in hostile) + "</body></html>")
        self.add("/ok/", (PAGES / "wordpress.html").read_bytes())
        self.huge("/huge/", 300_000, content_type="text/html")
        self.add("/image.png.html", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, content_type="image/png")
        self.status("/error/", 503)
        self.redirect_loop("/loop/")
        self.add(
            "/latin1/", (PAGES / "ghost.html").read_bytes(), content_type="text/html; charset=iso-8859-1"
        )
        return self.url("/")

    def sequence(self, path: str, *routes: Route) -> str:
        """Answer `path` with these routes in turn (e.g. 429, then 200); the last one repeats."""
        self.sequences[path] = list(routes)
        return self.url(path)

    # --- log --------------------------------------------------------------------------------------
    def paths(self) -> list[str]:
        with self._lock:
            return [entry.path for entry in self.log]

    def requests_for(self, path: str) -> list[Logged]:
        with self._lock:
            return [entry for entry in self.log if entry.path == path]

    def clear_log(self) -> None:
        with self._lock:
            self.log.clear()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # --- internals --------------------------------------------------------------------------------
    def _record(self, method: str, path: str, headers: dict[str, str]) -> None:
        with self._lock:
            self.log.append(Logged(method, path, headers, time.time()))

    def _enter(self, delta: int) -> None:
        with self._lock:
            self.in_flight += delta
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _resolve(self, path: str) -> Route | None:
        bare = path.split("?", 1)[0]
        with self._lock:
            queue = self.sequences.get(path)
            if queue:
                return queue.pop(0) if len(queue) > 1 else queue[0]
        route = self.routes.get(path) or self.routes.get(bare)
        if route is not None:
            return route
        for prefix, directory in self.mounts.items():
            if bare.startswith(prefix):
                file = (directory / bare[len(prefix) :]).resolve()
                if file.is_file() and directory.resolve() in file.parents:
                    ctype = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
                    return Route(body=file.read_bytes(), content_type=ctype)
        return None


def _not_modified(route: Route, headers: dict[str, str]) -> bool:
    if route.etag and headers.get("if-none-match"):
        return route.etag in [tag.strip() for tag in headers["if-none-match"].split(",")]
    if route.last_modified and headers.get("if-modified-since"):
        try:
            return email.utils.parsedate_to_datetime(
                headers["if-modified-since"]
            ) >= email.utils.parsedate_to_datetime(route.last_modified)
        except (TypeError, ValueError):
            return False
    return False


def _handler_for(server: LocalServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, *args) -> None:  # quiet
            pass

        def do_HEAD(self) -> None:
            self._answer(head=True)

        def do_GET(self) -> None:
            self._answer(head=False)

        def _answer(self, head: bool) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            server._record(self.command, self.path, headers)
            server._enter(1)
            try:
                route = server._resolve(self.path)
                if route is None:
                    route = Route(body=b"not found", status=404, content_type="text/plain")
                if route.delay_s:
                    time.sleep(route.delay_s)
            finally:
                # before the answer is written: a client that has the whole answer may send its next
                # request at once, and must not find this one still counted as in flight
                server._enter(-1)
            # the client may give up (size cap, timeout): expected in fault tests
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self._send(route, headers, head)

        def _send(self, route: Route, headers: dict[str, str], head: bool) -> None:
            if route.status == 200 and _not_modified(route, headers):
                self.send_response(304)
                self._validators(route)
                self.end_headers()
                return
            body = route.body() if callable(route.body) else route.body
            length = route.filler_bytes or len(body)
            self.send_response(route.status)
            if route.content_type:
                self.send_header("Content-Type", route.content_type)
            if route.send_length:
                self.send_header("Content-Length", str(length))
            for name, value in route.headers.items():
                self.send_header(name, value)
            self._validators(route)
            self.end_headers()
            if head:
                return
            for chunk in _chunks(body, route):
                self.wfile.write(chunk)
                if route.drip_s:
                    self.wfile.flush()
                    time.sleep(route.drip_s)

        def _validators(self, route: Route) -> None:
            if route.etag:
                self.send_header("ETag", route.etag)
            if route.last_modified:
                self.send_header("Last-Modified", route.last_modified)

    return Handler


def _chunks(body: bytes, route: Route) -> Iterator[bytes]:
    if route.filler_bytes:
        block = (b"<!-- filler -->" * (route.chunk // 15 + 1))[: route.chunk]
        sent = 0
        while sent < route.filler_bytes:
            piece = block[: route.filler_bytes - sent]
            sent += len(piece)
            yield piece
        return
    for start in range(0, len(body), route.chunk):
        yield body[start : start + route.chunk]


@pytest.fixture(scope="session")
def http_server() -> Iterator[LocalServer]:
    """One local server for the session; tests use their own paths on it."""
    server = LocalServer()
    yield server
    server.close()


@pytest.fixture
def make_server() -> Iterator[Callable[[], LocalServer]]:
    """A factory of fresh servers (one site each), all closed after the test."""
    started: list[LocalServer] = []

    def factory() -> LocalServer:
        server = LocalServer()
        started.append(server)
        return server

    yield factory
    for server in started:
        server.close()
