// Suggestions while a member types their grievance. The form works without this.
(function () {
  "use strict";
  var form = document.getElementById("filing-form");
  if (!form || !window.fetch) { return; }
  var hint = document.getElementById("triage-hint");
  var token = form.querySelector("input[name=csrf_token]").value;
  var timer = null;

  function value(name) {
    var checked = form.querySelector("input[name=" + name + "]:checked");
    if (checked) { return checked.value; }
    var field = form.elements.namedItem(name);
    return field && field.value ? field.value : "";
  }

  function paragraph(text, link, href) {
    var p = document.createElement("p");
    p.className = "notice";
    p.appendChild(document.createTextNode(text));
    if (link) {
      var a = document.createElement("a");
      a.href = href;
      a.textContent = link;
      p.appendChild(a);
      p.appendChild(document.createTextNode(" instead?"));
    }
    return p;
  }

  function show(data) {
    while (hint.firstChild) { hint.removeChild(hint.firstChild); }
    if (data.urgent) {
      hint.appendChild(paragraph("This sounds urgent. We will treat it as a priority. " + form.getAttribute("data-safety-notice")));
    }
    if (data.suggested_category && data.suggested_category !== value("category")) {
      hint.appendChild(paragraph("From what you wrote, this may be about “" + data.suggested_label + "”. You can choose it above."));
    }
    if (data.duplicate) {
      hint.appendChild(paragraph("You already have an open grievance of this kind. Add this to ", data.duplicate, data.duplicate_url));
    }
  }

  function ask() {
    fetch(form.getAttribute("data-triage-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify({ subject: value("subject"), narrative: value("narrative"), category: value("category") })
    }).then(function (r) { return r.ok ? r.json() : null; }).then(function (data) {
      if (data) { show(data); }
    }).catch(function () { /* suggestions are optional */ });
  }

  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, 600);
  });
  form.addEventListener("change", function () { clearTimeout(timer); timer = setTimeout(ask, 100); });
}());
