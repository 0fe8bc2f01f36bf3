// The bottleneck map: the process's diagram drawn by bpmn-js, each step filled by its heat (1–5) and badged with
// its mean and 90th-percentile time and its overdue count; the same figures are in the table below the map.
(function () {
  "use strict";
  var box = document.getElementById("bottleneck-map");
  var data = document.getElementById("bottleneck-data");
  if (!box || !data || !window.BpmnJS) { return; }
  var spec = JSON.parse(data.textContent), labels = spec.labels;
  var viewer = new BpmnJS({ container: box });
  fetch(box.dataset.src, { credentials: "same-origin" })
    .then(function (response) { return response.text(); })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(function () {
      var canvas = viewer.get("canvas"), registry = viewer.get("elementRegistry"), overlays = viewer.get("overlays");
      spec.steps.forEach(function (step) {
        if (!registry.get(step.id)) { return; }
        canvas.addMarker(step.id, "heat-" + step.level);
        var badge = document.createElement("span");
        badge.className = "heat-badge";
        badge.dataset.step = step.id;
        var timed = step.done ? labels.mean + " " + step.mean + " " + labels.days + " · P90 " + step.p90 + " · " : "";
        badge.textContent = timed + labels.overdue + " " + step.overdue;
        overlays.add(step.id, { position: { top: -18, left: 0 }, html: badge });
      });
      var fit = function () { canvas.zoom("fit-viewport"); };
      // A large diagram fitted into the box is too small to read: show the hottest step at a readable size.
      var hottest = spec.steps.filter(function (s) { return s.level > 0 && registry.get(s.id); })
        .sort(function (a, b) { return b.level - a.level; }).map(function (s) { return registry.get(s.id); })[0];
      var focus = function () {
        if (!hottest) { return fit(); }
        var outer = canvas.viewbox().outer, scale = 0.9, width = outer.width / scale, height = outer.height / scale;
        canvas.viewbox({ x: hottest.x + hottest.width / 2 - width / 2, y: hottest.y + hottest.height / 2 - height / 2,
                         width: width, height: height });
      };
      // With no slow step to show, a large diagram opens on its start (top left) at a readable size, as the modeler.
      var start = function () {
        var inner = canvas.viewbox().inner, outer = canvas.viewbox().outer, scale = 0.8;
        canvas.viewbox({ x: inner.x - 20, y: inner.y - 20, width: outer.width / scale, height: outer.height / scale });
      };
      fit();
      if (hottest && canvas.zoom() < 0.6) { focus(); } else if (canvas.zoom() < 0.6) { start(); }
      [["map-fit", fit], ["map-hottest", focus]].forEach(function (pair) {
        var button = document.getElementById(pair[0]);
        if (button) { button.addEventListener("click", pair[1]); }
      });
      box.dataset.rendered = "true";
    })
    .catch(function (error) { box.textContent = "流程图加载失败：" + error.message; });
})();
