"""Append sources to a config file as text, so its comments and layout stay as the user wrote them."""

from __future__ import annotations

from .config import Config, ConfigError, parse_config
from .sections import slugify


def toml_str(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
    return f'"{escaped}"'


def taken_ids(cfg: Config) -> set[str]:
    """Source ids in use (feeds, sites, own blog)."""
    ids = {f.id for f in cfg.feeds} | {s.id for s in cfg.sites}
    return ids | ({cfg.own_blog.id} if cfg.own_blog else set())


def unique_id(name: str, taken: set[str]) -> str:
    """A slug of `name` (ü → ue) not in `taken` (then -2, -3, …); it is added to `taken`."""
    base = slugify(name)
    ident, n = base, 2
    while ident in taken:
        ident, n = f"{base}-{n}", n + 1
    taken.add(ident)
    return ident


def table(kind: str, **values: str | int | list[str]) -> list[str]:
    """A `[[kind]]` table as TOML lines (strings, integers, lists of strings)."""
    lines = [f"[[{kind}]]"]
    for key, value in values.items():
        if isinstance(value, list):
            shown = "[" + ", ".join(toml_str(v) for v in value) + "]"
        elif isinstance(value, int):
            shown = str(value)
        else:
            shown = toml_str(value)
        lines.append(f"{key} = {shown}")
    return [*lines, ""]


def appended(config_text: str, heading: str, tables: list[list[str]]) -> str:
    """The config text with the tables appended under a `# --- heading ---` comment."""
    lines = [config_text.rstrip("\n"), "", f"# --- {heading} ---"]
    for block in tables:
        lines += block
    return "\n".join(lines)


def checked(text: str, path: str, what: str) -> Config:
    """Parse the edited text; a ConfigError says that `what` would make the config invalid."""
    try:
        return parse_config(text, path)
    except ConfigError as exc:
        raise ConfigError(f"{what} would make the config invalid:\n{exc}") from None
