"""Sub-commands of the enrichment stage: classify, train (`enrich` is in enrichment.py)."""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from pathlib import Path

from .common import config_from, db_from, optional_config, print_json, read_text_lines, usage_error


def _add_classify(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--task", required=True, choices=["language", "sentiment", "topics", "questions"])
    parser.add_argument(
        "--taxonomy", metavar="FILE.toml", help="topics as [[topics]] name/description/keywords"
    )
    parser.add_argument("--input", metavar="FILE", help="one text per line (default: stdin)")


def _taxonomy(args: argparse.Namespace, config) -> list[dict]:
    from ..cli import UserError

    if args.taxonomy:
        path = Path(args.taxonomy)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise UserError(f"taxonomy file {path} not found") from None
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise UserError(f"cannot read taxonomy {path}: {exc}") from None
        topics = data.get("topics")
        if not isinstance(topics, list) or not all(isinstance(t, dict) and t.get("name") for t in topics):
            raise UserError(f"taxonomy {path} has no [[topics]] tables with a name")
        return topics
    return [t.model_dump() for t in config.topics] if config else []


def _project_db(args: argparse.Namespace, config):
    """--db (must exist), else the config's warehouse if it exists: its documents calibrate builtin topics."""
    if args.db:
        return db_from(args, config)
    if config is not None and config.db.exists():
        return config.db
    return None


def _classify(args: argparse.Namespace) -> int:
    from nlp.enrich import classify_texts
    from nlp.models import ModelSpec, load_models
    from nlp.records import Taxonomy
    from nlp.topics import PrototypeTopics
    from warehouse.enrichment import embedding_sample

    from ..cli import UserError

    config = optional_config(args)
    db = _project_db(args, config)
    texts = read_text_lines(args.input)
    spec = ModelSpec.from_config(config.models_in_use) if config else ModelSpec()
    terms = [config.company.name, *config.company.brand_keywords] if config else []
    models = load_models(spec, Taxonomy.from_dicts(_taxonomy(args, config)), tuple(terms))
    sample = None
    if db is not None and args.task == "topics" and isinstance(models.topics, PrototypeTopics):
        sample = embedding_sample(db, models.info("embedding").version)  # as the pipeline calibrates
    try:
        rows = classify_texts(texts, args.task, models, corpus_sample=sample)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    for row in rows:
        sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
    return 0


def _add_train(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", metavar="DIR", help="shared data folder (default: ../shared/data)")
    parser.add_argument("--force", action="store_true", help="rebuild even when the artifacts are up to date")
    parser.add_argument("--cache", metavar="DIR", help="reuse/store the training texts' features in DIR")
    parser.add_argument(
        "--corrections",
        action="store_true",
        help="instead: refit the sentiment head on the editors' corrections in the warehouse",
    )


def _train(args: argparse.Namespace) -> int:
    if args.corrections:
        return _refit(args)
    if args.db or args.config:
        db_from(args, config_from(args))  # a bad path is named as for every command
        usage_error(args, "--db and --config go with --corrections (a rebuild reads only the training data)")
    from nlp.train import train

    cache = Path(args.cache) if args.cache else None
    print_json(train(Path(args.data) if args.data else None, force=args.force, cache_dir=cache))
    return 0


def _refit(args: argparse.Namespace) -> int:
    """Refit the builtin head on all standing sentiment corrections (what the pipeline does when due)."""
    from flows.refit import refit_now

    from ..cli import UserError

    config = config_from(args)
    summary = refit_now(config, db_from(args, config))
    if not summary.refitted:
        raise UserError(f"sentiment head not refitted: {summary.skipped}")
    print_json({**summary.to_dict(), "head": str(config.refit_head)})
    return 0


COMMANDS = {
    "classify": (
        "classify ad-hoc texts (one per line) with the pipeline's models; JSON lines out",
        _add_classify,
        _classify,
        True,
    ),
    "train": (
        "rebuild the offline model heads from ../shared/data (cached, fixed seed), or refit the sentiment "
        "head on editors' corrections",
        _add_train,
        _train,
        True,
    ),
}
