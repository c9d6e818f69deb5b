"""Sub-commands: app, export (editorial plan), digest (stakeholder digests), refresh (app aggregates)."""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from ..cli import UserError
from ..config import Config
from ..console import plural
from .common import config_from, db_from, optional_config, output_path, print_json


def app_script() -> Path:
    """Path of the Streamlit entry script app.py."""
    spec = importlib.util.find_spec("app")
    if spec and spec.origin and Path(spec.origin).name == "app.py":
        return Path(spec.origin)
    return Path(__file__).resolve().parents[2] / "app.py"


def streamlit_command(port: int, address: str = "127.0.0.1") -> list[str]:
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app_script()),
        "--server.headless",
        "true",
        "--server.address",
        address,
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]


def app_env(db: Path, config_path: str | None) -> dict[str, str]:
    env = {**os.environ, "RESONANZ_DB": str(db)}
    if config_path:
        env["RESONANZ_CONFIG"] = config_path
    return env


def _app_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=int, default=8501, help="port (default 8501)")
    p.add_argument("--address", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")


def cmd_app(args: argparse.Namespace) -> int:
    cfg = optional_config(args)
    db = db_from(args, cfg)  # must exist: the app only reads
    print(f"Resonanz app on http://{args.address}:{args.port}/ (database {db}); Ctrl-C to stop", flush=True)
    try:
        return subprocess.call(
            streamlit_command(args.port, args.address), env=app_env(db, cfg.path if cfg else None)
        )
    except KeyboardInterrupt:
        return 0


def _export_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--format", "-f", required=True, choices=["csv", "xlsx", "ics", "md"], help="export format"
    )
    p.add_argument("--output", "-o", metavar="FILE", help="write to FILE (default: standard output)")


def cmd_export(args: argparse.Namespace) -> int:
    from ui.exports import export_plan
    from warehouse.editorial import list_entries

    target = output_path(args.output) if args.output else None
    db = db_from(args, optional_config(args))
    entries = list_entries(db)
    data = export_plan(entries, args.format)
    if not entries:
        print(
            "the editorial plan is empty: nothing to export yet (adopt topics on the app's "
            "Editorial plan page); writing an empty export",
            file=sys.stderr,
        )
    if target is not None:
        target.write_bytes(data)
        print(f"{plural(len(entries), 'plan entry')} written to {target}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 0


def _digest_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--send", action="store_true", help="send the digests by SMTP ([digest] smtp_host, ...)")
    p.add_argument("--output", "-o", metavar="DIR", help="write <stakeholder>.md and .html into DIR")
    p.add_argument("--stakeholder", metavar="NAME", help="only this stakeholder (name or e-mail)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")


def _check_stakeholder(cfg: Config, name: str) -> None:
    people = [s for s in cfg.stakeholders if name in (s.name, s.email)]
    if not people:
        known = ", ".join(repr(s.name) for s in cfg.stakeholders)
        raise UserError(f"no stakeholder {name!r} in {cfg.path} (name or e-mail); configured: {known}")
    if not any(p.topics for p in people):
        raise UserError(f"stakeholder {name!r} owns no topics in {cfg.path}: add `topics = [...]`")


def cmd_digest(args: argparse.Namespace) -> int:
    from flows.digest import run_digest
    from ui.digest import render_markdown
    from ui.mailer import SmtpError

    cfg = config_from(args)
    if not cfg.stakeholders:
        raise UserError(f"no [[stakeholders]] in {cfg.path}: add people and the topics they own")
    if args.stakeholder:
        _check_stakeholder(cfg, args.stakeholder)
    if args.output:
        output_path(args.output, folder=True)
    db = db_from(args, cfg)
    try:
        summary = run_digest(cfg.path, str(db), send=args.send, output=args.output, only=args.stakeholder)
    except (SmtpError, ValueError) as exc:
        raise UserError(str(exc)) from None
    if args.json:
        print_json({"recipients": summary.recipients, "files": summary.files, "sent": summary.sent})
    elif not args.output and not args.send:
        for digest in summary.digests:
            print(render_markdown(digest))
    else:
        print(
            f"{plural(len(summary.recipients), 'digest')}; {plural(len(summary.files), 'file')} written; "
            f"{summary.sent} sent"
        )
    return 0


def cmd_refresh(args: argparse.Namespace) -> int:
    from warehouse.aggregates import refresh_aggregates

    cfg = optional_config(args)
    db = db_from(args, cfg)
    summary = refresh_aggregates(db, cfg.company.brand_keywords if cfg else ())
    print(
        f"app aggregates rebuilt in {summary.seconds:.2f}s: "
        + ", ".join(f"{name} {rows}" for name, rows in summary.rows.items())
    )
    return 0


COMMANDS = {
    "app": ("start the Streamlit app on the configured database", _app_args, cmd_app, True),
    "export": ("export the editorial plan as CSV, XLSX, ICS or Markdown", _export_args, cmd_export, True),
    "digest": (
        "render stakeholder digests (Markdown + HTML) and send them by SMTP",
        _digest_args,
        cmd_digest,
        True,
    ),
    "refresh": (
        "rebuild the app's aggregates from the warehouse (the pipeline does this after each run)",
        lambda p: None,
        cmd_refresh,
        True,
    ),
}
