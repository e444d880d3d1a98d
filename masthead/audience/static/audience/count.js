/* Masthead's cookieless counter: one view per page load, one "read" when the end of an
   article comes into view, and where this visit came from in forms[data-attribution].
   No cookies, no storage; the server turns this into a day-long visitor id. */
(function () {
  "use strict";
  var d = document, l = location, ref = d.referrer, from = "", ext = "";
  try {
    var u = new URL(ref);
    if (u.host === l.host) { from = u.pathname; } else { ext = ref; }
  } catch (e) { ext = ""; }

  function send(kind) {
    var data = new URLSearchParams({
      k: kind, p: l.pathname, q: l.search, r: ref, w: navigator.webdriver ? "1" : "0"
    });
    if (!(navigator.sendBeacon && navigator.sendBeacon("/a/hit", data))) {
      fetch("/a/hit", { method: "POST", body: data, keepalive: true, credentials: "omit" })
        .catch(function () {});
    }
  }

  function field(form, name, value) {
    var input = form.querySelector('input[name="' + name + '"]');
    if (!input) {
      input = d.createElement("input");
      input.type = "hidden";
      input.name = name;
      form.appendChild(input);
    }
    input.value = value;
  }

  d.querySelectorAll("form[data-attribution]").forEach(function (form) {
    field(form, "mh_page", l.pathname);
    field(form, "mh_from", from);
    field(form, "mh_ref", ext);
    field(form, "mh_query", l.search);
  });

  send("view");

  var body = d.querySelector("[data-read-through]");
  if (body && "IntersectionObserver" in window) {
    var end = d.createElement("span");
    end.setAttribute("aria-hidden", "true");
    body.appendChild(end);
    var seen = new IntersectionObserver(function (entries) {
      if (entries[0].isIntersecting) {
        seen.disconnect();
        send("read");
      }
    });
    seen.observe(end);
  }
})();
