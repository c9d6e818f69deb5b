"""The `resonanz` command line: one parser, and one error style — `resonanz: …` on stderr, no traceback.

Every sub-command gets `--db` (unless it declares `database="none"`), `--config` (when it reads the
config) and `--debug`. A command declares how it uses the database with `p.set_defaults(database=…)`:
`read` (the default: it must exist and is never created), `create` (a first run may create it), or
`none` (no `--db` at all).
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable

from . import __version__
from .config import ENV_DB, ConfigError

Handler = Callable[[argparse.Namespace], int]
EXIT_INTERRUPTED = 130


class UserError(Exception):
    """An error with a message meant for the user (no traceback); `code` is the exit status."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors: `resonanz: run: unrecognized arguments: --x (see `resonanz run -h`)`."""

    def error(self, message: str) -> None:  # type: ignore[override]
        where = self.prog.removeprefix("resonanz").strip()
        self.exit(2, f"resonanz: {where + ': ' if where else ''}{message} (see `{self.prog} -h`)\n")

    def parse_args(self, args=None, namespace=None):  # type: ignore[override]
        parsed, extra = self.parse_known_args(args, namespace)
        if extra:  # reported by the sub-command's parser, which names itself
            getattr(parsed, "command_parser", self).error(f"unrecognized arguments: {' '.join(extra)}")
        return parsed


def _common(parser: argparse.ArgumentParser, config: bool = True) -> None:
    if parser.get_default("database") != "none":
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
    parser.add_argument(  # listed once, under `resonanz -h`; accepted after the command too
        "--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS
    )


def build_parser() -> argparse.ArgumentParser:
    from .commands import COMMANDS

    parser = Parser(
        prog="resonanz",
        description="Social listening and corporate-blog feedback: collect, store, enrich, surface.",
    )
    parser.add_argument("--version", action="version", version=f"resonanz {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (help_text, add_arguments, handler, needs_config) in COMMANDS.items():
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        cmd.set_defaults(handler=handler, database="read", command_parser=cmd)
        add_arguments(cmd)
        actions = sub_commands(cmd)  # `resonanz warehouse init`: the common arguments go on each action
        for child in actions.values():
            child.set_defaults(command_parser=child)
            _common(child, config=needs_config)
        if not actions:
            _common(cmd, config=needs_config)
    return parser


def sub_commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The sub-commands (or a command's actions) of `parser`, by name; empty when it has none."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def describe(exc: BaseException) -> tuple[str, int]:
    """The one-line message and exit status for an error that ends a command."""
    from flows.lock import LockUnavailable, RunLocked
    from warehouse.db import DatabaseBusy, DatabaseMissing
    from warehouse.target import WarehouseError

    if isinstance(exc, UserError):
        return str(exc), exc.code
    if isinstance(exc, ConfigError | WarehouseError):
        return str(exc), 2  # may list several keys, one per indented line
    if isinstance(exc, RunLocked):
        return str(exc), 3
    if isinstance(exc, LockUnavailable):
        return str(exc), 1
    if isinstance(exc, DatabaseMissing | DatabaseBusy):
        return str(exc), 1
    if isinstance(exc, OSError) and exc.strerror:
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror.lower()}", 1
    if type(exc).__module__.split(".")[0] in ("duckdb", "_duckdb"):
        hint = " (is it a Resonanz database? check --db)" if "Catalog" in type(exc).__name__ else ""
        return f"database error: {_first_line(str(exc))}{hint}", 1
    name = type(exc).__name__
    return f"unexpected error {name}: {_first_line(str(exc))} (rerun with --debug for the traceback)", 1


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def main(argv: list[str] | None = None) -> int:
    from .console import setup_logging

    parser = build_parser()
    args = parser.parse_args(argv)
    debug = bool(getattr(args, "debug", False))
    setup_logging(args.verbose, debug)
    handler: Handler = args.handler
    try:
        return handler(args) or 0
    except BrokenPipeError:  # `resonanz digest | head`: the reader left; say nothing
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except KeyboardInterrupt:  # writes are short transactions: an interrupted one rolls back
        print("resonanz: interrupted — nothing lost; rerun to continue", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        if str(exc) == "Query interrupted":  # DuckDB turns a Ctrl-C during a query into this
            print("resonanz: interrupted — nothing lost; rerun to continue", file=sys.stderr)
            return EXIT_INTERRUPTED
        message, code = describe(exc)
        if debug:
            traceback.print_exc()
        print(f"resonanz: {message}", file=sys.stderr)
        return code


if __name__ == "__main__":  # `python -m resonanz.cli`: the package's module, so `except UserError` matches
    from resonanz.cli import main as _main

    sys.exit(_main())
