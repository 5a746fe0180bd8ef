"""Forms shared across domains."""

from __future__ import annotations

from flask_wtf import FlaskForm


class ActionForm(FlaskForm):
    """A button-only form: CSRF protection for one-click actions (verify, upvote, delete...)."""


def strip_whitespace(value):
    """A WTForms filter: trim text fields so "  Rosa " and "Rosa" are the same input."""
    return value.strip() if isinstance(value, str) else value
