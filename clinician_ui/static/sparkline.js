/* Small trend lines in the triage rows: the patient's last readings of the alert's measurement,
   with the crossed limit dashed and the latest reading marked in the alert's colour. */
(function () {
  "use strict";

  var COLORS = { line: "#334e68", red: "#b91c1c", yellow: "#a16207", limit: "#b91c1c" };

  function draw(canvas) {
    if (canvas.getAttribute("data-drawn")) { return; }
    var values;
    try { values = JSON.parse(canvas.getAttribute("data-values") || "[]"); } catch (e) { return; }
    if (values.length < 2) { return; }
    var bound = canvas.hasAttribute("data-bound") ? Number(canvas.getAttribute("data-bound")) : null;
    var sev = canvas.getAttribute("data-severity");
    var ratio = window.devicePixelRatio || 1;
    var w = canvas.width, h = canvas.height;
    canvas.style.width = w + "px";
    canvas.style.height = h + "px";
    canvas.width = w * ratio;
    canvas.height = h * ratio;
    var ctx = canvas.getContext("2d");
    ctx.scale(ratio, ratio);
    var lo = Math.min.apply(null, values), hi = Math.max.apply(null, values);
    if (bound !== null && isFinite(bound)) { lo = Math.min(lo, bound); hi = Math.max(hi, bound); }
    if (hi === lo) { hi += 1; lo -= 1; }
    var pad = 5;
    function x(i) { return pad + i * (w - 2 * pad) / (values.length - 1); }
    function y(v) { return h - pad - (v - lo) * (h - 2 * pad) / (hi - lo); }
    if (bound !== null && isFinite(bound)) {
      ctx.strokeStyle = sev === "yellow" ? COLORS.yellow : COLORS.limit;
      ctx.lineWidth = 1;
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      ctx.moveTo(pad, y(bound));
      ctx.lineTo(w - pad, y(bound));
      ctx.stroke();
      ctx.setLineDash([]);
    }
    ctx.strokeStyle = COLORS.line;
    ctx.lineWidth = 1.8;
    ctx.lineJoin = "round";
    ctx.beginPath();
    values.forEach(function (v, i) { if (i === 0) { ctx.moveTo(x(i), y(v)); } else { ctx.lineTo(x(i), y(v)); } });
    ctx.stroke();
    var last = values.length - 1;
    ctx.fillStyle = sev === "yellow" ? COLORS.yellow : COLORS.red;
    ctx.beginPath();
    ctx.arc(x(last), y(values[last]), 3.5, 0, 2 * Math.PI);
    ctx.fill();
    canvas.setAttribute("data-drawn", "true");
  }

  function drawAll(root) {
    (root || document).querySelectorAll("canvas.spark").forEach(draw);
  }

  drawAll(document);
  /* Rows arrive over the websocket and on resync: draw them as they are inserted. */
  new MutationObserver(function (records) {
    records.forEach(function (r) {
      r.addedNodes.forEach(function (n) {
        if (n.nodeType !== 1) { return; }
        if (n.matches && n.matches("canvas.spark")) { draw(n); } else { drawAll(n); }
      });
    });
  }).observe(document.body, { childList: true, subtree: true });
}());
