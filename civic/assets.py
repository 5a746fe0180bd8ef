"""What a browser downloads besides the pages: static files under content-hashed names, compressed answers, the
favicon.

- `url_for('static', filename='css/civic.css')` gives `/static/css/civic.<12 hex digits>.css`. That name is
  served with `Cache-Control: public, max-age=31536000, immutable` (a changed file gets a new name, so browsers
  never ask again); a hash that is not the file's current one is a 404. The plain name still answers, with a
  short lifetime. Digests are computed once per file and process (again after a change when debugging), so a
  fresh clone needs no build step.
- Answers are compressed by Flask-Compress (brotli or gzip, as the browser accepts): HTML, JSON, GeoJSON, JS,
  CSS, SVG, feeds. Never images (already compressed), bodies under COMPRESS_MIN_SIZE, streamed answers (the
  open-data exports) or Socket.IO (served beside Flask, not through it). Static files are compressed here
  instead, once per process and file version and harder (kept in memory: about 100 KB), with a Content-Length.
- `/favicon.ico` answers for browsers that ask for it whatever the page says.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import os
import re
from pathlib import Path

import brotli  # comes with Flask-Compress
from flask import Flask, abort, current_app, request, session
from flask_compress import Compress
from werkzeug.security import safe_join
from werkzeug.wrappers import Response

DIGEST_LENGTH = 12
IMMUTABLE = "public, max-age=31536000, immutable"
SHORT_LIVED = "public, max-age=300"  # unhashed names: revalidated with the ETag after five minutes
STATIC_BROTLI_QUALITY = 10  # once per process and file: 0.2 s for Leaflet, 9% smaller than a page's level
_HASHED = re.compile(rf"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{{{DIGEST_LENGTH}}})(?P<ext>\.[A-Za-z0-9]+)$")

COMPRESSED_TYPES = [
    "text/html",
    "text/css",
    "text/plain",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/geo+json",
    "application/manifest+json",
    "application/atom+xml",
    "application/xml",
    "text/xml",
    "text/calendar",
    "image/svg+xml",
    "image/x-icon",  # an ICO holds uncompressed bitmaps
    "image/vnd.microsoft.icon",
]


class Digests:
    """The content digest of each static file, computed the first time it is asked for."""

    def __init__(self, folder: Path, watch: bool) -> None:
        self.folder, self.watch = folder, watch
        self.known: dict[str, tuple[int, str | None]] = {}

    def path(self, filename: str) -> Path | None:
        joined = safe_join(str(self.folder), filename)
        return Path(joined) if joined is not None and os.path.isfile(joined) else None

    def of(self, filename: str) -> str | None:
        known = self.known.get(filename)
        if known is not None and not self.watch:
            return known[1]
        path = self.path(filename)
        changed = path.stat().st_mtime_ns if path is not None else 0
        if known is not None and known[0] == changed:
            return known[1]
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:DIGEST_LENGTH] if path is not None else None
        self.known[filename] = (changed, digest)
        return digest


def _digests() -> Digests:
    return current_app.extensions["civic_assets"]


def hashed_name(filename: str) -> str:
    """`css/civic.css` -> `css/civic.<digest>.css`; a file that does not exist keeps its name."""
    digest = _digests().of(filename)
    if digest is None:
        return filename
    stem, dot, ext = filename.rpartition(".")
    if not dot or "/" in ext:
        return f"{filename}.{digest}"
    return f"{stem}.{digest}.{ext}"


def _hash_static_urls(endpoint: str, values: dict) -> None:
    if endpoint == "static" and isinstance(values.get("filename"), str):
        values["filename"] = hashed_name(values["filename"])


def _compressed(filename: str, digest: str, data: bytes, encoding: str) -> bytes:
    """A static file compressed once per process and version, harder than a page is (it is kept)."""
    store: dict[tuple[str, str, str], bytes] = current_app.extensions["civic_assets_compressed"]
    key = (filename, digest, encoding)
    if key not in store:
        if encoding == "br":
            store[key] = brotli.compress(data, quality=STATIC_BROTLI_QUALITY)
        else:
            store[key] = gzip.compress(data, compresslevel=9, mtime=0)
    return store[key]


def _answer(path: Path, filename: str, digest: str, cache_control: str) -> Response:
    mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    data = path.read_bytes()
    response = current_app.response_class(data, mimetype=mimetype)
    if mimetype in COMPRESSED_TYPES and len(data) >= current_app.config["COMPRESS_MIN_SIZE"]:
        response.vary.add("Accept-Encoding")
        encoding = request.accept_encodings.best_match(["br", "gzip"])
        if encoding:  # Flask-Compress leaves an answer that has a Content-Encoding alone
            response.set_data(_compressed(filename, digest, data, encoding))
            response.headers["Content-Encoding"] = encoding
            digest = f"{digest}:{encoding}"  # each encoding is its own representation
    response.set_etag(digest)
    response.headers["Cache-Control"] = cache_control
    return response.make_conditional(request)


def serve_static(filename: str) -> Response:
    """Replaces Flask's static view: the hashed name (immutable) or the plain one (short-lived)."""
    digests = _digests()
    plain = digests.path(filename)
    if plain is not None:
        return _answer(plain, filename, digests.of(filename) or "", SHORT_LIVED)
    match = _HASHED.match(filename)
    if match is None:
        abort(404)
    original = match["stem"] + match["ext"]
    path = digests.path(original)
    if path is None or digests.of(original) != match["digest"]:
        abort(404)  # not a file of ours, or an earlier version of it
    return _answer(path, original, match["digest"], IMMUTABLE)


def favicon() -> Response:
    digests = _digests()
    path = digests.path("icons/favicon.ico")
    if path is None:
        abort(404)
    return _answer(path, "icons/favicon.ico", digests.of("icons/favicon.ico") or "", "public, max-age=86400")


def _same_for_everyone(response: Response) -> Response:
    """Flask-Login's after_request peeks at the session on every answer, which makes Flask add `Vary: Cookie`;
    a static file does not depend on it, and that Vary would make browsers fetch it again after every change of
    the session cookie (signing in, a first form). Registered first, so it runs after every other hook."""
    if request.endpoint in ("static", "favicon"):
        session.accessed = False
    return response


def init_app(app: Flask) -> None:
    app.extensions["civic_assets"] = Digests(Path(app.static_folder or "static"), watch=app.debug)
    app.extensions["civic_assets_compressed"] = {}
    app.url_defaults(_hash_static_urls)
    app.view_functions["static"] = serve_static
    app.add_url_rule("/favicon.ico", "favicon", favicon)
    app.after_request_funcs.setdefault(None, []).insert(0, _same_for_everyone)

    for name, value in {
        "COMPRESS_MIMETYPES": COMPRESSED_TYPES,
        "COMPRESS_ALGORITHM": ["br", "gzip"],  # brotli where the browser takes it (it does over HTTPS), else gzip
        "COMPRESS_BR_LEVEL": 5,
        "COMPRESS_LEVEL": 6,
        "COMPRESS_MIN_SIZE": 500,  # smaller bodies gain less than the headers cost
        "COMPRESS_STREAMS": False,  # exports stream row by row; keep them streaming
    }.items():
        app.config.setdefault(name, value)
    Compress(app)
