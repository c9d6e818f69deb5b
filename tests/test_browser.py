"""The running app in headless Chromium: a screenshot of every page, and scraped <script> stays text.

Skips when no Chromium is installed (Debian: `apt-get install chromium`); fails instead under CI=true.
"""

from __future__ import annotations

import http.client
import subprocess
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import unavailable
from fixtures.browser import Browser, find_chromium
from fixtures.insight_db import copy_db, shared_insight_db

from resonanz.commands.collect import example_config
from resonanz.commands.surface import app_env, streamlit_command
from warehouse import crowd, editorial, insights
from warehouse.editorial import Evidence, PlanEntry

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "docs" / "screenshots"
MIN_PNG_BYTES = 30_000  # a blank or skeleton-only page is about 16 kB at this size
PAGES = {  # file name: (path, text the finished page shows)
    "overview": ("", "Share of voice by topic"),
    "crowdsourced-topics": ("crowd", "Top 5 topics"),
    "own-blog-feedback": ("feedback", "Most reacted statements"),
    "reader-questions": ("questions", "question groups"),
    "bloggers-and-sources": ("sources", "Read a source"),
    "editorial-plan": ("plan", "Edit an entry"),
    "digest-preview": ("digest", "What was said about your topics"),
    "alerts": ("alerts", "Volume spikes"),
    "runs": ("runs", "Sources of one run"),
}
HOSTILE_SCRIPT = "<script>alert('xss')</script>"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(port: int, process: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/_stcore/health")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"the app did not answer /_stcore/health on port {port} within {timeout:.0f}s")


def plan_some_posts(db: Path) -> None:
    """Adopt the top crowdsourced topic and the most asked question, so the plan page has content."""
    top = crowd.crowd_topics(db).iloc[0]
    evidence = crowd.topic_evidence(db, top["topic_id"]).head(3)
    editorial.add_entry(
        db,
        PlanEntry(
            title="Data Act: what switching means for KontorOne customers",
            angle="Our exit plan, in plain words",
            owner="Dr. Felix Brandt",
            due_date=date(2026, 12, 4),
            status="writing",
            origin_kind="topic",
            origin_id=str(top["topic_id"]),
            evidence=tuple(Evidence(r.title, r.url) for r in evidence.itertuples()),
        ),
    )
    question = insights.question_groups(db, 1)[0]
    editorial.add_entry(
        db,
        PlanEntry(
            title=f"Answered: {question['label']}"[:120],
            owner="Aylin Demir",
            channel="Newsletter",
            due_date=date(2026, 12, 11) + timedelta(days=7),
            status="planned",
            origin_kind="question",
            origin_id=question["group_id"],
        ),
    )


@pytest.fixture(scope="module")
def chromium() -> str:
    binary = find_chromium()
    if binary is None:
        unavailable("no Chromium found (install the Debian package `chromium`, or set $CHROMIUM)")
    return binary


@pytest.fixture(scope="module")
def app_url(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app (`streamlit run app.py`, headless, 127.0.0.1) on a copy of the fixture database."""
    folder = tmp_path_factory.mktemp("browser-app")
    db = copy_db(shared_insight_db()[0], folder / "app.duckdb")
    plan_some_posts(db)
    config = folder / "resonanz.toml"
    config.write_text(example_config(), encoding="utf-8")
    port = free_port()
    log = (folder / "streamlit.log").open("w")
    process = subprocess.Popen(
        streamlit_command(port), env=app_env(db, str(config)), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        wait_healthy(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Browser]:
    instance = Browser(chromium, width=1400, height=2000)
    try:
        yield instance
    finally:
        instance.close()


def test_screenshots_of_every_page(app_url: str, browser: Browser):
    browser.open(app_url + "/", PAGES["overview"][1], timeout=120)  # warm up: the first render is slower
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, (path, text) in PAGES.items():
        browser.open(f"{app_url}/{path}", text)
        failed = browser.evaluate(
            "Array.from(document.querySelectorAll('[data-testid=\"stException\"]'))"
            ".map(e => e.innerText).join('\\n')"
        )
        assert not failed, f"{name}: {failed[:500]}"
        size = browser.screenshot(SCREENSHOTS / f"{name}.png")
        assert size > MIN_PNG_BYTES, f"{name}.png is only {size} bytes: the page did not render"
    assert not browser.dialogs


def test_injected_script_comment_is_shown_as_text_and_never_runs(app_url: str, browser: Browser):
    _, corpus = shared_insight_db()
    hostile = next(d for d in corpus.documents if corpus.labels[d.doc_id].get("hostile"))
    assert HOSTILE_SCRIPT in hostile.text  # the demo's injection reached the warehouse unchanged
    post_id = hostile.parent_id
    browser.open(f"{app_url}/sources?source={hostile.source_id}&post={post_id}", "Super Beitrag!")
    text = browser.evaluate("document.querySelector('[data-testid=\"stMain\"]').innerText")
    assert HOSTILE_SCRIPT in text  # shown literally, as text
    assert 'onerror="alert(document.cookie)"' in text
    html = browser.evaluate("document.documentElement.outerHTML")
    assert "&lt;script&gt;alert('xss')&lt;/script&gt;" in html  # escaped in the DOM ...
    scripts = browser.evaluate("Array.from(document.scripts).map(s => s.text).join('\\n')")
    assert "alert('xss')" not in scripts  # ... and never a script element
    assert browser.evaluate("document.querySelectorAll('img[onerror], [onerror]').length") == 0
    time.sleep(2)  # give any injected handler time to fire
    browser.evaluate("1")  # pump DevTools events
    assert browser.dialogs == [], f"a JavaScript dialog opened: {browser.dialogs}"
    browser.evaluate("alert('probe')")  # the detector itself works: a real alert is caught
    assert [d["message"] for d in browser.dialogs] == ["probe"]
    browser.dialogs.clear()


def test_crowdsourced_list_shows_readable_labels(app_url: str, browser: Browser):
    """The ranked list a communications head sees: key-phrase labels (no stop, number or date words), the
    storyline's label names it, and each card carries its most central post's title."""
    from nlp.labels import clean_label

    db, _ = shared_insight_db()
    topics = crowd.crowd_topics(db)
    browser.open(f"{app_url}/crowd", PAGES["crowdsourced-topics"][1])
    text = browser.evaluate("document.querySelector('[data-testid=\"stMain\"]').innerText")
    for row in topics.head(5).itertuples():
        assert row.label in text, row.label
        assert not clean_label(row.label), row.label
        assert row.subtitle and row.subtitle in text
    assert any("Data Act" in label for label in topics.head(2)["label"]), list(topics["label"])
    assert "Outlier bucket:" in text
