// Small helps on every form. Each form works without them; the server checks everything.
(function () {
  "use strict";
  var lang = document.documentElement.lang || undefined;

  function number(n) { return n.toLocaleString(lang); }

  // Character counters: "1,234 of 20,000 characters used." under each long field. Pasted
  // text is never cut; past the limit the counter says by how much, and the server refuses it.
  function counter(field) {
    var out = document.getElementById(field.id + "-count");
    var limit = parseInt(field.getAttribute("data-limit"), 10);
    if (!out || !limit) { return; }
    var timer = null;
    function update() {
      timer = null;
      var used = field.value.length;
      var over = used - limit;
      out.textContent = over > 0
        ? out.getAttribute("data-over").split("{over}").join(number(over))
        : out.getAttribute("data-text").split("{count}").join(number(used));
      out.classList.toggle("error", over > 0);
      out.hidden = false;
    }
    // At most one announcement every half second, however fast the typing.
    field.addEventListener("input", function () { if (!timer) { timer = setTimeout(update, 500); } });
    if (field.value.length) { update(); }
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-limit]"), counter);

  // "Keep my identity hidden" is offered only for the kinds of grievance that allow it.
  var hide = document.getElementById("hide_identity");
  var reason = document.getElementById("hide_identity-reason");
  if (hide && reason) {
    var radios = document.querySelectorAll("input[name=category][data-anonymous]");
    var sync = function () {
      var chosen = document.querySelector("input[name=category][data-anonymous]:checked");
      var refused = chosen && chosen.getAttribute("data-anonymous") === "no";
      hide.disabled = !!refused;
      if (refused) {
        hide.checked = false;
        var label = document.querySelector("label[for=" + chosen.id + "]");
        reason.textContent = reason.getAttribute("data-text")
          .split("{category}").join(label ? label.textContent.trim() : chosen.value);
      } else {
        reason.textContent = "";
      }
      reason.hidden = !refused;
    };
    Array.prototype.forEach.call(radios, function (r) { r.addEventListener("change", sync); });
    sync();
  }
}());

// Forms: the error summary takes focus, its links move focus to their field, and files over
// the upload limit are stopped before they are sent. Every form works without this script:
// the server checks the same limit and the summary has `autofocus`.
(function () {
  "use strict";

  function focusSummary(summary) {
    summary.focus();
    summary.scrollIntoView({ block: "start" });
  }

  var summary = document.getElementById("error-summary");
  if (summary && document.activeElement !== summary) { focusSummary(summary); }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest(".error-summary a[href^='#']") : null;
    var field = link ? document.getElementById(link.getAttribute("href").slice(1)) : null;
    if (!field) { return; }
    event.preventDefault();
    field.focus();
    field.scrollIntoView({ block: "center" });
  });

  // The summary this script shows looks and behaves like the one the server renders.
  function showSummary(form, message, fieldId) {
    var old = document.getElementById("error-summary");
    if (old) { old.parentNode.removeChild(old); }
    var box = document.createElement("div");
    box.className = "error-summary";
    box.id = "error-summary";
    box.setAttribute("role", "alert");
    box.setAttribute("tabindex", "-1");
    box.setAttribute("aria-labelledby", "error-summary-title");
    var title = document.createElement("h2");
    title.id = "error-summary-title";
    title.textContent = form.getAttribute("data-text-summary");
    var list = document.createElement("ul");
    var item = document.createElement("li");
    var link = document.createElement("a");
    link.href = "#" + fieldId;
    link.textContent = message;
    item.appendChild(link);
    list.appendChild(item);
    box.appendChild(title);
    box.appendChild(list);
    form.parentNode.insertBefore(box, form);
    focusSummary(box);
  }

  // As the server writes it: one decimal (services/evidence.py).
  function megabytes(bytes) { return (bytes / 1048576).toFixed(1); }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var limit = parseInt(form.getAttribute("data-max-upload-bytes") || "0", 10);
    if (!limit) { return; }
    var total = 0;
    var input = null;
    Array.prototype.forEach.call(form.querySelectorAll("input[type=file]"), function (each) {
      Array.prototype.forEach.call(each.files || [], function (file) { total += file.size; });
      if (each.files && each.files.length && !input) { input = each; }
    });
    if (total <= limit || !input) { return; }
    event.preventDefault();
    input.setAttribute("aria-invalid", "true");
    var message = form.getAttribute("data-text-too-large").split("{size}").join(megabytes(total));
    showSummary(form, message, input.id);
  });
}());
