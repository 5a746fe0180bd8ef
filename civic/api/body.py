"""The one way the API reads a request's JSON body: an object, with only known fields and the required ones.

Every JSON write (reports, comments, upvotes, follows, RSVPs, `PATCH /me`) reads its body here. The parsing
itself is the app's request class (`civic.request_guard.GuardedRequest`): a body nested too deeply or holding
a NUL character is refused there with a 400 and a message, before any field is looked at.
"""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _

from civic.errors import ValidationError


def json_object(
    allowed: set[str], required: set[str] | frozenset[str] = frozenset(), *, refusal: str | None = None
) -> dict:
    """The request's JSON object, with only known fields and the required ones present. `refusal`: the
    message for a body that is not an object (default "Send a JSON object.")."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationError(refusal or _("Send a JSON object."))
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError(_("Unknown fields: %(names)s.", names=", ".join(sorted(unknown))))
    missing = required - set(data)
    if missing:
        raise ValidationError(_("Missing fields: %(names)s.", names=", ".join(sorted(missing))), field=min(missing))
    return data


def optional_json_object(allowed: set[str], *, refusal: str | None = None) -> dict | None:
    """As json_object, for a write whose body may be left out: None when there is no body at all."""
    if not request.get_data(cache=True):
        return None
    return json_object(allowed, refusal=refusal)
