"""Small helpers every HTML view uses: safe redirects and showing a domain error on a form."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import request
from flask_wtf import FlaskForm

from civic.errors import DomainError


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths: an open redirect would let a phishing link borrow our address."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def show_error(form: FlaskForm, error: DomainError) -> int:
    """Attach a service's error to its field (or the form) and return the status to answer with."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = list(field.errors) + [error.message]
    else:
        form.form_errors.append(error.message)
    return error.status_code


def invalid_status(form: FlaskForm) -> int:
    """A POSTed form that failed validation is a bad request; a first GET is fine."""
    return 400 if request.method == "POST" else 200
