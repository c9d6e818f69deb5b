"""The one configuration file: TOML, validated with pydantic, environment overrides for paths."""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

ENV_CONFIG = "RESONANZ_CONFIG"
ENV_DB = "RESONANZ_DB"
ENV_DATA_DIR = "RESONANZ_DATA_DIR"
DEFAULT_CONFIG = "resonanz.toml"
DEFAULT_DB = "resonanz.duckdb"


class ConfigError(Exception):
    """A configuration file that cannot be used; the message names the file and the key."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"must be an http(s) URL, got {value!r}")
    return value


HttpUrl = Annotated[str, Field(min_length=8)]
SLUG = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


def slugify(text: str) -> str:
    """A stable, lowercase ASCII id for a name or URL."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:60] or hashlib.sha1(text.encode()).hexdigest()[:12]


class General(_Model):
    database: str = DEFAULT_DB
    data_dir: str = ".resonanz"
    user_agent: str = "ResonanzBot/0.1 (+https://github.com/resonanz/resonanz; contact: comms@example.com)"
    timezone: str = "Europe/Berlin"


class Company(_Model):
    name: str = "Our company"
    brand_keywords: list[str] = []


class Feed(_Model):
    url: HttpUrl
    id: str = ""
    name: str = ""
    full_text: Literal["auto", "always", "never"] = "auto"

    _url = field_validator("url")(_check_http_url)

    @model_validator(mode="after")
    def _defaults(self) -> Feed:
        if not self.id:
            object.__setattr__(self, "id", slugify(self.name or self.url))
        if not self.name:
            object.__setattr__(self, "name", self.id)
        return self


class Site(_Model):
    start_urls: list[HttpUrl] = Field(min_length=1)
    id: str = ""
    name: str = ""
    allowed_domains: list[str] = []
    max_pages: int = Field(200, ge=1, le=100_000)
    max_depth: int = Field(4, ge=0, le=50)
    follow_feeds: bool = True
    follow_sitemaps: bool = True

    @field_validator("start_urls")
    @classmethod
    def _urls(cls, urls: list[str]) -> list[str]:
        return [_check_http_url(u) for u in urls]

    @model_validator(mode="after")
    def _defaults(self) -> Site:
        if not self.id:
            object.__setattr__(self, "id", slugify(self.name or self.start_urls[0]))
        if not self.name:
            object.__setattr__(self, "name", self.id)
        if not self.allowed_domains:
            object.__setattr__(self, "allowed_domains", [urlsplit(u).netloc for u in self.start_urls])
        return self


class OwnBlog(_Model):
    name: str = "Own blog"
    id: str = "own-blog"
    feed: HttpUrl | None = None
    site: HttpUrl | None = None
    comment_feeds: Literal["auto"] | list[HttpUrl] = "auto"
    comment_pages: bool = False
    max_pages: int = Field(200, ge=1, le=100_000)

    @model_validator(mode="after")
    def _need_something(self) -> OwnBlog:
        for url in [self.feed, self.site] + (self.comment_feeds if isinstance(self.comment_feeds, list) else []):
            if url is not None:
                _check_http_url(url)
        if self.feed is None and self.site is None:
            raise ValueError("own_blog needs 'feed' or 'site'")
        return self


class Crawl(_Model):
    concurrency_per_domain: int = Field(2, ge=1, le=64)
    concurrency: int = Field(16, ge=1, le=256)
    autothrottle: bool = True
    download_delay: float = Field(0.25, ge=0, le=60)
    obey_robots: bool = True
    timeout_s: float = Field(20, gt=0, le=600)
    max_page_bytes: int = Field(5_000_000, ge=10_000)
    max_feed_bytes: int = Field(10_000_000, ge=10_000)
    revisit_days: int = Field(30, ge=0)
    retries: int = Field(2, ge=0, le=10)


class Topic(_Model):
    name: str = Field(min_length=1)
    description: str = ""
    keywords: list[str] = []


class Stakeholder(_Model):
    name: str = Field(min_length=1)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    topics: list[str] = []


class Models(_Model):
    device: Literal["auto", "cpu", "cuda"] = "auto"
    batch_size: int = Field(32, ge=1, le=4096)
    language: str = "builtin:lingua"
    embedding: str = "builtin:use-minilm"
    sentiment: str = "builtin:sentiment-head"
    topics: str = "builtin:prototypes"
    max_length: int = Field(256, ge=16, le=4096)


class Schedule(_Model):
    collect: str = "0 */2 * * *"
    digest: str = "0 7 * * 1"


class Config(_Model):
    """The whole configuration; `path` is the file it came from (None for defaults)."""

    resonanz: General = General()
    company: Company = Company()
    own_blog: OwnBlog | None = None
    feeds: list[Feed] = []
    sites: list[Site] = []
    crawl: Crawl = Crawl()
    topics: list[Topic] = []
    stakeholders: list[Stakeholder] = []
    models: Models = Models()
    schedule: Schedule = Schedule()
    path: str | None = None

    @model_validator(mode="after")
    def _cross_checks(self) -> Config:
        ids = [f.id for f in self.feeds] + [s.id for s in self.sites]
        if self.own_blog:
            ids.append(self.own_blog.id)
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"source ids must be unique; duplicated: {', '.join(dupes)}")
        names = {t.name for t in self.topics}
        for i, person in enumerate(self.stakeholders):
            unknown = [t for t in person.topics if t not in names]
            if unknown:
                raise ValueError(f"stakeholders[{i}].topics: unknown topic(s) {unknown}; known: {sorted(names)}")
        return self

    @property
    def base_dir(self) -> Path:
        return Path(self.path).parent if self.path else Path.cwd()

    @property
    def db_path(self) -> Path:
        """DuckDB file: $RESONANZ_DB, else `resonanz.database` relative to the config file."""
        return _resolve(os.environ.get(ENV_DB) or self.resonanz.database, self.base_dir)

    @property
    def data_dir(self) -> Path:
        """Working files (HTTP cache, crawl output): $RESONANZ_DATA_DIR, else `resonanz.data_dir`."""
        return _resolve(os.environ.get(ENV_DATA_DIR) or self.resonanz.data_dir, self.base_dir)


def _resolve(value: str, base: Path) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else (base / path).resolve()


def _format_errors(path: str, exc: ValidationError) -> str:
    lines = [f"invalid configuration in {path}:"]
    for err in exc.errors():
        key = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"]).lstrip(".") or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key (typo?)"
        lines.append(f"  {key}: {msg}")
    return "\n".join(lines)


def parse_config(text: str, path: str = "<string>") -> Config:
    """Parse and validate TOML text; raises ConfigError naming the file and the bad key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML in {path}: {exc}") from None
    data.pop("path", None)
    try:
        return Config.model_validate({**data, "path": path})
    except ValidationError as exc:
        raise ConfigError(_format_errors(path, exc)) from None


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Load the config from PATH, $RESONANZ_CONFIG or ./resonanz.toml."""
    chosen = Path(path or os.environ.get(ENV_CONFIG) or DEFAULT_CONFIG).expanduser()
    if not chosen.is_file():
        raise ConfigError(f"config file not found: {chosen} (create one with `resonanz init {chosen}`)")
    return parse_config(chosen.read_text(encoding="utf-8"), str(chosen.resolve()))
