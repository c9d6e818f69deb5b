"""HTTP fetching for feeds and single pages: conditional GET, size caps, clear errors."""

from __future__ import annotations

import email.utils
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from .urls import netloc_of

log = logging.getLogger(__name__)

DEFAULT_USER_AGENT = "ResonanzBot/0.1 (+https://github.com/resonanz/resonanz)"


@dataclass(frozen=True, slots=True)
class HttpSettings:
    """How feeds and single pages are fetched."""

    user_agent: str = DEFAULT_USER_AGENT
    timeout_s: float = 20.0  # connect / read timeout
    max_bytes: int = 10_000_000  # feeds
    max_redirects: int = 5
    max_page_bytes: int = 5_000_000  # articles fetched for summary-only feeds
    deadline_s: float | None = None  # whole response; default 3 x timeout_s (slow-drip servers)
    concurrency: int = 2  # parallel article / comment-feed requests per feed
    per_host: int = 2  # requests at once to one host:port, across all feeds fetched by this process

    @property
    def deadline(self) -> float:
        return self.deadline_s if self.deadline_s is not None else 3 * self.timeout_s


class TransientFetchError(Exception):
    """A retryable failure (timeout, connection error, 5xx, 429); `retry_after` in seconds if the server said."""

    def __init__(self, message: str, *, retry_after: float | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status


class FetchError(Exception):
    """A permanent failure (404/410, too large, redirect loop, wrong content type)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(slots=True)
class Fetched:
    """A response read within the limits."""

    url: str  # as requested
    final_url: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""
    elapsed_s: float = 0.0

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    @property
    def validators(self) -> tuple[str | None, str | None]:
        return self.headers.get("etag") or None, self.headers.get("last-modified") or None


_host_slots: dict[tuple[str, int], threading.BoundedSemaphore] = {}
_host_slots_lock = threading.Lock()


def host_slot(url: str, limit: int) -> threading.BoundedSemaphore:
    """The process-wide semaphore of a URL's host:port, so many feeds of one site never crowd it."""
    key = (netloc_of(url), max(1, limit))
    with _host_slots_lock:
        return _host_slots.setdefault(key, threading.BoundedSemaphore(key[1]))


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def make_client(settings: HttpSettings) -> httpx.Client:
    """A client with the User-Agent, timeouts and redirect limit of the settings."""
    return httpx.Client(
        headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"},
        timeout=httpx.Timeout(settings.timeout_s),
        follow_redirects=True,
        max_redirects=settings.max_redirects,
        trust_env=False,
    )


def conditional_headers(validators: tuple[str | None, str | None] | None) -> dict[str, str]:
    """If-None-Match / If-Modified-Since for stored (etag, last_modified)."""
    etag, last_modified = validators or (None, None)
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def _read_capped(response: httpx.Response, url: str, max_bytes: int, deadline: float) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(f"{url}: response too large ({int(declared):,} bytes > limit {max_bytes:,})")
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(f"{url}: response too large (more than the limit of {max_bytes:,} bytes)")
        if time.monotonic() > deadline:
            raise TransientFetchError(f"{url}: server too slow (response not complete within the deadline)")
        chunks.append(chunk)
    return b"".join(chunks)


def fetch(
    client: httpx.Client,
    url: str,
    settings: HttpSettings,
    *,
    validators: tuple[str | None, str | None] | None = None,
    max_bytes: int | None = None,
    accept: str | None = None,
) -> Fetched:
    """GET a URL with conditional headers, streaming within size and time limits.

    Raises TransientFetchError for retryable failures and FetchError for permanent ones; any other
    status >= 400 is a FetchError too.
    """
    headers = conditional_headers(validators)
    if accept:
        headers["Accept"] = accept
    with host_slot(url, settings.per_host):  # the timers start once it is this request's turn
        return _fetch(client, url, settings, headers, max_bytes or settings.max_bytes)


def _fetch(
    client: httpx.Client, url: str, settings: HttpSettings, headers: dict[str, str], limit: int
) -> Fetched:
    started = time.monotonic()
    try:
        with client.stream("GET", url, headers=headers) as response:
            status = response.status_code
            if status == 429 or status >= 500:
                retry_after = parse_retry_after(response.headers.get("retry-after"))
                hint = f", retry after {retry_after:.0f} s" if retry_after is not None else ""
                raise TransientFetchError(
                    f"{url}: HTTP {status}{hint}", retry_after=retry_after, status=status
                )
            if status >= 400:
                what = {404: "not found", 410: "gone", 401: "authorisation required", 403: "forbidden"}
                raise FetchError(f"{url}: HTTP {status} ({what.get(status, 'client error')})", status=status)
            body = b"" if status == 304 else _read_capped(response, url, limit, started + settings.deadline)
            return Fetched(
                url=url,
                final_url=str(response.url),
                status=status,
                headers={k.lower(): v for k, v in response.headers.items()},
                body=body,
                elapsed_s=time.monotonic() - started,
            )
    except httpx.TooManyRedirects as exc:
        raise FetchError(f"{url}: too many redirects (loop?) after {settings.max_redirects} hops") from exc
    except httpx.TimeoutException as exc:
        raise TransientFetchError(
            f"{url}: timed out after {settings.timeout_s:g} s ({type(exc).__name__})"
        ) from exc
    except httpx.ConnectError as exc:
        raise TransientFetchError(f"{url}: cannot connect ({exc or 'connection refused'})") from exc
    except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
        raise TransientFetchError(f"{url}: connection broken ({exc or type(exc).__name__})") from exc
    except httpx.DecodingError as exc:
        raise FetchError(f"{url}: undecodable response body ({exc})") from exc
    except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
        raise FetchError(f"{url}: unsupported URL ({exc})") from exc
