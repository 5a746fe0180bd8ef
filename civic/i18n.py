"""Locale choice: the signed-in user's setting, then the visitor's switcher choice, then Accept-Language."""
from __future__ import annotations

from flask import current_app, has_request_context, request, session
from flask_login import current_user

SESSION_KEY = "locale"


def select_locale() -> str:
    supported = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands and background jobs
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in supported:
        return current_user.locale
    chosen = session.get(SESSION_KEY)
    if chosen in supported:
        return chosen
    return request.accept_languages.best_match(supported) or current_app.config["BABEL_DEFAULT_LOCALE"]
