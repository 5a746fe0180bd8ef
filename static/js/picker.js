/* The report form's pin: tap or click the map to place it, drag to adjust, or use the device's
   location; the latitude/longitude fields stay the source of truth (they work without the map).
   When a pin and a category are set, open issues of that kind within 100 m are offered for a vote. */
(function () {
  "use strict";
  var holder = document.querySelector("[data-pin-picker]");
  if (!holder || !window.L) return;
  var map = window[holder.dataset.mapVar];
  if (!map) return;
  var lat = document.getElementById(holder.dataset.lat);
  var lon = document.getElementById(holder.dataset.lon);
  var category = document.getElementById(holder.dataset.category);
  var region = document.getElementById("duplicates");
  var seen = document.querySelector("input[name=duplicates_seen]");
  var csrf = document.querySelector("meta[name=csrf-token]").content;
  var marker = null;

  function setFields(latlng) {
    lat.value = latlng.lat.toFixed(6);
    lon.value = latlng.lng.toFixed(6);
    checkDuplicates();
  }

  function place(latlng, pan) {
    if (!marker) {
      marker = L.marker(latlng, { draggable: true, keyboard: true, title: holder.dataset.pinTitle, alt: holder.dataset.pinTitle });
      marker.on("dragend", function () { setFields(marker.getLatLng()); announce(); });
      marker.addTo(map);
      L.DomEvent.on(marker.getElement(), "keydown", movePinByKey);
    } else {
      marker.setLatLng(latlng);
    }
    if (pan) map.setView(latlng, Math.max(map.getZoom(), 17));
    setFields(latlng);
    showZoomHint();
  }

  map.on("click", function (event) { place(event.latlng, false); });

  // Keyboard: on the focused pin the arrow keys move the pin (10 px, or 1 px with Shift); they never reach
  // Leaflet's own handler, which pans the map while the map itself has the focus. Enter on the map drops the pin
  // in its middle. Moves are announced once the keys rest.
  var ARROWS = { ArrowUp: [0, -1], ArrowDown: [0, 1], ArrowLeft: [-1, 0], ArrowRight: [1, 0] };
  var announcer = document.querySelector("[data-pin-announce]");
  var keysTimer = null;
  function movePinByKey(event) {
    var direction = ARROWS[event.key];
    if (!direction || event.altKey || event.ctrlKey || event.metaKey) return;
    L.DomEvent.stop(event);
    var step = event.shiftKey ? 1 : 10;
    var point = map.latLngToContainerPoint(marker.getLatLng()).add(L.point(direction[0] * step, direction[1] * step));
    var latlng = map.containerPointToLatLng(point);
    marker.setLatLng(latlng);
    if (!map.getBounds().pad(-0.15).contains(latlng)) map.panTo(latlng);
    lat.value = latlng.lat.toFixed(6);
    lon.value = latlng.lng.toFixed(6);
    clearTimeout(keysTimer);
    keysTimer = setTimeout(function () { announce(); checkDuplicates(); }, 400);
  }
  function announce() {
    if (!announcer || !holder.dataset.pinMoved) return;  // the event form's picker has no announcer
    announcer.textContent = holder.dataset.pinMoved.replace("{lat}", lat.value).replace("{lon}", lon.value);
  }
  map.getContainer().addEventListener("keydown", function (event) {
    if (event.target !== map.getContainer() || event.key !== "Enter") return;
    event.preventDefault();
    place(map.getCenter(), false);
    marker.getElement().focus();
    announce();
  });
  var keysHint = document.querySelector("[data-pin-keys]");
  if (keysHint) keysHint.hidden = false;

  // Zoomed out, a tap is a street or two wide: say so until the pin is down.
  var zoomHint = document.querySelector("[data-zoom-hint]");
  function showZoomHint() {
    if (zoomHint) zoomHint.hidden = !!marker || map.getZoom() >= 15;
  }
  map.on("zoomend", showZoomHint);

  // Nothing said where to open (no pin, no home, no view in the link): the home map's last view, if any.
  if (holder.dataset.viewSource === "city") {
    var stored = new URLSearchParams();
    try { stored = new URLSearchParams(sessionStorage.getItem("civic.mapView") || ""); } catch (e) { /* no storage */ }
    var was = { lat: parseFloat(stored.get("lat")), lon: parseFloat(stored.get("lon")), zoom: parseInt(stored.get("zoom"), 10) };
    if (Number.isFinite(was.lat) && Number.isFinite(was.lon) && Number.isFinite(was.zoom)) {
      map.setView([was.lat, was.lon], was.zoom >= 14 ? 17 : was.zoom, { animate: false });
    }
  }
  showZoomHint();

  function fromFields() {
    var la = parseFloat(lat.value), lo = parseFloat(lon.value);
    if (isFinite(la) && isFinite(lo)) place(L.latLng(la, lo), true);
  }
  lat.addEventListener("change", fromFields);
  lon.addEventListener("change", fromFields);
  if (category) category.addEventListener("change", checkDuplicates);

  // The city's extra questions: show only those of the chosen category (all show without JavaScript).
  function showCityQuestions() {
    if (!category) return;
    document.querySelectorAll("[data-for-category]").forEach(function (block) {
      var mine = block.dataset.forCategory === category.value;
      block.hidden = !mine;
      block.querySelectorAll("select, input").forEach(function (el) { el.disabled = !mine; });
    });
  }
  if (category) category.addEventListener("change", showCityQuestions);
  showCityQuestions();
  if (lat.value && lon.value) fromFields();

  var locate = document.querySelector("[data-locate-pin]");
  if (locate && "geolocation" in navigator) {
    locate.hidden = false;
    var status = locate.querySelector("[data-locate-status]");
    locate.querySelector("button").addEventListener("click", function () {
      status.textContent = status.dataset.working;
      navigator.geolocation.getCurrentPosition(
        function (position) {
          status.textContent = "";
          place(L.latLng(position.coords.latitude, position.coords.longitude), true);
        },
        function () { status.textContent = status.dataset.failed; },
        { enableHighAccuracy: true, timeout: 15000 }
      );
    });
  }

  var finder = document.querySelector("[data-find-address]");
  var address = document.getElementById("address");
  if (finder && address) {
    finder.hidden = false;
    var findStatus = finder.querySelector("[data-find-status]");
    finder.querySelector("button").addEventListener("click", function () {
      if (address.value.trim().length < 3) { address.focus(); return; }
      fetch(finder.dataset.api + "?" + new URLSearchParams({ q: address.value }).toString(), { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : []; })
        .then(function (places) {
          if (!places.length) { findStatus.textContent = finder.dataset.none; return; }
          findStatus.textContent = finder.dataset.placed + " " + places[0].label;
          place(L.latLng(places[0].lat, places[0].lon), true);
        })
        .catch(function () { findStatus.textContent = finder.dataset.none; });
    });
  }

  function vote(issueId, button, count) {
    button.disabled = true;
    fetch(holder.dataset.upvote.replace("/0/", "/" + issueId + "/"), {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
      body: JSON.stringify({ upvoted: true })
    })
      .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); })
      .then(function (data) {
        button.textContent = region.dataset.voted;
        button.setAttribute("aria-label", region.dataset.voted + ": " + button.dataset.title);
        count.textContent = data.upvotes + " " + region.dataset.upvotes;
      })
      .catch(function () { button.disabled = false; });
  }

  function show(features) {
    region.replaceChildren();
    if (!features.length) { region.hidden = true; return; }
    var heading = document.createElement("h2");
    heading.id = "duplicates-heading";
    heading.textContent = region.dataset.heading;
    var intro = document.createElement("p");
    intro.textContent = region.dataset.intro;
    var list = document.createElement("ul");
    features.forEach(function (feature) {
      var p = feature.properties;
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = p.url;
      link.textContent = p.title;
      var details = document.createElement("span");
      details.textContent = " — " + p.distance_m + " " + region.dataset.metres + ", ";
      var count = document.createElement("span");
      count.textContent = p.upvotes + " " + region.dataset.upvotes;
      if (p.mine) {  // one's own report already counts: a vote would be refused
        var own = document.createElement("span");
        own.className = "hint";
        own.textContent = region.dataset.mine;
        item.append(link, details, count, " · ", own);
        list.appendChild(item);
        return;
      }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button button--small";
      button.dataset.title = p.title;
      button.textContent = p.upvoted ? region.dataset.voted : region.dataset.vote;
      button.setAttribute("aria-label", button.textContent + ": " + p.title);
      button.disabled = p.upvoted;
      button.addEventListener("click", function () { vote(p.id, button, count); });
      item.append(link, details, count, " ", button);
      list.appendChild(item);
    });
    region.append(heading, intro, list);
    region.hidden = false;
    seen.value = "1";  // the reporter has seen them: sending the form reports a new issue
  }

  var pending = null;
  function checkDuplicates() {
    if (!category || !region || !lat.value || !lon.value || !category.value) return;
    var params = new URLSearchParams({ lat: lat.value, lon: lon.value, category_id: category.value });
    if (pending) pending.abort();
    pending = new AbortController();
    fetch(holder.dataset.nearby + "?" + params.toString(), { signal: pending.signal, headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { features: [] }; })
      .then(function (data) { show(data.features); })
      .catch(function () {});
  }
})();
