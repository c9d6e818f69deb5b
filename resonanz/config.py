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
    # builtin:use (multilingual USE v3) measured best for topics and cross-lingual clustering (docs/nlp.md)
    embedding: str = "builtin:use"
    sentiment: str = "builtin:sentiment-head"
    topics: str = "builtin:prototypes"
    max_length: int = Field(256, ge=16, le=4096)
    sentiment_labels: dict[str, Literal["negative", "neutral", "positive"]] = {}
    topic_threshold: float = Field(0.5, gt=0, lt=1)
    hypothesis_template: str = "This text is about {}."
    emerging_days: int = Field(56, ge=1, le=3650)


CRON_MACROS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
CRON_FIELDS = (  # name, lowest, highest, names
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")),
    ("day of week", 0, 7, ("sun", "mon", "tue", "wed", "thu", "fri", "sat")),
)


def _cron_value(token: str, field: tuple[str, int, int, tuple[str, ...]]) -> int:
    name, low, high, names = field
    if token.lower() in names:
        return names.index(token.lower()) + low
    if not token.isdigit() or not low <= int(token) <= high:
        raise ValueError(f"{name}: {token!r} is not a number in {low}-{high}" + (" or a name" if names else ""))
    return int(token)


def _check_cron_item(item: str, field: tuple[str, int, int, tuple[str, ...]]) -> None:
    span, slash, step = item.partition("/")
    if slash and (not step.isdigit() or int(step) == 0):
        raise ValueError(f"{field[0]}: step {step!r} must be a positive number")
    if span == "*":
        return
    first, dash, last = span.partition("-")
    if dash and _cron_value(first, field) > _cron_value(last, field):
        raise ValueError(f"{field[0]}: range {span!r} runs backwards")
    _cron_value(first, field)


def check_cron(expr: str) -> str:
    """Validate a standard 5-field cron string (or @hourly, @daily, ...); '' disables the schedule."""
    text = " ".join(expr.split())
    if not text or text.lower() in CRON_MACROS:
        return text
    fields = text.split(" ")
    if len(fields) != 5:
        raise ValueError(f"cron {expr!r} needs 5 fields (minute hour day-of-month month day-of-week), "
                         f"got {len(fields)}; e.g. \"0 */2 * * *\" = every 2 hours")
    for part, field in zip(fields, CRON_FIELDS, strict=True):
        for item in part.split(","):
            try:
                _check_cron_item(item, field)
            except ValueError as exc:
                raise ValueError(f"cron {expr!r}, {exc}") from None
    return text


class Schedule(_Model):
    """Cron strings for `resonanz serve`, in `resonanz.timezone`; an empty string disables one."""

    collect: str = "0 */2 * * *"
    digest: str = "0 7 * * 1"

    _cron = field_validator("collect", "digest")(check_cron)


class Operations(_Model):
    """Run health: a source failing `failure_threshold` fetches in a row is flagged."""

    failure_threshold: int = Field(3, ge=1, le=1000)


class Privacy(_Model):
    """GDPR: keyed pseudonyms for comment authors, retention of raw text (0 days = keep forever)."""

    pseudonymize_authors: bool = False
    key_env: str = Field("RESONANZ_PSEUDONYM_KEY", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    retention_days: int = Field(0, ge=0)

    def pseudonym_key(self) -> bytes | None:
        """The HMAC key from the environment variable `key_env`; None when pseudonymisation is off."""
        if not self.pseudonymize_authors:
            return None
        key = os.environ.get(self.key_env, "")
        if len(key) < 16:
            state = "is not set" if not key else "is shorter than 16 characters"
            raise ConfigError(
                f"privacy.pseudonymize_authors is on but the environment variable {self.key_env} {state}; "
                f"set it to a long random secret (e.g. `export {self.key_env}=$(openssl rand -hex 32)`) "
                "and keep it: a new key gives every author a new pseudonym"
            )
        return key.encode("utf-8")


class Digest(_Model):
    """Stakeholder digests: period, size, and SMTP delivery (off while `smtp_host` is empty)."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_by_name=True, validate_by_alias=True)

    days: int = Field(7, ge=1, le=90)
    max_evidence: int = Field(5, ge=1, le=50)
    max_questions: int = Field(5, ge=0, le=50)
    smtp_host: str = ""
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_user: str = ""
    password_env: str = Field("RESONANZ_SMTP_PASSWORD", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    from_address: str = Field("resonanz@localhost", alias="from", pattern=r"^[^@\s]+@[^@\s]+$")
    starttls: bool = True
    timeout_s: float = Field(30, gt=0, le=600)

    def smtp_password(self) -> str | None:
        """The SMTP password from the environment variable `password_env` (None when unset)."""
        return os.environ.get(self.password_env) or None


class Alerts(_Model):
    """Spike detection: the recent window against the trailing baseline of the same topic."""

    recent_days: int = Field(7, ge=1, le=60)
    baseline_days: int = Field(56, ge=7, le=365)
    threshold: float = Field(2.0, gt=0, le=20)
    min_documents: int = Field(5, ge=1)
    negative_share_delta: float = Field(0.15, gt=0, le=1)


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
    operations: Operations = Operations()
    privacy: Privacy = Privacy()
    digest: Digest = Digest()
    alerts: Alerts = Alerts()
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
