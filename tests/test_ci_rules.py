"""CI cannot pass by skipping: one helper for missing prerequisites, skips fail under CI=true, lint rule."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
BARE_SKIP = re.compile(r"pytest\.(skip\(|importorskip\(|mark\.skip)|\bskipif\b")

PROBE = """
import pytest
from conftest import unavailable


def test_prerequisite_missing():
    unavailable("probe: no such thing")


@pytest.mark.skipif(True, reason="probe: a marker skip")
def test_marker_skip():
    pass


def test_runs():
    assert 1 + 1 == 2
"""


def test_no_bare_skips_in_tests():
    """Every give-up goes through conftest.unavailable, so CI=true turns it into a failure."""
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted(TESTS.rglob("*.py"))
        if path.name not in {"conftest.py", Path(__file__).name}
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if BARE_SKIP.search(line)
    ]
    assert offenders == [], f"use conftest.unavailable(...) instead of a bare skip: {offenders}"


def _probe(tmp_path: Path, ci: str | None) -> tuple[int, str]:
    tmp_path.mkdir()
    (tmp_path / "conftest.py").write_text(
        (TESTS / "conftest.py").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (tmp_path / "test_probe.py").write_text(PROBE, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    if ci is not None:
        env["CI"] = ci
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(tmp_path),
            str(tmp_path),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done.returncode, done.stdout.strip().splitlines()[-1]


def test_skips_outside_ci_fail_under_ci(tmp_path: Path):
    (local_rc, local), (ci_rc, ci) = _probe(tmp_path / "local", None), _probe(tmp_path / "ci", "true")
    assert local_rc == 0 and re.search(r"\b1 passed, 2 skipped\b", local), local
    # the helper's skip fails in the call, the marker's in setup (an error): both fail the run, none skips
    assert ci_rc == 1 and re.search(r"\b1 failed, 1 passed, 1 error\b", ci), ci


def test_ci_script_runs_tests_under_ci_and_rejects_skips():
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "CI=true make test" in script
    assert "skipped" in script and "exit 1" in script
    assert "could not install chromium" in script and "chromium is required" in script


def test_lint_is_the_one_rule_ruff_check_and_format():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    lint = makefile.split("\nlint:", 1)[1].split("\n\n", 1)[0]
    assert "ruff check ." in lint and "ruff format --check ." in lint
    ruff = Path(sys.executable).with_name("ruff")
    for args in (["check", "."], ["format", "--check", "."]):
        done = subprocess.run([str(ruff), *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"ruff {' '.join(args)}:\n{done.stdout[-3000:]}"
