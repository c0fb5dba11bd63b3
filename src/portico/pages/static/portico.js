// Portico pages: progressive enhancement only; every form works without this file.
(function () {
  "use strict";

  // The balance chart (Chart.js, vendored): the data is a JSON block in the page.
  function drawChart() {
    var canvas = document.getElementById("balance-chart");
    var data = document.getElementById("balance-data");
    if (!canvas || !data || typeof window.Chart === "undefined") return;
    var points = JSON.parse(data.textContent || "[]");
    new window.Chart(canvas, {
      type: "line",
      data: {
        labels: points.map(function (p) { return p.t.slice(0, 16).replace("T", " "); }),
        datasets: [{ label: canvas.dataset.label, data: points.map(function (p) { return Number(p.v); }),
          borderColor: "#0b5cad", backgroundColor: "rgba(11,92,173,0.12)", fill: true, stepped: true }]
      },
      options: { responsive: true, maintainAspectRatio: false, animation: false }
    });
  }

  // Countdowns: <span data-expires-at="ISO"> counts down to zero, then says the quote ended.
  function countdowns() {
    var nodes = document.querySelectorAll("[data-expires-at]");
    if (!nodes.length) return;
    function tick() {
      nodes.forEach(function (node) {
        var left = Math.max(0, Math.round((Date.parse(node.dataset.expiresAt) - Date.now()) / 1000));
        var out = node.querySelector(".seconds");
        if (out) out.textContent = String(left);
        if (left === 0 && !node.classList.contains("expired")) {
          node.classList.add("expired");
          var message = node.dataset.expiredText;
          if (message) node.textContent = message;
        }
      });
    }
    tick();
    window.setInterval(tick, 1000);
  }

  // Copy buttons: <button data-copy="element-id">.
  function copyButtons() {
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var source = document.getElementById(button.dataset.copy);
        if (!source || !navigator.clipboard) return;
        navigator.clipboard.writeText(source.textContent.trim()).then(function () {
          var status = document.getElementById(button.dataset.copy + "-status");
          if (status) status.textContent = button.dataset.copied || "";
        });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawChart();
    countdowns();
    copyButtons();
  });
})();
