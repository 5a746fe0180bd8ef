"""Small helpers every HTML view uses: safe redirects, the form -> service -> error -> page skeleton,
showing a domain error on a form or as a message, and checking a button's CSRF token.

A view that shows a service's error and answers normally (the form again, a flashed message) dooms the
unit of work (civic.database.doom): whatever the service flushed before refusing is rolled back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import flash, request
from flask_wtf import FlaskForm
from werkzeug.routing import IntegerConverter

from civic.database import LARGEST_ID, doom
from civic.errors import DomainError


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths: an open redirect would let a phishing link borrow our address."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


@dataclass
class FormOutcome:
    """What `submit_form` made of a request: `done` with the service's `result`, or the form to show again
    with `status` (200 for a first GET, 400 for invalid input, the service error's own status)."""

    done: bool
    result: Any = None
    status: int = 200


def submit_form(form: FlaskForm, action: Callable[[], Any]) -> FormOutcome:
    """The POST half of a form view: validate the form, run the service, put its error on the form.

    outcome = submit_form(form, lambda: save_category(current_user, ...))
    if outcome.done:
        flash(...)
        return redirect(...)
    return render_template(..., form=form), outcome.status
    """
    if request.method != "POST":
        return FormOutcome(False)
    if not form.validate_on_submit():
        return FormOutcome(False, status=400)
    try:
        result = action()
    except DomainError as error:
        return FormOutcome(False, status=show_error(form, error))
    return FormOutcome(True, result)


def show_error(form: FlaskForm, error: DomainError) -> int:
    """Attach a service's error to its field (or the form) and return the status to answer with."""
    doom()
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = list(field.errors) + [error.message]
    else:
        form.form_errors.append(error.message)
    return error.status_code


def invalid_status(form: FlaskForm) -> int:
    """A POSTed form that failed validation is a bad request; a first GET is fine."""
    return 400 if request.method == "POST" else 200


def require_action_form() -> None:
    """A button's POST (civic.forms.ActionForm: only the CSRF token) that fails validation is a bad request."""
    from flask import abort

    from civic.forms import ActionForm

    if not ActionForm().validate_on_submit():
        abort(400)


def flash_or_raise(error: DomainError) -> None:
    """After a button's POST: permission and missing-thing errors answer with their status page; the rest
    go back to the page as a message."""
    if error.status_code in (403, 404):
        raise error
    doom()
    flash(error.message, "error")


class DatabaseId(IntegerConverter):
    """`<int:…>` in URLs: the number as given, however large (a `max` on the converter would make Werkzeug
    answer 405 for such paths instead). Lookups refuse ids no integer column can hold as "not found" with the
    number as given (`fits_id`); a lookup that does not is answered 404 by the out-of-range error handler."""

    LARGEST = LARGEST_ID
