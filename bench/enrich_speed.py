"""Enrichment speed: the default path (all tasks, default models) vs its forward-pass limit and vs a `pipeline`.

Usage: python bench/enrich_speed.py [--n 1000] [--device cpu|cuda] [--precision auto|float32|bfloat16|float16]
                                   [--batch-size 32] [--max-length 256]
One run, the same texts (demo posts and comments, cycled to --n), in pages of batch_size × 8 documents as
the flow enriches them; every variant runs on every page, interleaved in rotating order, at float32 and at
the stage's precision (`models.precision`, auto: bfloat16 on CPUs with native bf16):
- stage: `nlp.enrich.enrich_documents` with every task and the default models (what `resonanz enrich` runs);
- limit: the pure model calls that path needs on the same inputs, prepared outside the timing — lingua on
  the texts, USE-m on the texts and on the sentences of 2–8-sentence texts, MiniLM forward passes (the
  stage's length-sorted batches, same precision and truncation), VADER;
- pipeline: the limit's calls with MiniLM computed instead by `transformers.pipeline("feature-extraction")`
  called on the list with batch_size (same truncation and precision) and mean-pooled: a lower bound of a
  user's own path, which would still have to apply the head, the blend and the topics;
- the MiniLM part alone: the stage's encoder vs that pipeline (the only transformers model of the path).
Precision and truncation are printed with every figure. Targets: stage ≥ 0.85 of its limit; MiniLM part ≥ 2×
the pipeline at float32 where length sorting earns it — printed as measured either way.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import torch

from bench.figures import figure
from nlp.encoders import clean_for_embedding, get_encoder, minilm_path
from nlp.enrich import ALL_TASKS, enrich_documents
from nlp.evaldata import demo_texts
from nlp.features import MAX_SENTENCES, vader_features
from nlp.hf import PRECISIONS, autocast, length_sorted_batches, mean_pooling_encoder, set_precision
from nlp.models import ModelSpec, load_models
from nlp.records import DocText
from nlp.segment import split_sentences
from resonanz.commands.collect import example_config
from resonanz.config import parse_config

SHORT = {"float32": "fp32", "bfloat16": "bf16", "float16": "fp16"}


def bench_docs(n: int) -> tuple[list[DocText], str]:
    demo = list(demo_texts())
    picked = list(itertools.islice(itertools.cycle(demo), n))
    docs = [DocText(str(i), d.text, kind=d.kind, own=d.own) for i, d in enumerate(picked)]
    return docs, f"demo/content posts and comments ({len(demo)} distinct, cycled to {n})"


class Page:
    """One page of documents and the model inputs of the limit, prepared once (outside the timing)."""

    def __init__(self, docs: list[DocText], languages: list[str]) -> None:
        self.docs = docs
        texts = [d.full_text for d in docs]
        self.texts, self.languages = texts, languages
        self.lingua = [t[:2000] for t in texts]
        self.cleaned = [clean_for_embedding(t) for t in texts]
        split = [split_sentences(t, MAX_SENTENCES + 1) for t in texts]
        self.sentences = [clean_for_embedding(s) for ss in split if 1 < len(ss) <= MAX_SENTENCES for s in ss]
        self.batches: dict[str, list] = {}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=256, help="models.max_length (MiniLM truncation)")
    parser.add_argument(
        "--precision", default="auto", choices=PRECISIONS, help="models.precision of the stage"
    )
    args = parser.parse_args()
    from transformers import pipeline

    from nlp.hf import resolve_precision

    stage_precision = resolve_precision(args.device, args.precision)
    precisions = list(dict.fromkeys(["float32", stage_precision]))
    cfg = parse_config(example_config(), "example.toml")
    from flows.enrich import taxonomy_from_config

    taxonomy = taxonomy_from_config(cfg.topics)
    docs, source = bench_docs(args.n)
    common = {"device": args.device, "batch_size": args.batch_size, "max_length": args.max_length}
    models = {p: load_models(ModelSpec(**common, precision=p), taxonomy, ("Kontor",)) for p in precisions}
    first = models[precisions[0]]
    lingua, use = first.language._detector, get_encoder("builtin:use")._model
    chunk = args.batch_size * 8  # the flow's page of documents per enrich_documents call
    pages = []
    for i in range(0, len(docs), chunk):
        page_docs = docs[i : i + chunk]
        pages.append(
            Page(page_docs, [r.label for r in first.language.detect([d.full_text for d in page_docs])])
        )
    minilm = {}
    for p in precisions:
        set_precision(p)
        minilm[p] = mean_pooling_encoder(minilm_path(), args.device, args.max_length, args.batch_size)
        for page in pages:
            page.batches[p] = list(
                length_sorted_batches(
                    minilm[p].tokenizer, page.cleaned, args.batch_size, args.max_length, args.device
                )
            )
    pipe = pipeline(
        "feature-extraction",
        model=minilm_path(),
        device=0 if args.device == "cuda" else -1,
        tokenize_kwargs={"truncation": True, "max_length": args.max_length},
    )

    def sync() -> None:
        if args.device == "cuda":
            torch.cuda.synchronize()

    def stage(page: Page, p: str) -> None:
        set_precision(p)
        assert len(list(enrich_documents(page.docs, models[p], chunk, ALL_TASKS))) == len(page.docs)

    def minilm_forward(page: Page, p: str) -> None:
        with torch.inference_mode(), autocast(args.device, p):
            for batch in page.batches[p]:
                minilm[p].model(**batch.inputs).last_hidden_state.float().cpu()

    def minilm_pipeline(page: Page, p: str) -> None:
        with torch.inference_mode(), autocast(args.device, p):
            out = pipe(page.cleaned, batch_size=args.batch_size, return_tensors=True)
            np.stack([t[0].float().mean(dim=0).numpy() for t in out])

    def other_models(page: Page) -> None:
        lingua.compute_language_confidence_values_in_parallel(page.lingua)
        use.encode(page.cleaned)
        if page.sentences:
            use.encode(page.sentences)
        vader_features(page.texts, page.languages)

    def minilm_stage(page: Page, p: str) -> None:
        set_precision(p)
        minilm[p].encode(page.cleaned)

    variants: dict[str, Callable[[Page, str], None]] = {
        "stage": stage,
        "limit": lambda page, p: (other_models(page), minilm_forward(page, p)),
        "pipeline": lambda page, p: (other_models(page), minilm_pipeline(page, p)),
        "minilm_stage": minilm_stage,
        "minilm_pipeline": minilm_pipeline,
        "minilm_forward": minilm_forward,
    }
    runs = [(name, p) for p in precisions for name in variants]
    warm = Page(docs[: args.batch_size], pages[0].languages[: args.batch_size])
    for p in precisions:  # warm-up on one batch: loads every model (and its lazily built parts) once
        warm.batches[p] = pages[0].batches[p][:1]
        for name in variants:
            variants[name](warm, p)
    seconds = dict.fromkeys(runs, 0.0)
    for index, page in enumerate(pages):
        for name, p in runs[index % len(runs) :] + runs[: index % len(runs)]:
            started = time.perf_counter()
            variants[name](page, p)
            sync()
            seconds[(name, p)] += time.perf_counter() - started
    set_precision("auto")
    n = len(docs)
    setting = f"truncation {args.max_length} tokens (MiniLM), batch {args.batch_size}, {args.device}"
    report = {
        "texts": n,
        "source": source,
        "setting": setting,
        "seconds": {f"{name}@{p}": round(s, 2) for (name, p), s in seconds.items()},
        "docs_per_s": {f"{name}@{p}": round(n / s, 1) for (name, p), s in seconds.items()},
    }
    print(json.dumps(report, indent=1))
    print(f"{n} texts; {setting}")
    for p in precisions:
        s = {name: seconds[(name, p)] for name in variants}
        print(
            f"[{p}] default path, all tasks: stage {n / s['stage']:.1f} docs/s, limit {n / s['limit']:.1f} docs/s "
            f"→ stage / limit = {s['limit'] / s['stage']:.2f}; vs pipeline path {n / s['pipeline']:.1f} docs/s "
            f"→ {s['pipeline'] / s['stage']:.2f}x; MiniLM {s['minilm_stage'] / s['stage']:.0%} of the stage"
        )
        print(
            f"[{p}] MiniLM part alone: stage encoder {n / s['minilm_stage']:.1f} docs/s vs pipeline on the list "
            f"{n / s['minilm_pipeline']:.1f} docs/s → {s['minilm_pipeline'] / s['minilm_stage']:.2f}x; "
            f"pure forward / stage encoder = {s['minilm_forward'] / s['minilm_stage']:.2f}"
        )
        tag = SHORT.get(p, p)
        figure(f"enrich.stage_docs_s.{tag}", f"{n / s['stage']:.1f}")
        figure(f"enrich.stage_over_limit.{tag}", f"{s['limit'] / s['stage']:.2f}")
        figure(f"enrich.stage_vs_pipeline_path.{tag}", f"{s['pipeline'] / s['stage']:.2f}")
        figure(f"enrich.minilm_vs_pipeline.{tag}", f"{s['minilm_pipeline'] / s['minilm_stage']:.2f}")
    at = {name: seconds[(name, stage_precision)] for name in variants}
    fp32 = {name: seconds[(name, "float32")] for name in variants}
    of_limit, vs_pipe = at["limit"] / at["stage"], fp32["minilm_pipeline"] / fp32["minilm_stage"]
    met = "met" if of_limit >= 0.85 and vs_pipe >= 2 else "NOT met"
    # a limit (a subset of the stage's work) measured slower than the stage is load drift, not a result
    doubts = [
        f"{name} at {p} slower than the whole it is part of"
        for p in precisions
        for name, part, whole in (
            ("limit", "limit", "stage"),
            ("MiniLM forward", "minilm_forward", "minilm_stage"),
        )
        if seconds[(part, p)] > 1.05 * seconds[(whole, p)]
    ]
    if len(pages) < 2:
        doubts.append("one page: the variants ran in one fixed order")
    note = f" [inconclusive: {'; '.join(doubts)}]" if doubts else ""
    if doubts:
        met = "NOT met"
        print(f"INCONCLUSIVE: the machine's load changed during the run{note}")
    print(
        f"enrich_speed: default path {n / at['stage']:.1f} docs/s at {stage_precision}, truncation "
        f"{args.max_length} = {of_limit:.2f} of its forward-pass limit (target ≥ 0.85); MiniLM part vs batched "
        f"pipeline at float32 {vs_pipe:.2f}x (target ≥ 2x){note}: {met}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
