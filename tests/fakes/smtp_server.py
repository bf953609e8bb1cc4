"""A real SMTP server on a loopback port (aiosmtpd) that keeps every mail it accepts."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import socket
import threading
import time
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


class _Keep:
    def __init__(self, box: FakeSmtp) -> None:
        self.box = box

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.box.refuse:
            return "451 4.3.0 try again later"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.box.lock:
            self.box.messages.append(message)
        return "250 OK"


class FakeSmtp:
    """``overrides()`` points an instance at it; ``wait_for(to)`` returns the mails."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()
        self.refuse = False
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(_Keep(self), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> FakeSmtp:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    def overrides(self) -> dict[str, Any]:
        return {"smtp_host": "127.0.0.1", "smtp_port": self.port, "smtp_security": "none",
                "mail_from": "Pickatale <no-reply@example.com>",
                "account_center_url": "https://accounts.example.com"}

    def reset(self) -> None:
        with self.lock:
            self.messages.clear()
        self.refuse = False

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if m["To"].lower() == address.lower()]

    async def wait_for(self, address: str, count: int = 1,
                       seconds: float = 20.0) -> list[EmailMessage]:
        """The mails to ``address`` once there are ``count`` of them (the app and its
        job worker run in the test's event loop: this waits without blocking it)."""
        deadline = time.monotonic() + seconds
        while len(found := self.to(address)) < count:
            assert time.monotonic() < deadline, f"no mail to {address}"
            await asyncio.sleep(0.05)
        return found

    @staticmethod
    def token(message: EmailMessage) -> str:
        """The token in the link of a mail (``…?token=…``)."""
        match = re.search(r"token=([A-Za-z0-9_\-]+)", message.get_content())
        assert match, message.get_content()
        return match.group(1)
