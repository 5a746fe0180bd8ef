"""Hostile request bodies and parameters, refused before they reach a view, a form or the database.

- **JSON bodies** are read through `GuardedRequest.get_json` (the app's request class), so every reader -- the
  API's `json_object`, Flask-WTF forms sent as JSON -- gets the same rule: nesting deeper than
  `MAX_JSON_DEPTH` (or deep enough to exhaust Python's recursion) is a 400 with a clear message, never a 500.
  A JSON body is parsed before every route, so a route that ignores its body refuses a hostile one too.
- **NUL characters** in the query string, a form field or a JSON string (keys included) are a 400: no column
  can hold them on PostgreSQL, and no person types them.
- **Streamed (chunked) bodies** have no Content-Length to check up front, so they are read here, against
  MAX_CONTENT_LENGTH, before any view: too large is a 413 even when the view would not read the body.
"""

from __future__ import annotations

import io
from typing import Any

from flask import Flask, abort, current_app, request
from flask import Request as FlaskRequest
from flask_babel import gettext as _

from civic.errors import ValidationError

MAX_JSON_DEPTH = 32  # civic's deepest body (GeoJSON-like home/shape objects) is 4 levels


def json_depth(value: Any) -> int:
    """How deeply arrays and objects nest in `value` (a scalar is 0), counted without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        if depth > MAX_JSON_DEPTH:
            break  # deep enough to refuse: no need to walk the rest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def has_nul(value: Any) -> bool:
    """Whether a NUL character is in any string of `value` (JSON keys included), walked without recursion."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def too_deep_error() -> ValidationError:
    return ValidationError(_("The JSON body is nested too deeply (at most %(n)d levels).", n=MAX_JSON_DEPTH))


def nul_error() -> ValidationError:
    return ValidationError(_("The request contains a NUL character, which is not allowed in text."))


class GuardedRequest(FlaskRequest):
    """Flask's request, whose JSON is refused when nested too deeply or carrying a NUL character."""

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any | None:
        try:
            data = super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError:
            raise too_deep_error() from None
        if json_depth(data) > MAX_JSON_DEPTH:
            raise too_deep_error()
        if has_nul(data):
            raise nul_error()
        return data


def _any_nul(pairs) -> bool:
    return any("\x00" in key or "\x00" in value for key, value in pairs)


def _read_streamed_body(limit: int) -> None:
    """A chunked body, read now against `limit`: Werkzeug's limited stream cuts it at the limit *silently*
    (only a read past the end raises), so a view would see a truncated body, or none if it reads none. A body
    within the limit is put back, with its length, for everything after."""
    stream, chunks, size = request.environ["wsgi.input"], [], 0
    while size <= limit:
        chunk = stream.read(min(64 * 1024, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > limit:
        abort(413)
    request.environ["wsgi.input"] = io.BytesIO(b"".join(chunks))


def _guard_request() -> None:
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and request.content_length is None and "wsgi.input_terminated" in request.environ:
        _read_streamed_body(limit)
    if "\x00" in request.path or _any_nul(request.args.items(multi=True)):
        raise nul_error()
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        if _any_nul(request.form.items(multi=True)):
            raise nul_error()
    elif request.is_json and request.get_data(cache=True):
        request.get_json(silent=True)  # refuses deep nesting and NUL for every route, read or not (cached)


def register_request_guard(app: Flask) -> None:
    app.request_class = GuardedRequest
    # First of all: before CSRF or sign-in checks read a form, and before anything reads a streamed body.
    app.before_request_funcs.setdefault(None, []).insert(0, _guard_request)
