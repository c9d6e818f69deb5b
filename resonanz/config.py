"""The one configuration file: TOML, validated with pydantic, environment overrides for paths."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from pydantic import Field, ValidationError, model_validator

from warehouse.target import Warehouse, as_warehouse

from .cron import check_cron
from .sections import (
    DEFAULT_DB,
    Alerts,
    Company,
    ConfigError,
    Crawl,
    Digest,
    Feed,
    General,
    Models,
    Operations,
    OwnBlog,
    Privacy,
    Scale,
    Schedule,
    Section,
    Site,
    Stakeholder,
    Storage,
    Topic,
    check_http_url,
    slugify,
)

__all__ = [
    "DEFAULT_DB",
    "Alerts",
    "Company",
    "Config",
    "ConfigError",
    "Crawl",
    "Digest",
    "Feed",
    "General",
    "Models",
    "Operations",
    "OwnBlog",
    "Privacy",
    "Scale",
    "Schedule",
    "Site",
    "Stakeholder",
    "Storage",
    "Topic",
    "check_cron",
    "check_http_url",
    "load_config",
    "parse_config",
    "slugify",
]

ENV_CONFIG = "RESONANZ_CONFIG"
ENV_DB = "RESONANZ_DB"
ENV_DATA_DIR = "RESONANZ_DATA_DIR"
ENV_CATALOG = "RESONANZ_WAREHOUSE_CATALOG"
ENV_DATA_PATH = "RESONANZ_WAREHOUSE_DATA_PATH"
ENV_USER = "RESONANZ_USER"  # the app's default editor name for corrections
DEFAULT_CONFIG = "resonanz.toml"
BUILTIN_SENTIMENT = "builtin:sentiment-head"
REFIT_HEAD = "sentiment-head-corrections.npz"


class Config(Section):
    """The whole configuration; `path` is the file it came from (None for defaults)."""

    resonanz: General = General()
    company: Company = Company()
    own_blog: OwnBlog | None = None
    feeds: list[Feed] = Field(default_factory=list)
    sites: list[Site] = Field(default_factory=list)
    crawl: Crawl = Crawl()
    topics: list[Topic] = Field(default_factory=list)
    stakeholders: list[Stakeholder] = Field(default_factory=list)
    models: Models = Models()
    schedule: Schedule = Schedule()
    operations: Operations = Operations()
    privacy: Privacy = Privacy()
    digest: Digest = Digest()
    alerts: Alerts = Alerts()
    warehouse: Storage = Storage()
    scale: Scale = Scale()
    path: str | None = Field(None, exclude=True)

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
                raise ValueError(
                    f"stakeholders[{i}].topics: unknown topic(s) {unknown}; known: {sorted(names)}"
                )
        return self

    @property
    def base_dir(self) -> Path:
        return Path(self.path).parent if self.path else Path.cwd()

    @property
    def db_path(self) -> Path:
        """DuckDB file: $RESONANZ_DB, else `resonanz.database` relative to the config file."""
        return _resolve(os.environ.get(ENV_DB) or self.resonanz.database, self.base_dir)

    @property
    def db(self) -> Warehouse:
        """The configured warehouse: the DuckDB file (`db_path`) or the DuckLake of `[warehouse]`.

        $RESONANZ_DB (a file path or a `ducklake:` catalog) overrides both.
        """
        if os.environ.get(ENV_DB):
            return as_warehouse(os.environ[ENV_DB])
        section = self.warehouse
        if section.backend == "duckdb":
            return Warehouse.file(self.db_path)
        catalog = os.environ.get(ENV_CATALOG) or section.catalog
        if catalog.removeprefix("ducklake:").startswith("sqlite:"):
            catalog = "sqlite:" + str(
                _resolve(catalog.removeprefix("ducklake:").removeprefix("sqlite:"), self.base_dir)
            )
        data_path = os.environ.get(ENV_DATA_PATH) or section.data_path
        if data_path and "://" not in data_path:
            data_path = str(_resolve(data_path, self.base_dir))
        return Warehouse.lake(catalog, data_path or None)

    @property
    def refit_head(self) -> Path:
        """The sentiment head refitted on editors' corrections (flows/refit.py): under the data folder."""
        return self.data_dir / "models" / REFIT_HEAD

    @property
    def models_in_use(self) -> Models:
        """`[models]` as enrichment loads them: the builtin sentiment head is replaced by the head refitted
        on editors' corrections once a run has written one."""
        if self.models.sentiment == BUILTIN_SENTIMENT and self.refit_head.is_file():
            return self.models.model_copy(update={"sentiment": str(self.refit_head)})
        return self.models

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
        key = (
            "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"]).lstrip(".")
            or "(top level)"
        )
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
    try:
        text = chosen.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"config file {chosen} is not UTF-8 text (a TOML file is expected)") from None
    except OSError as exc:
        raise ConfigError(f"cannot read the config file {chosen}: {exc.strerror}") from None
    return parse_config(text, str(chosen.resolve()))
