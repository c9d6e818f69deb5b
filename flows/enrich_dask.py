"""Enrichment passes on a Dask cluster (`[scale] dask`): pending pages become Prefect tasks on Dask workers.

The calling process reads the pending pages (short read-only connections) and submits them, split in
batches, as `enrich-batch` tasks through prefect-dask's DaskTaskRunner; each worker loads the models
once (a WorkerPlugin, also run on workers that join or restart later), enriches a batch and writes its
results through the warehouse backend in one short transaction. A batch lost with a killed worker is
rerun by Dask on another one; whatever was not written stays pending for the next run.

Every worker needs PREFECT_API_URL, or each starts a temporary Prefect server of its own: a LocalCluster
gets the caller's (a temporary server is started for the run when none is configured); workers of an
existing scheduler (`[scale] dask_address`) must have it in their environment, which is checked.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dask
from distributed import WorkerPlugin, wait
from prefect import task
from prefect.cache_policies import NO_CACHE

from nlp.enrich import batched, shared_models
from nlp.models import ModelSpec
from nlp.records import ModelInfo, Taxonomy
from warehouse.enrichment import PendingDoc, pending_pages
from warehouse.target import Target

from .prefect_server import configured_api_url, prefect_api

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = "resonanz-models"
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")  # Dask sets 1 by default


class DaskSetupError(RuntimeError):
    """The Dask cluster cannot run enrichment; the message names the worker or setting and what to do."""


@dataclass(frozen=True, slots=True)
class DaskOptions:
    """Where and how to enrich on Dask (mirrors `resonanz.config.Scale`)."""

    address: str = ""  # tcp://host:8786 of a running scheduler; empty: a LocalCluster of `workers`
    workers: int = 2  # LocalCluster worker processes
    torch_threads: int = 0  # per worker; 0: the host's cores ÷ workers (LocalCluster), else as started
    batch: int = 250  # documents per task

    @classmethod
    def from_config(cls, scale: Any) -> DaskOptions | None:
        """From `[scale]` (None when `dask` is off: the in-process stage)."""
        if not scale.dask:
            return None
        return cls(scale.dask_address, scale.dask_workers, scale.dask_torch_threads, scale.dask_batch)

    def threads(self) -> int:
        return self.torch_threads or max(1, (os.cpu_count() or 1) // max(1, self.workers))


class ModelPreload(WorkerPlugin):
    """Load and warm the models in each worker once, when it joins (also after a restart)."""

    def __init__(self, spec: ModelSpec, taxonomy: Taxonomy, terms: tuple[str, ...], threads: int) -> None:
        self.spec, self.taxonomy, self.terms, self.threads = spec, taxonomy, terms, threads

    async def setup(self, worker: Any) -> None:
        # off the worker's event loop, so it keeps answering the scheduler while models load
        await asyncio.get_running_loop().run_in_executor(None, self._load)

    def _load(self) -> None:
        if self.threads:
            import torch

            torch.set_num_threads(self.threads)
        shared_models(self.spec, self.taxonomy, self.terms)


@task(name="enrich-batch", cache_policy=NO_CACHE, persist_result=False, retries=1, retry_delay_seconds=1)
def enrich_batch(
    db: Target,
    spec: ModelSpec,
    taxonomy: Taxonomy,
    terms: tuple[str, ...],
    infos: Sequence[ModelInfo],
    batch: Sequence[PendingDoc],
    run_id: str | None,
    calibration: Any = None,
) -> dict[str, int]:
    """On a worker: enrich one batch with the worker's models and write its results (one transaction)."""
    from .enrich import enrich_page

    models = shared_models(spec, taxonomy, terms)
    return dict(enrich_page(db, models, infos, batch, run_id, calibration))


