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

  // Sentences come translated from the form's data-text-* attributes; {name} marks a value.
  function text(name) { return form.getAttribute("data-text-" + name) || ""; }

  function paragraph(sentence, link, href) {
    var p = document.createElement("p");
    p.className = "notice";
    var parts = sentence.split("{ref}");
    p.appendChild(document.createTextNode(parts[0]));
    if (link && parts.length > 1) {
      var a = document.createElement("a");
      a.href = href;
      a.textContent = link;
      p.appendChild(a);
      p.appendChild(document.createTextNode(parts.slice(1).join(link)));
    }
    return p;
  }

  function show(data) {
    while (hint.firstChild) { hint.removeChild(hint.firstChild); }
    if (data.urgent) {
      hint.appendChild(paragraph(text("urgent") + " " + form.getAttribute("data-safety-notice")));
    }
    if (data.suggested_category && data.suggested_category !== value("category")) {
      hint.appendChild(paragraph(text("suggested").split("{category}").join(data.suggested_label)));
    }
    if (data.duplicate) {
      var sentence = text("duplicate").split("{date}").join(data.duplicate_date)
        .split("{title}").join(data.duplicate_title);
      hint.appendChild(paragraph(sentence, data.duplicate, data.duplicate_url));
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
