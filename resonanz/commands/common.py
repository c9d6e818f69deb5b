"""Helpers shared by the sub-commands: config and database lookup, input and output files, safe destructive commands."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from warehouse.target import Warehouse, as_warehouse

from ..config import DEFAULT_DB, ENV_DB, Config, load_config

DUCKDB_MAGIC = b"DUCK"  # at byte 8 of every DuckDB file


def config_from(args: argparse.Namespace) -> Config:
    """The config named by --config / $RESONANZ_CONFIG / ./resonanz.toml."""
    return load_config(getattr(args, "config", None))


def db_from(args: argparse.Namespace, config: Config | None = None) -> Warehouse:
    """--db, else $RESONANZ_DB, else the config's warehouse, else ./resonanz.duckdb.

    --db and $RESONANZ_DB take a file path or a `ducklake:` catalog (docs/scale.md). A file that
    exists must be a DuckDB file. Commands that only read (`database="read"`, the default) also
    need the warehouse to exist: a typo never creates an empty database.
    """
    if getattr(args, "db", None):
        db = as_warehouse(args.db)
    elif os.environ.get(ENV_DB):
        db = as_warehouse(os.environ[ENV_DB])
    elif config is not None:
        db = config.db
    else:
        db = Warehouse.file(DEFAULT_DB)
    check_db(db, must_exist=getattr(args, "database", "read") == "read")
    return db


def check_db(db: Warehouse, must_exist: bool = True) -> None:
    """Raise UserError unless `db` is a DuckDB file (or, with must_exist=False, a path one can be created at)."""
    from ..cli import UserError

    if db.is_lake:
        if must_exist and not db.exists():
            raise UserError(
                f"no Resonanz warehouse at {db.name}: initialise it with `resonanz warehouse init`"
            )
        return
    path = db.path
    if path.is_dir():
        raise UserError(f"{path} is a folder, not a DuckDB file: pass the database file with --db")
    if path.exists():
        try:
            with path.open("rb") as handle:
                head = handle.read(12)
        except OSError as exc:
            raise UserError(f"cannot read the database {path}: {exc.strerror}") from None
        if head[8:12] != DUCKDB_MAGIC:
            raise UserError(f"{path} is not a DuckDB database (check --db / resonanz.database)")
        return
    if must_exist:
        raise UserError(
            f"no Resonanz database at {path}: check --db / the config, or run `resonanz run` to collect first"
        )
    if path.parent.exists() and not path.parent.is_dir():
        raise UserError(f"cannot create the database {path}: {path.parent} is not a folder")


def optional_config(args: argparse.Namespace) -> Config | None:
    """The config if one is named or ./resonanz.toml exists, else None."""
    if getattr(args, "config", None) or os.environ.get("RESONANZ_CONFIG") or Path("resonanz.toml").exists():
        return config_from(args)
    return None


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


def usage_error(args: argparse.Namespace, message: str) -> None:
    """Stop with an argparse error of the command (one line, exit 2), e.g. for flags that do not combine."""
    args.command_parser.error(message)


def read_text_lines(path: str | None) -> list[str]:
    """Lines of a UTF-8 text file, or of stdin when `path` is None or '-' (without their line ends)."""
    from ..cli import UserError

    if path in (None, "-"):
        stream = getattr(sys.stdin, "buffer", None)
        data = stream.read() if stream is not None else sys.stdin.read().encode("utf-8")
        name = "standard input"
    else:
        file = Path(path).expanduser()
        if not file.exists():
            raise UserError(f"input file {path} not found")
        if file.is_dir():
            raise UserError(f"input {path} is a folder: give a text file with one text per line")
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise UserError(f"cannot read {path}: {exc.strerror}") from None
        name = str(path)
    if b"\x00" in data:
        raise UserError(f"{name} is not a text file (binary data): give UTF-8 text, one text per line")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError(f"{name} is not UTF-8 text (byte {exc.start}): convert it to UTF-8") from None
    if not text.strip():
        raise UserError(f"{name} is empty: give one text per line")
    return text.splitlines()


def output_path(path: str, folder: bool = False) -> Path:
    """Check that `path` can be written: its folder exists (for folder=True, it is a folder or can be one)."""
    from ..cli import UserError

    target = Path(path).expanduser()
    if folder:
        if target.exists() and not target.is_dir():
            raise UserError(f"output {path} is a file, not a folder: give a folder for the files")
        if not target.exists() and not target.parent.is_dir():
            raise UserError(f"cannot create the folder {path}: {target.parent} does not exist")
        return target
    if target.is_dir():
        raise UserError(f"output {path} is a folder: give a file name")
    if not target.parent.is_dir():
        why = "is not a folder" if target.parent.exists() else "does not exist"
        raise UserError(f"cannot write {path}: {target.parent} {why}")
    if not os.access(target.parent, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise UserError(f"cannot write {path}: permission denied")
    return target


# --- destructive commands ---------------------------------------------------------------------------
def add_safety_args(parser: argparse.ArgumentParser, what: str = "what would change") -> None:
    """--dry-run and --yes for a command that deletes or rewrites data (see `confirm`)."""
    parser.add_argument("--dry-run", action="store_true", help=f"show {what}, change nothing")
    parser.add_argument(
        "--yes", "-y", action="store_true", help="do not ask for confirmation (asked only on a terminal)"
    )


def interactive() -> bool:
    """Whether a person is at a terminal to answer a question."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def confirm(args: argparse.Namespace, preview: str, question: str) -> bool:
    """Whether a destructive step may go ahead.

    --dry-run: prints `preview` (what would change, future tense) and returns False. On a terminal
    without --yes: prints `preview` and asks `question`. Otherwise (--yes, scripts, schedules): True.
    Then change and report in the past tense; on False end with `declined(args)`. With --json the
    preview is left to the JSON (dry run) or goes to stderr (question).
    """
    as_json = getattr(args, "json", False)
    if getattr(args, "dry_run", False):
        if not as_json:
            print(preview)
        return False
    if getattr(args, "yes", False) or not interactive():
        return True
    print(preview, file=sys.stderr if as_json else sys.stdout)
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        answer = ""
    return answer.strip().lower() in ("y", "yes", "j", "ja")


def declined(args: argparse.Namespace) -> int:
    """The end of a destructive command that changed nothing: exit 0 after --dry-run, 1 when declined."""
    if getattr(args, "dry_run", False):
        print("dry run: nothing changed")
        return 0
    print("resonanz: not confirmed — nothing changed", file=sys.stderr)
    return 1
