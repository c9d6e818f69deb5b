"""Sub-commands: serve (Prefect schedules), health (run history, failing sources), purge (retention, erasure)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from ..cli import UserError
from ..config import Config
from ..console import local_time, plural
from .common import (
    add_safety_args,
    config_from,
    confirm,
    db_from,
    declined,
    optional_config,
    print_json,
    usage_error,
)

NO_SERVER_HELP = """\
resonanz serve: cron schedules need a Prefect server; PREFECT_API_URL is not set.
(Prefect's temporary local server cannot schedule runs.) Either

  1. start a server and point Resonanz at it (runs then show in its UI, http://127.0.0.1:4200/):
       prefect server start --host 127.0.0.1
       export PREFECT_API_URL=http://127.0.0.1:4200/api
       resonanz serve{config}

  2. or let Resonanz start one on 127.0.0.1 for as long as it serves:
       resonanz serve --start-server{config}

`resonanz serve --dry-run` shows the schedules without a server."""


# --- serve ------------------------------------------------------------------------------------------
def _serve_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--start-server",
        action="store_true",
        help="start `prefect server start` on 127.0.0.1 (or reuse one running there) while serving",
    )
    p.add_argument(
        "--port", type=int, default=4200, help="port of the server started by --start-server (4200)"
    )
    p.add_argument(
        "--limit", type=int, default=None, help="most flow runs executing at once (default: no limit)"
    )
    p.add_argument(
        "--work-pool",
        metavar="POOL",
        help="only register the deployments with this Prefect work pool "
        "(run them with `prefect worker start --pool POOL`) instead of serving them",
    )
    p.add_argument(
        "--dry-run", action="store_true", help="print the deployments and schedules, serve nothing"
    )
    p.set_defaults(database="create")


def _describe(cfg: Config, db: Any) -> None:
    from flows.deploy import scheduled_flows

    items = scheduled_flows(cfg, db)
    print(f"{len(items)} deployment(s), cron times in {cfg.resonanz.timezone}:")
    for item in items:
        print(f"  {item.full_name:<32} cron {item.cron!r:<16} {json.dumps(item.parameters)}")


def cmd_serve(args: argparse.Namespace) -> int:
    cfg = config_from(args)
    db = db_from(args, cfg)
    from flows.prefect_env import configure_prefect

    configure_prefect()
    if args.dry_run:
        _describe(cfg, db)
        return 0
    from flows.prefect_server import PrefectServerError, configured_api_url, is_healthy, start_server

    server = None
    if args.start_server and args.work_pool:
        raise UserError(
            "--work-pool needs a Prefect server that keeps running: start it yourself "
            "(`prefect server start --host 127.0.0.1`) and set PREFECT_API_URL"
        )
    if args.start_server:
        log_path = cfg.data_dir / "prefect-server.log"
        print(f"starting a Prefect server on 127.0.0.1:{args.port} (log: {log_path}) …", flush=True)
        try:
            server = start_server(log_path, port=args.port)
        except PrefectServerError as exc:
            raise UserError(str(exc)) from None
        os.environ["PREFECT_API_URL"] = server.url
        url = server.url
    else:
        url = configured_api_url()
        if not url:
            print(
                NO_SERVER_HELP.format(
                    config=f" --config {cfg.path}" if getattr(args, "config", None) else ""
                ),
                file=sys.stderr,
            )
            return 2
        if not is_healthy(url, timeout=5):
            raise UserError(
                f"no Prefect server answers at PREFECT_API_URL={url}; start it "
                "(`prefect server start --host 127.0.0.1`) or use `resonanz serve --start-server`"
            )
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.deploy import build_deployments, register_with_pool, serve_deployments

    if args.work_pool:
        _describe(cfg, db)
        try:
            with temporary_settings(updates={PREFECT_API_URL: url}):
                register_with_pool(build_deployments(cfg, db), args.work_pool)
        except ValueError as exc:  # the pool does not exist
            raise UserError(
                f"{exc} (e.g. `prefect work-pool create {args.work_pool} --type process`)"
            ) from None
        print(
            f"registered with work pool {args.work_pool!r} at {url}; "
            f"run them with: prefect worker start --pool {args.work_pool}"
        )
        return 0
    try:
        _describe(cfg, db)
        print(f"serving against {url} (UI: {url.removesuffix('/api')}); Ctrl-C to stop", flush=True)
        with temporary_settings(updates={PREFECT_API_URL: url}):
            serve_deployments(build_deployments(cfg, db), limit=args.limit)
    finally:
        if server is not None:
            server.stop()
    return 0


# --- health -----------------------------------------------------------------------------------------
def _health_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--limit", type=int, default=10, help="how many runs to list (10)")
    p.add_argument(
        "--threshold",
        type=int,
        default=None,
        help="failures in a row that flag a source (default: operations.failure_threshold, 3)",
    )
    p.add_argument("--json", action="store_true", help="one JSON object: runs, failing_sources, threshold")
    p.add_argument(
        "--check", action="store_true", help="exit with status 1 when a source is flagged (monitoring)"
    )


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """DataFrame rows as JSON-ready dicts (missing values as None, times in ISO 8601)."""
    return json.loads(frame.to_json(orient="records", date_format="iso"))


def cmd_health(args: argparse.Namespace) -> int:
    from warehouse.comment_reach import unreachable_comments
    from warehouse.health import failing_sources, runs_history

    cfg = optional_config(args)
    db = db_from(args, cfg)
    threshold = args.threshold or (cfg.operations.failure_threshold if cfg else 3)
    runs, failing = runs_history(db, args.limit), failing_sources(db, threshold)
    unreachable = unreachable_comments(db)
    if args.json:
        print_json(
            {
                "runs": records(runs),
                "failing_sources": records(failing),
                "threshold": threshold,
                "comments_unreachable": records(unreachable),
            }
        )
        return 1 if args.check and len(failing) else 0
    zone = _timezone(cfg)
    print(f"last {plural(len(runs), 'run')}:" if len(runs) else "no runs yet — `resonanz run` collects")
    for r in runs.itertuples(index=False):
        took = f"{r.duration_s:.1f}s" if pd.notna(r.duration_s) else "-"
        print(
            f"  {r.run_id}  {r.status:<11} {local_time(r.started_at, zone)}  {took:>8}  "
            f"{plural(r.sources, 'source')} ({r.failed_sources} failed)  +{r.new} new ~{r.updated} updated  "
            f"{r.near_duplicates} near-dup"
        )
    print(f"failing sources ({threshold}+ failures in a row): {len(failing) or 'none'}")
    for s in failing.itertuples(index=False):
        since = f" since {local_time(s.failing_since, zone)}" if pd.notna(s.failing_since) else ""
        print(f"  ✗ {s.source_id:<28} {s.consecutive_failures} in a row{since} — {s.last_error}")
    print(
        f"comments not reachable: {'none found' if unreachable.empty else plural(len(unreachable), 'source')}"
    )
    for u in unreachable.itertuples(index=False):
        print(
            f"  ! {u.source_id:<28} comments not reachable: {u.system} ({plural(u.posts, 'post')}, e.g. {u.example_url})"
        )
    return 1 if args.check and len(failing) else 0


# --- purge ------------------------------------------------------------------------------------------
def _purge_args(p: argparse.ArgumentParser) -> None:
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--retention",
        action="store_true",
        help="empty text and title of documents older than privacy.retention_days (or --days)",
    )
    what.add_argument(
        "--author", metavar="NAME", help="delete every document of this author (name or pseudonym)"
    )
    p.add_argument("--days", type=int, help="with --retention: override privacy.retention_days")
    add_safety_args(p, "what would be purged")
    p.add_argument(
        "--keep-collecting",
        action="store_true",
        help="with --author: do not put the author on the erasure list (later runs may collect them again)",
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")


def _key(cfg: Config | None) -> bytes | None:
    """The pseudonym key: required when pseudonymisation is on, else used if its variable is set."""
    if cfg is None:
        return None
    if cfg.privacy.pseudonymize_authors:
        return cfg.privacy.pseudonym_key()
    return os.environ.get(cfg.privacy.key_env, "").encode("utf-8") or None


def _purge_retention(args: argparse.Namespace, cfg: Config | None, db: Path) -> int:
    from warehouse.privacy import purge_expired

    days = args.days if args.days is not None else (cfg.privacy.retention_days if cfg else 0)
    if days <= 0:
        raise UserError("no retention period: set privacy.retention_days in the config or pass --days N")
    planned = purge_expired(db, days, dry_run=True)
    scope = f"published before {local_time(planned.cutoff, _timezone(cfg))} ({plural(days, 'day')})"
    counts = f"{plural(planned.documents, 'document')} and {plural(planned.versions, 'earlier version')}"
    if planned.documents + planned.versions == 0:
        result = planned
    elif confirm(args, f"would empty text and title of {counts} {scope}", "Empty them?"):
        result = purge_expired(db, days)
        counts = f"{plural(result.documents, 'document')} and {plural(result.versions, 'earlier version')}"
    else:
        return _declined(
            args,
            {
                "days": days,
                "cutoff": planned.cutoff,
                "documents": planned.documents,
                "versions": planned.versions,
            },
        )
    if args.json:
        print_json(
            {
                "dry_run": args.dry_run,
                "days": days,
                "cutoff": result.cutoff,
                "documents": result.documents,
                "versions": result.versions,
            }
        )
    elif result.documents + result.versions == 0:
        print(f"nothing to purge: no stored text {scope}")
    else:
        print(f"emptied text and title of {counts} {scope}")
    return 0


def _declined(args: argparse.Namespace, data: dict[str, Any]) -> int:
    if args.json and args.dry_run:
        print_json({"dry_run": True, **data})
        return 0
    return declined(args)


def _timezone(cfg: Config | None) -> str:
    return cfg.resonanz.timezone if cfg else Config().resonanz.timezone


def _erasure_lines(args: argparse.Namespace, result: Any, verb: str) -> str:
    stored = ", ".join(result.authors)
    lines = [f"{verb} {plural(len(result.documents), 'document')} by {args.author!r} (stored as: {stored})"]
    lines += [f"  {table:<24} {plural(count, 'row')}" for table, count in result.rows.items()]
    lines += [f"  - {doc['kind']:<8} {doc['url']}" for doc in result.documents]
    return "\n".join(lines)


def _purge_author(args: argparse.Namespace, cfg: Config | None, db: Path) -> int:
    from warehouse.privacy import purge_author

    key = _key(cfg)
    planned = purge_author(db, args.author, key, dry_run=True)
    if not planned.authors:
        result = planned
    elif confirm(args, _erasure_lines(args, planned, "would delete"), "Delete them?"):
        result = purge_author(db, args.author, key, remember=not args.keep_collecting)
    else:
        data = {"authors": planned.authors, "rows": planned.rows, "documents": planned.documents}
        return _declined(args, data)
    if args.json:
        print_json(
            {
                "dry_run": args.dry_run,
                "authors": result.authors,
                "rows": result.rows,
                "documents": result.documents,
            }
        )
        return 0
    if not result.authors:
        print(f"no documents by {args.author!r}")
        return 0
    print(_erasure_lines(args, result, "deleted"))
    if not args.keep_collecting:
        print("the author is on the erasure list: later runs will not store their documents again")
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    if args.retention and args.keep_collecting:
        usage_error(args, "--keep-collecting goes with --author, not --retention")
    if args.author is not None and args.days is not None:
        usage_error(args, "--days goes with --retention, not --author")
    cfg = optional_config(args)
    db = db_from(args, cfg)  # never creates an empty database just to purge it
    return _purge_retention(args, cfg, db) if args.retention else _purge_author(args, cfg, db)


COMMANDS = {
    "serve": (
        "run the pipeline (and digest) on the config's [schedule] as Prefect deployments",
        _serve_args,
        cmd_serve,
        True,
    ),
    "health": ("run history and sources failing several runs in a row", _health_args, cmd_health, True),
    "purge": (
        "privacy: purge raw text past the retention period, or every document of one author",
        _purge_args,
        cmd_purge,
        True,
    ),
}
