/* The "Print" button of a printable page (templates/issues/summary.html): opens the browser's print dialogue. */
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
