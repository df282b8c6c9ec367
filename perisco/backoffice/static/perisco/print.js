// A "Print" button where JavaScript runs; without it the browser's own print menu uses
// the same print stylesheet.
document.querySelectorAll("[data-print]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});
