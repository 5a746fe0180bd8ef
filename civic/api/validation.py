"""Reading a request through its schema (civic/api/schemas.py): the JSON body or the query string, as a
pydantic model, or a ValidationError (civic's JSON 400, {"error": {"code", "message", "field"}}) naming the
first field at fault, with a message a person can act on."""

from __future__ import annotations

from typing import TypeVar

from flask import request
from flask_babel import gettext as _
from pydantic import ValidationError as SchemaError
from pydantic_core import ErrorDetails

from civic.api.schemas import RequestModel
from civic.errors import ValidationError
from civic.text import refuse_hostile_characters

M = TypeVar("M", bound=RequestModel)


def body_of(model: type[M], *, optional: bool = False) -> M:
    """The request's JSON object as `model`. `optional`: no body at all reads as an empty object."""
    if optional and not request.get_data():
        return model()
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationError(_("Send a JSON object."))
    return _validated(model, data)


def query_of(model: type[M]) -> M:
    """The query string as `model`. A parameter given twice counts once (the first), as request.args.get."""
    return _validated(model, {name: request.args[name] for name in model.model_fields if name in request.args})


def _validated(model: type[M], data: dict) -> M:
    try:
        return model.model_validate(data)
    except SchemaError as error:
        raise _refusal(model, error.errors(include_url=False)) from None


def _refusal(model: type[RequestModel], errors: list[ErrorDetails]) -> ValidationError:
    unknown = sorted(str(e["loc"][0]) for e in errors if e["type"] == "extra_forbidden")
    if unknown:
        return ValidationError(_("Unknown fields: %(names)s.", names=", ".join(unknown)))
    missing = sorted(str(e["loc"][0]) for e in errors if e["type"] == "missing" and len(e["loc"]) == 1)
    if missing:
        said = model.messages.get(f"{missing[0]}:missing")  # a field's own words for its absence
        if said is not None:
            return ValidationError(str(said), field=missing[0])
        return ValidationError(_("Missing fields: %(names)s.", names=", ".join(missing)), field=missing[0])
    first = errors[0]
    path = [str(part) for part in first["loc"]]
    if first["type"] == "string_pattern_mismatch" and isinstance(first.get("input"), str):
        # Control characters are refused by civic.text's rule, and the message says so whichever rule saw them.
        refuse_hostile_characters(first["input"], field=path[0] if path else None)
    return ValidationError(_message(model, path, first["type"]), field=path[0] if path else None)


_TYPE_ERRORS = ("bool", "int_", "float_", "string_type", "model_type", "dict_type", "list_type")


def _message(model: type[RequestModel], path: list[str], kind: str) -> str:
    if not path:
        return _("Send a JSON object.")
    field = path[0]
    if len(path) == 1 and kind.startswith("bool"):
        return _("%(name)s must be true or false.", name=field)
    if len(path) == 1 and kind.startswith("int_"):
        return _("%(name)s must be a whole number.", name=field)
    if len(path) == 1 and kind.startswith("float_"):
        return _("%(name)s must be a number.", name=field)
    if len(path) == 1 and kind == "string_type":
        return _("%(name)s must be text.", name=field)
    # A rule of the field's (too short, out of range, not one of…); inside an object, "home.lat" first.
    inner = ".".join(path[:2]) if len(path) > 1 and not kind.startswith(_TYPE_ERRORS) else None
    known = model.messages.get(inner or field, model.messages.get(field))
    if known is not None:
        return str(known() if callable(known) else known)
    return _("%(name)s is not valid: see the API's OpenAPI document.", name=field)
