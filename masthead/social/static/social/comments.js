// Fills an article's comments section with its comments and forms. The article page is
// cached whole for every reader, so its comments come separately: from the comments
// fragment (the same for everyone, cached too), fetched once the page has loaded. Without
// JavaScript the section keeps its link to the comments page. A browser signed in as a
// reader (the reader_hint cookie, which holds no identity) is not asked to sign in.
(function () {
  "use strict";
  var signedIn = /(?:^|;\s*)reader_hint=1(?:;|$)/.test(document.cookie);

  function hideSignInPrompts(root) {
    if (!signedIn) {
      return;
    }
    var prompts = root.querySelectorAll("[data-signed-out-only]");
    for (var i = 0; i < prompts.length; i += 1) {
      prompts[i].hidden = true;
    }
  }

  function showTarget() {
    var id = window.location.hash.slice(1);
    if (/^comment-\d+$/.test(id) || id === "comments") {
      var target = document.getElementById(id);
      if (target) {
        target.scrollIntoView();
      }
    }
  }

  var section = document.querySelector("[data-comments-src]");
  if (!section) {
    hideSignInPrompts(document);
    return;
  }
  var content = section.querySelector("[data-comments-content]");
  if (!content || !window.fetch) {
    return;
  }
  fetch(section.getAttribute("data-comments-src"), { credentials: "same-origin" })
    .then(function (response) {
      return response.ok ? response.text() : null;
    })
    .then(function (html) {
      if (html === null) {
        return;
      }
      var parsed = new DOMParser().parseFromString(html, "text/html");
      var loaded = parsed.querySelector("[data-comments-loaded]");
      if (!loaded) {
        return;
      }
      content.replaceChildren(document.importNode(loaded, true));
      hideSignInPrompts(content);
      showTarget();
    })
    .catch(function () {});
})();
