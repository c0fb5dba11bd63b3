"""Outgoing mail: a file outbox (default) or SMTP, sent after the request has committed."""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from portico.config import Settings
from portico.db import after_commit

logger = logging.getLogger("portico.mail")


@dataclass(frozen=True, slots=True)
class Mail:
    to: str
    subject: str
    text: str


class MailBackend(Protocol):
    async def deliver(self, message: EmailMessage) -> None: ...


class FileOutbox:
    """Writes one `.eml` file per message into a directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _write(self, message: EmailMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        final = self.directory / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
        partial = final.with_suffix(".part")
        partial.write_bytes(message.as_bytes())
        partial.chmod(0o600)  # messages carry sign-in codes and reset links
        partial.rename(final)  # readers never see half a message

    async def deliver(self, message: EmailMessage) -> None:
        await asyncio.to_thread(self._write, message)


class SmtpRelay:
    """Sends through an SMTP server (plain, STARTTLS or implicit TLS, optional login)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def _send(self, message: EmailMessage) -> None:
        s = self.settings
        context = ssl.create_default_context(cafile=str(s.smtp_ca_file) if s.smtp_ca_file else None)
        client: smtplib.SMTP
        if s.smtp_tls == "tls":
            client = smtplib.SMTP_SSL(
                s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds, context=context
            )
        else:
            client = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds)
        with client:
            if s.smtp_tls == "starttls":
                client.starttls(context=context)
            if s.smtp_user:
                client.login(s.smtp_user, s.smtp_password)
            client.send_message(message)

    async def deliver(self, message: EmailMessage) -> None:
        await asyncio.to_thread(self._send, message)


class Mailer:
    """Builds messages and delivers them in the background: a slow relay never slows a request."""

    def __init__(self, settings: Settings, backend: MailBackend | None = None) -> None:
        self.sender = settings.mail_from
        self.backend: MailBackend = backend or (
            SmtpRelay(settings)
            if settings.mail_backend == "smtp"
            else FileOutbox(settings.resolved_mail_outbox_dir)
        )
        self._pending: set[asyncio.Task[None]] = set()

    def build(self, mail: Mail) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = make_msgid(domain="portico.local")
        message.set_content(mail.text)
        return message

    async def send(self, mail: Mail) -> None:
        """Deliver now and wait (the CLI, tests)."""
        await self.backend.deliver(self.build(mail))

    def send_later(self, mail: Mail) -> None:
        """Deliver in the background; failures are logged, never raised to the caller."""
        task = asyncio.get_running_loop().create_task(self._deliver_logged(mail))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _deliver_logged(self, mail: Mail) -> None:
        try:
            await self.backend.deliver(self.build(mail))
        except Exception as exc:
            # Neither the recipient (personal data) nor the content (codes, links) is logged,
            # nor the error's text (an SMTP refusal quotes the address): its kind and the
            # recipient's domain only.
            logger.error(
                "mail delivery to a recipient at %s failed: %s",
                mail.to.rpartition("@")[2].rstrip(">") or "-",
                type(exc).__name__,
            )

    async def drain(self) -> None:
        """Wait for background deliveries (shutdown, tests)."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)


def send_after_commit(session: AsyncSession, mailer: Mailer, mail: Mail) -> None:
    """Send `mail` in the background once the session's transaction has committed."""

    async def send() -> None:
        mailer.send_later(mail)

    after_commit(session, send)
