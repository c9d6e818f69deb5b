"""The sections of the config file; each field's description is the README's config reference."""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .cron import check_cron

DEFAULT_DB = "resonanz.duckdb"
ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
EMAIL = r"^[^@\s]+@[^@\s]+$"


class ConfigError(Exception):
    """A configuration file that cannot be used; the message names the file and the key."""


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def check_http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"must be an http(s) URL, got {value!r}")
    return value


HttpUrl = Annotated[str, Field(min_length=8)]


GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"})


def slugify(text: str) -> str:
    """A stable, lowercase ASCII id for a name or URL: `KI im Büro` → `ki-im-buero`, `Café` → `cafe`."""
    ascii_text = unicodedata.normalize("NFKD", text.translate(GERMAN)).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:60].rstrip("-") or hashlib.sha1(text.encode()).hexdigest()[:12]


class General(Section):
    """`[resonanz]`: where data lives and how Resonanz introduces itself."""

    database: str = Field(
        DEFAULT_DB, description="DuckDB file, relative to the config file; `RESONANZ_DB` overrides it."
    )
    data_dir: str = Field(
        ".resonanz",
        description="Working files (crawler HTTP cache, crawl output); `RESONANZ_DATA_DIR` overrides it.",
    )
    user_agent: str = Field(
        "ResonanzBot/0.1 (+https://github.com/resonanz/resonanz; contact: comms@example.com)",
        description="User-Agent sent with every request; say who you are and how to reach you.",
    )
    timezone: str = Field("Europe/Berlin", description="Time zone for days, weeks, schedules and digests.")


class Company(Section):
    """`[company]`: the brand that relevance is measured against."""

    name: str = Field("Our company", description="Company name (also a brand keyword).")
    brand_keywords: list[str] = Field(
        [], description="Words whose mention makes a topic relevant to the brand (case-insensitive)."
    )


def _name_and_id(model: Feed | Site | OwnBlog, fallback: str) -> None:
    if not model.id:
        object.__setattr__(model, "id", slugify(model.name or fallback))
    if not model.name:
        object.__setattr__(model, "name", model.id)


class Feed(Section):
    """`[[feeds]]`: an RSS or Atom feed, fetched with conditional GET."""

    url: HttpUrl = Field(description="Feed URL (required).")
    id: str = Field("", description="Stable source id (default: a slug of the name or URL).")
    name: str = Field("", description="Display name (default: the id).")
    full_text: Literal["auto", "always", "never"] = Field(
        "auto", description="Fetch and extract the article page: `auto` when the feed carries only a summary."
    )

    _url = field_validator("url")(check_http_url)

    @model_validator(mode="after")
    def _defaults(self) -> Feed:
        _name_and_id(self, self.url)
        return self


class Site(Section):
    """`[[sites]]`: a blog crawled with Scrapy for articles and their comments."""

    start_urls: list[HttpUrl] = Field(min_length=1, description="Where the crawl starts (required).")
    id: str = Field("", description="Stable source id (default: a slug of the name or first start URL).")
    name: str = Field("", description="Display name (default: the id).")
    allowed_domains: list[str] = Field(
        [], description="Hosts (or host:port) the crawl may visit; default: the start URLs' hosts."
    )
    max_pages: int = Field(200, ge=1, le=100_000, description="Pages per crawl at most.")
    max_depth: int = Field(4, ge=0, le=50, description="Link depth from the start URLs at most.")
    follow_feeds: bool = Field(
        True, description="Discover feeds (`<link rel=alternate>`) and follow their items."
    )
    follow_sitemaps: bool = Field(
        True, description="Discover sitemaps (robots.txt, /sitemap.xml) and follow them."
    )

    @field_validator("start_urls")
    @classmethod
    def _urls(cls, urls: list[str]) -> list[str]:
        return [check_http_url(u) for u in urls]

    @model_validator(mode="after")
    def _defaults(self) -> Site:
        _name_and_id(self, self.start_urls[0])
        if not self.allowed_domains:
            object.__setattr__(self, "allowed_domains", [urlsplit(u).netloc for u in self.start_urls])
        return self


