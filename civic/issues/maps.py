"""Maps built with folium: the city map (home page), an issue's map, and the report form's pin picker.

folium sets up Leaflet, the tile layer and controls; our static/js/*.js finds each map by its stable
variable name (`map_<name>`) and adds behaviour (loading issues by bbox, placing the pin). Only folium's
map div and script are used: its page header would bring global styles and a zoom-blocking viewport.
Leaflet itself is loaded from static/vendor by templates/_map_assets.html.
"""
from __future__ import annotations

from dataclasses import dataclass

import folium
from flask import current_app
from markupsafe import Markup

from civic.geo import neighbourhoods
from civic.security import csp_nonce

CITY_ZOOM = 12
STREET_ZOOM = 17


@dataclass(frozen=True)
class MapParts:
    name: str
    html: Markup
    script: Markup


def city_centre() -> tuple[float, float]:
    bounds = [h.geometry.bounds for h in neighbourhoods.all_neighbourhoods()]
    min_lon, min_lat = min(b[0] for b in bounds), min(b[1] for b in bounds)
    max_lon, max_lat = max(b[2] for b in bounds), max(b[3] for b in bounds)
    return round((min_lat + max_lat) / 2, 5), round((min_lon + max_lon) / 2, 5)


def _base_map(name: str, centre: tuple[float, float], zoom: int) -> folium.Map:
    fmap = folium.Map(location=list(centre), zoom_start=zoom, tiles=None, control_scale=True,
                      max_zoom=19, min_zoom=10)
    fmap._name, fmap._id = "map", name  # the JS variable becomes map_<name>
    folium.TileLayer(
        tiles=current_app.config["TILE_URL"],
        attr=current_app.config["TILE_ATTRIBUTION"],
        max_zoom=19,
        max_native_zoom=19,
    ).add_to(fmap)
    return fmap


def _parts(fmap: folium.Map, name: str) -> MapParts:
    root = fmap.get_root()
    root.render()
    script = root.script.render()
    return MapParts(
        name=f"map_{name}",
        html=Markup(root.html.render()),  # noqa: S704 - folium's own markup, no user text in it
        script=Markup(f'<script nonce="{csp_nonce()}">{script}</script>'),  # noqa: S704
    )


def city_map(centre: tuple[float, float] | None = None, zoom: int | None = None) -> MapParts:
    return _parts(_base_map("city", centre or city_centre(), zoom or CITY_ZOOM), "city")


def issue_map(lat: float, lon: float) -> MapParts:
    fmap = _base_map("issue", (lat, lon), STREET_ZOOM)
    folium.CircleMarker(location=[lat, lon], radius=10, color="#08476b", weight=3, fill=True,
                        fill_color="#0b5c8a", fill_opacity=0.6).add_to(fmap)
    return _parts(fmap, "issue")


def picker_map(lat: float | None, lon: float | None) -> MapParts:
    if lat is not None and lon is not None:
        return _parts(_base_map("picker", (lat, lon), STREET_ZOOM), "picker")
    return _parts(_base_map("picker", city_centre(), CITY_ZOOM + 1), "picker")
