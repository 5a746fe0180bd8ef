"""Static files under content-hashed names (civic/assets.py), the icons, and scripts only where a page uses
them: the Socket.IO client where something is live, markercluster where the map clusters."""

from __future__ import annotations

import hashlib
import io
import re

import brotli
import pytest
from PIL import Image

from civic import ROOT

STATIC_URL = re.compile(r'(?:src|href)="(/static/[^"]+)"')
HASHED = re.compile(r"^/static/(?P<stem>.+)\.(?P<digest>[0-9a-f]{12})(?P<ext>\.\w+)$")
SOCKET_IO = "socket.io.min."


def static_urls(html: str) -> list[str]:
    return STATIC_URL.findall(html)


def test_every_static_url_of_the_home_page_is_hashed_and_cached_for_a_year(client, make_issue):
    make_issue()
    urls = static_urls(client.get("/").get_data(as_text=True))
    assert any("/vendor/leaflet-1.9.4/leaflet." in u for u in urls) and any("/css/civic." in u for u in urls)
    for url in urls:
        match = HASHED.match(url)
        assert match, f"{url} has no content hash"
        source = ROOT / "static" / (match["stem"] + match["ext"])
        assert match["digest"] == hashlib.sha256(source.read_bytes()).hexdigest()[:12]
        answer = client.get(url)
        assert answer.status_code == 200, url
        assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert "Cookie" not in answer.headers.get("Vary", "")  # the same file for everyone, signed in or not
        assert answer.get_data() == source.read_bytes()


def test_a_hashed_file_answers_not_modified_to_its_etag_in_each_encoding(client):
    url = next(u for u in static_urls(client.get("/login").get_data(as_text=True)) if "/css/civic." in u)
    for accepts in ("", "gzip", "gzip, deflate, br"):
        first = client.get(url, headers={"Accept-Encoding": accepts})
        again = client.get(url, headers={"Accept-Encoding": accepts, "If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304 and again.get_data() == b"", accepts
    gzipped = client.get(url, headers={"Accept-Encoding": "gzip"}).headers["ETag"]
    plain = client.get(url, headers={"If-None-Match": gzipped})
    assert plain.status_code == 200  # a gzip copy is not the plain file


def test_static_text_is_compressed_once_at_a_higher_level_than_pages(client):
    url = next(
        u
        for u in static_urls(client.get("/").get_data(as_text=True))
        if "/leaflet-1.9.4/leaflet." in u and u.endswith(".js")
    )
    source = (ROOT / "static/vendor/leaflet-1.9.4/leaflet.js").read_bytes()
    answers = [client.get(url, headers={"Accept-Encoding": "gzip, br"}) for _ in range(2)]
    for answer in answers:
        assert answer.headers["Content-Encoding"] == "br" and "Accept-Encoding" in answer.headers["Vary"]
        assert brotli.decompress(answer.get_data()) == source
    assert answers[0].get_data() == answers[1].get_data()
    assert len(answers[0].get_data()) < len(brotli.compress(source, quality=5))  # a page's level


def test_unknown_hashes_are_not_found_and_plain_names_still_answer_briefly(client):
    assert client.get("/static/css/civic.0123456789ab.css").status_code == 404
    assert client.get("/static/css/nothing.0123456789ab.css").status_code == 404
    assert client.get("/static/css/../../civic/config.py").status_code == 404
    assert client.get("/static/../pyproject.toml").status_code == 404
    plain = client.get("/static/css/civic.css")
    assert plain.status_code == 200 and plain.get_data() == (ROOT / "static/css/civic.css").read_bytes()
    assert plain.headers["Cache-Control"] == "public, max-age=300"
    # Leaflet's stylesheet names its images relative to itself: they resolve under the plain names.
    assert client.get("/static/vendor/leaflet-1.9.4/images/layers.png").status_code == 200


@pytest.mark.parametrize("path", ["/issues", "/events/", "/login", "/register", "/privacy"])
def test_anonymous_readers_of_pages_with_nothing_live_load_no_socketio(client, path):
    page = client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert SOCKET_IO not in html and "/js/live." not in html
    assert "markercluster" not in html.lower()


def test_live_pages_load_socketio_and_only_the_city_map_loads_markercluster(client, make_issue):
    issue_id = make_issue()
    issue_page = client.get(f"/issues/{issue_id}").get_data(as_text=True)
    assert SOCKET_IO in issue_page and "/js/live." in issue_page
    assert "markercluster" not in issue_page.lower()
    home = client.get("/").get_data(as_text=True)
    assert SOCKET_IO in home and "leaflet.markercluster." in home and "MarkerCluster.Default." in home


def test_signed_in_readers_get_the_live_badge_on_every_page(client, auth, make_user):
    auth.login_as(make_user())
    for path in ("/issues", "/events/", "/account"):
        html = client.get(path).get_data(as_text=True)
        assert SOCKET_IO in html and "data-unread-count" in html, path


def test_favicon_and_app_icons_answer_at_their_sizes(client):
    favicon = client.get("/favicon.ico")
    assert favicon.status_code == 200 and favicon.mimetype in ("image/vnd.microsoft.icon", "image/x-icon")
    assert Image.open(io.BytesIO(favicon.get_data())).format == "ICO"
    html = client.get("/login").get_data(as_text=True)
    svg = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', html).group(1)
    assert client.get(svg).mimetype == "image/svg+xml"
    touch = re.search(r'<link rel="apple-touch-icon" href="([^"]+)">', html).group(1)
    assert Image.open(io.BytesIO(client.get(touch).get_data())).size == (180, 180)
    for name, size in {"icon-32.png": 32, "icon-192.png": 192, "icon-512.png": 512}.items():
        answer = client.get(f"/static/icons/{name}")
        assert answer.status_code == 200
        assert Image.open(io.BytesIO(answer.get_data())).size == (size, size)
