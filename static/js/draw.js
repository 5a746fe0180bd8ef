/* Draw a followed area: each tap on the map adds a corner; the polygon goes into the hidden `shape`
   field as [[lon, lat], ...]. The neighbourhood and distance options work without this. */
(function () {
  "use strict";
  var holder = document.querySelector("[data-draw-shape]");
  if (!holder || !window.L) return;
  var map = window[holder.dataset.mapVar];
  var input = document.getElementById(holder.dataset.shapeInput);
  var status = holder.querySelector("[data-shape-status]");
  var points = [];
  var outline = L.polygon([], { color: "#0b5c8a" }).addTo(map);

  function update() {
    outline.setLatLngs(points);
    input.value = points.length >= 3 ? JSON.stringify(points.map(function (p) { return [p.lng, p.lat]; })) : "";
    status.textContent = points.length + " " + holder.dataset.points;
    if (points.length >= 3) {
      var shapeOption = document.querySelector("input[name=kind][value=shape]");
      if (shapeOption) shapeOption.checked = true;
    }
  }
  map.on("click", function (event) { points.push(event.latlng); update(); });
  holder.querySelector("[data-clear-shape]").addEventListener("click", function () { points = []; update(); });
})();
