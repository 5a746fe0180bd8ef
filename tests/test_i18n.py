"""English and Spanish: the user's setting, then the switcher, then Accept-Language; a complete catalog."""

from __future__ import annotations

import subprocess
import sys

from babel.messages.pofile import read_po

from civic import ROOT
from civic.database import unit_of_work

SKIP_LINK_ES = "Saltar al contenido principal"


def test_accept_language_picks_spanish(client):
    body = client.get("/", headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="es">' in body and SKIP_LINK_ES in body


def test_unsupported_language_falls_back_to_english(client):
    body = client.get("/", headers={"Accept-Language": "fr-FR"}).get_data(as_text=True)
    assert '<html lang="en">' in body and "Skip to main content" in body


def test_switcher_choice_beats_the_browser(client):
    response = client.post("/language/es", data={"next": "/login"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    body = client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="es">' in body


def test_signed_in_users_setting_is_saved_and_wins(app, client, auth, make_user):
    user = make_user(locale="es")
    auth.login_as(user)
    assert '<html lang="es">' in client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    client.post("/language/en", data={"next": "/"})
    fresh = app.test_client()
    fresh.post("/login", data={"email": user.email, "password": user.password})
    assert '<html lang="en">' in fresh.get("/", headers={"Accept-Language": "es"}).get_data(as_text=True)


def test_unknown_language_is_refused_politely(client):
    response = client.post("/language/fr", data={"next": "/"}, follow_redirects=True)
    assert "That language is not available." in response.get_data(as_text=True)


def test_switcher_does_not_redirect_off_site(client):
    response = client.post("/language/es", data={"next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_spanish_form_errors(client):
    client.post("/language/es", data={"next": "/"})
    body = client.post("/register", data={"display_name": "", "email": "x"}).get_data(as_text=True)
    assert "Escribe el nombre que verán tus vecinos." in body


def test_spanish_catalog_covers_every_message(tmp_path):
    """Every string in the code and templates has a Spanish translation that is not fuzzy."""
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "--quiet",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "_l",
            "-o",
            str(pot),
            ".",
        ],
        check=True,
        cwd=ROOT,
    )
    with open(pot, "rb") as f:
        wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    with open(ROOT / "civic/translations/es/LC_MESSAGES/messages.po", "rb") as f:
        catalog = read_po(f)
    missing = []
    for msgid in sorted(wanted):
        message = catalog.get(msgid)
        strings = message.string if message else None
        if isinstance(strings, tuple):
            strings = all(strings)
        if not message or not strings or message.fuzzy:
            missing.append(msgid)
    assert not missing, f"{len(missing)} strings lack a Spanish translation: {missing[:10]}"


def test_templates_follow_force_locale_and_refresh_within_one_request(app):
    """Templates look the catalog up once per request (civic/i18n.py); an e-mail rendered in its reader's
    language in the middle of the request, and a language switch, must still change it."""
    from flask import render_template_string, session
    from flask_babel import force_locale, refresh

    from civic.i18n import SESSION_KEY

    hello = "{{ _('Hello %(name)s,', name='Sol') }}"
    with app.test_request_context("/", headers={"Accept-Language": "es"}), unit_of_work():
        assert render_template_string(hello) == "Hola, Sol:"
        with force_locale("en"):
            assert render_template_string(hello) == "Hello Sol,"
        assert render_template_string(hello) == "Hola, Sol:"
        session[SESSION_KEY] = "en"
        refresh()
        assert render_template_string(hello) == "Hello Sol,"


def test_signing_in_and_out_speaks_the_persons_language(client, auth, make_user):
    """A Spanish-speaking resident on an English browser: the sign-in message is already theirs, and signing out
    leaves the pages in Spanish (found by tests/test_spanish_everywhere.py)."""
    user = make_user(locale="es")
    response = auth.login(user.email, follow_redirects=True)
    assert "Iniciaste sesión." in response.get_data(as_text=True)
    body = client.post("/logout", follow_redirects=True).get_data(as_text=True)
    assert "Cerraste sesión en este dispositivo y en todos los demás." in body and '<html lang="es">' in body
