/* The city map: loads issues for the visible area from the bbox API as the user pans and zooms.
   At low zoom the server answers with clusters; markers are coloured and shaped by status.
   Everything here has a no-JavaScript alternative: the list view with the same filters. */
(function () {
  "use strict";
  var holder = document.querySelector("[data-issue-map]");
  if (!holder || !window.L) return;
  var map = window[holder.dataset.mapVar];
  if (!map) return;
  var form = document.getElementById(holder.dataset.filters);
  var listLink = document.getElementById("list-link");
  var status = document.getElementById("map-status");
  var markers = L.markerClusterGroup({ disableClusteringAtZoom: 18, showCoverageOnHover: false, maxClusterRadius: 40 });
  var clusters = L.layerGroup();
  map.addLayer(markers);
  map.addLayer(clusters);
  var pending = null;
  var timer = null;

  function filterParams() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) { if (value !== "") params.append(key, value); });
    return params;
  }

  function statusIcon(props) {
    return L.divIcon({
      className: "issue-marker issue-marker--" + props.status,
      html: '<span class="issue-marker__shape"></span>',
      iconSize: [26, 26],
      iconAnchor: [13, 13],
      popupAnchor: [0, -12]
    });
  }

  var ago = window.Intl && Intl.RelativeTimeFormat ? new Intl.RelativeTimeFormat(document.documentElement.lang || undefined, { numeric: "auto" }) : null;
  var AGE_UNITS = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400], ["hour", 3600], ["minute", 60]];

  function age(iso) {  // "3 days ago" in the page's language; the date itself where Intl cannot say it
    var seconds = (Date.parse(iso) - Date.now()) / 1000;
    if (!ago || isNaN(seconds)) return iso.slice(0, 10);
    for (var i = 0; i < AGE_UNITS.length; i++) {
      if (Math.abs(seconds) >= AGE_UNITS[i][1]) return ago.format(Math.round(seconds / AGE_UNITS[i][1]), AGE_UNITS[i][0]);
    }
    return ago.format(0, "second");  // "now"
  }

  function popup(props) {  // the list card's content: photo, title, place, age, status, votes
    var box = document.createElement("div");
    box.className = "issue-popup";
    var link = document.createElement("a");
    link.href = props.url;
    link.textContent = props.title;
    if (props.thumb) {
      var img = document.createElement("img");
      img.className = "issue-popup__thumb";
      img.src = props.thumb;
      img.alt = "";  // the title beside it says what it shows
      img.width = 160;
      img.height = 120;
      img.loading = "lazy";
      box.appendChild(img);
    }
    var title = document.createElement("strong");
    title.appendChild(link);
    var where = document.createElement("p");
    if (props.place) where.appendChild(document.createTextNode(props.place + " · "));
    var when = document.createElement("time");
    when.dateTime = props.created_at;
    when.textContent = age(props.created_at);
    where.appendChild(when);
    var meta = document.createElement("p");
    meta.textContent = props.category_label + " · " + props.status_label + " · " + props.upvotes + " " + holder.dataset.labelUpvotes;
    box.appendChild(title);
    box.appendChild(where);
    box.appendChild(meta);
    return box;
  }

  function clusterIcon(count) {
    var size = count < 10 ? 34 : count < 100 ? 42 : count < 1000 ? 50 : 58;
    return L.divIcon({ className: "issue-cluster", html: "<span>" + count + "</span>", iconSize: [size, size] });
  }

  function render(data) {
    markers.clearLayers();
    clusters.clearLayers();
    var single = [];
    data.features.forEach(function (feature) {
      var c = feature.geometry.coordinates;
      var latlng = L.latLng(c[1], c[0]);
      var props = feature.properties;
      if (props.cluster) {
        var label = holder.dataset.labelCluster.replace("{n}", props.count);
        L.marker(latlng, { icon: clusterIcon(props.count), title: label, alt: label, keyboard: true })
          .on("click", function () { map.setView(latlng, Math.min(map.getZoom() + 2, 18)); })
          .addTo(clusters);
      } else {
        single.push(L.marker(latlng, { icon: statusIcon(props), title: props.title, alt: props.title, keyboard: true })
          .bindPopup(popup(props)));
      }
    });
    markers.addLayers(single);
    status.textContent = countText(data.total);
  }

  // "N issues in this view": the count is of what the map shows, so it says so (plural forms from the page).
  var plurals = window.Intl && Intl.PluralRules ? new Intl.PluralRules(document.documentElement.lang || "en") : null;
  function countText(n) {
    var one = plurals ? plurals.select(n) === "one" : n === 1;
    return (one ? holder.dataset.labelCountOne : holder.dataset.labelCountOther).replace("{n}", n);
  }

  // The view and the filters live in the address (?lat=..&lon=..&zoom=..&category=..), so the address is a
  // link to this view; the server opens such a link at the same view. The report form's picker opens where
  // the reader was looking: the report link carries the view, and so does sessionStorage.
  var share = document.querySelector("[data-share-view]");
  var movedYet = false;
  function keepView(filters) {
    var centre = map.getCenter();
    var view = new URLSearchParams({ lat: centre.lat.toFixed(5), lon: centre.lng.toFixed(5), zoom: String(map.getZoom()) });
    var params = new URLSearchParams(filters);
    view.forEach(function (value, key) { params.set(key, value); });
    var url = location.pathname + "?" + params.toString();
    if (movedYet) history.replaceState(history.state, "", url);  // a first visit keeps its plain address
    movedYet = true;
    if (share) share.href = url;
    document.querySelectorAll("a[data-map-view-link]").forEach(function (link) {
      var target = new URL(link.href, location.href);
      view.forEach(function (value, key) { target.searchParams.set(key, value); });
      link.href = target.pathname + target.search;
    });
    try { sessionStorage.setItem("civic.mapView", view.toString()); } catch (e) { /* storage refused: links still carry it */ }
  }

  var copy = document.querySelector("[data-copy-view]");
  if (copy && share && navigator.clipboard) {
    var copied = document.querySelector("[data-copy-status]");
    copy.hidden = false;
    copy.addEventListener("click", function () {
      navigator.clipboard.writeText(share.href)
        .then(function () { copied.textContent = copied.dataset.copied; })
        .catch(function () { copied.textContent = copied.dataset.failed; });
    });
  }

  function load() {
    var params = filterParams();
    if (listLink) listLink.search = params.toString();
    keepView(params);
    params.set("bbox", map.getBounds().toBBoxString());
    params.set("zoom", String(map.getZoom()));
    if (pending) pending.abort();
    pending = new AbortController();
    status.textContent = holder.dataset.labelLoading;
    fetch(holder.dataset.api + "?" + params.toString(), { signal: pending.signal, headers: { Accept: "application/json" } })
      .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); })
      .then(render)
      .catch(function (error) { if (error.name !== "AbortError") status.textContent = holder.dataset.labelError; });
  }

  function soon() {
    clearTimeout(timer);
    timer = setTimeout(load, 200);
  }

  map.on("moveend", soon);
  form.addEventListener("change", soon);
  form.addEventListener("submit", function (event) {
    if (event.submitter && event.submitter.dataset.list !== undefined) return;
    event.preventDefault();
    load();
  });
  window.civicMap = { map: map, reload: load };  // used by the live updates
  load();
})();
