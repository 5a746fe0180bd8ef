"""Mail over a real SMTP server (aiosmtpd), and a dead server that loses nothing."""

from __future__ import annotations

import sqlalchemy as sa

from civic.database import unit_of_work
from civic.extensions import db
from civic.mail.models import OutgoingMail
from tests.services import free_port


def test_reset_mail_goes_through_smtp(make_app, make_user, smtp_server):
    app = make_app(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port)
    user = make_user()
    response = app.test_client().post("/forgot-password", data={"email": user.email})
    assert response.status_code == 302
    [message] = smtp_server.wait_for(1)
    assert message["To"] == user.email
    assert message["Subject"] == "Reset your civic password"
    assert "/reset-password/" in message.get_content()
    with app.app_context(), unit_of_work():
        row = db.session.scalar(sa.select(OutgoingMail))
        assert row.sent_at is not None and row.last_error is None


def test_smtp_down_keeps_the_mail_in_the_outbox(make_app, make_user):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_TIMEOUT=2)
    user = make_user()
    response = app.test_client().post("/forgot-password", data={"email": user.email})
    assert response.status_code == 302  # the visitor sees the same answer
    with app.app_context(), unit_of_work():
        row = db.session.scalar(sa.select(OutgoingMail))
        assert row.sent_at is None
        assert row.attempts == 1 and row.last_error
