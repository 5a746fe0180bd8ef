"""Domain errors raised by services. Views turn them into form messages, the API into JSON bodies."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the product was broken by the request. `message` is translated and user-facing."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field  # the form field the message belongs to, when there is one


class ValidationError(DomainError):
    code = "invalid"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class PermissionDenied(DomainError):
    status_code = 403
    code = "forbidden"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class InvalidToken(DomainError):
    code = "invalid_token"