class OwnBlog(Section):
    """`[own_blog]`: the company's own blog — posts from its feed, comments from comment feeds or pages."""

    name: str = Field("Own blog", description="Display name.")
    id: str = Field("own-blog", description="Source id.")
    feed: HttpUrl | None = Field(None, description="The blog's feed (posts); `feed` or `site` is required.")
    site: HttpUrl | None = Field(
        None, description="The blog's home page (crawled for comments when `comment_pages`)."
    )
    comment_feeds: Literal["auto"] | list[HttpUrl] = Field(
        "auto", description="`auto`: each post's `wfw:commentRss`; or a list of comment-feed URLs."
    )
    comment_pages: bool = Field(False, description="Also crawl the post pages for comments.")
    max_pages: int = Field(200, ge=1, le=100_000, description="Pages per crawl of the own site at most.")

    @model_validator(mode="after")
    def _need_something(self) -> OwnBlog:
        for url in [self.feed, self.site] + (
            self.comment_feeds if isinstance(self.comment_feeds, list) else []
        ):
            if url is not None:
                check_http_url(url)
        if self.feed is None and self.site is None:
            raise ValueError("own_blog needs 'feed' or 'site'")
        return self


class Crawl(Section):
    """`[crawl]`: fetching and crawling behaviour for all sources."""

    concurrency_per_domain: int = Field(
        2, ge=1, le=64, description="Requests in flight per site (host:port)."
    )
    concurrency: int = Field(16, ge=1, le=256, description="Requests in flight overall.")
    autothrottle: bool = Field(
        True, description="Scrapy AutoThrottle: adapt the delay to each server's latency."
    )
    download_delay: float = Field(
        0.25, ge=0, le=60, description="Minimum seconds between requests to one site."
    )
    obey_robots: bool = Field(True, description="Obey robots.txt (rules and Crawl-delay).")
    timeout_s: float = Field(
        20, gt=0, le=600, description="Seconds per request before it counts as a timeout."
    )
    max_page_bytes: int = Field(
        5_000_000, ge=10_000, description="Larger pages are dropped with a recorded error."
    )
    max_feed_bytes: int = Field(
        10_000_000, ge=10_000, description="Larger feeds are rejected with a recorded error."
    )
    revisit_days: int = Field(
        30, ge=0, description="Known articles older than this are not re-checked for new comments."
    )
    retries: int = Field(
        2,
        ge=0,
        le=10,
        description="Retries of transient failures (timeouts, 5xx, 429 after Retry-After), with backoff.",
    )


class Topic(Section):
    """`[[topics]]`: one entry of the taxonomy that documents are scored against."""

    name: str = Field(min_length=1, description="Topic name (required; stakeholders refer to it).")
    description: str = Field(
        "", description="One line on what belongs to the topic (used by the zero-shot model)."
    )
    keywords: list[str] = Field(
        [], description="Typical terms, German and English (used by the zero-shot model)."
    )


class Stakeholder(Section):
    """`[[stakeholders]]`: who gets a digest about which topics."""

    name: str = Field(min_length=1, description="Name (required).")
    email: str = Field(pattern=EMAIL, description="Address digests are sent to (required).")
    topics: list[str] = Field([], description="Names of the `[[topics]]` this person owns.")


