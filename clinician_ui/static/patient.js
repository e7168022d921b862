/* Trend charts on the patient page: readings over time with the red and yellow ranges shaded behind them. */
(function () {
  "use strict";

  var dataEl = document.getElementById("chart-data");
  if (!dataEl || typeof window.Chart === "undefined") { return; }
  var payload = JSON.parse(dataEl.textContent);
  var locale = payload.locale === "da" ? "da-DK" : "en-GB";
  var tz = "Europe/Copenhagen";
  var dayFmt = new Intl.DateTimeFormat(locale, { timeZone: tz, day: "numeric", month: "short" });
  var fullFmt = new Intl.DateTimeFormat(locale, {
    timeZone: tz, weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit"
  });

  var COLORS = {
    red: "rgba(220, 38, 38, 0.16)",
    yellow: "rgba(234, 179, 8, 0.24)",
    normal: "rgba(22, 163, 74, 0.07)",
    line: "#1d4ed8",
    pointRed: "#b91c1c",
    pointYellow: "#a16207"
  };

  /* Shade the ranges (red, yellow, normal) behind the readings, from the patient's own limits. */
  var bandsPlugin = {
    id: "ncBands",
    beforeDatasetsDraw: function (chart, _args, options) {
      var b = options.bands;
      if (!b) { return; }
      var ctx = chart.ctx, area = chart.chartArea, y = chart.scales.y;
      function fill(from, to, color) {
        var lo = Math.max(from, y.min), hi = Math.min(to, y.max);
        if (hi <= lo) { return; }
        var top = y.getPixelForValue(hi), bottom = y.getPixelForValue(lo);
        ctx.fillStyle = color;
        ctx.fillRect(area.left, top, area.right - area.left, bottom - top);
      }
      function nz(v, d) { return v === null || v === undefined ? d : v; }
      ctx.save();
      var normalLo = nz(b.yellow_low, nz(b.red_low, y.min));
      var normalHi = nz(b.yellow_high, nz(b.red_high, y.max));
      fill(normalLo, normalHi, COLORS.normal);
      if (b.red_low !== null && b.red_low !== undefined) { fill(y.min, b.red_low, COLORS.red); }
      if (b.yellow_low !== null && b.yellow_low !== undefined) { fill(nz(b.red_low, y.min), b.yellow_low, COLORS.yellow); }
      if (b.yellow_high !== null && b.yellow_high !== undefined) { fill(b.yellow_high, nz(b.red_high, y.max), COLORS.yellow); }
      if (b.red_high !== null && b.red_high !== undefined) { fill(b.red_high, y.max, COLORS.red); }
      ctx.restore();
    }
  };

  /* Alerts on this measurement: a dashed line at the time of the reading and a ▼ flag at the top. */
  var markersPlugin = {
    id: "ncMarkers",
    afterDatasetsDraw: function (chart, _args, options) {
      var markers = options.markers || [];
      if (!markers.length) { return; }
      var ctx = chart.ctx, area = chart.chartArea, x = chart.scales.x;
      ctx.save();
      markers.forEach(function (m) {
        var px = x.getPixelForValue(m[0]);
        if (px < area.left || px > area.right) { return; }
        var color = m[1] === "red" ? COLORS.pointRed : m[1] === "yellow" ? COLORS.pointYellow : "#5b21b6";
        ctx.strokeStyle = color;
        ctx.globalAlpha = m[2] === "resolved" ? 0.45 : 0.9;
        ctx.lineWidth = 1.5;
        ctx.setLineDash([4, 4]);
        ctx.beginPath();
        ctx.moveTo(px, area.top + 8);
        ctx.lineTo(px, area.bottom);
        ctx.stroke();
        ctx.setLineDash([]);
        ctx.fillStyle = color;
        ctx.beginPath();
        ctx.moveTo(px - 6, area.top);
        ctx.lineTo(px + 6, area.top);
        ctx.lineTo(px, area.top + 9);
        ctx.closePath();
        ctx.fill();
      });
      ctx.restore();
    }
  };

  function pointColor(sev) {
    return sev === "red" ? COLORS.pointRed : sev === "yellow" ? COLORS.pointYellow : COLORS.line;
  }

  /* Shape as well as colour, so an out-of-range reading is visible without colour vision. */
  function pointShape(sev) {
    return sev === "red" ? "triangle" : sev === "yellow" ? "rectRot" : "circle";
  }

  function draw(spec) {
    var canvas = document.getElementById(spec.id);
    if (!canvas || !spec.points.length) { return; }
    var num = new Intl.NumberFormat(locale, { maximumFractionDigits: spec.decimals });
    var points = spec.points.map(function (p) { return { x: p[0], y: p[1], sev: p[2], flags: p[3] }; });
    var chart = new window.Chart(canvas, {
      type: "line",
      data: {
        datasets: [{
          data: points,
          borderColor: COLORS.line,
          borderWidth: 2,
          tension: 0,
          pointRadius: points.map(function (p) { return p.sev ? 6 : 3.5; }),
          pointHoverRadius: 8,
          pointStyle: points.map(function (p) { return pointShape(p.sev); }),
          pointBackgroundColor: points.map(function (p) { return pointColor(p.sev); }),
          pointBorderColor: points.map(function (p) { return pointColor(p.sev); })
        }]
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        parsing: false,
        interaction: { mode: "nearest", intersect: false },
        scales: {
          x: {
            type: "linear", min: spec.x_min, max: spec.x_max,
            afterBuildTicks: function (axis) {
              axis.ticks = spec.x_ticks.map(function (v) { return { value: v }; });
            },
            ticks: { autoSkip: true, maxRotation: 0, callback: function (v) { return dayFmt.format(new Date(v)); } },
            grid: { color: "rgba(0,0,0,0.05)" }
          },
          y: {
            min: spec.y_min, max: spec.y_max,
            ticks: { maxTicksLimit: 6, callback: function (v) { return num.format(v); } },
            grid: { color: "rgba(0,0,0,0.06)" }
          }
        },
        plugins: {
          legend: { display: false },
          ncBands: { bands: spec.bands },
          ncMarkers: { markers: spec.markers || [] },
          tooltip: {
            callbacks: {
              title: function (items) { return items.length ? fullFmt.format(new Date(items[0].parsed.x)) : ""; },
              label: function (item) {
                var p = item.raw;
                var label = num.format(p.y) + " " + spec.unit;
                return p.flags && p.flags.length ? label + " (" + p.flags.join(", ") + ")" : label;
              }
            }
          }
        }
      },
      plugins: [bandsPlugin, markersPlugin]
    });
    canvas.setAttribute("data-rendered", "true");
    return chart;
  }

  payload.charts.forEach(draw);

  /* AGP-style daily profile: 5–95 % and 25–75 % bands around the median, hour by hour, over the target range. */
  function drawAgp(agp, text) {
    var canvas = document.getElementById("agp-chart");
    if (!canvas || !agp) { return; }
    var hours = [];
    for (var h = 0; h < 24; h++) { hours.push(h); }
    function series(values) { return hours.map(function (hour) { return { x: hour, y: values[hour] }; }); }
    var num = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
    var targetPlugin = {
      id: "ncTarget",
      beforeDatasetsDraw: function (chart) {
        var ctx = chart.ctx, area = chart.chartArea, y = chart.scales.y;
        var top = y.getPixelForValue(agp.target[1]), bottom = y.getPixelForValue(agp.target[0]);
        ctx.save();
        ctx.fillStyle = COLORS.normal;
        ctx.fillRect(area.left, top, area.right - area.left, bottom - top);
        ctx.strokeStyle = "rgba(21, 128, 61, 0.7)";
        ctx.setLineDash([5, 4]);
        [top, bottom].forEach(function (py) {
          ctx.beginPath(); ctx.moveTo(area.left, py); ctx.lineTo(area.right, py); ctx.stroke();
        });
        ctx.restore();
      }
    };
    var edge = { borderWidth: 0, pointRadius: 0, spanGaps: false, tension: 0.35 };
    new window.Chart(canvas, {
      type: "line",
      data: {
        datasets: [
          Object.assign({ data: series(agp.p5), fill: false, label: "p5" }, edge),
          Object.assign({ data: series(agp.p95), fill: "-1", backgroundColor: "rgba(29, 78, 216, 0.14)", label: "p95" }, edge),
          Object.assign({ data: series(agp.p25), fill: false, label: "p25" }, edge),
          Object.assign({ data: series(agp.p75), fill: "-1", backgroundColor: "rgba(29, 78, 216, 0.34)", label: "p75" }, edge),
          { data: series(agp.p50), borderColor: "#102a43", borderWidth: 3, pointRadius: 0, tension: 0.35,
            fill: false, label: text.median }
        ]
      },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false, parsing: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { type: "linear", min: 0, max: 23, title: { display: true, text: text.hour },
               ticks: { stepSize: 3, callback: function (v) { return String(v).padStart(2, "0") + ":00"; } } },
          y: { min: 0, max: 22, title: { display: true, text: text.unit },
               ticks: { callback: function (v) { return num.format(v); } } }
        },
        plugins: {
          legend: { display: false },
          tooltip: {
            filter: function (item) { return item.datasetIndex === 4; },
            callbacks: {
              title: function (items) { return items.length ? String(items[0].parsed.x).padStart(2, "0") + ":00" : ""; },
              label: function (item) {
                var h = item.parsed.x;
                if (agp.p50[h] === null) { return ""; }
                return text.median + " " + num.format(agp.p50[h]) + " (" + num.format(agp.p25[h]) + "–" +
                  num.format(agp.p75[h]) + "; " + num.format(agp.p5[h]) + "–" + num.format(agp.p95[h]) + ")";
              }
            }
          }
        }
      },
      plugins: [targetPlugin]
    });
    canvas.setAttribute("data-rendered", "true");
  }

  drawAgp(payload.agp, payload.agp_text || {});
}());
