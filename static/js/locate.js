/* "Use my current location": fills the latitude/longitude fields from the device, where it can.
   Progressive enhancement: the button exists only when JavaScript and geolocation do. */
(function () {
  "use strict";
  document.querySelectorAll("[data-locate]").forEach(function (holder) {
    if (!("geolocation" in navigator)) return;
    var lat = document.getElementById(holder.dataset.lat);
    var lon = document.getElementById(holder.dataset.lon);
    var status = holder.querySelector("[data-locate-status]");
    var button = holder.querySelector("button");
    holder.hidden = false;
    button.addEventListener("click", function () {
      status.textContent = holder.dataset.working;
      navigator.geolocation.getCurrentPosition(
        function (position) {
          lat.value = position.coords.latitude.toFixed(6);
          lon.value = position.coords.longitude.toFixed(6);
          status.textContent = holder.dataset.done;
        },
        function () { status.textContent = holder.dataset.failed; },
        { enableHighAccuracy: true, timeout: 15000 }
      );
    });
  });
})();
