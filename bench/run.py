"""Run the benchmark suite (issue 7): `python -m bench.run [--quick] [--only NAME ...] [--device cuda]`.

Each benchmark runs in its own process and prints its figure as its last line; this collects those
lines, the JSON results under bench/out/, the machine and the cores actually available (other tenants
of a shared machine take some), prints a summary and writes it into bench/RESULTS.md between the
markers of the mode. `--quick` (make bench-quick) uses smaller sizes and finishes in under 10 minutes
on 2 cores; the full suite (make bench) takes about 40 minutes there, mostly enrichment of 55,000 documents.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from dataclasses import dataclass

from .common import OUT, QUIET_ENV, ROOT, available_cores, machine, out_dir
from .figures import echo_run, parse_output, record

RESULTS = ROOT / "bench" / "RESULTS.md"


@dataclass(frozen=True)
class Bench:
    name: str
    command: tuple[str, ...]  # python arguments (a module or a script)
    quick: tuple[str, ...]
    full: tuple[str, ...] = ()
    gpu: bool = False  # takes --device


SUITE = (
    Bench(
        "dashboard",
        ("-m", "bench.dashboard"),
        ("--sizes", "10000", "100000", "--reps", "5"),
        ("--sizes", "100000", "1000000", "--reps", "20"),
    ),
    Bench("crawl", ("-m", "bench.crawl"), ("--pages", "1000"), ("--pages", "5000")),
    Bench("incremental", ("-m", "bench.incremental"), ()),
    Bench(
        "memory",
        ("-m", "bench.memory"),
        ("--sizes", "100", "1000", "--page-size", "100"),
        ("--sizes", "5000", "50000"),
        gpu=True,
    ),
    Bench("enrich_speed", ("bench/enrich_speed.py",), ("--n", "256"), ("--n", "1024"), gpu=True),
    Bench(
        "scale_storage",
        ("-m", "bench.scale_storage"),
        ("--docs", "100000", "--ingest-docs", "1000", "--reps", "3", "--query-reps", "3"),
        ("--docs", "1000000", "--ingest-docs", "2000", "--reps", "3", "--query-reps", "5"),
    ),
    Bench("scale_crawl", ("-m", "bench.scale_crawl"), ("--pages", "200", "--blogs", "16"), ()),
    Bench("eval_sentiment", ("bench/eval_sentiment.py",), ("--only", "dev")),
    Bench("eval_adaptation", ("bench/eval_adaptation.py",), ("--seeds", "2")),
    Bench(
        "scale_dask",
        ("-m", "bench.scale_dask"),
        ("--docs", "300", "--reps", "1"),
        ("--docs", "3000", "--reps", "3"),
    ),
)


def run_bench(bench: Bench, quick: bool, device: str | None) -> dict:
    """Run one benchmark, echoing its output; its last line is the figure."""
    args = [*bench.command, *(bench.quick if quick else bench.full)]
    if device and bench.gpu:
        args += ["--device", device]
    print(f"\n=== {bench.name}: python {' '.join(args)}", flush=True)
    started = time.perf_counter()
    code, output = echo_run(args, QUIET_ENV)
    lines = [line.rstrip() for line in output if line.strip() and not line.startswith(("WARNING", "Warning"))]
    figures = parse_output(lines)
    lines = [line for line in lines if not line.startswith("fig:")]
    result_file = OUT / f"{bench.name}.json"
    return {
        "name": bench.name,
        "command": f"python {' '.join(args)}",
        "exit": code,
        "seconds": round(time.perf_counter() - started, 1),
        "figure": lines[-1] if lines else "",
        "figures": figures,
        "result": json.loads(result_file.read_text()) if result_file.exists() else None,
    }


def markdown(mode: str, runs: list[dict], cores: tuple[float, float], command: str) -> str:
    """The RESULTS.md block of one mode."""
    info = machine()
    rows = "\n".join(
        f"| {r['name']} | {_verdict(r)} | {r['figure'].replace('|', '/')} | {r['seconds']:.0f} s |"
        for r in runs
    )
    return (
        f"Measured {time.strftime('%Y-%m-%d %H:%M')} with `{command}` on {info['cpus']} CPUs, {info['memory']}, "
        f"Python {info['python']}, {info['platform']}; cores actually available at start/end: "
        f"{cores[0]:.2f} / {cores[1]:.2f}.\n\n"
        "| bench | target | figure (the script's last line) | time |\n| --- | --- | --- | --- |\n"
        + rows
        + "\n"
    )


def _verdict(run: dict) -> str:
    """met / not met from the figure line, which ends with "target ≤ 3: met" (or ": NOT met")."""
    if run["exit"] != 0:
        return f"failed (exit {run['exit']})"
    found = re.search(r": (NOT met|met)\)?$", run["figure"])
    return "—" if found is None else "not met" if found.group(1) == "NOT met" else "met"


def update_results(mode: str, block: str) -> None:
    """Replace this mode's block in bench/RESULTS.md (added at the end when missing)."""
    begin, end = f"<!-- bench:{mode}:begin -->", f"<!-- bench:{mode}:end -->"
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    new = f"{begin}\n{block}{end}"
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
    text = pattern.sub(lambda _: new, text) if pattern.search(text) else text.rstrip() + f"\n\n{new}\n"
    RESULTS.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes: under 10 minutes on 2 cores")
    parser.add_argument("--only", nargs="+", choices=[b.name for b in SUITE], help="run only these")
    parser.add_argument("--device", choices=["cpu", "cuda"], help="for the enrichment benches")
    parser.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    args = parser.parse_args(argv)
    mode = "quick" if args.quick else "full"
    out_dir()
    started = time.perf_counter()
    before = available_cores()
    runs = [run_bench(b, args.quick, args.device) for b in SUITE if not args.only or b.name in args.only]
    after = available_cores()
    command = "python -m bench.run" + " ".join(["", *(argv if argv is not None else sys.argv[1:])])
    print(
        f"\n=== summary ({mode}, {time.perf_counter() - started:.0f} s; cores available {before:.2f} / {after:.2f})"
    )
    for run in runs:
        print(f"{run['name']:13} {_verdict(run):8} {run['figure']}")
        for key, value in run["figures"]:
            print(f"{'':22} fig:{key} = {value}")
    (OUT / f"summary-{mode}.json").write_text(json.dumps(runs, indent=1, default=str), encoding="utf-8")
    if not args.no_write:
        for run in runs:  # quick runs log under quick.KEY: README quotes the full sizes
            if run["exit"] == 0:
                prefix = "quick." if args.quick else ""
                record([(prefix + k, v) for k, v in run["figures"]], run["command"])
        if not args.only:
            update_results(mode, markdown(mode, runs, (before, after), command.strip()))
    return 0 if all(r["exit"] == 0 for r in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