class Models(Section):
    """`[models]`: `builtin:...` offline defaults, or any Hugging Face model id / local directory."""

    device: Literal["auto", "cpu", "cuda"] = Field(
        "auto", description="Where transformer models run (`auto`: CUDA when present)."
    )
    precision: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        "auto",
        description="Compute precision of transformer models (`auto`: bfloat16 on CPUs with native bf16, float16 on CUDA, else float32).",
    )
    batch_size: int = Field(32, ge=1, le=4096, description="Texts per model batch.")
    language: str = Field("builtin:lingua", description="Language detector.")
    embedding: str = Field(
        "builtin:use", description="Sentence encoder for topics, emerging topics and question groups."
    )
    sentiment: str = Field(
        "builtin:sentiment-head",
        description="Sentiment model: the builtin head or a text-classification model.",
    )
    topics: str = Field(
        "builtin:prototypes",
        description="Topic model: builtin embedding prototypes or a zero-shot (NLI) model.",
    )
    max_length: int = Field(
        256,
        ge=16,
        le=4096,
        description="Tokens per text for transformer models (longer texts are truncated).",
    )
    sentiment_labels: dict[str, Literal["negative", "neutral", "positive"]] = Field(
        {},
        description='Map a sentiment model\'s own labels onto negative/neutral/positive, e.g. `{"LABEL_0" = "negative"}`.',
    )
    topic_threshold: float = Field(
        0.5,
        gt=0,
        lt=1,
        description="Zero-shot (NLI) topic models: score from which a document is assigned to a topic "
        "(`builtin:prototypes` assigns relative to the corpus: the best topic, and others scoring half of it).",
    )
    hypothesis_template: str = Field(
        "This text is about {}.", description="Hypothesis of zero-shot (NLI) topic models."
    )
    emerging_days: int = Field(
        56, ge=1, le=3650, description="Days of external posts clustered into emerging topics."
    )
    emerging_min_posts: int = Field(
        3, ge=1, le=1000, description="Posts an emerging topic needs to be listed (fewer: outlier bucket)."
    )
    emerging_min_blogs: int = Field(
        2,
        ge=1,
        le=100,
        description="Distinct blogs an emerging topic needs to be listed (fewer: outlier bucket).",
    )
    refit_after: int = Field(
        50,
        ge=0,
        le=100_000,
        description="New sentiment corrections after which a pipeline run refits the builtin head on all "
        "editors' corrections and re-enriches sentiment (0: never).",
    )


class Schedule(Section):
    """`[schedule]`: cron strings for `resonanz serve`, in `resonanz.timezone`; empty disables one."""

    collect: str = Field("0 */2 * * *", description="The pipeline run (collect → enrich).")
    digest: str = Field("0 7 * * 1", description="Stakeholder digests.")

    _cron = field_validator("collect", "digest")(check_cron)


class Operations(Section):
    """`[operations]`: run health."""

    failure_threshold: int = Field(
        3, ge=1, le=1000, description="A source failing this many fetches in a row is flagged."
    )


class Storage(Section):
    """`[warehouse]`: where the warehouse lives — one DuckDB file (default) or a DuckLake for scale-out (docs/scale.md)."""

    backend: Literal["duckdb", "ducklake"] = Field(
        "duckdb",
        description="`duckdb`: the file `resonanz.database` (one machine, no service); `ducklake`: Parquet files + a catalog database, written by many processes.",
    )
    catalog: str = Field(
        "",
        description="DuckLake catalog: `postgres:dbname=... host=... user=...` (several hosts; password via `PGPASSWORD`) or `sqlite:lake.sqlite` (one host, relative to the config file); `RESONANZ_WAREHOUSE_CATALOG` overrides it.",
    )
    data_path: str = Field(
        "",
        description="DuckLake data files (a folder every writer reaches, relative to the config file); stored in the catalog by `resonanz warehouse init`; `RESONANZ_WAREHOUSE_DATA_PATH` overrides it.",
    )
    compact: str = Field(
        "30 3 * * *",
        description="Cron string of `resonanz serve`'s DuckLake compaction (merge small files, expire old snapshots); empty disables it.",
    )
    keep_snapshots_days: int = Field(
        7,
        ge=0,
        le=3650,
        description="Compaction expires DuckLake snapshots older than this (time travel window).",
    )

    _cron = field_validator("compact")(check_cron)

    @model_validator(mode="after")
    def _lake_needs_catalog(self) -> Storage:
        if self.backend == "ducklake" and not (self.catalog or os.environ.get("RESONANZ_WAREHOUSE_CATALOG")):
            raise ValueError("backend 'ducklake' needs `catalog` ('postgres:...' or 'sqlite:...')")
        if self.catalog and not self.catalog.removeprefix("ducklake:").startswith(("postgres:", "sqlite:")):
            raise ValueError(
                f"catalog {self.catalog!r}: use 'postgres:dbname=... host=... user=...' or 'sqlite:PATH'"
            )
        return self


