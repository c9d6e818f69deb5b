"""URL identity and crawl scope: canonical URLs, comment URLs, per-netloc scope rules."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

TRACKING_PARAMS = frozenset({"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "_hsenc", "_hsmi"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_tracking(name: str) -> bool:
    return name.lower().startswith("utm_") or name.lower() in TRACKING_PARAMS


def normalize_url(url: str) -> str:
    """The URL with tracking parameters and fragment removed, canonicalised by w3lib."""
    return _normalize(url)


@lru_cache(maxsize=1 << 16)
def _normalize(url: str) -> str:
    """normalize_url, memoised: a crawl normalises every link of every page, mostly the same few thousand
    (navigation, tags, related posts); w3lib's canonicalisation was a tenth of the crawl process's CPU."""
    parts = urlsplit(url.strip())
    if parts.query:
        kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
        parts = parts._replace(query=urlencode(kept))
    netloc = parts.netloc.lower()
    if parts.port is not None and _DEFAULT_PORTS.get(parts.scheme.lower()) == parts.port:
        netloc = netloc.rsplit(":", 1)[0]
    return canonicalize_url(urlunsplit(parts._replace(netloc=netloc, fragment="")))


def canonical_url(url: str, canonical_href: str | None = None) -> str:
    """Identity of a page: its `<link rel=canonical>` (resolved against the URL) if given, else the URL."""
    if canonical_href and canonical_href.strip():
        target = urljoin(url, canonical_href.strip())
        if urlsplit(target).scheme in ("http", "https"):
            return normalize_url(target)
    return normalize_url(url)


def comment_id_from(text: str | None) -> str | None:
    """The id part of `comment-12`, `#response-7`, `k-3`, `li-comment-5` (trailing digits, else the token)."""
    if not text:
        return None
    text = text.strip().rsplit("#", 1)[-1]
    match = re.search(r"(\d+)$", text)
    if match:
        return match.group(1)
    match = re.search(r"(?:comment|response|reply|kommentar)[-_]?([\w-]+)$", text, re.IGNORECASE)
    return match.group(1) if match else None


def fallback_comment_id(*parts: object) -> str:
    """A stable comment id when the page gives none: a hash of author, date and text."""
    payload = "\x1f".join("" if p is None else str(p) for p in parts)
    return "h" + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def comment_url(post_canonical: str, comment_id: str) -> str:
    """Identity of a comment: `<post canonical URL>#comment-<id>`."""
    return f"{post_canonical.split('#', 1)[0]}#comment-{comment_id}"


def netloc_of(url: str) -> str:
    """host:port of a URL, lower-case, default ports dropped."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port
    if port is None or _DEFAULT_PORTS.get(parts.scheme.lower()) == port:
        return host
    return f"{host}:{port}"


class Scope:
    """Which URLs a site may visit.

    Entries with a port (`127.0.0.1:8001`) match exactly that host and port; entries without
    one (`example.com`) match the host and its subdomains on any port, as Scrapy's offsite rules do.
    """

    def __init__(self, allowed: Iterable[str]) -> None:
        self.exact: set[str] = set()
        self.domains: set[str] = set()
        for entry in allowed:
            entry = entry.strip().lower()
            if "://" in entry:
                entry = netloc_of(entry)
            entry = entry.strip("/")
            if not entry:
                continue
            host, _, port = entry.rpartition(":")
            if host and port.isdigit():
                self.exact.add(entry)
            else:
                self.domains.add(entry.lstrip("."))

    def allows(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return False
        if netloc_of(url) in self.exact:
            return True
        host = (parts.hostname or "").lower()
        return any(host == d or host.endswith("." + d) for d in self.domains)

    def __bool__(self) -> bool:
        return bool(self.exact or self.domains)
