// Says "Account" instead of "Sign in" in the header when this browser is signed in as a
// reader. Pages are cached whole for every reader, so the header always says "Sign in";
// the reader_hint=1 cookie (set at sign-in, holding no identity) tells this script to
// change the words. The link goes to /account/ either way.
(function () {
  "use strict";
  if (!/(?:^|;\s*)reader_hint=1(?:;|$)/.test(document.cookie)) {
    return;
  }
  var links = document.querySelectorAll("[data-reader-link]");
  for (var i = 0; i < links.length; i += 1) {
    var text = links[i].getAttribute("data-signed-in-text");
    if (text) {
      links[i].textContent = text;
    }
  }
})();
