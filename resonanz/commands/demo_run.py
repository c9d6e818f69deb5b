"""Sub-command `demo`: demo web + demo config + one pipeline run (+ the app)."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
from datetime import date
from pathlib import Path

from warehouse.target import as_warehouse

from ..cli import UserError
from ..config import load_config
from ..console import show_progress
from .collect import example_config, run_exit_status, run_pipeline_command
from .common import check_db, db_from, print_json
from .summary import print_summary
from .surface import app_env, streamlit_command

EXAMPLE_BASE_PORT = 8750  # the example config is written for the demo web's default layout
DEFAULT_DIR = "demo-data"


def demo_state(folder: Path, port: int) -> dict:
    """The demo's anchor date and port, fixed at the first run so URLs and dates stay stable."""
    path = folder / "demo-state.json"
    if path.exists():
        state = json.loads(path.read_text(encoding="utf-8"))
        if state.get("port") != port:
            state["port"] = port
            path.write_text(json.dumps(state), encoding="utf-8")
        return state
    state = {"anchor": date.today().isoformat(), "port": port}
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(state), encoding="utf-8")
    return state


def demo_config_text(sites: dict[str, str]) -> str:
    """The example config (written for the default port layout) pointed at a running demo web.

    `sites` maps blog slug → base URL, as `DemoWeb.sites` gives it (any ports, ephemeral ones too).
    """
    from demo.sites import port_offsets

    offsets = port_offsets(list(sites))
    actual = {
        f"127.0.0.1:{EXAMPLE_BASE_PORT + offsets[slug]}": base.split("://", 1)[1].rstrip("/")
        for slug, base in sites.items()
    }
    return re.sub(r"127\.0\.0\.1:\d+", lambda m: actual.get(m.group(0), m.group(0)), example_config())


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--dir",
        default=DEFAULT_DIR,
        help=f"folder for the demo config and database (default ./{DEFAULT_DIR})",
    )
    p.add_argument(
        "--port", type=int, default=EXAMPLE_BASE_PORT, help="base port of the demo web (default 8750)"
    )
    p.add_argument("--no-app", action="store_true", help="exit after the pipeline run")
    p.add_argument("--app-port", type=int, default=8501, help="port of the app (default 8501)")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the summary and errors")
    p.add_argument("--json", action="store_true", help="print the run summary as JSON")
    p.set_defaults(database="create")


def cmd_demo(args: argparse.Namespace) -> int:
    from demo.server import DemoWeb

    if args.db:
        check_db(as_warehouse(args.db), must_exist=False)
    folder = Path(args.dir).resolve()
    if folder.exists() and not folder.is_dir():
        raise UserError(f"--dir {args.dir} is a file, not a folder")
    state = demo_state(folder, args.port)
    web = DemoWeb(anchor=date.fromisoformat(state["anchor"]), base_port=args.port)
    try:
        web.start()
    except OSError as exc:
        raise UserError(
            f"cannot start the demo web on port {args.port}: {exc.strerror or exc} "
            "(is `resonanz demo-web` already running? use --port)"
        ) from None
    try:
        config_path = folder / "resonanz.toml"
        config_path.write_text(demo_config_text(web.sites), encoding="utf-8")
        cfg = load_config(config_path)
        db = db_from(args, cfg)
        show_progress(args.quiet or args.json, getattr(args, "debug", False))
        if not args.json:
            print(
                f"demo blogosphere at {web.hub_url} (anchor date {state['anchor']}); config {config_path}",
                flush=True,
            )
        summary = run_pipeline_command(args, str(config_path), db)
        if args.json:
            print_json(summary.to_dict())
        else:
            print_summary(summary.to_dict(), quiet=args.quiet)
        status = run_exit_status(summary)
        if args.no_app:
            return status
        print(f"Resonanz app on http://127.0.0.1:{args.app_port}/ — Ctrl-C to stop", flush=True)
        try:
            return subprocess.call(streamlit_command(args.app_port), env=app_env(db, str(config_path)))
        except KeyboardInterrupt:
            return 0
    finally:
        web.stop()


COMMANDS = {
    "demo": (
        "serve the demo blogosphere, run the pipeline on it, then start the app",
        _args,
        cmd_demo,
        False,
    ),
}
