"""Enrichment speed: the stage (length-sorted batches) vs a naive per-text transformers pipeline loop.

Usage: python bench/enrich_speed.py [--device cpu|cuda] [--n 2000] [--model HF-ID|DIR] [--batch-size 32]
                                   [--precision auto|float32|bfloat16|float16]
Same model (same weights), same texts, one run; the stage at `models.precision` (auto: bfloat16 on CPUs
with native bf16), the naive loop as a plain `pipeline` runs (float32). Default model: all-MiniLM-L6-v2 (packaged) with a 3-class head (its
weights do not matter for speed), saved under bench/out/. Also reports docs/s and the ratio of a pure
forward pass of the same model on the same batches to the stage (overhead check). Last line: the ratio.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch

from nlp.encoders import minilm_path
from nlp.enrich import enrich_documents
from nlp.evaldata import default_data_dir, demo_texts, read_split
from nlp.hf import PRECISIONS, autocast, length_sorted_batches, sequence_classifier
from nlp.models import ModelSpec, load_models
from nlp.records import DocText

OUT = Path(__file__).resolve().parent / "out"


def bench_texts(n: int) -> tuple[list[str], str]:
    texts = [d.text for d in demo_texts()]
    source = "demo/content"
    if not texts:
        texts = (
            read_split(default_data_dir(), "de", "train").texts
            + read_split(default_data_dir(), "en", "train").texts
        )
        source = "../shared sentiment train"
    return list(itertools.islice(itertools.cycle(texts), n)), f"{source} ({len(texts)} distinct)"


def default_model() -> str:
    path = OUT / "minilm-3class"
    if not (path / "config.json").exists():
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        torch.manual_seed(0)
        labels = ["negative", "neutral", "positive"]
        model = AutoModelForSequenceClassification.from_pretrained(
            minilm_path(),
            num_labels=3,
            id2label=dict(enumerate(labels)),
            label2id={x: i for i, x in enumerate(labels)},
        )
        model.save_pretrained(path)
        AutoTokenizer.from_pretrained(minilm_path()).save_pretrained(path)
    return str(path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--model", default=None)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument(
        "--precision", default="auto", choices=PRECISIONS, help="models.precision of the stage"
    )
    args = parser.parse_args()
    model_id = args.model or default_model()
    texts, source = bench_texts(args.n)
    docs = [DocText(str(i), t, kind="comment") for i, t in enumerate(texts)]
    spec = ModelSpec(
        sentiment=model_id,
        device=args.device,
        batch_size=args.batch_size,
        max_length=args.max_length,
        precision=args.precision,
    )
    models = load_models(spec)
    classifier = sequence_classifier(model_id, args.device, args.max_length)

    def sync() -> None:
        if args.device == "cuda":
            torch.cuda.synchronize()

    from transformers import pipeline

    pipe = pipeline("text-classification", model=model_id, device=0 if args.device == "cuda" else -1)
    chunk = args.batch_size * 8  # the stage enriches in pages of this many documents
    pages = [(docs[i : i + chunk], texts[i : i + chunk]) for i in range(0, len(texts), chunk)]
    # the stage's batches of every page, tokenised up front: the pure forward pass times the model alone
    page_batches = {
        id(page_texts): list(
            length_sorted_batches(
                classifier.tokenizer, page_texts, args.batch_size, args.max_length, classifier.device
            )
        )
        for _, page_texts in pages
    }
    same_precision = autocast(
        classifier.device, classifier.precision
    )  # the forward pass runs as the stage does
    with (
        torch.inference_mode(),
        same_precision,
    ):  # warm-up over every batch shape (CPU kernels are built per shape)
        for batches in page_batches.values():
            for batch in batches:
                classifier.model(**batch.inputs)
    pipe(texts[0], truncation=True)

    def run_stage(page_docs: list[DocText], page_texts: list[str]) -> int:
        return sum(1 for _ in enrich_documents(page_docs, models, batch_size=chunk, tasks=("sentiment",)))

    def run_forward(page_docs: list[DocText], page_texts: list[str]) -> int:
        with torch.inference_mode(), autocast(classifier.device, classifier.precision):
            for batch in page_batches[id(page_texts)]:
                classifier.model(**batch.inputs).logits.float().cpu()
        return len(page_texts)

    def run_naive(page_docs: list[DocText], page_texts: list[str]) -> int:
        for text in page_texts:  # one pipeline call per text, truncated only where the model requires it
            pipe(text, truncation=True)
        return len(page_texts)

    def run_naive_same(page_docs: list[DocText], page_texts: list[str]) -> int:
        for text in page_texts:  # the same loop with the stage's truncation: what batching alone buys
            pipe(text, truncation=True, max_length=args.max_length)
        return len(page_texts)

    # Interleaved page by page, in rotating order, so load on a shared machine hits every variant alike.
    variants = {"stage": run_stage, "forward": run_forward, "naive": run_naive, "naive_same": run_naive_same}
    seconds = dict.fromkeys(variants, 0.0)
    n_out = 0
    for index, (page_docs, page_texts) in enumerate(pages):
        names = list(variants)
        for name in names[index % len(names) :] + names[: index % len(names)]:
            started = time.perf_counter()
            done = variants[name](page_docs, page_texts)
            sync()
            seconds[name] += time.perf_counter() - started
            n_out += done if name == "stage" else 0
    stage, forward, naive, naive_same_length = (
        seconds[k] for k in ("stage", "forward", "naive", "naive_same")
    )

    report = {
        "texts": n_out,
        "source": source,
        "model": model_id,
        "device": args.device,
        "precision": classifier.precision,
        "stage_s": round(stage, 2),
        "naive_s": round(naive, 2),
        "naive_same_truncation_s": round(naive_same_length, 2),
        "batching_alone_x": round(naive_same_length / stage, 2),
        "forward_s": round(forward, 2),
        "stage_docs_per_s": round(n_out / stage, 1),
        "naive_docs_per_s": round(n_out / naive, 1),
        "forward_over_stage": round(forward / stage, 3),
    }
    print(json.dumps(report, indent=2))
    print(
        f"stage {n_out / stage:.1f} docs/s at {classifier.precision}; pure forward / stage = {forward / stage:.2f} (target ≥ 0.85)"
    )
    print(f"batching and precision alone (same truncation in both): {naive_same_length / stage:.2f}x")
    speedup, overhead = naive / stage, forward / stage
    met = "met" if speedup >= 3 and overhead >= 0.85 else "NOT met"
    print(
        f"enrich_speed: stage vs naive per-text pipeline {speedup:.2f}x (target ≥ 3x), pure forward / stage "
        f"{overhead:.2f} (target ≥ 0.85): {met}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
