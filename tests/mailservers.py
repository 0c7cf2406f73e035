"""Loopback servers speaking the real protocols, for the mail and notification tests: SMTP
(aiosmtpd), IMAP (pymap's in-memory backend, run in this process) and a webhook receiver that
checks signatures with the ``standardwebhooks`` library."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler
from typing import Any

from aiosmtpd.controller import Controller

from dispatch.mail.loopback import IMAP_PASSWORD, IMAP_USER, free_port, imap_server
from tests.loopback import serve

__all__ = [
    "IMAP_PASSWORD",
    "IMAP_USER",
    "Calls",
    "Inbox",
    "free_port",
    "imap_server",
    "smtp_server",
    "webhook_receiver",
]


@dataclass
class Received:
    """A message an SMTP server accepted: the envelope and the parsed message."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        """The message parsed with the modern policy (headers decoded)."""
        parsed: EmailMessage = message_from_bytes(self.raw, policy=policy.default)  # type: ignore[assignment]
        return parsed


@dataclass
class Inbox:
    """What the SMTP server got, and the answer it gives (tests change it to make it refuse)."""

    received: list[Received] = field(default_factory=list)
    answer: str = "250 Message accepted for delivery"
    event: threading.Event = field(default_factory=threading.Event)

    def wait(self, count: int = 1, timeout_s: float = 15) -> list[Received]:
        """Block until ``count`` messages have arrived."""
        for _ in range(int(timeout_s * 20)):
            if len(self.received) >= count:
                break
            self.event.wait(0.05)
            self.event.clear()
        return self.received


class _Handler:
    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        if self.inbox.answer.startswith("250"):
            self.inbox.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
            )
            self.inbox.event.set()
        return self.inbox.answer


@contextmanager
def smtp_server() -> Iterator[tuple[int, Inbox]]:
    """An aiosmtpd server on 127.0.0.1 at a free port; yields the port and its inbox."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(_Handler(inbox), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


@dataclass
class Calls:
    """Webhook calls received: the headers, the body, and whether the signature held."""

    secret: str = ""
    status: int = 204
    location: str = ""  # sent as Location (with a 3xx status) when set
    items: list[dict[str, Any]] = field(default_factory=list)


@contextmanager
def webhook_receiver(calls: Calls) -> Iterator[str]:
    """A loopback HTTP server that verifies Standard Webhooks signatures; yields its URL."""
    from standardwebhooks.webhooks import Webhook, WebhookVerificationError

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                payload = Webhook(calls.secret).verify(body, headers)
                verified = True
            except WebhookVerificationError:
                payload, verified = json.loads(body), False
            calls.items.append({"headers": headers, "payload": payload, "verified": verified})
            self.send_response(calls.status)
            if calls.location:
                self.send_header("Location", calls.location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            """Keep the test output quiet."""

    with serve(Handler) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks"
