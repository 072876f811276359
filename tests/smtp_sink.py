"""A real SMTP server on 127.0.0.1 for tests, recording what it accepts.

It can be told to refuse some recipients, to answer DATA with a temporary
error (or drop the connection) after accepting N messages, and then be made
healthy again, so tests can model a failing run and its retry.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from aiosmtpd.controller import Controller

from pipeline_health.local.local_stack import free_port


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return BytesParser(policy=policy.default).parsebytes(self.raw)  # type: ignore[return-value]


@dataclass
class SinkHandler:
    received: list[Received] = field(default_factory=list)
    refuse_recipients: set[str] = field(default_factory=set)
    accept_limit: int | None = None  # after this many accepted, fail DATA
    fail_reply: str = "451 4.3.0 Temporary local problem, try again later"
    disconnect_on_fail: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse_recipients:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        with self.lock:
            if self.accept_limit is not None and len(self.received) >= self.accept_limit:
                if self.disconnect_on_fail:
                    server.transport.close()
                return self.fail_reply
            self.received.append(
                Received(envelope.mail_from, tuple(envelope.rcpt_tos), bytes(envelope.content))
            )
        return "250 2.0.0 Accepted"

    def heal(self) -> None:
        with self.lock:
            self.refuse_recipients.clear()
            self.accept_limit = None


class SmtpSink:
    def __init__(self) -> None:
        self.handler = SinkHandler()
        self.port = free_port()
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self._running = False

    def start(self) -> SmtpSink:
        self._controller.start()
        self._running = True
        return self

    def stop(self) -> None:
        if self._running:  # idempotent: a test may stop it early
            self._controller.stop()
            self._running = False

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    def connection_json(self, from_email: str = "pipeline-health@example.org") -> str:
        """An Airflow connection for AIRFLOW_CONN_<ID>: plain SMTP, no TLS, no login.

        JSON rather than a URI: a URI's `?disable_ssl=false` arrives as the string
        "false", which the hook's bool() reads as true.
        """
        return json.dumps(
            {
                "conn_type": "smtp",
                "host": "127.0.0.1",
                "port": self.port,
                "extra": {
                    "disable_ssl": True,
                    "disable_tls": True,
                    "from_email": from_email,
                    "timeout": 5,
                    "retry_limit": 0,
                },
            }
        )
