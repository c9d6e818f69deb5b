"""Every sub-command under a newcomer's mistakes: a non-zero exit, exactly one `resonanz:` line on stderr,
no traceback anywhere, and the database byte-for-byte unchanged (nor a new one created).

The generic cases (an unknown option, a database that is a folder, not a DuckDB file or a typo, a
missing or binary config) run for every sub-command the parser has — new ones included, nested ones
too — with the minimal arguments below or, for a command not listed, arguments made up from its
parser. The specific cases cover files, outputs and names per command.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
import tomli_w
from httpserver import make_server  # noqa: F401
from reliability import prefect_env

from crawlers.records import DocumentRecord, FetchOutcome
from resonanz.cli import build_parser, main
from warehouse.editorial import PlanEntry, add_entry
from warehouse.ingest import SourceSpec, ingest_outcome, sync_sources
from warehouse.runs import finish_run, start_run

pytestmark = pytest.mark.timeout(120)
ROOT = Path(__file__).resolve().parents[1]
# Minimal valid arguments of the commands that need some (paths are relative to the project folder).
MINIMAL = {
    ("init",): ["new.toml"],
    ("import-opml",): ["subs.opml"],
    ("classify",): ["--task", "sentiment", "--input", "texts.txt"],
    ("export",): ["--format", "csv"],
    ("check-feed",): ["feed.xml"],
    ("extract",): ["page.html"],
    ("purge",): ["--retention", "--days", "1"],
    ("add-feed",): ["http://127.0.0.1:9/new-feed/", "--no-check"],
    ("add-site",): ["http://127.0.0.1:9/new-site/", "--no-check"],
    ("demo",): ["--port", "0", "--no-app", "--dir", "demo-data"],
    ("demo-web",): ["--port", "0"],
}
BINARY = bytes(range(256)) * 8


def leaf_commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> Iterator[tuple]:
    """(command path, its parser) for every sub-command, nested sub-commands expanded."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield path, parser
        return
    for name, child in subs[0].choices.items():
        yield from leaf_commands(child, (*path, name))


def _fill(action: argparse.Action) -> list[str]:
    value = str(next(iter(action.choices))) if action.choices else "x"
    if not action.option_strings:
        return [value]
    return [action.option_strings[0]] + ([] if action.nargs == 0 else [value])


def minimal_args(path: tuple[str, ...], parser: argparse.ArgumentParser) -> list[str]:
    """MINIMAL, else required options (first choice, or 'x') and positionals made up from the parser."""
    if path in MINIMAL:
        return list(MINIMAL[path])
    args: list[str] = []
    for group in parser._mutually_exclusive_groups:
        if group.required:
            args += _fill(group._group_actions[0])
    for action in parser._actions:
        positional = not action.option_strings and action.nargs not in ("?", "*")
        if positional or (action.option_strings and action.required):
            args += _fill(action)
    return args


COMMANDS = list(leaf_commands(build_parser()))
IDS = [" ".join(path) for path, _ in COMMANDS]


def _options(parser: argparse.ArgumentParser) -> set[str]:
    return {o for a in parser._actions for o in a.option_strings}


