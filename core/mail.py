"""Outgoing mail over SMTP, off the event loop.

The server is configured with ``LEARNGRAPH_SMTP_*`` (host, port, credentials,
``starttls``/``ssl``/``none``) and the sender with ``LEARNGRAPH_MAIL_FROM``. The
standard library's ``smtplib`` runs in a thread, bounded by
``smtp_timeout_seconds``. A failure is raised as ``MailUnavailable`` for the caller
(usually a durable job, which tries again later) to decide on; nothing here retries.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

from core.config import Settings
from core.errors import DomainError


class MailUnavailable(DomainError):
    """No mail server is configured, or it refused or did not answer."""

    code = "email_unavailable"
    status = 503


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str


def configured(settings: Settings) -> bool:
    return bool(settings.smtp_host)


def _message(settings: Settings, mail: Mail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Message-ID"] = make_msgid(domain="learngraph.local")
    message.set_content(mail.text)
    return message


def _send(settings: Settings, message: EmailMessage) -> None:
    timeout = settings.smtp_timeout_seconds
    if settings.smtp_security == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port,
                                                timeout=timeout,
                                                context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
    with client:
        if settings.smtp_security == "starttls":
            client.starttls(context=ssl.create_default_context())
        if settings.smtp_username:
            client.login(settings.smtp_username, settings.smtp_password or "")
        client.send_message(message)


async def send(settings: Settings, mail: Mail) -> None:
    """Hand ``mail`` to the configured SMTP server; MailUnavailable when it cannot."""
    if not configured(settings):
        raise MailUnavailable("Email delivery is not configured")
    try:
        await asyncio.to_thread(_send, settings, _message(settings, mail))
    except (OSError, smtplib.SMTPException) as exc:
        # The reason for the log, never the server's own words for a client.
        raise MailUnavailable("The mail server did not accept the message",
                              details={"reason": type(exc).__name__}) from exc
