"""The city's GeoReport XML is untrusted input: an answer that declares entities (the "billion laughs" kind) is
refused as not GeoReport, never expanded; plain GeoReport XML still reads."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from civic.city311.client import CityUnavailable, GeoReportClient

BOMB = (
    '<?xml version="1.0"?><!DOCTYPE services [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    "<services><service><service_code>&b;</service_code><service_name>Pothole</service_name></service>"
    "</services>"
)
PLAIN = (
    '<?xml version="1.0"?><services><service><service_code>POTHOLE</service_code>'
    "<service_name>Pothole</service_name></service></services>"
)


@pytest.fixture
def answering():
    """A city on 127.0.0.1 that answers every GET with the given XML body, over real HTTP."""
    servers = []

    def serve(body: str) -> GeoReportClient:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # http.server's naming
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return GeoReportClient(f"http://127.0.0.1:{server.server_address[1]}/open311/v2/", fmt="xml")

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


def test_xml_declaring_entities_is_refused_not_expanded(answering):
    with pytest.raises(CityUnavailable, match="not GeoReport XML"):
        answering(BOMB).services()


def test_plain_georeport_xml_still_reads(answering):
    services = answering(PLAIN).services()
    assert [(s["service_code"], s["service_name"]) for s in services] == [("POTHOLE", "Pothole")]
