"""Dask enrichment: the enrichment stage through Dask with one worker vs in-process (target ≥ 0.9).

Usage: python -m bench.scale_dask [--docs 3000] [--reps 2] [--batch 250]
One synthetic warehouse of `--docs` documents, nothing enriched (bench.synth), copied afresh for every
measured run. The example config's builtin models are loaded and warmed beforehand on both sides: in
this process, and on every Dask worker (flows.enrich_dask's WorkerPlugin); starting the cluster and the
workers' model loading are timed apart as fixed costs. Measured: the two enrichment passes
(`flows.enrich.enrich_pending`: language, sentiment, questions, embedding, then topics), with results
written to the warehouse, in-process and on a LocalCluster of one worker, interleaved `--reps` times
(median); then a LocalCluster of two workers for information, also per CPU-second (this process's CPU,
which includes the scheduler, plus the workers'). Each worker gets the cores ÷ workers torch threads.
Last line: docs/s with one Dask worker ÷ docs/s in-process.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

from .common import available_cores, out_dir, quiet_environment, save_result, verdict
from .figures import figure
from .synth import SynthSpec, fill_warehouse

TARGET = 0.9


def prepare(n_docs: int, seed: int) -> Path:
    """A warehouse of n_docs documents, none enriched (the template every run copies)."""
    db = out_dir("synth") / f"scale-dask-{n_docs}-s{seed}.duckdb"
    db.unlink(missing_ok=True)
    db.with_name(db.name + ".wal").unlink(missing_ok=True)
    fill_warehouse(db, SynthSpec(n_docs, seed=seed, with_enrichment=False, refresh=False))
    return db


def _worker_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # runs on a worker: that process's CPU seconds
    return usage.ru_utime + usage.ru_stime


def _worker_threads() -> int:
    import torch

    return torch.get_num_threads()


def measure(template: Path, n: int, models: Any, run_pass: Any, client: Any = None) -> dict:
    """One run of both passes over a fresh copy of the template: wall, CPU seconds, docs/s."""
    from flows.enrich import enrich_pending

    db = out_dir("scale-dask") / "run.duckdb"
    db.with_name(db.name + ".wal").unlink(missing_ok=True)
    shutil.copy(template, db)
    workers_before = sum(client.run(_worker_cpu).values()) if client else 0.0
    cpu, wall = time.process_time(), time.perf_counter()
    counts = enrich_pending(db, models, run_pass, progress=lambda *_: None)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    workers = sum(client.run(_worker_cpu).values()) - workers_before if client else 0.0
    if counts.get("language") != n or counts.get("topics") != n:
        raise SystemExit(f"expected {n} documents enriched per task, got {dict(counts)}")
    return {
        "seconds": round(wall, 2),
        "docs_per_s": round(n / wall, 1),
        "cpu_s": round(cpu + workers, 1),
        "docs_per_cpu_s": round(n / (cpu + workers), 2),
    }


@contextlib.contextmanager
def dask_side(workers: int, batch: int, models: Any) -> Any:
    """A LocalCluster with the models loaded on each worker; yields (pass function, client, setup seconds)."""
    from flows.enrich_dask import DaskOptions, dask_passes

    started = time.perf_counter()
    options = DaskOptions(workers=workers, batch=batch)
    with dask_passes(options, models.spec, models.taxonomy, models.rules.company_terms) as run_pass:
        yield run_pass, run_pass.runner.client, round(time.perf_counter() - started, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=3000)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--batch", type=int, default=250, help="documents per Dask task ([scale] dask_batch)")
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args(argv)
    quiet_environment()
    from flows.enrich import _run_pass, taxonomy_from_config
    from flows.prefect_env import configure_prefect
    from flows.prefect_server import prefect_api
    from nlp.enrich import shared_models
    from nlp.models import ModelSpec

    from .synth_plan import example_settings

    home = out_dir("scale-dask", "prefect-home")
    configure_prefect(home)
    template = prepare(args.docs, args.seed)
    settings = example_settings()
    company = settings["company"]
    started = time.perf_counter()
    models = shared_models(
        ModelSpec.from_config({**settings["models"], "device": "cpu"}),
        taxonomy_from_config(settings["topics"]),
        (company["name"], *company["brand_keywords"]),
    )
    load_s = round(time.perf_counter() - started, 1)
    import torch

    local = lambda *a: _run_pass(*a, models=models)  # noqa: E731 - the in-process pass, models bound
    cores = available_cores()
    runs: dict[str, list[dict]] = {"in-process": [], "dask-1": [], "dask-2": []}
    with prefect_api(home / "temporary-server.log"):  # one Prefect server for both clusters (not timed)
        with dask_side(1, args.batch, models) as (one, client, setup_1):
            threads = {
                "in-process": torch.get_num_threads(),
                "dask-1": list(client.run(_worker_threads).values()),
            }
            for rep in range(args.reps):  # interleaved, order alternating: machine noise hits both sides
                order = [("in-process", local, None), ("dask-1", one, client)]
                for name, run_pass, c in order if rep % 2 == 0 else order[::-1]:
                    runs[name].append(measure(template, args.docs, models, run_pass, c))
                    print(f"{name:>10} rep {rep + 1}: {json.dumps(runs[name][-1])}", flush=True)
        with dask_side(2, args.batch, models) as (two, client, setup_2):
            threads["dask-2"] = list(client.run(_worker_threads).values())
            for rep in range(args.reps):
                runs["dask-2"].append(measure(template, args.docs, models, two, client))
                print(f"{'dask-2':>10} rep {rep + 1}: {json.dumps(runs['dask-2'][-1])}", flush=True)
    median = {name: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for name, rs in runs.items()}
    ratio = median["dask-1"]["docs_per_s"] / median["in-process"]["docs_per_s"]
    per_cpu_2 = median["dask-2"]["docs_per_cpu_s"] / median["in-process"]["docs_per_cpu_s"]
    speed_2 = median["dask-2"]["docs_per_s"] / median["in-process"]["docs_per_s"]
    fixed = {"models_in_process_s": load_s, "cluster_1_worker_s": setup_1, "cluster_2_workers_s": setup_2}
    save_result(
        "scale_dask",
        {
            "docs": args.docs,
            "batch": args.batch,
            "reps": args.reps,
            "torch_threads": threads,
            "fixed_costs": fixed,
            "runs": runs,
            "median": median,
            "ratio": round(ratio, 3),
            "two_workers_speed_ratio": round(speed_2, 3),
            "two_workers_per_cpu_ratio": round(per_cpu_2, 3),
            "cores_available": cores,
        },
    )
    print(f"fixed costs (not in the ratio): {json.dumps(fixed)}; torch threads {threads}; cores {cores:.2f}")
    for name, m in median.items():
        print(
            f"{name:>10}: {m['docs_per_s']:.1f} docs/s, {m['docs_per_cpu_s']:.2f} docs per CPU-second (median)"
        )
    print(f"info: 2 Dask workers vs in-process: {speed_2:.2f}x docs/s, {per_cpu_2:.2f}x docs per CPU-second")
    figure("scale_dask.docs", str(args.docs))
    figure("scale_dask.in_process_docs_per_s", f"{median['in-process']['docs_per_s']:.1f}")
    figure("scale_dask.one_worker_docs_per_s", f"{median['dask-1']['docs_per_s']:.1f}")
    figure("scale_dask.two_workers_speed_ratio", f"{speed_2:.2f}")
    figure("scale_dask.two_workers_per_cpu_ratio", f"{per_cpu_2:.2f}")
    figure("scale_dask.cluster_1_worker_s", f"{setup_1:.1f}")
    figure("scale_dask.ratio", f"{ratio:.2f}")
    print(
        f"scale_dask: 1 Dask worker {median['dask-1']['docs_per_s']:.1f} docs/s vs in-process "
        f"{median['in-process']['docs_per_s']:.1f} docs/s = {ratio:.2f} ({verdict(ratio, TARGET, at_most=False)})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
