"""Sub-commands: init, run, stats, import-opml."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from ..cli import UserError
from ..config import Config, parse_config
from ..config_edit import checked, taken_ids
from ..console import local_time, plural, show_progress
from ..opml import append_feeds, read_opml
from .common import (
    config_from,
    confirm,
    db_from,
    declined,
    optional_config,
    output_path,
    print_json,
    usage_error,
)
from .summary import print_summary


def example_config() -> str:
    """The demo configuration (`resonanz init --demo`): every key shown, sources on the demo web."""
    return resources.files("resonanz").joinpath("example-config.toml").read_text(encoding="utf-8")


def blank_config() -> str:
    """The commented minimal configuration for an own project (`resonanz init`)."""
    return resources.files("resonanz").joinpath("blank-config.toml").read_text(encoding="utf-8")


# --- init -------------------------------------------------------------------------------------------
def _init_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "path", nargs="?", default="resonanz.toml", help="where to write it (default ./resonanz.toml)"
    )
    p.add_argument(
        "--demo",
        action="store_true",
        help="write the demo configuration (every key shown; sources on `resonanz demo-web`)",
    )
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.set_defaults(database="create")


def _with_database(text: str, db: Path, config_dir: Path) -> str:
    """The config text with `database = …` pointing at `db` (relative to the config when inside its folder)."""
    try:
        value = db.relative_to(config_dir.resolve()).as_posix()
    except ValueError:
        value = db.as_posix()
    line = f"database = {json.dumps(value)}"
    return re.sub(r"^database = .*$", lambda _: line, text, count=1, flags=re.M)


def cmd_init(args: argparse.Namespace) -> int:
    target = Path(args.path).expanduser()
    if target.is_dir() or args.path.endswith(("/", os.sep)):
        target = target / "resonanz.toml"
    if target.exists() and not args.force:
        raise UserError(f"{target} exists; use --force to overwrite it")
    if not target.parent.exists() and target.parent.parent.is_dir():
        target.parent.mkdir()
    output_path(str(target))
    text = example_config() if args.demo else blank_config()
    if args.db:
        db = db_from(args)
        if db.is_lake:
            raise UserError("init --db takes a DuckDB file; a DuckLake goes in [warehouse] (docs/scale.md)")
        text = _with_database(text, db.path, target.parent)
    parse_config(text, str(target))  # what we write must load
    target.write_text(text, encoding="utf-8")
    config = "" if target.resolve() == Path("resonanz.toml").resolve() else f" --config {target}"
    if args.demo:
        print(
            f"wrote the demo configuration to {target}: start `resonanz demo-web`, then `resonanz run{config}`"
        )
    else:
        print(f"wrote {target}. Next: fill in [company] and the topics, add sources with")
        print(
            f"  resonanz add-feed URL{config}   (or add-site URL, import-opml FILE), then `resonanz run{config}`"
        )
    return 0


# --- run --------------------------------------------------------------------------------------------
def _run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-enrich", action="store_true", help="collect only")
    p.add_argument("--force-enrich", action="store_true", help="re-enrich every document (asks first)")
    p.add_argument(
        "--yes", "-y", action="store_true", help="with --force-enrich: do not ask for confirmation"
    )
    p.add_argument("--json", action="store_true", help="print the run summary as JSON")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the summary and errors")
    p.set_defaults(database="create")


def run_pipeline_command(args: argparse.Namespace, config_path: str, db: Path, **options: Any) -> Any:
    """Run the pipeline flow for a command: Ctrl-C / SIGTERM stop it cleanly, a temporary Prefect server if needed."""
    from flows.prefect_env import configure_prefect

    configure_prefect()
    from flows.interrupt import exit_interrupted, on_interrupt, stop_on_signals, stopping
    from flows.pipeline import pipeline
    from flows.prefect_server import PrefectServerError, prefect_api

    with stop_on_signals():
        try:
            with prefect_api(Path(os.environ["PREFECT_HOME"]) / "temporary-server.log") as server:
                if server is not None:
                    on_interrupt(lambda: server.stop(1.0))
                return pipeline(config_path=config_path, db=str(db), **options)
        except PrefectServerError as exc:
            raise UserError(str(exc)) from None
        except BaseException:  # KeyboardInterrupt, Prefect's TerminationSignal, anything while stopping
            if stopping():
                exit_interrupted()
            raise


def cmd_run(args: argparse.Namespace) -> int:
    from flows.lock import check_run_lock

    cfg = config_from(args)
    db = db_from(args, cfg)
    cfg.privacy.pseudonym_key()  # a missing secret stops here, before a run is started
    if not (cfg.feeds or cfg.sites or cfg.own_blog):
        raise UserError(
            f"no sources in {cfg.path}: add one with `resonanz add-feed URL` or `resonanz add-site URL` "
            "(or `resonanz import-opml FILE`)"
        )
    if args.no_enrich and args.force_enrich:
        usage_error(args, "--force-enrich and --no-enrich exclude each other")
    if args.yes and not args.force_enrich:
        usage_error(args, "--yes goes with --force-enrich")
    if args.force_enrich and not confirm(
        args, f"would re-enrich every document in {db}, replacing the stored results", "Re-enrich?"
    ):
        return declined(args)
    show_progress(args.quiet or args.json, getattr(args, "debug", False))
    check_run_lock(db, cfg.scale.redis_url or None)  # fail fast, before Prefect; the flow takes the lock
    summary = run_pipeline_command(
        args, cfg.path, db, enrich=not args.no_enrich, force_enrich=args.force_enrich
    )
    data = summary.to_dict()
    print_json(data) if args.json else print_summary(data, quiet=args.quiet)
    return run_exit_status(summary)


def run_exit_status(summary: Any) -> int:
    """0 for a run that collected (some sources may have failed); 1 with one line when it failed or got nothing."""
    sources = summary.collect.sources if summary.collect else []
    if summary.status == "failed":
        print(f"resonanz: run {summary.run_id} failed: {summary.error}", file=sys.stderr)
        return 1
    if sources and all(s.status == "error" for s in sources):
        print(
            f"resonanz: every source failed ({len(sources)}): nothing collected; "
            "check the errors above and `resonanz health`",
            file=sys.stderr,
        )
        return 1
    return 0


# --- stats ------------------------------------------------------------------------------------------
def _stats_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="one JSON object: sources, documents, runs, last_run")


def cmd_stats(args: argparse.Namespace) -> int:
    from warehouse.stats import collection_stats

    cfg = optional_config(args)
    stats = collection_stats(db_from(args, cfg))
    if args.json:
        print_json(stats)
        return 0
    zone = (cfg or Config()).resonanz.timezone
    docs = stats["documents"]
    print(f"sources: {stats['sources']}")
    print(
        f"documents: {docs['total']}  (posts: {docs['post_external']} external, {docs['post_own']} own; "
        f"comments: {docs['comment_external']} external, {docs['comment_own']} own)"
    )
    print(f"runs: {stats['runs']}")
    last = stats["last_run"]
    if last:
        when = local_time(last["finished_at"] or last["started_at"], zone)
        print(f"last run: {last['status']} at {when} ({last['run_id']})")
    else:
        print("last run: none yet — `resonanz run` collects and enriches")
    return 0


# --- import-opml ------------------------------------------------------------------------------------
def _opml_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="OPML file (as exported by feed readers)")
    p.set_defaults(database="none")


def cmd_import_opml(args: argparse.Namespace) -> int:
    cfg = config_from(args)
    feeds = read_opml(Path(args.file))
    known = {f.url for f in cfg.feeds}
    new = [f for f in feeds if f.url not in known]
    if not new:
        print(f"no new feeds in {args.file} ({plural(len(feeds), 'feed')} found, all configured)")
        return 0
    path = Path(cfg.path)
    updated = append_feeds(path.read_text(encoding="utf-8"), new, taken=taken_ids(cfg))
    checked(updated, str(path), f"importing {args.file}")
    path.write_text(updated, encoding="utf-8")
    print(f"added {plural(len(new), 'feed')} to {path} ({len(feeds) - len(new)} already configured)")
    return 0


COMMANDS = {
    "init": (
        "write a commented config for an own project (--demo: the demo configuration)",
        _init_args,
        cmd_init,
        False,
    ),
    "run": (
        "run the whole pipeline once (collect → enrich) through the Prefect flow",
        _run_args,
        cmd_run,
        True,
    ),
    "stats": ("print counts: sources, documents by kind, runs, last run", _stats_args, cmd_stats, True),
    "import-opml": ("add the feeds of an OPML file to the config", _opml_args, cmd_import_opml, True),
}
