// The receipt's Print button: shown only where script runs, it opens the print dialogue.
document.querySelectorAll("[data-print]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});