def local_cluster_kwargs(options: DaskOptions, api_url: str) -> dict[str, Any]:
    """LocalCluster settings: worker processes with this code, the Prefect API and their share of the cores."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")]))
    env = {"PREFECT_API_URL": api_url, "PYTHONPATH": path}
    env |= dict.fromkeys(THREAD_VARS, str(options.threads()))
    return {
        "n_workers": options.workers,
        "threads_per_worker": 1,
        "processes": True,
        "dashboard_address": ":0",  # a free port (see the runner's log line)
        "env": env,
    }


def _worker_api_url() -> str | None:
    return os.environ.get("PREFECT_API_URL")  # runs on the worker (os.environ.get itself would pickle ours)


def check_workers(client: Any) -> None:
    """Every worker must know the Prefect API (or it would start a temporary server of its own)."""
    urls = client.run(_worker_api_url)
    if not urls:
        raise DaskSetupError(f"the Dask scheduler {client.scheduler.address} has no workers: start some")
    missing = sorted(worker for worker, url in urls.items() if not url)
    if missing:
        raise DaskSetupError(
            f"Dask worker(s) {', '.join(missing)} have no PREFECT_API_URL: start them with "
            "PREFECT_API_URL=http://<prefect-server>:4200/api in their environment (docs/scale.md)"
        )


class DaskPasses:
    """Enrichment passes on one Dask cluster (see `dask_passes`)."""

    def __init__(self, runner: Any, options: DaskOptions, models: tuple) -> None:
        self.runner, self.options, self.models = runner, options, models

    @property
    def workers(self) -> int:
        return len(self.runner.client.scheduler_info().get("workers", {}))

    def __call__(
        self,
        db: Target,
        infos: Sequence[ModelInfo],
        force: bool,
        page_size: int,
        run_id: str | None,
        progress: Any,
        calibration: Any = None,
        embedding_version: str | None = None,
    ) -> Counter:
        """Submit the pending pages in batches, at most two per worker in flight; the counts of documents done."""
        counts: Counter = Counter()
        in_flight: dict[Any, tuple[Any, int]] = {}  # dask future → (Prefect future, documents)
        done = 0
        limit = 2 * max(1, self.workers)
        spec, taxonomy, terms = self.models
        params = {"db": db, "spec": spec, "taxonomy": taxonomy, "terms": terms, "infos": list(infos)}
        params |= {"run_id": run_id, "calibration": calibration}

        def collect() -> None:
            nonlocal done
            with self.runner.client.as_current():  # distributed.wait looks for a current client
                finished = wait(list(in_flight), return_when="FIRST_COMPLETED").done
            for dask_future in finished:
                future, n = in_flight.pop(dask_future)
                counts.update(
                    future.result()
                )  # raises the batch's error (after Dask's and Prefect's retries)
                done += n
                progress("+".join(i.task for i in infos), done)

        for page in pending_pages(db, infos, force, page_size, embedding_version):
            for batch in batched(page, self.options.batch):
                while len(in_flight) >= limit:
                    collect()
                future = self.runner.submit(enrich_batch, {**params, "batch": batch})
                in_flight[future.wrapped_future] = (future, len(batch))
        while in_flight:
            collect()
        return counts


@contextlib.contextmanager
def dask_passes(
    options: DaskOptions,
    spec: ModelSpec,
    taxonomy: Taxonomy,
    terms: Sequence[str],
    log_dir: Path | None = None,
) -> Iterator[DaskPasses]:
    """A Dask cluster with the models loaded on every worker, as a pass function for `run_enrichment`."""
    from prefect_dask import DaskTaskRunner

    home = log_dir or Path(os.environ.get("PREFECT_HOME", Path.home() / ".resonanz" / "prefect"))
    with prefect_api(home / "temporary-server.log"):
        url = configured_api_url()
        if options.address:
            runner, spawn_env = DaskTaskRunner(address=options.address), {}
        else:
            runner = DaskTaskRunner(cluster_kwargs=local_cluster_kwargs(options, str(url)))
            spawn_env = {f"distributed.nanny.pre-spawn-environ.{k}": options.threads() for k in THREAD_VARS}
        with runner, dask.config.set(spawn_env):  # thread counts before a worker starts (also on restarts)
            client = runner.client
            check_workers(client)
            plugin = ModelPreload(spec, taxonomy, tuple(terms), options.torch_threads)
            client.register_plugin(plugin, name=PLUGIN)
            log.info(
                "enrich: %d Dask workers ready at %s",
                len(client.scheduler_info()["workers"]),
                client.scheduler.address,
            )
            yield DaskPasses(runner, options, (spec, taxonomy, tuple(terms)))
