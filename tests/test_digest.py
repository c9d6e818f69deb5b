"""Stakeholder digests: routing by topic, escaped Markdown and HTML, delivery to a local SMTP server."""

from __future__ import annotations

import email
import email.policy
import json
import re
import socket
from datetime import date
from email.message import EmailMessage
from pathlib import Path

import pytest
from fixtures.insight_db import ANCHOR, copy_db, shared_insight_db

from flows.digest import run_digest
from resonanz.cli import main
from resonanz.commands.collect import example_config
from resonanz.config import load_config, parse_config
from ui.digest import Digest, render_html, render_markdown
from warehouse.alerts import Alert

FELIX = ("E-Rechnung", "Integration & Schnittstellen", "Cloud-ERP")
MIRIAM = ("Preise & Lizenzen", "Teams & Arbeit")
ALL_TOPICS = {t.name for t in parse_config(example_config()).topics}
HOSTILE = "<script>alert('xss')</script><img src=x onerror=alert(1)> [click](javascript:alert(1)) | *bold*"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_config(folder: Path, **digest: object) -> Path:
    """The example config with some `[digest]` keys changed (their lines are unique in the file)."""
    text = example_config()
    for key, value in {"days": 14, **digest}.items():
        text, found = re.subn(rf"(?m)^{key} = .*$", f"{key} = {json.dumps(value)}", text)
        assert found == 1, key
    path = folder / "resonanz.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def digest_db(tmp_path: Path) -> Path:
    source, _ = shared_insight_db()
    return copy_db(source, tmp_path / "digest.duckdb")


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.hostname, controller.port, inbox
    finally:
        controller.stop()


def text_part(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_part(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def test_digests_are_delivered_by_smtp_with_each_stakeholders_topics_only(
    digest_db: Path, tmp_path: Path, smtp_server: tuple[str, int, Inbox]
):
    host, port, inbox = smtp_server
    config = write_config(tmp_path, smtp_host=host, smtp_port=port, starttls=False)
    summary = run_digest(str(config), str(digest_db), send=True, today=ANCHOR)
    people = load_config(config).stakeholders
    assert summary.sent == len(people) == len(inbox.messages)
    by_recipient = {rcpt[0]: message for rcpt, message in inbox.messages}
    assert set(by_recipient) == {p.email for p in people}
    for person in people:
        message = by_recipient[person.email]
        assert message["From"] == load_config(config).digest.from_address == "resonanz@kontor.example"
        assert person.name in message["To"] and person.email in message["To"]
        body = text_part(message)
        mine, others = set(person.topics), ALL_TOPICS - set(person.topics)
        summary_rows = [line for line in body.splitlines() if line.startswith("| ") and "Topic" not in line]
        assert {row.split(" | ")[0].removeprefix("| ") for row in summary_rows} == mine
        listed = [line for line in body.splitlines() if "(" in line and line.startswith("- ")]
        for name in others:  # no evidence, question or crowd item is labelled with somebody else's topic
            assert not any(f"({name}" in line or f", {name})" in line for line in listed), (person.name, name)
        assert f"your topics: {', '.join(person.topics)}" in body
        assert "<h1>Resonanz digest for" in html_part(message)
    felix = text_part(by_recipient["felix.brandt@kontor.example"])
    assert "Cloud-ERP" in felix and "Preise & Lizenzen" not in felix.split("## Top evidence")[0]


def test_digest_includes_alerts_on_the_stakeholders_topics(digest_db: Path, tmp_path: Path):
    summary = run_digest(str(write_config(tmp_path)), str(digest_db), send=False, today=ANCHOR)
    felix = next(d for d in summary.digests if d.email == "felix.brandt@kontor.example")
    assert any(a.topic == "Cloud-ERP" for a in felix.alerts)
    assert "Cloud-ERP:" in render_markdown(felix).split("## What was said")[0]
    miriam = next(d for d in summary.digests if d.email == "miriam.albers@kontor.example")
    assert all(a.topic in MIRIAM or a.scope == "emerging" for a in miriam.alerts)


def test_cli_digest_writes_markdown_and_html_per_stakeholder(
    digest_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    config = write_config(tmp_path)
    out = tmp_path / "digests"
    assert main(["digest", "--config", str(config), "--db", str(digest_db), "--output", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert "miriam-albers.md" in names and "miriam-albers.html" in names
    assert len(names) == 2 * len(load_config(config).stakeholders)
    assert (out / "miriam-albers.html").read_text(encoding="utf-8").startswith("<!doctype html>")
    assert (
        main(["digest", "--config", str(config), "--db", str(digest_db), "--stakeholder", "Aylin Demir"]) == 0
    )
    assert "# Resonanz digest for Aylin Demir" in capsys.readouterr().out


def test_cli_digest_send_without_smtp_says_which_key(
    digest_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    config = write_config(tmp_path)
    assert main(["digest", "--send", "--config", str(config), "--db", str(digest_db)]) == 1
    assert "digest.smtp_host" in capsys.readouterr().err


def hostile_digest() -> Digest:
    return Digest(
        name="Eve <b>",
        email="eve@example.com",
        topics=["E-Rechnung"],
        start=date(2026, 11, 1),
        end=date(2026, 11, 7),
        summaries=[
            {
                "topic": "E-Rechnung",
                "documents": 3,
                "previous": 1,
                "negative_share": 0.5,
                "previous_negative_share": None,
            }
        ],
        evidence=[
            {
                "title": HOSTILE,
                "url": "javascript:alert(1)",
                "safe_url": None,
                "source": HOSTILE,
                "author": HOSTILE,
                "day": "2026-11-02",
                "comments": 2,
                "sentiment": "negative",
                "topics": ["E-Rechnung"],
                "excerpt": HOSTILE,
            }
        ],
        questions=[{"label": HOSTILE, "questions": 3, "topics": ["E-Rechnung"], "example": HOSTILE}],
        alerts=[Alert("volume", "taxonomy", HOSTILE, "x", 9, 2.0, 3.5, 9, "high")],
        crowd=[
            {
                "topic_id": "et-1",
                "label": HOSTILE,
                "score": 2.5,
                "blogs": 3,
                "recent": 9,
                "taxonomy": ["E-Rechnung"],
            }
        ],
    )


def test_html_digest_escapes_every_scraped_value():
    html = render_html(hostile_digest())
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in html
    assert 'href="javascript' not in html
    assert "Eve &lt;b&gt;" in html


def test_markdown_digest_escapes_markup():
    text = render_markdown(hostile_digest())
    assert "<script>" not in text
    assert not re.search(r"(?<!\\)\]\(javascript", text)  # no live link, only escaped brackets
    assert "\\<script\\>" in text and "\\[click\\]" in text and "\\| \\*bold\\*" in text
