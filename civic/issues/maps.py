"""Maps built with folium: the city map (home page), an issue's map, and the report form's pin picker.

folium sets up Leaflet, the tile layer and controls; our static/js/*.js finds each map by its stable
variable name (`map_<name>`) and adds behaviour (loading issues by bbox, placing the pin). Only folium's
map div and script are used: its page header would bring global styles and a zoom-blocking viewport.
Leaflet itself is loaded from static/vendor by templates/_map_assets.html, and with it static/js/basemap.js,
which draws the neighbourhood outlines and names on every map (civic/issues/boundaries.py) and takes over
when the tiles fail.

Building a folium map costs milliseconds (it searches the tile provider catalogue and compiles its
templates on each render), more than the rest of an issue page: each kind of map is rendered once per
process at a placeholder position, and pages get a copy with their coordinates put in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

import folium
from flask import current_app
from markupsafe import Markup

from civic.geo import geocoding
from civic.security import csp_nonce

CITY_ZOOM = 12
NEIGHBOURHOOD_ZOOM = 14  # a view this close is about a place: the picker opened from it goes to street level
STREET_ZOOM = 17


@dataclass(frozen=True)
class MapParts:
    name: str
    html: Markup
    script: Markup


def city_centre() -> tuple[float, float]:
    min_lon, min_lat, max_lon, max_lat = geocoding.city_bounds()
    return round((min_lat + max_lat) / 2, 5), round((min_lon + max_lon) / 2, 5)


# A position no real map uses, replaced in the rendered markup by the page's own.
_PLACEHOLDER = (-87.654321012345, -176.54321012345)


def base_map(name: str, centre: tuple[float, float], zoom: int) -> folium.Map:
    """A folium map with the city's tiles, for maps that add their own layers (the equity dashboard)."""
    cfg = current_app.config
    return _folium_map(name, centre, zoom, cfg["TILE_URL"], cfg["TILE_ATTRIBUTION"])


def _folium_map(name: str, centre: tuple[float, float], zoom: int, tiles: str, attribution: str) -> folium.Map:
    fmap = folium.Map(location=list(centre), zoom_start=zoom, tiles=None, control_scale=True, max_zoom=19, min_zoom=10)
    fmap._name, fmap._id = "map", name  # the JS variable becomes map_<name>
    folium.TileLayer(tiles=tiles, attr=attribution, max_zoom=19, max_native_zoom=19).add_to(fmap)
    return fmap


def _render(fmap: folium.Map) -> tuple[str, str]:
    root = fmap.get_root()
    root.render()
    return root.html.render(), root.script.render()  # type: ignore[attr-defined]  # a Map's root is a Figure


def parts(fmap: folium.Map, name: str) -> MapParts:
    return _as_parts(name, *_render(fmap))


def _as_parts(name: str, html: str, script: str) -> MapParts:
    return MapParts(
        name=f"map_{name}",
        html=Markup(html),  # noqa: S704 - folium's own markup, no user text in it
        script=Markup(f'<script nonce="{csp_nonce()}">{script}</script>'),  # noqa: S704 - folium's own script, with our nonce
    )


@lru_cache(maxsize=64)  # each kind of map at each zoom it opens at
def _rendered(name: str, zoom: int, marker: bool, tiles: str, attribution: str) -> tuple[str, str]:
    """folium's map div and script for this kind of map, at the placeholder position."""
    fmap = _folium_map(name, _PLACEHOLDER, zoom, tiles, attribution)
    if marker:
        folium.CircleMarker(
            location=list(_PLACEHOLDER),
            radius=10,
            color="#08476b",
            weight=3,
            fill=True,
            fill_color="#0b5c8a",
            fill_opacity=0.6,
        ).add_to(fmap)
    return _render(fmap)


def _parts(name: str, centre: tuple[float, float], zoom: int, *, marker: bool = False) -> MapParts:
    cfg = current_app.config
    html, script = _rendered(name, zoom, marker, cfg["TILE_URL"], cfg["TILE_ATTRIBUTION"])
    for placeholder, value in zip(_PLACEHOLDER, centre, strict=True):
        script = script.replace(json.dumps(placeholder), json.dumps(float(value)))
    return _as_parts(name, html, script)


def city_map(centre: tuple[float, float] | None = None, zoom: int | None = None) -> MapParts:
    return _parts("city", centre or city_centre(), zoom or CITY_ZOOM)


def issue_map(lat: float, lon: float) -> MapParts:
    return _parts("issue", (lat, lon), STREET_ZOOM, marker=True)


@dataclass(frozen=True)
class PickerStart:
    """Where the report form's picker opens, and why: "pin" (the form's own point), "home" (the reader's),
    "view" (the map the reader came from) or "city" (nothing known: the city, zoomed out)."""

    centre: tuple[float, float]
    zoom: int
    source: str


def picker_start(
    lat: float | None,
    lon: float | None,
    home: tuple[float, float] | None = None,
    view: tuple[float, float, int] | None = None,
) -> PickerStart:
    if lat is not None and lon is not None:
        return PickerStart((lat, lon), STREET_ZOOM, "pin")
    if home is not None:
        return PickerStart(home, STREET_ZOOM, "home")
    if view is not None:
        v_lat, v_lon, v_zoom = view
        return PickerStart((v_lat, v_lon), STREET_ZOOM if v_zoom >= NEIGHBOURHOOD_ZOOM else v_zoom, "view")
    return PickerStart(city_centre(), CITY_ZOOM + 1, "city")


def picker_map(
    lat: float | None,
    lon: float | None,
    home: tuple[float, float] | None = None,
    view: tuple[float, float, int] | None = None,
) -> MapParts:
    return picker_parts(picker_start(lat, lon, home, view))


def picker_parts(start: PickerStart) -> MapParts:
    return _parts("picker", start.centre, start.zoom)
