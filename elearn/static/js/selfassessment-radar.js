// The self-assessment radar chart (Chart.js). Its numbers come from <script type="application/json"
// id="radar-data"> — {labels, datasets: [{label, values}], legend} — so the page needs no inline code
// (Content-Security-Policy). Several datasets are team rounds drawn over each other, oldest first:
// each has its own line style and point shape besides its colour, so they can be told apart without
// colour, and the legend names them. The same numbers are in a table on the page.
(function () {
  "use strict";
  var canvas = document.getElementById("radar");
  var source = document.getElementById("radar-data");
  if (!canvas || !source || !window.Chart) { return; }
  var data = JSON.parse(source.textContent);
  var brand = getComputedStyle(document.documentElement).getPropertyValue("--brand").trim() || "#0b5f66";
  var narrow = canvas.parentNode.clientWidth < 420;
  // Oldest to newest: grey dotted, amber dashed, blue dash-dot, and the latest solid in the brand colour.
  var styles = [
    { color: "#5b6770", dash: [2, 3], point: "rect" },
    { color: "#9a5b00", dash: [8, 4], point: "triangle" },
    { color: "#3451b2", dash: [12, 4, 2, 4], point: "rectRot" },
    { color: brand, dash: [], point: "circle" }
  ];

  // Long domain names become several short lines, so that no label is cut off at the edge.
  function wrap(text, width) {
    var lines = [], line = "";
    text.split(" ").forEach(function (word) {
      if (line && (line + " " + word).length > width) { lines.push(line); line = word; }
      else { line = line ? line + " " + word : word; }
    });
    if (line) { lines.push(line); }
    return lines;
  }

  var count = data.datasets.length;
  var datasets = data.datasets.map(function (set, index) {
    // The latest round takes the last (solid) style; earlier ones the styles before it.
    var style = styles[styles.length - count + index] || styles[0];
    var latest = index === count - 1;
    return {
      label: set.label, data: set.values, fill: latest,
      backgroundColor: latest ? "rgba(11, 95, 102, 0.14)" : "transparent",
      borderColor: style.color, borderDash: style.dash, borderWidth: latest ? 3 : 2,
      pointStyle: style.point, pointRadius: 4, pointBackgroundColor: style.color
    };
  });
  new Chart(canvas, {
    type: "radar",
    data: { labels: data.labels.map(function (label) { return wrap(label, narrow ? 12 : 16); }), datasets: datasets },
    options: {
      responsive: true, maintainAspectRatio: true, animation: false,
      layout: { padding: 4 },
      plugins: { legend: { display: !!data.legend, position: "bottom",
        labels: { usePointStyle: true, boxWidth: 28, font: { size: narrow ? 11 : 13 } } } },
      scales: { r: { min: 0, max: 100, ticks: { stepSize: 25, backdropColor: "transparent" },
        pointLabels: { font: { size: narrow ? 10 : 12 } } } }
    }
  });
})();
