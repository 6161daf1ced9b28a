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
