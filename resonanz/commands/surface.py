"""Sub-commands: app (and, later, export / digest)."""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from .common import db_from, optional_config


def app_script() -> Path:
    """Path of the Streamlit entry script app.py."""
    spec = importlib.util.find_spec("app")
    if spec and spec.origin and Path(spec.origin).name == "app.py":
        return Path(spec.origin)
    return Path(__file__).resolve().parents[2] / "app.py"


def streamlit_command(port: int, address: str = "127.0.0.1") -> list[str]:
    return [
        sys.executable, "-m", "streamlit", "run", str(app_script()),
        "--server.headless", "true", "--server.address", address, "--server.port", str(port),
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
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
    db = db_from(args, cfg)
    print(f"Resonanz app on http://{args.address}:{args.port}/ (database {db}); Ctrl-C to stop", flush=True)
    try:
        return subprocess.call(streamlit_command(args.port, args.address), env=app_env(db, cfg.path if cfg else None))
    except KeyboardInterrupt:
        return 0


COMMANDS = {
    "app": ("start the Streamlit app on the configured database", _app_args, cmd_app, True),
}
