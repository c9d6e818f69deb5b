"""Prefect deployments of the pipeline (and the weekly digest) with the config's cron schedules.

`resonanz serve` builds them here and serves them with `prefect.serve`: the process registers
the deployments with the Prefect server named by PREFECT_API_URL, the server's scheduler
creates the runs, and this process executes them (visible in Prefect's UI). With a work pool
(`resonanz serve --work-pool NAME`) they are only registered, and `prefect worker start` runs them.
With `[scale] collect_shards` > 1 a `collect-shard` deployment is added, whose runs the pipeline starts.
"""

from __future__ import annotations

import importlib
import inspect
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from resonanz.config import Config
from warehouse.target import as_warehouse

if TYPE_CHECKING:
    from prefect import Flow
    from prefect.deployments.runner import RunnerDeployment

log = logging.getLogger(__name__)

COLLECT_DEPLOYMENT = "resonanz-collect"
DIGEST_DEPLOYMENT = "resonanz-digest"
COMPACT_DEPLOYMENT = "resonanz-compact"
TAGS = ["resonanz"]


@dataclass(frozen=True, slots=True)
class ScheduledFlow:
    """A flow to deploy: deployment name, cron string and fixed parameters."""

    deployment: str
    flow: Flow
    cron: str
    parameters: dict[str, Any]
    description: str

    @property
    def full_name(self) -> str:
        return f"{self.flow.name}/{self.deployment}"


def digest_flow() -> Flow | None:
    """`flows.digest.digest_flow` once the digest stage exists, else None."""
    try:
        module = importlib.import_module("flows.digest")
    except ModuleNotFoundError as exc:
        if exc.name != "flows.digest":
            raise
        return None
    return getattr(module, "digest_flow", None)


def _accepted(flow: Flow, candidates: dict[str, Any]) -> dict[str, Any]:
    names = inspect.signature(flow.fn).parameters
    return {key: value for key, value in candidates.items() if key in names}


def scheduled_flows(cfg: Config, db: str | Path) -> list[ScheduledFlow]:
    """The flows `resonanz serve` deploys; an empty cron string in [schedule] leaves one out."""
    from .pipeline import pipeline

    candidates = {"config_path": cfg.path, "db": str(db)}
    wanted = [(COLLECT_DEPLOYMENT, pipeline, cfg.schedule.collect, "Collect and enrich (resonanz run)")]
    digest = digest_flow()
    if digest is None:
        log.info("no digest flow (flows.digest.digest_flow) yet: only the pipeline is scheduled")
    else:
        wanted.append((DIGEST_DEPLOYMENT, digest, cfg.schedule.digest, "Weekly digest for stakeholders"))
    if as_warehouse(db).is_lake:
        from .maintenance import compact_flow

        wanted.append((COMPACT_DEPLOYMENT, compact_flow, cfg.warehouse.compact, "DuckLake compaction"))
    return [
        ScheduledFlow(name, flow, cron, _accepted(flow, candidates), text)
        for name, flow, cron, text in wanted
        if cron
    ]


def build_deployments(cfg: Config, db: str | Path) -> list[RunnerDeployment]:
    """Runner deployments with cron schedules in `resonanz.timezone`; one run at a time per deployment.

    Works offline (no API call). The entrypoint is the module path (`flows.pipeline.pipeline`),
    so a worker started from any directory finds the flow.
    """
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.schedules import Cron
    from prefect.types.entrypoint import EntrypointType

    one_at_a_time = ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW)
    deployments = [
        item.flow.to_deployment(
            name=item.deployment,
            schedules=[Cron(item.cron, timezone=cfg.resonanz.timezone)],
            parameters=item.parameters,
            description=item.description,
            tags=TAGS,
            concurrency_limit=one_at_a_time,
            entrypoint_type=EntrypointType.MODULE_PATH,
        )
        for item in scheduled_flows(cfg, db)
    ]
    if cfg.scale.collect_shards > 1:  # the pipeline starts these (flows/shard.py); no schedule of their own
        from .shard import SHARD_DEPLOYMENT, collect_shard

        deployments.append(
            collect_shard.to_deployment(
                name=SHARD_DEPLOYMENT,
                parameters={"config_path": cfg.path, "db": str(db)},
                description=f"One of {cfg.scale.collect_shards} collection shards (started by the pipeline)",
                tags=TAGS,
                entrypoint_type=EntrypointType.MODULE_PATH,
            )
        )
    return deployments


def serve_deployments(deployments: list[RunnerDeployment], limit: int | None = None) -> None:
    """Register the deployments and execute their scheduled runs until interrupted (blocks)."""
    from prefect import serve

    log.info("serving %s", ", ".join(d.name for d in deployments))
    serve(*deployments, limit=limit, print_starting_message=False)


def register_with_pool(deployments: list[RunnerDeployment], pool: str) -> list[str]:
    """Register the deployments with a work pool (e.g. a `process` pool); a worker executes the runs."""
    from prefect import deploy

    ids = deploy(
        *deployments,
        work_pool_name=pool,
        build=False,
        push=False,
        print_next_steps_message=False,
        ignore_warnings=True,
    )
    return [str(i) for i in ids]
