"""A real SMTP server for tests (aiosmtpd), collecting the messages it receives."""

from __future__ import annotations

import email
import email.policy
import threading

from aiosmtpd.controller import Controller

from tests.services import free_port


class _Collector:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list = []
        self.received = threading.Condition()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.received:
            self.messages.append(message)
            self.envelopes.append(envelope)
            self.received.notify_all()
        return "250 Message accepted for delivery"


class SmtpSink:
    def __init__(self):
        self.host = "127.0.0.1"
        self.port = free_port()
        self._collector = _Collector()
        self._controller = Controller(self._collector, hostname=self.host, port=self.port)

    @property
    def messages(self):
        return self._collector.messages

    def wait_for(self, count: int, timeout: float = 5.0) -> list:
        with self._collector.received:
            self._collector.received.wait_for(lambda: len(self.messages) >= count, timeout)
        return self.messages

    def start(self):
        self._controller.start()

    def stop(self):
        self._controller.stop()
