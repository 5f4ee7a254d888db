/* Live countdown to a payment deadline. The server says how many seconds are left, so a phone
   with a wrong clock still counts right. Without JavaScript the page shows the deadline itself. */
(function () {
  var nodes = document.querySelectorAll("[data-seconds-left]");
  if (!nodes.length) return;
  var started = Date.now();
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var elapsed = Math.floor((Date.now() - started) / 1000);
    nodes.forEach(function (node) {
      var left = parseInt(node.getAttribute("data-seconds-left"), 10) - elapsed;
      var out = node.querySelector("[data-countdown]");
      if (!out) return;
      if (left <= 0) {
        out.textContent = node.getAttribute("data-expired-text");
        return;
      }
      var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
      out.textContent = node.getAttribute("data-left-text").replace("%s", h + ":" + pad(m) + ":" + pad(s));
    });
  }
  nodes.forEach(function (node) { node.hidden = false; });
  tick();
  setInterval(tick, 1000);
})();
/* Print buttons: shown only when JavaScript can print; otherwise the browser's own print works. */
(function () {
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