class Scale(Section):
    """`[scale]`: scale-out on several processes or hosts (docs/scale.md); one machine needs none of it."""

    redis_url: str = Field(
        "",
        description="Redis of the shared crawl frontier (`redis://host:6379/0`, `unix:///path/redis.sock`): crawler processes on every host share one queue, dupefilter and per-host politeness; empty: each crawl alone.",
    )
    crawl_processes: int = Field(
        1, ge=1, le=64, description="Crawler processes per crawl on one host (more than 1 needs `redis_url`)."
    )
    collect_shards: int = Field(
        1,
        ge=1,
        le=256,
        description="Collection flow runs the sources are split over (`resonanz serve --work-pool`: picked up by the pool's workers).",
    )

    @field_validator("redis_url")
    @classmethod
    def _redis(cls, value: str) -> str:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"redis_url {value!r}: use 'redis://host:6379/0' or 'unix:///path/redis.sock'")
        return value

    @model_validator(mode="after")
    def _processes_need_redis(self) -> Scale:
        if self.crawl_processes > 1 and not self.redis_url:
            raise ValueError("crawl_processes > 1 needs `redis_url` (the processes share its frontier)")
        return self

    dask: bool = Field(
        False,
        description="Enrich pending documents in batches on a Dask cluster (a local one unless `dask_address`); off: in this process.",
    )
    dask_address: str = Field(
        "",
        description="`tcp://host:8786` of a running Dask scheduler whose workers have PREFECT_API_URL set; empty: a local cluster of `dask_workers` processes.",
    )
    dask_workers: int = Field(2, ge=1, le=256, description="Worker processes of the local Dask cluster.")
    dask_torch_threads: int = Field(
        0,
        ge=0,
        le=256,
        description="Torch threads per Dask worker; 0: the cores ÷ `dask_workers` (local cluster), as started (`dask_address`).",
    )
    dask_batch: int = Field(250, ge=1, le=100_000, description="Documents per Dask task (one write each).")

    @field_validator("dask_address")
    @classmethod
    def _address(cls, value: str) -> str:
        if value and "://" not in value:
            raise ValueError(f"dask_address {value!r}: use 'tcp://host:8786'")
        return value


class Privacy(Section):
    """`[privacy]`: GDPR — keyed pseudonyms for comment authors, retention of raw text."""

    pseudonymize_authors: bool = Field(
        False, description="Store comment authors as keyed pseudonyms (HMAC-SHA256)."
    )
    key_env: str = Field(
        "RESONANZ_PSEUDONYM_KEY",
        pattern=ENV_NAME,
        description="Environment variable holding the pseudonym key (≥ 16 characters).",
    )
    retention_days: int = Field(
        0, ge=0, description="Empty text and title of documents older than this after each run (0: keep)."
    )

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


class Digest(Section):
    """`[digest]`: stakeholder digests — period, size, and SMTP delivery (off while `smtp_host` is empty)."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_by_name=True, validate_by_alias=True)

    days: int = Field(7, ge=1, le=90, description="Days a digest covers, up to the last run.")
    max_evidence: int = Field(5, ge=1, le=50, description="Evidence posts listed per digest.")
    max_questions: int = Field(5, ge=0, le=50, description="Open reader questions listed per digest.")
    smtp_host: str = Field("", description="SMTP server; empty: digests are written, not sent.")
    smtp_port: int = Field(587, ge=1, le=65535, description="SMTP port.")
    smtp_user: str = Field("", description="SMTP login (empty: none).")
    password_env: str = Field(
        "RESONANZ_SMTP_PASSWORD",
        pattern=ENV_NAME,
        description="Environment variable holding the SMTP password.",
    )
    from_address: str = Field(
        "resonanz@localhost", alias="from", pattern=EMAIL, description="Sender address (key `from`)."
    )
    starttls: bool = Field(True, description="Use STARTTLS.")
    timeout_s: float = Field(30, gt=0, le=600, description="SMTP timeout in seconds.")

    def smtp_password(self) -> str | None:
        """The SMTP password from the environment variable `password_env` (None when unset)."""
        return os.environ.get(self.password_env) or None


class Alerts(Section):
    """`[alerts]`: spike detection — the recent window against the trailing baseline of the same topic."""

    recent_days: int = Field(7, ge=1, le=60, description="Length of the recent window in days.")
    baseline_days: int = Field(56, ge=7, le=365, description="Length of the trailing baseline in days.")
    threshold: float = Field(2.0, gt=0, le=20, description="Deviation (z-score) from which a spike alerts.")
    min_documents: int = Field(5, ge=1, description="Fewer documents in the recent window never alert.")
    negative_share_delta: float = Field(
        0.15, gt=0, le=1, description="Rise of the negative share that alerts (0.15 = 15 points)."
    )
