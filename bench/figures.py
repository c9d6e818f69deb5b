"""Figures quoted in README and docs: scripts print `fig:KEY = VALUE`, bench/RESULTS.md logs them with the commit.

`python -m bench.figures SCRIPT [ARGS ...]` runs a bench or eval script (a path, or `-m MODULE`), echoes its
output and appends each `fig:` line it printed to the figures log of bench/RESULTS.md, with the command,
the commit and the date; `python -m bench.run` does the same for the suite. README and docs quote a
figure as `<!-- fig:KEY -->VALUE`, and tests/test_docs.py checks VALUE against the latest log row of KEY.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "RESULTS.md"
BEGIN, END = "<!-- figures:begin -->", "<!-- figures:end -->"
FIG_LINE = re.compile(r"^fig:([a-z0-9_.\-]+) = (\S+)\s*$")
ROW = re.compile(r"^\| `fig:([a-z0-9_.\-]+)` \| (\S+) \| `([^`]+)` \| (\S+) \| ([^|]+) \|$")
QUOTE = re.compile(r"<!-- fig:([a-z0-9_.\-]+) -->\s*\**\s*([^\s*|,;()]+)")
HEADER = "| figure | value | printed by | commit | measured |\n| --- | --- | --- | --- | --- |\n"


@dataclass(frozen=True)
class Figure:
    key: str
    value: str
    command: str = ""
    commit: str = ""
    measured: str = ""


def figure(key: str, value: str) -> None:
    """Print one figure line (a bench script's contract with bench.figures / bench.run)."""
    if not FIG_LINE.match(f"fig:{key} = {value}"):
        raise ValueError(
            f"not a figure line: fig:{key} = {value!r} (a lowercase key, a value without spaces)"
        )
    print(f"fig:{key} = {value}", flush=True)


def parse_output(lines: Iterable[str]) -> list[tuple[str, str]]:
    """The (key, value) of every `fig:` line of a script's output."""
    return [(m.group(1), m.group(2)) for line in lines if (m := FIG_LINE.match(line.strip()))]


def logged(text: str | None = None) -> dict[str, Figure]:
    """The latest row of every figure in the RESULTS.md log (later rows win)."""
    text = RESULTS.read_text(encoding="utf-8") if text is None else text
    block = text.split(BEGIN, 1)[1].split(END, 1)[0] if BEGIN in text else ""
    latest = {}
    for line in block.splitlines():
        if m := ROW.match(line.strip()):
            latest[m.group(1)] = Figure(*(g.strip() for g in m.groups()))
    return latest


def quoted(text: str) -> list[tuple[str, str]]:
    """(key, value) of every `<!-- fig:KEY -->VALUE` quote in a Markdown text."""
    return [(m.group(1), m.group(2)) for m in QUOTE.finditer(text)]


def commit() -> str:
    """HEAD's short hash, `+dirty` when a tracked file other than Markdown differs from it."""
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True
    ).stdout.splitlines()
    dirty = [line for line in status if not line.endswith(".md")]  # prose does not change a figure
    return (head or "unknown") + ("+dirty" if dirty else "")


def record(figures: list[tuple[str, str]], command: str) -> None:
    """Append rows to the figures log of bench/RESULTS.md (the log is created at the end when missing)."""
    if not figures:
        return
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    if BEGIN not in text:
        text = text.rstrip() + f"\n\n{BEGIN}\n{HEADER}{END}\n"
    when, at = time.strftime("%Y-%m-%d %H:%M"), commit()
    rows = "".join(f"| `fig:{k}` | {v} | `{command}` | {at} | {when} |\n" for k, v in figures)
    head, tail = text.split(END, 1)
    RESULTS.write_text(head + rows + END + tail, encoding="utf-8")


def echo_run(args: list[str], env: dict[str, str] | None = None) -> tuple[int, list[str]]:
    """Run `python ARGS` from the project root, echoing its output as it comes; (exit code, output lines)."""
    process = subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        env={**os.environ, **(env or {}), "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    for line in process.stdout or ():
        print(line, end="", flush=True)
        lines.append(line)
    return process.wait(), lines


def run_and_record(args: list[str]) -> int:
    """Run `python ARGS`, echo its output, record its figures; the script's exit code."""
    code, lines = echo_run(args)
    if code == 0:
        record(parse_output(lines), "python " + " ".join(args))
    return code


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    raise SystemExit(run_and_record(sys.argv[1:]))
