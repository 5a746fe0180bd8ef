"""Serving stored photos. Keys are random and a file never changes under its key, so caches keep it a year."""
from __future__ import annotations

from pathlib import Path

from flask import send_file, url_for
from flask_babel import gettext as _

from civic.errors import NotFound
from civic.media import bp, storage

ONE_YEAR = 31_536_000
CACHE_CONTROL = f"public, max-age={ONE_YEAR}, immutable"
MIMETYPES = {".jpg": "image/jpeg"}  # we only ever write re-encoded JPEGs


@bp.get("/<path:key>")
def photo(key: str):
    path: Path = storage.path_for(key)  # NotFound for a malformed key
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
