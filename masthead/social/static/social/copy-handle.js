// The "follow us" block's copy button: shown only where the script runs and the clipboard
// can be written; without it, the fediverse handle stays as text to select and copy.
(function () {
  "use strict";
  if (!navigator.clipboard) {
    return;
  }
  document.querySelectorAll("[data-copy-text]").forEach(function (button) {
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(button.dataset.copyText).then(function () {
        button.textContent = button.dataset.copiedLabel;
        setTimeout(function () {
          button.textContent = label;
        }, 2000);
      });
    });
  });
})();
