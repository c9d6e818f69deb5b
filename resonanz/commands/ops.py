"""Sub-commands: ops — source checks (`check-feed`, `extract`)."""

from __future__ import annotations

import argparse

from .common import optional_config, print_json


def _http_settings(args: argparse.Namespace):
    """The pipeline's HTTP settings; the config's User-Agent when a config is at hand."""
    from crawlers.http import HttpSettings

    try:
        config = optional_config(args)
    except Exception:  # a broken config must not stop a quick check: the default User-Agent will do
        config = None
    if config is not None:
        return HttpSettings(user_agent=config.resonanz.user_agent, timeout_s=args.timeout)
    return HttpSettings(timeout_s=args.timeout)


def _add_target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", metavar="URL|FILE", help="an http(s) URL or a local file")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds per request (default 20)")


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
    return 0 if report.get("ok") else 1


def _extract(args: argparse.Namespace) -> int:
    from crawlers.check import CheckError, extract_target

    from ..cli import UserError

    try:
        result = extract_target(args.target, _http_settings(args))
    except CheckError as exc:
        raise UserError(str(exc)) from exc
    print_json(result)
    return 0 if result.get("text") else 1


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
