"""Forms shared across domains."""
from __future__ import annotations

from flask_wtf import FlaskForm


class ActionForm(FlaskForm):
    """A button-only form: CSRF protection for one-click actions (verify, upvote, delete...)."""
