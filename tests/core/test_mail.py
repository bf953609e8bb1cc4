"""Outgoing mail reaches a real SMTP server; an unconfigured or refusing server is a
MailUnavailable, never a crash."""

from __future__ import annotations

import pytest

from core import mail
from tests.fakes.smtp_server import FakeSmtp
from tests.fixtures import make_settings


async def test_a_mail_is_delivered_with_its_sender_and_subject(smtp):
    settings = make_settings(**smtp.overrides())
    await mail.send(settings, mail.Mail(to="ada@example.com", subject="Hello",
                                        text="Follow https://x.example/v?token=abc_123"))
    [message] = await smtp.wait_for("ada@example.com")
    assert message["From"] == "Pickatale <no-reply@example.com>"
    assert message["Subject"] == "Hello"
    assert FakeSmtp.token(message) == "abc_123"


async def test_without_a_server_or_when_it_refuses_the_mail_is_unavailable(smtp):
    with pytest.raises(mail.MailUnavailable, match="not configured"):
        await mail.send(make_settings(smtp_host=None),
                        mail.Mail(to="a@example.com", subject="s", text="t"))
    smtp.refuse = True
    with pytest.raises(mail.MailUnavailable) as refused:
        await mail.send(make_settings(**smtp.overrides()),
                        mail.Mail(to="a@example.com", subject="s", text="t"))
    assert refused.value.status == 503
    closed = make_settings(**{**smtp.overrides(), "smtp_port": 1, "smtp_timeout_seconds": 2})
    with pytest.raises(mail.MailUnavailable):
        await mail.send(closed, mail.Mail(to="a@example.com", subject="s", text="t"))
