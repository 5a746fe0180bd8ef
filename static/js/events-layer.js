/* The map's events layer: upcoming clean-ups in the visible area, on their own layer that a checkbox
   shows or hides. The same events are listed, without the map, on the events page. */
(function () {
  "use strict";
  var toggle = document.getElementById("show-events");
  if (!toggle || !window.L || !window.civicMap) return;
  var map = window.civicMap.map;
  var layer = L.layerGroup();
  var status = document.getElementById("events-status");
  var pending = null;

  function icon() {
    return L.divIcon({ className: "event-marker", html: '<span class="event-marker__shape"></span>',
                       iconSize: [28, 28], iconAnchor: [14, 14], popupAnchor: [0, -12] });
  }

  function popup(props) {
    var box = document.createElement("div");
    var title = document.createElement("strong");
    var link = document.createElement("a");
    link.href = props.url;
    link.textContent = props.title;
    title.appendChild(link);
    var meta = document.createElement("p");
    meta.textContent = props.starts + " · " + props.meeting_point;
    box.appendChild(title);
    box.appendChild(meta);
    if (props.places_left !== null) {
      var places = document.createElement("p");
      places.textContent = toggle.dataset.labelPlaces.replace("{n}", props.places_left);
      box.appendChild(places);
    }
    return box;
  }

  function load() {
    if (!toggle.checked) return;
    if (pending) pending.abort();
    pending = new AbortController();
    var params = new URLSearchParams({ bbox: map.getBounds().toBBoxString() });
    fetch(toggle.dataset.api + "?" + params.toString(), { signal: pending.signal, headers: { Accept: "application/json" } })
      .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); })
      .then(function (data) {
        layer.clearLayers();
        data.features.forEach(function (feature) {
          var c = feature.geometry.coordinates;
          var title = feature.properties.title;
          L.marker(L.latLng(c[1], c[0]), { icon: icon(), title: title, alt: title, keyboard: true, zIndexOffset: 1000 })
            .bindPopup(popup(feature.properties)).addTo(layer);
        });
        status.textContent = toggle.dataset.labelCount.replace("{n}", data.features.length);
      })
      .catch(function (error) { if (error.name !== "AbortError") status.textContent = toggle.dataset.labelError; });
  }

  function apply() {
    if (toggle.checked) {
      map.addLayer(layer);
      load();
    } else {
      map.removeLayer(layer);
      status.textContent = "";
    }
  }

  toggle.closest(".map-layers").hidden = false;  // only useful with the map, so shown by this script
  map.on("moveend", function () { if (toggle.checked) load(); });
  toggle.addEventListener("change", apply);
  apply();
})();
