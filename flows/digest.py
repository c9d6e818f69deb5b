"""The `digest` flow: per-stakeholder digests written as Markdown + HTML and sent by SMTP when configured."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
from prefect import flow

from resonanz.config import Config, load_config, slugify
from ui.digest import Digest, DigestSettings, Recipient, build_digest, render_html, render_markdown
from ui.mailer import SmtpSettings, digest_message, send_messages
from warehouse.aggregates import refresh_aggregates
from warehouse.alerts import AlertSettings
from warehouse.insights import aggregate_info
from warehouse.target import as_warehouse

log = logging.getLogger(__name__)


@dataclass(slots=True)
class DigestSummary:
    """What one digest run did."""

    recipients: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    sent: int = 0
    refreshed: bool = False
    digests: list[Digest] = field(default_factory=list, repr=False)


def recipients(cfg: Config, only: str | None = None) -> list[Recipient]:
    """The configured stakeholders with topics (optionally one, by name or e-mail)."""
    people = [Recipient(s.name, s.email, tuple(s.topics)) for s in cfg.stakeholders if s.topics]
    if only:
        people = [p for p in people if only in (p.name, p.email)]
    return people


def smtp_settings(cfg: Config) -> SmtpSettings:
    d = cfg.digest
    return SmtpSettings(
        d.smtp_host, d.smtp_port, d.smtp_user, d.smtp_password(), d.from_address, d.starttls, d.timeout_s
    )


def build_digests(
    cfg: Config, db: str | Path, today: date | None = None, only: str | None = None
) -> list[Digest]:
    """One digest per stakeholder, for the days up to `today` (default: the aggregates' day)."""
    info = aggregate_info(db)
    day = today or date.fromisoformat(info["as_of"])
    settings = DigestSettings(cfg.digest.days, cfg.digest.max_evidence, cfg.digest.max_questions)
    alerts = AlertSettings(**cfg.alerts.model_dump())
    return [build_digest(db, person, settings, alerts, day) for person in recipients(cfg, only)]


def write_digests(digests: list[Digest], folder: Path) -> list[str]:
    """`<stakeholder>.md` and `<stakeholder>.html` per digest; returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for digest in digests:
        stem = folder / slugify(digest.name)
        for suffix, text in ((".md", render_markdown(digest)), (".html", render_html(digest))):
            path = stem.with_suffix(suffix)
            path.write_text(text, encoding="utf-8")
            paths.append(str(path))
    return paths


def run_digest(
    config_path: str | None = None,
    db: str | None = None,
    send: bool | None = None,
    output: str | None = None,
    today: date | None = None,
    only: str | None = None,
) -> DigestSummary:
    """Render every stakeholder's digest, write them to `output`, send them (send=None: when SMTP is configured)."""
    cfg = load_config(config_path)
    db_path = as_warehouse(db) if db else cfg.db
    summary = DigestSummary()
    if not _has_aggregates(db_path):
        refresh_aggregates(db_path, cfg.company.brand_keywords)
        summary.refreshed = True
    digests = summary.digests = build_digests(cfg, db_path, today, only)
    summary.recipients = [d.email for d in digests]
    if output:
        summary.files = write_digests(digests, Path(output))
    if send is None:
        send = bool(cfg.digest.smtp_host)
    if send:
        if not cfg.digest.smtp_host:
            raise ValueError(
                f"digest.smtp_host is empty in {cfg.path}: set it (and smtp_port, from) to send digests"
            )
        sender = cfg.digest.from_address
        summary.sent = send_messages([digest_message(d, sender) for d in digests], smtp_settings(cfg))
    log.info("digests: %d recipients, %d files, %d sent", len(digests), len(summary.files), summary.sent)
    return summary


def _has_aggregates(db: Path) -> bool:
    try:
        return "refreshed_at" in aggregate_info(db)
    except duckdb.CatalogException:  # a database from before the aggregates existed
        return False


@flow(name="digest", validate_parameters=False)
def digest_flow(
    config_path: str | None = None, db: str | None = None, send: bool | None = None, output: str | None = None
) -> DigestSummary:
    """Stakeholder digests (scheduled weekly by `resonanz serve`); sends when SMTP is configured."""
    return run_digest(config_path, db, send, output)
