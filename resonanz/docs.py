"""Generated README sections (config reference, command reference): `python -m resonanz.docs` rewrites them.

A test fails when README.md differs from what this renders, so the docs cannot drift from the code.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from .config import Config

README = Path(__file__).resolve().parents[1] / "README.md"
SECTIONS = {"config-reference": "config_reference", "cli-reference": "cli_reference"}


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The section model behind `Section`, `Section | None` or `list[Section]`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next((m for m in map(_model_of, get_args(annotation)) if m is not None), None)


def _type_name(annotation: Any) -> str:
    """A short, readable type: `str`, `url`, `list[url]`, `"auto" | list[url]`, `int`, …"""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return "url" if args[0] is str else _type_name(args[0])
    if origin is Literal:
        return " \\| ".join(f'"{a}"' for a in args)
    if origin in (Union, UnionType):
        return " \\| ".join(_type_name(a) for a in args)
    if origin in (list, dict):
        return f"{origin.__name__}[{', '.join(_type_name(a) for a in args)}]"
    return "none" if annotation is type(None) else getattr(annotation, "__name__", str(annotation))


def _default(field: Any) -> str:
    """The default as it would be written in TOML (— for none/empty)."""
    if field.default is PydanticUndefined and field.default_factory is None:
        return "required"
    value = field.get_default(call_default_factory=True)
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{json.dumps(value, ensure_ascii=False)}`"


def config_reference() -> str:
    """One table per section: key, type, default, description."""
    out = []
    for name, field in Config.model_fields.items():
        model = _model_of(field.annotation)
        if model is None:
            continue
        header = f"[[{name}]]" if get_origin(field.annotation) is list else f"[{name}]"
        doc = (model.__doc__ or "").split(":", 1)[-1].strip()
        out += [f"**`{header}`** — {doc}", "", "| key | type | default | description |", "|---|---|---|---|"]
        for key, sub in model.model_fields.items():
            shown = sub.alias or key
            out.append(
                f"| `{shown}` | `{_type_name(sub.annotation)}` | {_default(sub)} | {sub.description or ''} |"
            )
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def cli_reference() -> str:
    """Every sub-command with its arguments, from the argparse parser."""
    from .cli import build_parser, sub_commands

    out = ["| command | what it does |", "|---|---|"]
    for top in sub_commands(build_parser()).values():
        for cmd in sub_commands(top).values() or [top]:
            usage = cmd.format_usage().replace("usage: ", "").strip()
            usage = re.sub(r"\s+", " ", usage).replace("|", "\\|")
            out.append(f"| `{usage}` | {cmd.description or ''} |")
    return "\n".join(out) + "\n"


def render(text: str) -> str:
    """README text with every generated section brought up to date."""
    for marker, func in SECTIONS.items():
        body = globals()[func]()
        pattern = re.compile(rf"(<!-- {marker}:start -->\n).*?(<!-- {marker}:end -->)", re.S)
        if not pattern.search(text):
            raise ValueError(f"README has no <!-- {marker}:start/end --> markers")
        text = pattern.sub(lambda m, body=body: m.group(1) + body + m.group(2), text)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m resonanz.docs", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if README.md is out of date")
    args = parser.parse_args(argv)
    current = README.read_text(encoding="utf-8")
    fresh = render(current)
    if args.check:
        return 0 if fresh == current else 1
    README.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
