// The 统计 page's charts: Apache ECharts with its Chinese (or English) locale; each chart saves itself as an
// image (the toolbox), and a click on a bar, point or slice opens the cases behind that figure.
(function () {
  "use strict";
  var script = document.getElementById("stats-script");
  var locale = script.dataset.locale, saveTitle = script.dataset.save;
  window.lawflowCharts = {};

  function seriesOf(spec) {
    return spec.series.map(function (s) {
      var kind = spec.kind === "pie" ? "pie" : spec.kind === "line" ? "line" : "bar";
      var out = {name: s.name, type: kind, data: s.data, emphasis: {focus: "series"}};
      if (spec.kind === "stacked") { out.stack = "total"; }
      if (kind === "pie") { out.data = s.data.map(function (v, i) { return {name: spec.categories[i], value: v}; }); }
      if (s.percent) { out.tooltip = {valueFormatter: function (v) { return v == null ? "—" : v + "%"; }}; }
      return out;
    });
  }

  function option(spec) {
    var pie = spec.kind === "pie";
    var opt = {
      tooltip: {trigger: pie ? "item" : "axis"},
      legend: {top: 0},
      toolbox: {feature: {saveAsImage: {title: saveTitle, name: spec.key}}},
      grid: {left: 48, right: 24, top: 48, bottom: 64},
      series: seriesOf(spec)
    };
    if (!pie) {
      opt.xAxis = {type: "category", data: spec.categories, axisLabel: {interval: 0, rotate: spec.categories.length > 6 ? 30 : 0}};
      opt.yAxis = {type: "value", minInterval: 1};
    }
    return opt;
  }

  // An organisation chart (a report's `orgTree`): the organisations as a tree, each coloured by its rate from red
  // (0 %) to green (100 %), grey without data; a click on an organisation opens the cases behind its figure.
  function colour(value) {
    return value == null ? "#b0b0b0" : "hsl(" + Math.round(Math.max(0, Math.min(100, value)) * 1.2) + ", 65%, 42%)";
  }

  function treeNode(node) {
    return {name: node.name, value: node.value, url: node.url, text: node.text,
            itemStyle: {color: colour(node.value), borderColor: colour(node.value)},
            label: {formatter: node.name + "\n" + node.text, backgroundColor: colour(node.value), color: "#fff",
                    padding: [3, 6], borderRadius: 3, lineHeight: 16},
            children: node.children.map(treeNode)};
  }

  function treeOption(spec) {
    return {
      tooltip: {trigger: "item", formatter: function (p) { return p.data.name + "<br>" + spec.label + "：" + p.data.text; }},
      toolbox: {feature: {saveAsImage: {title: saveTitle, name: spec.key}}},
      series: [{type: "tree", data: [treeNode(spec.root)], orient: "LR", top: 24, bottom: 24, left: 120, right: 200,
                symbolSize: 14, initialTreeDepth: -1, expandAndCollapse: false,
                label: {position: "left", verticalAlign: "middle", align: "right", fontSize: 12},
                leaves: {label: {position: "right", align: "left"}}, lineStyle: {color: "#999"}}]
    };
  }

  document.querySelectorAll("script.chart-data").forEach(function (node) {
    var spec = JSON.parse(node.textContent);
    var el = document.getElementById("chart-" + spec.key);
    var chart = echarts.init(el, null, {locale: locale, renderer: "canvas"});
    chart.setOption(spec.kind === "tree" ? treeOption(spec) : option(spec));
    chart.on("click", function (params) {
      var url = spec.kind === "tree" ? params.data && params.data.url
        : spec.series[params.seriesIndex] && spec.series[params.seriesIndex].urls[params.dataIndex];
      if (url) { window.location.href = url; }
    });
    window.lawflowCharts[spec.key] = chart;
    window.addEventListener("resize", function () { chart.resize(); });
  });
}());
