"""The `resonanz` command line."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable

from . import __version__
from .config import ENV_DB, ConfigError

Handler = Callable[[argparse.Namespace], int]


def _common(parser: argparse.ArgumentParser, config: bool = True) -> None:
    parser.add_argument(
        "--db",
        metavar="PATH",
        help=f"DuckDB file or `ducklake:CATALOG` (default: from the config; env {ENV_DB})",
    )
    if config:
        parser.add_argument(
            "--config",
            "-c",
            metavar="FILE",
            help="config file (default: $RESONANZ_CONFIG or ./resonanz.toml)",
        )


def build_parser() -> argparse.ArgumentParser:
    from .commands import COMMANDS

    parser = argparse.ArgumentParser(
        prog="resonanz",
        description="Social listening and corporate-blog feedback: collect, store, enrich, surface.",
    )
    parser.add_argument("--version", action="version", version=f"resonanz {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (help_text, add_arguments, handler, needs_config) in COMMANDS.items():
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        _common(cmd, config=needs_config)
        add_arguments(cmd)
        cmd.set_defaults(handler=handler)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)]
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    handler: Handler = args.handler
    try:
        return handler(args) or 0
    except ConfigError as exc:
        print(f"resonanz: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("resonanz: interrupted", file=sys.stderr)
        return 130
    except UserError as exc:
        print(f"resonanz: {exc}", file=sys.stderr)
        return 1


class UserError(Exception):
    """An error with a message meant for the user (no traceback)."""


if __name__ == "__main__":
    sys.exit(main())
