"""A small Nominatim-compatible search server on 127.0.0.1, standing in for the city's geocoder.

It answers /search?q=... over real HTTP from a fixed table, records the queries it received,
and can be told to fail, so tests exercise the real client code end to end.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from tests.services import free_port

PLACES = {
    "1200 frankford ave": [{"lat": "39.9690", "lon": "-75.1345", "display_name": "1200 Frankford Ave, Philadelphia"}],
    "times square": [{"lat": "40.7580", "lon": "-73.9855", "display_name": "Times Square, New York"}],
}


class GeocoderServer:
    def __init__(self):
        self.queries: list[dict] = []
        self.fail = False
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # http.server's naming
                parts = urlsplit(self.path)
                params = {k: v[0] for k, v in parse_qs(parts.query).items()}
                server.queries.append(params)
                if server.fail or parts.path != "/search":
                    self.send_response(500 if server.fail else 404)
                    self.end_headers()
                    return
                body = json.dumps(PLACES.get(params.get("q", "").strip().lower(), [])).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/search"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def start(self):
        self._thread.start()

    def stop(self):
        self._httpd.shutdown()
        self._httpd.server_close()
