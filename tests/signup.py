"""Signing up through the pages, as a person does: the form, then the link in the e-mail, then a password."""

from __future__ import annotations

import re

import sqlalchemy as sa

from civic.database import unit_of_work
from civic.extensions import db
from civic.mail.models import OutgoingMail

CONFIRM_LINK = re.compile(r"https?://[^/\s]+(/register/confirm/\S+)")


def confirm_path(app, email: str) -> str | None:
    """The path of the newest sign-up link mailed to `email`, or None when none was sent."""
    with app.app_context(), unit_of_work():
        bodies = db.session.scalars(
            sa.select(OutgoingMail.body_text)
            .where(OutgoingMail.to_address == email.strip().lower())
            .order_by(OutgoingMail.id.desc())
        )
        for body in bodies:
            found = CONFIRM_LINK.search(body)
            if found:
                return found.group(1)
    return None


def sign_up(app, client, name: str, email: str, password: str, *, show_name: bool = False, **extra):
    """Fill in the sign-up form, open the e-mailed link and choose the password: the answer to that last POST."""
    form = {"display_name": name, "email": email, **extra}
    if show_name:
        form["show_name"] = "y"
    started = client.post("/register", data=form)
    assert started.status_code == 302, started.get_data(as_text=True)
    path = confirm_path(app, email)
    assert path is not None, f"no sign-up link was mailed to {email}"
    return client.post(path, data={"password": password})
