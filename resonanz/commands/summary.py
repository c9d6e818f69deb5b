"""Readable summaries of a pipeline run and of an enrichment run (the `--json` output carries the same data)."""

from __future__ import annotations

from typing import Any

from ..console import plural

TASK_ORDER = ("language", "sentiment", "questions", "embedding", "topics")


def _by_task(tasks: Any) -> list[str]:
    return sorted(tasks, key=lambda t: TASK_ORDER.index(t) if t in TASK_ORDER else len(TASK_ORDER))


def model_lines(models: dict[str, str]) -> list[str]:
    """`language   builtin:lingua  (lingua-2.1.1-…)`: each task's model by name and version."""
    lines = []
    for task in _by_task(models):
        name, _, version = models[task].partition("@")
        lines.append(f"    {task:<10} {name}" + (f"  ({version})" if version else ""))
    return lines


def enrich_lines(enrich: dict[str, Any], quiet: bool = False) -> list[str]:
    """Documents enriched per task, emerging topics, question groups and the models used."""
    if not enrich:
        return []
    if enrich.get("skipped"):
        return [f"enrichment: skipped — {enrich['skipped']}"]
    counts = enrich.get("enriched", {})
    tasks = _by_task(counts)
    done = ", ".join(f"{task} {counts[task]}" for task in tasks) or "nothing to do"
    seconds = f" in {enrich['seconds']:.1f} s" if enrich.get("seconds") else ""
    lines = [f"enrichment{seconds}: {done}"]
    if not any(counts.values()) and not enrich.get("emerging_topics") and not enrich.get("questions"):
        lines[0] += " (no documents pending)"
    lines.append(
        f"  {plural(enrich.get('emerging_topics', 0), 'emerging topic')} "
        f"({enrich.get('new_emerging_topics', 0)} new), "
        f"{plural(enrich.get('question_groups', 0), 'question group')} "
        f"from {plural(enrich.get('questions', 0), 'reader question')}"
    )
    if enrich.get("models") and not quiet:
        lines += ["  models:", *model_lines(enrich["models"])]
    return lines


def refit_lines(refit: dict[str, Any]) -> list[str]:
    """A line when the run refitted the sentiment head on corrections, or was due to and could not."""
    if refit.get("refitted"):
        return [
            f"sentiment head refitted on {plural(refit['corrections'], 'correction')}: {refit['version']}"
        ]
    reason = refit.get("error") or (
        refit.get("skipped") if refit.get("due", 0) >= refit.get("threshold", 0) > 0 else None
    )
    return [f"sentiment head not refitted: {reason}"] if reason else []


def run_lines(summary: dict[str, Any], quiet: bool = False) -> list[str]:
    """The run as lines of text; quiet: headline, counts, failing sources and errors only."""
    docs = summary.get("documents", {})
    sources = (summary.get("collect") or {}).get("sources", [])
    failed = [s for s in sources if s["status"] == "error"]
    took = sum(summary.get("stages", {}).values())
    lines = [
        f"run {summary['run_id']}: {summary['status']}"
        + (f" in {took:.1f} s" if took else "")
        + f" — {plural(len(sources), 'source')}"
        + (f", {len(failed)} failed" if failed else "")
    ]
    if summary.get("collect") is not None:
        lines.append(
            f"documents: +{docs.get('new', 0)} new, {docs.get('updated', 0)} updated, "
            f"{docs.get('unchanged', 0)} unchanged"
            + (
                f", {plural(docs['near_duplicates'], 'near-duplicate')}"
                if docs.get("near_duplicates")
                else ""
            )
        )
    for src in sources if not quiet else failed:
        mark = "✗" if src["status"] == "error" else "✓"
        err = f"  — {src['error']}" if src.get("error") else ""
        line = (
            f"  {mark} {src['source_id']:<28} {src['status']:<13} +{src['new']:<4} ~{src['updated']:<3}{err}"
        )
        lines.append(line.rstrip())
    if not sources and summary.get("collect") is not None:
        lines.append(
            "  no sources configured: add some with `resonanz add-feed URL` or `resonanz add-site URL`"
        )
    lines += refit_lines(summary.get("refit") or {})
    lines += enrich_lines(summary.get("enrich") or {}, quiet)
    operations = summary.get("operations") or {}
    retention = operations.get("retention")
    if retention and (retention.get("documents") or retention.get("versions")):
        lines.append(
            f"retention: emptied {plural(retention['documents'], 'document')} older than "
            f"{plural(retention['days'], 'day')}"
        )
    if operations.get("failing_sources"):
        lines.append(
            f"failing several runs in a row: {', '.join(operations['failing_sources'])} (see `resonanz health`)"
        )
    if (summary.get("aggregates") or {}).get("error"):
        lines.append(f"app aggregates not refreshed: {summary['aggregates']['error']}")
    if summary.get("error"):
        lines.append(f"error: {summary['error']}")
    return lines


def print_summary(summary: dict[str, Any], quiet: bool = False) -> None:
    print("\n".join(run_lines(summary, quiet)), flush=True)
