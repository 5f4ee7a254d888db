// Draws every chart of the page from its JSON block (<script id="chart-data-X"
// type="application/json">, drawn on <canvas id="chart-X">): no inline script, so a strict
// content security policy holds.
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }
  var palette = ["#1d70b8", "#f47738", "#00703c", "#d4351c", "#4c2c92", "#b58840", "#28a197",
    "#f499be", "#505a5f", "#85994b", "#912b88", "#003078"];
  var printing = window.matchMedia && window.matchMedia("print").matches;
  document.querySelectorAll('script[id^="chart-data-"]').forEach(function (node) {
    var spec = JSON.parse(node.textContent);
    var canvas = document.getElementById(node.id.replace("chart-data-", "chart-"));
    if (!spec || !canvas) { return; }
    var round = spec.type === "doughnut" || spec.type === "pie";
    var datasets = spec.datasets.map(function (d, i) {
      var color = palette[i % palette.length];
      var out = Object.assign({}, d);
      if (round) {
        out.backgroundColor = d.data.map(function (_, j) { return palette[j % palette.length]; });
      } else {
        out.backgroundColor = color;
        out.borderColor = color;
        if ((d.type || spec.type) === "line") { out.fill = false; out.pointRadius = 2; }
      }
      return out;
    });
    var options = {responsive: true, maintainAspectRatio: false, animation: !printing,
      plugins: {legend: {display: datasets.length > 1 || round}}};
    if (!round) {
      options.scales = {x: {stacked: !!spec.stacked}, y: {stacked: !!spec.stacked, beginAtZero: true}};
      if (spec.horizontal) { options.indexAxis = "y"; }
    }
    new Chart(canvas, {type: spec.type, data: {labels: spec.labels, datasets: datasets}, options: options});
  });
})();
