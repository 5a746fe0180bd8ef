/* Staff panel helpers: choosing a template fills the reply (editable), and changing the status suggests
   the department's matching template. Without JavaScript, "Use this template" reloads with it filled. */
(function () {
  "use strict";
  var select = document.getElementById("template");
  var body = document.getElementById("official-body");
  if (select && body) {
    var apply = document.querySelector("[data-template-apply]");
    if (apply) apply.hidden = true;
    select.addEventListener("change", function () {
      var option = select.options[select.selectedIndex];
      if (option && option.dataset.body) body.value = option.dataset.body;
    });
  }
  var form = document.querySelector("[data-status-form]");
  if (!form) return;
  var suggestions = JSON.parse(form.dataset.suggestions || "{}");
  var status = form.querySelector("select[name=status]");
  var reply = form.querySelector("textarea[name=reply]");
  var also = form.querySelector("input[name=also_reply]");
  if (!status || !reply) return;
  // The text this script put in the reply, if any: only that (or an empty box) may be replaced, so the
  // staff member's own words are never overwritten and one status's template never goes out with another.
  var inserted = null;
  status.addEventListener("change", function () {
    var ours = inserted !== null && reply.value === inserted;
    if (!ours && reply.value.trim()) return;
    var text = suggestions[status.value] || "";
    if (text) {
      reply.value = text;
      inserted = text;
      if (also) also.checked = true;
    } else if (ours) {
      reply.value = "";
      inserted = null;
      if (also) also.checked = false;
    }
  });
  // No suggestion on page load: the status shown is the current one, and nothing is posted unasked.
})();
