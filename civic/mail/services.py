"""Compose and deliver mail. `send_mail` records the message in the caller's unit of work; once that
commits, the message is delivered: over SMTP when MAIL_SERVER is configured, otherwise to the console (the
development outbox). A rolled-back request sends nothing."""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from flask import current_app, render_template

from civic.database import independent_transaction, on_commit, utcnow
from civic.extensions import db
from civic.mail.models import OutgoingMail

log = logging.getLogger(__name__)


def send_mail(to: str, subject: str, template: str, headers: dict | None = None, **context: Any) -> OutgoingMail:
    """Render `templates/mail/<template>.txt`, store it in the outbox and deliver it after commit.

    Delivery failures are recorded on the row (for a later retry) and never raised to the caller:
    a user who asked for a reset link sees the same page whether or not SMTP answered.
    """
    body = render_template(f"mail/{template}.txt", **context)
    # Subjects are often made from user text (an issue's title, a name): a line break there must neither
    # start a new header nor crash the send, so header values become one line.
    message = OutgoingMail(
        to_address=_one_line(to),
        subject=_one_line(subject)[:200],
        body_text=body,
        headers={name: _one_line(value) for name, value in (headers or {}).items()},
    )
    db.session.add(message)
    db.session.flush()
    message_id = message.id
    on_commit(lambda: deliver_by_id(message_id))
    return message


def deliver_by_id(message_id: int) -> bool:
    """Deliver a committed message and record the outcome in a transaction of its own (run after commit)."""
    with independent_transaction() as session:
        message = session.get(OutgoingMail, message_id)
        return deliver(message) if message is not None else False


def _one_line(value: str) -> str:
    return " ".join(str(value).split())


def deliver(message: OutgoingMail) -> bool:
    """One delivery attempt; the outcome is written on the row (its session commits it)."""
    cfg = current_app.config
    message.attempts += 1
    if not cfg.get("MAIL_SERVER"):
        _print_to_console(message)
        message.sent_at = utcnow()
        return True
    try:
        _send_smtp(message)
    except (OSError, smtplib.SMTPException, ValueError) as exc:  # ValueError: a header Python refuses
        log.warning("mail %s to %s not sent: %s", message.id, message.to_address, exc)
        message.last_error = str(exc)[:2000]
        return False
    message.sent_at = utcnow()
    message.last_error = None
    return True


def _build(message: OutgoingMail) -> EmailMessage:
    cfg = current_app.config
    email = EmailMessage()
    email["From"] = cfg["MAIL_DEFAULT_SENDER"]
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Message-ID"] = make_msgid(domain="civic.localhost")
    for name, value in (message.headers or {}).items():
        email[name] = value
    email.set_content(message.body_text)
    return email


def _send_smtp(message: OutgoingMail) -> None:
    cfg = current_app.config
    host, port, timeout = cfg["MAIL_SERVER"], int(cfg["MAIL_PORT"]), cfg["MAIL_TIMEOUT"]
    if cfg.get("MAIL_USE_SSL"):
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    with smtp:
        if cfg.get("MAIL_USE_TLS"):
            smtp.starttls(context=ssl.create_default_context())
        if cfg.get("MAIL_USERNAME"):
            smtp.login(cfg["MAIL_USERNAME"], cfg.get("MAIL_PASSWORD") or "")
        smtp.send_message(_build(message))


def _print_to_console(message: OutgoingMail) -> None:
    # The development outbox: what would have been sent, where a developer running `make run` sees it.
    print(
        f"\n----- mail #{message.id} (CIVIC_MAIL_SERVER unset: kept in the outbox) -----\n"
        f"To: {message.to_address}\nSubject: {message.subject}\n\n{message.body_text}\n"
        "-----------------------------------------------------------------------\n",
        flush=True,
    )
