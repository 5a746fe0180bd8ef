/* Staff panel helpers: choosing a template fills the reply (editable), and choosing a status suggests
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
  function suggest() {
    var text = suggestions[status.value];
    if (text && reply && !reply.value.trim()) {
      reply.value = text;
      if (also) also.checked = true;
    }
  }
  status.addEventListener("change", suggest);
  suggest();
})();
