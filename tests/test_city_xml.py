"""The city's GeoReport XML is untrusted input: an answer that declares entities (the "billion laughs" kind) is
refused as not GeoReport, never expanded; plain GeoReport XML still reads."""

from __future__ import annotations

import httpx
import pytest

from civic.city311 import client as city_client
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


def answering(monkeypatch, body: str) -> GeoReportClient:
    def request(method, url, **kwargs):
        return httpx.Response(200, text=body, request=httpx.Request(method, url))

    monkeypatch.setattr(city_client.httpx, "request", request)
    return GeoReportClient("http://city.test/open311/v2/", fmt="xml")


def test_xml_declaring_entities_is_refused_not_expanded(monkeypatch):
    with pytest.raises(CityUnavailable, match="not GeoReport XML"):
        answering(monkeypatch, BOMB).services()


def test_plain_georeport_xml_still_reads(monkeypatch):
    services = answering(monkeypatch, PLAIN).services()
    assert [(s["service_code"], s["service_name"]) for s in services] == [("POTHOLE", "Pothole")]
