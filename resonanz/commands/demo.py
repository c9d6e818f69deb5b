"""Sub-command `demo-web`: serve the bundled demo blogosphere on 127.0.0.1."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from ..cli import UserError


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--port", type=int, default=8750, help="base port: hub on it, blog i on port+i (0 = any free ports)"
    )
    p.add_argument(
        "--anchor",
        type=date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="the demo's 'today' that post dates count back from (default: today, Europe/Berlin)",
    )
    p.add_argument(
        "--content", type=Path, metavar="DIR", help="content folder (default: the bundled demo/content)"
    )
    p.add_argument(
        "--synthetic", type=int, metavar="N", help="serve a seeded synthetic blogosphere of N article pages"
    )
    p.add_argument("--seed", type=int, default=0, help="seed of --synthetic (default 0)")
    p.set_defaults(database="none")


def cmd_demo_web(args: argparse.Namespace) -> int:
    from demo.generate import synthetic_blogs
    from demo.model import ContentError
    from demo.server import PUBLISH_PATH, DemoWeb

    try:
        blogs = (
            synthetic_blogs(args.synthetic, args.seed, anchor=args.anchor, content_dir=args.content)
            if args.synthetic
            else None
        )
        web = DemoWeb(content_dir=args.content, anchor=args.anchor, base_port=args.port, blogs=blogs).start()
    except (ContentError, OSError) as exc:
        raise UserError(str(exc)) from exc
    print(f"demo blogosphere (anchor {web.anchor}) — hub {web.hub_url}  opml {web.hub_url}/opml.xml")
    for slug, url in web.sites.items():
        print(f"  {slug:<26} {url}/  feed: {web.feed_urls.get(slug, '-')}")
    print(f"publish reserve posts: curl -X POST '{web.hub_url}{PUBLISH_PATH}?site=SLUG&n=1'")
    print("serving until Ctrl-C", flush=True)
    try:
        web.serve_forever()
    except KeyboardInterrupt:
        print("demo web stopped")
    return 0


COMMANDS = {
    "demo-web": (
        "serve the demo blogosphere on 127.0.0.1 (hub + one port per blog)",
        _args,
        cmd_demo_web,
        False,
    ),
}
