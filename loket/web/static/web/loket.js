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
/* The family form: a valid NIK fills the birth date and sex it encodes, unless the person has
   already typed their own; both stay editable. Without JavaScript the server fills empty ones. */
(function () {
  document.addEventListener("htmx:afterSwap", function (event) {
    var found = event.target.querySelector && event.target.querySelector("[data-nik-birth-date]");
    if (!found) return;
    var birth = document.querySelector("input[name=birth_date]");
    if (birth && (!birth.value || birth.getAttribute("data-from-nik") === birth.value)) {
      birth.value = found.getAttribute("data-nik-birth-date");
      birth.setAttribute("data-from-nik", birth.value);
    }
    var radios = Array.prototype.slice.call(document.querySelectorAll("input[name=sex]"));
    var chosen = radios.filter(function (r) { return r.checked; })[0];
    if (!chosen || chosen.hasAttribute("data-from-nik")) {
      radios.forEach(function (r) {
        r.checked = r.value === found.getAttribute("data-nik-sex");
        if (r.checked) { r.setAttribute("data-from-nik", ""); } else { r.removeAttribute("data-from-nik"); }
      });
    }
  });
})();
