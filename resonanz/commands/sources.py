"""Sub-commands `add-feed` and `add-site`: add a source to the config without editing TOML."""

from __future__ import annotations

import argparse
from pathlib import Path
from urllib.parse import urlsplit

from ..cli import UserError
from ..config import Config, check_http_url
from ..config_edit import appended, checked, table, taken_ids, unique_id
from .common import config_from


def _add_common(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("url", metavar="URL", help=what)
    p.add_argument("--name", help="display name (default: the title of the feed or page)")
    p.add_argument("--id", dest="source_id", metavar="ID", help="source id (default: a slug of the name)")
    p.add_argument(
        "--no-check", action="store_true", help="add the URL as given, without fetching it (offline)"
    )
    p.add_argument("--timeout", type=float, default=20.0, help="seconds per request (default 20)")
    p.set_defaults(database="none")


def _add_feed_args(p: argparse.ArgumentParser) -> None:
    _add_common(p, "a feed URL, or a page that names its feed (<link rel=alternate>)")


def _add_site_args(p: argparse.ArgumentParser) -> None:
    _add_common(p, "the blog's start page")
    p.add_argument("--max-pages", type=int, default=None, help="pages per crawl at most (default 200)")


def _url(value: str) -> str:
    try:
        return check_http_url(value.strip())
    except ValueError as exc:
        raise UserError(f"{exc} (e.g. https://blog.example.com/feed/)") from None


def _http(cfg: Config, timeout: float):
    from crawlers.http import HttpSettings

    return HttpSettings(user_agent=cfg.resonanz.user_agent, timeout_s=timeout)


def _write(cfg: Config, kind: str, block: list[str], what: str) -> Path:
    path = Path(str(cfg.path))
    text = appended(path.read_text(encoding="utf-8"), f"added by `resonanz add-{kind}`", [block])
    checked(text, str(path), what)
    path.write_text(text, encoding="utf-8")
    return path


def _ident(args: argparse.Namespace, cfg: Config, name: str) -> str:
    taken = taken_ids(cfg)
    if args.source_id:
        if args.source_id in taken:
            raise UserError(f"source id {args.source_id!r} is taken in {cfg.path}: choose another --id")
        return args.source_id
    return unique_id(name, taken)


def cmd_add_feed(args: argparse.Namespace) -> int:
    from crawlers.discover import DiscoveryError, discover

    cfg = config_from(args)
    url = _url(args.url)
    known = {f.url: f.id for f in cfg.feeds}
    if cfg.own_blog and cfg.own_blog.feed:
        known[cfg.own_blog.feed] = cfg.own_blog.id
    title = None
    if not args.no_check:
        try:
            found = discover(url, _http(cfg, args.timeout))
        except DiscoveryError as exc:
            raise UserError(f"cannot read {url}: {exc} (check the URL, or add it with --no-check)") from None
        if found.feed_url is None:
            hint = "add it as a blog to crawl: `resonanz add-site URL`"
            raise UserError(f"no feed found at {url}: the page names no RSS/Atom feed; {hint}")
        if found.feed_url != url:
            print(f"found the feed {found.feed_url} on {url}")
        url, title = found.feed_url, found.feed_title or found.page_title
    if url in known:
        print(f"{url} is already configured as feed {known[url]!r} in {cfg.path}: nothing added")
        return 0
    name = args.name or title or urlsplit(url).netloc
    ident = _ident(args, cfg, name)
    path = _write(cfg, "feed", table("feeds", id=ident, name=name, url=url), f"adding the feed {url}")
    print(f"added feed {ident!r} ({name}) to {path}; `resonanz run` collects it")
    return 0


def cmd_add_site(args: argparse.Namespace) -> int:
    from crawlers.discover import DiscoveryError, page_title

    cfg = config_from(args)
    url = _url(args.url)
    for site in cfg.sites:
        if url in site.start_urls:
            print(f"{url} is already configured as site {site.id!r} in {cfg.path}: nothing added")
            return 0
    title, feeds = None, []
    if not args.no_check:
        try:
            found = page_title(url, _http(cfg, args.timeout))
        except DiscoveryError as exc:
            raise UserError(f"cannot read {url}: {exc} (check the URL, or add it with --no-check)") from None
        title, feeds = found.page_title, found.feeds
    name = args.name or title or urlsplit(url).netloc
    ident = _ident(args, cfg, name)
    values: dict = {"id": ident, "name": name, "start_urls": [url]}
    if args.max_pages is not None:
        values["max_pages"] = args.max_pages
    path = _write(cfg, "site", table("sites", **values), f"adding the site {url}")
    print(f"added site {ident!r} ({name}) to {path}; `resonanz run` crawls it")
    configured = {f.url for f in cfg.feeds}
    if feeds and not configured & set(feeds):
        print(f"it also offers a feed: `resonanz add-feed {feeds[0]}` gets new posts faster and cheaper")
    return 0


COMMANDS = {
    "add-feed": (
        "add an RSS/Atom feed to the config (give the feed or a page that names it)",
        _add_feed_args,
        cmd_add_feed,
        True,
    ),
    "add-site": (
        "add a blog to crawl (articles and comments) to the config",
        _add_site_args,
        cmd_add_site,
        True,
    ),
}
