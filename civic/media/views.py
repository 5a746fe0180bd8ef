"""Serving stored photos. Keys are random and a file never changes under its key, so caches keep it a year.
Media knows storage keys only: a domain that hides some of its photos registers a check with
`withhold_when` (issues: photos hidden by the moderators), and a withheld key is served to moderators only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from civic.errors import NotFound
from civic.media import bp, storage

ONE_YEAR = 31_536_000
CACHE_CONTROL = f"public, max-age={ONE_YEAR}, immutable"
MIMETYPES = {".jpg": "image/jpeg"}  # we only ever write re-encoded JPEGs

_withholding: list[Callable[[str], bool]] = []


def withhold_when(check: Callable[[str], bool]) -> Callable[[str], bool]:
    """Register `check(key) -> bool`: True withholds that key from everyone but the moderators."""
    if check not in _withholding:
        _withholding.append(check)
    return check


def _withheld(key: str) -> bool:
    """A withheld photo is served to moderators only (its key may have been seen before)."""
    if current_user.is_authenticated and current_user.is_moderator:
        return False
    return any(check(key) for check in _withholding)


@bp.get("/<path:key>")
def photo(key: str):
    path: Path = storage.path_for(key)  # NotFound for a malformed key
    if _withheld(key):
        raise NotFound(_("That photo was not found."))
    mimetype = MIMETYPES.get(path.suffix)
    if mimetype is None:
        raise NotFound(_("That photo was not found."))
    try:
        response = send_file(path, mimetype=mimetype, max_age=ONE_YEAR, conditional=True, etag=True)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):  # unknown, or deleted meanwhile
        raise NotFound(_("That photo was not found.")) from None
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.app_template_global("photo_url")
def url_for_photo(key: str, **kwargs) -> str:
    """The URL of a stored photo; in templates as `photo_url(photo.key)`."""
    return url_for("media.photo", key=key, **kwargs)
