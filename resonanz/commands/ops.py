"""Sub-commands: ops — source checks (`check-feed`, `extract`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .common import optional_config, print_json


def _http_settings(args: argparse.Namespace):
    """The pipeline's HTTP settings; the config's User-Agent when a config is at hand."""
    from crawlers.http import HttpSettings

    try:
        config = optional_config(args)
    except Exception:  # a broken ./resonanz.toml must not stop a quick check: the default User-Agent will do
        if getattr(args, "config", None):  # but a config named on purpose must load
            raise
        config = None
    if config is not None:
        return HttpSettings(user_agent=config.resonanz.user_agent, timeout_s=args.timeout)
    return HttpSettings(timeout_s=args.timeout)


def _add_target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", metavar="URL|FILE", help="an http(s) URL or a local file")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds per request (default 20)")
    parser.set_defaults(database="none")


def _add_check_feed(parser: argparse.ArgumentParser) -> None:
    _add_target(parser)
    parser.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="'Name: value'",
        help="HTTP header to assume for a FILE (e.g. 'Content-Type: text/xml'); repeatable",
    )


def _check_feed(args: argparse.Namespace) -> int:
    from crawlers.check import CheckError, check_feed

    from ..cli import UserError

    headers = dict(h.split(":", 1) for h in args.header if ":" in h)
    try:
        report = check_feed(
            args.target, _http_settings(args), {k.strip(): v.strip() for k, v in headers.items()}
        )
    except CheckError as exc:
        raise UserError(str(exc)) from exc
    print_json(report)
    if not report.get("ok"):
        print(
            f"resonanz: {args.target} is not a usable feed: {report.get('problem') or 'no entries'}",
            file=sys.stderr,
        )
        return 1
    return 0


def _refuse_binary_file(target: str) -> None:
    """A local file with NUL bytes is no page: say so instead of extracting noise from it."""
    from ..cli import UserError

    path = Path(target).expanduser()
    if not target.startswith(("http://", "https://")) and path.is_file():
        with path.open("rb") as handle:
            if b"\x00" in handle.read(8192):
                raise UserError(f"{target} is not an HTML page (binary data)")


def _extract(args: argparse.Namespace) -> int:
    from crawlers.check import CheckError, extract_target

    from ..cli import UserError

    _refuse_binary_file(args.target)
    try:
        result = extract_target(args.target, _http_settings(args))
    except CheckError as exc:
        raise UserError(str(exc)) from exc
    print_json(result)
    if result.get("comments_unreachable"):
        print(f"resonanz: comments not reachable: {result['comments_unreachable']}", file=sys.stderr)
    if not result.get("text"):
        print(f"resonanz: no main text found in {args.target}", file=sys.stderr)
        return 1
    return 0


COMMANDS = {
    "check-feed": (
        "parse a feed (URL or file) as the pipeline does and print JSON: title, entries, encoding, bozo problem",
        _add_check_feed,
        _check_feed,
        True,
    ),
    "extract": (
        "extract a page's main text and metadata (URL or file) as the crawler does and print JSON",
        _add_target,
        _extract,
        True,
    ),
}
