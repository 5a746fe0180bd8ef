"""Notification e-mail through a real SMTP server: immediate, daily digest, one-click unsubscribe."""

from __future__ import annotations

import re

import pytest

from civic.accounts.models import EmailFrequency, User
from civic.database import unit_of_work
from civic.extensions import db


@pytest.fixture
def mail_app(make_app, smtp_server):
    return make_app(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port, BASE_URL="https://civic.example")


def set_frequency(app, user, frequency: EmailFrequency):
    with app.app_context(), unit_of_work():
        db.session.get(User, user.id).email_frequency = frequency
        db.session.commit()


def comment(app, user, issue_id, body):
    http = app.test_client()
    http.post("/login", data={"email": user.email, "password": user.password})
    assert http.post(f"/issues/{issue_id}/comments", data={"body": body}).status_code == 302


def test_immediate_mail_has_a_one_click_unsubscribe(mail_app, smtp_server, make_user, make_issue):
    reporter, neighbour = make_user(), make_user(display_name="Nia", show_name=True)  # Nia shows her name
    set_frequency(mail_app, reporter, EmailFrequency.IMMEDIATE)
    issue_id = make_issue(reporter, title="Broken light")
    comment(mail_app, neighbour, issue_id, "It is still dark here")
    [message] = smtp_server.wait_for(1)
    assert message["To"] == reporter.email
    assert message["Subject"] == "Nia commented on “Broken light”"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.fullmatch(r"<(http://localhost/unsubscribe/\S+)>", message["List-Unsubscribe"]).group(1)
    assert url in message.get_content()

    # What a mail client does for RFC 8058: POST the form body, no cookie, no CSRF token.
    mail_app.config["WTF_CSRF_ENABLED"] = True  # as in production: the one-click POST must pass anyway
    response = mail_app.test_client().post(
        url.replace("http://localhost", ""),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    mail_app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 200
    with mail_app.app_context(), unit_of_work():
        assert db.session.get(User, reporter.id).email_frequency is EmailFrequency.NEVER
    comment(mail_app, neighbour, issue_id, "Anyone?")
    assert len(smtp_server.messages) == 1


def test_daily_digest_groups_everything_in_one_message(mail_app, smtp_server, make_user, make_issue, runner):
    reporter, neighbour = make_user(), make_user(display_name="Nia", show_name=True)  # Nia shows her name
    first, second = make_issue(reporter, title="Broken light"), make_issue(reporter, title="Deep pothole")
    for n in range(3):
        comment(mail_app, neighbour, first, f"Comment {n}")
    comment(mail_app, neighbour, second, "On the pothole")
    assert smtp_server.messages == []  # daily is the default: nothing goes out at once

    result = mail_app.test_cli_runner().invoke(args=["notifications", "digest"])
    assert result.exit_code == 0 and "Sent 1 digest" in result.output
    [message] = smtp_server.wait_for(1)
    body = message.get_content()
    assert message["Subject"] == "civic: 4 updates near you"
    assert "== Broken light ==" in body and "== Deep pothole ==" in body
    assert body.count("Nia commented on") == 4
    assert "https://civic.example/issues/" in body and message["List-Unsubscribe"].startswith(
        "<https://civic.example/unsubscribe/"
    )

    again = mail_app.test_cli_runner().invoke(args=["notifications", "digest"])
    assert "Sent 0 digest" in again.output and len(smtp_server.messages) == 1


def test_never_means_no_mail(mail_app, smtp_server, make_user, make_issue):
    reporter, neighbour = make_user(), make_user()
    set_frequency(mail_app, reporter, EmailFrequency.NEVER)
    issue_id = make_issue(reporter)
    comment(mail_app, neighbour, issue_id, "Hello")
    assert mail_app.test_cli_runner().invoke(args=["notifications", "digest"]).exit_code == 0
    assert smtp_server.messages == []


def test_unsubscribe_page_and_bad_links(app, client, make_user):
    from civic.notifications.email import unsubscribe_token

    user = make_user()
    with app.app_context(), unit_of_work():
        token = unsubscribe_token(db.session.get(User, user.id))
    page = client.get(f"/unsubscribe/{token}")
    assert page.status_code == 200 and f"Stop all notification e-mails to {user.email}?" in page.get_data(as_text=True)
    bad = client.post(f"/unsubscribe/{token[:-2]}xx")
    assert bad.status_code == 400 and "This unsubscribe link is not valid" in bad.get_data(as_text=True)
    with app.app_context(), unit_of_work():
        assert db.session.get(User, user.id).email_frequency is EmailFrequency.DAILY


def test_email_settings_page(app, client, auth, make_user):
    user = make_user()
    auth.login_as(user)
    assert client.post("/account/email", data={"email_frequency": "immediate"}).status_code == 302
    with app.app_context(), unit_of_work():
        assert db.session.get(User, user.id).email_frequency is EmailFrequency.IMMEDIATE
    assert client.post("/account/email", data={"email_frequency": "hourly"}).status_code == 400


def test_each_mail_speaks_its_readers_language_whatever_the_senders(mail_app, smtp_server, make_user, make_issue):
    """A Spanish speaker's comment mails an English-speaking reporter in English, and the reverse; the
    sender's own pages stay in the sender's language (templates look their catalog up once per request,
    civic/i18n.py, and must still follow force_locale)."""
    english, spanish = make_user(locale="en", display_name="Ed"), make_user(locale="es", display_name="Sol")
    for user in (english, spanish):
        set_frequency(mail_app, user, EmailFrequency.IMMEDIATE)
    by_english, by_spanish = make_issue(english, title="Broken light"), make_issue(spanish, title="Farola rota")

    http = mail_app.test_client()
    http.post("/login", data={"email": spanish.email, "password": spanish.password})
    http.get(f"/issues/{by_english}")  # the Spanish catalog is in use in this client's requests
    page = http.post(f"/issues/{by_english}/comments", data={"body": "Sigue sin luz"}, follow_redirects=True)
    [to_english] = smtp_server.wait_for(1)
    assert to_english["To"] == english.email and to_english.get_content().startswith("Hello Ed,")
    assert "Saltar al contenido principal" in page.get_data(as_text=True)

    comment(mail_app, english, by_spanish, "Still dark")
    to_spanish = smtp_server.wait_for(2)[1]
    assert to_spanish["To"] == spanish.email and to_spanish.get_content().startswith("Hola, Sol:")
