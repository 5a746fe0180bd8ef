/* Follow an area: show only the chosen way's fields (a distance of a point, a neighbourhood, a drawn shape),
   and draw what is being set on the map — the circle as its centre and distance change, the shape as each
   tap adds a corner (into the hidden `shape` field as [[lon, lat], ...]). Without JavaScript every field
   shows and the neighbourhood and distance ways work; only drawing needs the map. */
(function () {
  "use strict";
  var form = document.getElementById("area-form");
  if (!form) return;
  var radios = form.querySelectorAll("input[name=kind]");
  var sections = form.querySelectorAll("[data-area-kind]");
  var holder = form.querySelector("[data-area-map]");
  var map = holder && window.L ? window[holder.dataset.mapVar] : null;
  var lat = form.querySelector("input[name=lat]");
  var lon = form.querySelector("input[name=lon]");
  var radius = form.querySelector("select[name=radius_m]");
  var circle = null, outline = null, points = [];

  function kind() {
    var chosen = form.querySelector("input[name=kind]:checked");
    return chosen ? chosen.value : "circle";
  }

  function drawCircle(pan) {
    if (!map) return;
    var la = parseFloat(lat.value), lo = parseFloat(lon.value), metres = parseInt(radius.value, 10);
    if (!isFinite(la) || !isFinite(lo) || !isFinite(metres)) { if (circle) circle.remove(); circle = null; return; }
    if (!circle) circle = L.circle([la, lo], { radius: metres, color: "#0b5c8a", weight: 2 }).addTo(map);
    circle.setLatLng([la, lo]).setRadius(metres);
    if (pan) map.fitBounds(circle.getBounds(), { maxZoom: 17 });
  }

  function drawShape() {
    if (!map) return;
    if (!outline) outline = L.polygon([], { color: "#0b5c8a" }).addTo(map);
    outline.setLatLngs(points);
    form.querySelector("#" + holder.dataset.shapeInput).value =
      points.length >= 3 ? JSON.stringify(points.map(function (p) { return [p.lng, p.lat]; })) : "";
    form.querySelector("[data-shape-status]").textContent = points.length + " " + holder.dataset.points;
  }

  function show() {
    var current = kind();
    sections.forEach(function (section) {
      section.hidden = section.dataset.areaKind.split(" ").indexOf(current) === -1;
    });
    if (map) {
      map.invalidateSize();
      if (circle) circle.setStyle({ opacity: current === "circle" ? 1 : 0, fillOpacity: current === "circle" ? 0.2 : 0 });
      if (outline) outline.setStyle({ opacity: current === "shape" ? 1 : 0, fillOpacity: current === "shape" ? 0.2 : 0 });
      if (current === "circle") drawCircle(true);
    }
  }

  radios.forEach(function (radio) { radio.addEventListener("change", show); });
  [lat, lon, radius].forEach(function (input) { input.addEventListener("change", function () { drawCircle(true); }); });
  if (map) {
    map.on("click", function (event) {
      if (kind() === "circle") {
        lat.value = event.latlng.lat.toFixed(6);
        lon.value = event.latlng.lng.toFixed(6);
        drawCircle(false);
      } else if (kind() === "shape") {
        points.push(event.latlng);
        drawShape();
      }
    });
    form.querySelector("[data-clear-shape]").addEventListener("click", function () { points = []; drawShape(); });
  }
  show();
})();
