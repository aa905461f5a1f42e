"""A real SMTP server on loopback for tests: aiosmtpd on 127.0.0.1 and a free port, keeping
every message it accepted. Variants fail from the Nth message on (451, as a server that
runs out of disk does), refuse some addresses (550), or demand STARTTLS and a sign-in."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

FAILURE = "451 4.3.0 Mail server temporarily unavailable"
REFUSAL = "550 5.1.1 Mailbox unavailable"


@dataclass
class Received:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes  # as it came over the wire
    message: EmailMessage
    signed_in_as: str | None

    @property
    def to(self) -> str:
        return str(self.message["To"])

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, subtype: str) -> str:
        """The decoded text of the text/<subtype> part, with the wire's CRLF as newlines."""
        found = self.message.get_body(preferencelist=(subtype,))
        assert found is not None and found.get_content_subtype() == subtype, subtype
        return found.get_content().replace("\r\n", "\n")


@dataclass
class Handler:
    """Keeps what the server accepted; from message number `fail_from` (1-based) on it
    answers every DATA with a temporary failure, and it refuses the `refuse` addresses."""

    fail_from: int | None = None
    refuse: set[str] = field(default_factory=set)
    messages: list[Received] = field(default_factory=list)
    attempts: int = 0

    # aiosmtpd calls its hooks handle_<SMTP verb>.
    async def handle_RCPT(self, server: Any, session: Any,  # noqa: N802
                          envelope: Any, address: str, rcpt_options: list[str]) -> str:
        if address in self.refuse:
            return REFUSAL
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.attempts += 1
        if self.fail_from is not None and self.attempts >= self.fail_from:
            return FAILURE
        login = session.authenticated and session.auth_data
        raw = envelope.original_content
        self.messages.append(Received(
            envelope.mail_from, list(envelope.rcpt_tos), raw,
            message_from_bytes(raw, policy=policy.default),  # type: ignore[arg-type]
            login.login.decode() if isinstance(login, LoginPassword) else None))
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: Handler

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    def config(self, **more: object) -> dict[str, object]:
        """The app settings that send through this server."""
        return {"SMTP_HOST": self.host, "SMTP_PORT": self.port, "SMTP_STARTTLS": False,
                "SMTP_USER": "", "SMTP_PASSWORD": "", "SMTP_TIMEOUT": 10.0,
                "SMTP_SENDER": "LIS-portalen <lis-portalen@exempelby.se>", **more}


def _free_port() -> int:
    # aiosmtpd's controller connects to its own port to see that it runs, so it needs the
    # number up front; the tiny race with another process taking it is accepted.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def smtp_server(handler: Handler | None = None, **smtp: Any) -> Iterator[SmtpServer]:
    """Run the server for the block; `smtp` goes to aiosmtpd's SMTP (tls_context, ...)."""
    handler = handler or Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port(),
                            server_hostname="localhost", **smtp)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", controller.port, handler)
    finally:
        controller.stop()


def tls_options(cert: str, key: str, user: str, password: str) -> dict[str, Any]:
    """aiosmtpd settings for a server that demands STARTTLS and then this sign-in."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str,
                      auth_data: Any) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login == user.encode()
              and auth_data.password == password.encode())
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    return {"tls_context": context, "require_starttls": True, "auth_required": True,
            "auth_require_tls": True, "authenticator": authenticator}
