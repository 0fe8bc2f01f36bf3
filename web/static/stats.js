// The 统计 page's charts: each chart's ECharts option comes from the server (web/chart_specs.py), with its locale
// (Chinese or English), renderer and the cases behind each point; this script only draws it, adds the % to the
// tooltips of rate series (a function, which JSON cannot carry) and opens the cases a click on a bar, point,
// slice or organisation stands for. Each chart's box is marked data-drawn once drawn and data-settled once its
// animation is over (what a reader, or a browser test, waits for before pointing at a bar).
(function () {
  "use strict";

  function percent(v) { return v == null ? "—" : v + "%"; }

  document.querySelectorAll("script.chart-data").forEach(function (node) {
    var spec = JSON.parse(node.textContent);
    var el = document.getElementById("chart-" + spec.key);
    var option = spec.option;
    spec.percent.forEach(function (n) { option.series[n].tooltip = {valueFormatter: percent}; });
    var chart = echarts.init(el, null, {locale: spec.locale, renderer: spec.renderer});
    chart.setOption(option);
    chart.on("click", function (params) {
      var url = spec.kind === "tree" ? params.data && params.data.url
        : spec.urls[params.seriesIndex] && spec.urls[params.seriesIndex][params.dataIndex];
      if (url) { window.location.href = url; }
    });
    chart.on("finished", function () { el.dataset.settled = "true"; });
    el.dataset.drawn = "true";
    window.addEventListener("resize", function () { chart.resize(); });
  });
}());
