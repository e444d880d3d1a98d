// Embedded players (YouTube, Vimeo, SoundCloud...) load only when the reader asks for them.
// The server renders every embed as a plain link card; when an allowed provider plays the
// link, the card also names the player (masthead.core.embeds). This shows the card's button
// and, on a click, puts the player in a sandboxed frame above the link. The site's
// Content-Security-Policy lets no other frame load, whatever the markup says.
(function () {
  "use strict";
  function play(card, controls) {
    var frame = document.createElement("iframe");
    // Sandbox and permissions are set before the frame is in the page, so its first load
    // already has them.
    frame.setAttribute("sandbox", card.getAttribute("data-embed-sandbox"));
    frame.setAttribute("allow", card.getAttribute("data-embed-allow"));
    frame.setAttribute("allowfullscreen", "");
    frame.setAttribute("referrerpolicy", "strict-origin-when-cross-origin");
    frame.title = card.getAttribute("data-embed-title");
    frame.src = card.getAttribute("data-embed-player");
    var box = document.createElement("div");
    box.className = "embed-card__frame";
    box.appendChild(frame);
    card.insertBefore(box, card.firstChild);
    card.removeChild(controls);
    card.classList.add("embed-card--playing");
    frame.focus();
  }

  var cards = document.querySelectorAll("[data-embed-player]");
  Array.prototype.forEach.call(cards, function (card) {
    var controls = card.querySelector("[data-embed-play]");
    var button = controls && controls.querySelector("button");
    if (!button) {
      return;
    }
    button.addEventListener("click", function () {
      play(card, controls);
    });
    controls.hidden = false;
  });
})();
