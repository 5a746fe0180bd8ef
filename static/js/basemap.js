/* The base layer under every map: the city's neighbourhood outlines and their names.
   With street tiles they show at city zoom only (zoom 14 and out), faint, so the reader knows where they are;
   when the tiles fail (no internet, a city intranet, the tile server down) they show at every zoom, in a
   clear colour over a plain background, and a notice below the map says why there are no streets.
   Loaded by templates/_map_assets.html right after folium's map script; its settings are the script tag's
   data- attributes. The outlines come from one cacheable file, fetched once per page, with the credit their
   licence asks for (shown in the map's attribution while they are drawn). */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!window.L || !script) return;
  var config = script.dataset;
  var CITY_ZOOM_MAX = 14;       // with tiles, outlines and names from this zoom out
  var ERRORS_BEFORE_FALLBACK = 3; // this many failed tiles in a row: the street map is unavailable
  var NO_TILES_AFTER_MS = 12000;  // or a tile server that never answers
  var request = null;

  function boundaries() {
    if (!request) {
      request = fetch(config.boundaries, { headers: { Accept: "application/geo+json" } })
        .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); });
    }
    return request;
  }

  function labelIcon(name) {
    var text = document.createElement("span");
    text.textContent = name;
    return L.divIcon({ className: "hood-label", html: text, iconSize: null });
  }

  function attach(map, container) {
    var frame = container.closest(".map-frame") || container;
    var notice = document.createElement("p");
    notice.className = "map-notice";
    notice.setAttribute("role", "status");  // present (empty) from the start, so the change is announced
    frame.insertAdjacentElement("afterend", notice);

    map.createPane("civic-outlines").style.zIndex = 350;  // above the tiles, below issue markers and drawings
    var labelPane = map.createPane("civic-labels");
    labelPane.style.zIndex = 450;
    labelPane.style.pointerEvents = "none";  // a tap on a name still places the pin or opens a marker
    labelPane.setAttribute("aria-hidden", "true");  // names for the eye; pages say where things are in words

    var offline = false;
    var outlines = null;
    var places = [];
    var labels = L.layerGroup([], { pane: "civic-labels" });

    function style() {
      return offline
        ? { color: "#4b2a7b", weight: 2, opacity: 0.9, fill: true, fillColor: "#ffffff", fillOpacity: 0.35 }
        : { color: "#4b2a7b", weight: 1.5, opacity: 0.55, fill: false };
    }

    function inside(rings, x, y) {  // even-odd rule over a polygon's rings, [lon, lat] pairs
      var hit = false;
      rings.forEach(function (ring) {
        for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
          var a = ring[i], b = ring[j];
          if ((a[1] > y) !== (b[1] > y) && x < (b[0] - a[0]) * (y - a[1]) / (b[1] - a[1]) + a[0]) hit = !hit;
        }
      });
      return hit;
    }

    function contains(geometry, latlng) {
      var polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
      return polygons.some(function (rings) { return inside(rings, latlng.lng, latlng.lat); });
    }

    // Where a name goes: its usual point when in view; zoomed in past it, a spot of the outline that is in view
    // (points of a grid over the view, nearest its top middle first).
    function spotFor(place, view, grid) {
      if (view.contains(place.latlng)) return place.latlng;
      if (!view.intersects(place.bounds)) return null;
      for (var i = 0; i < grid.length; i++) if (contains(place.geometry, grid[i])) return grid[i];
      return null;
    }

    function viewGrid() {
      var size = map.getSize(), points = [];
      for (var gx = 1; gx < 6; gx++) for (var gy = 1; gy < 6; gy++) points.push(L.point(size.x * gx / 6, size.y * gy / 6));
      var top = L.point(size.x / 2, size.y / 6);  // a name near the top, clear of the pin in the middle
      points.sort(function (a, b) { return a.distanceTo(top) - b.distanceTo(top); });
      return points.map(function (p) { return map.containerPointToLatLng(p); });
    }

    // Names largest neighbourhood first; one that would overlap a name already placed waits for a closer zoom.
    function placeLabels() {
      labels.clearLayers();
      var size = map.getSize();
      var view = map.getBounds();
      var grid = viewGrid();
      var frame = container.getBoundingClientRect();
      var taken = Array.prototype.map.call(container.querySelectorAll(".leaflet-control"), function (control) {
        var r = control.getBoundingClientRect();  // zoom buttons, scale, credits: no name under them
        return { x1: r.left - frame.left, y1: r.top - frame.top, x2: r.right - frame.left, y2: r.bottom - frame.top };
      });
      places.forEach(function (place) {
        var spot = spotFor(place, view, grid);
        if (!spot) return;
        var p = map.latLngToContainerPoint(spot);
        var w = place.name.length * 7 + 12, h = 20;
        var box = { x1: p.x - w / 2 - 4, y1: p.y - h / 2 - 2, x2: p.x + w / 2 + 4, y2: p.y + h / 2 + 2 };
        if (box.x1 < 0 || box.y1 < 0 || box.x2 > size.x || box.y2 > size.y) return;
        for (var i = 0; i < taken.length; i++) {
          var t = taken[i];
          if (box.x1 < t.x2 && box.x2 > t.x1 && box.y1 < t.y2 && box.y2 > t.y1) return;
        }
        taken.push(box);
        labels.addLayer(L.marker(spot, {
          icon: labelIcon(place.name), pane: "civic-labels", interactive: false, keyboard: false
        }));
      });
    }

    function update() {
      if (!outlines) return;
      var show = offline || map.getZoom() <= CITY_ZOOM_MAX;
      if (!show) {
        map.removeLayer(outlines);
        map.removeLayer(labels);
        return;
      }
      outlines.setStyle(style());
      if (!map.hasLayer(outlines)) outlines.addTo(map);
      if (!map.hasLayer(labels)) labels.addTo(map);
      placeLabels();
    }

    function setOffline(value) {
      if (offline === value) return;
      offline = value;
      container.classList.toggle("civic-map--no-tiles", value);
      notice.textContent = value ? config.notice : "";
      update();
    }

    boundaries().then(function (data) {
      outlines = L.geoJSON(data, { pane: "civic-outlines", interactive: false, style: style, attribution: config.attribution || data.attribution });  // the page's, in the reader's language
      places = [];
      outlines.eachLayer(function (layer) {
        var f = layer.feature;
        places.push({
          name: f.properties.name, area: f.properties.area, geometry: f.geometry, bounds: layer.getBounds(),
          latlng: L.latLng(f.properties.label[1], f.properties.label[0])
        });
      });
      places.sort(function (a, b) { return b.area - a.area; });
      update();
    }).catch(function () {});  // no outlines: the map works as before
    map.on("moveend", update);

    var tiles = null;
    map.eachLayer(function (layer) { if (layer instanceof L.TileLayer) tiles = layer; });
    if (!tiles) { setOffline(true); return; }
    // Failed tiles in a row, none loaded between them: the street map is gone (or never came). A tile that
    // loads brings it back (a phone back in coverage).
    var everLoaded = false, failedInARow = 0;
    Object.keys(tiles._tiles || {}).forEach(function (key) {  // tiles may have answered before this script ran
      var tile = tiles._tiles[key];
      if (!tile.loaded) return;
      if (tile.el.classList.contains("leaflet-tile-loaded")) { everLoaded = true; failedInARow = 0; } else failedInARow++;
    });
    function check() { if (failedInARow >= ERRORS_BEFORE_FALLBACK) setOffline(true); }
    tiles.on("tileload", function () { everLoaded = true; failedInARow = 0; setOffline(false); });
    tiles.on("tileerror", function () { failedInARow++; check(); });
    check();
    setTimeout(function () { if (!everLoaded) setOffline(true); }, NO_TILES_AFTER_MS);
  }

  // Leaflet's zoom buttons say "Zoom in"/"Zoom out" in English whatever the page's language.
  function translateControls(container) {
    [["in", config.zoomIn], ["out", config.zoomOut]].forEach(function (pair) {
      var button = container.querySelector(".leaflet-control-zoom-" + pair[0]);
      if (button && pair[1]) { button.title = pair[1]; button.setAttribute("aria-label", pair[1]); }
    });
  }

  document.querySelectorAll(".folium-map").forEach(function (container) {
    var map = window[container.id];
    if (map && map instanceof L.Map) { attach(map, container); translateControls(container); }
  });
})();
