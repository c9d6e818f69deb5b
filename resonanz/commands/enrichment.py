"""Sub-command `enrich`: enrich pending documents (all with --force, after a preview and a confirmation)."""

from __future__ import annotations

import argparse
from collections import Counter
from typing import Any

from ..config import Config
from ..console import plural, show_progress
from .common import add_safety_args, config_from, confirm, db_from, declined, print_json, usage_error
from .summary import enrich_lines, model_lines


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--force", action="store_true", help="re-enrich every document, not only pending ones (asks first)"
    )
    add_safety_args(p, "how many documents would be enriched per task")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the summary and errors")


def _models(config: Config):
    from flows.enrich import taxonomy_from_config
    from nlp.models import ModelSpec, load_models

    terms = (config.company.name, *config.company.brand_keywords)
    return load_models(
        ModelSpec.from_config(config.models_in_use), taxonomy_from_config(config.topics), terms
    )


def pending(db: Any, config: Config, force: bool) -> tuple[Counter, dict[str, str]]:
    """Documents each task would (re-)enrich, and the models (task → name@version)."""
    from flows.enrich import FIRST_PASS
    from warehouse.enrichment import pending_pages

    models = _models(config)
    passes = [[models.info(t) for t in FIRST_PASS]] + ([[models.info("topics")]] if config.topics else [])
    counts: Counter = Counter()
    for infos in passes:
        for page in pending_pages(db, infos, force, page_size=5000):
            counts.update(task for item in page for task in item.tasks)
    names = {i.task: f"{i.name}@{i.version}" for infos in passes for i in infos}
    return counts, names


def cmd_enrich(args: argparse.Namespace) -> int:
    from flows.enrich import dask_options, run_enrichment, taxonomy_from_config
    from nlp.grouping import emerging_params
    from nlp.models import ModelSpec

    config = config_from(args)
    db = db_from(args, config)  # must exist: a typo never creates an empty database
    if args.yes and not args.force:
        usage_error(args, "--yes goes with --force")
    if args.force or args.dry_run:
        counts, models = pending(db, config, args.force)
        verb = "re-enrich" if args.force else "enrich"
        done = ", ".join(f"{task} {counts.get(task, 0)}" for task in models)
        preview = "\n".join(
            [
                f"would {verb} ({plural(max(counts.values(), default=0), 'document')}): {done}",
                "  models:",
                *model_lines(models),
            ]
        )
        if not confirm(args, preview, "Replace the stored results?"):
            if args.json and args.dry_run:
                print_json({"dry_run": True, "force": args.force, "pending": dict(counts), "models": models})
                return 0
            return declined(args)
    show_progress(args.quiet or args.json, getattr(args, "debug", False))
    summary = run_enrichment(
        db,
        ModelSpec.from_config(config.models_in_use),
        taxonomy_from_config(config.topics),
        company_terms=[config.company.name, *config.company.brand_keywords],
        force=args.force,
        emerging_days=config.models.emerging_days,
        emerging=emerging_params(config.models.emerging_min_posts, config.models.emerging_min_blogs),
        dask=dask_options(config),
    )
    if args.json:
        print_json(summary.to_dict())
    else:
        print("\n".join(enrich_lines(summary.to_dict(), quiet=args.quiet)))
    return 0


COMMANDS = {
    "enrich": (
        "enrich pending documents: language, sentiment, topics, questions, emerging topics",
        _args,
        cmd_enrich,
        True,
    ),
}
