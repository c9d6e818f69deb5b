"""Sub-commands of the enrichment stage: classify, train, enrich."""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from pathlib import Path

from .common import db_from, optional_config, print_json


def _add_classify(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--task", required=True, choices=["language", "sentiment", "topics", "questions"])
    parser.add_argument(
        "--taxonomy", metavar="FILE.toml", help="topics as [[topics]] name/description/keywords"
    )
    parser.add_argument("--input", metavar="FILE", help="one text per line (default: stdin)")


def _taxonomy(args: argparse.Namespace, config) -> list[dict]:
    if args.taxonomy:
        path = Path(args.taxonomy)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            from ..cli import UserError

            raise UserError(f"cannot read taxonomy {path}: {exc}") from None
        return list(data.get("topics", []))
    return [t.model_dump() for t in config.topics] if config else []


def _classify(args: argparse.Namespace) -> int:
    from nlp.enrich import classify_texts
    from nlp.models import ModelSpec, load_models
    from nlp.records import Taxonomy

    from ..cli import UserError

    config = optional_config(args)
    spec = ModelSpec.from_config(config.models) if config else ModelSpec()
    terms = [config.company.name, *config.company.brand_keywords] if config else []
    models = load_models(spec, Taxonomy.from_dicts(_taxonomy(args, config)), tuple(terms))
    source = open(args.input, encoding="utf-8") if args.input else sys.stdin  # noqa: SIM115
    with source:
        texts = [line.rstrip("\n") for line in source]
    try:
        rows = classify_texts(texts, args.task, models)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    for row in rows:
        sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
    return 0


def _add_train(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", metavar="DIR", help="shared data folder (default: ../shared/data)")
    parser.add_argument("--force", action="store_true", help="rebuild even when the artifacts are up to date")


def _train(args: argparse.Namespace) -> int:
    from nlp.train import train

    print_json(train(Path(args.data) if args.data else None, force=args.force))
    return 0


def _add_enrich(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--force", action="store_true", help="re-enrich every document, not only pending ones"
    )


def _enrich(args: argparse.Namespace) -> int:
    from flows.enrich import run_enrichment, taxonomy_from_config
    from nlp.grouping import emerging_params
    from nlp.models import ModelSpec

    from .common import config_from

    config = config_from(args)
    summary = run_enrichment(
        db_from(args, config),
        ModelSpec.from_config(config.models),
        taxonomy_from_config(config.topics),
        company_terms=[config.company.name, *config.company.brand_keywords],
        force=args.force,
        emerging_days=config.models.emerging_days,
        emerging=emerging_params(config.models.emerging_min_posts, config.models.emerging_min_blogs),
    )
    print_json(summary.to_dict())
    return 0


COMMANDS = {
    "classify": (
        "classify ad-hoc texts (one per line) with the pipeline's models; JSON lines out",
        _add_classify,
        _classify,
        True,
    ),
    "train": (
        "rebuild the offline model heads from ../shared/data (cached, fixed seed)",
        _add_train,
        _train,
        False,
    ),
    "enrich": (
        "enrich pending documents: language, sentiment, topics, questions, emerging topics",
        _add_enrich,
        _enrich,
        True,
    ),
}
