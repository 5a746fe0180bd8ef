/* The staff update form: choosing a template fills the reply (editable), changing the status suggests the
   department's matching template, and a preview shows what will be posted. Without JavaScript, "Use this
   template" reloads with it filled, and the text box is the preview. */
(function () {
  "use strict";
  var apply = document.querySelector("[data-template-apply]");
  if (apply) apply.hidden = true;
  var picker = document.getElementById("template");
  var form = document.querySelector("[data-status-form]");
  var reply = picker ? document.getElementById(picker.dataset.target) : null;
  if (form) reply = form.querySelector("textarea[name=reply]");
  if (!reply) return;
  var status = form && form.querySelector("select[name=status]");
  var also = form && form.querySelector("input[name=also_reply]");
  var preview = form && form.querySelector("[data-reply-preview]");
  var suggestions = form ? JSON.parse(form.dataset.suggestions || "{}") : {};
  // What readers in the staff member's language see of a template posted unchanged (a note where it is not
  // translated); any other text is posted, and shown, as written.
  var previews = form ? JSON.parse(form.dataset.previews || "{}") : {};
  // The text this script put in the reply, if any: only that (or an empty box) may be replaced, so the
  // staff member's own words are never overwritten and one status's template never goes out with another.
  var inserted = null;

  function showPreview() {
    if (!preview) return;
    var text = reply.value.trim();
    preview.hidden = false;
    preview.textContent = "";
    if (text && (!also || also.checked)) {
      var label = document.createElement("strong");
      label.textContent = preview.dataset.label;
      preview.appendChild(label);
      var shown = Object.prototype.hasOwnProperty.call(previews, text) ? previews[text] : text;
      preview.appendChild(document.createTextNode(" " + shown));
    } else {
      preview.textContent = preview.dataset.none;
    }
  }

  function insert(text) {
    reply.value = text;
    inserted = text || null;
    if (also) also.checked = Boolean(text);
    showPreview();
  }

  if (picker) {
    picker.addEventListener("change", function () {
      var option = picker.options[picker.selectedIndex];
      if (option && option.dataset.body) insert(option.dataset.body);
    });
  }
  if (status) {
    // No suggestion on page load: the status shown is the current one, and nothing is posted unasked.
    status.addEventListener("change", function () {
      var ours = inserted !== null && reply.value === inserted;
      if (!ours && reply.value.trim()) return;
      var text = suggestions[status.value] || "";
      if (text || ours) insert(text);
    });
  }
  reply.addEventListener("input", showPreview);
  if (also) also.addEventListener("change", showPreview);
  showPreview();
})();
