// Small behaviours for every page; no inline script anywhere (the CSP forbids it).
(function () {
  "use strict";
  // After HTMX puts a form with errors in place, move focus to its first invalid field.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    // An outerHTML swap leaves the old target detached: look in what took its place.
    if (!target.isConnected) { target = (target.id && document.getElementById(target.id)) || document.body; }
    var invalid = target.querySelector('[aria-invalid="true"]');
    if (invalid) { invalid.focus(); return; }
    var alert = target.querySelector('[role="alert"]');
    if (alert) { alert.setAttribute("tabindex", "-1"); alert.focus(); }
  });
  // A table wider than the screen scrolls sideways; keyboard users must be able to reach it.
  function scrollersFocusable(root) {
    root.querySelectorAll(".table-wrap, .card").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1 && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        if (!box.hasAttribute("role")) { box.setAttribute("role", "region"); }
        var heading = box.closest("section, .card");
        heading = heading && heading.querySelector("h2, h3");
        box.setAttribute("aria-label", (heading ? heading.textContent.trim() + ": " : "") + "scrolls sideways");
      }
    });
  }
  scrollersFocusable(document);
  window.addEventListener("resize", function () { scrollersFocusable(document); });
  document.addEventListener("htmx:afterSettle", function (event) { scrollersFocusable(event.detail.elt); });
  // Clear the page-level message when a later request succeeds.
  document.addEventListener("htmx:beforeRequest", function () {
    var flash = document.getElementById("flash");
    if (flash) { flash.innerHTML = ""; }
  });
  // Buttons that end something for good ask first: <button data-confirm="...">.
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var question = button && button.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); event.stopImmediatePropagation(); }
  }, true);
})();
