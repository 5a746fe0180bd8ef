"""Forgotten password: a signed, expiring, single-use link by mail; clear pages for bad links."""

from __future__ import annotations

import re

import sqlalchemy as sa

from civic.database import unit_of_work
from civic.extensions import db
from civic.mail.models import OutgoingMail


def outbox(app) -> list[OutgoingMail]:
    with app.app_context(), unit_of_work():
        return list(db.session.scalars(sa.select(OutgoingMail).order_by(OutgoingMail.id)))


def reset_link(app) -> str:
    mails = outbox(app)
    assert mails, "no mail in the outbox"
    return re.search(r"http://localhost(/reset-password/\S+)", mails[-1].body_text).group(1)


def test_reset_by_email_link(app, client, make_user):
    user = make_user()
    response = client.post("/forgot-password", data={"email": user.email.upper()})
    assert response.status_code == 302
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "we have sent it a link" in follow
    [mail] = outbox(app)
    assert mail.to_address == user.email
    assert mail.subject == "Reset your civic password"
    assert mail.sent_at is not None  # development delivery: kept and printed

    link = reset_link(app)
    assert client.get(link).status_code == 200
    response = client.post(link, data={"password": "a fresh new passphrase"})
    assert response.status_code == 302
    client.post("/logout")
    assert client.post("/login", data={"email": user.email, "password": user.password}).status_code == 400
    assert client.post("/login", data={"email": user.email, "password": "a fresh new passphrase"}).status_code == 302


def test_unknown_email_gets_the_same_answer_and_a_mail_without_a_link(app, client):
    """The same page, and the same work (one mail), as for a known address: the mail says no account uses it."""
    response = client.post("/forgot-password", data={"email": "nobody@example.org"}, follow_redirects=True)
    assert "we have sent it a link" in response.get_data(as_text=True)
    [mail] = outbox(app)
    assert mail.to_address == "nobody@example.org"
    assert "no civic account uses this address" in mail.body_text
    assert "/reset-password/" not in mail.body_text


def test_a_used_link_no_longer_works(app, client, make_user):
    user = make_user()
    client.post("/forgot-password", data={"email": user.email})
    link = reset_link(app)
    client.post(link, data={"password": "a fresh new passphrase"})
    client.post("/logout")
    again = client.post(link, data={"password": "another new passphrase"})
    assert again.status_code == 400
    assert "already been used" in again.get_data(as_text=True)
    assert client.post("/login", data={"email": user.email, "password": "a fresh new passphrase"}).status_code == 302


def test_tampered_link_is_refused(app, client, make_user):
    user = make_user()
    client.post("/forgot-password", data={"email": user.email})
    link = reset_link(app)
    tampered = link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb")
    for bad in (tampered, "/reset-password/not-a-token"):
        response = client.get(bad)
        assert response.status_code == 400
        assert "This reset link is not valid" in response.get_data(as_text=True)
        assert client.post(bad, data={"password": "a fresh new passphrase"}).status_code == 400
    assert client.post("/login", data={"email": user.email, "password": user.password}).status_code == 302


def test_expired_link_is_refused(app, client, make_user):
    user = make_user()
    client.post("/forgot-password", data={"email": user.email})
    link = reset_link(app)
    app.config["PASSWORD_RESET_MAX_AGE"] = -1  # any age is now too old
    response = client.post(link, data={"password": "a fresh new passphrase"})
    assert response.status_code == 400
    assert "This reset link has expired" in response.get_data(as_text=True)
    assert client.post("/login", data={"email": user.email, "password": user.password}).status_code == 302


def test_weak_new_password_keeps_the_link_usable(app, client, make_user):
    user = make_user()
    client.post("/forgot-password", data={"email": user.email})
    link = reset_link(app)
    weak = client.post(link, data={"password": "short"})
    assert weak.status_code == 400
    assert "Use at least 10 characters" in weak.get_data(as_text=True)
    assert client.post(link, data={"password": "a fresh new passphrase"}).status_code == 302


def test_reset_signs_out_other_sessions(app, make_user):
    user = make_user()
    stolen = app.test_client()
    stolen.post("/login", data={"email": user.email, "password": user.password})
    assert stolen.get("/account").status_code == 200
    owner = app.test_client()
    owner.post("/forgot-password", data={"email": user.email})
    owner.post(reset_link(app), data={"password": "a fresh new passphrase"})
    assert stolen.get("/account").status_code == 302


def test_reset_mail_is_in_the_users_language(app, client, make_user):
    user = make_user(locale="es")
    client.post("/forgot-password", data={"email": user.email})
    [mail] = outbox(app)
    assert mail.subject == "Restablece tu contraseña de civic"
    assert "Hola" in mail.body_text
