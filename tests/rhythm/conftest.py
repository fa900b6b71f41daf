"""Fixtures for the rhythm's tests: the register's (team, rival, item, evidence_root, live_db, ...) and a real
SMTP server, started here, that keeps what it receives so tests can read the mail back."""

from __future__ import annotations

import email
import email.policy
import socket
import threading

import pytest

from punchlist.testing.fixtures import *  # noqa: F401,F403


class Inbox:
    """aiosmtpd's handler: every message delivered, parsed, with its envelope recipients. Addresses listed
    in ``refuse`` are turned away at RCPT, as a real server refuses an unknown mailbox."""

    def __init__(self):
        self.messages: list = []
        self.refuse: set[str] = set()
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=email.policy.default)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list:
        with self.lock:
            return [message for recipients, message in self.messages if address in recipients]

    def clear(self):
        with self.lock:
            self.messages.clear()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(settings):
    """A local SMTP server for this test, with Django's SMTP backend pointed at it."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.DEFAULT_FROM_EMAIL = "punchlist@acme.test"
    try:
        yield inbox
    finally:
        controller.stop()
