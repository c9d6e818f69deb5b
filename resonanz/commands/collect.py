"""Sub-commands: init, run, stats, import-opml."""

from __future__ import annotations

import argparse
import logging
import sys
from importlib import resources
from pathlib import Path

from ..config import ConfigError, parse_config
from ..opml import append_feeds, read_opml
from .common import config_from, db_from, print_json

PROGRESS_LOGGERS = ("flows", "crawlers", "nlp", "warehouse", "resonanz")


def show_progress(quiet: bool = False) -> None:
    """Progress lines on stderr for long commands (our loggers at INFO, Prefect's stay quiet)."""
    if quiet:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s", "%H:%M:%S"))
    for name in PROGRESS_LOGGERS:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() > logging.INFO:
            logger.setLevel(logging.INFO)
        logger.addHandler(handler)
        logger.propagate = False


def example_config() -> str:
    return resources.files("resonanz").joinpath("example-config.toml").read_text(encoding="utf-8")


# --- init -------------------------------------------------------------------------------------------
def _init_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "path", nargs="?", default="resonanz.toml", help="where to write it (default ./resonanz.toml)"
    )
    p.add_argument("--force", action="store_true", help="overwrite an existing file")


def cmd_init(args: argparse.Namespace) -> int:
    target = Path(args.path)
    if target.exists() and not args.force:
        print(f"resonanz: {target} exists; use --force to overwrite", file=sys.stderr)
        return 1
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(example_config(), encoding="utf-8")
    print(f"wrote {target} — edit it, then run `resonanz run --config {target}`")
    return 0


# --- run --------------------------------------------------------------------------------------------
def _run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-enrich", action="store_true", help="collect only")
    p.add_argument("--force-enrich", action="store_true", help="re-enrich every document")
    p.add_argument("--json", action="store_true", help="print the run summary as JSON")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")


def print_summary(summary: dict) -> None:
    docs = summary.get("documents", {})
    print(
        f"run {summary['run_id']}: {summary['status']}  "
        f"documents +{docs.get('new', 0)} new, {docs.get('updated', 0)} updated, {docs.get('unchanged', 0)} unchanged"
    )
    for src in (summary.get("collect") or {}).get("sources", []):
        mark = "✗" if src["status"] == "error" else "✓"
        err = f"  — {src['error']}" if src.get("error") else ""
        print(
            f"  {mark} {src['source_id']:<28} {src['status']:<13} +{src['new']:<4} ~{src['updated']:<3}{err}"
        )
    if summary.get("enrich"):
        print(f"  enrichment: {summary['enrich']}")
    if summary.get("error"):
        print(f"  error: {summary['error']}")


def cmd_run(args: argparse.Namespace) -> int:
    cfg = config_from(args)
    db = db_from(args, cfg)
    show_progress(args.quiet or args.json)
    from flows.lock import RunLocked, check_run_lock
    from flows.prefect_env import configure_prefect

    try:
        check_run_lock(db)  # fail fast, before starting Prefect; the flow itself takes the lock
        configure_prefect()
        from flows.pipeline import pipeline

        summary = pipeline(
            config_path=cfg.path, db=str(db), enrich=not args.no_enrich, force_enrich=args.force_enrich
        )
    except RunLocked as exc:
        print(f"resonanz: {exc}", file=sys.stderr)
        return 3
    data = summary.to_dict()
    print_json(data) if args.json else print_summary(data)
    return 1 if summary.status == "failed" else 0


# --- stats ------------------------------------------------------------------------------------------
def _stats_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="one JSON object: sources, documents, runs, last_run")


def cmd_stats(args: argparse.Namespace) -> int:
    from warehouse.stats import collection_stats

    from .common import optional_config

    stats = collection_stats(db_from(args, optional_config(args)))
    if args.json:
        print_json(stats)
        return 0
    docs = stats["documents"]
    print(f"sources: {stats['sources']}")
    print(
        f"documents: {docs['total']}  (posts: {docs['post_external']} external, {docs['post_own']} own; "
        f"comments: {docs['comment_external']} external, {docs['comment_own']} own)"
    )
    print(f"runs: {stats['runs']}")
    last = stats["last_run"]
    if last:
        print(f"last run: {last['status']} at {last['finished_at'] or last['started_at']} ({last['run_id']})")
    return 0


# --- import-opml ------------------------------------------------------------------------------------
def _opml_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="OPML file (as exported by feed readers)")


def cmd_import_opml(args: argparse.Namespace) -> int:
    cfg = config_from(args)
    feeds = read_opml(Path(args.file))
    known = {f.url for f in cfg.feeds}
    new = [f for f in feeds if f.url not in known]
    if not new:
        print(f"no new feeds in {args.file} ({len(feeds)} found, all configured)")
        return 0
    path = Path(cfg.path)
    original = path.read_text(encoding="utf-8")
    updated = append_feeds(original, new, taken={f.id for f in cfg.feeds} | {s.id for s in cfg.sites})
    try:
        parse_config(updated, str(path))
    except ConfigError as exc:
        raise ConfigError(f"importing {args.file} would make the config invalid:\n{exc}") from None
    path.write_text(updated, encoding="utf-8")
    print(f"added {len(new)} feed(s) to {path} ({len(feeds) - len(new)} already configured)")
    return 0


COMMANDS = {
    "init": ("write a commented example config", _init_args, cmd_init, False),
    "run": (
        "run the whole pipeline once (collect → enrich) through the Prefect flow",
        _run_args,
        cmd_run,
        True,
    ),
    "stats": ("print counts: sources, documents by kind, runs, last run", _stats_args, cmd_stats, True),
    "import-opml": ("add the feeds of an OPML file to the config", _opml_args, cmd_import_opml, True),
}
