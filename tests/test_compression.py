"""Compressed answers (civic/assets.py, Flask-Compress): pages, JSON and static text arrive brotli- or
gzip-compressed when the browser accepts it, decode to exactly what an uncompressed answer holds, and say
`Vary: Accept-Encoding`; images, tiny bodies, streamed exports and Socket.IO are left alone."""

from __future__ import annotations

import gzip
import io
import re

import brotli
from PIL import Image
from werkzeug.datastructures import FileStorage

from civic import ROOT

GZIP = {"Accept-Encoding": "gzip"}
BROTLI = {"Accept-Encoding": "gzip, deflate, br"}
SECRETS = re.compile(r'(nonce="|nonce-|name="csrf-token" content="|name="csrf_token" value=")[^"\']+')


def decoded(response) -> bytes:
    body = response.get_data()
    encoding = response.headers.get("Content-Encoding")
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "br":
        return brotli.decompress(body)
    assert encoding is None, encoding
    return body


RELATIVE_TIME = re.compile(r">[^<]*</time>")


def without_secrets(html: bytes) -> str:
    """A page without its per-request CSP nonce and CSRF token, which differ between any two answers, nor its
    relative times ("1 second ago"), which move on between them on a slow machine."""
    return RELATIVE_TIME.sub(">…</time>", SECRETS.sub(r"\1…", html.decode()))


def assert_compressed(response, encoding: str) -> None:
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in response.headers["Vary"]
    assert int(response.headers["Content-Length"]) == len(response.get_data())


def test_pages_json_and_scripts_come_compressed_and_decode_to_the_same_content(client, make_issue):
    for n in range(5):
        make_issue(title=f"Pothole number {n}")
    plain_page = client.get("/issues")
    assert plain_page.headers.get("Content-Encoding") is None  # no Accept-Encoding: as it was
    gzipped_page = client.get("/issues", headers=GZIP)
    assert_compressed(gzipped_page, "gzip")
    assert len(gzipped_page.get_data()) < len(plain_page.get_data()) / 2
    assert without_secrets(decoded(gzipped_page)) == without_secrets(plain_page.get_data())

    bbox = "/api/v1/issues?bbox=-75.2,39.9,-75.0,40.1&zoom=18"
    plain_json = client.get(bbox)
    brotli_json = client.get(bbox, headers=BROTLI)
    assert_compressed(brotli_json, "br")  # brotli first when the browser offers it
    assert decoded(brotli_json) == plain_json.get_data() and b"Pothole number 4" in plain_json.get_data()

    script = (ROOT / "static/js/live.js").read_bytes()
    gzipped_script = client.get("/static/js/live.js", headers=GZIP)
    assert_compressed(gzipped_script, "gzip")
    assert decoded(gzipped_script) == script


def test_images_and_tiny_bodies_are_sent_as_they_are(client, make_issue):
    icon = client.get("/static/icons/icon-512.png", headers=BROTLI)
    assert icon.status_code == 200 and icon.headers.get("Content-Encoding") is None
    assert icon.get_data() == (ROOT / "static/icons/icon-512.png").read_bytes()

    buf = io.BytesIO()
    Image.new("RGB", (640, 480), "red").save(buf, "JPEG")
    buf.seek(0)
    make_issue(photos=[FileStorage(stream=buf, filename="red.jpg", content_type="image/jpeg")])
    page = decoded(client.get("/issues/1", headers=BROTLI)).decode()
    photo_url = re.search(r'href="(/media/[^"]+)"', page).group(1)
    photo = client.get(photo_url, headers=BROTLI)
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    assert photo.headers.get("Content-Encoding") is None
    photo.close()  # send_file's open file

    health = client.get("/healthz", headers=BROTLI)
    assert health.status_code == 200 and len(health.get_data()) < 500
    assert health.headers.get("Content-Encoding") is None


def test_streamed_exports_and_socketio_are_left_to_stream(client, make_issue):
    make_issue()
    export = client.get("/open-data/issues.geojson", headers=BROTLI)
    assert export.status_code == 200 and export.is_streamed
    assert export.headers.get("Content-Encoding") is None
    assert b"FeatureCollection" in export.get_data()

    polling = client.get("/socket.io/?EIO=4&transport=polling", headers=BROTLI)
    assert polling.status_code == 200 and polling.get_data().startswith(b"0{")  # an Engine.IO handshake
    assert polling.headers.get("Content-Encoding") is None


def test_a_kept_page_is_served_compressed_and_plain_to_a_client_that_takes_no_compression(app, make_issue):
    issue_id = make_issue(title="Leaning lamp post", description="It leans over the pavement. " * 20)
    first = app.test_client().get(f"/issues/{issue_id}", headers=BROTLI)
    assert_compressed(first, "br")
    cache = app.extensions["civic_caches"]["pages"]
    assert len(cache.entries) == 1  # kept after the first reader

    again = app.test_client().get(f"/issues/{issue_id}", headers=GZIP)  # from the page cache
    assert_compressed(again, "gzip")
    plain = app.test_client().get(f"/issues/{issue_id}")
    assert plain.headers.get("Content-Encoding") is None and "Accept-Encoding" in plain.headers["Vary"]
    assert len(cache.entries) == 1  # all three from the one kept page
    assert "Leaning lamp post" in plain.get_data(as_text=True)
    assert without_secrets(decoded(again)) == without_secrets(decoded(first)) == without_secrets(plain.get_data())