def _doc(i: int, kind: str = "post") -> DocumentRecord:
    url = f"http://127.0.0.1:9/blog/{i}/" + ("#comment-1" if kind == "comment" else "")
    return DocumentRecord(
        kind, "blog", url, url, f"Text {i} über Preise und Lizenzen.", title=f"Post {i}", author="Anna"
    )


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project: config (one unreachable feed, topics, a stakeholder), a small database and input files."""
    folder = tmp_path_factory.mktemp("project")
    db = folder / "resonanz.duckdb"
    sync_sources(db, [SourceSpec("blog", "Blog", "feed", "http://127.0.0.1:9/feed/")])
    run = start_run(db)
    ingest_outcome(
        db, FetchOutcome("blog", "u", "ok", documents=[_doc(i) for i in range(3)] + [_doc(9, "comment")]), run
    )
    finish_run(db, run, "ok")
    add_entry(db, PlanEntry(title="Preise erklären", angle="Preise"))
    config = {
        "resonanz": {"database": "resonanz.duckdb", "data_dir": "work"},
        "feeds": [{"id": "blog", "url": "http://127.0.0.1:9/feed/"}],
        "crawl": {"retries": 0, "timeout_s": 2},
        "topics": [{"name": "Preise"}],
        "stakeholders": [{"name": "Anna Admin", "email": "anna@example.com", "topics": ["Preise"]}],
    }
    (folder / "resonanz.toml").write_text(tomli_w.dumps(config), encoding="utf-8")
    (folder / "empty.toml").write_text("", encoding="utf-8")
    (folder / "elsewhere").mkdir()  # an empty config in a folder without a database
    (folder / "elsewhere" / "resonanz.toml").write_text("", encoding="utf-8")
    (folder / "folder").mkdir()
    (folder / "notduck.db").write_text("this is not a database\n", encoding="utf-8")
    for name in ("binary.bin", "binary.txt", "binary.opml", "binary.xml", "binary.html", "binary.toml"):
        (folder / name).write_bytes(BINARY)
    for name in ("empty.txt", "empty.opml", "empty.xml", "empty.html"):
        (folder / name).write_bytes(b"")
    (folder / "texts.txt").write_text("Tolle Preise!\n", encoding="utf-8")
    (folder / "feed.xml").write_text(
        '<rss version="2.0"><channel><title>T</title><item><title>a</title><link>http://127.0.0.1:9/a</link>'
        "</item></channel></rss>",
        encoding="utf-8",
    )
    (folder / "page.html").write_text(
        "<html><body><article><p>Ein Text.</p></article></body></html>", encoding="utf-8"
    )
    (folder / "subs.opml").write_text(
        '<opml><body><outline xmlUrl="http://127.0.0.1:9/x.xml"/></body></opml>', encoding="utf-8"
    )
    (folder / "report.md").write_text("an existing file\n", encoding="utf-8")
    return folder


@pytest.fixture
def project(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of the project as the working directory; no RESONANZ_* variables."""
    folder = tmp_path / "project"
    shutil.copytree(template, folder)
    monkeypatch.chdir(folder)
    for name in ("RESONANZ_CONFIG", "RESONANZ_DB", "RESONANZ_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    return folder


def _digest(folder: Path) -> dict[str, str]:
    """sha256 of every DuckDB file (and WAL) in the folder tree."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and (p.suffix in (".duckdb", ".wal") or p.name.endswith(".duckdb.wal"))
    }


def assert_refused(
    folder: Path, capsys: pytest.CaptureFixture[str], argv: list[str], code: int | None = None
) -> str:
    """Run `resonanz argv` in-process; assert the error style and that no database changed. Returns stderr."""
    before = _digest(folder)
    try:
        status = main(argv)
    except SystemExit as exc:  # argparse
        status = exc.code
    out, err = capsys.readouterr()
    shown = f"argv: {argv}\nexit: {status}\nstdout:\n{out}\nstderr:\n{err}"
    assert status not in (0, None), shown
    if code is not None:
        assert status == code, shown
    assert len([line for line in err.splitlines() if line.startswith("resonanz:")]) == 1, shown
    assert "Traceback" not in out + err, shown
    assert _digest(folder) == before, shown
    return err


# --- generic cases: every sub-command ------------------------------------------------------------
@pytest.mark.parametrize(("path", "parser"), COMMANDS, ids=IDS)
def test_unknown_option_is_one_line(project, capsys, path, parser) -> None:
    err = assert_refused(project, capsys, [*path, *minimal_args(path, parser), "--no-such-option"], code=2)
    assert "--no-such-option" in err and f"resonanz {path[0]}" in err


DB_CASES = [
    pytest.param(path, parser, bad, id=f"{' '.join(path)}-{bad}")
    for path, parser in COMMANDS
    if "--db" in _options(parser)
    for bad in ("folder", "notduck.db", "typo.duckdb")
    if bad != "typo.duckdb" or parser.get_default("database") == "read"  # others may create it
]
CONFIG_CASES = [
    pytest.param(path, parser, bad, id=f"{' '.join(path)}-{bad}")
    for path, parser in COMMANDS
    if "--config" in _options(parser)
    for bad in ("nope.toml", "binary.toml", "folder")
]


@pytest.mark.parametrize(("path", "parser", "bad"), DB_CASES)
def test_bad_database_is_one_line_and_creates_nothing(project, capsys, path, parser, bad) -> None:
    err = assert_refused(project, capsys, [*path, *minimal_args(path, parser), "--db", bad])
    assert bad in err
    assert not (project / "typo.duckdb").exists()


@pytest.mark.parametrize(("path", "parser", "bad"), CONFIG_CASES)
def test_bad_config_is_one_line(project, capsys, path, parser, bad) -> None:
    err = assert_refused(project, capsys, [*path, *minimal_args(path, parser), "--config", bad], code=2)
    assert bad in err


def test_every_command_is_covered() -> None:
    """The generic cases reach every command: each one parses with its minimal arguments."""
    parser = build_parser()
    for path, sub in COMMANDS:
        args = parser.parse_args([*path, *minimal_args(path, sub)])
        assert callable(args.handler), path
    assert {("run",), ("stats",), ("add-feed",), ("purge",)} <= {p for p, _ in COMMANDS}


# --- specific cases --------------------------------------------------------------------------------
SPECIFIC = {
    "no command": [],
    "unknown command": ["bogus"],
    "stats without a database": ["stats", "--config", "elsewhere/resonanz.toml"],
    "health without a database": ["health", "--config", "elsewhere/resonanz.toml"],
    "classify missing input": ["classify", "--task", "sentiment", "--input", "nope.txt"],
    "classify empty input": ["classify", "--task", "sentiment", "--input", "empty.txt"],
    "classify binary input": ["classify", "--task", "sentiment", "--input", "binary.txt"],
    "classify folder input": ["classify", "--task", "sentiment", "--input", "folder"],
    "classify unknown task": ["classify", "--task", "bogus", "--input", "texts.txt"],
    "import-opml missing": ["import-opml", "nope.opml"],
    "import-opml empty": ["import-opml", "empty.opml"],
    "import-opml binary": ["import-opml", "binary.opml"],
    "check-feed missing": ["check-feed", "nope.xml"],
    "check-feed empty": ["check-feed", "empty.xml"],
    "check-feed binary": ["check-feed", "binary.xml"],
    "extract missing": ["extract", "nope.html"],
    "extract empty": ["extract", "empty.html"],
    "extract binary": ["extract", "binary.bin"],
    "export into a missing folder": ["export", "-f", "csv", "--output", "nodir/plan.csv"],
    "export onto a folder": ["export", "-f", "csv", "--output", "folder"],
    "export unknown format": ["export", "-f", "pdf"],
    "digest unknown stakeholder": ["digest", "--stakeholder", "Nobody"],
    "digest output is a file": ["digest", "--output", "report.md"],
    "digest without stakeholders": ["digest", "--config", "empty.toml", "--db", "resonanz.duckdb"],
    "init into a file's folder": ["init", "notduck.db/resonanz.toml"],
    "init over an existing config": ["init", "resonanz.toml"],
    "add-feed not a URL": ["add-feed", "blog.example.com/feed"],
    "add-feed unreachable": ["add-feed", "http://127.0.0.1:9/feed.xml", "--timeout", "2"],
    "add-feed taken id": ["add-feed", "http://127.0.0.1:9/other/", "--no-check", "--id", "blog"],
    "add-site not a URL": ["add-site", "ftp://example.com/"],
    "add-site unreachable": ["add-site", "http://127.0.0.1:9/", "--timeout", "2"],
    "run without sources": ["run", "--config", "empty.toml"],
    "run --no-enrich --force-enrich": ["run", "--no-enrich", "--force-enrich"],
    "run --yes without --force-enrich": ["run", "--yes"],
    "enrich --yes without --force": ["enrich", "--yes"],
    "purge --retention --keep-collecting": ["purge", "--retention", "--days", "3", "--keep-collecting"],
    "purge --author --days": ["purge", "--author", "Anna", "--days", "3"],
    "purge without a retention period": ["purge", "--retention"],
    "health negative limit": ["health", "--limit", "x"],
}


SPECIFIC.update(
    {
        f"classify {what} taxonomy": [
            "classify",
            "--task",
            "topics",
            "--input",
            "texts.txt",
            "--taxonomy",
            file,
        ]
        for what, file in (("missing", "nope.toml"), ("binary", "binary.toml"), ("empty", "empty.toml"))
    }
)


@pytest.mark.parametrize("case", list(SPECIFIC))
def test_bad_input_is_one_line_and_changes_nothing(project, capsys, case: str) -> None:
    before = {p.name: p.read_bytes() for p in project.iterdir() if p.is_file()}
    assert_refused(project, capsys, SPECIFIC[case])
    after = {p.name: p.read_bytes() for p in project.iterdir() if p.is_file()}
    assert after == before  # no file written, created or changed (config, outputs, databases)
    assert not (project / "nodir").exists()


def test_missing_pseudonym_key_stops_run_before_it_starts(project, capsys, monkeypatch) -> None:
    monkeypatch.delenv("RESONANZ_PSEUDONYM_KEY", raising=False)
    config = project / "resonanz.toml"
    config.write_text(
        config.read_text(encoding="utf-8") + "\n[privacy]\npseudonymize_authors = true\n", encoding="utf-8"
    )
    err = assert_refused(project, capsys, ["run"], code=2)
    assert "RESONANZ_PSEUDONYM_KEY is not set" in err


# --- the real entry points, in subprocesses ---------------------------------------------------------
@pytest.mark.parametrize(
    "argv",
    [
        ["-m", "resonanz.cli", "export", "-f", "csv", "--db", "missing.duckdb"],
        ["-m", "resonanz", "stats", "--db", "folder"],
        ["-m", "resonanz.cli", "classify", "--task", "sentiment", "--input", "nope.txt"],
    ],
)
def test_entry_points_print_one_line(project, argv) -> None:
    result = subprocess.run([sys.executable, *argv], capture_output=True, text=True, timeout=90, cwd=project)
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("resonanz:") == 1 and "Traceback" not in result.stderr, result.stderr


def test_debug_shows_the_traceback(project) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "resonanz", "stats", "--db", "missing.duckdb", "--debug"],
        capture_output=True,
        text=True,
        timeout=90,
        cwd=project,
    )
    assert (
        result.returncode == 1
        and "Traceback" in result.stderr
        and "resonanz: no Resonanz database" in result.stderr
    )


@pytest.mark.slow
def test_a_run_where_every_source_fails_is_one_error_line(project, prefect_harness, make_server) -> None:  # noqa: F811
    """Both feeds fail after one retry: one line per retry, the summary lists them, one `resonanz:` line, exit 1."""
    server = make_server()
    busy = server.status("/feed.xml", 503)
    config = project / "resonanz.toml"
    data = tomllib.loads(config.read_text(encoding="utf-8"))
    data["feeds"].append({"id": "busy", "url": busy})
    data["crawl"]["retries"] = 1
    config.write_text(tomli_w.dumps(data), encoding="utf-8")
    error_line = (
        "resonanz: every source failed (2): nothing collected; check the errors above and `resonanz health`"
    )

    def run(*flags: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "resonanz", "run", "--no-enrich", *flags],
            capture_output=True,
            text=True,
            timeout=240,
            cwd=project,
            env=prefect_env(project),
        )

    result = run()
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert [line for line in result.stderr.splitlines() if line.startswith("resonanz:")] == [error_line], (
        output
    )
    assert "Traceback" not in output and "✗ blog" in result.stdout and "✗ busy" in result.stdout, output
    for source in ("blog", "busy"):  # one line per retry, not Prefect's report of the failed attempt
        assert (
            len(
                [
                    line
                    for line in result.stderr.splitlines()
                    if f"{source}: " in line and "retry 1 of 1" in line
                ]
            )
            == 1
        ), output
    assert "prefect" not in result.stderr.lower(), output
    quiet = run("-q")
    assert quiet.returncode == 1 and quiet.stderr.splitlines() == [error_line], quiet.stderr
    assert quiet.stdout.splitlines()[0].startswith("run ") and len(quiet.stdout.splitlines()) == 4, (
        quiet.stdout
    )
