// Staff pages: the print button, and the counter panel's live refresh. No inline handlers and
// no htmx filter expressions (they need eval), so an enforced CSP (script-src 'self') holds.
(function () {
  "use strict";

  function typing() {
    // Do not replace the panel under the officer's hands (an open select or a field in use).
    var el = document.activeElement;
    return !!el && ["SELECT", "INPUT", "TEXTAREA"].indexOf(el.tagName) !== -1;
  }

  document.addEventListener("click", function (e) {
    var button = e.target.closest("[data-print]");
    if (button) window.print();
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-print]").forEach(function (b) { b.hidden = false; });
    var panel = document.querySelector("[data-refresh-every]");
    if (!panel || !window.htmx) return;
    var every = parseInt(panel.dataset.refreshEvery, 10) || 3000;
    setInterval(function () {
      // The panel is swapped (outerHTML) on each refresh: look it up again each time.
      var current = document.querySelector("[data-refresh-every]");
      if (current && !typing() && !document.hidden) window.htmx.trigger(current, "refresh-panel");
    }, every);
  });
})();
