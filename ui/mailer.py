"""Digest e-mails: one multipart message (Markdown text + HTML) per stakeholder, sent over SMTP."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from .digest import Digest, render_html, render_markdown

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Where and how to send (the `[digest]` config section, password taken from the environment)."""

    host: str
    port: int = 587
    user: str = ""
    password: str | None = None
    sender: str = "resonanz@localhost"
    starttls: bool = True
    timeout_s: float = 30.0


def digest_message(digest: Digest, sender: str) -> EmailMessage:
    """The digest as an e-mail: plain-text Markdown with an HTML alternative."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = formataddr((digest.name, digest.email))
    message["Subject"] = digest.subject
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "resonanz.local")
    message.set_content(render_markdown(digest))
    message.add_alternative(render_html(digest), subtype="html")
    return message


def send_messages(messages: Sequence[EmailMessage], smtp: SmtpSettings) -> int:
    """Send all messages over one SMTP connection; returns how many were accepted."""
    if not messages:
        return 0
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_s) as client:
            client.ehlo()
            if smtp.starttls:
                client.starttls()
                client.ehlo()
            if smtp.user:
                if smtp.password is None:
                    raise SmtpError(
                        f"digest.smtp_user is {smtp.user!r} but no password is set "
                        "(set the environment variable named by digest.password_env)"
                    )
                client.login(smtp.user, smtp.password)
            for message in messages:
                client.send_message(message)
                log.info("digest sent to %s", message["To"])
    except (OSError, smtplib.SMTPException) as exc:
        raise SmtpError(f"sending digests via {smtp.host}:{smtp.port} failed: {exc}") from exc
    return len(messages)


class SmtpError(RuntimeError):
    """Digests could not be sent; the message names the server and the cause."""
