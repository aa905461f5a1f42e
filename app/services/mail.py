"""E-mail through the organization's SMTP server (PORTAL_SMTP_*): each message plain text
plus HTML in UTF-8, in Swedish, over one connection for a whole run, with STARTTLS and
sign-in when they are configured.

The server's CA is checked against the system's trust store; a private CA is added with
the standard SSL_CERT_FILE environment variable.
"""

from __future__ import annotations

import base64
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from types import TracebackType
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from app.clock import PORTAL_TIMEZONE

LOCALE = "sv"  # reminders are written in Swedish whatever language the sender reads


class MailError(Exception):
    """The SMTP server could not be reached or did not accept a message; `message` says
    which, in Swedish."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MailRefused(MailError):
    """The server permanently refused this one recipient; other messages may still go."""


@dataclass(frozen=True)
class Mail:
    """One message to one person."""

    to_name: str
    to_address: str
    subject: str
    text: str
    html: str


def enabled() -> bool:
    """Whether e-mail is configured at all (an empty PORTAL_SMTP_HOST turns it off)."""
    return bool(current_app.config["SMTP_HOST"])


def usable_address(address: str | None) -> bool:
    """Whether a directory's mail attribute can be put in a To header as it is."""
    if not address or not address.strip():
        return False
    try:
        parsed = Address(addr_spec=address.strip())
    except (ValueError, IndexError, HeaderParseError):
        return False
    return bool(parsed.username and parsed.domain)


def compose(to_name: str, to_address: str, subject: str, template: str,
            **context: Any) -> Mail:
    """Render mail/<template>.txt and .html in Swedish into a message."""
    with force_locale(LOCALE):
        text = render_template(f"mail/{template}.txt", subject=subject, **context)
        html = render_template(f"mail/{template}.html", subject=subject, **context)
    return Mail(to_name, to_address.strip(), subject, text, html)


def _domain_of(sender: str) -> str:
    return parseaddr(sender)[1].rpartition("@")[2] or "localhost"


def build(mail: Mail, sender: str) -> EmailMessage:
    """The MIME message: multipart/alternative, plain text first, the HTML as preferred."""
    message = EmailMessage()
    # A line break in a header value would be refused; one in a name must not stop a run.
    message["Subject"] = " ".join(mail.subject.split())
    message["From"] = sender
    message["To"] = Address(display_name=" ".join(mail.to_name.split()),
                            addr_spec=mail.to_address)
    message["Date"] = format_datetime(datetime.now(PORTAL_TIMEZONE))
    # make_msgid's default looks the host name up in DNS, which can hang a whole run.
    message["Message-ID"] = make_msgid(domain=_domain_of(sender))
    # No out-of-office replies to a robot: RFC 3834, and the header Exchange honours.
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    # Quoted-printable keeps å, ä and ö intact through servers without 8BITMIME.
    message.set_content(mail.text, cte="quoted-printable")
    message.add_alternative(mail.html, subtype="html", cte="quoted-printable")
    message["Content-Language"] = LOCALE  # after the parts: set_content drops Content-*
    return message


def _reply(error: Exception) -> str:
    """The server's reply ("451 4.3.0 Try later") or the error, for a message."""
    code, text = getattr(error, "smtp_code", None), getattr(error, "smtp_error", None)
    if code is None:
        return str(error) or type(error).__name__
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}"


def _sign_in(smtp: smtplib.SMTP, user: str, password: str) -> None:
    try:
        (user + password).encode("ascii")
    except UnicodeEncodeError:
        # smtplib sends credentials as ASCII only; AUTH PLAIN (RFC 4616) carries UTF-8,
        # so a password with å, ä or ö still signs in.
        smtp.ehlo_or_helo_if_needed()
        token = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode())
        code, reply = smtp.docmd("AUTH", "PLAIN " + token.decode("ascii"))
        if code != 235:
            raise smtplib.SMTPAuthenticationError(code, reply)
        return
    smtp.login(user, password)


class Mailer:
    """One SMTP connection for a run: `with Mailer() as mailer: mailer.send(mail)`.

    It connects at the first message, so a run with nothing to send never calls the server.
    After a failure the connection is closed; the next send opens a new one.
    """

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        self.config = config if config is not None else current_app.config
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def _connect(self) -> smtplib.SMTP:
        host, port = self.config["SMTP_HOST"], self.config["SMTP_PORT"]
        try:
            smtp = smtplib.SMTP(host, port, timeout=self.config["SMTP_TIMEOUT"])
        except (OSError, smtplib.SMTPException) as error:
            raise MailError(_("Kunde inte ansluta till e-postservern %(server)s: %(error)s",
                              server=f"{host}:{port}", error=_reply(error)))
        try:
            if self.config["SMTP_STARTTLS"]:
                smtp.starttls(context=ssl.create_default_context())
            if self.config["SMTP_USER"]:
                _sign_in(smtp, self.config["SMTP_USER"], self.config["SMTP_PASSWORD"])
        except smtplib.SMTPAuthenticationError as error:
            smtp.close()
            raise MailError(_("E-postservern godtog inte inloggningen som %(user)s: %(error)s",
                              user=self.config["SMTP_USER"], error=_reply(error)))
        except (OSError, smtplib.SMTPException) as error:
            smtp.close()
            raise MailError(_("Kunde inte upprätta en krypterad förbindelse med "
                              "e-postservern %(server)s: %(error)s",
                              server=f"{host}:{port}", error=_reply(error)))
        return smtp

    def send(self, mail: Mail) -> None:
        """Hand the message to the server; returns only when the server accepted it."""
        if self._smtp is None:
            self._smtp = self._connect()
        message = build(mail, self.config["SMTP_SENDER"])
        try:
            self._smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            replies = list(error.recipients.values())
            reply = " ".join(f"{code} {text.decode('utf-8', 'replace')}"
                             for code, text in replies)
            # smtplib has reset the transaction; a 5xx is about this address only.
            if replies and all(500 <= code < 600 for code, _text in replies):
                raise MailRefused(_("E-postservern tog inte emot adressen %(address)s: "
                                    "%(error)s", address=mail.to_address, error=reply))
            self.close()
            raise MailError(_("E-postservern tog inte emot meddelandet till %(address)s: "
                              "%(error)s", address=mail.to_address, error=reply))
        except (OSError, smtplib.SMTPException) as error:
            self.close()
            raise MailError(_("E-postservern tog inte emot meddelandet till %(address)s: "
                              "%(error)s", address=mail.to_address, error=_reply(error)))

    def close(self) -> None:
        if self._smtp is None:
            return
        try:
            self._smtp.quit()
        except (OSError, smtplib.SMTPException):
            self._smtp.close()
        self._smtp = None
